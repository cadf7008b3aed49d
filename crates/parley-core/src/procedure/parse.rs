//! Reading and checking a procedure file. Every problem found is reported with its position
//! in the file, what is wrong and what is allowed; nothing in a file can make this panic.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt;
use std::ops::Range;
use std::str::FromStr;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Deserialize;
use toml::Spanned;

use super::{
    Actor, Anchor, Appointment, CalendarSpec, CapLimit, Compliments, Field, May, MeetingSpec,
    NotificationRule, Outcomes, OverallCap, Procedure, ProcedureId, RaiserRole, Redirection,
    RedirectionKind, Referral, ReferralLead, Route, RouteKind, Screening, Stage, StageAction,
    StageNumber, Timescale,
};
use crate::calendar::{CountingRule, Region, UnknownName, WorkingDays};
use crate::names::{Resolution, Role};

mod agreed_with;
mod form;
mod notification;

use notification::RawNotification;

/// The only format version this build reads.
pub const FORMAT_VERSION: i64 = 1;

/// One problem in a procedure file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Byte range in the file, when the problem has a place.
    pub span: Option<Range<usize>>,
    pub message: String,
    /// What is allowed instead, when that helps.
    pub help: Option<String>,
}

/// Every problem found in a procedure file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ProcedureErrors {
    pub diagnostics: Vec<Diagnostic>,
}

impl fmt::Display for ProcedureErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            f.write_str(&d.message)?;
        }
        Ok(())
    }
}

impl ProcedureErrors {
    /// Renders the problems as `FILE:LINE:COLUMN: error: MESSAGE`, each followed by a
    /// `help:` line where there is one.
    pub fn render(&self, path: &str, source: &str) -> String {
        let mut out = String::new();
        for d in &self.diagnostics {
            let (line, col) = d
                .span
                .as_ref()
                .map_or((1, 1), |s| line_col(source, s.start));
            out.push_str(&format!("{path}:{line}:{col}: error: {}\n", d.message));
            if let Some(help) = &d.help {
                out.push_str(&format!("  help: {help}\n"));
            }
        }
        out
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[line_start..].chars().count() + 1;
    (line, col)
}

// ---------------------------------------------------------------------------------------------
// The file as written. Every value that needs checking keeps its position.

type S<T> = Spanned<T>;

/// A stage's `[stage.may]` table: each action, with who may take it.
type RawMay = BTreeMap<S<String>, S<Vec<S<String>>>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    format: S<i64>,
    procedure: RawIdentity,
    calendar: RawCalendar,
    counting: super::counting::RawCounting,
    overall: Option<S<RawOverall>>,
    screening: RawScreening,
    #[serde(default)]
    route: Vec<S<RawRoute>>,
    #[serde(default)]
    stage: Vec<S<RawStage>>,
    #[serde(default)]
    record_field: Vec<S<RawField>>,
    partnership_form: Option<RawForm>,
    #[serde(default)]
    form: Vec<S<super::forms::RawFormSpec>>,
    #[serde(default)]
    notification: Vec<S<RawNotification>>,
    #[serde(default)]
    category: Vec<S<RawField>>,
    outcomes: S<RawOutcomes>,
    #[serde(default)]
    referral: Vec<S<RawReferral>>,
    #[serde(default)]
    redirection: Vec<S<RawRedirection>>,
    #[serde(default)]
    appointment: Vec<S<RawAppointment>>,
    #[serde(default)]
    not_carried: Vec<S<super::not_carried::RawNotCarried>>,
    compliments: Option<RawCompliments>,
    #[serde(default)]
    prompt: Vec<S<super::prompts::RawPrompt>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCompliments {
    text: S<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIdentity {
    id: S<String>,
    name: S<String>,
    partnership: S<String>,
    short_name: Option<S<String>>,
    version: S<String>,
    date: S<String>,
    source: S<String>,
    url: Option<S<String>>,
    summary: Option<S<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCalendar {
    region: S<String>,
    time_zone: S<String>,
    #[serde(default)]
    closure_days: Vec<S<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOverall {
    working_days: Option<S<i64>>,
    months: Option<S<i64>>,
    text: Option<S<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScreening {
    immediate_risk: S<String>,
    before_raising: Option<S<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoute {
    kind: S<String>,
    entry_stage: S<i64>,
    description: Option<S<String>>,
    raised_by: Option<S<Vec<S<String>>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStage {
    number: S<i64>,
    title: S<String>,
    leads: S<Vec<S<String>>>,
    lead_title: Option<S<String>>,
    guidance: S<String>,
    timescale: S<RawTimescale>,
    timescale_text: Option<S<String>>,
    agreed_with: Option<S<String>>,
    #[serde(default)]
    record: Vec<S<String>>,
    #[serde(default)]
    professionals_meeting: bool,
    meeting: Option<S<RawMeeting>>,
    may: Option<S<RawMay>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMeeting {
    title: S<String>,
    within_working_days: Option<S<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAppointment {
    role: S<String>,
    stage: S<i64>,
    by: S<Vec<S<String>>>,
    child_details: S<bool>,
    text: Option<S<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTimescale {
    working_days: Option<S<i64>>,
    from: Option<S<String>>,
    agreed: Option<S<bool>>,
    max_working_days: Option<S<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawField {
    id: S<String>,
    label: S<String>,
    hint: Option<S<String>>,
    learning: Option<S<bool>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawForm {
    title: S<String>,
    guidance: Option<S<String>>,
    fields: Vec<S<RawField>>,
    from_stage: Option<S<i64>>,
    meeting_request: Option<S<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutcomes {
    allowed: S<Vec<S<String>>>,
    #[serde(default)]
    see_through_when_resolved_by_events: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReferral {
    id: S<String>,
    label: S<String>,
    from_stage: Option<S<i64>>,
    text: S<String>,
    lead: Option<S<String>>,
    timescale: Option<S<RawReferralTimescale>>,
    #[serde(default)]
    then: Vec<S<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReferralTimescale {
    working_days: S<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRedirection {
    kind: S<String>,
    text: S<String>,
}

// ---------------------------------------------------------------------------------------------

/// Reads and checks a procedure file.
pub fn parse(source: &str) -> Result<Procedure, ProcedureErrors> {
    let raw: RawFile = toml::from_str(source).map_err(|e| ProcedureErrors {
        diagnostics: vec![Diagnostic {
            span: e.span(),
            message: tidy_toml_message(e.message()),
            help: None,
        }],
    })?;
    let mut c = Checker::default();
    let procedure = c.procedure(raw);
    match procedure {
        Some(p) if c.diagnostics.is_empty() => Ok(p),
        _ => {
            c.diagnostics
                .sort_by_key(|d| d.span.as_ref().map_or(0, |s| s.start));
            Err(ProcedureErrors {
                diagnostics: c.diagnostics,
            })
        }
    }
}

/// toml's messages end with a newline and sometimes speak of "variant"; keep them on one line.
fn tidy_toml_message(message: &str) -> String {
    message.trim().replace('\n', "; ")
}

#[derive(Default)]
struct Checker {
    diagnostics: Vec<Diagnostic>,
}

impl Checker {
    fn error(&mut self, span: Range<usize>, message: impl Into<String>, help: Option<String>) {
        self.diagnostics.push(Diagnostic {
            span: Some(span),
            message: message.into(),
            help,
        });
    }

    /// A non-empty, trimmed text.
    fn text(&mut self, value: S<String>, what: &str) -> Option<String> {
        let span = value.span();
        let text = value.into_inner();
        if text.trim().is_empty() {
            self.error(span, format!("{what} must not be empty"), None);
            return None;
        }
        Some(text.trim().to_owned())
    }

    fn optional_text(&mut self, value: Option<S<String>>, what: &str) -> Option<String> {
        value.and_then(|v| self.text(v, what))
    }

    fn name<T: FromStr<Err = UnknownName>>(&mut self, value: &S<String>) -> Option<T> {
        match value.get_ref().parse::<T>() {
            Ok(v) => Some(v),
            Err(e) => {
                self.error(
                    value.span(),
                    format!("unknown {} \"{}\"", e.what, e.given),
                    Some(format!("known {}s: {}", e.what, e.known.join(", "))),
                );
                None
            }
        }
    }

    fn date(&mut self, value: &S<String>, what: &str) -> Option<Date> {
        match value.get_ref().parse::<Date>() {
            Ok(d) if value.get_ref().len() == 10 => Some(d),
            _ => {
                self.error(
                    value.span(),
                    format!("{what} \"{}\" is not a valid date", value.get_ref()),
                    Some("write dates as YYYY-MM-DD, e.g. \"2026-12-24\"".to_owned()),
                );
                None
            }
        }
    }

    fn working_days(&mut self, n: &S<i64>, what: &str) -> Option<WorkingDays> {
        match WorkingDays::new(*n.get_ref()) {
            Ok(w) => Some(w),
            Err(e) => {
                self.error(n.span(), format!("{what}: {e}"), None);
                None
            }
        }
    }

    /// A reference to a stage. When the stages themselves are misnumbered (already reported),
    /// references are not checked, so one mistake is reported once.
    fn stage_ref(&mut self, n: &S<i64>, stages: &BTreeSet<i64>, what: &str) -> Option<StageNumber> {
        let v = *n.get_ref();
        let numbered_in_order = stages.iter().copied().eq(1..=stages.len() as i64);
        if !numbered_in_order {
            return None;
        }
        if stages.contains(&v) {
            return StageNumber::new(v);
        }
        let known: Vec<String> = stages.iter().map(i64::to_string).collect();
        self.error(
            n.span(),
            format!("{what} names stage {v}, which does not exist"),
            Some(format!("the stages are {}", known.join(", "))),
        );
        None
    }

    fn procedure(&mut self, raw: RawFile) -> Option<Procedure> {
        if *raw.format.get_ref() != FORMAT_VERSION {
            self.error(
                raw.format.span(),
                format!("format {} is not supported", raw.format.get_ref()),
                Some(format!(
                    "this version of Parley reads format = {FORMAT_VERSION}"
                )),
            );
        }

        // Identity.
        let id_span = raw.procedure.id.span();
        let id = match ProcedureId::parse(raw.procedure.id.get_ref()) {
            Ok(id) => Some(id),
            Err(message) => {
                self.error(id_span, message, None);
                None
            }
        };
        let name = self.text(raw.procedure.name, "procedure.name");
        let partnership = self.text(raw.procedure.partnership, "procedure.partnership");
        let short_name = self.optional_text(raw.procedure.short_name, "procedure.short_name");
        let version = self.text(raw.procedure.version, "procedure.version");
        let date = self.date(&raw.procedure.date, "procedure.date");
        let source = self.text(raw.procedure.source, "procedure.source");
        let url = self.optional_text(raw.procedure.url, "procedure.url");
        let summary = self.optional_text(raw.procedure.summary, "procedure.summary");

        // Calendar.
        let region: Option<Region> = self.name(&raw.calendar.region);
        let tz_name = raw.calendar.time_zone.get_ref().clone();
        let time_zone = match TimeZone::get(&tz_name) {
            Ok(tz) => Some(tz),
            Err(_) => {
                self.error(
                    raw.calendar.time_zone.span(),
                    format!("unknown time zone \"{tz_name}\""),
                    Some("use an IANA time zone name, e.g. \"Europe/London\"".to_owned()),
                );
                None
            }
        };
        let mut closure_days = Vec::new();
        let mut seen = HashSet::new();
        for day in &raw.calendar.closure_days {
            if let Some(d) = self.date(day, "closure day") {
                if !seen.insert(d) {
                    self.error(day.span(), format!("closure day {d} is listed twice"), None);
                }
                closure_days.push(d);
            }
        }
        closure_days.sort();

        let counting: Option<CountingRule> = self.name(&raw.counting.rule);

        // Stages first: other sections refer to them.
        let stage_numbers: BTreeSet<i64> = raw
            .stage
            .iter()
            .map(|s| *s.get_ref().number.get_ref())
            .collect();
        let appointments = self.appointments(raw.appointment, &stage_numbers);
        let stages = self.stages(raw.stage, &raw.record_field, &appointments);
        let day_one = super::counting::day_one(
            &raw.counting,
            counting,
            stages.as_deref(),
            &mut self.diagnostics,
        );
        let record_fields = self.fields(raw.record_field, "record field");
        let categories = self.fields(raw.category, "category");
        let category_ids: BTreeSet<String> = categories.iter().map(|c| c.id.clone()).collect();

        let overall = raw.overall.and_then(|o| self.overall(o));
        let screening = Screening {
            immediate_risk: self
                .text(raw.screening.immediate_risk, "screening.immediate_risk")
                .unwrap_or_default(),
            before_raising: self
                .optional_text(raw.screening.before_raising, "screening.before_raising"),
        };
        let routes = self.routes(raw.route, &stage_numbers);
        let partnership_form = raw
            .partnership_form
            .map(|f| self.partnership_form(f, &stage_numbers));
        let forms =
            super::forms::check(raw.form, partnership_form.is_some(), &mut self.diagnostics);
        let notifications: Vec<NotificationRule> = raw
            .notification
            .into_iter()
            .filter_map(|n| self.notification(n, &stage_numbers, &category_ids))
            .collect();
        let outcomes = self.outcomes(raw.outcomes);
        let referrals = self.referrals(raw.referral, &stage_numbers);
        let redirections = self.redirections(raw.redirection);
        let not_carried = super::not_carried::check(raw.not_carried, &mut self.diagnostics);
        let compliments = raw.compliments.map(|c| Compliments {
            text: self.text(c.text, "compliments.text").unwrap_or_default(),
        });
        let prompts = super::prompts::check(raw.prompt, &mut self.diagnostics);

        Some(Procedure {
            id: id?,
            name: name?,
            partnership: partnership?,
            short_name,
            version: version?,
            date: date?,
            source: source?,
            url,
            summary,
            calendar: CalendarSpec {
                region: region?,
                time_zone_name: tz_name,
                time_zone: time_zone?,
                closure_days,
            },
            counting: counting?,
            day_one: day_one?,
            overall,
            screening,
            routes,
            stages: stages?,
            record_fields,
            partnership_form,
            forms,
            notifications,
            categories,
            outcomes: outcomes?,
            referrals,
            redirections,
            appointments,
            not_carried,
            compliments,
            prompts,
        })
    }

    fn stages(
        &mut self,
        raw: Vec<S<RawStage>>,
        record_fields: &[S<RawField>],
        appointed: &[Appointment],
    ) -> Option<Vec<Stage>> {
        let field_ids: Vec<&str> = record_fields
            .iter()
            .map(|f| f.get_ref().id.get_ref().as_str())
            .collect();
        if raw.is_empty() {
            self.diagnostics.push(Diagnostic {
                span: None,
                message: "the procedure has no stages".to_owned(),
                help: Some("add at least one [[stage]] table".to_owned()),
            });
            return None;
        }
        let mut stages = Vec::new();
        let mut ok = true;
        let mut last_cumulative: Option<(u32, i64)> = None;
        for (i, s) in raw.into_iter().enumerate() {
            let s = s.into_inner();
            let expected = i as i64 + 1;
            let number = *s.number.get_ref();
            if number != expected {
                let message = if number > expected {
                    format!(
                        "stage {number} follows stage {}: stage {expected} is missing",
                        expected - 1
                    )
                } else {
                    format!("stage {number} is out of order: stage {expected} was expected here")
                };
                self.error(
                    s.number.span(),
                    if expected == 1 && number != 1 {
                        format!("the first stage is numbered {number}; stages are numbered from 1")
                    } else {
                        message
                    },
                    Some("number stages 1, 2, 3 ... in order, without gaps".to_owned()),
                );
                ok = false;
            }
            let title = self.text(s.title, "stage title");
            let guidance = self.text(s.guidance, "stage guidance");
            let lead_title = self.optional_text(s.lead_title, "stage lead_title");
            let timescale_text = self.optional_text(s.timescale_text, "stage timescale_text");
            let leads_span = s.leads.span();
            let mut leads = Vec::new();
            for lead in s.leads.into_inner() {
                if let Some(role) = self.name::<super::Role>(&lead) {
                    leads.push(role);
                }
            }
            if leads.is_empty() {
                self.error(
                    leads_span,
                    format!("stage {number} has no lead"),
                    Some(format!(
                        "name at least one role; known roles: {}",
                        Role::ALL
                            .iter()
                            .map(|r| r.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                );
                ok = false;
            }
            let timescale = self.timescale(s.timescale, number, &mut last_cumulative);
            let agreed_with = self.agreed_with(s.agreed_with, timescale, number);
            let meeting = match s.meeting {
                None => Some(None),
                Some(m) => {
                    let m = m.into_inner();
                    let title = self.text(m.title, "stage meeting title");
                    let within = match &m.within_working_days {
                        Some(n) => self
                            .working_days(n, "stage meeting within_working_days")
                            .map(Some),
                        None => Some(None),
                    };
                    match (title, within) {
                        (Some(title), Some(within)) => Some(Some(MeetingSpec { title, within })),
                        _ => None,
                    }
                }
            };
            let provides_meeting = s.professionals_meeting || matches!(meeting, Some(Some(_)));
            let may = self.may(s.may, number, appointed, provides_meeting);
            let mut record = Vec::new();
            for field in s.record {
                if field_ids.contains(&field.get_ref().as_str()) {
                    record.push(field.into_inner());
                } else {
                    self.error(
                        field.span(),
                        format!(
                            "stage {number} keeps record field \"{}\", which is not defined",
                            field.get_ref()
                        ),
                        Some(if field_ids.is_empty() {
                            "define it in a [[record_field]] table".to_owned()
                        } else {
                            format!("defined record fields: {}", field_ids.join(", "))
                        }),
                    );
                }
            }
            match (
                title,
                guidance,
                timescale,
                StageNumber::new(number),
                meeting,
                agreed_with,
            ) {
                (
                    Some(title),
                    Some(guidance),
                    Some(timescale),
                    Some(number),
                    Some(meeting),
                    Some(agreed_with),
                ) => {
                    stages.push(Stage {
                        number,
                        title,
                        leads,
                        lead_title,
                        guidance,
                        timescale,
                        timescale_text,
                        agreed_with,
                        record,
                        professionals_meeting: s.professionals_meeting,
                        meeting,
                        may: may.unwrap_or_else(May::defaults),
                    });
                }
                _ => ok = false,
            }
        }
        ok.then_some(stages)
    }

    fn timescale(
        &mut self,
        raw: S<RawTimescale>,
        stage: i64,
        last_cumulative: &mut Option<(u32, i64)>,
    ) -> Option<Timescale> {
        let span = raw.span();
        let t = raw.into_inner();
        let help = "write { working_days = N, from = \"stage-start\" }, { working_days = N, from = \"day-one\" } \
                    or { agreed = true, max_working_days = N }"
            .to_owned();
        match (t.working_days, t.from, t.agreed, t.max_working_days) {
            (Some(n), Some(from), None, None) => {
                let anchor: Option<Anchor> = self.name(&from);
                let n_span = n.span();
                let days = self.working_days(&n, &format!("stage {stage} timescale"));
                let (anchor, days) = (anchor?, days?);
                if anchor == Anchor::DayOne {
                    if let Some((previous, previous_stage)) = *last_cumulative
                        && days.get() <= previous
                    {
                        self.error(
                            n_span,
                            format!(
                                "stage {stage} is due by day {days} from Day One, \
                                     not after stage {previous_stage} (day {previous})"
                            ),
                            Some(
                                "cumulative timescales must increase from stage to stage"
                                    .to_owned(),
                            ),
                        );
                    }
                    *last_cumulative = Some((days.get(), stage));
                }
                Some(Timescale::Fixed {
                    working_days: days,
                    from: anchor,
                })
            }
            (None, None, Some(agreed), Some(max)) => {
                if !*agreed.get_ref() {
                    self.error(
                        agreed.span(),
                        "agreed = false does not describe a timescale",
                        Some(help),
                    );
                    return None;
                }
                let days = self.working_days(&max, &format!("stage {stage} maximum timescale"))?;
                Some(Timescale::Agreed { max: days })
            }
            (Some(n), None, None, None) => {
                self.error(
                    n.span(),
                    format!("stage {stage} timescale does not say what it counts from"),
                    Some(format!(
                        "add from = \"stage-start\" or from = \"day-one\"; known anchors: {}",
                        Anchor::ALL
                            .iter()
                            .map(|a| a.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                );
                None
            }
            _ => {
                self.error(
                    span,
                    format!("stage {stage} timescale is not one of the allowed forms"),
                    Some(help),
                );
                None
            }
        }
    }

    fn fields(&mut self, raw: Vec<S<RawField>>, what: &str) -> Vec<Field> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for f in raw {
            let f = f.into_inner();
            let id_span = f.id.span();
            let id = f.id.into_inner();
            if !is_slug(&id) {
                self.error(
                    id_span.clone(),
                    format!("{what} id \"{id}\" is not a valid id"),
                    Some(
                        "use lowercase letters, digits and hyphens, starting with a letter"
                            .to_owned(),
                    ),
                );
                continue;
            }
            if !seen.insert(id.clone()) {
                self.error(id_span, format!("{what} id \"{id}\" is used twice"), None);
                continue;
            }
            let label = self.text(f.label, &format!("{what} label"));
            let hint = self.optional_text(f.hint, &format!("{what} hint"));
            // Only a stage record keeps learning (issue 14, item 8).
            let learning = match f.learning {
                Some(l) if what != "record field" => {
                    self.error(
                        l.span(),
                        format!("a {what} cannot be marked as learning"),
                        Some("`learning = true` belongs on a [[record_field]]".to_owned()),
                    );
                    false
                }
                Some(l) => *l.get_ref(),
                None => false,
            };
            if let Some(label) = label {
                out.push(Field {
                    id,
                    label,
                    hint,
                    learning,
                });
            }
        }
        out
    }

    fn overall(&mut self, raw: S<RawOverall>) -> Option<OverallCap> {
        let span = raw.span();
        let o = raw.into_inner();
        let text = self.optional_text(o.text, "overall.text");
        let limit = match (o.working_days, o.months) {
            (Some(n), None) => match WorkingDays::new(*n.get_ref()) {
                Ok(w) => CapLimit::WorkingDays(w),
                Err(e) => {
                    self.error(n.span(), format!("overall.working_days: {e}"), None);
                    return None;
                }
            },
            (None, Some(m)) => {
                let v = *m.get_ref();
                if !(1..=24).contains(&v) {
                    self.error(
                        m.span(),
                        format!("overall.months must be from 1 to 24, not {v}"),
                        None,
                    );
                    return None;
                }
                CapLimit::Months(v as u8)
            }
            _ => {
                self.error(
                    span,
                    "[overall] needs exactly one of working_days or months",
                    Some("e.g. working_days = 15, or months = 1".to_owned()),
                );
                return None;
            }
        };
        Some(OverallCap { limit, text })
    }

    fn routes(&mut self, raw: Vec<S<RawRoute>>, stages: &BTreeSet<i64>) -> Vec<Route> {
        let mut routes: Vec<Route> = Vec::new();
        let mut last_span = None;
        let mut refused = false;
        for r in raw {
            let span = r.span();
            last_span = Some(span.clone());
            let r = r.into_inner();
            let kind: Option<RouteKind> = self.name(&r.kind);
            let entry = self.stage_ref(&r.entry_stage, stages, "route entry_stage");
            let description = self.optional_text(r.description, "route description");
            let raised_by = self.raised_by(r.raised_by);
            let (Some(kind), Some(entry_stage), Some(raised_by)) = (kind, entry, raised_by) else {
                refused = true;
                continue;
            };
            if routes.iter().any(|x| x.kind == kind) {
                self.error(
                    r.kind.span(),
                    format!("route \"{kind}\" is defined twice"),
                    None,
                );
                continue;
            }
            if kind == RouteKind::Individual && entry_stage != StageNumber::FIRST {
                self.error(
                    r.entry_stage.span(),
                    "the individual route must enter at stage 1",
                    None,
                );
                continue;
            }
            routes.push(Route {
                kind,
                entry_stage,
                description,
                raised_by,
            });
        }
        if !refused && !routes.iter().any(|r| r.kind == RouteKind::Individual) {
            self.diagnostics.push(Diagnostic {
                span: last_span,
                message: "the procedure has no individual route".to_owned(),
                help: Some("add [[route]] kind = \"individual\", entry_stage = 1".to_owned()),
            });
        }
        routes
    }

    fn outcomes(&mut self, raw: S<RawOutcomes>) -> Option<Outcomes> {
        let o = raw.into_inner();
        let span = o.allowed.span();
        let mut allowed = Vec::new();
        for a in o.allowed.into_inner() {
            if let Some(r) = self.name::<Resolution>(&a) {
                if allowed.contains(&r) {
                    self.error(a.span(), format!("outcome \"{r}\" is listed twice"), None);
                } else {
                    allowed.push(r);
                }
            }
        }
        if allowed.is_empty() {
            self.error(
                span,
                "outcomes.allowed lists no outcome",
                Some(format!(
                    "known outcomes: {}",
                    Resolution::ALL
                        .iter()
                        .map(|r| r.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            );
            return None;
        }
        Some(Outcomes {
            allowed,
            see_through_when_resolved_by_events: o.see_through_when_resolved_by_events,
        })
    }

    fn referrals(&mut self, raw: Vec<S<RawReferral>>, stages: &BTreeSet<i64>) -> Vec<Referral> {
        let last = stages
            .iter()
            .next_back()
            .copied()
            .and_then(StageNumber::new);
        let mut out: Vec<Referral> = Vec::new();
        // Each referral's `then`, checked once every id is known.
        let mut follows: Vec<(usize, Vec<S<String>>)> = Vec::new();
        for r in raw {
            let r = r.into_inner();
            let id_span = r.id.span();
            let id = r.id.into_inner();
            if !is_slug(&id) {
                self.error(
                    id_span,
                    format!("referral id \"{id}\" is not a valid id"),
                    None,
                );
                continue;
            }
            if out.iter().any(|x| x.id == id) {
                self.error(id_span, format!("referral id \"{id}\" is used twice"), None);
                continue;
            }
            let label = self.text(r.label, "referral label");
            let from_stage = match &r.from_stage {
                Some(s) => self.stage_ref(s, stages, "referral from_stage"),
                None => last,
            };
            let text = self.text(r.text, "referral text");
            let lead = match &r.lead {
                Some(l) => self.name::<ReferralLead>(l).map(Some),
                None => Some(None),
            };
            let timescale = match &r.timescale {
                Some(t) => self
                    .working_days(&t.get_ref().working_days, "referral timescale")
                    .map(Some),
                None => Some(None),
            };
            if let (Some(label), Some(from_stage), Some(text), Some(lead), Some(timescale)) =
                (label, from_stage, text, lead, timescale)
            {
                follows.push((out.len(), r.then));
                out.push(Referral {
                    id,
                    label,
                    from_stage,
                    text,
                    lead,
                    timescale,
                    then: Vec::new(),
                });
            }
        }
        for (i, then) in follows {
            let mut ids: Vec<String> = Vec::new();
            for t in then {
                let given = t.get_ref();
                if !out.iter().any(|r| &r.id == given) {
                    self.error(
                        t.span(),
                        format!("referral then names \"{given}\", which is not a referral"),
                        Some(format!(
                            "referrals: {}",
                            out.iter()
                                .map(|r| r.id.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )),
                    );
                } else if *given == out[i].id {
                    self.error(t.span(), "a referral cannot follow itself", None);
                } else if ids.contains(given) {
                    self.error(
                        t.span(),
                        format!("referral then names \"{given}\" twice"),
                        None,
                    );
                } else {
                    ids.push(given.clone());
                }
            }
            out[i].then = ids;
        }
        out
    }

    /// A list of names from a closed vocabulary: each known, none twice, at least one.
    fn name_list<T: FromStr<Err = UnknownName> + PartialEq + fmt::Display>(
        &mut self,
        raw: S<Vec<S<String>>>,
        what: &str,
        known: &[&str],
    ) -> Option<Vec<(T, Range<usize>)>> {
        let span = raw.span();
        let mut out: Vec<(T, Range<usize>)> = Vec::new();
        let mut ok = true;
        for v in raw.into_inner() {
            match self.name::<T>(&v) {
                Some(x) if out.iter().any(|(y, _)| *y == x) => {
                    self.error(v.span(), format!("{what} lists \"{x}\" twice"), None);
                    ok = false;
                }
                Some(x) => out.push((x, v.span())),
                None => ok = false,
            }
        }
        if ok && out.is_empty() {
            self.error(
                span,
                format!("{what} names nobody"),
                Some(format!("name at least one of: {}", known.join(", "))),
            );
            return None;
        }
        ok.then_some(out)
    }

    /// A route's `raised_by`; Parley default: every raising role.
    fn raised_by(&mut self, raw: Option<S<Vec<S<String>>>>) -> Option<Vec<RaiserRole>> {
        let Some(raw) = raw else {
            return Some(RaiserRole::ALL.to_vec());
        };
        let known: Vec<&str> = RaiserRole::ALL.iter().map(|r| r.as_str()).collect();
        let list = self.name_list::<RaiserRole>(raw, "route raised_by", &known)?;
        Some(list.into_iter().map(|(r, _)| r).collect())
    }

    /// A stage's `[stage.may]` table: the actions it names, each with who may take it; the
    /// actions it leaves out take Parley's default ([`May::default_for`]).
    fn may(
        &mut self,
        raw: Option<S<RawMay>>,
        stage: i64,
        appointments: &[Appointment],
        provides_meeting: bool,
    ) -> Option<May> {
        let Some(raw) = raw else {
            return Some(May::defaults());
        };
        let mut may = May::defaults();
        let mut ok = true;
        let known: Vec<&str> = Actor::ALL.iter().map(|a| a.as_str()).collect();
        for (action, list) in raw.into_inner() {
            let action_span = action.span();
            let Some(action) = self.name::<StageAction>(&action) else {
                ok = false;
                continue;
            };
            // A list for a meeting the stage does not hold would offer nobody anything.
            if action == StageAction::ConveneMeeting && !provides_meeting {
                self.error(
                    action_span,
                    format!("stage {stage} says who may convene-meeting, but holds no meeting"),
                    Some(
                        "give the stage `professionals_meeting = true` or a `meeting`, or leave convene-meeting out"
                            .to_owned(),
                    ),
                );
                ok = false;
            }
            let what = format!("stage {stage} may.{action}");
            let Some(actors) = self.name_list::<Actor>(list, &what, &known) else {
                ok = false;
                continue;
            };
            for (actor, span) in &actors {
                if action.raising_side_only()
                    && matches!(actor, Actor::Receiver | Actor::PartnershipBusinessTeam)
                {
                    self.error(
                        span.clone(),
                        format!("stage {stage}: {action} is the raising side's; \"{actor}\" cannot take it"),
                        Some("name raiser, stage-leads, managers or an appointed role".to_owned()),
                    );
                    ok = false;
                }
                if actor.is_appointed() {
                    let appointed_by_now = appointments
                        .iter()
                        .any(|a| a.role == *actor && i64::from(a.stage.get()) <= stage);
                    if !appointed_by_now {
                        self.error(
                            span.clone(),
                            format!(
                                "stage {stage} names \"{actor}\", but no [[appointment]] appoints one by stage {stage}"
                            ),
                            Some(format!(
                                "add [[appointment]] role = \"{actor}\" with a stage of {stage} or earlier"
                            )),
                        );
                        ok = false;
                    }
                }
            }
            may.0
                .insert(action, actors.into_iter().map(|(a, _)| a).collect());
        }
        ok.then_some(may)
    }

    fn appointments(
        &mut self,
        raw: Vec<S<RawAppointment>>,
        stages: &BTreeSet<i64>,
    ) -> Vec<Appointment> {
        let mut out: Vec<Appointment> = Vec::new();
        let known: Vec<&str> = Actor::ALL.iter().map(|a| a.as_str()).collect();
        for a in raw {
            let a = a.into_inner();
            let role_span = a.role.span();
            let role = match self.name::<Actor>(&a.role) {
                Some(r) if !r.is_appointed() => {
                    self.error(
                        role_span.clone(),
                        format!("\"{r}\" is not a role people are appointed to an escalation in"),
                        Some(format!(
                            "appointed roles: {}",
                            Actor::appointed()
                                .map(|x| x.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )),
                    );
                    None
                }
                r => r,
            };
            let stage = self.stage_ref(&a.stage, stages, "appointment stage");
            let by_span = a.by.span();
            let by = self.name_list::<Actor>(a.by, "appointment by", &known);
            if let (Some(role), Some(by)) = (role, &by)
                && by.iter().any(|(x, _)| *x == role)
            {
                self.error(
                    by_span,
                    format!("\"{role}\" cannot appoint themselves"),
                    Some("name who appoints them, e.g. partnership-business-team".to_owned()),
                );
                continue;
            }
            let text = self.optional_text(a.text, "appointment text");
            let (Some(role), Some(stage), Some(by)) = (role, stage, by) else {
                continue;
            };
            if out.iter().any(|x| x.role == role) {
                self.error(
                    role_span,
                    format!("the appointment of \"{role}\" is defined twice"),
                    None,
                );
                continue;
            }
            out.push(Appointment {
                role,
                stage,
                by: by.into_iter().map(|(x, _)| x).collect(),
                child_details: *a.child_details.get_ref(),
                text,
            });
        }
        out
    }

    fn redirections(&mut self, raw: Vec<S<RawRedirection>>) -> Vec<Redirection> {
        let mut out: Vec<Redirection> = Vec::new();
        for r in raw {
            let r = r.into_inner();
            let Some(kind) = self.name::<RedirectionKind>(&r.kind) else {
                continue;
            };
            if kind == RedirectionKind::ImmediateRisk {
                self.error(
                    r.kind.span(),
                    "immediate risk is not a redirection here",
                    Some("write its text in [screening] immediate_risk".to_owned()),
                );
                continue;
            }
            if out.iter().any(|x| x.kind == kind) {
                self.error(
                    r.kind.span(),
                    format!("redirection \"{kind}\" is defined twice"),
                    None,
                );
                continue;
            }
            if let Some(text) = self.text(r.text, "redirection text") {
                out.push(Redirection { kind, text });
            }
        }
        out
    }
}

fn is_slug(s: &str) -> bool {
    (1..=60).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

#[cfg(test)]
mod tests {
    use super::line_col;

    #[test]
    fn line_col_counts_from_one() {
        let s = "ab\ncdé\nf";
        assert_eq!(line_col(s, 0), (1, 1));
        assert_eq!(line_col(s, 3), (2, 1));
        assert_eq!(line_col(s, 7), (2, 4));
        assert_eq!(line_col(s, 8), (3, 1));
        assert_eq!(line_col(s, 999), (3, 2));
    }
}
