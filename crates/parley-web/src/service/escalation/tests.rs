use super::*;
use crate::access::{Access, Relation};
use jiff::Timestamp;
use parley_core::WorkingDays;
use parley_core::deadline::calendar_for;
use parley_core::escalation::Subject;
use parley_core::escalation::{Escalation, Event, Rules as CoreRules, TransitionError, decide};
use parley_core::names::{ChildStatus, Resolution, RouteKind};
use parley_core::procedure::Procedure;
use parley_core::{BankHolidays, Calendar};
use std::collections::BTreeMap;

fn rules(id: &str) -> (Procedure, Calendar) {
    let p = parley_core::seeds::get(id).unwrap().unwrap();
    let c = calendar_for(&p, &BankHolidays::built_in()).unwrap();
    (p, c)
}

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn raised(r: CoreRules<'_>, route: RouteKind, category: &str) -> Escalation {
    let subject = match route {
        RouteKind::Individual => Subject::Child {
            status: ChildStatus::ChildInNeed,
        },
        _ => Subject::Thematic,
    };
    decide(
        None,
        r,
        at("2026-03-02T10:00:00Z"),
        Event::Raised {
            route,
            subject,
            category: category.to_owned(),
            decided_on: None,
        },
    )
    .unwrap()
    .state
}

fn then(r: CoreRules<'_>, s: &Escalation, when: &str, e: Event) -> Escalation {
    decide(Some(s), r, at(when), e).unwrap().state
}

fn all_access() -> Access {
    Access {
        relations: vec![Relation::Raiser],
        child_details: true,
        can_act: true,
        can_record: true,
        can_withdraw: true,
        open: true,
        acting: vec![parley_core::names::Actor::Raiser],
        leads_referral_step: false,
        raising_side: vec![parley_core::names::Actor::Raiser],
        sides: vec![(
            parley_core::names::Side::Raising,
            parley_core::names::Actor::Raiser,
        )],
        proposer: false,
    }
}

fn kinds(o: &Offered) -> Vec<&'static str> {
    o.actions.iter().map(|a| a.action.as_str()).collect()
}

#[test]
fn sunderland_step_one_offers_what_its_rules_allow() {
    let (p, c) = rules("sunderland");
    let r = CoreRules {
        procedure: &p,
        calendar: &c,
    };
    let s = raised(r, RouteKind::Individual, "other");
    let o = offer("e1", r, &s, &all_access(), at("2026-03-03T10:00:00Z"));
    // Step 1 has an agreed timescale (at most 5 working days), no professionals' meeting,
    // and the referrals open only at step 4.
    assert_eq!(
        kinds(&o),
        [
            "record",
            "agree-timescale",
            "escalate",
            "resolve",
            "redirect",
            "withdraw"
        ]
    );
    // Sunderland's introduction: whistle-blowing is each organisation's own policy.
    let redirections: Vec<&str> = o.redirections.iter().map(|c| c.value.as_str()).collect();
    assert_eq!(redirections, ["whistleblowing"]);
    assert_eq!(o.max_working_days, Some(5));
    assert_eq!(o.referrals.len(), 0);
    assert_eq!(
        o.refused["refer-on"],
        "The procedure allows a referral from stage 4; the escalation is at stage 1"
    );
    assert!(o.refused.contains_key("convene-meeting"));
    let outcomes: Vec<&str> = o.outcomes.iter().map(|c| c.value.as_str()).collect();
    assert_eq!(outcomes, ["agreed", "by-events"]);
    assert_eq!(o.record.len(), 5);
    assert_eq!(o.next_stage.as_ref().map(|n| n.number), Some(2));
    assert_eq!(o.actions[2].label, "Escalate to stage 2");
    assert_eq!(o.actions[0].href, "/escalations/e1/record");
}

#[test]
fn the_last_stage_offers_referrals_and_no_escalation() {
    let (p, c) = rules("sunderland");
    let r = CoreRules {
        procedure: &p,
        calendar: &c,
    };
    let mut s = raised(r, RouteKind::Individual, "other");
    for day in ["2026-03-03", "2026-03-04", "2026-03-05"] {
        s = then(r, &s, &format!("{day}T10:00:00Z"), Event::Escalated);
    }
    assert_eq!(s.current_stage().get(), 4);
    // Step 4: the Heads of Service (the step's officers) refer on, not the raiser.
    let o = offer("e1", r, &s, &all_access(), at("2026-03-06T10:00:00Z"));
    assert!(!o.allows(ActionKind::ReferOn));
    let lead = Access {
        acting: vec![parley_core::names::Actor::StageLeads],
        ..all_access()
    };
    let o = offer("e1", r, &s, &lead, at("2026-03-06T10:00:00Z"));
    assert!(!o.allows(ActionKind::Escalate));
    assert!(o.refused["escalate"].contains("last stage"));
    assert!(o.allows(ActionKind::ReferOn));
    let referrals: Vec<&str> = o.referrals.iter().map(|c| c.value.as_str()).collect();
    assert_eq!(
        referrals,
        ["independent-scrutineer", "ofsted", "cqc", "hmicfrs"]
    );
}

#[test]
fn nothing_is_offered_once_closed_or_without_the_right() {
    let (p, c) = rules("sunderland");
    let r = CoreRules {
        procedure: &p,
        calendar: &c,
    };
    let s = raised(r, RouteKind::Individual, "other");
    let watcher = Access {
        relations: vec![Relation::BusinessTeam],
        child_details: false,
        can_act: false,
        can_record: false,
        can_withdraw: false,
        open: true,
        acting: vec![],
        leads_referral_step: false,
        raising_side: vec![],
        sides: Vec::new(),
        proposer: false,
    };
    let o = offer("e1", r, &s, &watcher, at("2026-03-03T10:00:00Z"));
    assert!(o.actions.is_empty());
    assert!(
        o.refused.is_empty(),
        "nothing to explain to someone who may not act"
    );

    let receiver = Access {
        can_withdraw: false,
        acting: vec![parley_core::names::Actor::Receiver],
        sides: vec![(
            parley_core::names::Side::Receiving,
            parley_core::names::Actor::Receiver,
        )],
        leads_referral_step: false,
        raising_side: vec![],
        ..all_access()
    };
    let o = offer("e1", r, &s, &receiver, at("2026-03-03T10:00:00Z"));
    assert!(
        !o.allows(ActionKind::Withdraw),
        "only the raising side withdraws"
    );
    assert!(
        !o.allows(ActionKind::Redirect),
        "only the raising side redirects"
    );
    assert!(o.allows(ActionKind::Escalate));

    let closed = then(r, &s, "2026-03-03T10:00:00Z", Event::Withdrawn);
    let o = offer("e1", r, &closed, &all_access(), at("2026-03-04T10:00:00Z"));
    // The stage record stays writable after closing (Solihull §6; Dorset §10): the
    // access rule decides whether this person may still write it.
    assert_eq!(kinds(&o), ["record"]);
    // As `access` has it for someone involved once it has closed: the record only.
    let involved_after = Access {
        can_act: false,
        can_withdraw: false,
        open: false,
        ..all_access()
    };
    let o = offer(
        "e1",
        r,
        &closed,
        &involved_after,
        at("2026-03-04T10:00:00Z"),
    );
    assert_eq!(kinds(&o), ["record"]);
    let watcher_after = Access {
        can_record: false,
        acting: vec![],
        leads_referral_step: false,
        raising_side: vec![],
        ..involved_after
    };
    let o = offer("e1", r, &closed, &watcher_after, at("2026-03-04T10:00:00Z"));
    assert!(o.actions.is_empty());
}

#[test]
fn buckinghamshire_sees_through_a_resolution_by_events() {
    let (p, c) = rules("buckinghamshire");
    let r = CoreRules {
        procedure: &p,
        calendar: &c,
    };
    assert!(p.outcomes.see_through_when_resolved_by_events);
    let s = raised(r, RouteKind::Individual, &p.categories[0].id);
    let s = then(
        r,
        &s,
        "2026-03-03T10:00:00Z",
        Event::Resolved {
            resolution: Resolution::ByEvents,
        },
    );
    assert!(
        s.status.is_open(),
        "Buckinghamshire 2.4.11: still seen through"
    );
    let o = offer("e1", r, &s, &all_access(), at("2026-03-04T10:00:00Z"));
    assert!(o.allows(ActionKind::Resolve));
    assert!(
        o.outcomes.iter().all(|c| c.value != "by-events"),
        "it cannot be resolved by events twice"
    );
    // A fixed timescale cannot be agreed.
    assert!(!o.allows(ActionKind::AgreeTimescale));
    assert_eq!(o.max_working_days, None);
}

#[test]
fn solihull_offers_a_professionals_meeting_where_its_stages_provide_one() {
    let (p, c) = rules("solihull");
    let r = CoreRules {
        procedure: &p,
        calendar: &c,
    };
    let route = p.routes[0].kind;
    let s = raised(r, route, &p.categories[0].id);
    let o = offer("e1", r, &s, &all_access(), at("2026-03-03T10:00:00Z"));
    let provided = p
        .stage(s.current_stage())
        .is_some_and(|st| st.professionals_meeting);
    assert_eq!(o.allows(ActionKind::ConveneMeeting), provided);
}

#[test]
fn only_changed_record_fields_are_written() {
    let (p, c) = rules("sunderland");
    let r = CoreRules {
        procedure: &p,
        calendar: &c,
    };
    let s = raised(r, RouteKind::Individual, "other");
    let s = then(
        r,
        &s,
        "2026-03-03T10:00:00Z",
        Event::StageRecordUpdated {
            stage: s.current_stage(),
            fields: vec![("discussion".into(), "We talked.".into())],
        },
    );
    let kept = &p.stages[0].record;
    let sent: BTreeMap<String, String> = [
        ("discussion", "We talked.\r\n"),
        ("actions", "Visit on Monday.\r\nCall after."),
        ("outcome", ""),
        ("unknown", "ignored"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    assert_eq!(
        record_changes(s.current(), kept, &sent),
        [(
            "actions".to_owned(),
            "Visit on Monday.\nCall after.".to_owned()
        )]
    );
    let cleared: BTreeMap<String, String> = [("discussion".to_owned(), "  ".to_owned())]
        .into_iter()
        .collect();
    assert_eq!(
        record_changes(s.current(), kept, &cleared),
        [("discussion".to_owned(), String::new())],
        "clearing a written field is a change"
    );
}

#[test]
fn inputs_become_events_or_name_the_field_at_fault() {
    let (p, c) = rules("sunderland");
    let r = CoreRules {
        procedure: &p,
        calendar: &c,
    };
    let s = raised(r, RouteKind::Individual, "other");
    let field_of = |input: ActionInput, reason: Option<&str>| match to_event(
        &p,
        &s,
        &all_access(),
        &input,
        reason,
    ) {
        Err(ActError::Invalid(e)) => e.field,
        other => panic!("expected invalid, got {other:?}"),
    };
    assert_eq!(field_of(ActionInput::Withdraw, Some("  ")), "reason");
    assert_eq!(
        field_of(ActionInput::AgreeTimescale { working_days: 0 }, None),
        "working-days"
    );
    assert_eq!(
        field_of(
            ActionInput::Resolve {
                outcome: "maybe".into(),
                dissent: None,
            },
            None
        ),
        "outcome"
    );
    assert_eq!(
        field_of(
            ActionInput::Record {
                fields: BTreeMap::new(),
                stage: None
            },
            None
        ),
        "record-involved"
    );
    let (event, reason) = to_event(
        &p,
        &s,
        &all_access(),
        &ActionInput::Withdraw,
        Some("Sorted out.\r\n"),
    )
    .unwrap();
    assert_eq!(event, Event::Withdrawn);
    assert_eq!(reason.as_deref(), Some("Sorted out."));

    // The state machine's refusal is put on the field it is about.
    let too_long = TransitionError::AgreedTimescaleTooLong {
        given: WorkingDays::new(6).unwrap(),
        max: WorkingDays::new(5).unwrap(),
    };
    assert_eq!(
        refusal_field(&p, &s, ActionKind::AgreeTimescale, &too_long),
        "working-days"
    );
    assert_eq!(
        sentence(&too_long.to_string()),
        "6 working days is longer than the 5 this stage allows"
    );
}

#[test]
fn api_actions_read_as_documented() {
    let r: ActionRequest =
        serde_json::from_str(r#"{"version": 3, "action": "agree-timescale", "working_days": 4}"#)
            .unwrap();
    assert_eq!(r.version, 3);
    assert!(matches!(
        r.action,
        ActionInput::AgreeTimescale { working_days: 4 }
    ));
    let r: ActionRequest = serde_json::from_str(
        r#"{"version": 1, "action": "record", "fields": {"discussion": "x"}}"#,
    )
    .unwrap();
    assert_eq!(r.action.kind(), ActionKind::Record);
    let r: ActionRequest =
        serde_json::from_str(r#"{"version": 1, "action": "withdraw", "reason": "done"}"#).unwrap();
    assert_eq!(r.reason.as_deref(), Some("done"));
    for k in ActionKind::ALL {
        assert_eq!(ActionKind::parse(k.as_str()), Some(k));
    }
}

/// How many times `retrying` runs an attempt that always ends in the given conflict.
async fn attempts_at(raced: bool) -> (usize, Result<i64, ActError>) {
    let calls = std::cell::Cell::new(0);
    let out = retrying(|| {
        calls.set(calls.get() + 1);
        async move {
            Err(ActError::Conflict {
                seen: 3,
                current: 4,
                raced,
            })
        }
    })
    .await;
    (calls.get(), out)
}

#[tokio::test]
async fn a_raced_append_is_tried_again_and_anothers_change_is_final() {
    let (calls, out) = attempts_at(true).await;
    assert_eq!(
        calls, 3,
        "a write between the read and the append: read again"
    );
    assert!(matches!(out, Err(ActError::Conflict { raced: true, .. })));
    let (calls, out) = attempts_at(false).await;
    assert_eq!(
        calls, 1,
        "another person's change seen on reading: no second read"
    );
    assert!(matches!(
        out,
        Err(ActError::Conflict {
            seen: 3,
            current: 4,
            raced: false
        })
    ));
    // A success after a raced attempt is the success.
    let calls = std::cell::Cell::new(0);
    let out = retrying(|| {
        calls.set(calls.get() + 1);
        let n = calls.get();
        async move {
            if n == 1 {
                Err(ActError::Conflict {
                    seen: 3,
                    current: 4,
                    raced: true,
                })
            } else {
                Ok(5)
            }
        }
    })
    .await;
    assert_eq!((calls.get(), out.ok()), (2, Some(5)));
}
