//! Who led which stage of each escalation, worked out for the tests by replaying a
//! partnership's chain of events in order, independently of the store's record of officers
//! (`escalation_officers`) and of `parley_web::access`: an officer led a stage of an
//! escalation when they held the post (agency, stage) at some moment while the escalation was
//! at that stage, from entering it until it left it; while it was open, for a post filled
//! after the stage was entered. The stages an escalation went through are its stage rows, in
//! order.

use std::collections::{BTreeSet, HashMap};

use parley_store::Store;
use parley_store::payload::Payload;

/// (escalation id, stage, agency id, person id).
pub(crate) type Led = (String, i64, String, String);

struct Escalation {
    /// The stages it went through, in order.
    stages: Vec<i64>,
    /// Where it is in `stages`.
    at: usize,
    open: bool,
    agencies: [String; 2],
}

/// Every (escalation, stage, agency, person) of the partnership, by replaying its chain.
pub(crate) async fn stage_leads(store: &dyn Store, partnership_id: &str) -> BTreeSet<Led> {
    let mut posts: HashMap<(String, i64), String> = HashMap::new();
    let mut escalations: HashMap<String, Escalation> = HashMap::new();
    let mut led = BTreeSet::new();
    // Whether each escalation's last proposal was a timescale.
    let mut timescale: HashMap<String, bool> = HashMap::new();
    let mut after = 0;
    loop {
        let links = store.chain(partnership_id, after, 1000).await.unwrap();
        let Some(last) = links.last() else { break };
        after = last.seq;
        for link in &links {
            let Some(json) = link.payload.as_deref() else {
                continue;
            };
            let payload: Payload = serde_json::from_str(json).unwrap();
            let id = link.stream.strip_prefix("escalation:").unwrap_or_default();
            match payload {
                Payload::NamedOfficerSet {
                    agency_id,
                    stage,
                    person_id,
                } => {
                    let Some(person) = person_id else {
                        posts.remove(&(agency_id, stage));
                        continue;
                    };
                    for (e, state) in &escalations {
                        if state.open
                            && state.stages[state.at] == stage
                            && state.agencies.contains(&agency_id)
                        {
                            led.insert((e.clone(), stage, agency_id.clone(), person.clone()));
                        }
                    }
                    posts.insert((agency_id, stage), person);
                }
                Payload::EscalationRaised(r) => {
                    let mut stages: Vec<i64> = store
                        .stages(&r.escalation_id)
                        .await
                        .unwrap()
                        .into_iter()
                        .map(|s| s.stage)
                        .collect();
                    stages.sort_unstable();
                    let state = Escalation {
                        stages,
                        at: 0,
                        open: true,
                        agencies: [r.raising_agency_id.clone(), r.receiving_agency_id.clone()],
                    };
                    enter(&posts, &r.escalation_id, &state, &mut led);
                    escalations.insert(r.escalation_id.clone(), state);
                }
                Payload::Escalated => {
                    let state = escalations.get_mut(id).unwrap();
                    state.at += 1;
                    enter(&posts, id, state, &mut led);
                }
                // Issue 14, item 2: what a confirmation closes is the proposal's to say (a
                // resolution closes it; a timescale does not).
                Payload::AgreementProposed { working_days, .. } => {
                    timescale.insert(id.to_owned(), working_days.is_some());
                }
                Payload::AgreementConfirmed { .. } if timescale.get(id) == Some(&false) => {
                    escalations.get_mut(id).unwrap().open = false;
                }
                Payload::Resolved { .. }
                | Payload::DisagreementRecorded { .. }
                | Payload::ReferredOn { .. }
                | Payload::ReferralOutcomeRecorded { .. }
                | Payload::Withdrawn
                | Payload::Redirected { .. } => {
                    escalations.get_mut(id).unwrap().open = false;
                }
                _ => {}
            }
        }
    }
    led
}

/// The escalation has just entered its current stage: whoever holds that post in either
/// agency leads it.
fn enter(
    posts: &HashMap<(String, i64), String>,
    id: &str,
    state: &Escalation,
    led: &mut BTreeSet<Led>,
) {
    let stage = state.stages[state.at];
    for agency in &state.agencies {
        if let Some(person) = posts.get(&(agency.clone(), stage)) {
            led.insert((id.to_owned(), stage, agency.clone(), person.clone()));
        }
    }
}

/// The referral steps of each escalation of a partnership, by reading its chain (issue 14,
/// item 5), independently of the core: escalation id -> (the referral ids it went to, in
/// order; whether the last is still open).
pub(crate) async fn referral_steps(
    store: &dyn Store,
    partnership_id: &str,
) -> HashMap<String, (Vec<String>, bool)> {
    let mut steps: HashMap<String, (Vec<String>, bool)> = HashMap::new();
    let mut after = 0;
    loop {
        let links = store.chain(partnership_id, after, 1000).await.unwrap();
        let Some(last) = links.last() else { break };
        after = last.seq;
        for link in &links {
            let Some(json) = link.payload.as_deref() else {
                continue;
            };
            let id = link.stream.strip_prefix("escalation:").unwrap_or_default();
            match serde_json::from_str::<Payload>(json).unwrap() {
                Payload::ReferralMade { referral } => {
                    let e = steps.entry(id.to_owned()).or_default();
                    e.0.push(referral);
                    e.1 = true;
                }
                Payload::ReferralOutcomeRecorded { .. }
                | Payload::Withdrawn
                | Payload::Redirected { .. } => {
                    if let Some(e) = steps.get_mut(id) {
                        e.1 = false;
                    }
                }
                _ => {}
            }
        }
    }
    steps
}
