//! What each event says, as stored (JSON). These are the store's own types: the core's
//! events are mapped to and from them here, so the core never depends on a storage format.

use jiff::Timestamp;
use parley_core::WorkingDays;
use parley_core::agreement::{Dissent, Proposal};
use parley_core::escalation::{Deadline, Event, Subject};
use parley_core::meeting::{MeetingPlan, MeetingRecord};
use parley_core::names::{Actor, ChildStatus, Party, RedirectionKind, Resolution, RouteKind, Side};
use parley_core::procedure::StageNumber;
use serde::{Deserialize, Serialize};

/// The minimal identifiers of a child, given when raising (DESIGN.md §3). Only people involved
/// in the escalation and their managers may see them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChildDetails {
    /// Name or initials, as the agencies know the child.
    pub name: String,
    pub date_of_birth: Option<String>,
    /// An agency's case number or NHS number, if given.
    pub identifier: Option<String>,
}

/// Everything a raise records beyond the state machine's own inputs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Raised {
    pub escalation_id: String,
    /// Human reference, e.g. `DOR-2026-0042`.
    pub reference: String,
    pub procedure_version: i64,
    pub route: String,
    /// `child` or `thematic`.
    pub subject: String,
    pub child_status: Option<String>,
    pub child: Option<ChildDetails>,
    pub category: String,
    pub raised_by: String,
    pub raising_agency_id: String,
    pub receiving_agency_id: String,
    pub receiving_person_id: Option<String>,
    /// The decision, action or inaction challenged. Must not identify the child.
    pub summary: String,
    pub decision: String,
    pub evidence: String,
    pub outcome_wanted: String,
    /// `YYYY-MM-DD`: the date of the decision to raise it, Day One where the procedure counts
    /// from it (Dorset §4). Left out otherwise, and in raises stored before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_on: Option<String>,
}

/// One event's payload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Payload {
    PartnershipCreated {
        name: String,
        short_name: Option<String>,
    },
    /// The partnership adopts a procedure (a new version each time).
    ProcedureAdopted {
        version: i64,
        procedure_id: String,
        source: String,
    },
    ClosureDaysSet {
        days: Vec<String>,
    },
    /// The partnership's threshold for published reports (issue 17, item 3: "counts between
    /// 1 and the partnership's threshold (default 5)").
    ReportThresholdSet {
        threshold: u32,
    },
    /// A report the procedure calls for fell due for a period (on the stream
    /// `report:<id>`): the business team is reminded.
    ReportDue {
        report: String,
        /// `YYYY-MM-DD`, the period's first and last days.
        from: String,
        to: String,
    },
    AgencyAdded {
        agency_id: String,
        name: String,
        sector: String,
    },
    /// A person added, or their details replaced.
    PersonSaved {
        person_id: String,
        agency_id: Option<String>,
        name: String,
        email: String,
        job_title: String,
        roles: Vec<String>,
        line_manager_id: Option<String>,
        active: bool,
    },
    NamedOfficerSet {
        agency_id: String,
        stage: i64,
        person_id: Option<String>,
    },
    ComplimentGiven {
        compliment_id: String,
        from_person_id: String,
        to_person_id: String,
        message: String,
    },
    EscalationRaised(Box<Raised>),
    StageRecordUpdated {
        stage: i64,
        fields: Vec<(String, String)>,
    },
    TimescaleAgreed {
        working_days: i64,
    },
    Escalated,
    /// Stored before meetings were records: a meeting with no details.
    ProfessionalsMeetingConvened,
    /// A meeting arranged (issue 14, item 6): when, its chair, who and which agencies are
    /// invited (person and agency ids).
    MeetingArranged {
        held_at_us: i64,
        chair: Option<String>,
        invited_people: Vec<String>,
        invited_agencies: Vec<String>,
    },
    /// What meeting `meeting` (1 for the first arranged) was, once held.
    MeetingRecorded {
        meeting: i64,
        attended_people: Vec<String>,
        attended_agencies: Vec<String>,
        outcome: String,
        actions: String,
    },
    /// `by-events`; or, stored before issue 14 item 2, `agreed` or `disagreement-recorded` by
    /// one person alone (replayed as `Event::ResolvedUnconfirmed`).
    Resolved {
        resolution: String,
    },
    /// One side proposes an agreement (issue 14, item 2): `resolution` (to resolve it by
    /// agreement) or `timescale` (of `working_days`, at a stage whose timescale is agreed with
    /// a person). `by` is the proposing side, `raising` or `receiving`.
    AgreementProposed {
        proposal: String,
        working_days: Option<i64>,
        by: String,
    },
    /// The party the proposal awaits (`names::Party`) confirms it.
    AgreementConfirmed {
        by: String,
    },
    /// The party the proposal awaits refuses it; the reason is the event's.
    AgreementRefused {
        by: String,
    },
    /// The proposing side withdraws its proposal.
    ProposalWithdrawn {
        by: String,
    },
    /// Resolved with the disagreement recorded, and the dissent statement (read by the
    /// business team: none of it may identify the child).
    DisagreementRecorded {
        who: String,
        why: String,
        raising_side_will: String,
        receiving_side_will: String,
    },
    /// Before referral steps (issue 14, item 5): referred on, which closed the escalation.
    /// Still replays as closed.
    ReferredOn {
        referral: String,
    },
    /// Referred on to a referral step; the escalation stays open at it.
    ReferralMade {
        referral: String,
    },
    /// What came of the referral step; closes the escalation as referred on.
    ReferralOutcomeRecorded {
        outcome: String,
    },
    Withdrawn,
    Redirected {
        redirection: String,
    },
    DeadlinePassed {
        /// `overall`, the stage number, or `referral-N` (the escalation's Nth referral step).
        deadline: String,
    },
    /// A reminder of a running deadline, `before` working days ahead of it (issue 15).
    DeadlineApproaching {
        /// As for `DeadlinePassed`.
        deadline: String,
        before: i64,
    },
    /// A person appointed to the escalation in a partnership role (issue 14, item 4).
    Appointed {
        /// One of the procedure's appointed roles (`names::Actor`), e.g. `independent-chair`.
        role: String,
        person_id: String,
    },
    /// The partnership form was sent (Croydon Appendix A, Sunderland Appendix 1): (field id,
    /// text) in the form's order. Never a child's details (checked before it is stored).
    PartnershipFormSent {
        answers: Vec<(String, String)>,
    },
    /// Someone was shown a child's details. On the escalation's access stream
    /// (`access:<escalation id>`), never on the escalation's own: reading changes nothing a
    /// form is based on. Projects to nothing.
    ChildDetailsRead {
        /// The person id of the reader.
        reader: String,
    },
    /// An earlier event's content (actor, reason, payload, salt) was removed, on this
    /// authority (`parley audit purge`). On the stream `purge:<purged seq>`, so an event is
    /// purged at most once; the purge itself can never be purged. The reason is the event's
    /// own `reason`. Projects to nothing.
    EventPurged {
        purged_seq: i64,
        /// The purged event's hash, hex: what the database's guard and `audit verify` match.
        purged_hash: String,
        purged_kind: String,
        /// The legal basis or the reference of the decision (the DPO's, say).
        authority: String,
    },
}

/// The kind of a purge record.
pub const EVENT_PURGED: &str = "event-purged";

/// A payload that cannot be turned back into a core event (a stored value out of range).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("stored event is not readable: {0}")]
pub struct Unreadable(pub String);

fn parse<T: std::str::FromStr>(s: &str) -> Result<T, Unreadable>
where
    T::Err: std::fmt::Display,
{
    s.parse().map_err(|e: T::Err| Unreadable(e.to_string()))
}

fn deadline(s: &str) -> Result<Deadline, Unreadable> {
    Deadline::parse(s).ok_or_else(|| Unreadable(format!("deadline {s}")))
}

fn stage(n: i64) -> Result<StageNumber, Unreadable> {
    StageNumber::new(n).ok_or_else(|| Unreadable(format!("stage {n}")))
}

impl Payload {
    /// The event kind stored beside the payload.
    pub fn kind(&self) -> &'static str {
        match self {
            Payload::PartnershipCreated { .. } => "partnership-created",
            Payload::ProcedureAdopted { .. } => "procedure-adopted",
            Payload::ClosureDaysSet { .. } => "closure-days-set",
            Payload::ReportThresholdSet { .. } => "report-threshold-set",
            Payload::ReportDue { .. } => "report-due",
            Payload::AgencyAdded { .. } => "agency-added",
            Payload::PersonSaved { .. } => "person-saved",
            Payload::NamedOfficerSet { .. } => "named-officer-set",
            Payload::ComplimentGiven { .. } => "compliment-given",
            Payload::EscalationRaised(_) => "raised",
            Payload::StageRecordUpdated { .. } => "stage-record-updated",
            Payload::TimescaleAgreed { .. } => "timescale-agreed",
            Payload::Escalated => "escalated",
            Payload::ProfessionalsMeetingConvened => "professionals-meeting-convened",
            Payload::MeetingArranged { .. } => "meeting-arranged",
            Payload::MeetingRecorded { .. } => "meeting-recorded",
            Payload::Resolved { .. } => "resolved",
            Payload::AgreementProposed { .. } => "agreement-proposed",
            Payload::AgreementConfirmed { .. } => "agreement-confirmed",
            Payload::AgreementRefused { .. } => "agreement-refused",
            Payload::ProposalWithdrawn { .. } => "proposal-withdrawn",
            Payload::DisagreementRecorded { .. } => "disagreement-recorded",
            Payload::ReferredOn { .. } => "referred-on",
            Payload::ReferralMade { .. } => "referral-made",
            Payload::ReferralOutcomeRecorded { .. } => "referral-outcome-recorded",
            Payload::Withdrawn => "withdrawn",
            Payload::Redirected { .. } => "redirected",
            Payload::DeadlinePassed { .. } => "deadline-passed",
            Payload::DeadlineApproaching { .. } => "deadline-approaching",
            Payload::Appointed { .. } => "appointed",
            Payload::PartnershipFormSent { .. } => "partnership-form-sent",
            Payload::ChildDetailsRead { .. } => "child-details-read",
            Payload::EventPurged { .. } => EVENT_PURGED,
        }
    }

    /// The state-machine event this payload records, if it is about an escalation.
    pub fn to_core(&self) -> Result<Option<Event>, Unreadable> {
        Ok(Some(match self {
            Payload::EscalationRaised(r) => Event::Raised {
                route: parse::<RouteKind>(&r.route)?,
                subject: match (r.subject.as_str(), &r.child_status) {
                    ("thematic", _) => Subject::Thematic,
                    ("child", Some(status)) => Subject::Child {
                        status: parse::<ChildStatus>(status)?,
                    },
                    (other, _) => return Err(Unreadable(format!("subject {other}"))),
                },
                category: r.category.clone(),
                decided_on: r
                    .decided_on
                    .as_deref()
                    .map(parse::<jiff::civil::Date>)
                    .transpose()?,
            },
            Payload::StageRecordUpdated { stage: n, fields } => Event::StageRecordUpdated {
                stage: stage(*n)?,
                fields: fields.clone(),
            },
            Payload::TimescaleAgreed { working_days } => Event::TimescaleAgreed {
                working_days: WorkingDays::new(*working_days)
                    .map_err(|e| Unreadable(e.to_string()))?,
            },
            Payload::Escalated => Event::Escalated,
            Payload::ProfessionalsMeetingConvened => Event::ProfessionalsMeetingConvened,
            Payload::MeetingArranged {
                held_at_us,
                chair,
                invited_people,
                invited_agencies,
            } => Event::MeetingArranged(MeetingPlan {
                held_at: Timestamp::from_microsecond(*held_at_us)
                    .map_err(|e| Unreadable(format!("meeting time {held_at_us}: {e}")))?,
                chair: chair.clone(),
                invited_people: invited_people.clone(),
                invited_agencies: invited_agencies.clone(),
            }),
            Payload::MeetingRecorded {
                meeting,
                attended_people,
                attended_agencies,
                outcome,
                actions,
            } => Event::MeetingRecorded {
                meeting: u32::try_from(*meeting)
                    .ok()
                    .filter(|m| *m >= 1)
                    .ok_or_else(|| Unreadable(format!("meeting {meeting}")))?,
                record: MeetingRecord {
                    attended_people: attended_people.clone(),
                    attended_agencies: attended_agencies.clone(),
                    outcome: outcome.clone(),
                    actions: actions.clone(),
                },
            },
            Payload::Resolved { resolution } => match parse::<Resolution>(resolution)? {
                Resolution::ByEvents => Event::Resolved {
                    resolution: Resolution::ByEvents,
                },
                // Stored before agreement took both sides: replayed as it was.
                resolution => Event::ResolvedUnconfirmed { resolution },
            },
            Payload::AgreementProposed {
                proposal,
                working_days,
                by,
            } => Event::AgreementProposed {
                proposal: match (proposal.as_str(), working_days) {
                    ("resolution", None) => Proposal::Resolution,
                    ("timescale", Some(n)) => Proposal::Timescale(
                        WorkingDays::new(*n).map_err(|e| Unreadable(e.to_string()))?,
                    ),
                    (other, _) => return Err(Unreadable(format!("proposal {other}"))),
                },
                by: parse::<Side>(by)?,
            },
            Payload::AgreementConfirmed { by } => Event::AgreementConfirmed {
                by: parse::<Party>(by)?,
            },
            Payload::AgreementRefused { by } => Event::AgreementRefused {
                by: parse::<Party>(by)?,
            },
            Payload::ProposalWithdrawn { by } => Event::ProposalWithdrawn {
                by: parse::<Side>(by)?,
            },
            Payload::DisagreementRecorded {
                who,
                why,
                raising_side_will,
                receiving_side_will,
            } => Event::DisagreementRecorded(Dissent {
                who: who.clone(),
                why: why.clone(),
                raising_side_will: raising_side_will.clone(),
                receiving_side_will: receiving_side_will.clone(),
            }),
            Payload::ReferredOn { referral } => Event::ReferredOn {
                referral: referral.clone(),
            },
            Payload::ReferralMade { referral } => Event::ReferralMade {
                referral: referral.clone(),
            },
            Payload::ReferralOutcomeRecorded { outcome } => Event::ReferralOutcomeRecorded {
                outcome: outcome.clone(),
            },
            Payload::Withdrawn => Event::Withdrawn,
            Payload::Redirected { redirection } => Event::Redirected {
                kind: parse::<RedirectionKind>(redirection)?,
            },
            Payload::DeadlinePassed { deadline: d } => Event::DeadlinePassed {
                deadline: deadline(d)?,
            },
            Payload::DeadlineApproaching {
                deadline: d,
                before,
            } => Event::DeadlineApproaching {
                deadline: deadline(d)?,
                before: WorkingDays::new(*before).map_err(|e| Unreadable(e.to_string()))?,
            },
            Payload::Appointed { role, person_id } => Event::Appointed {
                role: parse::<Actor>(role)?,
                person: person_id.clone(),
            },
            Payload::PartnershipFormSent { answers } => Event::PartnershipFormSent {
                answers: answers.clone(),
            },
            _ => return Ok(None),
        }))
    }

    /// The payload for a state-machine event other than `Raised` (which needs the case) and
    /// `ResolvedUnconfirmed` (only ever replayed: nothing records one side's word alone now).
    pub fn from_core(event: &Event) -> Option<Payload> {
        Some(match event {
            Event::Raised { .. } | Event::ResolvedUnconfirmed { .. } => return None,
            Event::StageRecordUpdated { stage, fields } => Payload::StageRecordUpdated {
                stage: i64::from(stage.get()),
                fields: fields.clone(),
            },
            Event::TimescaleAgreed { working_days } => Payload::TimescaleAgreed {
                working_days: i64::from(working_days.get()),
            },
            Event::Escalated => Payload::Escalated,
            Event::ProfessionalsMeetingConvened => Payload::ProfessionalsMeetingConvened,
            Event::MeetingArranged(plan) => Payload::MeetingArranged {
                held_at_us: plan.held_at.as_microsecond(),
                chair: plan.chair.clone(),
                invited_people: plan.invited_people.clone(),
                invited_agencies: plan.invited_agencies.clone(),
            },
            Event::MeetingRecorded { meeting, record } => Payload::MeetingRecorded {
                meeting: i64::from(*meeting),
                attended_people: record.attended_people.clone(),
                attended_agencies: record.attended_agencies.clone(),
                outcome: record.outcome.clone(),
                actions: record.actions.clone(),
            },
            Event::Resolved { resolution } => Payload::Resolved {
                resolution: resolution.as_str().to_owned(),
            },
            Event::AgreementProposed { proposal, by } => Payload::AgreementProposed {
                proposal: match proposal {
                    Proposal::Resolution => "resolution",
                    Proposal::Timescale(_) => "timescale",
                }
                .to_owned(),
                working_days: match proposal {
                    Proposal::Resolution => None,
                    Proposal::Timescale(n) => Some(i64::from(n.get())),
                },
                by: by.as_str().to_owned(),
            },
            Event::AgreementConfirmed { by } => Payload::AgreementConfirmed {
                by: by.as_str().to_owned(),
            },
            Event::AgreementRefused { by } => Payload::AgreementRefused {
                by: by.as_str().to_owned(),
            },
            Event::ProposalWithdrawn { by } => Payload::ProposalWithdrawn {
                by: by.as_str().to_owned(),
            },
            Event::DisagreementRecorded(d) => Payload::DisagreementRecorded {
                who: d.who.clone(),
                why: d.why.clone(),
                raising_side_will: d.raising_side_will.clone(),
                receiving_side_will: d.receiving_side_will.clone(),
            },
            Event::ReferredOn { referral } => Payload::ReferredOn {
                referral: referral.clone(),
            },
            Event::ReferralMade { referral } => Payload::ReferralMade {
                referral: referral.clone(),
            },
            Event::ReferralOutcomeRecorded { outcome } => Payload::ReferralOutcomeRecorded {
                outcome: outcome.clone(),
            },
            Event::Withdrawn => Payload::Withdrawn,
            Event::Redirected { kind } => Payload::Redirected {
                redirection: kind.as_str().to_owned(),
            },
            Event::DeadlinePassed { deadline } => Payload::DeadlinePassed {
                deadline: deadline.as_stored(),
            },
            Event::DeadlineApproaching { deadline, before } => Payload::DeadlineApproaching {
                deadline: deadline.as_stored(),
                before: i64::from(before.get()),
            },
            Event::Appointed { role, person } => Payload::Appointed {
                role: role.as_str().to_owned(),
                person_id: person.clone(),
            },
            Event::PartnershipFormSent { answers } => Payload::PartnershipFormSent {
                answers: answers.clone(),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 14, item 7: the decision date is kept with the raise, and a raise stored before
    /// it existed reads as having none (its JSON, and so its hash, unchanged).
    #[test]
    fn the_decision_date_is_kept_and_old_raises_read_without_one() {
        let json = r#"{"type":"escalation-raised","escalation_id":"e1","reference":"DOR-2026-0001","procedure_version":1,"route":"individual","subject":"child","child_status":"none","child":null,"category":"other","raised_by":"p1","raising_agency_id":"a1","receiving_agency_id":"a2","receiving_person_id":null,"summary":"s","decision":"d","evidence":"e","outcome_wanted":"o"}"#;
        let old: Payload = serde_json::from_str(json).unwrap();
        assert_eq!(
            serde_json::to_string(&old).unwrap(),
            json,
            "stored as it was"
        );
        let Some(Event::Raised { decided_on, .. }) = old.to_core().unwrap() else {
            panic!("not a raise");
        };
        assert_eq!(decided_on, None);
        let Payload::EscalationRaised(mut r) = old else {
            panic!("not a raise");
        };
        r.decided_on = Some("2026-11-19".into());
        let new = Payload::EscalationRaised(r);
        let back: Payload = serde_json::from_str(&serde_json::to_string(&new).unwrap()).unwrap();
        let Some(Event::Raised { decided_on, .. }) = back.to_core().unwrap() else {
            panic!("not a raise");
        };
        assert_eq!(decided_on, Some(jiff::civil::date(2026, 11, 19)));
        let Payload::EscalationRaised(mut r) = back else {
            panic!("not a raise");
        };
        r.decided_on = Some("19/11/2026".into());
        assert!(Payload::EscalationRaised(r).to_core().is_err());
    }

    #[test]
    fn core_events_round_trip() {
        let events = [
            Event::StageRecordUpdated {
                stage: StageNumber::new(2).unwrap(),
                fields: vec![("outcome".into(), "agreed".into())],
            },
            Event::TimescaleAgreed {
                working_days: WorkingDays::new(4).unwrap(),
            },
            Event::Escalated,
            Event::ProfessionalsMeetingConvened,
            Event::MeetingArranged(MeetingPlan {
                held_at: "2026-12-01T09:30:00Z".parse().unwrap(),
                chair: Some("chair-id".into()),
                invited_people: vec!["p1".into(), "p2".into()],
                invited_agencies: vec!["a1".into()],
            }),
            Event::MeetingRecorded {
                meeting: 1,
                record: MeetingRecord {
                    attended_people: vec!["p1".into()],
                    attended_agencies: vec![],
                    outcome: "Agreed a plan.".into(),
                    actions: "Both to write.".into(),
                },
            },
            Event::Resolved {
                resolution: Resolution::ByEvents,
            },
            Event::AgreementProposed {
                proposal: Proposal::Resolution,
                by: Side::Receiving,
            },
            Event::AgreementProposed {
                proposal: Proposal::Timescale(WorkingDays::new(3).unwrap()),
                by: Side::Raising,
            },
            Event::AgreementConfirmed { by: Party::Raiser },
            Event::AgreementRefused {
                by: Party::RaisingSide,
            },
            Event::ProposalWithdrawn {
                by: Side::Receiving,
            },
            Event::DisagreementRecorded(Dissent {
                who: "The school".into(),
                why: "It still thinks a visit is needed.".into(),
                raising_side_will: "Keep the plan under review.".into(),
                receiving_side_will: "Visit monthly.".into(),
            }),
            Event::ReferredOn {
                referral: "ofsted".into(),
            },
            Event::ReferralMade {
                referral: "independent-scrutineer".into(),
            },
            Event::ReferralOutcomeRecorded {
                outcome: "The partners agreed a joint plan.".into(),
            },
            Event::DeadlinePassed {
                deadline: Deadline::Referral(2),
            },
            Event::DeadlineApproaching {
                deadline: Deadline::Referral(1),
                before: WorkingDays::new(2).unwrap(),
            },
            Event::DeadlineApproaching {
                deadline: Deadline::Stage(StageNumber::new(4).unwrap()),
                before: WorkingDays::new(1).unwrap(),
            },
            Event::DeadlineApproaching {
                deadline: Deadline::Overall,
                before: WorkingDays::new(3).unwrap(),
            },
            Event::Withdrawn,
            Event::Redirected {
                kind: RedirectionKind::AllegationAgainstStaff,
            },
            Event::DeadlinePassed {
                deadline: Deadline::Overall,
            },
            Event::DeadlinePassed {
                deadline: Deadline::Stage(StageNumber::new(3).unwrap()),
            },
            Event::Appointed {
                role: parley_core::names::Actor::IndependentChair,
                person: "p1".into(),
            },
            Event::PartnershipFormSent {
                answers: vec![("concern".into(), "The plan was ended early.".into())],
            },
        ];
        for e in events {
            let p = Payload::from_core(&e).unwrap();
            let json = serde_json::to_string(&p).unwrap();
            let back: Payload = serde_json::from_str(&json).unwrap();
            assert_eq!(back.to_core().unwrap(), Some(e), "{json}");
        }
    }

    /// Stored before agreement took both sides (issue 14, item 2): a one-sided `agreed` or
    /// `disagreement-recorded` replays as it was, and is never written again.
    #[test]
    fn one_sided_resolutions_replay_and_are_not_written() {
        for r in [Resolution::Agreed, Resolution::DisagreementRecorded] {
            let stored = Payload::Resolved {
                resolution: r.as_str().to_owned(),
            };
            let event = stored.to_core().unwrap().unwrap();
            assert_eq!(event, Event::ResolvedUnconfirmed { resolution: r });
            assert_eq!(event.kind(), stored.kind());
            assert_eq!(Payload::from_core(&event), None);
        }
    }
}
