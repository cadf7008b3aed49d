//! The neutral input of the forms: plain values the caller fills from the records, with no
//! database type and no procedure logic. Which record goes where is the caller's choice; what
//! a form *can* hold is decided here, by its fields.
//!
//! Child details (DESIGN §6) have exactly one home: [`Case::child`], an `Option` the caller
//! fills only when the reader may see the child. The forms that go to the partnership take a
//! [`CaseSummary`], which has no field for a child at all, so no caller can put one there
//! (Croydon Appendix A: "Do not include details of any child or family").

use jiff::Zoned;
use jiff::civil::Date;
use parley_core::Procedure;
use parley_core::procedure::FormSpec;

/// A person as a form names them: Sunderland Appendix 1, "Name and designation of Referrer";
/// Croydon Appendix A, "Name", "Role".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    pub name: String,
    /// Their role, and the agency where it helps: "Designated safeguarding lead, Police".
    pub designation: String,
}

/// A labelled value: a stage-record field, a line of a form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub label: String,
    /// Empty when nothing was recorded; the form then says so.
    pub value: String,
}

impl Entry {
    pub fn new(label: &str, value: &str) -> Entry {
        Entry {
            label: label.to_owned(),
            value: value.to_owned(),
        }
    }
}

/// What was recorded at one stage (Sunderland's proforma: actions taken, outcome, learning;
/// Solihull §6: "the detail of the escalation and agreements reached").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StageRecord {
    /// As the procedure names it: "Step 2: resolution by line manager", "Stage 3: ...".
    pub title: String,
    pub started_on: Option<Date>,
    /// The governing due date (the earlier of the stage's and the overall deadline).
    pub due_on: Option<Date>,
    pub ended_on: Option<Date>,
    /// Who led or took part.
    pub people: Vec<Person>,
    /// The procedure's record fields, in its order, with what was written.
    pub entries: Vec<Entry>,
}

/// A recorded confirmation, which stands for a signature (Sunderland Appendix 1, "Signed"):
/// who confirmed, when, and the event in the escalation's log that holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Confirmation {
    pub person: Person,
    /// The moment, in the partnership's time zone.
    pub at: Zoned,
    /// The event's id in the log, so a reader can find it there.
    pub event: String,
}

/// The child's details, for the reader who may see them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChildDetails {
    pub name: String,
    pub date_of_birth: Option<Date>,
    /// Identifiers such as an NHS number or a case number.
    pub identifiers: Vec<Entry>,
    /// "Child protection plan", "Looked after", ...
    pub status: String,
}

/// Everything about an escalation that anyone involved, the partnership included, may read.
/// It has no field for the child.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseSummary {
    pub reference: String,
    pub partnership: String,
    /// The procedure's name and version: "Dispute Resolution Protocol (2023)".
    pub procedure: String,
    pub raising_agency: String,
    pub receiving_agency: String,
    pub category: String,
    pub raised_on: Date,
    /// The stage it is at, or was at when it closed.
    pub stage: String,
    /// "Open", "Resolved by agreement", ...
    pub status: String,
}

/// An escalation for its stage-record document, for the child's file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    pub summary: CaseSummary,
    pub raiser: Person,
    pub receiver: Option<Person>,
    pub stages: Vec<StageRecord>,
    /// How it closed, in words, once it has.
    pub outcome: Option<String>,
    /// Filled only when the person the document is made for may see the child (DESIGN §6);
    /// the caller records that reading like any other. `None` for a thematic escalation.
    pub child: Option<ChildDetails>,
}

/// Which form of which document: the heading every form carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormHeading {
    /// "Escalation Notification to Croydon Safeguarding Children Board".
    pub title: String,
    /// The partnership as the form names it: "CSCB", "SSCP".
    pub partnership: String,
    /// Where the form is in the procedure's document: "Appendix A".
    pub reference: Option<String>,
    /// What the document says about completing it, in Parley's words.
    pub guidance: Option<String>,
}

impl FormHeading {
    /// The heading of `form` of `procedure`: the title and reference of its `[[form]]`
    /// table, the partnership's short name, and, for a form filled from the
    /// `[partnership_form]`, that form's guidance.
    pub fn of(procedure: &Procedure, form: &FormSpec) -> FormHeading {
        FormHeading {
            title: form.title.clone(),
            partnership: procedure.partnership_short().to_owned(),
            reference: form.reference.clone(),
            guidance: if form.layout.needs_partnership_form() {
                procedure
                    .partnership_form
                    .as_ref()
                    .and_then(|f| f.guidance.clone())
            } else {
                None
            },
        }
    }
}

/// A stage-record document (Buckinghamshire Appendix A, "Record of Escalation, Challenge and
/// Conflict Resolution between Practitioners or Agencies"; the other procedures' record for
/// the child's file).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StageRecordForm {
    pub heading: FormHeading,
    pub case: Case,
}

/// A section of a form to the partnership: its label, the procedure's hint, and what was
/// written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormSection {
    pub label: String,
    pub hint: Option<String>,
    pub value: String,
}

/// When a form was sent: at which stage and on which day (Croydon Appendix A: "submitted at
/// Stage 3 and subsequently updated if Stage 4 and 5 are used").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Submission {
    pub stage: String,
    pub on: Date,
}

/// Croydon Appendix A, "Escalation Notification to Croydon Safeguarding Children Board". It
/// goes to the partnership: it holds a [`CaseSummary`] and what the raising agency wrote, and
/// has no field a child's details could go in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartnershipNotification {
    pub heading: FormHeading,
    pub summary: CaseSummary,
    /// "Name", "Role".
    pub completed_by: Person,
    pub agency: String,
    pub contact: String,
    /// The descriptions, in the form's order: the concern, what has been done, the outcome.
    pub sections: Vec<FormSection>,
    /// "If unresolved, this section must be completed to request a CSCB led Dispute
    /// Resolution Meeting": the section, filled in or not.
    pub meeting_request: Option<FormSection>,
    /// Each time it was sent, oldest first.
    pub submissions: Vec<Submission>,
    /// "Completed forms should be returned to ...": the partnership's address, if it asks.
    pub return_to: Option<String>,
}

/// Sunderland Appendix 1, "Dispute Resolution – Referral to SSCP". It goes to the
/// partnership at step 4, so, like Croydon's, it has no field for the child.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReferralProforma {
    pub heading: FormHeading,
    pub summary: CaseSummary,
    /// "Name and designation of Referrer".
    pub referrer: Person,
    /// "Contact Details of Referrer".
    pub referrer_contact: String,
    /// "Date information passed to SSCB Strategic Business Manager".
    pub passed_on: Option<Date>,
    /// "Reason for implementing the SSCP Escalation and Challenge Protocol".
    pub reason: String,
    /// Steps 1 to 3: actions taken, outcome, "Has any learning been identified?".
    pub steps: Vec<StageRecord>,
    /// "Date Complete".
    pub completed_on: Option<Date>,
    /// "Signed": the referrer's recorded confirmation, once given.
    pub signed: Option<Confirmation>,
}
