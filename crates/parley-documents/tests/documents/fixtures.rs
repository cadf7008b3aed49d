//! The documents' test data: a month of escalations for the report, and one escalation with
//! a child for the forms. The child's details are markers no other input holds, so finding
//! one in a document shows where the child's details went.

use jiff::Zoned;
use jiff::civil::{Date, date};
use parley_core::names::RouteKind;
use parley_core::{BankHolidays, Calendar, ProcedureId, Region, StageNumber};
use parley_documents::input::{
    Case, CaseSummary, ChildDetails, Confirmation, Entry, FormHeading, FormSection,
    PartnershipNotification, Person, ReferralProforma, StageRecord, StageRecordForm, Submission,
};
use parley_report::figures::{
    Closed, EscalationFacts, Figures, LearningFact, Named, Outcome, StageFacts, figures,
};
use parley_report::{Period, Preset};

/// Text that typst would read as code or markup if it were ever put into a template's
/// source: a call, a closing bracket, maths, strong emphasis, a label, and HTML.
pub(crate) const HOSTILE: &str = "#panic(\"boom\") ] $x^2$ *strong* _em_ <script>alert(1)</script>";

/// The child's details: found only where the child may be seen.
pub(crate) const CHILD_MARKERS: [&str; 3] =
    ["Quillifer Zanzibar", "943 476 5919", "29 February 2012"];

pub(crate) fn calendar() -> Calendar {
    Calendar::new(Region::EnglandAndWales, &BankHolidays::built_in(), &[]).unwrap()
}

pub(crate) fn march() -> Period {
    Preset::Month.containing(date(2026, 3, 1)).unwrap()
}

fn n(s: i64) -> StageNumber {
    StageNumber::new(s).unwrap()
}

/// Eleven escalations in March 2026: seven about thresholds between the police and
/// children's social care (enough to publish), three about information sharing, and one
/// whose category is [`HOSTILE`]. Some close, some reach stage 3.
pub(crate) fn month_of_escalations(hostile_category: &str) -> Vec<EscalationFacts> {
    let agencies = [
        Named::new("a-police", "Police"),
        Named::new("a-csc", "Children's social care"),
        Named::new("a-health", "Health"),
    ];
    let mut out = Vec::new();
    for i in 0..11u8 {
        let raised = date(2026, 3, 2 + i as i8);
        let (category, from, to) = match i {
            0..=6 => (Named::new("threshold", "Threshold"), 0, 1),
            7..=9 => (Named::new("sharing", "Information sharing"), 2, 1),
            _ => (Named::new("hostile", hostile_category), 1, 2),
        };
        let reached = match i % 4 {
            0 => 1,
            1 | 2 => 2,
            _ => 3,
        };
        let mut stages = Vec::new();
        let mut start = raised;
        for s in 1..=reached {
            let due = start.checked_add(jiff::Span::new().days(7)).unwrap();
            let ended = (s < reached).then(|| {
                start
                    .checked_add(jiff::Span::new().days(2 + i64::from(i % 3) * 5))
                    .unwrap()
            });
            stages.push(StageFacts {
                stage: n(s),
                started_on: start,
                due,
                ended_on: ended,
                learning: if s == 2 {
                    vec![LearningFact {
                        recorded_on: start,
                        label: "Learning identified".into(),
                        text: format!("Share the plan sooner ({i})").into(),
                    }]
                } else {
                    Vec::new()
                },
            });
            if let Some(e) = ended {
                start = e;
            }
        }
        let closed = (i % 3 == 0).then(|| {
            let on = start.checked_add(jiff::Span::new().days(1)).unwrap();
            if let Some(last) = stages.last_mut() {
                last.ended_on = Some(on);
            }
            Closed {
                on,
                outcome: if i == 9 {
                    Outcome::Withdrawn
                } else {
                    Outcome::Agreed
                },
                redirected: None,
            }
        });
        out.push(EscalationFacts {
            reference: format!("CR-{:04}", 100 + u32::from(i)).into(),
            partnership: "p-croydon".into(),
            procedure: ProcedureId::parse("croydon").unwrap(),
            route: RouteKind::Individual,
            category: category.into(),
            raising_agency: agencies[from].clone().into(),
            receiving_agency: agencies[to].clone().into(),
            raised_on: raised,
            stages,
            closed,
            meetings: vec![date(2026, 3, 20)],
            referrals: Vec::new(),
        });
    }
    out
}

pub(crate) fn march_figures(hostile_category: &str) -> Figures {
    figures(
        &month_of_escalations(hostile_category),
        &[date(2026, 3, 10)],
        march(),
        date(2026, 4, 10),
        &calendar(),
    )
    .unwrap()
}

pub(crate) fn stage_name(s: StageNumber) -> String {
    format!("Stage {s}")
}

fn person(name: &str, designation: &str) -> Person {
    Person {
        name: name.to_owned(),
        designation: designation.to_owned(),
    }
}

fn on(d: (i16, i8, i8)) -> Option<Date> {
    Some(date(d.0, d.1, d.2))
}

/// An escalation at stage 3 of Croydon's procedure; `text` goes into every free-text value.
pub(crate) fn case(text: &str) -> Case {
    let record = |title: &str, started, ended| StageRecord {
        title: title.to_owned(),
        started_on: on(started),
        due_on: on((2026, 3, 20)),
        ended_on: ended,
        people: vec![person("Robin Example", text)],
        entries: vec![
            Entry::new("Who was involved", &format!("Both team managers. {text}")),
            Entry::new("Discussion", text),
            Entry::new("Actions agreed", ""),
            Entry::new(
                "Learning identified",
                &format!("Share plans sooner. {text}"),
            ),
        ],
    };
    Case {
        summary: CaseSummary {
            reference: "CR-0042".to_owned(),
            partnership: "Croydon Safeguarding Children Board".to_owned(),
            procedure:
                "Resolution of Professional Disagreement in Safeguarding Children (November 2018)"
                    .to_owned(),
            raising_agency: "Police".to_owned(),
            receiving_agency: "Children's social care".to_owned(),
            category: text.to_owned(),
            raised_on: date(2026, 3, 2),
            stage: "Stage 3: Escalation to operational managers".to_owned(),
            status: "Open".to_owned(),
        },
        raiser: person("Sam Raiser", "Detective sergeant, Police"),
        receiver: Some(person("Alex Receiver", text)),
        stages: vec![
            record(
                "Stage 1: Discussion between front line workers",
                (2026, 3, 2),
                on((2026, 3, 5)),
            ),
            record(
                "Stage 2: Discussion between front line managers or supervisors",
                (2026, 3, 5),
                on((2026, 3, 12)),
            ),
        ],
        outcome: None,
        child: Some(ChildDetails {
            name: CHILD_MARKERS[0].to_owned(),
            date_of_birth: Some(date(2012, 2, 29)),
            identifiers: vec![Entry::new("NHS number", CHILD_MARKERS[1])],
            status: "Child protection plan".to_owned(),
        }),
    }
}

pub(crate) fn stage_record(case: Case) -> StageRecordForm {
    StageRecordForm {
        heading: FormHeading {
            title: "Record of Escalation, Challenge and Conflict Resolution between Practitioners or Agencies".to_owned(),
            partnership: "BSCP".to_owned(),
            reference: Some("Appendix A (2.4.8)".to_owned()),
            guidance: None,
        },
        case,
    }
}

/// Croydon Appendix A for `case`: the form takes only its summary.
pub(crate) fn croydon(case: &Case, text: &str) -> PartnershipNotification {
    PartnershipNotification {
        heading: FormHeading {
            title: "Escalation Notification to Croydon Safeguarding Children Board".to_owned(),
            partnership: "CSCB".to_owned(),
            reference: Some("Appendix A".to_owned()),
            guidance: Some(format!("Do not include details of any child or family. {text}")),
        },
        summary: case.summary.clone(),
        completed_by: person("Jo Lead", "Operational manager"),
        agency: "Police".to_owned(),
        contact: "jo.lead@police.example".to_owned(),
        sections: vec![
            FormSection {
                label: "Brief description of your concern about a decision made".to_owned(),
                hint: Some("Include the evidence of need and the key procedural issue or disagreement.".to_owned()),
                value: format!("The threshold decision. {text}"),
            },
            FormSection {
                label: "Brief description of what has been done to resolve the issue".to_owned(),
                hint: None,
                value: text.to_owned(),
            },
            FormSection {
                label: "Brief description of the outcome of these actions".to_owned(),
                hint: None,
                value: String::new(),
            },
        ],
        meeting_request: Some(FormSection {
            label: "If unresolved: request for a CSCB-led dispute resolution meeting".to_owned(),
            hint: Some("This section must be completed to request a dispute resolution meeting led by the CSCB.".to_owned()),
            value: format!("Please convene a meeting. {text}"),
        }),
        submissions: vec![
            Submission {
                stage: "Stage 3".to_owned(),
                on: date(2026, 3, 12),
            },
            Submission {
                stage: "Stage 4".to_owned(),
                on: date(2026, 3, 19),
            },
        ],
        return_to: Some("SafeguardingChildrenBoard@croydon.gov.uk".to_owned()),
    }
}

/// Sunderland Appendix 1 for `case`, signed by the referrer's confirmation.
pub(crate) fn sunderland(case: &Case, text: &str) -> ReferralProforma {
    let step = |title: &str, outcome: &str| StageRecord {
        title: title.to_owned(),
        started_on: None,
        due_on: None,
        ended_on: None,
        people: Vec::new(),
        entries: vec![
            Entry::new("Actions taken", &format!("Spoke by phone. {text}")),
            Entry::new("Outcome", outcome),
            Entry::new(
                "Has any learning been identified?",
                "Yes: share plans sooner.",
            ),
        ],
    };
    ReferralProforma {
        heading: FormHeading {
            title: "Dispute Resolution: Referral to SSCP".to_owned(),
            partnership: "SSCP".to_owned(),
            reference: Some("Appendix 1".to_owned()),
            guidance: None,
        },
        summary: case.summary.clone(),
        referrer: person("Pat Referrer", "Head of Service, Police"),
        referrer_contact: format!("01234 567890. {text}"),
        passed_on: Some(date(2026, 3, 23)),
        reason: format!("Still unresolved after step 3. {text}"),
        steps: vec![
            step(
                "Step 1: Resolution by professional/practitioner",
                "Not agreed",
            ),
            step("Step 2: Resolution by line manager", "Not agreed"),
            step("Step 3: Resolution by senior manager (or equivalent)", ""),
        ],
        completed_on: Some(date(2026, 3, 24)),
        signed: Some(Confirmation {
            person: person("Pat Referrer", "Head of Service, Police"),
            at: "2026-03-24T15:05:00[Europe/London]"
                .parse::<Zoned>()
                .unwrap(),
            event: "evt-000123".to_owned(),
        }),
    }
}
