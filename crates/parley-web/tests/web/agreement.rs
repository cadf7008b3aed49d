//! Agreement takes both sides (issue 14, item 2), through the API and the pages, on the
//! built-in procedures: resolving by agreement is proposed by one side and confirmed by the
//! other (Solihull); a refusal keeps the stage as it was, with its reason; the proposer's side
//! withdraws; Sunderland step 2's timescale holds only once the practitioner raising the
//! concern confirms it; a recorded disagreement takes its dissent statement (Dorset), shown on
//! the case and in the history, the business team's view included, never naming the child.
//!
//! Also the brute-force rule the access matrix uses for the new actions ([`want`]), worked out
//! from the chain ([`pending_proposals`]) and `World::sides`, never from `parley_web`.

use std::collections::HashMap;

use axum::http::StatusCode;
use parley_core::names::{Actor, Party, Side, StageAction};
use parley_core::procedure::StageNumber;
use parley_store::Store;
use parley_store::payload::Payload;
use parley_store::rows::{EscalationRow, PersonRow};
use serde_json::{Value, json};

use crate::harness::{Auth, Harness, Resp, World, excerpt, now};
use crate::matrix::{Need, Want, problem_code};
use crate::referrals::{CHILD, Case, case};

// ---------------------------------------------------------------------------------------------
// The rule, by brute force

/// A proposal awaiting an answer, as the chain says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Pending {
    /// Who made it (a person id).
    pub(crate) proposer: String,
    pub(crate) by: Side,
    /// Whose answer it awaits: the other side, or (a timescale) the person named.
    pub(crate) answerer: Party,
    /// A timescale (else a resolution by agreement).
    pub(crate) timescale: bool,
    /// The stage it was made at.
    pub(crate) stage: i64,
}

/// The proposal each escalation awaits an answer to, by reading the partnership's chain: made
/// by `agreement-proposed`; ended by its answer, its withdrawal, or the stage ending (the
/// escalation escalated, referred on or closed; [`want`] also checks the row is still open at
/// that stage).
pub(crate) async fn pending_proposals(
    store: &dyn Store,
    partnership_id: &str,
) -> HashMap<String, Pending> {
    let mut stage: HashMap<String, i64> = HashMap::new();
    let mut pending: HashMap<String, Pending> = HashMap::new();
    let mut after = 0;
    loop {
        let links = store.chain(partnership_id, after, 1000).await.unwrap();
        let Some(last) = links.last() else { break };
        after = last.seq;
        for link in &links {
            let Some(json) = link.payload.as_deref() else {
                continue;
            };
            let Some(id) = link.stream.strip_prefix("escalation:") else {
                continue;
            };
            match serde_json::from_str::<Payload>(json).unwrap() {
                Payload::EscalationRaised(r) => {
                    let entry = match r.route.as_str() {
                        "thematic" => 3,
                        "strategic" => 4,
                        _ => 1,
                    };
                    stage.insert(id.to_owned(), entry);
                }
                Payload::Escalated => {
                    *stage.entry(id.to_owned()).or_default() += 1;
                    pending.remove(id);
                }
                Payload::AgreementProposed {
                    working_days, by, ..
                } => {
                    let by: Side = by.parse().unwrap();
                    pending.insert(
                        id.to_owned(),
                        Pending {
                            proposer: link.actor.clone().unwrap_or_default(),
                            by,
                            // A timescale is proposed only where agreed with the raiser
                            // (Sunderland step 2, the only `agreed_with` of the seeds).
                            answerer: if working_days.is_some() {
                                Party::Raiser
                            } else {
                                Party::side(by.other())
                            },
                            timescale: working_days.is_some(),
                            stage: stage.get(id).copied().unwrap_or(1),
                        },
                    );
                }
                Payload::AgreementConfirmed { .. }
                | Payload::AgreementRefused { .. }
                | Payload::ProposalWithdrawn { .. }
                | Payload::ReferralMade { .. }
                | Payload::DisagreementRecorded { .. }
                | Payload::Withdrawn
                | Payload::Redirected { .. } => {
                    pending.remove(id);
                }
                _ => {}
            }
        }
    }
    pending
}

/// Whom the current stage's timescale of `e` is agreed with, from the procedure file.
pub(crate) fn agreed_with(w: &World, e: &EscalationRow) -> Option<Actor> {
    w.procedure
        .stage(StageNumber::new(e.current_stage)?)
        .and_then(|s| s.agreed_with)
}

/// What `person` should get from an agreement route (`need`), or from proposing a timescale
/// at a stage whose timescale is agreed with a person:
///
/// - nobody acts on a closed escalation, nor someone who takes no part in it now (403
///   `forbidden`);
/// - with no proposal pending, answering or withdrawing is for those the stage lets resolve;
/// - a proposal awaiting a side is answered by someone on that side whom the stage lets take
///   its action, never its proposer; one awaiting the raiser, by the raiser;
/// - the proposing side's people whom the stage lets take its action withdraw it (not the
///   raiser a timescale awaits);
/// - a timescale agreed with a person is proposed by someone the stage lets agree it who is
///   not that person and stands on a side;
/// - anyone else who takes part: 403 `not-permitted`.
pub(crate) fn want(need: Need, w: &World, person: &PersonRow, e: &EscalationRow) -> Want {
    let (all, _) = w.capacities(person, e);
    if all.is_empty() || e.status != "open" {
        return Want::Forbidden;
    }
    let n = StageNumber::new(e.current_stage).unwrap();
    let sides = w.sides(person, e);
    let on = |side: Side, action: StageAction| {
        let listed = w.procedure.may(n, action);
        sides.iter().any(|(s, a)| *s == side && listed.contains(a))
    };
    let pending = w
        .proposals
        .get(&e.id)
        .filter(|p| p.stage == e.current_stage);
    let may_resolve = all
        .iter()
        .any(|a| w.procedure.may(n, StageAction::Resolve).contains(a));
    let allowed = match (need, pending) {
        (Need::Answer | Need::WithdrawProposal, None) => may_resolve,
        (Need::Answer, Some(p)) => {
            let action = if p.timescale {
                StageAction::AgreeTimescale
            } else {
                StageAction::Resolve
            };
            p.proposer != person.id
                && match p.answerer {
                    Party::Raiser => e.raised_by == person.id,
                    Party::Receiver => e.receiving_person_id.as_deref() == Some(&person.id),
                    Party::RaisingSide => on(Side::Raising, action),
                    Party::ReceivingSide => on(Side::Receiving, action),
                }
        }
        (Need::WithdrawProposal, Some(p)) => {
            let action = if p.timescale {
                StageAction::AgreeTimescale
            } else {
                StageAction::Resolve
            };
            on(p.by, action) && !(p.answerer == Party::Raiser && e.raised_by == person.id)
        }
        (_, _) => {
            // Proposing a timescale agreed with a person.
            let with = agreed_with(w, e);
            let listed = w.procedure.may(n, StageAction::AgreeTimescale);
            all.iter().any(|a| listed.contains(a))
                && with.is_none_or(|a| !all.contains(&a))
                && (on(Side::Raising, StageAction::AgreeTimescale)
                    || on(Side::Receiving, StageAction::AgreeTimescale))
        }
    };
    if allowed {
        Want::Allowed
    } else {
        Want::NotPermitted
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers

/// The named officer of the current stage on `side` ("raising" or "receiving").
async fn officer(h: &Harness, c: &Case, side: &str) -> PersonRow {
    let v = c.view(h, &c.raiser).await.json();
    let id = v["current_stage"]["leads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["side"] == side)
        .and_then(|s| s["officers"][0]["id"].as_str())
        .unwrap_or_else(|| panic!("no {side} officer: {v}"))
        .to_owned();
    h.person(&id).await
}

fn actions(v: &Value) -> Vec<String> {
    v["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap().to_owned())
        .collect()
}

fn status(r: &Resp) -> (StatusCode, Option<String>) {
    (r.status, problem_code(r))
}

fn ok(r: &Resp) -> Value {
    assert_eq!(r.status, StatusCode::OK, "{}", excerpt(&r.body));
    r.json()
}

async fn history(h: &Harness, c: &Case, who: &Auth) -> Vec<Value> {
    let r = h
        .get(&format!("/api/escalations/{}/history", c.id), who)
        .await;
    r.json().as_array().unwrap().clone()
}

// ---------------------------------------------------------------------------------------------
// Resolving by agreement

#[tokio::test]
async fn solihull_agreement_is_proposed_by_one_side_and_confirmed_by_the_other() {
    let h = Harness::new().await;
    let c = case(&h, "solihull", 2).await;
    let receiving = officer(&h, &c, "receiving").await;
    let theirs = h.bearer_for(&receiving).await;

    // The raiser proposes: it stays open, awaiting the receiving side.
    let v = ok(&c
        .act(
            &h,
            &c.raiser,
            json!({"action": "resolve", "outcome": "agreed"}),
        )
        .await);
    assert_eq!(v["status"], "open");
    let p = &v["proposal"];
    assert_eq!(p["status"], "pending");
    assert_eq!(p["proposal"], "resolution");
    assert_eq!(p["by_side"], "raising");
    assert_eq!(p["answerer"], "receiving-side");
    let mine = actions(&v);
    assert!(mine.contains(&"withdraw-proposal".to_owned()), "{mine:?}");
    assert!(!mine.contains(&"confirm-agreement".to_owned()), "{mine:?}");
    // The raiser's own side cannot confirm it, nor propose another.
    let r = c
        .act(&h, &c.raiser, json!({"action": "confirm-agreement"}))
        .await;
    assert_eq!(
        status(&r),
        (StatusCode::FORBIDDEN, Some("not-permitted".into())),
        "{}",
        r.body
    );
    assert!(r.body.contains("the receiving side"), "{}", r.body);
    let r = c
        .act(
            &h,
            &c.raiser,
            json!({"action": "resolve", "outcome": "agreed"}),
        )
        .await;
    assert_eq!(status(&r).0, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // The receiving side is offered the answers, not the withdrawal.
    let v = ok(&c.view(&h, &theirs).await);
    let answers = actions(&v);
    assert!(
        answers.contains(&"confirm-agreement".to_owned()),
        "{answers:?}"
    );
    assert!(
        answers.contains(&"refuse-agreement".to_owned()),
        "{answers:?}"
    );
    assert!(
        !answers.contains(&"withdraw-proposal".to_owned()),
        "{answers:?}"
    );
    let r = c
        .act(&h, &theirs, json!({"action": "withdraw-proposal"}))
        .await;
    assert_eq!(
        status(&r),
        (StatusCode::FORBIDDEN, Some("not-permitted".into()))
    );

    // A refusal needs its reason, and leaves the stage as it was.
    let before = ok(&c.view(&h, &c.raiser).await);
    let r = c
        .act(&h, &theirs, json!({"action": "refuse-agreement"}))
        .await;
    assert_eq!(status(&r).0, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("why you refuse"), "{}", r.body);
    let reason = "The team manager has not yet seen the school's notes.";
    let v = ok(&c
        .act(
            &h,
            &theirs,
            json!({"action": "refuse-agreement", "reason": reason}),
        )
        .await);
    assert_eq!(v["status"], "open");
    assert_eq!(v["proposal"], Value::Null);
    assert_eq!(v["current_stage"], before["current_stage"]);
    assert_eq!(v["stage_deadline"], before["stage_deadline"]);
    assert_eq!(v["proposals"][0]["status"], "refused");
    assert_eq!(v["proposals"][0]["reason"], reason);
    assert_eq!(v["proposals"][0]["answered_by"], receiving.name.as_str());
    // Nothing awaits an answer now.
    let r = c
        .act(&h, &theirs, json!({"action": "confirm-agreement"}))
        .await;
    assert_eq!(status(&r).0, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);

    // The raiser proposes again, and withdraws it.
    ok(&c
        .act(
            &h,
            &c.raiser,
            json!({"action": "resolve", "outcome": "agreed"}),
        )
        .await);
    let v = ok(&c
        .act(&h, &c.raiser, json!({"action": "withdraw-proposal"}))
        .await);
    assert_eq!(v["proposals"][1]["status"], "withdrawn");
    assert_eq!(v["status"], "open");

    // The receiving side proposes; the raiser confirms: resolved by agreement.
    ok(&c
        .act(
            &h,
            &theirs,
            json!({"action": "resolve", "outcome": "agreed"}),
        )
        .await);
    let r = c
        .act(&h, &theirs, json!({"action": "confirm-agreement"}))
        .await;
    assert_eq!(
        status(&r),
        (StatusCode::FORBIDDEN, Some("not-permitted".into())),
        "the proposer cannot confirm their own proposal"
    );
    let v = ok(&c
        .act(&h, &c.raiser, json!({"action": "confirm-agreement"}))
        .await);
    assert_eq!(v["status"], "resolved");
    assert_eq!(v["outcome"], "agreed");
    assert_eq!(v["proposals"][2]["status"], "confirmed");
    assert_eq!(v["proposals"][2]["by_side"], "receiving");

    // The history tells it all, the refusal with its reason; the business team (told from
    // stage 2) reads it too.
    let team = h
        .bearer_for(
            &h.person(
                &h.sign_in_of(&c.partnership, "partnership-business-team")
                    .person_id,
            )
            .await,
        )
        .await;
    for who in [&c.raiser, &team] {
        let items = history(&h, &c, who).await;
        let kinds: Vec<&str> = items
            .iter()
            .filter_map(|i| i["kind"].as_str())
            .filter(|k| k.contains("agreement") || k.contains("proposal"))
            .collect();
        assert_eq!(
            kinds,
            [
                "agreement-proposed",
                "agreement-refused",
                "agreement-proposed",
                "proposal-withdrawn",
                "agreement-proposed",
                "agreement-confirmed"
            ]
        );
        let refused = items
            .iter()
            .find(|i| i["kind"] == "agreement-refused")
            .unwrap();
        assert_eq!(refused["reason"], reason);
        assert!(
            refused["title"]
                .as_str()
                .unwrap()
                .contains("the stage stays as it was")
        );
        assert!(
            items.last().unwrap()["title"]
                .as_str()
                .unwrap()
                .contains("resolved by agreement")
        );
    }
}

#[tokio::test]
async fn the_pages_offer_each_side_only_its_part() {
    let h = Harness::new().await;
    let c = case(&h, "solihull", 2).await;
    let receiving = officer(&h, &c, "receiving").await;
    let raiser_id = c.view(&h, &c.raiser).await.json()["raised_by"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let raiser = h.session_for("raiser", &h.person(&raiser_id).await).await;
    let theirs = h.session_for("receiving officer", &receiving).await;
    let page = |who: &Auth, path: &str| {
        let path = format!("/escalations/{}{path}", c.id);
        let who = who.clone();
        let h = &h;
        async move { h.get(&path, &who).await }
    };

    // The receiving officer proposes through the resolve form.
    let version = c.view(&h, &c.raiser).await.json()["version"].to_string();
    let r = h
        .post_form(
            &format!("/escalations/{}/resolve", c.id),
            &theirs.auth,
            &[("version", &version), ("outcome", "agreed")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", excerpt(&r.body));
    let done = h.get(r.location().unwrap(), &theirs.auth).await;
    assert!(
        done.body
            .contains("It takes effect once the raising side confirms it"),
        "{}",
        excerpt(&done.body)
    );
    assert!(done.body.contains("Withdraw the proposal"));
    assert!(!done.body.contains("Confirm the agreement"));

    // The raiser sees it awaiting them, with Confirm and Refuse.
    let show = page(&raiser.auth, "").await;
    assert!(show.body.contains("A proposal awaits an answer"));
    assert!(show.body.contains(&receiving.name));
    assert!(show.body.contains("Confirm the agreement"));
    assert!(show.body.contains("Refuse the proposal"));
    assert!(!show.body.contains("Withdraw the proposal"));
    // The forms the other side may not use answer 403.
    assert_eq!(
        page(&theirs.auth, "/confirm-agreement").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        page(&raiser.auth, "/withdraw-proposal").await.status,
        StatusCode::FORBIDDEN
    );
    let form = page(&raiser.auth, "/refuse-agreement").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("Why do you refuse the proposal?"));

    // Refused without a reason: the form again, with the error beside the box.
    let version = c.view(&h, &c.raiser).await.json()["version"].to_string();
    let r = h
        .post_form(
            &format!("/escalations/{}/refuse-agreement", c.id),
            &raiser.auth,
            &[("version", &version), ("reason", " ")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("govuk-error-summary"));
    assert!(r.body.contains("Enter why you refuse the proposal"));
    // A reason naming the child is refused too (the business team reads it).
    let r = h
        .post_form(
            &format!("/escalations/{}/refuse-agreement", c.id),
            &raiser.auth,
            &[
                ("version", &version),
                ("reason", &format!("{CHILD} still needs a visit")),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);

    // Confirmed through its form: closed, and the page says so.
    let confirm = page(&raiser.auth, "/confirm-agreement").await;
    assert!(
        confirm
            .body
            .contains("Confirming closes the escalation as resolved by agreement")
    );
    let r = h
        .post_form(
            &format!("/escalations/{}/confirm-agreement", c.id),
            &raiser.auth,
            &[("version", &version)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", excerpt(&r.body));
    let done = h.get(r.location().unwrap(), &raiser.auth).await;
    assert!(done.body.contains("The agreement was confirmed"));
    assert!(done.body.contains("Resolved by agreement"));
    assert!(done.body.contains("id=\"proposals\""));
    assert!(done.body.contains("Confirmed by"));
}

#[tokio::test]
async fn only_a_side_proposes_an_agreement() {
    let h = Harness::new().await;
    let c = case(&h, "solihull", 4).await;
    // Solihull stage 4: the independent chair may resolve, but stands on neither side.
    let chair_id = h
        .state
        .records
        .save_person(
            now(),
            &parley_store::records::Actor::SYSTEM,
            &c.partnership,
            None,
            parley_store::records::PersonInput {
                agency_id: None,
                name: "Alex Chair".to_owned(),
                email: "agreement.chair@example.org".to_owned(),
                job_title: "Independent chair".to_owned(),
                roles: vec!["independent-chair".to_owned()],
                line_manager_id: None,
                active: true,
            },
        )
        .await
        .unwrap();
    let chair = h.person(&chair_id).await;
    let business = h
        .bearer_for(
            &h.person(
                &h.sign_in_of(&c.partnership, "partnership-business-team")
                    .person_id,
            )
            .await,
        )
        .await;
    let version = c.view(&h, &c.raiser).await.json()["version"].clone();
    let r = h
        .send_json(
            axum::http::Method::POST,
            &format!("/api/escalations/{}/appointments", c.id),
            &business,
            &json!({"version": version, "role": "independent-chair", "person_id": chair.id}),
        )
        .await;
    assert!(r.status.is_success(), "{}", excerpt(&r.body));
    let chair_page = h.session_for("chair", &chair).await;
    let chair = h.bearer_for(&chair).await;
    let v = ok(&c.view(&h, &chair).await);
    assert!(actions(&v).contains(&"resolve".to_owned()));
    let r = c
        .act(
            &h,
            &chair,
            json!({"action": "resolve", "outcome": "agreed"}),
        )
        .await;
    assert_eq!(
        status(&r),
        (StatusCode::FORBIDDEN, Some("not-permitted".into())),
        "{}",
        r.body
    );
    assert!(r.body.contains("neither side"), "{}", r.body);
    let page = h
        .get(&format!("/escalations/{}/resolve", c.id), &chair_page.auth)
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        !page.body.contains("value=\"agreed\""),
        "the chair is not offered agreed"
    );
}

// ---------------------------------------------------------------------------------------------
// A timescale agreed with the raiser (Sunderland step 2)

#[tokio::test]
async fn sunderland_step_two_timescale_holds_once_the_raiser_confirms_it() {
    let h = Harness::new().await;
    let c = case(&h, "sunderland", 2).await;
    let manager = officer(&h, &c, "raising").await;
    let manager_api = h.bearer_for(&manager).await;
    let other = h.bearer_for(&officer(&h, &c, "receiving").await).await;
    let before = ok(&c.view(&h, &c.raiser).await);
    // Raised and escalated on Monday 23 November 2026: until a timescale is agreed, step 2 is
    // due at its most, 5 working days on.
    assert_eq!(before["stage_deadline"]["due"], "2026-11-30");

    // The raiser does not propose it: it is agreed with them.
    let r = c
        .act(
            &h,
            &c.raiser,
            json!({"action": "agree-timescale", "working_days": 3}),
        )
        .await;
    assert_eq!(
        status(&r),
        (StatusCode::FORBIDDEN, Some("not-permitted".into())),
        "{}",
        r.body
    );
    assert!(r.body.contains("agreed with the person who raised it"));
    assert!(!actions(&before).contains(&"agree-timescale".to_owned()));

    // The line manager proposes 3 working days: nothing changes yet.
    let v = ok(&manager_api_act(&h, &c, &manager_api, 3).await);
    assert_eq!(v["stage_deadline"]["due"], "2026-11-30");
    assert_eq!(v["proposal"]["proposal"], "timescale");
    assert_eq!(v["proposal"]["working_days"], 3);
    assert_eq!(v["proposal"]["answerer"], "raiser");
    // Nobody but the raiser answers it.
    for who in [&manager_api, &other] {
        let r = c.act(&h, who, json!({"action": "confirm-agreement"})).await;
        assert_eq!(
            status(&r),
            (StatusCode::FORBIDDEN, Some("not-permitted".into())),
            "{}",
            r.body
        );
    }
    // The raiser refuses: still 5 days. Then a new proposal, confirmed: due in 3.
    let v = ok(&c
        .act(
            &h,
            &c.raiser,
            json!({"action": "refuse-agreement", "reason": "Three days is too long: the visit is due on Wednesday."}),
        )
        .await);
    assert_eq!(v["stage_deadline"]["due"], "2026-11-30");
    ok(&manager_api_act(&h, &c, &manager_api, 2).await);
    let v = ok(&c
        .act(&h, &c.raiser, json!({"action": "confirm-agreement"}))
        .await);
    assert_eq!(v["status"], "open");
    assert_eq!(v["stage_deadline"]["due"], "2026-11-25");
    let stage = v["stages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(stage["agreed_working_days"], 2);
    let items = history(&h, &c, &c.raiser).await;
    let titles: Vec<&str> = items.iter().filter_map(|i| i["title"].as_str()).collect();
    assert!(
        titles
            .iter()
            .any(|t| t.contains("Timescale of 2 working days for stage 2 confirmed")),
        "{titles:?}"
    );

    // The form says who confirms it.
    let page = h
        .get(
            &format!("/escalations/{}/timescale", c.id),
            &h.session_for("line manager", &manager).await.auth,
        )
        .await;
    assert!(
        page.body
            .contains("this timescale is agreed with the person who raised it"),
        "{}",
        excerpt(&page.body)
    );
    assert!(page.body.contains("Propose the timescale"));
}

async fn manager_api_act(h: &Harness, c: &Case, who: &Auth, days: i64) -> Resp {
    c.act(
        h,
        who,
        json!({"action": "agree-timescale", "working_days": days}),
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// The dissent statement (Dorset §7; Buckinghamshire 2.4.13)

fn dissent() -> Value {
    json!({
        "who": "The school's designated safeguarding lead",
        "why": "The school still thinks a home visit is needed; the decision stands.",
        "raising_side_will": "The school stays in the core group and reports any new concern at once.",
        "receiving_side_will": "Children's social care reviews the plan at the next core group.",
    })
}

#[tokio::test]
async fn a_recorded_disagreement_takes_a_dissent_statement_shown_to_all() {
    let h = Harness::new().await;
    // Dorset tells its business team from stage 3.
    let c = case(&h, "dorset", 3).await;
    let resolve = |d: Option<Value>| {
        let mut body = json!({"action": "resolve", "outcome": "disagreement-recorded"});
        if let Some(d) = d {
            body["dissent"] = d;
        }
        body
    };
    // Refused: without the statement, with a part empty, with a part naming the child, and a
    // statement with another outcome. Nothing is written.
    let mut missing_why = dissent();
    missing_why["why"] = json!("  ");
    let mut naming = dissent();
    naming["receiving_side_will"] = json!(format!("Visit {CHILD} at home."));
    let mut partial = dissent();
    partial.as_object_mut().unwrap().remove("raising_side_will");
    for (body, words, code) in [
        (resolve(None), "dissent statement", "invalid"),
        (resolve(Some(missing_why)), "why they disagree", "invalid"),
        (
            resolve(Some(naming)),
            "What the receiving side will do",
            "invalid",
        ),
        (
            json!({"action": "resolve", "outcome": "by-events", "dissent": dissent()}),
            "only with the outcome",
            "invalid",
        ),
        (resolve(Some(partial)), "raising_side_will", "invalid"),
    ] {
        let r = c.act(&h, &c.raiser, body.clone()).await;
        assert_eq!(
            status(&r),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(code.into())),
            "{body}: {}",
            r.body
        );
        assert!(r.body.contains(words), "{body}: {}", r.body);
    }
    assert_eq!(ok(&c.view(&h, &c.raiser).await)["status"], "open");

    let v = ok(&c.act(&h, &c.raiser, resolve(Some(dissent()))).await);
    assert_eq!(v["status"], "resolved");
    assert_eq!(v["outcome"], "disagreement-recorded");
    assert_eq!(v["dissent"], dissent());

    // The business team reads it on the case and in the history, and nothing of the child.
    let team_person = h
        .person(
            &h.sign_in_of(&c.partnership, "partnership-business-team")
                .person_id,
        )
        .await;
    let team = h.bearer_for(&team_person).await;
    let seen = ok(&c.view(&h, &team).await);
    assert_eq!(seen["dissent"], dissent());
    let items = history(&h, &c, &team).await;
    let last = items.last().unwrap();
    assert_eq!(last["kind"], "disagreement-recorded");
    assert_eq!(last["title"], "Resolved with the disagreement recorded");
    let details: Vec<(&str, &str)> = last["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["label"].as_str().unwrap(), d["text"].as_str().unwrap()))
        .collect();
    assert_eq!(
        details[1],
        (
            "Why they disagree",
            "The school still thinks a home visit is needed; the decision stands."
        )
    );
    let page = h
        .get(
            &format!("/escalations/{}", c.id),
            &h.session_for("business team", &team_person).await.auth,
        )
        .await;
    assert!(page.body.contains("The disagreement recorded"));
    assert!(
        page.body
            .contains("Children&#x27;s social care reviews the plan")
            || page
                .body
                .contains("Children's social care reviews the plan")
    );
    assert!(!page.body.contains(CHILD));
}

#[tokio::test]
async fn the_resolve_form_asks_for_the_dissent_statement() {
    let h = Harness::new().await;
    let c = case(&h, "buckinghamshire", 1).await;
    let raiser_id = c.view(&h, &c.raiser).await.json()["raised_by"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let raiser = h.session_for("raiser", &h.person(&raiser_id).await).await;
    let path = format!("/escalations/{}/resolve", c.id);
    let form = h.get(&path, &raiser.auth).await;
    assert!(form.body.contains("Who still disagrees?"));
    assert!(form.body.contains("What will the receiving side do now?"));
    let version = c.view(&h, &c.raiser).await.json()["version"].to_string();
    let r = h
        .post_form(
            &path,
            &raiser.auth,
            &[
                ("version", &version),
                ("outcome", "disagreement-recorded"),
                ("dissent-who", "The school"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    for message in [
        "Enter why they disagree",
        "Enter what the raising side will do",
        "Enter what the receiving side will do",
    ] {
        assert!(r.body.contains(message), "{message}: {}", excerpt(&r.body));
    }
    assert!(r.body.contains("value=\"The school\"") || r.body.contains(">The school</textarea>"));
    // Texts typed for another outcome are not a statement: agreed is proposed as before.
    let r = h
        .post_form(
            &path,
            &raiser.auth,
            &[
                ("version", &version),
                ("outcome", "agreed"),
                ("dissent-who", "typed, then the outcome changed"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", excerpt(&r.body));
    let v = ok(&c.view(&h, &c.raiser).await);
    assert_eq!(v["proposal"]["proposal"], "resolution");
    assert_eq!(v["dissent"], Value::Null);
}

/// The demo leaves proposals awaiting an answer (the access matrix makes its own on the
/// escalation it tries, `matrix::harness`).
#[tokio::test]
async fn the_demo_has_proposals_awaiting_an_answer() {
    let h = Harness::new().await;
    let mut pending = 0;
    for p in &h.summary.partnerships {
        let w = h.world(&p.id).await;
        pending += w
            .escalations
            .iter()
            .filter(|e| e.status == "open")
            .filter(|e| {
                w.proposals
                    .get(&e.id)
                    .is_some_and(|p| p.stage == e.current_stage)
            })
            .count();
    }
    assert!(pending > 0, "no demo escalation awaits an answer");
}

/// `proposer` (a person id and their side) proposes to resolve escalation `id` by agreement,
/// as the records take it (the access matrix's set-up).
pub(crate) async fn propose(h: &Harness, id: &str, proposer: &(String, Side)) {
    let row = h.state.store.escalation(id).await.unwrap().unwrap();
    let result = h
        .state
        .records
        .act(
            crate::harness::now(),
            &parley_store::records::Actor::person(&proposer.0),
            id,
            row.version,
            &parley_core::escalation::Event::AgreementProposed {
                proposal: parley_core::agreement::Proposal::Resolution,
                by: proposer.1,
            },
            None,
        )
        .await;
    // One the demo left awaiting an answer will do.
    match result {
        Ok(_)
        | Err(parley_store::StoreError::Project(
            parley_store::projector::ProjectError::Transition(
                parley_core::escalation::TransitionError::Agreement(
                    parley_core::agreement::AgreementError::Pending(_),
                ),
            ),
        )) => {}
        Err(e) => panic!("the matrix's proposal on {id}: {e}"),
    }
}

/// Issue 14, item 1 kept: a timescale proposed at Sunderland step 2 cannot run past the month
/// either, when proposed and when confirmed. Raised Tuesday 22 December 2026, the whole
/// escalation is due on Friday 22 January 2027; step 2 starts on Tuesday 19 January, so at
/// most 3 working days (20, 21 and 22 January) can still be agreed.
#[tokio::test]
async fn a_proposed_timescale_is_capped_at_the_month() {
    use crate::cap::{at, case as raised_on, signed_in};
    const NOW: &str = "2027-01-19T14:00:00Z";
    let mut h = Harness::new().await;
    let mut c = raised_on(
        &h,
        "sunderland",
        "2026-12-22T10:00:00Z",
        &["2027-01-19T10:00:00Z"],
    )
    .await;
    signed_in(&mut h, &mut c, NOW).await;
    let path = format!("/api/escalations/{}", c.id);
    let v = ok(&h.get(&path, &c.raiser).await);
    assert_eq!(v["current_stage"]["number"], 2, "{v}");
    let manager_id = v["current_stage"]["leads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["side"] == "raising")
        .and_then(|s| s["officers"][0]["id"].as_str())
        .unwrap()
        .to_owned();
    let manager = h.session_at(&h.person(&manager_id).await, at(NOW)).await;
    let act = |who: &Auth, body: Value| {
        let (h, path, who) = (&h, format!("{path}/actions"), who.clone());
        async move {
            let mut body = body;
            body["version"] =
                h.get(&path.replace("/actions", ""), &who).await.json()["version"].clone();
            h.send_json(axum::http::Method::POST, &path, &who, &body)
                .await
        }
    };
    for n in [5, 4] {
        let r = act(
            &manager,
            json!({"action": "agree-timescale", "working_days": n}),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{n}: {}",
            r.body
        );
        assert!(r.body.contains("at most 3 working days"), "{n}: {}", r.body);
    }
    ok(&act(
        &manager,
        json!({"action": "agree-timescale", "working_days": 3}),
    )
    .await);
    let v = ok(&act(&c.raiser, json!({"action": "confirm-agreement"})).await);
    assert_eq!(v["stage_deadline"]["due"], "2027-01-22", "{v}");
}
