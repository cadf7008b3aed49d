//! A batch's rows as bound statements: each kind of write (`statements.rs`) made once over all
//! of its rows, every column bound as one array (`unnest($k::type[])`), so that a batch costs a
//! statement per kind of row, not per row, and no value is ever part of the SQL text.
//!
//! Writing a kind's rows together moves a row ahead of the other writes that came between it
//! and the rows of its kind before it. That gives what writing the rows one at a time gives
//! when the writes it passes touch other tables and read none it writes ([`commutes`]), and
//! when its key is not already among its kind's rows (one `INSERT ... ON CONFLICT DO UPDATE`
//! may not touch a row twice, and the later row must win). Otherwise the row starts a new
//! write of its kind, after the others: a batch of commands of one kind is a handful of
//! statements, and only rows that depend on each other take more.

use sqlx::Postgres;
use sqlx::pool::PoolConnection;
use sqlx::postgres::PgArguments;
use sqlx::query::Query;

use crate::StoreError;
use crate::backend::cells::Cells;
use crate::backend::statements::{Arg, Sql, Statement, Type};

/// One column of rows, bound as one array.
#[derive(Debug)]
pub(super) enum Column {
    Text(Vec<Option<String>>),
    Int(Vec<Option<i64>>),
    Bool(Vec<Option<bool>>),
    Bytes(Vec<Option<Vec<u8>>>),
}

impl Column {
    fn of(t: Type) -> Column {
        match t {
            Type::Text => Column::Text(Vec::new()),
            Type::Int => Column::Int(Vec::new()),
            Type::Bool => Column::Bool(Vec::new()),
            Type::Bytes => Column::Bytes(Vec::new()),
        }
    }

    /// Whether `arg` fits this column.
    fn fits(&self, arg: &Arg<'_>) -> bool {
        matches!(
            (self, arg),
            (
                Column::Text(_),
                Arg::Text(_) | Arg::OptText(_) | Arg::Owned(_)
            ) | (Column::Int(_), Arg::Int(_) | Arg::OptInt(_))
                | (Column::Bool(_), Arg::Bool(_))
                | (Column::Bytes(_), Arg::Blob(_) | Arg::OptBlob(_))
        )
    }

    fn push(&mut self, arg: &Arg<'_>) {
        match (self, arg) {
            (Column::Text(v), Arg::Text(t)) => v.push(Some((*t).to_owned())),
            (Column::Text(v), Arg::OptText(t)) => v.push(t.map(str::to_owned)),
            (Column::Text(v), Arg::Owned(t)) => v.push(Some(t.clone())),
            (Column::Int(v), Arg::Int(i)) => v.push(Some(*i)),
            (Column::Int(v), Arg::OptInt(i)) => v.push(*i),
            (Column::Bool(v), Arg::Bool(b)) => v.push(Some(*b)),
            (Column::Bytes(v), Arg::Blob(b)) => v.push(Some(b.to_vec())),
            (Column::Bytes(v), Arg::OptBlob(b)) => v.push(b.map(<[u8]>::to_vec)),
            _ => {} // refused by `fits` before
        }
    }

    /// Whether row `i` of this column holds `arg`.
    fn same(&self, i: usize, arg: &Arg<'_>) -> bool {
        match (self, arg) {
            (Column::Text(v), Arg::Text(t)) => v[i].as_deref() == Some(*t),
            (Column::Text(v), Arg::OptText(t)) => v[i].as_deref() == *t,
            (Column::Text(v), Arg::Owned(t)) => v[i].as_deref() == Some(t.as_str()),
            (Column::Int(v), Arg::Int(n)) => v[i] == Some(*n),
            (Column::Int(v), Arg::OptInt(n)) => v[i] == *n,
            (Column::Bool(v), Arg::Bool(b)) => v[i] == Some(*b),
            (Column::Bytes(v), Arg::Blob(b)) => v[i].as_deref() == Some(*b),
            (Column::Bytes(v), Arg::OptBlob(b)) => v[i].as_deref() == *b,
            _ => false,
        }
    }

    fn len(&self) -> usize {
        match self {
            Column::Text(v) => v.len(),
            Column::Int(v) => v.len(),
            Column::Bool(v) => v.len(),
            Column::Bytes(v) => v.len(),
        }
    }

    pub(super) fn bind(
        self,
        query: Query<'static, Postgres, PgArguments>,
    ) -> Query<'static, Postgres, PgArguments> {
        match self {
            Column::Text(v) => query.bind(v),
            Column::Int(v) => query.bind(v),
            Column::Bool(v) => query.bind(v),
            Column::Bytes(v) => query.bind(v),
        }
    }
}

/// Whether text can be stored: PostgreSQL's text holds no NUL character.
pub(super) fn storable(rows: &[Statement<'_>]) -> Result<(), StoreError> {
    let nul = rows.iter().flat_map(|r| &r.args).any(|arg| match arg {
        Arg::Text(t) | Arg::OptText(Some(t)) => t.contains('\0'),
        Arg::Owned(t) => t.contains('\0'),
        _ => false,
    });
    if nul {
        return Err(StoreError::Invalid(
            "text holding a NUL character cannot be stored".to_owned(),
        ));
    }
    Ok(())
}

/// One kind of write over many rows.
#[derive(Debug)]
pub(super) struct Write {
    pub(super) sql: &'static Sql,
    columns: Vec<Column>,
    /// The arguments whose values differ between the rows.
    unique: Vec<usize>,
}

impl Write {
    pub(super) fn new(sql: &'static Sql) -> Write {
        Write {
            sql,
            columns: sql.args.iter().map(|(_, t)| Column::of(*t)).collect(),
            unique: sql.unique(),
        }
    }

    pub(super) fn len(&self) -> usize {
        self.columns.first().map_or(0, Column::len)
    }

    /// Whether a row with `args` has the key of one already here.
    fn repeats(&self, args: &[Arg<'_>]) -> bool {
        !self.unique.is_empty()
            && (0..self.len()).any(|i| {
                self.unique
                    .iter()
                    .all(|&k| args.get(k).is_some_and(|a| self.columns[k].same(i, a)))
            })
    }

    pub(super) fn push(&mut self, args: &[Arg<'_>]) -> Result<(), StoreError> {
        let fits = args.len() == self.columns.len()
            && self.columns.iter().zip(args).all(|(c, a)| c.fits(a));
        if !fits {
            return Err(StoreError::Invalid(format!(
                "the arguments of a {} row do not match its columns",
                self.sql.name
            )));
        }
        for (column, arg) in self.columns.iter_mut().zip(args) {
            column.push(arg);
        }
        Ok(())
    }

    /// The rows as one statement of their own.
    pub(super) async fn execute(
        self,
        conn: &mut PoolConnection<Postgres>,
    ) -> Result<u64, StoreError> {
        let sql = self.sql.rows_text(1, None).ok_or_else(|| {
            StoreError::Invalid(format!("{} is never written for many rows", self.sql.name))
        })?;
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for column in self.columns {
            query = column.bind(query);
        }
        Ok(query.execute(&mut **conn).await?.rows_affected())
    }
}

/// Whether writes `a` and `b` give the same, made in either order: they touch different
/// tables and neither reads the other's.
fn commutes(a: &Sql, b: &Sql) -> bool {
    a.table != b.table && !a.reads.contains(&b.table) && !b.reads.contains(&a.table)
}

/// A batch's rows as writes over many, in an order that gives what writing them one at a time
/// in the batch's order gives (see the module's notes).
#[derive(Debug, Default)]
pub(super) struct Plan(pub(super) Vec<Write>);

impl Plan {
    pub(super) fn add(&mut self, row: &Statement<'_>) -> Result<(), StoreError> {
        let joins = self
            .0
            .iter()
            .rposition(|w| std::ptr::eq(w.sql, row.sql))
            .filter(|&at| {
                !self.0[at].repeats(&row.args)
                    && self.0[at + 1..].iter().all(|w| commutes(w.sql, row.sql))
            });
        let at = match joins {
            Some(at) => at,
            None => {
                self.0.push(Write::new(row.sql));
                self.0.len() - 1
            }
        };
        self.0[at].push(&row.args)
    }

    /// Whether the writes can be parts of one statement, all of which see the database as it
    /// was before it: one write per table, and none reading a table another writes.
    pub(super) fn single(&self) -> bool {
        self.0.iter().enumerate().all(|(i, w)| {
            self.0.iter().enumerate().all(|(j, v)| {
                i == j || (v.sql.table != w.sql.table && !w.sql.reads.contains(&v.sql.table))
            })
        })
    }

    /// Each write as a statement of its own, in order (inside the caller's transaction).
    pub(super) async fn execute(
        self,
        conn: &mut PoolConnection<Postgres>,
    ) -> Result<(), StoreError> {
        for write in self.0 {
            write.execute(conn).await?;
        }
        Ok(())
    }

    /// One statement for a batch of one partnership: the head moved from `old` to `new` only if
    /// it is still `old`, and every write made only if it moved (each a data-modifying `WITH`
    /// query), so that a head moved by anyone else writes nothing. The statement commits on
    /// its own and returns how many heads it moved (1, or 0 when the head had moved).
    pub(super) fn statement(
        self,
        partnership_id: &str,
        old: &(i64, Vec<u8>),
        new: &(i64, Vec<u8>),
    ) -> Option<Query<'static, Postgres, PgArguments>> {
        let mut sql = String::from(
            "WITH moved AS (UPDATE chain_heads SET seq = $1, hash = $2 WHERE partnership_id = $3 AND seq = $4 AND hash = $5 RETURNING 1)",
        );
        let mut n = 6;
        for (t, write) in self.0.iter().enumerate() {
            let text = write.sql.rows_text(n, Some("moved"))?;
            sql.push_str(&format!(", w{t} AS ({text})"));
            n += write.columns.len();
        }
        sql.push_str(" SELECT count(*) AS moved FROM moved");
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(new.0)
            .bind(new.1.clone())
            .bind(partnership_id.to_owned())
            .bind(old.0)
            .bind(old.1.clone());
        for write in self.0 {
            for column in write.columns {
                query = column.bind(query);
            }
        }
        Some(query)
    }
}

/// A chain head: sequence and hash.
pub(super) type Head = (i64, Vec<u8>);

/// A head's move: partnership, the head remembered, the new head.
pub(super) type Move = (String, Head, Head);

/// Moves the chain heads of a batch decided from memory, each only from the head remembered:
/// `(partnership, old, new)`, in partnership order. Returns how many moved: fewer than given
/// when another writer (another instance, a restore) moved one.
pub(super) async fn move_heads(
    conn: &mut PoolConnection<Postgres>,
    heads: &[Move],
) -> Result<usize, StoreError> {
    // A nested loop over the sorted rows takes the heads' row locks in partnership order, as
    // every other path does; should the planner choose otherwise and two instances deadlock,
    // the server refuses one and that batch takes the careful path.
    const MOVE: &str = concat!(
        "UPDATE chain_heads h SET seq = u.seq, hash = u.hash ",
        "FROM (SELECT * FROM unnest($1::text[], $2::int8[], $3::bytea[], $4::int8[], $5::bytea[]) ",
        "AS v(partnership_id, old_seq, old_hash, seq, hash) ORDER BY partnership_id) AS u ",
        "WHERE h.partnership_id = u.partnership_id AND h.seq = u.old_seq AND h.hash = u.old_hash ",
        "RETURNING h.partnership_id"
    );
    let rows = sqlx::query(MOVE)
        .bind(heads.iter().map(|h| h.0.clone()).collect::<Vec<_>>())
        .bind(heads.iter().map(|h| h.1.0).collect::<Vec<_>>())
        .bind(heads.iter().map(|h| h.1.1.clone()).collect::<Vec<_>>())
        .bind(heads.iter().map(|h| h.2.0).collect::<Vec<_>>())
        .bind(heads.iter().map(|h| h.2.1.clone()).collect::<Vec<_>>())
        .fetch_all(&mut **conn)
        .await?;
    Ok(rows.len())
}

/// The chain heads of `partnerships` (sorted), locked for the transaction in that order.
pub(super) async fn lock_heads(
    conn: &mut PoolConnection<Postgres>,
    partnerships: &[&str],
) -> Result<Vec<(String, (i64, Vec<u8>))>, StoreError> {
    let rows = sqlx::query(
        "SELECT partnership_id, seq, hash FROM chain_heads WHERE partnership_id = ANY($1) ORDER BY partnership_id FOR UPDATE",
    )
    .bind(partnerships.iter().map(|p| (*p).to_owned()).collect::<Vec<_>>())
    .fetch_all(&mut **conn)
    .await?;
    rows.iter()
        .map(|row| {
            let c = Cells::new(row, "chain_heads", &["partnership_id"]);
            Ok((c.text("partnership_id")?, (c.int("seq")?, c.bytes("hash")?)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::statements;
    use crate::rows::Op;

    /// The parts of one statement all see the database as it was before it: a write that
    /// reads a table another write of the batch writes (the record of officers is made from
    /// the named officers and the escalations), or two writes of one table, are never one
    /// statement.
    #[test]
    fn writes_that_read_earlier_rows_are_never_one_statement() {
        let entered = Op::StageEntered {
            escalation_id: "e".to_owned(),
            partnership_id: "p".to_owned(),
            stage: 3,
            raising_agency_id: "a1".to_owned(),
            receiving_agency_id: "a2".to_owned(),
            at_us: 1,
        };
        let named = Op::OfficerNamed {
            partnership_id: "p".to_owned(),
            agency_id: "a1".to_owned(),
            stage: 2,
            person_id: "o".to_owned(),
            at_us: 1,
        };
        let stage = Op::Stage(crate::rows::StageRow {
            escalation_id: "e".to_owned(),
            stage: 3,
            started_at_us: 1,
            started_on: "2026-12-21".to_owned(),
            due: "2026-12-22".to_owned(),
            agreed_days: None,
            ended_at_us: None,
            record: Vec::new(),
            meetings: 0,
        });
        let plan = |ops: &[Op]| {
            let mut plan = Plan::default();
            for op in ops {
                plan.add(&statements::op(op)).unwrap();
            }
            plan
        };
        // Reading a table nothing else in the batch writes: one statement.
        for ops in [
            vec![stage.clone()],
            vec![entered.clone()],
            vec![stage.clone(), entered.clone()],
            vec![stage, named.clone()],
        ] {
            assert!(plan(&ops).single(), "{ops:?}");
        }
        for ops in [
            vec![officer("a1", 3, "x"), entered.clone()],
            vec![entered, named.clone()],
        ] {
            assert!(!plan(&ops).single(), "{ops:?}");
        }
        // An escalation row written before an officer is named.
        let mut escalation_then_named = plan(&[named]);
        escalation_then_named
            .0
            .insert(0, Write::new(&statements::ESCALATION));
        assert!(!escalation_then_named.single());
    }

    fn officer(agency: &str, stage: i64, person: &str) -> Op {
        Op::NamedOfficer(crate::rows::NamedOfficerRow {
            partnership_id: "p".to_owned(),
            agency_id: agency.to_owned(),
            stage,
            person_id: person.to_owned(),
        })
    }

    /// Rows of one kind share a write unless their key repeats, or a write they would pass
    /// touches their table or reads it.
    #[test]
    fn rows_share_a_write_only_when_order_does_not_matter() {
        let kinds = |ops: &[Op]| {
            let mut plan = Plan::default();
            for op in ops {
                plan.add(&statements::op(op)).unwrap();
            }
            plan.0
                .iter()
                .map(|w| (w.sql.name, w.len()))
                .collect::<Vec<_>>()
        };
        let entered = Op::StageEntered {
            escalation_id: "e".to_owned(),
            partnership_id: "p".to_owned(),
            stage: 2,
            raising_agency_id: "a1".to_owned(),
            receiving_agency_id: "a2".to_owned(),
            at_us: 1,
        };
        let remove = Op::RemoveNamedOfficer {
            agency_id: "a1".to_owned(),
            stage: 2,
        };
        // Different keys: one write.
        assert_eq!(
            kinds(&[officer("a1", 1, "x"), officer("a1", 2, "y")]),
            [("parley_named_officer", 2)]
        );
        // The same key: the later row in a write after the first.
        assert_eq!(
            kinds(&[officer("a1", 1, "x"), officer("a1", 1, "y")]),
            [("parley_named_officer", 1), ("parley_named_officer", 1)]
        );
        // A removal between two namings: the second naming comes after it.
        assert_eq!(
            kinds(&[officer("a1", 1, "x"), remove.clone(), officer("a2", 1, "y")]),
            [
                ("parley_named_officer", 1),
                ("parley_remove_named_officer", 1),
                ("parley_named_officer", 1)
            ]
        );
        // A stage entered reads the named officers: a naming after it may not pass it.
        assert_eq!(
            kinds(&[officer("a1", 1, "x"), entered, officer("a2", 2, "y")]),
            [
                ("parley_named_officer", 1),
                ("parley_stage_entered", 1),
                ("parley_named_officer", 1)
            ]
        );
        // Writes of other tables that read nothing: passed freely.
        let child = |id: &str| Op::Child {
            escalation_id: id.to_owned(),
            details: "d".to_owned(),
        };
        assert_eq!(
            kinds(&[child("e1"), officer("a1", 1, "x"), child("e2"), remove]),
            [
                ("parley_child", 2),
                ("parley_named_officer", 1),
                ("parley_remove_named_officer", 1)
            ]
        );
    }
}
