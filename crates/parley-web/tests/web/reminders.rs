//! A reminder the deadline monitor records (issue 15) reads in the escalation's history as
//! which deadline is near and its date, recorded by Parley.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use parley_core::WorkingDays;
use parley_core::escalation::{Deadline, Event};
use parley_core::procedure::StageNumber;
use parley_store::records::Actor;
use serde_json::Value;

use crate::harness::Harness;
use crate::referrals::case;

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
    let due: Date = due.parse().unwrap();
    let at = due
        .at(12, 0, 0, 0)
        .to_zoned(TimeZone::get("Europe/London").unwrap())
        .unwrap()
        .timestamp();
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
