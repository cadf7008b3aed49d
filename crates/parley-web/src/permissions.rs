//! Who may take which action (issue 14, item 3): the procedure's `may` lists against the
//! capacities in which a person acts on an escalation ([`Access::acting`]), and who may raise
//! on which route. Pure: pages, the API and the tests share it.

use parley_core::names::{Actor, RaiserRole, RouteKind, StageAction};
use parley_core::procedure::{May, Procedure, StageNumber};

use crate::access::Access;

/// Whether someone with `access` may take `action` at a stage whose `may` table is `may`.
/// Withdrawing and redirecting are the raising side's: only the capacities in which the
/// person stands on that side count. Everything but the record needs the escalation open.
pub fn may_act(action: StageAction, access: &Access, may: &May) -> bool {
    let capacities = if action.raising_side_only() {
        &access.raising_side
    } else {
        &access.acting
    };
    (access.open || action == StageAction::Record) && may.allows(action, capacities)
}

/// The sentence saying who may take `action` at stage `n`, in the procedure's words (the
/// stage's `lead_title` for its officers).
pub fn who_may(p: &Procedure, n: StageNumber, action: StageAction) -> String {
    let stage = p.stage(n);
    let who: Vec<String> = p
        .may(n, action)
        .iter()
        .map(|a| match (a, stage.and_then(|s| s.lead_title.as_deref())) {
            (Actor::StageLeads, Some(title)) => {
                format!("{} ({title})", a.label())
            }
            _ => a.label().to_owned(),
        })
        .collect();
    let list = match who.as_slice() {
        [] => "nobody".to_owned(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    };
    let side = if action.raising_side_only() {
        ", on the raising side"
    } else {
        ""
    };
    format!(
        "At stage {n} the {} procedure lets only {list}{side} {}.",
        p.partnership_short(),
        action.label()
    )
}

/// The raising roles a person holds (their access roles that are raiser roles).
pub fn raiser_roles(roles: &[String]) -> Vec<RaiserRole> {
    roles.iter().filter_map(|r| r.parse().ok()).collect()
}

/// Whether someone with `roles` may raise on `route`.
pub fn may_raise(p: &Procedure, route: RouteKind, roles: &[String]) -> bool {
    let mine = raiser_roles(roles);
    p.route(route)
        .is_some_and(|r| r.raised_by.iter().any(|x| mine.contains(x)))
}

/// Who may raise on `route`, as a sentence.
pub fn who_may_raise(p: &Procedure, route: RouteKind) -> String {
    let who: Vec<&str> = p
        .route(route)
        .map(|r| r.raised_by.iter().map(|x| x.label()).collect())
        .unwrap_or_default();
    format!(
        "The {} procedure lets only {} raise a {} challenge.",
        p.partnership_short(),
        who.join(" and "),
        route.as_str()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Relation;

    fn access(open: bool, acting: &[Actor], raising_side: &[Actor]) -> Access {
        Access {
            relations: vec![Relation::Raiser],
            child_details: true,
            can_act: open,
            can_record: true,
            can_withdraw: open,
            open,
            acting: acting.to_vec(),
            leads_referral_step: false,
            raising_side: raising_side.to_vec(),
            sides: Vec::new(),
            proposer: false,
        }
    }

    fn seed(id: &str) -> Procedure {
        parley_core::seeds::get(id).unwrap().unwrap()
    }

    fn n(s: i64) -> StageNumber {
        StageNumber::new(s).unwrap()
    }

    /// (procedure, stage, action, acting as, on the raising side as, open, may)
    type Case = (
        &'static str,
        i64,
        StageAction,
        &'static [Actor],
        &'static [Actor],
        bool,
        bool,
    );

    #[test]
    fn the_procedures_decide_who_acts() {
        use Actor::*;
        use StageAction::*;
        let cases: &[Case] = &[
            // Buckinghamshire 2.4.15: escalating to stage 3 is for the stage 2 contacts.
            (
                "buckinghamshire",
                2,
                Escalate,
                &[Raiser],
                &[Raiser],
                true,
                false,
            ),
            (
                "buckinghamshire",
                2,
                Escalate,
                &[Receiver],
                &[],
                true,
                false,
            ),
            (
                "buckinghamshire",
                2,
                Escalate,
                &[Managers],
                &[Managers],
                true,
                false,
            ),
            (
                "buckinghamshire",
                2,
                Escalate,
                &[StageLeads],
                &[],
                true,
                true,
            ),
            (
                "buckinghamshire",
                2,
                Escalate,
                &[StageLeads],
                &[],
                false,
                false,
            ),
            (
                "buckinghamshire",
                1,
                Escalate,
                &[Raiser],
                &[Raiser],
                true,
                true,
            ),
            (
                "buckinghamshire",
                2,
                Resolve,
                &[Raiser],
                &[Raiser],
                true,
                true,
            ),
            (
                "buckinghamshire",
                3,
                ReferOn,
                &[Raiser],
                &[Raiser],
                true,
                false,
            ),
            (
                "buckinghamshire",
                3,
                ReferOn,
                &[StageLeads],
                &[],
                true,
                true,
            ),
            // Withdrawing: the raising side only, whatever the list says.
            (
                "buckinghamshire",
                2,
                Withdraw,
                &[Raiser],
                &[Raiser],
                true,
                true,
            ),
            (
                "buckinghamshire",
                2,
                Withdraw,
                &[Receiver, Managers],
                &[],
                true,
                false,
            ),
            (
                "buckinghamshire",
                2,
                Withdraw,
                &[Raiser],
                &[Raiser],
                false,
                false,
            ),
            // The record is written open or closed.
            (
                "buckinghamshire",
                2,
                Record,
                &[Raiser],
                &[Raiser],
                false,
                true,
            ),
            (
                "buckinghamshire",
                2,
                Record,
                &[PartnershipBusinessTeam],
                &[],
                true,
                false,
            ),
            // Dorset §5/§6: the line managers escalate, not the practitioner.
            ("dorset", 1, Escalate, &[Raiser], &[Raiser], true, false),
            ("dorset", 1, Escalate, &[Managers], &[Managers], true, true),
            // Solihull stage 4: the chair resolves; the business team convenes, never resolves.
            (
                "solihull",
                4,
                Resolve,
                &[IndependentChair],
                &[IndependentChair],
                true,
                true,
            ),
            ("solihull", 4, Resolve, &[Raiser], &[Raiser], true, false),
            (
                "solihull",
                4,
                ConveneMeeting,
                &[PartnershipBusinessTeam],
                &[],
                true,
                true,
            ),
            (
                "solihull",
                4,
                Resolve,
                &[PartnershipBusinessTeam],
                &[],
                true,
                false,
            ),
            (
                "solihull",
                3,
                Resolve,
                &[IndependentChair],
                &[IndependentChair],
                true,
                false,
            ),
            // Croydon stage 5: the Executive; Sunderland step 4: the scrutineer.
            (
                "croydon",
                5,
                Resolve,
                &[SafeguardingPartnersExecutive],
                &[],
                true,
                true,
            ),
            (
                "croydon",
                4,
                Resolve,
                &[SafeguardingPartnersExecutive],
                &[],
                true,
                false,
            ),
            (
                "sunderland",
                4,
                ReferOn,
                &[IndependentScrutineer],
                &[],
                true,
                true,
            ),
            ("sunderland", 2, Escalate, &[Raiser], &[Raiser], true, false),
            // Nobody acting in no capacity.
            ("sunderland", 1, Resolve, &[], &[], true, false),
        ];
        for (id, stage, action, acting, raising, open, want) in cases {
            let p = seed(id);
            let stage_may = &p.stage(n(*stage)).unwrap().may;
            assert_eq!(
                may_act(*action, &access(*open, acting, raising), stage_may),
                *want,
                "{id} stage {stage} {action} as {acting:?} (open {open})"
            );
        }
    }

    #[test]
    fn the_refusal_says_who_may_in_the_procedures_words() {
        let p = seed("buckinghamshire");
        let s = who_may(&p, n(2), StageAction::Escalate);
        assert!(
            s.contains("the named officers for the stage (Designated Person for Child Protection"),
            "{s}"
        );
        assert!(s.contains("escalate it"), "{s}");
    }

    #[test]
    fn routes_are_raised_by_the_roles_the_procedure_names() {
        let p = seed("dorset");
        let roles = |r: &[&str]| r.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        let cases: &[(RouteKind, &[&str], bool)] = &[
            (RouteKind::Strategic, &["practitioner"], false),
            (RouteKind::Strategic, &["manager"], false),
            (RouteKind::Strategic, &["senior-manager"], true),
            (
                RouteKind::Strategic,
                &["practitioner", "senior-manager"],
                true,
            ),
            (RouteKind::Strategic, &["partnership-business-team"], false),
            (RouteKind::Individual, &["practitioner"], true),
            (RouteKind::Thematic, &["manager"], true),
        ];
        for (route, r, want) in cases {
            assert_eq!(may_raise(&p, *route, &roles(r)), *want, "{route} by {r:?}");
        }
        assert!(!may_raise(
            &seed("solihull"),
            RouteKind::Strategic,
            &roles(&["senior-manager"])
        ));
        assert!(who_may_raise(&p, RouteKind::Strategic).contains("senior managers"));
    }
}
