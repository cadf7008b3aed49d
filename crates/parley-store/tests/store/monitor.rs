//! The deadline monitor (issue 15): the wake date the projector keeps for each escalation, and
//! the passes that record what has come due, on both backends.

use parley_core::escalation::{Deadline, Event};
use parley_core::procedure::StageNumber;
use parley_store::consistency::{self, ProjectionReport};
use parley_store::records::{Actor, Records};

use super::stories::{raise_input, world};
use super::{at, backends};

/// An instant `days` days and `hours` hours after the suite's base (Monday 21 December 2026,
/// 09:00 UTC).
pub(crate) fn day(days: i64, hours: i64) -> jiff::Timestamp {
    at(days * 24 * 60 + hours * 60)
}

async fn wake_on(records: &Records, id: &str) -> Option<String> {
    let row = records.store().escalation(id).await.unwrap().unwrap();
    assert_eq!(
        consistency::check(records.store().as_ref(), records.holidays().clone())
            .await
            .unwrap(),
        ProjectionReport::Consistent
    );
    row.wake_on
}

/// The day after `date` (`YYYY-MM-DD`).
fn next_day(date: &str) -> String {
    date.parse::<jiff::civil::Date>()
        .unwrap()
        .tomorrow()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn the_wake_date_follows_the_story_on_every_write_path() {
    for db in backends().await {
        let records = db.records().await;
        // Buckinghamshire 2.4.24: 5 working days a stage, 15 at most.
        let w = world(&records, "buckinghamshire").await;
        let teacher = Actor::person(&w.teacher);
        let mut input = raise_input(&w, "child-in-need");
        input.category = "levels-of-need".to_owned();
        let e = records
            .raise(at(10), &teacher, &w.partnership, input)
            .await
            .unwrap();
        let row = records.store().escalation(&e.id).await.unwrap().unwrap();
        // Raised Monday 21 December 2026: stage 1 is due Wednesday 30 December (25 and 28
        // December are bank holidays), and passes when that day ends.
        assert_eq!(row.stage_due, "2026-12-30", "{:?}", db.backend);
        assert_eq!(row.overall_due.as_deref(), Some("2027-01-14"));
        let woken = wake_on(&records, &e.id).await;
        assert_eq!(woken.as_deref(), Some("2026-12-31"), "{:?}", db.backend);

        // Escalated on Tuesday 29 December: stage 2 is due on Wednesday 6 January.
        let v = records
            .act(
                day(8, 1),
                &teacher,
                &e.id,
                e.version,
                &Event::Escalated,
                None,
            )
            .await
            .unwrap();
        let row = records.store().escalation(&e.id).await.unwrap().unwrap();
        assert_eq!(row.stage_due, "2027-01-06");
        assert_eq!(
            wake_on(&records, &e.id).await,
            Some(next_day(&row.stage_due))
        );

        // A record written meanwhile changes nothing the monitor waits for (SQLite writes
        // such a row in place).
        let v = records
            .act(
                day(8, 2),
                &teacher,
                &e.id,
                v,
                &Event::StageRecordUpdated {
                    stage: StageNumber::new(2).unwrap(),
                    fields: vec![("discussion".to_owned(), "Talked it through".to_owned())],
                },
                None,
            )
            .await
            .unwrap();
        assert_eq!(
            wake_on(&records, &e.id).await.as_deref(),
            Some("2027-01-07")
        );

        // Stage 2's deadline recorded on Thursday 7 January, as it passes: the overall one is
        // next.
        let stage = StageNumber::new(2).unwrap();
        let v = records
            .act(
                day(17, 0),
                &Actor::SYSTEM,
                &e.id,
                v,
                &Event::DeadlinePassed {
                    deadline: Deadline::Stage(stage),
                },
                None,
            )
            .await
            .unwrap();
        assert_eq!(
            wake_on(&records, &e.id).await.as_deref(),
            Some("2027-01-15"),
            "{:?}",
            db.backend
        );

        // Closed: nothing left to wait for.
        records
            .act(day(17, 1), &teacher, &e.id, v, &Event::Withdrawn, None)
            .await
            .unwrap();
        assert_eq!(wake_on(&records, &e.id).await, None, "{:?}", db.backend);

        // A rebuild gives the same column.
        records.rebuild_projections().await.unwrap();
        assert_eq!(wake_on(&records, &e.id).await, None);
    }
}
