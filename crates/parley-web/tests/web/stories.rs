//! The end-to-end story of each built-in procedure (issue 15, "How it will be tested"): an
//! escalation raised through the API as the procedure's people, then the days let pass on
//! an injected clock. Twice on each day, at 00:30 (outside mail hours: the inbox fills and
//! e-mail waits) and at 09:00 London time, the deadline monitor passes and the sender sends
//! as of that instant to the real SMTP sink (`scripts/smtp-sink`, aiosmtpd writing a
//! Maildir), with the default mail hours (08:00-18:00 on the partnership's working days).
//! Escalations are taken at 09:00, before that tick.
//!
//! Each story (`stories/five.rs`) is a table written from the procedure's own day counts and
//! the England and Wales bank holidays around Christmas 2026 (Friday 25 and Monday 28
//! December, Friday 1 January): the day each reminder (one working day before a deadline,
//! the built-in files' Parley default) and each overdue notice (recorded when the due date
//! has ended in Europe/London) reaches the inbox, the working day its e-mail is sent, and the
//! stages at which the partnership (and Solihull's IRO) is told. Nothing in the tables is
//! computed by the code under test. Every e-mail the sink received, the demo's included, is
//! searched for the children's details.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::PathBuf;

use axum::http::{Method, StatusCode};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use parley_core::escalation::{Deadline, Reason};
use parley_core::names::Recipient;
use parley_core::procedure::StageNumber;
use parley_demo::MARKER_PREFIX;
use parley_mail::testing::{SinkOptions, SmtpSink, assert_no_child_markers, read_message};
use parley_mail::{MailSettings, Mailer, SmtpUrl, StoreQueue, send_once};
use parley_store::notify::{Delivery, MailState};
use parley_store::rows::PersonRow;
use serde_json::{Value, json};

use crate::harness::{Auth, Harness, excerpt};

mod five;

/// The story child's date of birth, as the form takes it and as a page would write it.
const DATE_OF_BIRTH: &str = "2015-03-02";
const DATE_OF_BIRTH_WORDS: &str = "2 March 2015";

/// What a table row expects.
#[derive(Clone, Copy, Debug)]
pub(crate) enum What {
    /// The reminder one working day before this deadline, to the stage leads.
    Reminder(Deadline),
    /// The deadline has passed, to the stage leads.
    Overdue(Deadline),
    /// This recipient is told as this stage begins, at the procedure's own address where it
    /// has one (and at the people holding the part, where there are any).
    Told(Recipient, u8, Option<&'static str>),
}

/// One row of a story's table: what arrives, on which day in the inbox and on which working
/// day by e-mail (`YYYY-MM-DD`, London dates).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Expect {
    pub what: What,
    pub inbox: &'static str,
    pub mail: &'static str,
}

pub(crate) fn stage(n: u8) -> Deadline {
    Deadline::Stage(StageNumber::new(i64::from(n)).unwrap())
}

fn london() -> TimeZone {
    TimeZone::get("Europe/London").unwrap()
}

fn date(s: &str) -> Date {
    s.parse().unwrap()
}

/// `hh:mm` on `d` in London.
fn instant(d: Date, hour: i8, minute: i8) -> Timestamp {
    d.at(hour, minute, 0, 0)
        .to_zoned(london())
        .unwrap()
        .timestamp()
}

fn local_date(us: i64) -> Date {
    Timestamp::from_microsecond(us)
        .unwrap()
        .to_zoned(london())
        .date()
}

/// One procedure's story: its own copy of the demo, its own sink, and what arrived when.
pub(crate) struct Story {
    h: Harness,
    sink: SmtpSink,
    mailer: Mailer,
    settings: MailSettings,
    queue: StoreQueue,
    procedure: &'static str,
    /// The escalation of the story, once raised.
    id: String,
    raiser: PersonRow,
    /// The child's details given at the raise: none may be in any e-mail.
    child: Vec<String>,
    /// Maildir files already read.
    read: HashSet<PathBuf>,
    /// Each Message-ID received, with the London date of the tick it came in, per copy.
    arrived: HashMap<String, Vec<Date>>,
    today: Date,
    _dir: tempfile::TempDir,
}

impl Story {
    /// The demo as the harness seeds it, a sink, and a first tick at 00:30 on `first`, which
    /// catches the demo's own deadlines up. `None` (skipped, loudly) where the sink cannot run
    /// outside CI.
    pub(crate) async fn start(procedure: &'static str, first: &str) -> Option<Story> {
        let dir = tempfile::tempdir().unwrap();
        let sink = SmtpSink::start(dir.path(), &SinkOptions::default())?;
        let h = Harness::new().await;
        let public: parley_mail::PublicUrl = "https://parley.test".parse().unwrap();
        let url: SmtpUrl = sink.url().parse().unwrap();
        let mailer = Mailer::smtp(&url, &public, 4).unwrap();
        let from = "Parley <parley@parley.test>".parse().unwrap();
        // The defaults `parley serve` uses: mail hours 08:00-18:00, batches of 50, 4 at once.
        let settings = MailSettings::new(from, public, format!("story-{procedure}"));
        let queue = StoreQueue::new(h.state.records.clone());
        let partnership = h.partnership_of(procedure);
        let raiser = h
            .person(&h.sign_in_of(&partnership, "practitioner").person_id)
            .await;
        let mut story = Story {
            h,
            sink,
            mailer,
            settings,
            queue,
            procedure,
            id: String::new(),
            raiser,
            child: Vec::new(),
            read: HashSet::new(),
            arrived: HashMap::new(),
            today: date(first),
            _dir: dir,
        };
        story.tick(instant(date(first), 0, 30)).await;
        Some(story)
    }

    /// The deadline pass and the sender as of `t`, then what the sink received since.
    async fn tick(&mut self, t: Timestamp) {
        self.h.at(t);
        let pass = self.h.state.records.deadline_pass(t).await.unwrap();
        assert!(pass.failed.is_empty(), "{t}: {:?}", pass.failed);
        let report = send_once(&self.queue, &self.mailer, &self.settings, t)
            .await
            .unwrap();
        assert!(
            report.problems.is_empty() && report.failed == 0 && report.retrying == 0,
            "{t}: {report:?}"
        );
        let open = t.to_zoned(london()).time().hour() >= 8;
        if !open {
            assert_eq!(report.sent, 0, "{t}: e-mail went outside mail hours");
        }
        let day = t.to_zoned(london()).date();
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.sink.maildir.join("new"))
            .into_iter()
            .flatten()
            .map(|e| e.unwrap().path())
            .filter(|p| !self.read.contains(p))
            .collect();
        files.sort();
        for file in files {
            let m = read_message(&file);
            let id = m
                .message_id
                .unwrap_or_else(|| panic!("{file:?}: no Message-ID"));
            self.arrived.entry(id).or_default().push(day);
            self.read.insert(file);
        }
    }

    /// Raises the story's escalation at 09:00 on the first day through the API, as the demo
    /// practitioner, about a child with `status` (`decided_on`: Dorset's Day One), then ticks.
    pub(crate) async fn raise(&mut self, status: &str, decided_on: Option<&str>) {
        let t = instant(self.today, 9, 0);
        self.h.at(t);
        let api = self.h.bearer_at(&self.raiser, t).await;
        let o = self.h.get("/api/raise/options", &api).await.json();
        let receiving = o["agencies"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] != json!(self.raiser.agency_id))
            .unwrap()["id"]
            .clone();
        let marker = format!("{MARKER_PREFIX}STORY-{}", self.procedure.to_uppercase());
        let name = format!("Robin Storytest {marker}");
        let identifier = format!("STORYID-{}-4471", self.procedure.to_uppercase());
        let mut body = json!({
            "immediate_risk": false,
            "other_procedure": "none",
            "route": "individual",
            "receiving_agency_id": receiving,
            "decision": "The referral was closed without an assessment.",
            "summary": "Referral closed without assessment",
            "category": o["categories"][0]["id"],
            "evidence": "Three concerns were not looked into.",
            "outcome_wanted": "An assessment.",
            "child": {
                "name": name,
                "date_of_birth": DATE_OF_BIRTH,
                "identifier": identifier,
                "status": status,
            }
        });
        if let Some(d) = decided_on {
            body["decided_on"] = json!(d);
        }
        let r = self
            .h
            .send_json(Method::POST, "/api/escalations", &api, &body)
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", excerpt(&r.body));
        self.id = r.json()["id"].as_str().unwrap().to_owned();
        self.child = vec![
            name,
            identifier,
            DATE_OF_BIRTH.to_owned(),
            DATE_OF_BIRTH_WORDS.to_owned(),
        ];
        self.tick(t).await;
    }

    /// The escalation as its raiser sees it at `t`.
    async fn view(&self, t: Timestamp) -> Value {
        let api = self.h.bearer_at(&self.raiser, t).await;
        let r = self
            .h
            .get(&format!("/api/escalations/{}", self.id), &api)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", excerpt(&r.body));
        r.json()
    }

    /// Escalates at `t` as the first person the procedure lets: the raiser, else an officer
    /// leading the current stage (the raising side first).
    async fn escalate(&mut self, t: Timestamp) {
        let v = self.view(t).await;
        let mut who = vec![(false, self.raiser.id.clone())];
        for side in v["current_stage"]["leads"].as_array().into_iter().flatten() {
            for o in side["officers"].as_array().into_iter().flatten() {
                who.push((
                    side["side"] != "raising",
                    o["id"].as_str().unwrap().to_owned(),
                ));
            }
        }
        who[1..].sort();
        let mut last = None;
        for (_, person) in who {
            let api = self.h.bearer_at(&self.h.person(&person).await, t).await;
            let body = json!({"action": "escalate", "version": v["version"]});
            let r = self
                .h
                .send_json(
                    Method::POST,
                    &format!("/api/escalations/{}/actions", self.id),
                    &api,
                    &body,
                )
                .await;
            if r.status == StatusCode::OK {
                return;
            }
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", excerpt(&r.body));
            last = Some(r.body);
        }
        panic!("nobody may escalate {} at {t}: {last:?}", self.id);
    }

    /// Lets the days pass up to and including `last`: on each, a tick at 00:30, then the
    /// escalations planned for that day (`escalate_on`) at 09:00, then a tick at 09:00. Each
    /// stage's due date is checked against the table as it starts (`stage_due`: stage number,
    /// the date the story expects).
    pub(crate) async fn run(&mut self, last: &str, escalate_on: &[&str], stage_due: &[(u8, &str)]) {
        self.check_stage_due(instant(self.today, 9, 0), stage_due)
            .await;
        let last = date(last);
        while self.today < last {
            self.today = self.today.tomorrow().unwrap();
            self.tick(instant(self.today, 0, 30)).await;
            let nine = instant(self.today, 9, 0);
            if escalate_on.contains(&self.today.to_string().as_str()) {
                self.escalate(nine).await;
                self.check_stage_due(nine, stage_due).await;
            }
            self.tick(nine).await;
        }
    }

    /// The stage the escalation is at now is due on the table's date (the governing one:
    /// the earlier of the stage's own and the overall deadline).
    async fn check_stage_due(&self, t: Timestamp, stage_due: &[(u8, &str)]) {
        let v = self.view(t).await;
        let n = v["current_stage"]["number"].as_u64().unwrap();
        let expected = stage_due
            .iter()
            .find(|(s, _)| u64::from(*s) == n)
            .unwrap_or_else(|| panic!("the table has no due date for stage {n}"))
            .1;
        assert_eq!(
            v["stage_deadline"]["due"], expected,
            "{}: stage {n} started {}",
            self.procedure, self.today
        );
    }

    /// Every notification about the story's escalation, and the table held against them.
    pub(crate) async fn check(&self, table: &[Expect]) {
        let deliveries = self
            .h
            .state
            .records
            .escalation_deliveries(&self.id)
            .await
            .unwrap();
        let inboxes = self.inboxes(&deliveries).await;
        let p = self.procedure;
        for row in table {
            let found: Vec<&Delivery> =
                deliveries.iter().filter(|d| matches(row.what, d)).collect();
            assert!(!found.is_empty(), "{p}: nothing for {row:?}");
            if let What::Told(_, _, Some(address)) = row.what {
                assert!(
                    found
                        .iter()
                        .any(|d| d.person_id.is_none() && d.address.as_deref() == Some(address)),
                    "{p}: {row:?} did not go to {address}: {found:#?}"
                );
            }
            for d in found {
                let what = format!("{p}: {row:?}, delivery {} to {:?}", d.id, d.address);
                assert_eq!(local_date(d.created_at_us), date(row.inbox), "{what}");
                if let Some(person) = &d.person_id {
                    let seen = inboxes.get(person).and_then(|i| i.get(&d.id));
                    let Some(arrived_at_us) = seen else {
                        panic!("{what}: not in {person}'s /api/notifications")
                    };
                    assert_eq!(local_date(*arrived_at_us), date(row.inbox), "{what}");
                }
                if d.address.is_some() {
                    assert_eq!(d.mail, MailState::Sent, "{what}");
                    let id = format!("<{}@parley.test>", d.id);
                    let copies = self.arrived.get(&id).cloned().unwrap_or_default();
                    assert_eq!(copies, [date(row.mail)], "{what}: e-mail {id}");
                }
            }
        }
        self.nothing_else(table, &deliveries);
        let searched = assert_no_child_markers(&self.sink.maildir, &self.markers());
        assert!(searched > 0, "{p}: no e-mail to search");
        let total: usize = self.arrived.values().map(Vec::len).sum();
        assert_eq!(searched, total);
        eprintln!(
            "{p}: {} notifications about the story's escalation checked against {} rows; {searched} e-mails searched",
            deliveries.len(),
            table.len()
        );
    }

    /// No reminder or overdue notice the table does not list, and each recipient the table
    /// tells as a stage begins is told at those stages only (Croydon's partnership from stage
    /// 3, not before).
    fn nothing_else(&self, table: &[Expect], deliveries: &[Delivery]) {
        let expected: BTreeSet<String> = table
            .iter()
            .filter_map(|row| match row.what {
                What::Reminder(d) => Some(format!("{:?}", Reason::DeadlineApproaching(d))),
                What::Overdue(d) => Some(format!("{:?}", Reason::DeadlinePassed(d))),
                What::Told(..) => None,
            })
            .collect();
        let got: BTreeSet<String> = deliveries
            .iter()
            .filter(|d| {
                matches!(
                    d.reason,
                    Reason::DeadlineApproaching(_) | Reason::DeadlinePassed(_)
                )
            })
            .map(|d| format!("{:?}", d.reason))
            .collect();
        assert_eq!(got, expected, "{}: the deadline notices", self.procedure);
        for recipient in table.iter().filter_map(|row| match row.what {
            What::Told(r, ..) => Some(r),
            _ => None,
        }) {
            let expected: BTreeSet<u8> = table
                .iter()
                .filter_map(|row| match row.what {
                    What::Told(r, n, _) if r == recipient => Some(n),
                    _ => None,
                })
                .collect();
            let got: BTreeSet<u8> = deliveries
                .iter()
                .filter(|d| d.recipient == recipient)
                .filter(|d| matches!(d.reason, Reason::StageEntered(_) | Reason::Raised))
                .map(|d| d.stage.get())
                .collect();
            assert_eq!(
                got, expected,
                "{}: the stages {recipient:?} is told at",
                self.procedure
            );
        }
    }

    /// The inbox of each person a delivery went to, as `/api/notifications` pages it: id ->
    /// when it arrived.
    async fn inboxes(&self, deliveries: &[Delivery]) -> HashMap<String, HashMap<String, i64>> {
        let t = instant(self.today, 12, 0);
        let people: BTreeSet<&String> = deliveries
            .iter()
            .filter_map(|d| d.person_id.as_ref())
            .collect();
        let mut out = HashMap::new();
        for person in people {
            let api: Auth = self.h.bearer_at(&self.h.person(person).await, t).await;
            let mut entries = HashMap::new();
            let mut page = 1;
            loop {
                let r = self
                    .h
                    .get(&format!("/api/notifications?page={page}"), &api)
                    .await;
                assert_eq!(r.status, StatusCode::OK, "{}", excerpt(&r.body));
                let v = r.json();
                for e in v["notifications"].as_array().unwrap() {
                    entries.insert(
                        e["id"].as_str().unwrap().to_owned(),
                        e["arrived_at_us"].as_i64().unwrap(),
                    );
                }
                if page >= v["pagination"]["pages"].as_i64().unwrap() {
                    break;
                }
                page += 1;
            }
            out.insert(person.clone(), entries);
        }
        out
    }

    /// What no e-mail may hold: every demo child's marker, and this story's child's name,
    /// identifier and date of birth.
    fn markers(&self) -> Vec<&str> {
        let mut m = vec![MARKER_PREFIX];
        m.extend(self.child.iter().map(String::as_str));
        m
    }
}

/// Whether a delivery is what a table row speaks of.
fn matches(what: What, d: &Delivery) -> bool {
    match what {
        What::Reminder(deadline) => {
            d.reason == Reason::DeadlineApproaching(deadline)
                && d.recipient == Recipient::StageLeads
        }
        What::Overdue(deadline) => {
            d.reason == Reason::DeadlinePassed(deadline) && d.recipient == Recipient::StageLeads
        }
        What::Told(recipient, n, _) => {
            d.recipient == recipient
                && d.stage.get() == n
                && matches!(d.reason, Reason::StageEntered(_) | Reason::Raised)
        }
    }
}
