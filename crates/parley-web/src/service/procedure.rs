//! The partnership's current procedure as people read it: who it belongs to and where it
//! comes from, how working days are counted, the routes in, each stage (leads, guidance,
//! timescale, what is recorded), who is told when, categories, outcomes, referrals and what
//! belongs to another procedure. The core's `Procedure` is not serialisable, so this module
//! turns it into plain view structs, used by the page and the API alike. Wording comes from
//! the core where it already has it (the labels of `names`, `Timescale` and `CapLimit` as text,
//! `describe::summary` and `describe::svg`).

use parley_core::calendar::CountingRule;
use parley_core::describe;
use parley_core::procedure::{CapLimit, NotificationRule, Procedure, Timescale};
use serde::Serialize;

use super::escalation::stage_name;
use crate::access;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;

/// Where the diagram is served as an image.
pub const DIAGRAM_PATH: &str = "/procedure/diagram.svg";

/// A procedure, for reading.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ProcedureView {
    pub id: String,
    pub name: String,
    pub partnership: String,
    pub short_name: Option<String>,
    /// As the document gives it, e.g. `November 2018`.
    pub version: String,
    /// The document's date, `YYYY-MM-DD`.
    pub date: String,
    /// The source document.
    pub source: String,
    pub url: Option<String>,
    pub summary: Option<String>,
    /// The partnership's adoption of this version in Parley.
    pub adopted: Adoption,
    pub calendar: CalendarView,
    /// How "within N working days" is counted.
    pub counting: Labelled,
    /// Which date is Day One: `raised` or `decision-date` (issue 14, item 7; Dorset §4), in
    /// words.
    pub day_one: Labelled,
    /// What the people involved are shown when a condition about the child holds
    /// (`[[prompt]]`; Buckinghamshire 2.4.12).
    pub prompts: Vec<PromptRule>,
    /// The limit on a whole escalation, if the procedure sets one.
    pub overall: Option<OverallView>,
    pub screening: ScreeningView,
    pub routes: Vec<RouteView>,
    pub stages: Vec<StageView>,
    pub notifications: Vec<NotificationView>,
    /// The first stage at which the partnership business team is told of an escalation;
    /// `null` when it never is.
    pub business_from: Option<i64>,
    /// The form sent to the partnership, if the procedure has one.
    pub partnership_form: Option<FormView>,
    pub categories: Vec<FieldView>,
    pub outcomes: OutcomesView,
    pub referrals: Vec<ReferralView>,
    pub redirections: Vec<RedirectionView>,
    /// What the document asks of people that Parley does not do, by the document's section.
    pub not_carried: Vec<super::not_carried::NotCarriedSection>,
    /// The flow diagram as an SVG image.
    pub diagram_url: String,
}

/// A name as written in procedure files and the API, and as shown to people.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Labelled {
    pub value: String,
    pub label: String,
}

impl Labelled {
    fn new(value: &str, label: &str) -> Labelled {
        Labelled {
            value: value.to_owned(),
            label: label.to_owned(),
        }
    }
}

/// A prompt of the procedure and when it shows.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PromptRule {
    pub reference: String,
    pub text: String,
    /// The child's ages, on the day it is raised, for which it shows.
    pub child_ages: Vec<u8>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Adoption {
    /// Parley's version number of the partnership's procedure (1, 2, ...).
    pub version: i64,
    /// RFC 3339; `null` if the record is missing.
    pub adopted_at: Option<String>,
    pub adopted_at_us: Option<i64>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CalendarView {
    /// Whose bank holidays count: `england-and-wales`, `scotland` or `northern-ireland`.
    pub region: Labelled,
    pub time_zone: String,
    /// Days the partnership is closed (the procedure's and the partnership's), `YYYY-MM-DD`.
    pub closure_days: Vec<String>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct OverallView {
    /// In words, e.g. `15 working days` or `one month`.
    pub limit: String,
    pub working_days: Option<u32>,
    pub months: Option<u8>,
    /// The document's wording.
    pub text: Option<String>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ScreeningView {
    /// What to do when a child is at immediate risk (the procedure is then not for use).
    pub immediate_risk: String,
    pub before_raising: Option<String>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct RouteView {
    /// `individual`, `thematic` or `strategic`.
    pub kind: Labelled,
    pub entry_stage: u8,
    pub description: Option<String>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct StageView {
    pub number: u8,
    pub title: String,
    /// The number and title as a heading (the title alone where it names the stage).
    pub heading: String,
    pub leads: Vec<Labelled>,
    /// The procedure's own words for who leads.
    pub lead_title: Option<String>,
    /// Paragraphs separated by a blank line.
    pub guidance: String,
    pub timescale: TimescaleView,
    /// The document's wording of the timescale.
    pub timescale_text: Option<String>,
    /// What is recorded at the stage.
    pub record: Vec<FieldView>,
    /// A professionals' meeting may be convened at this stage.
    pub professionals_meeting: bool,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct TimescaleView {
    /// `fixed` (N working days from an anchor) or `agreed` (agreed at the stage, at most N).
    pub kind: String,
    pub working_days: u32,
    /// For `fixed`: `stage-start` or `day-one`.
    pub from: Option<Labelled>,
    /// In words, e.g. `5 working days from the start of the stage`.
    pub text: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct NotificationView {
    /// Who is told.
    pub to: Labelled,
    /// What tells them: `raised`, `stage-entered`, `deadline-passed`, `deadline-approaching`
    /// (a reminder; `when` says how many working days before), `closed`.
    pub on: Labelled,
    /// From this stage on.
    pub from_stage: u8,
    /// Only for a child with one of these statuses (empty: any).
    pub child_statuses: Vec<Labelled>,
    /// Only for these categories (empty: any).
    pub categories: Vec<Labelled>,
    /// Whether the notification may carry the child's details (never for the partnership).
    pub child_details: bool,
    pub address: Option<String>,
    pub text: Option<String>,
    /// When, in words: `When a stage begins, from stage 3`.
    pub when: String,
    /// Conditions in words, if any: `Only if the child's status is Looked after`.
    pub only_if: Option<String>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct FieldView {
    pub id: String,
    pub label: String,
    pub hint: Option<String>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct FormView {
    pub title: String,
    pub guidance: Option<String>,
    pub fields: Vec<FieldView>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct OutcomesView {
    pub allowed: Vec<Labelled>,
    /// When events resolve the dispute, the procedure is still seen through to the end.
    pub see_through_when_resolved_by_events: bool,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ReferralView {
    pub id: String,
    pub label: String,
    pub from_stage: u8,
    pub text: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct RedirectionView {
    pub kind: Labelled,
    pub text: String,
}

/// `text` with its first letter in capitals.
fn sentence(text: &str) -> String {
    let mut c = text.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// How working days are counted, in words.
pub fn counting_text(rule: CountingRule) -> &'static str {
    match rule {
        CountingRule::After => {
            "Working days are counted from the day after the start: the start day does not count, and “within 5 working days” ends at the end of the 5th working day after it."
        }
        CountingRule::DayOne => {
            "Working days are counted from Day One: the start is day 1 if it is a working day (otherwise the next working day is), and 5 working days end at the end of day 5."
        }
    }
}

/// Which date is Day One, in words.
fn day_one_text(day_one: parley_core::procedure::DayOne) -> String {
    match day_one {
        parley_core::procedure::DayOne::Raised => {
            "The day the escalation is raised in Parley.".to_owned()
        }
        parley_core::procedure::DayOne::DecisionDate { latest_entry_day } => format!(
            "The date of the decision to raise it, given when raising: every timescale counts from it. It can be no further back than an escalation raised by working day {latest_entry_day} from it allows."
        ),
    }
}

fn field(p: &Procedure, id: &str) -> FieldView {
    match p.record_field(id) {
        Some(f) => FieldView {
            id: f.id.clone(),
            label: f.label.clone(),
            hint: f.hint.clone(),
        },
        None => FieldView {
            id: id.to_owned(),
            label: id.to_owned(),
            hint: None,
        },
    }
}

fn fields(list: &[parley_core::procedure::Field]) -> Vec<FieldView> {
    list.iter()
        .map(|f| FieldView {
            id: f.id.clone(),
            label: f.label.clone(),
            hint: f.hint.clone(),
        })
        .collect()
}

fn notification(p: &Procedure, n: &NotificationRule) -> NotificationView {
    let mut when = sentence(&n.when());
    if n.from_stage.get() > 1 {
        when = format!("{when}, from stage {}", n.from_stage);
    }
    let categories: Vec<Labelled> = n
        .categories
        .iter()
        .map(|c| Labelled::new(c, p.category(c).map_or(c.as_str(), |f| f.label.as_str())))
        .collect();
    let child_statuses: Vec<Labelled> = n
        .child_status
        .iter()
        .map(|s| Labelled::new(s.as_str(), s.label()))
        .collect();
    let mut conditions = Vec::new();
    if !child_statuses.is_empty() {
        let labels: Vec<&str> = child_statuses.iter().map(|s| s.label.as_str()).collect();
        conditions.push(format!("the child’s status is {}", labels.join(" or ")));
    }
    if !categories.is_empty() {
        let labels: Vec<&str> = categories.iter().map(|s| s.label.as_str()).collect();
        conditions.push(format!("the category is {}", labels.join(" or ")));
    }
    NotificationView {
        to: Labelled::new(n.to.as_str(), n.to.label()),
        on: Labelled::new(n.on.as_str(), n.on.label()),
        from_stage: n.from_stage.get(),
        child_statuses,
        categories,
        child_details: n.child_details,
        address: n.address.clone(),
        text: n.text.clone(),
        when,
        only_if: (!conditions.is_empty()).then(|| format!("Only if {}", conditions.join(" and "))),
    }
}

/// The view of a procedure. `version` and `adopted_at_us` are the partnership's record of
/// adopting it.
pub fn view(p: &Procedure, version: i64, adopted_at_us: Option<i64>) -> ProcedureView {
    let mut closure_days: Vec<String> = p
        .calendar
        .closure_days
        .iter()
        .map(ToString::to_string)
        .collect();
    closure_days.sort();
    closure_days.dedup();
    ProcedureView {
        id: p.id.to_string(),
        name: p.name.clone(),
        partnership: p.partnership.clone(),
        short_name: p.short_name.clone(),
        version: p.version.clone(),
        date: p.date.to_string(),
        source: p.source.clone(),
        url: p.url.clone(),
        summary: p.summary.clone(),
        adopted: Adoption {
            version,
            adopted_at: adopted_at_us
                .and_then(|us| jiff::Timestamp::from_microsecond(us).ok())
                .map(|t| t.to_string()),
            adopted_at_us,
        },
        calendar: CalendarView {
            region: Labelled::new(p.calendar.region.as_str(), p.calendar.region.label()),
            time_zone: p.calendar.time_zone_name.clone(),
            closure_days,
        },
        counting: Labelled::new(p.counting.as_str(), counting_text(p.counting)),
        day_one: Labelled::new(p.day_one.from().as_str(), &day_one_text(p.day_one)),
        prompts: p
            .prompts
            .iter()
            .map(|x| PromptRule {
                reference: x.reference.clone(),
                text: x.text.clone(),
                child_ages: x.child_age.clone(),
            })
            .collect(),
        overall: p.overall.as_ref().map(|cap| OverallView {
            limit: cap.limit.to_string(),
            working_days: match cap.limit {
                CapLimit::WorkingDays(n) => Some(n.get()),
                CapLimit::Months(_) => None,
            },
            months: match cap.limit {
                CapLimit::Months(m) => Some(m),
                CapLimit::WorkingDays(_) => None,
            },
            text: cap.text.clone(),
        }),
        screening: ScreeningView {
            immediate_risk: p.screening.immediate_risk.clone(),
            before_raising: p.screening.before_raising.clone(),
        },
        routes: p
            .routes
            .iter()
            .map(|r| RouteView {
                kind: Labelled::new(r.kind.as_str(), r.kind.label()),
                entry_stage: r.entry_stage.get(),
                description: r.description.clone(),
            })
            .collect(),
        stages: p
            .stages
            .iter()
            .map(|s| StageView {
                number: s.number.get(),
                title: s.title.clone(),
                heading: stage_name(s.number, &s.title),
                leads: s
                    .leads
                    .iter()
                    .map(|r| Labelled::new(r.as_str(), r.label()))
                    .collect(),
                lead_title: s.lead_title.clone(),
                guidance: s.guidance.clone(),
                timescale: match s.timescale {
                    Timescale::Fixed { working_days, from } => TimescaleView {
                        kind: "fixed".to_owned(),
                        working_days: working_days.get(),
                        from: Some(Labelled::new(from.as_str(), from.label())),
                        text: sentence(&s.timescale.to_string()),
                    },
                    Timescale::Agreed { max } => TimescaleView {
                        kind: "agreed".to_owned(),
                        working_days: max.get(),
                        from: None,
                        text: sentence(&s.timescale.to_string()),
                    },
                },
                timescale_text: s.timescale_text.clone(),
                record: s.record.iter().map(|id| field(p, id)).collect(),
                professionals_meeting: s.professionals_meeting,
            })
            .collect(),
        notifications: p.notifications.iter().map(|n| notification(p, n)).collect(),
        business_from: access::business_team_from(p),
        partnership_form: p.partnership_form.as_ref().map(|f| FormView {
            title: f.title.clone(),
            guidance: f.guidance.clone(),
            fields: fields(&f.fields),
        }),
        categories: fields(&p.categories),
        outcomes: OutcomesView {
            allowed: p
                .outcomes
                .allowed
                .iter()
                .map(|r| Labelled::new(r.as_str(), r.label()))
                .collect(),
            see_through_when_resolved_by_events: p.outcomes.see_through_when_resolved_by_events,
        },
        referrals: p
            .referrals
            .iter()
            .map(|r| ReferralView {
                id: r.id.clone(),
                label: r.label.clone(),
                from_stage: r.from_stage.get(),
                text: r.text.clone(),
            })
            .collect(),
        redirections: p
            .redirections
            .iter()
            .map(|r| RedirectionView {
                kind: Labelled::new(r.kind.as_str(), r.kind.label()),
                text: r.text.clone(),
            })
            .collect(),
        not_carried: super::not_carried::sections(&p.not_carried),
        diagram_url: DIAGRAM_PATH.to_owned(),
    }
}

/// The signed-in person's partnership's current procedure, its view, its flow diagram (SVG)
/// and its plain-text summary.
pub struct Current {
    pub view: ProcedureView,
    pub svg: String,
    pub text: String,
}

impl std::fmt::Debug for Current {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Current")
            .field("id", &self.view.id)
            .finish_non_exhaustive()
    }
}

/// The rules of the person's partnership's current procedure.
async fn current_procedure(
    state: &AppState,
    user: &CurrentUser,
) -> Result<(std::sync::Arc<Procedure>, i64, Option<i64>), AppError> {
    let partnership = state.partnership(user.partnership_id()).await?;
    let rules = state.rules(&partnership, None).await?;
    let adopted_at_us = state
        .store
        .procedures(&partnership.id)
        .await?
        .into_iter()
        .find(|r| r.version == partnership.procedure_version)
        .map(|r| r.adopted_at_us);
    Ok((
        rules.procedure,
        partnership.procedure_version,
        adopted_at_us,
    ))
}

/// The person's partnership's current procedure as a view.
pub async fn procedure(state: &AppState, user: &CurrentUser) -> Result<ProcedureView, AppError> {
    let (p, version, adopted) = current_procedure(state, user).await?;
    Ok(view(&p, version, adopted))
}

/// The same, with the diagram and the plain-text summary, for the page.
pub async fn current(state: &AppState, user: &CurrentUser) -> Result<Current, AppError> {
    let (p, version, adopted) = current_procedure(state, user).await?;
    Ok(Current {
        view: view(&p, version, adopted),
        svg: describe::svg(&p),
        text: describe::summary(&p),
    })
}

/// The flow diagram of the person's partnership's current procedure, as SVG.
pub async fn diagram(state: &AppState, user: &CurrentUser) -> Result<String, AppError> {
    let (p, _, _) = current_procedure(state, user).await?;
    Ok(describe::svg(&p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use parley_core::seeds;

    fn seed(id: &str) -> Procedure {
        seeds::get(id).unwrap().unwrap()
    }

    #[test]
    fn every_seed_becomes_a_view() {
        for p in seeds::all().unwrap() {
            let v = view(&p, 1, Some(0));
            assert_eq!(v.stages.len(), p.stages.len());
            assert_eq!(v.notifications.len(), p.notifications.len());
            assert!(v.stages.iter().all(|s| !s.timescale.text.is_empty()));
            assert!(!v.counting.label.is_empty());
            // Serialises (the API returns it).
            serde_json::to_string(&v).unwrap();
        }
    }

    #[test]
    fn croydon_tells_the_partnership_from_stage_3_without_child_details() {
        let v = view(&seed("croydon"), 2, None);
        assert_eq!(v.business_from, Some(3));
        let told: Vec<&NotificationView> = v
            .notifications
            .iter()
            .filter(|n| n.to.value == "partnership-business-team")
            .collect();
        assert!(!told.is_empty());
        assert!(told.iter().all(|n| !n.child_details && n.from_stage >= 3));
        assert_eq!(
            v.stages[0].timescale.text,
            "7 working days from the start of the stage"
        );
        assert_eq!(v.adopted.version, 2);
        assert_eq!(v.adopted.adopted_at, None);
        assert!(v.overall.is_none());
    }

    #[test]
    fn caps_and_anchors_are_described() {
        let bucks = view(&seed("buckinghamshire"), 1, None);
        let cap = bucks.overall.unwrap();
        assert_eq!(
            (cap.limit.as_str(), cap.working_days),
            ("15 working days", Some(15))
        );
        let sunderland = view(&seed("sunderland"), 1, None);
        let cap = sunderland.overall.unwrap();
        assert_eq!((cap.limit.as_str(), cap.months), ("one month", Some(1)));
        assert_eq!(sunderland.stages[0].timescale.kind, "agreed");
        assert_eq!(
            bucks.stages[0].heading,
            "Stage 1: discussion between the professionals involved"
        );
        assert_eq!(
            sunderland.stages[3].heading,
            "Step 4: referral to the Sunderland Safeguarding Children Partnership"
        );
        let dorset = view(&seed("dorset"), 1, None);
        assert_eq!(
            dorset.stages[0].heading,
            "Stage One professional challenge: line managers"
        );
        let solihull = view(&seed("solihull"), 1, None);
        assert_eq!(solihull.stages[2].heading, "Stage 3: Formal resolution");
        assert_eq!(dorset.counting.value, "day-one");
        assert!(dorset.stages.iter().any(|s| {
            s.timescale
                .from
                .as_ref()
                .is_some_and(|f| f.value == "day-one")
        }));
    }
}
