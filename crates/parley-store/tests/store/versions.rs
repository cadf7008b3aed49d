//! A partnership's procedure is stored and versioned: an escalation keeps the version it was
//! raised under, and a new version applies to escalations raised after it.

use parley_core::escalation::Event;
use parley_store::records::Actor;

use super::stories::{raise_input, world};
use super::{at, backends};

#[tokio::test]
async fn an_escalation_keeps_the_procedure_it_was_raised_under() {
    for db in backends().await {
        let records = db.records().await;
        let w = world(&records, "solihull").await;
        let actor = Actor::person(&w.teacher);
        let old = records
            .raise(at(10), &actor, &w.partnership, raise_input(&w, "none"))
            .await
            .unwrap();

        // Version 2: stage 1 takes 3 working days instead of 1.
        let source = parley_core::seeds::source("solihull").unwrap();
        let changed = source.replacen(
            "timescale = { working_days = 1, from = \"stage-start\" }",
            "timescale = { working_days = 3, from = \"stage-start\" }",
            1,
        );
        assert_ne!(
            changed, source,
            "the fixture edit must change the procedure"
        );
        let version = records
            .adopt_procedure(at(20), &Actor::SYSTEM, &w.partnership, &changed)
            .await
            .unwrap();
        assert_eq!(version, 2);
        let new = records
            .raise(at(30), &actor, &w.partnership, raise_input(&w, "none"))
            .await
            .unwrap();

        let store = records.store();
        let old_row = store.escalation(&old.id).await.unwrap().unwrap();
        let new_row = store.escalation(&new.id).await.unwrap().unwrap();
        assert_eq!(
            (old_row.procedure_version, new_row.procedure_version),
            (1, 2)
        );
        // Raised Monday 21 December 2026: 1 working day -> 22nd; 3 -> 24th.
        assert_eq!(old_row.stage_due, "2026-12-22");
        assert_eq!(new_row.stage_due, "2026-12-24");
        let procedures = store.procedures(&w.partnership).await.unwrap();
        assert_eq!(
            procedures.iter().map(|p| p.version).collect::<Vec<_>>(),
            vec![1, 2]
        );

        // Acting on the old escalation still uses version 1, also after a rebuild.
        records
            .act(at(40), &actor, &old.id, 1, &Event::Escalated, None)
            .await
            .unwrap();
        records.rebuild_projections().await.unwrap();
        let old_row = store.escalation(&old.id).await.unwrap().unwrap();
        assert_eq!((old_row.procedure_version, old_row.current_stage), (1, 2));
        // Solihull stage 2: 2 working days from Monday 21st -> Wednesday 23rd.
        assert_eq!(old_row.stage_due, "2026-12-23");
    }
}
