//! A reminder the deadline monitor records (issue 15) reads in the escalation's history as
//! which deadline is near and its date, recorded by Parley.

use axum::http::{Method, StatusCode};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use parley_core::WorkingDays;
use parley_core::escalation::{Deadline, Event};
use parley_core::procedure::StageNumber;
use parley_store::records::Actor;
use serde_json::{Value, json};

use crate::harness::{Harness, excerpt};
use crate::referrals::case;

/// Noon on `day` in England.
fn noon(day: Date) -> jiff::Timestamp {
    day.at(12, 0, 0, 0)
        .to_zoned(TimeZone::get("Europe/London").unwrap())
        .unwrap()
        .timestamp()
}

/// Records the reminder at noon on `due` (its day has come, the deadline has not passed) and
/// returns the history's last line.
async fn remind(
    h: &Harness,
    id: &str,
    deadline: Deadline,
    due: &str,
    who: &crate::harness::Auth,
) -> Value {
    let view = h.get(&format!("/api/escalations/{id}"), who).await.json();
    let at = noon(due.parse().unwrap());
    let event = Event::DeadlineApproaching {
        deadline,
        before: WorkingDays::new(1).unwrap(),
    };
    h.state
        .records
        .act(
            at,
            &Actor::SYSTEM,
            id,
            view["version"].as_i64().unwrap(),
            &event,
            None,
        )
        .await
        .unwrap();
    let history = h
        .get(&format!("/api/escalations/{id}/history"), who)
        .await
        .json();
    history.as_array().unwrap().last().unwrap().clone()
}

#[tokio::test]
async fn a_reminder_reads_as_the_deadline_and_its_date() {
    let h = Harness::new().await;

    let c = case(&h, "croydon", 1).await;
    let view = c.view(&h, &c.raiser).await.json();
    let due = view["stage_deadline"]["due"].as_str().unwrap().to_owned();
    let line = remind(
        &h,
        &c.id,
        Deadline::Stage(StageNumber::FIRST),
        &due,
        &c.raiser,
    )
    .await;
    let words = due
        .parse::<Date>()
        .unwrap()
        .strftime("%A %-d %B %Y")
        .to_string();
    assert_eq!(line["kind"], "deadline-approaching");
    assert_eq!(
        line["title"],
        format!("Reminder: the stage 1 deadline is on {words}")
    );
    assert_eq!(line["actor"], "Parley");

    // Buckinghamshire's 15 days maximum.
    let c = case(&h, "buckinghamshire", 1).await;
    let view = c.view(&h, &c.raiser).await.json();
    let due = view["overall_deadline"]["due"].as_str().unwrap().to_owned();
    let line = remind(&h, &c.id, Deadline::Overall, &due, &c.raiser).await;
    let words = due
        .parse::<Date>()
        .unwrap()
        .strftime("%A %-d %B %Y")
        .to_string();
    assert_eq!(
        line["title"],
        format!("Reminder: the deadline for the whole escalation is on {words}")
    );
}

/// A form filled in on the version before the deadline monitor's reminder is still taken: the
/// reminder changes nothing the person acts on, and a stage of one working day (Solihull's
/// first) has its reminder on the day it starts. A form filled in before another person's
/// change is a conflict, on the page and in the API, the reminder or not.
#[tokio::test]
async fn the_monitors_reminder_is_no_conflict_but_a_persons_change_is() {
    let mut h = Harness::new().await;
    let c = case(&h, "solihull", 1).await;
    let view = c.view(&h, &c.raiser).await.json();
    let seen = view["version"].as_i64().unwrap();
    let raiser_id = view["raised_by"]["id"].as_str().unwrap().to_owned();
    let due = view["stage_deadline"]["due"].as_str().unwrap().to_owned();
    // Its reminder day is today, the day it was raised: the monitor records it now.
    h.state
        .records
        .act(
            crate::harness::now(),
            &Actor::SYSTEM,
            &c.id,
            seen,
            &Event::DeadlineApproaching {
                deadline: Deadline::Stage(StageNumber::FIRST),
                before: WorkingDays::new(1).unwrap(),
            },
            None,
        )
        .await
        .unwrap();
    let reminded = c.view(&h, &c.raiser).await.json()["version"]
        .as_i64()
        .unwrap();
    assert_eq!(reminded, seen + 1, "the reminder is an event of its own");

    // The API: the version from before the reminder.
    let actions = format!("/api/escalations/{}/actions", c.id);
    let record = |version: i64, text: &str| json!({"version": version, "action": "record", "fields": {"discussion": text}});
    let r = h
        .send_json(
            Method::POST,
            &actions,
            &c.raiser,
            &record(seen, "API-AFTER-REMINDER"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", excerpt(&r.body));
    let after_person = c.view(&h, &c.raiser).await.json();
    assert_eq!(after_person["version"].as_i64().unwrap(), reminded + 1);
    assert!(after_person.to_string().contains("API-AFTER-REMINDER"));

    // Now a person's change came after `seen` (and after `reminded`): a conflict either way,
    // and nothing is written.
    for stale in [seen, reminded] {
        let r = h
            .send_json(
                Method::POST,
                &actions,
                &c.raiser,
                &record(stale, "API-STALE"),
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", excerpt(&r.body));
    }
    // A version the escalation never had is no way past the check.
    for bogus in [-1, reminded + 5] {
        let r = h
            .send_json(
                Method::POST,
                &actions,
                &c.raiser,
                &record(bogus, "API-BOGUS"),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::CONFLICT,
            "{bogus}: {}",
            excerpt(&r.body)
        );
    }

    // The page: the form of the version before the person's change conflicts too.
    let path = format!("/escalations/{}/record", c.id);
    let person = h.person(&raiser_id).await;
    let raiser = h.session_for("raiser", &person).await;
    let r = h
        .post_form(
            &path,
            &raiser.auth,
            &[
                ("version", &reminded.to_string()),
                ("record-discussion", "PAGE-STALE"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", excerpt(&r.body));
    let current = c.view(&h, &c.raiser).await.json();
    assert!(!current.to_string().contains("STALE"));
    assert!(!current.to_string().contains("BOGUS"));

    // The monitor records the stage's deadline as passed (the day after it) after the
    // person's change: the page's form of the version before that goes through.
    let now_seen = current["version"].as_i64().unwrap();
    let day_after = noon(due.parse::<Date>().unwrap().tomorrow().unwrap());
    h.at(day_after);
    h.state
        .records
        .act(
            day_after,
            &Actor::SYSTEM,
            &c.id,
            now_seen,
            &Event::DeadlinePassed {
                deadline: Deadline::Stage(StageNumber::FIRST),
            },
            None,
        )
        .await
        .unwrap();
    let page = h.session_at(&person, day_after).await;
    let r = h
        .post_form(
            &path,
            &page,
            &[
                ("version", &now_seen.to_string()),
                ("record-discussion", "PAGE-AFTER-MONITOR"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", excerpt(&r.body));
    let api = h.bearer_at(&person, day_after).await;
    let v = c.view(&h, &api).await;
    assert!(
        v.body.contains("PAGE-AFTER-MONITOR"),
        "{}",
        excerpt(&v.body)
    );
}
