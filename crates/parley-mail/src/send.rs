//! One pass of the sender: resolve the outbox, then, for the partnerships in mail hours, lease
//! pending deliveries in batches and send each (several at once over the SMTP pool), marking
//! it sent only after the server accepted it; then the daily summaries.
//!
//! Failures: a temporary one (no connection, a time-out, a 4xx reply) is tried again after a
//! back-off (1, 5, 15, then every 60 minutes); a permanent one (a 5xx reply) is marked failed
//! after a few attempts. Each delivery is its own message, so one bad address never holds up
//! the others.
//!
//! Daily summaries go out once a day per person: in each mail window, a summary holds what
//! was waiting before the window opened (what comes later waits for the next window), so a
//! pass at any time of the day sends each summary once, and a sender that was down at
//! opening catches up on its first pass.

use std::collections::HashMap;
use std::time::Instant;

use futures_util::StreamExt;
use futures_util::stream;
use jiff::Timestamp;
use jiff::civil::Date;
use lettre::Address;
use lettre::message::Mailbox;

use crate::MailError;
use crate::compose::{self, Context, Digest};
use crate::mailer::{Failure, Mailer, SendError};
use crate::queue::{PartnershipCalendar, Queue, Queued};
use crate::settings::MailSettings;

/// What one pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SendReport {
    /// Outbox rows resolved into deliveries.
    pub resolved: usize,
    /// Partnerships outside mail hours now (their e-mail waits).
    pub waiting: Vec<String>,
    pub leased: usize,
    /// Messages the server accepted.
    pub sent: usize,
    /// Failed attempts that will be tried again.
    pub retrying: usize,
    /// Deliveries given up (marked failed).
    pub failed: usize,
    /// Daily summaries accepted, and the deliveries they held.
    pub digests: usize,
    pub digested: usize,
    /// What went wrong, by delivery id (or partnership id): failed attempts and store errors.
    pub problems: Vec<(String, String)>,
}

const LEASE_LOST: &str = "another worker holds its lease now, so it was not marked";
const LEASE_ENDING: &str = "not sent: its lease was near its end, so another worker may have taken it; it goes once the lease has run out";

/// The share of a lease a batch may use for sending. A message is sent only while its lease
/// has this much of its time behind it at most, so that a slow batch (a slow relay, a busy
/// machine) stops before another worker can take the rest of it, rather than sending those
/// messages at the same time as that worker.
const LEASE_USE: f64 = 0.8;

/// The outcome of one delivery.
enum Outcome {
    Sent,
    Retrying(String),
    Failed(String),
    /// The store could not record the outcome (the lease runs out and it is sent again).
    Unrecorded(String),
}

/// One pass at `now`. Errors only when the queue itself cannot be read; a failed delivery is
/// in the report.
pub async fn send_once<Q: Queue + ?Sized>(
    queue: &Q,
    mailer: &Mailer,
    settings: &MailSettings,
    now: Timestamp,
) -> Result<SendReport, MailError> {
    let mut report = SendReport {
        resolved: queue.resolve_outbox(now).await.map_err(MailError::queue)?,
        ..SendReport::default()
    };

    // Which partnerships are in mail hours, and since when.
    let mut open: HashMap<String, (PartnershipCalendar, Timestamp)> = HashMap::new();
    for p in queue.partnerships().await.map_err(MailError::queue)? {
        match settings.hours.opened_at(now, &p.calendar, &p.time_zone) {
            Ok(Some(since)) => {
                open.insert(p.partnership_id.clone(), (p, since));
            }
            Ok(None) => report.waiting.push(p.partnership_id),
            Err(e) => {
                report
                    .problems
                    .push((p.partnership_id.clone(), e.to_string()));
                report.waiting.push(p.partnership_id);
            }
        }
    }
    report.waiting.sort();
    if open.is_empty() {
        return Ok(report);
    }
    let mut ids: Vec<String> = open.keys().cloned().collect();
    ids.sort();

    let batch = settings.batch.max(1);
    loop {
        let items = queue
            .lease(now, &settings.worker, settings.lease, batch, &ids)
            .await
            .map_err(MailError::queue)?;
        let count = items.len();
        report.leased += count;
        // Measured on this process's own clock: `now` may be given (`--now`), and is the
        // same for the whole pass.
        let send_until = Instant::now() + settings.lease.mul_f64(LEASE_USE);
        let outcomes: Vec<(String, Outcome)> = stream::iter(items)
            .map(|item| async {
                let today = open
                    .get(&item.partnership_id)
                    .map(|(p, _)| local_date(now, p));
                let outcome = if Instant::now() < send_until {
                    deliver(queue, mailer, settings, now, today, &item).await
                } else {
                    Outcome::Unrecorded(LEASE_ENDING.to_owned())
                };
                (item.id, outcome)
            })
            .buffer_unordered(settings.concurrency.max(1))
            .collect()
            .await;
        let mut recorded = 0;
        for (id, outcome) in outcomes {
            recorded += usize::from(!matches!(outcome, Outcome::Unrecorded(_)));
            match outcome {
                Outcome::Sent => report.sent += 1,
                Outcome::Retrying(e) => {
                    report.retrying += 1;
                    report.problems.push((id, e));
                }
                Outcome::Failed(e) => {
                    report.failed += 1;
                    report.problems.push((id, e));
                }
                Outcome::Unrecorded(e) => report.problems.push((id, e)),
            }
        }
        // A short batch is the last; so is one whose outcomes the store could not take (its
        // rows stay leased until the lease runs out, and the next pass tries again).
        if count < batch || recorded == 0 {
            break;
        }
    }

    digests(queue, mailer, settings, now, &open, &ids, &mut report).await?;
    Ok(report)
}

fn local_date(now: Timestamp, p: &PartnershipCalendar) -> Date {
    now.to_zoned(p.time_zone.clone()).date()
}

/// Sends one leased delivery and records what came of it.
async fn deliver<Q: Queue + ?Sized>(
    queue: &Q,
    mailer: &Mailer,
    settings: &MailSettings,
    now: Timestamp,
    today: Option<Date>,
    item: &Queued,
) -> Outcome {
    let worker = settings.worker.as_str();
    let attempt = item.attempts + 1;
    let give_up = |error: String| async move {
        match queue.failed(&item.id, worker, now, &error, None).await {
            Ok(true) => Outcome::Failed(error),
            Ok(false) => Outcome::Unrecorded(format!("{error}; {LEASE_LOST}")),
            Err(e) => Outcome::Unrecorded(format!("{error}; recording it failed: {e}")),
        }
    };
    let retry = |error: String, limit: i64| async move {
        let retry_at = (attempt < limit).then(|| settings.retry.retry_at(attempt, now));
        match queue.failed(&item.id, worker, now, &error, retry_at).await {
            Ok(true) if retry_at.is_some() => Outcome::Retrying(error),
            Ok(true) => Outcome::Failed(error),
            Ok(false) => Outcome::Unrecorded(format!("{error}; {LEASE_LOST}")),
            Err(e) => Outcome::Unrecorded(format!("{error}; recording it failed: {e}")),
        }
    };

    let to = match recipient(item.address.as_deref()) {
        Ok(to) => to,
        Err(e) => return give_up(e).await,
    };
    let notice = match queue.describe(item).await {
        Ok(n) => n,
        Err(e) => {
            return retry(
                format!("the notice could not be read: {e}"),
                settings.retry.temporary_attempts,
            )
            .await;
        }
    };
    let ctx = Context {
        public_url: &settings.public_url,
        today: today.unwrap_or_else(|| now.to_zoned(jiff::tz::TimeZone::UTC).date()),
    };
    let rendered = notice.render(&ctx);
    let id = compose::message_id(&item.id, &settings.public_url);
    let message = match compose::message(&rendered, &settings.from, to, id, now) {
        Ok(m) => m,
        Err(e) => return give_up(e.to_string()).await,
    };
    match mailer.send(&message).await {
        Ok(_) => match queue.sent(&item.id, worker, now).await {
            Ok(true) => Outcome::Sent,
            // Another worker leased it meanwhile (this one was slower than its lease): it may
            // be sent twice, with the same Message-ID.
            Ok(false) => Outcome::Unrecorded(format!("accepted, but {LEASE_LOST}")),
            // Accepted but not recorded: the lease runs out and it goes again with the same
            // Message-ID (at least once, never lost).
            Err(e) => Outcome::Unrecorded(format!("accepted, but marking it sent failed: {e}")),
        },
        Err(SendError {
            failure, message, ..
        }) => {
            let limit = match failure {
                Failure::Permanent => settings.retry.permanent_attempts,
                Failure::Temporary => settings.retry.temporary_attempts,
            };
            retry(message, limit).await
        }
    }
}

fn recipient(address: Option<&str>) -> Result<Mailbox, String> {
    let address = address.ok_or_else(|| "there is no address to send to".to_owned())?;
    address
        .trim()
        .parse::<Address>()
        .map(|a| Mailbox::new(None, a))
        .map_err(|e| format!("{address:?} is not an e-mail address: {e}"))
}

/// The daily summaries of the partnerships in mail hours.
async fn digests<Q: Queue + ?Sized>(
    queue: &Q,
    mailer: &Mailer,
    settings: &MailSettings,
    now: Timestamp,
    open: &HashMap<String, (PartnershipCalendar, Timestamp)>,
    ids: &[String],
    report: &mut SendReport,
) -> Result<(), MailError> {
    let due = queue.digest_due(ids).await.map_err(MailError::queue)?;
    for person in due {
        // What was waiting before this window opened; the rest waits for the next one.
        let mut items: Vec<Queued> = person
            .items
            .into_iter()
            .filter(|item| {
                open.get(&item.partnership_id)
                    .is_some_and(|(_, since)| item.created_at_us < since.as_microsecond())
            })
            .collect();
        if items.is_empty() {
            continue;
        }
        items.sort_by(|a, b| (a.created_at_us, &a.id).cmp(&(b.created_at_us, &b.id)));
        let Some(first) = items.first() else { continue };
        let today = open
            .get(&first.partnership_id)
            .map(|(p, _)| local_date(now, p))
            .unwrap_or_else(|| now.to_zoned(jiff::tz::TimeZone::UTC).date());
        let item_ids: Vec<String> = items.iter().map(|i| i.id.clone()).collect();
        let mut notices = Vec::with_capacity(items.len());
        let mut unreadable = None;
        for item in &items {
            match queue.describe(item).await {
                Ok(n) => notices.push(n),
                Err(e) => {
                    unreadable = Some(format!("the notice {} could not be read: {e}", item.id));
                    break;
                }
            }
        }
        if let Some(e) = unreadable {
            report.problems.push((person.person_id, e));
            continue;
        }
        let to = match recipient(Some(&person.address)) {
            Ok(to) => to,
            Err(e) => {
                fail_digest(queue, settings, now, &item_ids, &e, report).await;
                continue;
            }
        };
        let ctx = Context {
            public_url: &settings.public_url,
            today,
        };
        let rendered = Digest { notices }.render(&ctx);
        // Stable across resends of the same summary: named after its first delivery.
        let id = compose::message_id(&format!("digest-{}", first.id), &settings.public_url);
        let message = compose::message(&rendered, &settings.from, to, id, now)?;
        match mailer.send(&message).await {
            Ok(_) => match queue.digest_sent(&item_ids, now).await {
                Ok(()) => {
                    report.digests += 1;
                    report.digested += item_ids.len();
                }
                Err(e) => report.problems.push((
                    person.person_id,
                    format!("summary accepted, but marking it sent failed: {e}"),
                )),
            },
            Err(e) if e.failure == Failure::Permanent => {
                fail_digest(queue, settings, now, &item_ids, &e.message, report).await;
            }
            // A temporary failure: the summary stays waiting and goes on a later pass.
            Err(e) => {
                report.retrying += item_ids.len();
                report.problems.push((person.person_id, e.message));
            }
        }
    }
    Ok(())
}

async fn fail_digest<Q: Queue + ?Sized>(
    queue: &Q,
    settings: &MailSettings,
    now: Timestamp,
    ids: &[String],
    error: &str,
    report: &mut SendReport,
) {
    for id in ids {
        match queue.failed(id, &settings.worker, now, error, None).await {
            Ok(true) => {
                report.failed += 1;
                report.problems.push((id.clone(), error.to_owned()));
            }
            Ok(false) => report
                .problems
                .push((id.clone(), format!("{error}; the store did not record it"))),
            Err(e) => report
                .problems
                .push((id.clone(), format!("{error}; recording it failed: {e}"))),
        }
    }
}
