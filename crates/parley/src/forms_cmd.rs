//! `parley forms --escalation ID --form FORM --as EMAIL [--out FILE]`: one of the procedure's
//! forms of an escalation as PDF (issue 17, item 4), the same document the web serves at
//! `GET /escalations/{id}/forms/{form}.pdf` (`parley_web::service::forms`), for the person
//! named and under the same rules: an escalation they may not see, or a form the procedure
//! does not have or that does not apply yet, is refused as not found. Never with the child's
//! details: that copy is a recorded reading, made only by the web's POST.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use parley_store::records::Records;
use parley_web::auth::CurrentUser;
use parley_web::error::AppError;
use parley_web::service::forms::{self, Reading};
use parley_web::{AppState, Clock, Config};

use crate::command::{Ctx, Failure, Outcome};

#[derive(Debug, Args)]
pub(crate) struct FormsArgs {
    /// The escalation: its id or its reference (e.g. CSCB-2026-0001).
    #[arg(long, value_name = "ID")]
    escalation: String,
    /// The form's id in the procedure file (e.g. appendix-a, stage-record).
    #[arg(long, value_name = "FORM")]
    form: String,
    /// The person it is made for, by the e-mail address they sign in with: what they may
    /// see is what the form holds.
    #[arg(long = "as", value_name = "EMAIL")]
    person: String,
    /// Write the PDF to FILE (default: REFERENCE-FORM.pdf in the current directory).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

pub(crate) async fn run(args: FormsArgs, ctx: Ctx) -> Outcome {
    let records = Arc::new(Records::open(&ctx.database).await?);
    let state = AppState::new(records, Config::default(), Clock::System);
    let email = args.person.trim().to_lowercase();
    let mut person = None;
    for p in state.store.partnerships().await? {
        if let Some(found) = state
            .store
            .people(&p.id)
            .await?
            .into_iter()
            .find(|x| x.active && x.email.trim().to_lowercase() == email)
        {
            person = Some(found);
            break;
        }
    }
    let person =
        person.ok_or_else(|| Failure(format!("--as: nobody active signs in as {email}")))?;
    let partnership = person.partnership_id.clone();
    let key = args.escalation.trim();
    let id = match state.store.escalation(key).await? {
        Some(row) => row.id,
        None => state
            .store
            .escalations(&partnership)
            .await?
            .into_iter()
            .find(|e| e.reference == key)
            .map(|e| e.id)
            .ok_or_else(|| Failure(format!("--escalation: no escalation {key}")))?,
    };
    let user = CurrentUser {
        person,
        session: None,
        config: None,
        partnership_seq: None,
        unread: None,
    };
    let pdf = forms::pdf(&state, &user, &id, &args.form, Reading::WithoutChild)
        .await
        .map_err(|e| match e {
            AppError::NotFound => Failure(format!(
                "no form \"{}\" of escalation {key} for {email}: they may not see it, or its procedure has no such form that applies now",
                args.form
            )),
            other => Failure(other.to_string()),
        })?;
    let path = args.out.unwrap_or_else(|| PathBuf::from(&pdf.filename));
    std::fs::write(&path, &pdf.bytes)
        .map_err(|e| Failure(format!("cannot write {}: {e}", path.display())))?;
    Ok(format!(
        "wrote {} ({} bytes)\n",
        path.display(),
        pdf.bytes.len()
    ))
}
