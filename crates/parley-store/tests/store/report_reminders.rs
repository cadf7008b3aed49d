//! The reports the procedures call for (`[[report]]`, issue 17) as the deadline monitor
//! records them, and the partnership's threshold for published reports, on both backends:
//! each report once a period, however many passes or servers; its reminder queued for the
//! business team, resolved into their inbox; the threshold an event on the partnership's
//! stream, read back by a new server; the query tables still what the events say.

use jiff::civil::date;
use parley_core::escalation::Reason;
use parley_report::suppress::Threshold;
use parley_store::consistency::{self, ProjectionReport};
use parley_store::records::{Actor, PersonInput, Records};

use super::backends;
use super::monitor::day;
use super::stories::world;

/// The reminders queued for a partnership: the reason of each outbox row naming a report.
async fn reminders(records: &Records, partnership: &str) -> Vec<String> {
    records
        .store()
        .outbox(partnership)
        .await
        .unwrap()
        .into_iter()
        .filter(|o| o.reason.starts_with("report-due:"))
        .map(|o| {
            assert_eq!(o.recipient, "partnership-business-team");
            assert_eq!(o.escalation_id, None);
            assert!(!o.child_details);
            o.reason
        })
        .collect()
}

async fn consistent(records: &Records) {
    assert_eq!(
        consistency::check(records.store().as_ref(), records.holidays().clone())
            .await
            .unwrap(),
        ProjectionReport::Consistent
    );
}

#[tokio::test]
async fn each_report_is_due_once_a_period_and_reaches_the_business_team() {
    for db in backends().await {
        let b = db.backend;
        let records = db.records().await;
        // Dorset §10: a monthly list of the escalations to stage 3 and above.
        let w = world(&records, "dorset").await;
        let team = records
            .save_person(
                day(0, 0),
                &Actor::SYSTEM,
                &w.partnership,
                None,
                PersonInput {
                    agency_id: None,
                    name: "Bea Business".to_owned(),
                    email: "bea@example.org".to_owned(),
                    job_title: "Business manager".to_owned(),
                    roles: vec!["partnership-business-team".to_owned()],
                    line_manager_id: None,
                    active: true,
                },
            )
            .await
            .unwrap();

        // Monday 21 December 2026: November's list is due.
        let report = records.deadline_pass(day(0, 1)).await.unwrap();
        assert_eq!(report.reports_due, 1, "{b:?}: {report:?}");
        let november = "report-due:stage-3-and-above:2026-11-01:2026-11-30";
        assert_eq!(reminders(&records, &w.partnership).await, [november]);

        // Again, and from a second server: nothing more this month.
        assert_eq!(
            records.deadline_pass(day(0, 2)).await.unwrap().reports_due,
            0
        );
        let other = db.records().await;
        assert_eq!(other.deadline_pass(day(3, 0)).await.unwrap().reports_due, 0);

        // Friday 1 January 2027: December's, once, from two servers passing at once.
        let (one, two) = tokio::join!(
            records.deadline_pass(day(11, 1)),
            other.deadline_pass(day(11, 1))
        );
        let (one, two) = (one.unwrap(), two.unwrap());
        assert_eq!(
            one.reports_due + two.reports_due,
            1,
            "{b:?}: {one:?} {two:?}"
        );
        let december = "report-due:stage-3-and-above:2026-12-01:2026-12-31";
        assert_eq!(
            reminders(&records, &w.partnership).await,
            [november, december]
        );

        // No pass from January to April: one reminder, for March, never a backlog.
        assert_eq!(
            records
                .deadline_pass(day(105, 0))
                .await
                .unwrap()
                .reports_due,
            1
        );
        assert_eq!(reminders(&records, &w.partnership).await.len(), 3);

        // Resolved into the business team's inbox, as a reminder about no escalation.
        records.resolve_outbox(day(105, 1)).await.unwrap();
        let (inbox, total) = records.inbox(&team, 1, 10).await.unwrap();
        assert_eq!(total, 3, "{b:?}");
        assert_eq!(
            inbox[0].reason,
            Reason::ReportDue {
                report: "stage-3-and-above".to_owned(),
                from: date(2027, 3, 1),
                to: date(2027, 3, 31),
            }
        );
        assert_eq!(inbox[0].escalation_id, None);
        consistent(&records).await;

        // Croydon: the Annual Report, by financial year.
        let croydon = world(&records, "croydon").await;
        assert_eq!(
            records
                .deadline_pass(day(106, 0))
                .await
                .unwrap()
                .reports_due,
            1
        );
        assert_eq!(
            reminders(&records, &croydon.partnership).await,
            ["report-due:annual-report:2026-04-01:2027-03-31"]
        );
        // Buckinghamshire calls for none.
        let bucks = world(&records, "buckinghamshire").await;
        assert_eq!(
            records
                .deadline_pass(day(107, 0))
                .await
                .unwrap()
                .reports_due,
            0
        );
        assert!(reminders(&records, &bucks.partnership).await.is_empty());
        consistent(&records).await;
    }
}

#[tokio::test]
async fn the_threshold_of_published_reports_is_the_partnerships_own() {
    for db in backends().await {
        let b = db.backend;
        let records = db.records().await;
        let w = world(&records, "solihull").await;
        assert_eq!(
            records.report_threshold(&w.partnership).await.unwrap(),
            Threshold::DEFAULT
        );
        let ten = Threshold::new(10).unwrap();
        records
            .set_report_threshold(day(0, 1), &Actor::SYSTEM, &w.partnership, ten)
            .await
            .unwrap();
        assert_eq!(records.report_threshold(&w.partnership).await.unwrap(), ten);
        // A new server reads it from the partnership's stream, and the report inputs carry
        // it.
        let other = db.records().await;
        assert_eq!(
            other.report_threshold(&w.partnership).await.unwrap(),
            ten,
            "{b:?}"
        );
        let period = parley_report::Period::range(date(2026, 1, 1), date(2026, 12, 31)).unwrap();
        let inputs = other.report_inputs(&w.partnership, period).await.unwrap();
        assert_eq!(inputs.threshold, ten);
        // Recorded like every change to the partnership: an event, the chain appended to.
        let kinds: Vec<String> = other
            .store()
            .chain(&w.partnership, 0, i64::MAX)
            .await
            .unwrap()
            .into_iter()
            .map(|l| l.kind)
            .collect();
        assert_eq!(
            kinds
                .iter()
                .filter(|k| *k == "report-threshold-set")
                .count(),
            1
        );
        consistent(&other).await;
    }
}
