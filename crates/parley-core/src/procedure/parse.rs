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
mod authority;
mod form;
mod notification;
mod routes;
mod stages;

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
    #[serde(default)]
    report: Vec<S<super::reports::RawReport>>,
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
        let reports = super::reports::check(raw.report, &stage_numbers, &mut self.diagnostics);

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
            reports,
        })
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
