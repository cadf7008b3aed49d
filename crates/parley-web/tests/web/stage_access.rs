//! The access matrix for stages an escalation never reached and officers who change (issue 13,
//! item 2), over every escalation route of `routes::table()`.
//!
//! In the Dorset demo partnership, a scene of its own: two agencies with a named officer for
//! each of the four stages, a raiser, and escalations that start later (thematic at stage 3,
//! strategic at stage 4), one that passed stages 1 and 2, one still at stage 1, one closed at
//! stage 2, and one at stage 2 whose receiving agency's officer is replaced while it is there.
//! What each person may do is written down by hand (`SCENE`), checked against the brute-force
//! rule of the matrix (`World::sees`, from a replay of the chain), and then asked of the
//! router as the person: pages and API alike, reads and every action.

use std::collections::HashMap;

use axum::http::Method;
use jiff::{SignedDuration, Timestamp};
use parley_core::escalation::Event;
use parley_core::names::StageAction;
use parley_store::payload::ChildDetails;
use parley_store::records::{Actor, PersonInput, RaiseInput};

use crate::harness::*;
use crate::matrix::{
    EXPECTATIONS, Expect, Live, Need, Owner, Persona, Target, Want, Who, attempt, expectation,
    fill, verdict, want,
};

/// What a person may do with one escalation of the scene.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum May {
    /// Nothing: every escalation route is a 404.
    Nothing,
    /// Read it (the child's details included: they took part), act on nothing.
    Read,
    /// Read and act (and write the stage record); withdraw too when on the raising side.
    Act,
    /// As `Act`, and withdraw.
    ActAndWithdraw,
}

use May::*;

/// The scene's people: (key, agency: 'A' raising or 'B' receiving, line manager key).
const PEOPLE: &[(&str, char, Option<&str>)] = &[
    ("raiser", 'A', None),
    ("a1", 'A', None),
    ("a2", 'A', None),
    ("a3", 'A', None),
    ("a4", 'A', None),
    ("b1", 'B', None),
    ("b2-boss", 'B', None),
    ("b2", 'B', Some("b2-boss")),
    ("b3", 'B', None),
    ("b4", 'B', None),
    ("newcomer-boss", 'B', None),
    ("newcomer", 'B', Some("newcomer-boss")),
];

/// The escalations of the scene, by key: what each person may do with it once the scene is
/// set. `newcomer` becomes the receiving agency's stage 2 officer (replacing `b2`) last,
/// while `replaced` is at stage 2 and after `passed` and `closed` left it.
#[rustfmt::skip]
const SCENE: &[(&str, &[(&str, May)])] = &[
    // Dorset's thematic route starts at stage 3: the officers of stages 1 and 2 never led it.
    ("thematic", &[
        ("raiser", ActAndWithdraw), ("a1", Nothing), ("a2", Nothing), ("b1", Nothing),
        ("b2", Nothing), ("b2-boss", Nothing), ("newcomer", Nothing), ("newcomer-boss", Nothing),
        ("a3", ActAndWithdraw), ("b3", Act), ("a4", Nothing), ("b4", Nothing),
    ]),
    // The strategic route starts at stage 4.
    ("strategic", &[
        ("raiser", ActAndWithdraw), ("a1", Nothing), ("a2", Nothing), ("a3", Nothing),
        ("b1", Nothing), ("b2", Nothing), ("b3", Nothing), ("newcomer", Nothing),
        ("a4", ActAndWithdraw), ("b4", Act),
    ]),
    // Went through stages 1 and 2 before the newcomer was named: its past officers read it,
    // the newcomer (and their manager) see nothing of it.
    ("passed", &[
        ("raiser", ActAndWithdraw), ("a1", Read), ("b1", Read), ("a2", Read), ("b2", Read),
        ("b2-boss", Read), ("newcomer", Nothing), ("newcomer-boss", Nothing),
        ("a3", ActAndWithdraw), ("b3", Act), ("a4", Nothing), ("b4", Nothing),
    ]),
    // At stage 2 when its officer was replaced: the old officer reads, the newcomer acts.
    ("replaced", &[
        ("raiser", ActAndWithdraw), ("a1", Read), ("b1", Read), ("a2", ActAndWithdraw),
        ("b2", Read), ("b2-boss", Read), ("newcomer", Act), ("newcomer-boss", Act),
        ("a3", Nothing), ("b3", Nothing), ("a4", Nothing),
    ]),
    // Still at stage 1: nobody of stage 2, old or new, sees it.
    ("early", &[
        ("raiser", ActAndWithdraw), ("a1", ActAndWithdraw), ("b1", Act), ("a2", Nothing),
        ("b2", Nothing), ("newcomer", Nothing), ("newcomer-boss", Nothing), ("a3", Nothing),
    ]),
    // Closed at stage 2 before the newcomer: the officers then in post read it; the stage
    // record is left to the parties and those still in post (a2, not b2).
    ("closed", &[
        ("raiser", Act), ("a2", Act), ("b2", Read), ("b2-boss", Read), ("a1", Read),
        ("b1", Read), ("newcomer", Nothing), ("newcomer-boss", Nothing), ("a3", Nothing),
    ]),
];

/// One scene in a fresh copy of the demo: person and escalation ids by key.
struct Scene {
    partnership: String,
    people: HashMap<&'static str, String>,
    escalations: HashMap<&'static str, String>,
}

fn at(seconds: i64) -> Timestamp {
    now()
        .checked_add(SignedDuration::from_secs(seconds))
        .unwrap()
}

async fn set_scene(h: &Harness) -> Scene {
    let records = &h.state.records;
    let admin = Actor::SYSTEM;
    let partnership = h.partnership_of("dorset");
    let a = records
        .add_agency(at(1), &admin, &partnership, "Scene School", "education")
        .await
        .unwrap();
    let b = records
        .add_agency(
            at(1),
            &admin,
            &partnership,
            "Scene Council",
            "local-authority",
        )
        .await
        .unwrap();
    let mut people: HashMap<&'static str, String> = HashMap::new();
    for (key, agency, manager) in PEOPLE {
        let id = records
            .save_person(
                at(2),
                &admin,
                &partnership,
                None,
                PersonInput {
                    agency_id: Some(if *agency == 'A' { &a } else { &b }.clone()),
                    name: format!("Scene {key}"),
                    email: format!("scene.{key}@example.org"),
                    job_title: "Scene".to_owned(),
                    roles: vec![
                        if *key == "raiser" {
                            "practitioner"
                        } else {
                            "manager"
                        }
                        .to_owned(),
                    ],
                    line_manager_id: manager.map(|m| people[m].clone()),
                    active: true,
                },
            )
            .await
            .unwrap();
        people.insert(key, id);
    }
    for stage in 1..=4 {
        for (agency, side) in [(&a, "a"), (&b, "b")] {
            let key = format!("{side}{stage}");
            records
                .set_named_officer(
                    at(3),
                    &admin,
                    &partnership,
                    agency,
                    stage,
                    Some(&people[key.as_str()]),
                )
                .await
                .unwrap();
        }
    }
    let raiser = Actor::person(&people["raiser"]);
    let raise = |route: &str, second: i64| {
        let individual = route == "individual";
        let input = RaiseInput {
            route: route.to_owned(),
            child_status: individual.then(|| "child-protection-plan".to_owned()),
            child: individual.then(|| ChildDetails {
                name: "SCENE-CHILD".to_owned(),
                date_of_birth: Some("2016-02-03".to_owned()),
                identifier: None,
            }),
            category: "other".to_owned(),
            raised_by: people["raiser"].clone(),
            raising_agency_id: a.clone(),
            receiving_agency_id: b.clone(),
            receiving_person_id: None,
            summary: "A decision challenged in the scene".to_owned(),
            decision: "The decision.".to_owned(),
            evidence: "The evidence.".to_owned(),
            outcome_wanted: "Another decision.".to_owned(),
            // Dorset §4: decided the day it is raised (the harness's Monday).
            decided_on: Some(jiff::civil::date(2026, 11, 23)),
        };
        let (records, partnership, raiser) = (records.clone(), partnership.clone(), raiser.clone());
        async move {
            records
                .raise(at(second), &raiser, &partnership, input)
                .await
                .unwrap()
                .id
        }
    };
    let act = |id: String, second: i64, event: Event| {
        let (records, raiser) = (records.clone(), raiser.clone());
        async move {
            let version = records
                .store()
                .escalation(&id)
                .await
                .unwrap()
                .unwrap()
                .version;
            records
                .act(at(second), &raiser, &id, version, &event, Some("scene"))
                .await
                .unwrap();
        }
    };
    let mut escalations: HashMap<&'static str, String> = HashMap::new();
    escalations.insert("thematic", raise("thematic", 10).await);
    escalations.insert("strategic", raise("strategic", 11).await);
    let passed = raise("individual", 12).await;
    act(passed.clone(), 20, Event::Escalated).await;
    act(passed.clone(), 21, Event::Escalated).await;
    escalations.insert("passed", passed);
    let replaced = raise("individual", 13).await;
    act(replaced.clone(), 22, Event::Escalated).await;
    escalations.insert("replaced", replaced);
    escalations.insert("early", raise("individual", 14).await);
    let closed = raise("individual", 15).await;
    act(closed.clone(), 23, Event::Escalated).await;
    act(
        closed.clone(),
        24,
        Event::AgreementProposed {
            proposal: parley_core::agreement::Proposal::Resolution,
            by: parley_core::names::Side::Receiving,
        },
    )
    .await;
    act(
        closed.clone(),
        24,
        Event::AgreementConfirmed {
            by: parley_core::names::Party::RaisingSide,
        },
    )
    .await;
    escalations.insert("closed", closed);
    // The receiving agency's stage 2 officer changes hands.
    records
        .set_named_officer(
            at(30),
            &admin,
            &partnership,
            &b,
            2,
            Some(&people["newcomer"]),
        )
        .await
        .unwrap();
    Scene {
        partnership,
        people,
        escalations,
    }
}

/// What `may` means for a route that needs `need`, on an escalation that is open or not,
/// about a child or not, and at `stage`, for scene person `person`. An action also needs
/// Dorset's `may` list for the stage to name the person's capacity (issue 14, item 3): the
/// raiser as the raiser, a "-boss" as a line manager, everyone else as the stage's officer.
fn wanted(may: May, need: Need, open: bool, child: bool, person: &str, stage: i64) -> Want {
    use parley_core::names::Actor;
    let acts = matches!(may, Act | ActAndWithdraw);
    match (may, need) {
        (Nothing, _) => Want::NotFound,
        (_, Need::See) => Want::Allowed,
        (_, Need::Child) if child => Want::Allowed,
        (_, Need::Child) => Want::NotFound,
        // Dorset's procedure provides no appointments, and no form to the partnership.
        (_, Need::Appoint) => Want::Forbidden,
        (_, Need::Action(StageAction::SendPartnershipForm)) => Want::NotFound,
        // No proposal awaits an answer in the scene: those who may resolve (issue 14, item 2).
        (_, Need::Answer | Need::WithdrawProposal) => wanted(
            may,
            Need::Action(StageAction::Resolve),
            open,
            child,
            person,
            stage,
        ),
        (_, Need::Action(action)) => {
            // Whoever takes part is told who may, a raising-side action included.
            if !acts || !(open || action == StageAction::Record) {
                return Want::Forbidden;
            }
            if action.raising_side_only() && may != ActAndWithdraw {
                return Want::NotPermitted;
            }
            let capacity = if person == "raiser" {
                Actor::Raiser
            } else if person.ends_with("-boss") {
                Actor::Managers
            } else {
                Actor::StageLeads
            };
            let dorset = parley_core::seeds::get("dorset").unwrap().unwrap();
            let n = parley_core::procedure::StageNumber::new(stage).unwrap();
            if dorset.may(n, action).contains(&capacity) {
                Want::Allowed
            } else {
                Want::NotPermitted
            }
        }
    }
}

/// The escalation routes of the table, with their expectations.
fn escalation_routes() -> Vec<(Method, &'static str, &'static Expect)> {
    parley_web::routes::table()
        .into_iter()
        .filter_map(|(m, p, _)| {
            let e = expectation(&m, p)?;
            matches!(e.who, Who::Escalation(_)).then_some((m, p, e))
        })
        .collect()
}

/// Every (escalation, person) of the scene, as the router is asked.
struct Case {
    escalation: &'static str,
    person: &'static str,
    may: May,
}

fn cases() -> Vec<Case> {
    SCENE
        .iter()
        .flat_map(|(escalation, who)| {
            who.iter().map(|(person, may)| Case {
                escalation,
                person,
                may: *may,
            })
        })
        .collect()
}

/// Asks one route as one person; `None` if the answer is what `SCENE` says (and the
/// matrix's brute-force rule agrees with `SCENE`).
async fn check(
    h: &Harness,
    scene: &Scene,
    live: &Live,
    method: &Method,
    path: &str,
    expect: &Expect,
    case: &Case,
) -> Option<String> {
    let Who::Escalation(need) = expect.who else {
        unreachable!()
    };
    let id = &scene.escalations[case.escalation];
    let (_, row) = live.escalation(id).unwrap();
    let (open, child, version) = (row.status == "open", row.subject == "child", row.version);
    let due = wanted(case.may, need, open, child, case.person, row.current_stage);
    let person_id = &scene.people[case.person];
    let target = Target::new(
        case.escalation,
        id.clone(),
        Owner::Partnership(scene.partnership.clone()),
    );
    let brute = want(expect.who, live.person(person_id), &target, live);
    if brute != due {
        return Some(format!(
            "{method} {path} as {} on {}: the scene says {due:?}, the matrix's rule {brute:?}",
            case.person, case.escalation
        ));
    }
    let persona = Persona {
        label: format!("scene {}", case.person),
        person_id: Some(person_id.clone()),
    };
    let url = fill(path, &target);
    let (r, signed_in) = attempt(
        h,
        live,
        &persona,
        method,
        &url,
        expect.send,
        version,
        None,
        &[],
    )
    .await;
    verdict(due, method, path, signed_in, &r).map(|problem| {
        format!(
            "{method} {path} as {} on {} ({:?}): {problem}",
            case.person, case.escalation, case.may
        )
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stages_never_reached_and_officers_who_change() {
    let routes = escalation_routes();
    assert!(
        routes.len() >= 15
            && routes.iter().any(|(m, _, _)| *m == Method::POST)
            && routes.iter().any(|(_, p, _)| p.starts_with("/api/")),
        "the escalation routes of the table: {:?}",
        routes
            .iter()
            .map(|(m, p, _)| format!("{m} {p}"))
            .collect::<Vec<_>>()
    );
    let mut failures = Vec::new();
    let mut asked: HashMap<Want, usize> = HashMap::new();

    // Reading: one scene for every route.
    let h = Harness::new().await;
    let scene = set_scene(&h).await;
    let live = Live::read(&h, &[scene.partnership.as_str()]).await;
    for (method, path, expect) in routes.iter().filter(|(m, _, _)| *m == Method::GET) {
        for case in cases() {
            let Who::Escalation(need) = expect.who else {
                continue;
            };
            let closed = case.escalation == "closed";
            let child = !matches!(case.escalation, "thematic" | "strategic");
            let stage = live
                .escalation(&scene.escalations[case.escalation])
                .unwrap()
                .1
                .current_stage;
            *asked
                .entry(wanted(case.may, need, !closed, child, case.person, stage))
                .or_default() += 1;
            failures.extend(check(&h, &scene, &live, method, path, expect, &case).await);
        }
    }

    // Changing: a scene per route, and a new one whenever an allowed request changed the
    // records (an escalation moved, closed...). Refusals come first, so they meet the scene
    // as `SCENE` describes it; an escalation that closed is not offered to changes (as in the
    // matrix, acting on it is refused for its state, not for who asks).
    for (method, path, expect) in routes.iter().filter(|(m, _, _)| *m != Method::GET) {
        let mut ordered: Vec<Case> = cases()
            .into_iter()
            .filter(|c| c.escalation != "closed")
            .collect();
        ordered.sort_by_key(|c| matches!(c.may, Act | ActAndWithdraw));
        let mut h = Harness::new().await;
        let mut scene = set_scene(&h).await;
        let mut live = Live::read(&h, &[scene.partnership.as_str()]).await;
        for case in ordered {
            let Who::Escalation(need) = expect.who else {
                continue;
            };
            let child = !matches!(case.escalation, "thematic" | "strategic");
            let stage = live
                .escalation(&scene.escalations[case.escalation])
                .unwrap()
                .1
                .current_stage;
            *asked
                .entry(wanted(case.may, need, true, child, case.person, stage))
                .or_default() += 1;
            let heads = h.state.store.chain_heads().await.unwrap();
            failures.extend(check(&h, &scene, &live, method, path, expect, &case).await);
            if h.state.store.chain_heads().await.unwrap() != heads {
                h = Harness::new().await;
                scene = set_scene(&h).await;
                live = Live::read(&h, &[scene.partnership.as_str()]).await;
            }
        }
    }

    for want in [Want::Allowed, Want::Forbidden, Want::NotFound] {
        let n = asked.get(&want).copied().unwrap_or(0);
        assert!(n >= 40, "only {n} requests expected {want:?}: {asked:?}");
    }
    assert!(
        failures.is_empty(),
        "{} answers disagree with the stages each escalation went through (out of {}):\n  {}",
        failures.len(),
        asked.values().sum::<usize>(),
        failures.join("\n  ")
    );
}

/// "My work" and its API list exactly the scene's escalations each person took part in: the
/// newcomer only the one at their stage when they were named; the replaced officer still
/// those they led; the officers of stages 1 and 2 none of the routes that started later.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn my_work_lists_only_what_each_officer_took_part_in() {
    let h = Harness::new().await;
    let scene = set_scene(&h).await;
    let mut problems = Vec::new();
    for (person, _, _) in PEOPLE {
        let mut expected: Vec<&str> = SCENE
            .iter()
            .filter(|(_, who)| who.iter().any(|(p, may)| p == person && *may != Nothing))
            .map(|(e, _)| *e)
            .collect();
        expected.sort_unstable();
        let row = h.person(&scene.people[person]).await;
        let token = h.bearer_for(&row).await;
        let r = h.get("/api/my-work", &token).await;
        assert_eq!(r.status, 200, "{person}: {}", excerpt(&r.body));
        let v = r.json();
        let mut listed: Vec<&str> = Vec::new();
        for list in ["awaiting", "involved", "closed"] {
            for line in v[list].as_array().unwrap() {
                let id = line["id"].as_str().unwrap();
                match scene.escalations.iter().find(|(_, e)| *e == id) {
                    Some((key, _)) => listed.push(key),
                    None => problems.push(format!("{person}: lists {id}, not of the scene")),
                }
            }
        }
        listed.sort_unstable();
        // People missing from a row of SCENE have nothing to do with it.
        if listed != expected {
            problems.push(format!("{person}: lists {listed:?}, expected {expected:?}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// The table must name every person of the scene somewhere, and nobody twice in a row.
#[test]
fn the_scene_table_is_well_formed() {
    for (escalation, who) in SCENE {
        let mut seen = std::collections::HashSet::new();
        for (person, _) in *who {
            assert!(seen.insert(person), "{escalation}: {person} twice");
            assert!(
                PEOPLE.iter().any(|(p, _, _)| p == person),
                "{escalation}: no person {person}"
            );
        }
    }
    assert!(
        EXPECTATIONS
            .iter()
            .any(|e| matches!(e.who, Who::Escalation(Need::Action(StageAction::Withdraw))))
    );
}
