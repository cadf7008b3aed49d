//! The procedure's forms as documents (issue 17, item 4): which of its `[[form]]`s apply to an
//! escalation now, and each one as a PDF filled from the escalation's own records.
//!
//! - A form sent to the partnership (`partnership-notification`, Croydon Appendix A;
//!   `referral-proforma`, Sunderland Appendix 1) applies once the raising side has sent the
//!   `[partnership_form]`: it is that sending laid out after the document's form. Its input
//!   (`CaseSummary`) has no field for a child, so it never holds one, whoever downloads it.
//!   Sunderland's "Signed" is the latest sending itself: the person, the time and the event.
//! - The stage record (`stage-record`, Buckinghamshire Appendix A and the others' record for
//!   the child's file) always applies. A GET makes it without the child. With the child it is
//!   only ever a POST (with the form token on pages), by someone who may see the child, and
//!   the reading is recorded first, exactly as `escalation::child` records one (DESIGN §6:
//!   "each viewing is recorded").
//!
//! Who may download anything here is who may see the escalation (`escalation::load`, so
//! `access.rs`): everyone else gets a 404.

use jiff::Timestamp;
use jiff::civil::Date;
use parley_core::names::ChildStatus;
use parley_core::procedure::{FormLayout, FormSpec, Procedure};
use parley_documents::Document;
use parley_documents::input::{
    Case, CaseSummary, ChildDetails, Confirmation, Entry, FormHeading, FormSection,
    PartnershipNotification, Person, ReferralProforma, StageRecord, StageRecordForm, Submission,
};
use parley_store::chain::Link;
use serde::Serialize;

use super::escalation::{Loaded, load, record_entries, stage_name, view_without_case};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;

/// A form offered on the escalation page and in the API.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct FormLink {
    /// The form's id in the procedure file (`appendix-a`, `stage-record`).
    pub id: String,
    pub title: String,
    /// Where it is in the procedure's document: `Appendix A`.
    pub reference: Option<String>,
    /// `partnership-notification`, `referral-proforma` or `stage-record`.
    pub layout: String,
    /// The PDF without the child's details (a GET): the page's link.
    pub href: String,
    /// The same PDF from the API.
    pub api_href: String,
    /// Where this person may have the stage record with the child's details: a POST (with
    /// the form token on the page), recorded as a reading. `None` when the form cannot hold
    /// them, the escalation has no child, or the person may not see the child.
    pub with_child_href: Option<String>,
}

/// Whether the PDF is asked for with the child's details (a POST, recorded) or without.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reading {
    WithoutChild,
    WithChild,
}

/// A finished PDF and the name it is saved under.
#[derive(Debug)]
pub struct Pdf {
    pub filename: String,
    pub bytes: Vec<u8>,
}

impl axum::response::IntoResponse for Pdf {
    /// An attachment, so that a browser saves it rather than showing it inside Parley's page
    /// (`filename` holds only letters, digits, hyphens and the dot of `.pdf`).
    fn into_response(self) -> axum::response::Response {
        use axum::http::header;
        (
            [
                (header::CONTENT_TYPE, "application/pdf".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{}\"", self.filename),
                ),
            ],
            self.bytes,
        )
            .into_response()
    }
}

/// Whether `form` applies to the escalation now: a form to the partnership once the
/// `[partnership_form]` has been sent (Croydon Appendix A: "submitted at Stage 3 and
/// subsequently updated if Stage 4 and 5 are used"), the stage record always.
fn applies(loaded: &Loaded, form: &FormSpec) -> bool {
    !form.layout.needs_partnership_form() || !loaded.state.partnership_forms.is_empty()
}

/// Whether the person may have `form` with the child's details.
fn may_have_child(loaded: &Loaded, form: &FormSpec) -> bool {
    form.layout.may_hold_child() && loaded.access.child_details && loaded.row.subject == "child"
}

/// The forms of the escalation's procedure that apply now, in the file's order.
pub fn links(loaded: &Loaded) -> Vec<FormLink> {
    let id = &loaded.row.id;
    loaded
        .procedure()
        .forms
        .iter()
        .filter(|f| applies(loaded, f))
        .map(|f| FormLink {
            id: f.id.clone(),
            title: f.title.clone(),
            reference: f.reference.clone(),
            layout: f.layout.as_str().to_owned(),
            href: format!("/escalations/{id}/forms/{}.pdf", f.id),
            api_href: format!("/api/escalations/{id}/forms/{}", f.id),
            with_child_href: may_have_child(loaded, f)
                .then(|| format!("/escalations/{id}/forms/{}.pdf", f.id)),
        })
        .collect()
}

/// The form `form` of escalation `id` as a PDF for `user`. `NotFound` unless they see the
/// escalation, for a form the procedure does not have or that does not apply yet, and for
/// `WithChild` unless the form can hold the child and they may see it (the reading is then
/// recorded before anything is made).
pub async fn pdf(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    form: &str,
    reading: Reading,
) -> Result<Pdf, AppError> {
    let loaded = load(state, user, id).await?;
    let spec = loaded
        .procedure()
        .form(form)
        .filter(|f| applies(&loaded, f))
        .ok_or(AppError::NotFound)?
        .clone();
    let child = match reading {
        Reading::WithoutChild => None,
        Reading::WithChild => {
            if !may_have_child(&loaded, &spec) {
                return Err(AppError::NotFound);
            }
            Some(child_details(state, &loaded, user).await?)
        }
    };
    let document = document(&loaded, &spec, child);
    let bytes = tokio::task::spawn_blocking(move || document.pdf())
        .await
        .map_err(|e| AppError::Internal(format!("laying out form {form} of {id}: {e}")))?
        .map_err(|e| AppError::Internal(format!("form {form} of {id}: {e}")))?;
    Ok(Pdf {
        filename: filename(&loaded.row.reference, &spec.id),
        bytes,
    })
}

/// `REFERENCE-FORM.pdf`, with anything but ASCII letters, digits and hyphens left out, so the
/// name is safe in a `Content-Disposition` header and on any file system.
pub fn filename(reference: &str, form: &str) -> String {
    let safe = |s: &str| -> String {
        s.chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect()
    };
    format!("{}-{}.pdf", safe(reference), safe(form))
}

/// The child's details for the record, the reading recorded first (`escalation::child` does
/// the same for the page).
async fn child_details(
    state: &AppState,
    loaded: &Loaded,
    user: &CurrentUser,
) -> Result<ChildDetails, AppError> {
    let id = &loaded.row.id;
    let json = state
        .store
        .child_details(id)
        .await?
        .ok_or(AppError::NotFound)?;
    let kept: parley_store::payload::ChildDetails = serde_json::from_str(&json)
        .map_err(|e| AppError::Internal(format!("child details of {id}: {e}")))?;
    let date_of_birth = kept
        .date_of_birth
        .as_deref()
        .map(|d| {
            d.parse::<Date>().map_err(|e| {
                AppError::Internal(format!("child details of {id}: date of birth: {e}"))
            })
        })
        .transpose()?;
    state
        .records
        .record_child_details_read(id, user.id(), state.now())
        .await?;
    Ok(ChildDetails {
        name: kept.name,
        date_of_birth,
        identifiers: kept
            .identifier
            .iter()
            .map(|i| Entry::new("Identifier", i))
            .collect(),
        status: loaded
            .row
            .child_status
            .as_deref()
            .and_then(|s| s.parse::<ChildStatus>().ok())
            .map_or_else(|| "Not given".to_owned(), |s| s.label().to_owned()),
    })
}

/// The document of `spec` for the escalation. `child` reaches only the stage record.
fn document(loaded: &Loaded, spec: &FormSpec, child: Option<ChildDetails>) -> Document {
    let p = loaded.procedure();
    let heading = FormHeading::of(p, spec);
    let summary = summary(loaded);
    match spec.layout {
        FormLayout::StageRecord => StageRecordForm {
            heading,
            case: case(loaded, summary, child),
        }
        .document(),
        FormLayout::PartnershipNotification => notification(loaded, heading, summary).document(),
        FormLayout::ReferralProforma => proforma(loaded, heading, summary).document(),
    }
}

/// The escalation as anyone who sees it reads it: no child, no case as put.
fn summary(loaded: &Loaded) -> CaseSummary {
    let v = view_without_case(loaded, Vec::new());
    let p = loaded.procedure();
    CaseSummary {
        reference: v.reference,
        partnership: p.partnership.clone(),
        procedure: format!("{} ({})", p.name, p.version),
        raising_agency: v.raising_agency,
        receiving_agency: v.receiving_agency,
        category: v.category_label,
        raised_on: loaded.state.raised_on,
        stage: v.current_stage.name,
        status: v.status_text,
    }
}

fn person(loaded: &Loaded, id: &str) -> Person {
    let ctx = &loaded.ctx;
    let row = ctx.directory.people.get(id);
    let job = row.map(|p| p.job_title.clone()).unwrap_or_default();
    let agency = row
        .and_then(|p| p.agency_id.as_deref())
        .map(|a| ctx.agency_name(a, &loaded.agencies));
    Person {
        name: ctx.directory.name(id),
        designation: match agency {
            Some(a) if !job.is_empty() => format!("{job}, {a}"),
            Some(a) => a,
            None => job,
        },
    }
}

fn local_date(loaded: &Loaded, t: Timestamp) -> Date {
    t.to_zoned(loaded.procedure().calendar.time_zone.clone())
        .date()
}

/// Every stage entered, with its leads and its record fields as written.
fn stages(loaded: &Loaded, p: &Procedure) -> Vec<StageRecord> {
    let s = &loaded.state;
    s.stages
        .iter()
        .map(|st| {
            let title = p
                .stage(st.number)
                .map_or_else(|| format!("Stage {}", st.number), |x| x.title.clone());
            StageRecord {
                title: stage_name(st.number, &title),
                started_on: Some(st.started_on),
                // The date that governs: the stage's own or the overall deadline, whichever
                // is sooner (core::cap).
                due_on: Some(parley_core::deadline::governing(st.due, s.overall_due)),
                ended_on: st.ended_at.map(|t| local_date(loaded, t)),
                people: loaded
                    .ctx
                    .directory
                    .leads_at(&loaded.row, i64::from(st.number.get()))
                    .map(|o| person(loaded, &o.person_id))
                    .collect(),
                entries: record_entries(p, st)
                    .into_iter()
                    .map(|r| Entry::new(&r.label, r.text.as_deref().unwrap_or("")))
                    .collect(),
            }
        })
        .collect()
}

fn case(loaded: &Loaded, summary: CaseSummary, child: Option<ChildDetails>) -> Case {
    let p = loaded.procedure();
    let row = &loaded.row;
    Case {
        outcome: (!loaded.state.status.is_open()).then(|| summary.status.clone()),
        summary,
        raiser: person(loaded, &row.raised_by),
        receiver: row
            .receiving_person_id
            .as_deref()
            .map(|r| person(loaded, r)),
        stages: stages(loaded, p),
        child,
    }
}

/// Each sending of the `[partnership_form]` with the event that recorded it, oldest first.
fn sendings(loaded: &Loaded) -> Vec<(&parley_core::partnership_form::SentForm, Option<&Link>)> {
    let links: Vec<&Link> = loaded
        .events
        .iter()
        .filter(|l| l.kind == "partnership-form-sent")
        .collect();
    loaded
        .state
        .partnership_forms
        .iter()
        .enumerate()
        .map(|(i, f)| (f, links.get(i).copied()))
        .collect()
}

/// Who sent a sending, from its event (a purged event no longer says).
fn sender(loaded: &Loaded, link: Option<&Link>) -> Option<(String, Person)> {
    let actor = link?.actor.as_deref()?;
    Some((actor.to_owned(), person(loaded, actor)))
}

fn contact(loaded: &Loaded, person_id: Option<&str>) -> String {
    person_id
        .and_then(|id| loaded.ctx.directory.people.get(id))
        .map_or_else(String::new, |p| p.email.clone())
}

fn unknown() -> Person {
    Person {
        name: "Not recorded".to_owned(),
        designation: String::new(),
    }
}

/// Croydon Appendix A: the latest sending, with each sending listed.
fn notification(
    loaded: &Loaded,
    heading: FormHeading,
    summary: CaseSummary,
) -> PartnershipNotification {
    let p = loaded.procedure();
    let all = sendings(loaded);
    let latest = all.last();
    let who = latest.and_then(|(_, l)| sender(loaded, *l));
    let mut sections = Vec::new();
    let mut meeting_request = None;
    if let Some(form) = &p.partnership_form {
        for f in &form.fields {
            let section = FormSection {
                label: f.label.clone(),
                hint: f.hint.clone(),
                value: latest
                    .and_then(|(s, _)| s.answer(&f.id))
                    .unwrap_or_default()
                    .to_owned(),
            };
            if form.meeting_request.as_deref() == Some(f.id.as_str()) {
                meeting_request = Some(section);
            } else {
                sections.push(section);
            }
        }
    }
    PartnershipNotification {
        heading,
        agency: who
            .as_ref()
            .and_then(|(id, _)| loaded.ctx.directory.people.get(id))
            .and_then(|p| p.agency_id.as_deref())
            .map_or_else(
                || summary.raising_agency.clone(),
                |a| loaded.ctx.agency_name(a, &loaded.agencies),
            ),
        contact: contact(loaded, who.as_ref().map(|(id, _)| id.as_str())),
        completed_by: who.map_or_else(unknown, |(_, p)| p),
        summary,
        sections,
        meeting_request,
        submissions: all
            .iter()
            .map(|(s, _)| Submission {
                stage: stage_name(s.stage, &stage_title(p, s.stage)),
                on: local_date(loaded, s.sent_at),
            })
            .collect(),
        return_to: None,
    }
}

fn stage_title(p: &Procedure, n: parley_core::procedure::StageNumber) -> String {
    p.stage(n)
        .map_or_else(|| format!("Stage {n}"), |s| s.title.clone())
}

/// Sunderland Appendix 1: the referrer is whoever sent the form last, and their sending is
/// the signature (person, time, event). The steps are Parley's records of the stages before
/// the one the form is sent from.
fn proforma(loaded: &Loaded, heading: FormHeading, summary: CaseSummary) -> ReferralProforma {
    let p = loaded.procedure();
    let all = sendings(loaded);
    let latest = all.last();
    let who = latest.and_then(|(_, l)| sender(loaded, *l));
    let from = p.partnership_form.as_ref().map(|f| f.from_stage);
    // Every answer the referrer gave, as written, under the form's own labels.
    let reason = p
        .partnership_form
        .as_ref()
        .map(|form| {
            form.fields
                .iter()
                .filter_map(|f| {
                    latest
                        .and_then(|(s, _)| s.answer(&f.id))
                        .map(|t| format!("{}: {t}", f.label))
                })
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default();
    let signed = latest.and_then(|(s, link)| {
        let link = (*link)?;
        let (_, person) = sender(loaded, Some(link))?;
        Some(Confirmation {
            person,
            at: s.sent_at.to_zoned(p.calendar.time_zone.clone()),
            event: format!(
                "event {} ({} version {}, hash {})",
                link.seq,
                link.stream,
                link.stream_version,
                hex::encode(link.hash.get(..8).unwrap_or(&link.hash))
            ),
        })
    });
    let steps = stages(loaded, p)
        .into_iter()
        .zip(&loaded.state.stages)
        .filter(|(_, st)| from.is_none_or(|f| st.number < f))
        .map(|(r, _)| r)
        .collect();
    ReferralProforma {
        heading,
        summary,
        referrer_contact: contact(loaded, who.as_ref().map(|(id, _)| id.as_str())),
        referrer: who.map_or_else(unknown, |(_, p)| p),
        passed_on: all.first().map(|(s, _)| local_date(loaded, s.sent_at)),
        reason,
        steps,
        completed_on: latest.map(|(s, _)| local_date(loaded, s.sent_at)),
        signed,
    }
}

#[cfg(test)]
mod tests {
    use super::filename;

    #[test]
    fn filenames_keep_only_safe_characters() {
        assert_eq!(
            filename("CRO-2026-0042", "appendix-a"),
            "CRO-2026-0042-appendix-a.pdf"
        );
        assert_eq!(filename("A\"B;\r\n/../C", "x y"), "ABC-xy.pdf");
    }
}
