//! The volume seeder of `scripts/bench-reports` (`parley_demo::seed_bulk`), on both backends:
//! every escalation it plans is written, spread over the years asked for, through the same
//! events as a person's actions (the chains verify and the query tables are what replaying
//! them gives), and the report figures over its data agree with the independent calculation
//! over the events for a year in the middle of the span and for the last one.

use std::sync::Arc;

use jiff::Timestamp;
use jiff::civil::date;
use parley_demo::expected::expected;
use parley_demo::{BulkOptions, seed_bulk};
use parley_report::Period;
use parley_report::figures::figures;
use parley_store::consistency::{self, ProjectionReport};
use parley_store::records::Records;
use parley_store::transfer;

use super::backends;

#[tokio::test]
async fn bulk_seeding_writes_every_escalation_over_the_years_through_the_records() {
    let now: Timestamp = "2026-12-01T10:00:00Z".parse().unwrap();
    let as_of = date(2026, 12, 1);
    for db in backends().await {
        let backend = db.backend;
        let records: Arc<Records> = Arc::new(db.records().await);
        let options = BulkOptions {
            procedure: "dorset".to_owned(),
            escalations: 120,
            years: 3,
            seed: 5,
            in_flight: 32,
        };
        let mut calls = Vec::new();
        let summary = seed_bulk(records.clone(), now, &options, &mut |done, all, _| {
            calls.push((done, all));
        })
        .await
        .unwrap();
        assert_eq!(summary.escalations, 120, "{backend:?}");
        assert_eq!(calls.last(), Some(&(120, 120)), "{backend:?}: {calls:?}");
        assert_eq!(summary.short_name, "DSCP");

        let store = records.store().clone();
        let rows = store.escalations(&summary.partnership_id).await.unwrap();
        assert_eq!(rows.len(), 120, "{backend:?}");
        // Raised over the three years, not on one day.
        let mut raised: Vec<&str> = rows.iter().map(|e| e.raised_on.as_str()).collect();
        raised.sort_unstable();
        assert!(
            raised[0] < "2024-02-01" && raised[119] > "2026-10-01",
            "{backend:?}: raised from {} to {}",
            raised[0],
            raised[119]
        );
        let statuses: std::collections::BTreeSet<&str> =
            rows.iter().map(|e| e.status.as_str()).collect();
        assert!(
            statuses.len() >= 3,
            "{backend:?}: only {statuses:?} among 120"
        );

        let verified = transfer::verify_chains(store.as_ref()).await.unwrap();
        assert!(
            verified.events as usize > summary.events,
            "{backend:?}: the log holds {} events, the seeder wrote {} of escalations",
            verified.events,
            summary.events
        );
        assert_eq!(
            consistency::check(store.as_ref(), records.holidays().clone())
                .await
                .unwrap(),
            ProjectionReport::Consistent,
            "{backend:?}"
        );

        for period in [
            Period::range(date(2025, 1, 1), date(2025, 12, 31)).unwrap(),
            Period::range(date(2025, 12, 1), date(2026, 11, 30)).unwrap(),
        ] {
            let inputs = records
                .report_inputs(&summary.partnership_id, period)
                .await
                .unwrap();
            let got = figures(
                &inputs.facts.escalations,
                &inputs.facts.compliments,
                period,
                as_of,
                &inputs.calendar,
            )
            .unwrap();
            let want = expected(
                store.as_ref(),
                &summary.partnership_id,
                period.from(),
                period.to(),
            )
            .await
            .unwrap();
            assert!(want.raised > 20, "{backend:?} {period}: {want:?}");
            assert_eq!(got.raised, want.raised, "{backend:?} {period}");
            let closed: u64 = got.outcomes.iter().map(|(_, n)| *n).sum();
            assert_eq!(
                closed,
                want.outcomes.values().sum::<u64>(),
                "{backend:?} {period}"
            );
            assert_eq!(
                got.open_at_end.lines.len(),
                want.open_at_end.len(),
                "{backend:?} {period}"
            );
        }
    }
}
