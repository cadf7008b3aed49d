//! The check `parley serve` makes before it starts (`audit::check_recent`): each chain's
//! newest events recomputed and linked to the recorded head. Each way of breaking the tail is
//! named with its partnership and event, on both backends; what lies before the window is
//! `audit verify`'s business.

use parley_store::audit::{self, Problem};
use parley_store::chain::Break;

use super::backends;
use super::purge::{estate, restore};
use super::tamper::Owner;

#[tokio::test]
async fn a_broken_tail_or_head_is_named_before_serving() {
    for db in backends().await {
        let records = db.records().await;
        let e = estate(&records).await;
        let p = e.w.partnership.clone();
        let store = records.store().as_ref();
        let head = store.chain(&p, 0, 1000).await.unwrap().len() as i64;
        assert_eq!(audit::check_recent(store, 3).await.unwrap(), vec![]);
        let newest = store.chain(&p, head - 1, 1).await.unwrap().remove(0);

        // (tampering, what the check must name, how to undo it)
        let at = |seq: i64| format!("WHERE partnership_id = '{p}' AND seq = {seq}");
        let cases: Vec<(String, Problem, Option<String>)> = vec![
            (
                format!("UPDATE events SET actor = 'someone-else' {}", at(head)),
                Problem::Break(Break::Content { seq: head }),
                None,
            ),
            (
                format!("UPDATE events SET at_us = at_us + 1 {}", at(head - 1)),
                Problem::Break(Break::Hash { seq: head - 1 }),
                Some(format!(
                    "UPDATE events SET at_us = at_us - 1 {}",
                    at(head - 1)
                )),
            ),
            (
                format!("UPDATE events SET prev_hash = hash {}", at(head)),
                Problem::Break(Break::Link { seq: head }),
                None,
            ),
            (
                format!(
                    "UPDATE events SET actor = NULL, reason = NULL, payload = NULL, salt = NULL {}",
                    at(head)
                ),
                Problem::UnrecordedPurge { seqs: vec![head] },
                None,
            ),
            (
                format!("UPDATE chain_heads SET seq = seq + 1 WHERE partnership_id = '{p}'"),
                Problem::HeadMismatch {
                    recorded: (head + 1, newest.hash.clone()),
                    last: Some(audit::Head {
                        seq: head,
                        hash: newest.hash.clone().try_into().unwrap(),
                    }),
                },
                Some(format!(
                    "UPDATE chain_heads SET seq = seq - 1 WHERE partnership_id = '{p}'"
                )),
            ),
        ];
        let owner = Owner::connect(&db).await;
        for (tamper, expected, undo) in cases {
            owner.exec(&tamper).await;
            let found = audit::check_recent(store, 3).await.unwrap();
            assert_eq!(
                found,
                vec![(p.clone(), expected)],
                "{:?}: {tamper}",
                db.backend
            );
            match undo {
                Some(sql) => {
                    owner.exec(&sql).await;
                }
                None => {
                    restore(&owner, &newest).await;
                    owner
                        .exec(&format!(
                            "UPDATE events SET prev_hash = (SELECT hash FROM events WHERE partnership_id = '{p}' AND seq = {}) {}",
                            head - 1,
                            at(head)
                        ))
                        .await;
                }
            }
            assert_eq!(
                audit::check_recent(store, 3).await.unwrap(),
                vec![],
                "{tamper}"
            );
        }

        // The newest event gone with the head left as it was; then the head gone too.
        owner
            .exec(&format!("DELETE FROM events {}", at(head)))
            .await;
        let found = audit::check_recent(store, 3).await.unwrap();
        assert!(
            matches!(&found[..], [(id, Problem::HeadMismatch { .. })] if *id == p),
            "{:?}: {found:?}",
            db.backend
        );
        owner
            .exec(&format!(
                "DELETE FROM chain_heads WHERE partnership_id = '{p}'"
            ))
            .await;
        let found = audit::check_recent(store, 3).await.unwrap();
        assert_eq!(
            found,
            vec![(p.clone(), Problem::HeadMissing)],
            "{:?}",
            db.backend
        );

        // With the head pointed at the new last event, an edit before the window is out of
        // the cheap check's sight; `audit verify` sees it.
        owner
            .exec(&format!(
                "INSERT INTO chain_heads (partnership_id, seq, hash) SELECT partnership_id, seq, hash FROM events {}",
                at(head - 1)
            ))
            .await;
        owner
            .exec(&format!("UPDATE events SET at_us = at_us + 1 {}", at(2)))
            .await;
        owner.close().await;
        assert_eq!(audit::check_recent(store, 3).await.unwrap(), vec![]);
        let report = audit::verify(store).await.unwrap();
        assert_eq!(
            report.first_break().map(|(_, problem)| problem.clone()),
            Some(Problem::Break(Break::Hash { seq: 2 }))
        );
    }
}
