//! The procedures' forms as documents (issue 17, item 4), each laid out after the form in its
//! procedure's document:
//!
//! - [`PartnershipNotification`]: Croydon Appendix A, "Escalation Notification to Croydon
//!   Safeguarding Children Board": Name, Role, Agency, Contact; the concern, what has been
//!   done, the outcome; "If unresolved, this section must be completed to request a CSCB led
//!   Dispute Resolution Meeting".
//! - [`ReferralProforma`]: Sunderland Appendix 1, "Dispute Resolution – Referral to SSCP":
//!   the referrer, the reason, "Actions Taken", "Outcome" and "Has any learning been
//!   identified?" for steps 1 to 3, "Date Complete" and "Signed".
//! - [`StageRecordForm`]: Buckinghamshire Appendix A, "Record of Escalation, Challenge and
//!   Conflict Resolution between Practitioners or Agencies" (2.4.8: "records of discussions
//!   and any decisions reached"), and the record for the child's file of the procedures with
//!   no form of their own (Solihull: "recorded on the child's file held by each involved
//!   agency"; Dorset §9).
//!
//! The two forms that go to the partnership take a [`CaseSummary`], which cannot hold a
//! child's details; only the stage record takes a [`Case`], whose child is an `Option` the
//! caller fills for a reader who may see the child.

use crate::data::{self, Data};
use crate::document::{Document, Template};
use crate::input::{
    Case, CaseSummary, Entry, FormHeading, FormSection, PartnershipNotification, ReferralProforma,
    StageRecordForm,
};

/// The heading's three inputs, shared by every form.
fn heading(h: &FormHeading) -> Vec<(&'static str, Data)> {
    vec![
        ("reference", Data::opt(h.reference.as_deref(), Data::str)),
        ("guidance", Data::opt(h.guidance.as_deref(), Data::str)),
    ]
}

/// The escalation as anyone involved may read it (no child).
fn about(s: &CaseSummary) -> Data {
    data::entries(&about_lines(s))
}

fn about_lines(s: &CaseSummary) -> Vec<Entry> {
    vec![
        Entry::new("Parley reference", &s.reference),
        Entry::new("Partnership", &s.partnership),
        Entry::new("Procedure", &s.procedure),
        Entry::new("Raised on", &parley_report::period::long_date(s.raised_on)),
        Entry::new("Raising agency", &s.raising_agency),
        Entry::new("Receiving agency", &s.receiving_agency),
        Entry::new("Category", &s.category),
        Entry::new("Stage", &s.stage),
        Entry::new("Status", &s.status),
    ]
}

fn section(s: &FormSection) -> Data {
    Data::dict([
        ("label", Data::str(&s.label)),
        ("hint", Data::opt(s.hint.as_deref(), Data::str)),
        ("value", Data::str(&s.value)),
    ])
}

impl PartnershipNotification {
    pub fn document(&self) -> Document {
        let mut inputs = heading(&self.heading);
        // Croydon Appendix A: "submitted at Stage 3 and subsequently updated if Stage 4 and 5
        // are used": each sending, in order.
        let sent: Vec<String> = self
            .submissions
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let how = if i == 0 { "Submitted" } else { "Updated" };
                format!(
                    "{how} at {} on {}.",
                    s.stage,
                    parley_report::period::long_date(s.on)
                )
            })
            .collect();
        inputs.extend([
            ("completed_by", data::person(&self.completed_by)),
            ("agency", Data::str(&self.agency)),
            ("contact", Data::str(&self.contact)),
            ("sections", Data::list(&self.sections, section)),
            ("sent", Data::Str(sent.join("\n"))),
            (
                "meeting_request",
                Data::opt(self.meeting_request.as_ref(), section),
            ),
            ("about", about(&self.summary)),
            ("return_to", Data::opt(self.return_to.as_deref(), Data::str)),
        ]);
        Document::new(
            Template::PartnershipNotification,
            self.heading.title.clone(),
            inputs,
        )
    }
}

impl ReferralProforma {
    pub fn document(&self) -> Document {
        let mut inputs = heading(&self.heading);
        inputs.extend([
            ("partnership", Data::str(&self.heading.partnership)),
            ("referrer", data::person(&self.referrer)),
            ("referrer_contact", Data::str(&self.referrer_contact)),
            ("passed_on", Data::opt(self.passed_on, Data::date)),
            ("reason", Data::str(&self.reason)),
            ("steps", Data::list(&self.steps, data::stage)),
            ("completed_on", Data::opt(self.completed_on, Data::date)),
            (
                "signed",
                Data::opt(self.signed.as_ref(), data::confirmation),
            ),
            ("about", about(&self.summary)),
        ]);
        Document::new(
            Template::ReferralProforma,
            self.heading.title.clone(),
            inputs,
        )
    }
}

impl StageRecordForm {
    pub fn document(&self) -> Document {
        let Case {
            summary,
            raiser,
            receiver,
            stages,
            outcome,
            child,
        } = &self.case;
        let mut lines = about_lines(summary);
        lines.push(Entry::new(
            "Raised by",
            &format!("{}, {}", raiser.name, raiser.designation),
        ));
        if let Some(r) = receiver {
            lines.push(Entry::new(
                "Receiving person",
                &format!("{}, {}", r.name, r.designation),
            ));
        }
        let (marking, marking_note) = match child {
            Some(_) => (
                "Contains a child's details",
                "This record contains a child's details. Keep it on the child's file. Do not send it to the partnership or by e-mail.",
            ),
            None => (
                "No child's details",
                "This record contains no child's details: the escalation has no child, or the person it was made for may not see them.",
            ),
        };
        let mut inputs = heading(&self.heading);
        inputs.extend([
            ("marking", Data::str(marking)),
            ("marking_note", Data::str(marking_note)),
            ("about", data::entries(&lines)),
            (
                "child",
                Data::opt(child.as_ref(), |c| {
                    let mut lines = vec![Entry::new("Name", &c.name)];
                    if let Some(dob) = c.date_of_birth {
                        lines.push(Entry::new(
                            "Date of birth",
                            &parley_report::period::long_date(dob),
                        ));
                    }
                    lines.extend(c.identifiers.iter().cloned());
                    lines.push(Entry::new("Status", &c.status));
                    data::entries(&lines)
                }),
            ),
            ("stages", Data::list(stages, data::stage)),
            ("outcome", Data::opt(outcome.as_deref(), Data::str)),
        ]);
        Document::new(Template::StageRecord, self.heading.title.clone(), inputs)
    }
}
