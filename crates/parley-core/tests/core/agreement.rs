//! Agreement takes both sides (issue 14, item 2): resolving by agreement is proposed by one
//! side and confirmed by the other; a timescale agreed with a person (Sunderland step 2,
//! `agreed_with`) takes effect only when they confirm it; a refusal changes nothing but the
//! proposal; a recorded disagreement carries its dissent statement. Uses
//! `fixtures/machine.toml`, its stage 2 timescale agreed with the raiser where a test says so.

use jiff::Timestamp;
use parley_core::agreement::{AgreementError, Answer, Dissent, Proposal};
use parley_core::calendar::{BankHolidays, Calendar, WorkingDays};
use parley_core::deadline::calendar_for;
use parley_core::escalation::{
    Escalation, Event, Reason, Rules, Status, Subject, TransitionError, decide,
};
use parley_core::names::{ChildStatus, ClosedAs, Party, Recipient, Resolution, RouteKind, Side};
use parley_core::procedure::{self, Procedure, StageNumber};
use proptest::prelude::*;

const FIXTURE: &str = include_str!("fixtures/machine.toml");
const AGREED: &str = "timescale = { agreed = true, max_working_days = 5 }";

const RAISED: &str = "2026-12-21T10:00:00Z"; // Monday
const LATER: &str = "2026-12-22T15:00:00Z";
const LATER_STILL: &str = "2026-12-23T11:00:00Z";

struct World {
    procedure: Procedure,
    calendar: Calendar,
}

impl World {
    fn new(source: &str) -> Self {
        let procedure =
            procedure::parse(source).unwrap_or_else(|e| panic!("{}", e.render("fixture", source)));
        let calendar = calendar_for(&procedure, &BankHolidays::built_in()).unwrap();
        World {
            procedure,
            calendar,
        }
    }

    /// The fixture with stage 2's timescale agreed with the raiser.
    fn agreed_with_raiser() -> Self {
        World::new(&FIXTURE.replace(AGREED, &format!("{AGREED}\nagreed_with = \"raiser\"")))
    }

    fn rules(&self) -> Rules<'_> {
        Rules {
            procedure: &self.procedure,
            calendar: &self.calendar,
        }
    }

    /// Raised at `RAISED`, then `events` at `LATER`.
    fn state(&self, events: &[Event]) -> Escalation {
        let mut s = decide(None, self.rules(), at(RAISED), raised())
            .unwrap()
            .state;
        for e in events {
            s = s.apply(self.rules(), at(LATER), e.clone()).unwrap().state;
        }
        s
    }

    fn apply(&self, s: &Escalation, event: Event) -> Result<Escalation, TransitionError> {
        s.apply(self.rules(), at(LATER_STILL), event)
            .map(|t| t.state)
    }
}

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn days(n: i64) -> WorkingDays {
    WorkingDays::new(n).unwrap()
}

fn raised() -> Event {
    Event::Raised {
        route: RouteKind::Individual,
        subject: Subject::Child {
            status: ChildStatus::ChildInNeed,
        },
        category: "levels-of-need".to_owned(),
        decided_on: None,
    }
}

fn propose(by: Side) -> Event {
    Event::AgreementProposed {
        proposal: Proposal::Resolution,
        by,
    }
}

fn propose_days(n: i64, by: Side) -> Event {
    Event::AgreementProposed {
        proposal: Proposal::Timescale(days(n)),
        by,
    }
}

fn confirm(by: Party) -> Event {
    Event::AgreementConfirmed { by }
}

fn dissent(why: &str) -> Dissent {
    Dissent {
        who: "The school's designated safeguarding lead".to_owned(),
        why: why.to_owned(),
        raising_side_will: "Keep attending the core group.".to_owned(),
        receiving_side_will: "Review the plan in four weeks.".to_owned(),
    }
}

fn agreement_error(r: Result<Escalation, TransitionError>) -> AgreementError {
    match r {
        Err(TransitionError::Agreement(e)) => e,
        other => panic!("expected an agreement error, got {other:?}"),
    }
}

#[test]
fn one_side_cannot_resolve_by_agreement_or_record_disagreement_alone() {
    let w = World::new(FIXTURE);
    let s = w.state(&[]);
    let agreed = w.apply(
        &s,
        Event::Resolved {
            resolution: Resolution::Agreed,
        },
    );
    assert_eq!(agreement_error(agreed), AgreementError::TakesBothSides);
    let recorded = w.apply(
        &s,
        Event::Resolved {
            resolution: Resolution::DisagreementRecorded,
        },
    );
    assert_eq!(agreement_error(recorded), AgreementError::DissentRequired);
    // By events is one side's to record, as before.
    let by_events = w.apply(
        &s,
        Event::Resolved {
            resolution: Resolution::ByEvents,
        },
    );
    assert!(by_events.is_ok());
}

#[test]
fn the_other_side_confirms_and_it_closes() {
    let w = World::new(FIXTURE);
    for proposer in [Side::Receiving, Side::Raising] {
        let s = w.state(&[propose(proposer)]);
        // Open until confirmed, the proposal awaiting the other side.
        assert!(s.status.is_open());
        let pending = s.pending().unwrap();
        assert_eq!(pending.by, proposer);
        assert_eq!(pending.answerer, Party::side(proposer.other()));
        assert_eq!(pending.proposal, Proposal::Resolution);
        // The proposing side cannot confirm its own proposal.
        let own = w.apply(&s, confirm(Party::side(proposer)));
        assert_eq!(
            agreement_error(own),
            AgreementError::NotTheAnswerer(Party::side(proposer.other()))
        );
        // Nor a person party, which answers timescales only.
        let raiser = w.apply(&s, confirm(Party::Raiser));
        assert!(raiser.is_err());
        let t = s
            .apply(
                w.rules(),
                at(LATER_STILL),
                confirm(Party::side(proposer.other())),
            )
            .unwrap();
        assert_eq!(t.state.status, Status::Resolved(Resolution::Agreed));
        assert_eq!(t.state.closed_at, Some(at(LATER_STILL)));
        // Closing tells whom the procedure says (the fixture: the raiser).
        assert_eq!(t.notifications.len(), 1);
        assert_eq!(t.notifications[0].to, Recipient::Raiser);
        assert_eq!(
            t.notifications[0].reason,
            Reason::Closed(ClosedAs::Resolved)
        );
        let done = t.state.proposals.last().unwrap();
        assert_eq!(done.answer.map(|a| a.0), Some(Answer::Confirmed));
        assert!(t.state.pending().is_none());
    }
}

#[test]
fn a_refusal_leaves_the_stage_as_it_was() {
    let w = World::new(FIXTURE);
    let s = w.state(&[Event::Escalated, propose(Side::Receiving)]);
    // Only the party it awaits refuses.
    let wrong = w.apply(
        &s,
        Event::AgreementRefused {
            by: Party::ReceivingSide,
        },
    );
    assert_eq!(
        agreement_error(wrong),
        AgreementError::NotTheAnswerer(Party::RaisingSide)
    );
    let refused = w
        .apply(
            &s,
            Event::AgreementRefused {
                by: Party::RaisingSide,
            },
        )
        .unwrap();
    assert_eq!(refused.status, Status::Open);
    assert_eq!(refused.stages, s.stages, "the stages are as they were");
    assert_eq!(refused.deadlines_passed, s.deadlines_passed);
    assert!(refused.pending().is_none());
    assert_eq!(
        refused.proposals.last().unwrap().answer.map(|a| a.0),
        Some(Answer::Refused)
    );
    // Nothing awaits an answer now; either side may propose again.
    let again = w.apply(&refused, confirm(Party::RaisingSide));
    assert_eq!(agreement_error(again), AgreementError::NoProposal);
    let second = w.apply(&refused, propose(Side::Raising)).unwrap();
    assert_eq!(second.proposals.len(), 2);
    assert_eq!(second.pending().unwrap().answerer, Party::ReceivingSide);
}

#[test]
fn only_the_proposing_side_withdraws_and_one_proposal_at_a_time() {
    let w = World::new(FIXTURE);
    let s = w.state(&[propose(Side::Raising)]);
    let other = w.apply(
        &s,
        Event::ProposalWithdrawn {
            by: Side::Receiving,
        },
    );
    assert_eq!(
        agreement_error(other),
        AgreementError::NotTheProposer(Side::Raising)
    );
    let twice = w.apply(&s, propose(Side::Receiving));
    assert_eq!(
        agreement_error(twice),
        AgreementError::Pending(Party::ReceivingSide)
    );
    let withdrawn = w
        .apply(&s, Event::ProposalWithdrawn { by: Side::Raising })
        .unwrap();
    assert!(withdrawn.status.is_open());
    assert!(withdrawn.pending().is_none());
    assert_eq!(
        withdrawn.proposals[0].answer.map(|a| a.0),
        Some(Answer::Withdrawn)
    );
    let nothing = w.apply(&withdrawn, Event::ProposalWithdrawn { by: Side::Raising });
    assert_eq!(agreement_error(nothing), AgreementError::NoProposal);
}

#[test]
fn a_proposal_lapses_when_its_stage_ends() {
    let w = World::new(FIXTURE);
    let s = w.state(&[propose(Side::Receiving), Event::Escalated]);
    assert_eq!(s.current_stage(), StageNumber::new(2).unwrap());
    assert!(s.pending().is_none());
    assert_eq!(
        s.proposals[0].answer.map(|a| a.0),
        Some(Answer::Lapsed),
        "escalating ends the stage's proposal"
    );
    let late = w.apply(&s, confirm(Party::RaisingSide));
    assert_eq!(agreement_error(late), AgreementError::NoProposal);
    // Closing another way ends it too.
    let s = w.state(&[propose(Side::Receiving), Event::Withdrawn]);
    assert_eq!(s.proposals[0].answer.map(|a| a.0), Some(Answer::Lapsed));
    // Events resolving it while it is seen through (the fixture's rule) leave it open, and
    // the proposal with it.
    let s = w.state(&[
        propose(Side::Receiving),
        Event::Resolved {
            resolution: Resolution::ByEvents,
        },
    ]);
    assert!(s.pending().is_some());
}

#[test]
fn closed_escalations_take_no_proposal_or_answer() {
    let w = World::new(FIXTURE);
    let s = w.state(&[Event::Withdrawn]);
    for e in [
        propose(Side::Raising),
        confirm(Party::RaisingSide),
        Event::DisagreementRecorded(dissent("Still no visit.")),
    ] {
        assert_eq!(w.apply(&s, e), Err(TransitionError::Closed("withdrawn")));
    }
}

#[test]
fn a_timescale_agreed_with_the_raiser_holds_once_they_confirm_it() {
    let w = World::agreed_with_raiser();
    let s = w.state(&[Event::Escalated]);
    let due_before = s.current().due;
    // Agreeing it outright is refused at this stage: the raiser must confirm it.
    let direct = w.apply(
        &s,
        Event::TimescaleAgreed {
            working_days: days(3),
        },
    );
    assert_eq!(
        agreement_error(direct),
        AgreementError::AgreedWith {
            stage: StageNumber::new(2).unwrap(),
            with: parley_core::names::Actor::Raiser,
        }
    );
    // More than the stage allows is refused when proposed.
    assert!(matches!(
        w.apply(&s, propose_days(6, Side::Receiving)),
        Err(TransitionError::AgreedTimescaleTooLong { .. })
    ));
    let proposed = w.apply(&s, propose_days(3, Side::Raising)).unwrap();
    assert_eq!(proposed.current().due, due_before, "nothing changes yet");
    assert_eq!(proposed.current().agreed, None);
    assert_eq!(proposed.pending().unwrap().answerer, Party::Raiser);
    // The line manager's side is not the raiser; neither is the other side.
    for wrong in [Party::RaisingSide, Party::ReceivingSide, Party::Receiver] {
        let r = w.apply(&proposed, confirm(wrong));
        assert_eq!(
            agreement_error(r),
            AgreementError::NotTheAnswerer(Party::Raiser)
        );
    }
    let confirmed = w.apply(&proposed, confirm(Party::Raiser)).unwrap();
    assert!(confirmed.status.is_open());
    assert_eq!(confirmed.current().agreed, Some(days(3)));
    // Stage 2 started Tuesday 22 December 2026: 3 working days after it are the 23rd, the
    // 24th and (Christmas, Boxing Day's substitute on the 28th and the fixture's closure day
    // on the 29th skipped) Wednesday the 30th.
    assert_eq!(
        confirmed.current().due,
        "2026-12-30".parse::<jiff::civil::Date>().unwrap()
    );
    // The raiser may refuse instead: nothing changes.
    let refused = w
        .apply(&proposed, Event::AgreementRefused { by: Party::Raiser })
        .unwrap();
    assert_eq!(refused.stages, s.stages);
}

#[test]
fn timescales_are_proposed_only_where_the_procedure_says_they_are_agreed_with_someone() {
    let plain = World::new(FIXTURE);
    let at_two = plain.state(&[Event::Escalated]);
    assert_eq!(
        agreement_error(plain.apply(&at_two, propose_days(3, Side::Raising))),
        AgreementError::NotAgreedWith(StageNumber::new(2).unwrap())
    );
    // Without `agreed_with`, agreeing it outright works as before.
    assert!(
        plain
            .apply(
                &at_two,
                Event::TimescaleAgreed {
                    working_days: days(3)
                }
            )
            .is_ok()
    );
    // A fixed timescale is agreed by nobody.
    let w = World::agreed_with_raiser();
    let at_one = w.state(&[]);
    assert!(matches!(
        w.apply(&at_one, propose_days(2, Side::Raising)),
        Err(TransitionError::TimescaleNotAgreed { .. })
    ));
}

#[test]
fn a_recorded_disagreement_carries_its_dissent_statement() {
    let w = World::new(FIXTURE);
    let s = w.state(&[]);
    let blank = w.apply(&s, Event::DisagreementRecorded(dissent("  ")));
    assert_eq!(
        agreement_error(blank),
        AgreementError::IncompleteDissent("why")
    );
    let statement = dissent("The school still thinks a home visit is needed.");
    let t = s
        .apply(
            w.rules(),
            at(LATER_STILL),
            Event::DisagreementRecorded(statement.clone()),
        )
        .unwrap();
    assert_eq!(
        t.state.status,
        Status::Resolved(Resolution::DisagreementRecorded)
    );
    assert_eq!(t.state.dissent, Some(statement.clone()));
    assert_eq!(t.notifications[0].to, Recipient::Raiser);
    // Where the procedure does not allow the outcome, the statement does not make it so.
    let strict = World::new(&FIXTURE.replace(
        "allowed = [\"agreed\", \"disagreement-recorded\", \"by-events\"]",
        "allowed = [\"agreed\"]",
    ));
    let s = strict.state(&[]);
    assert!(matches!(
        s.apply(
            strict.rules(),
            at(LATER),
            Event::DisagreementRecorded(statement)
        ),
        Err(TransitionError::OutcomeNotAllowed { .. })
    ));
}

#[test]
fn one_sided_resolutions_stored_before_still_replay() {
    let w = World::new(FIXTURE);
    for r in [Resolution::Agreed, Resolution::DisagreementRecorded] {
        let s = w.state(&[Event::ResolvedUnconfirmed { resolution: r }]);
        assert_eq!(s.status, Status::Resolved(r));
        assert_eq!(s.dissent, None);
    }
}

// ---------------------------------------------------------------------------------------------
// Properties

/// Every event a person can take now (the legacy `ResolvedUnconfirmed` is only replayed).
fn event() -> impl Strategy<Value = Event> {
    let side = prop_oneof![Just(Side::Raising), Just(Side::Receiving)];
    let party = prop_oneof![
        Just(Party::RaisingSide),
        Just(Party::ReceivingSide),
        Just(Party::Raiser),
        Just(Party::Receiver),
    ];
    let resolution = prop_oneof![
        Just(Resolution::Agreed),
        Just(Resolution::DisagreementRecorded),
        Just(Resolution::ByEvents),
    ];
    prop_oneof![
        3 => side.clone().prop_map(propose),
        2 => (1i64..=6, side.clone()).prop_map(|(n, s)| propose_days(n, s)),
        3 => party.clone().prop_map(confirm),
        2 => party.prop_map(|by| Event::AgreementRefused { by }),
        1 => side.prop_map(|by| Event::ProposalWithdrawn { by }),
        1 => resolution.prop_map(|resolution| Event::Resolved { resolution }),
        1 => (1i64..=6).prop_map(|n| Event::TimescaleAgreed { working_days: days(n) }),
        1 => Just(Event::Escalated),
        1 => Just(Event::DisagreementRecorded(dissent("It remains."))),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// Whatever people try, in any order: the escalation is resolved by agreement only by the
    /// other side's confirmation of a proposal to resolve it; a timescale agreed with the
    /// raiser changes only when the raiser confirms it; a refusal or a withdrawal changes
    /// nothing but the proposal.
    #[test]
    fn no_agreement_without_both_sides(
        agreed_with in any::<bool>(),
        events in proptest::collection::vec(event(), 1..25),
    ) {
        let w = if agreed_with { World::agreed_with_raiser() } else { World::new(FIXTURE) };
        let mut s = w.state(&[]);
        let mut t = at(LATER);
        for e in events {
            t += jiff::SignedDuration::from_mins(7);
            let Ok(next) = s.apply(w.rules(), t, e.clone()) else { continue };
            let next = next.state;
            if next.status == Status::Resolved(Resolution::Agreed) && s.status.is_open() {
                let pending = s.pending().expect("agreed without a proposal");
                prop_assert_eq!(pending.proposal, Proposal::Resolution);
                prop_assert_eq!(&e, &confirm(Party::side(pending.by.other())));
            }
            let stage_two = s.stages.len() == 2 && next.stages.len() == 2;
            if agreed_with && stage_two && next.current().agreed != s.current().agreed {
                prop_assert_eq!(&e, &confirm(Party::Raiser));
            }
            if matches!(e, Event::AgreementRefused { .. } | Event::ProposalWithdrawn { .. }) {
                prop_assert_eq!(&next.stages, &s.stages);
                prop_assert_eq!(&next.status, &s.status);
                prop_assert!(next.pending().is_none());
            }
            // A proposal never outlives its stage or the escalation.
            if let Some(p) = next.pending() {
                prop_assert!(next.status.is_open());
                prop_assert_eq!(p.stage, next.current_stage());
            }
            s = next;
        }
    }
}
