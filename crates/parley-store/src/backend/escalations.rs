//! The escalations as the query tables hold them: each one's row, stages, child and case, who
//! led and who is appointed, its report facts, and the lists the pages show.

use async_trait::async_trait;

use super::cells::Cells;
use super::driver::{self, Dialect, DialectSql, Driver, Read, SqlStore};
use super::statements::Arg;
use crate::StoreError;
use crate::rows::{
    EscalationAppointmentRow, EscalationOfficerRow, EscalationRow, FactsRow, StageRow,
};
use crate::tables::json_list;

/// Which of a partnership's escalations a page lists ([`Escalations::escalation_page`]). Every
/// field left `None` lets everything through.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EscalationFilter {
    /// At this stage or a later one.
    pub min_stage: Option<i64>,
    /// At exactly this stage.
    pub stage: Option<i64>,
    /// Raised by or against this agency.
    pub agency_id: Option<String>,
    pub category: Option<String>,
    /// `open`, `resolved`, `referred-on`, `withdrawn` or `redirected`.
    pub status: Option<String>,
    /// `YYYY-MM-DD`: open, and the stage or the whole escalation was due before this day.
    pub overdue_on: Option<String>,
}

/// The columns of an escalation row, as [`escalation_row`] reads them.
const COLUMNS: &str = "id, partnership_id, reference, procedure_version, version, route, subject, child_status, category, status, \
     outcome, current_stage, stage_due, overall_due, raised_at_us, raised_on, closed_at_us, resolved_by_events, \
     raised_by, raising_agency_id, receiving_agency_id, receiving_person_id, summary, updated_at_us, wake_on";

pub(crate) static ESCALATION: DialectSql =
    DialectSql::new(&["SELECT ", COLUMNS, " FROM escalations WHERE id = $1"]);

static ESCALATIONS: DialectSql = DialectSql::new(&[
    "SELECT ",
    COLUMNS,
    " FROM escalations WHERE partnership_id = $1 ORDER BY raised_at_us, id",
]);

const STAGES: &str = "SELECT escalation_id, stage, started_at_us, started_on, due, agreed_days, ended_at_us, record, meetings FROM escalation_stages WHERE escalation_id = $1 ORDER BY stage";

const CHILD: &str =
    "SELECT escalation_id, details FROM escalation_children WHERE escalation_id = $1";

const CASE: &str = "SELECT escalation_id, decision, evidence, outcome_wanted FROM escalation_cases WHERE escalation_id = $1";

/// Two index ranges of (partnership, last_on): the open ones, and those active on or after
/// `from`; each then checked for being raised by `to`.
pub(crate) const FACTS: &str = concat!(
    "SELECT escalation_id, partnership_id, raised_on, closed_on, last_on, facts FROM escalation_facts ",
    "WHERE partnership_id = $1 AND raised_on <= $3 AND last_on IS NULL ",
    "UNION ALL ",
    "SELECT escalation_id, partnership_id, raised_on, closed_on, last_on, facts FROM escalation_facts ",
    "WHERE partnership_id = $1 AND raised_on <= $3 AND last_on >= $2"
);

/// The facts rows of some of partnership `$1`'s escalations, by id (`$2`, a list).
static FACTS_OF: DialectSql = DialectSql::new(&[
    "SELECT escalation_id, partnership_id, raised_on, closed_on, last_on, facts FROM escalation_facts ",
    "WHERE escalation_id {in_list $2} AND partnership_id = $1",
]);

const COUNT_REFERENCES: &str = "SELECT COUNT(*) AS n FROM escalations WHERE reference LIKE $1";

/// The ids of every escalation of partnership `$1` involving one of the people `$2`: four
/// index look-ups (raised_by, receiving_person_id, and the people's rows in
/// `escalation_officers` and `escalation_appointments`), each driven by the small list of
/// people, never a scan of the partnership's escalations. The partnership is compared as
/// `partnership_id || ''` so that SQLite (which has no statistics) never walks the
/// partnership's index instead. A named officer finds only the escalations whose stage they
/// held while the escalation was at it: a row of `escalation_officers`, not a stage number.
/// The union is of ids only (a small temporary b-tree); the rows are then read by primary key.
const INVOLVING_IDS: &str = concat!(
    " WHERE id IN (",
    "SELECT e.id FROM escalations e WHERE e.raised_by {in_list $2} AND e.partnership_id || '' = $1 ",
    "UNION SELECT e.id FROM escalations e WHERE e.receiving_person_id {in_list $2} AND e.partnership_id || '' = $1 ",
    "UNION SELECT o.escalation_id FROM escalation_officers o WHERE o.person_id {in_list $2} AND o.partnership_id || '' = $1 ",
    "UNION SELECT a.escalation_id FROM escalation_appointments a WHERE a.person_id {in_list $2} AND a.partnership_id || '' = $1",
    ")"
);

pub(crate) static INVOLVING: DialectSql = DialectSql::new(&[
    "SELECT ",
    COLUMNS,
    " FROM escalations",
    INVOLVING_IDS,
    " ORDER BY stage_due{bytewise}, reference{bytewise}",
]);

static OPEN_INVOLVING: DialectSql = DialectSql::new(&[
    "SELECT ",
    COLUMNS,
    " FROM escalations",
    INVOLVING_IDS,
    " AND status = 'open' ORDER BY stage_due{bytewise}, reference{bytewise}",
]);

/// A page of the closed ones, and how many there are in all on each row.
static CLOSED_INVOLVING: DialectSql = DialectSql::new(&[
    "SELECT found.*, COUNT(*) OVER () AS total FROM (",
    "SELECT ",
    COLUMNS,
    " FROM escalations",
    INVOLVING_IDS,
    " AND status <> 'open') AS found ORDER BY raised_at_us DESC, reference{bytewise} LIMIT $3 OFFSET $4",
]);

/// How many closed ones there are, for a page past the end (which has no row to say).
static CLOSED_INVOLVING_COUNT: DialectSql = DialectSql::new(&[
    "SELECT COUNT(*) AS total FROM (",
    "SELECT ",
    COLUMNS,
    " FROM escalations",
    INVOLVING_IDS,
    " AND status <> 'open') AS found",
]);

const OFFICER_COLUMNS: &str = "SELECT escalation_id, partnership_id, stage, agency_id, person_id, since_us FROM escalation_officers";

pub(crate) static OFFICERS: DialectSql = DialectSql::new(&[
    OFFICER_COLUMNS,
    " WHERE escalation_id = $1 ORDER BY stage, agency_id{bytewise}, person_id{bytewise}",
]);

static OFFICERS_OF: DialectSql = DialectSql::new(&[
    OFFICER_COLUMNS,
    " WHERE partnership_id = $1 AND escalation_id {in_list $2} ",
    "ORDER BY escalation_id{bytewise}, stage, agency_id{bytewise}, person_id{bytewise}",
]);

const APPOINTMENT_COLUMNS: &str = "SELECT escalation_id, partnership_id, role, person_id, stage, at_us FROM escalation_appointments";

static APPOINTMENTS: DialectSql = DialectSql::new(&[
    APPOINTMENT_COLUMNS,
    " WHERE escalation_id = $1 ORDER BY role{bytewise}, person_id{bytewise}",
]);

static APPOINTMENTS_OF: DialectSql = DialectSql::new(&[
    APPOINTMENT_COLUMNS,
    " WHERE partnership_id = $1 AND escalation_id {in_list $2} ",
    "ORDER BY escalation_id{bytewise}, role{bytewise}, person_id{bytewise}",
]);

/// The escalations, read.
#[async_trait]
pub trait Escalations: Send + Sync {
    async fn escalation(&self, id: &str) -> Result<Option<EscalationRow>, StoreError>;
    async fn escalations(&self, partnership_id: &str) -> Result<Vec<EscalationRow>, StoreError>;
    async fn stages(&self, escalation_id: &str) -> Result<Vec<StageRow>, StoreError>;
    /// The child's details (JSON), for those allowed to see them.
    async fn child_details(&self, escalation_id: &str) -> Result<Option<String>, StoreError>;
    /// (decision, evidence, outcome wanted).
    async fn case(
        &self,
        escalation_id: &str,
    ) -> Result<Option<(String, String, String)>, StoreError>;
    /// The report facts rows (migration 9) of the partnership's escalations raised on or
    /// before `to` that are open, or whose last fact is on or after `from` (`YYYY-MM-DD`):
    /// those a report of the period from `from` to `to` counts, in no order.
    async fn escalation_facts(
        &self,
        partnership_id: &str,
        from: &str,
        to: &str,
    ) -> Result<Vec<FactsRow>, StoreError>;
    /// The report facts rows of the partnership's escalations `ids`, in no order; an id with
    /// no row (or another partnership's) is left out.
    async fn escalation_facts_of(
        &self,
        partnership_id: &str,
        ids: &[String],
    ) -> Result<Vec<FactsRow>, StoreError>;
    /// How many escalation references match a `LIKE` pattern (to number new ones).
    async fn count_references(&self, pattern: &str) -> Result<i64, StoreError>;

    /// Every escalation of the partnership that involves a person: raised by or received by
    /// one of `people`, or led by one of them as a named officer at a stage it went through
    /// (its `escalation_officers` rows; never worked out from stage numbers), or one they are
    /// appointed to. By stage due date, then reference.
    async fn escalations_involving(
        &self,
        partnership_id: &str,
        people: &[String],
    ) -> Result<Vec<EscalationRow>, StoreError>;
    /// The open escalations of [`Escalations::escalations_involving`], by stage deadline.
    async fn open_escalations_involving(
        &self,
        partnership_id: &str,
        people: &[String],
    ) -> Result<Vec<EscalationRow>, StoreError>;
    /// One page of the closed escalations of [`Escalations::escalations_involving`], newest
    /// first, and how many there are in all.
    async fn closed_escalations_involving(
        &self,
        partnership_id: &str,
        people: &[String],
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<EscalationRow>, i64), StoreError>;
    /// One page of the partnership's escalations that pass `filter`, newest first (then by
    /// reference), and how many pass it in all. A negative `limit` or `offset` counts as 0.
    async fn escalation_page(
        &self,
        partnership_id: &str,
        filter: &EscalationFilter,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<EscalationRow>, i64), StoreError>;

    /// The named officers who held a stage of the escalation while it was at that stage, by
    /// stage, agency and person.
    async fn escalation_officers(
        &self,
        escalation_id: &str,
    ) -> Result<Vec<EscalationOfficerRow>, StoreError>;
    /// [`Escalations::escalation_officers`] of several of the partnership's escalations at
    /// once (those of a list), by escalation, stage, agency and person.
    async fn officers_of_escalations(
        &self,
        partnership_id: &str,
        escalation_ids: &[String],
    ) -> Result<Vec<EscalationOfficerRow>, StoreError>;
    /// Who is appointed to the escalation in a partnership role (migration 7), by role and
    /// person.
    async fn escalation_appointments(
        &self,
        escalation_id: &str,
    ) -> Result<Vec<EscalationAppointmentRow>, StoreError>;
    /// [`Escalations::escalation_appointments`] of several of the partnership's escalations
    /// at once, by escalation, role and person.
    async fn appointments_of_escalations(
        &self,
        partnership_id: &str,
        escalation_ids: &[String],
    ) -> Result<Vec<EscalationAppointmentRow>, StoreError>;
}

#[async_trait]
impl<S: SqlStore> Escalations for S {
    async fn escalation(&self, id: &str) -> Result<Option<EscalationRow>, StoreError> {
        if let Some(found) = self.inline_escalation(id) {
            return Ok(found);
        }
        self.one(S::Db::sql(&ESCALATION), &[Arg::Text(id)], escalation_row)
            .await
    }

    async fn escalations(&self, partnership_id: &str) -> Result<Vec<EscalationRow>, StoreError> {
        let sql = S::Db::sql(&ESCALATIONS);
        self.all(sql, &[Arg::Text(partnership_id)], escalation_row)
            .await
    }

    async fn stages(&self, escalation_id: &str) -> Result<Vec<StageRow>, StoreError> {
        self.all(STAGES, &[Arg::Text(escalation_id)], stage_row)
            .await
    }

    async fn child_details(&self, escalation_id: &str) -> Result<Option<String>, StoreError> {
        let row = self.row(CHILD, &[Arg::Text(escalation_id)]).await?;
        row.as_ref()
            .map(|r| Cells::new(r, "escalation_children", &["escalation_id"]).text("details"))
            .transpose()
    }

    async fn case(
        &self,
        escalation_id: &str,
    ) -> Result<Option<(String, String, String)>, StoreError> {
        let row = self.row(CASE, &[Arg::Text(escalation_id)]).await?;
        row.as_ref()
            .map(|r| {
                let c = Cells::new(r, "escalation_cases", &["escalation_id"]);
                Ok((
                    c.text("decision")?,
                    c.text("evidence")?,
                    c.text("outcome_wanted")?,
                ))
            })
            .transpose()
    }

    async fn escalation_facts(
        &self,
        partnership_id: &str,
        from: &str,
        to: &str,
    ) -> Result<Vec<FactsRow>, StoreError> {
        if let Some(read) = self.bulk_facts(partnership_id, from, to).await {
            return read;
        }
        let args = [Arg::Text(partnership_id), Arg::Text(from), Arg::Text(to)];
        self.all(FACTS, &args, facts_row).await
    }

    async fn escalation_facts_of(
        &self,
        partnership_id: &str,
        ids: &[String],
    ) -> Result<Vec<FactsRow>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let args = [Arg::Text(partnership_id), Arg::Owned(json_list(ids))];
        self.all(S::Db::sql(&FACTS_OF), &args, facts_row).await
    }

    async fn count_references(&self, pattern: &str) -> Result<i64, StoreError> {
        let row = self.row(COUNT_REFERENCES, &[Arg::Text(pattern)]).await?;
        count(row.as_ref(), "escalations", "n")
    }

    async fn escalations_involving(
        &self,
        partnership_id: &str,
        people: &[String],
    ) -> Result<Vec<EscalationRow>, StoreError> {
        let args = [Arg::Text(partnership_id), Arg::Owned(json_list(people))];
        self.all(S::Db::sql(&INVOLVING), &args, escalation_row)
            .await
    }

    async fn open_escalations_involving(
        &self,
        partnership_id: &str,
        people: &[String],
    ) -> Result<Vec<EscalationRow>, StoreError> {
        let args = [Arg::Text(partnership_id), Arg::Owned(json_list(people))];
        self.all(S::Db::sql(&OPEN_INVOLVING), &args, escalation_row)
            .await
    }

    async fn closed_escalations_involving(
        &self,
        partnership_id: &str,
        people: &[String],
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<EscalationRow>, i64), StoreError> {
        let people = json_list(people);
        let args = [
            Arg::Text(partnership_id),
            Arg::Text(&people),
            Arg::Int(limit.max(0)),
            Arg::Int(offset.max(0)),
        ];
        let rows = self.rows(S::Db::sql(&CLOSED_INVOLVING), &args).await?;
        let total = match rows.first() {
            Some(r) => Cells::new(r, "escalations", &["id"]).int("total")?,
            None => {
                let sql = S::Db::sql(&CLOSED_INVOLVING_COUNT);
                let row = self.row(sql, &args[..2]).await?;
                count(row.as_ref(), "escalations", "total")?
            }
        };
        let page = rows.iter().map(escalation_row).collect::<Result<_, _>>()?;
        Ok((page, total))
    }

    async fn escalation_page(
        &self,
        partnership_id: &str,
        filter: &EscalationFilter,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<EscalationRow>, i64), StoreError> {
        // The page and the total in one statement (so they agree); a page past the end has no
        // row to carry the total, and counts again.
        let (conditions, mut args) = filter_sql(partnership_id, filter);
        let n = args.len();
        let page = format!(
            "SELECT {COLUMNS}, COUNT(*) OVER () AS total FROM escalations{conditions} \
             ORDER BY raised_at_us DESC, reference{{bytewise}} LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        );
        let dialect = S::Db::DIALECT;
        let mut conn = self.pool().acquire().await?;
        args.extend([Arg::Int(limit.max(0)), Arg::Int(offset.max(0))]);
        let rows = driver::rows::<S::Db>(&mut *conn, rendered(dialect, &page), &args).await?;
        let total = match rows.first() {
            Some(r) => Cells::new(r, "escalations", &["id"]).int("total")?,
            None => {
                let sql = format!("SELECT COUNT(*) AS total FROM escalations{conditions}");
                let row =
                    driver::row::<S::Db>(&mut *conn, rendered(dialect, &sql), &args[..n]).await?;
                count(row.as_ref(), "escalations", "total")?
            }
        };
        let page = rows.iter().map(escalation_row).collect::<Result<_, _>>()?;
        Ok((page, total))
    }

    async fn escalation_officers(
        &self,
        escalation_id: &str,
    ) -> Result<Vec<EscalationOfficerRow>, StoreError> {
        if let Some(found) = self.inline_escalation_officers(escalation_id) {
            return Ok(found);
        }
        let sql = S::Db::sql(&OFFICERS);
        self.all(sql, &[Arg::Text(escalation_id)], officer_row)
            .await
    }

    async fn officers_of_escalations(
        &self,
        partnership_id: &str,
        escalation_ids: &[String],
    ) -> Result<Vec<EscalationOfficerRow>, StoreError> {
        let args = [
            Arg::Text(partnership_id),
            Arg::Owned(json_list(escalation_ids)),
        ];
        self.all(S::Db::sql(&OFFICERS_OF), &args, officer_row).await
    }

    async fn escalation_appointments(
        &self,
        escalation_id: &str,
    ) -> Result<Vec<EscalationAppointmentRow>, StoreError> {
        let sql = S::Db::sql(&APPOINTMENTS);
        self.all(sql, &[Arg::Text(escalation_id)], appointment_row)
            .await
    }

    async fn appointments_of_escalations(
        &self,
        partnership_id: &str,
        escalation_ids: &[String],
    ) -> Result<Vec<EscalationAppointmentRow>, StoreError> {
        let args = [
            Arg::Text(partnership_id),
            Arg::Owned(json_list(escalation_ids)),
        ];
        self.all(S::Db::sql(&APPOINTMENTS_OF), &args, appointment_row)
            .await
    }
}

/// ` WHERE ...` for [`EscalationFilter`], and its arguments (`$1` onwards): only the
/// conditions the filter sets, so each query gets the plan its conditions allow. The text
/// holds placeholders only; every value is an argument.
fn filter_sql<'a>(partnership_id: &'a str, f: &'a EscalationFilter) -> (String, Vec<Arg<'a>>) {
    let mut sql = String::from(" WHERE partnership_id = $1");
    let mut args = vec![Arg::Text(partnership_id)];
    let next = |args: &mut Vec<Arg<'a>>, arg: Arg<'a>| {
        args.push(arg);
        format!("${}", args.len())
    };
    if let Some(stage) = f.min_stage {
        let p = next(&mut args, Arg::Int(stage));
        sql.push_str(&format!(" AND current_stage >= {p}"));
    }
    if let Some(stage) = f.stage {
        let p = next(&mut args, Arg::Int(stage));
        sql.push_str(&format!(" AND current_stage = {p}"));
    }
    if let Some(agency) = &f.agency_id {
        let p = next(&mut args, Arg::Text(agency));
        sql.push_str(&format!(
            " AND (raising_agency_id = {p} OR receiving_agency_id = {p})"
        ));
    }
    if let Some(category) = &f.category {
        let p = next(&mut args, Arg::Text(category));
        sql.push_str(&format!(" AND category = {p}"));
    }
    if let Some(status) = &f.status {
        let p = next(&mut args, Arg::Text(status));
        sql.push_str(&format!(" AND status = {p}"));
    }
    if let Some(day) = &f.overdue_on {
        // Dates are 'YYYY-MM-DD' text, which sorts as the days do.
        let p = next(&mut args, Arg::Text(day));
        sql.push_str(&format!(
            " AND status = 'open' AND (stage_due < {p} OR overall_due < {p})"
        ));
    }
    (sql, args)
}

/// A statement made for one call (its text holds placeholders only) in `dialect`.
fn rendered(dialect: Dialect, sql: &str) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(dialect.render(sql))
}

/// A `COUNT(*)` in column `column` of `row`.
fn count(row: Option<&impl Read>, table: &'static str, column: &str) -> Result<i64, StoreError> {
    match row {
        Some(r) => Cells::new(r, table, &[]).int(column),
        None => Ok(0),
    }
}

/// An escalation row (its columns [`COLUMNS`]).
pub(crate) fn escalation_row(r: &impl Read) -> Result<EscalationRow, StoreError> {
    let c = Cells::new(r, "escalations", &["id"]);
    Ok(EscalationRow {
        id: c.text("id")?,
        partnership_id: c.text("partnership_id")?,
        reference: c.text("reference")?,
        procedure_version: c.int("procedure_version")?,
        version: c.int("version")?,
        route: c.text("route")?,
        subject: c.text("subject")?,
        child_status: c.opt_text("child_status")?,
        category: c.text("category")?,
        status: c.text("status")?,
        outcome: c.opt_text("outcome")?,
        current_stage: c.int("current_stage")?,
        stage_due: c.text("stage_due")?,
        overall_due: c.opt_text("overall_due")?,
        raised_at_us: c.int("raised_at_us")?,
        raised_on: c.text("raised_on")?,
        closed_at_us: c.opt_int("closed_at_us")?,
        resolved_by_events: c.flag("resolved_by_events")?,
        raised_by: c.text("raised_by")?,
        raising_agency_id: c.text("raising_agency_id")?,
        receiving_agency_id: c.text("receiving_agency_id")?,
        receiving_person_id: c.opt_text("receiving_person_id")?,
        summary: c.text("summary")?,
        updated_at_us: c.int("updated_at_us")?,
        wake_on: c.opt_text("wake_on")?,
    })
}

fn stage_row(r: &impl Read) -> Result<StageRow, StoreError> {
    let c = Cells::new(r, "escalation_stages", &["escalation_id", "stage"]);
    Ok(StageRow {
        escalation_id: c.text("escalation_id")?,
        stage: c.int("stage")?,
        started_at_us: c.int("started_at_us")?,
        started_on: c.text("started_on")?,
        due: c.text("due")?,
        agreed_days: c.opt_int("agreed_days")?,
        ended_at_us: c.opt_int("ended_at_us")?,
        record: c.json("record")?,
        meetings: c.int("meetings")?,
    })
}

pub(crate) fn facts_row(r: &impl Read) -> Result<FactsRow, StoreError> {
    let c = Cells::new(r, "escalation_facts", &["escalation_id"]);
    Ok(FactsRow {
        escalation_id: c.text("escalation_id")?,
        partnership_id: c.text("partnership_id")?,
        raised_on: c.text("raised_on")?,
        closed_on: c.opt_text("closed_on")?,
        last_on: c.opt_text("last_on")?,
        facts: c.text("facts")?,
    })
}

pub(crate) fn officer_row(r: &impl Read) -> Result<EscalationOfficerRow, StoreError> {
    let c = Cells::new(
        r,
        "escalation_officers",
        &["escalation_id", "stage", "agency_id"],
    );
    Ok(EscalationOfficerRow {
        escalation_id: c.text("escalation_id")?,
        partnership_id: c.text("partnership_id")?,
        stage: c.int("stage")?,
        agency_id: c.text("agency_id")?,
        person_id: c.text("person_id")?,
        since_us: c.int("since_us")?,
    })
}

fn appointment_row(r: &impl Read) -> Result<EscalationAppointmentRow, StoreError> {
    let c = Cells::new(r, "escalation_appointments", &["escalation_id", "role"]);
    Ok(EscalationAppointmentRow {
        escalation_id: c.text("escalation_id")?,
        partnership_id: c.text("partnership_id")?,
        role: c.text("role")?,
        person_id: c.text("person_id")?,
        stage: c.int("stage")?,
        at_us: c.int("at_us")?,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::backend::SqliteStore;

    /// SQLite's plan for `escalations_involving`: each list drives an index, and the
    /// partnership's escalations are never scanned.
    #[tokio::test]
    async fn sqlite_finds_the_escalations_a_person_is_involved_in_through_the_indexes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.db");
        let store = SqliteStore::open(&path.display().to_string())
            .await
            .unwrap();
        let sql = INVOLVING.get(Dialect::Sqlite);
        let plan: Vec<(i64, i64, i64, String)> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")))
                .bind("p")
                .bind(r#"["a","b"]"#)
                .fetch_all(store.pool())
                .await
                .unwrap();
        let plan: Vec<String> = plan.into_iter().map(|r| r.3).collect();
        for index in [
            "escalations_raised_by",
            "escalations_receiving_person",
            "escalation_officers_person",
        ] {
            assert!(
                plan.iter().any(|l| (l.starts_with("SEARCH e USING")
                    || l.starts_with("SEARCH o USING"))
                    && l.contains(index)),
                "{index} not used: {plan:#?}"
            );
        }
        assert!(
            !plan.iter().any(|l| l.starts_with("SCAN e")
                || l.starts_with("SCAN o")
                || l.starts_with("SCAN escalation")),
            "a scan of the escalations: {plan:#?}"
        );
    }
}
