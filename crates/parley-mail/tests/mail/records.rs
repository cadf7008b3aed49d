//! The queue over real records (a demo-seeded SQLite file): every notice about every demo
//! escalation, to every kind of recipient, for each reason it could be sent, written as an
//! e-mail and searched for the demo children's markers.

use std::sync::Arc;

use jiff::Timestamp;
use parley_core::escalation::{Deadline, Event, Reason};
use parley_core::names::Recipient;
use parley_demo as demo;
use parley_mail::compose::{self, Context};
use parley_mail::testing::{SinkOptions, assert_no_child_markers};
use parley_mail::{MailHours, MailSettings, Mailbox, Mailer, SmtpUrl, StoreQueue, send_once};
use parley_store::notify::DeliveryFilter;
use parley_store::records::{Actor, Records};

use crate::{from, public};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_e_mail_about_a_demo_escalation_holds_its_child() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("parley.db").display());
    let records = Arc::new(Records::open(&url).await.unwrap());
    let now: Timestamp = "2026-11-20T12:00:00Z".parse().unwrap();
    // Enough escalations for some to be at the partnership's stages.
    let summary = demo::seed(&records, now, 60, 7, |_, _| {}).await.unwrap();
    let queue = StoreQueue::new(records.clone());

    // The demo sends no partnership forms: send one on each open escalation whose stage has
    // it (Croydon Appendix A from stage 3, Sunderland Appendix 1 at step 4).
    let later: Timestamp = "2026-11-20T12:01:00Z".parse().unwrap();
    let mut sent_forms = 0;
    for p in &summary.partnerships {
        let procedure = parley_core::seeds::get(&p.procedure_id).unwrap().unwrap();
        let Some(form) = &procedure.partnership_form else {
            continue;
        };
        for row in records.store().escalations(&p.id).await.unwrap() {
            let stage = parley_core::StageNumber::new(row.current_stage).unwrap();
            if row.status != "open" || stage < form.from_stage {
                continue;
            }
            let answers = form
                .fields
                .iter()
                .map(|f| (f.id.clone(), format!("Answer to {}", f.label)))
                .collect();
            let event = Event::PartnershipFormSent { answers };
            let actor = Actor::person(&row.raised_by);
            // At a referral step the form is refused; that escalation is skipped.
            if records
                .act(later, &actor, &row.id, row.version, &event, None)
                .await
                .is_ok()
            {
                sent_forms += 1;
            }
        }
    }
    assert!(sent_forms > 0);

    let calendars = queue.calendars().await.unwrap();
    assert_eq!(calendars.len(), summary.partnerships.len());
    assert!(
        calendars
            .iter()
            .all(|c| c.time_zone.iana_name() == Some("Europe/London"))
    );

    let folder = dir.path().join("mail");
    let mailer = Mailer::files(&folder).unwrap();
    let public = public();
    let ctx = Context {
        public_url: &public,
        today: now.to_zoned(jiff::tz::TimeZone::UTC).date(),
    };
    let to: Mailbox = "someone@partnership.test".parse().unwrap();
    let (mut sent, mut forms) = (0, 0);
    for p in &summary.partnerships {
        for row in records.store().escalations(&p.id).await.unwrap() {
            let state = records.escalation_state(&row.id).await.unwrap();
            let stage = state.current().number;
            let mut reasons = vec![
                Reason::Raised,
                Reason::StageEntered(stage),
                Reason::DeadlinePassed(Deadline::Stage(stage)),
            ];
            if let Some(closed) = state.status.closed_as() {
                reasons.push(Reason::Closed(closed));
            } else {
                reasons.push(Reason::DeadlineApproaching(Deadline::Stage(stage)));
            }
            for reason in &reasons {
                for &recipient in Recipient::ALL {
                    let notice = queue
                        .notice(&row.id, recipient, reason, stage)
                        .await
                        .unwrap();
                    forms += usize::from(!notice.partnership_form.is_empty());
                    let id = format!("{}-{sent}", row.id);
                    let message = compose::message(
                        &notice.render(&ctx),
                        &from(),
                        to.clone(),
                        compose::message_id(&id, &public),
                        now,
                    )
                    .unwrap();
                    mailer.send(&message).await.unwrap();
                    sent += 1;
                }
            }
        }
    }
    assert!(sent > 500, "{sent}");
    assert!(forms > 0, "no demo escalation had a partnership form");
    assert_eq!(
        assert_no_child_markers(&folder, &[demo::MARKER_PREFIX]),
        sent
    );
}

/// The demo's outbox, resolved and sent through the real sink by `send_once` over the real
/// records: everything deliverable arrives once, by Message-ID, and holds no child.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_outbox_arrives_once_through_the_sink() {
    let dir = tempfile::tempdir().unwrap();
    let Some(sink) = crate::sink(dir.path(), &SinkOptions::default()) else {
        return;
    };
    let url = format!("sqlite://{}", dir.path().join("parley.db").display());
    let records = Arc::new(Records::open(&url).await.unwrap());
    let now: Timestamp = "2026-11-20T12:00:00Z".parse().unwrap();
    demo::seed(&records, now, 20, 11, |_, _| {}).await.unwrap();
    let queue = StoreQueue::new(records.clone());
    let smtp: SmtpUrl = sink.url().parse().unwrap();
    let mailer = Mailer::smtp(&smtp, &public(), 4).unwrap();
    let mut settings = MailSettings::new(from(), public(), "worker-a");
    settings.hours = MailHours::Always;

    let first = send_once(&queue, &mailer, &settings, now).await.unwrap();
    assert!(first.resolved > 0, "{first:?}");
    assert!(first.sent > 0, "{first:?}");
    assert_eq!((first.retrying, first.failed), (0, 0), "{first:?}");
    let again = send_once(&queue, &mailer, &settings, now).await.unwrap();
    assert_eq!(
        (again.resolved, again.leased, again.sent),
        (0, 0, 0),
        "{again:?}"
    );

    let got = sink.messages();
    assert_eq!(got.len(), first.sent);
    let mut ids: Vec<String> = got.iter().map(|m| m.message_id.clone().unwrap()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), got.len(), "a Message-ID arrived twice");
    assert!(ids.iter().all(|id| id.ends_with("@parley.test>")));
    assert_eq!(
        assert_no_child_markers(&sink.maildir, &[demo::MARKER_PREFIX]),
        first.sent
    );
    let sent = records
        .deliveries(
            &records.store().partnerships().await.unwrap()[0].id,
            DeliveryFilter::Sent,
            1,
            1000,
        )
        .await
        .unwrap();
    assert!(sent.1 > 0);
}
