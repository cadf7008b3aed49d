//! Which side of the disagreement a person stands on (issue 14, item 2: what one side
//! proposes, the other confirms). Pure, over the same rows as `access::access`:
//!
//! - the raising side: the person who raised it, the raising agency's officers of the current
//!   stage still in post, and the line managers (at any distance) of any of them;
//! - the receiving side: the person it was raised with, the receiving agency's officers of the
//!   current stage still in post, and their line managers.
//!
//! The business team and people appointed to it (an independent chair, say) stand on neither
//! side. Someone can stand on both (a manager of people on either side): the machine then
//! still needs the other side's answer, and `service::agreement` stops them answering their
//! own proposal.

use parley_core::names::{Actor, Side};
use parley_store::rows::{EscalationOfficerRow, EscalationRow};

use super::Directory;

/// The capacities in which `me` stands on each side of `e` now, whose record of officers is
/// `officers`.
pub(super) fn sides(
    me: &str,
    e: &EscalationRow,
    officers: &[EscalationOfficerRow],
    dir: &Directory,
) -> Vec<(Side, Actor)> {
    let mut out = Vec::new();
    for side in Side::ALL.iter().copied() {
        let (agency, party, actor) = match side {
            Side::Raising => (&e.raising_agency_id, Some(&e.raised_by), Actor::Raiser),
            Side::Receiving => (
                &e.receiving_agency_id,
                e.receiving_person_id.as_ref(),
                Actor::Receiver,
            ),
        };
        let leads: Vec<&str> = dir
            .acting_leads(e, officers)
            .filter(|o| o.agency_id == *agency)
            .map(|o| o.person_id.as_str())
            .collect();
        if party.is_some_and(|p| p == me) {
            out.push((side, actor));
        }
        if leads.contains(&me) {
            out.push((side, Actor::StageLeads));
        }
        let managed = party
            .map(String::as_str)
            .into_iter()
            .chain(leads.iter().copied())
            .any(|p| dir.manages(me, p));
        if managed {
            out.push((side, Actor::Managers));
        }
    }
    out
}

/// The capacities among `sides` on `side`.
pub(super) fn on(sides: &[(Side, Actor)], side: Side) -> Vec<Actor> {
    sides
        .iter()
        .filter(|(s, _)| *s == side)
        .map(|(_, a)| *a)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::tests::{directory, escalation, led};

    #[test]
    fn each_party_their_officers_and_managers_stand_on_their_side() {
        let d = directory();
        let e = escalation(2);
        let record = [led("a1", 2, "officer1"), led("a2", 2, "officer2")];
        // officer1 leads stage 1 only, so a record naming them at stage 2 is not in post.
        let s = |id: &str| sides(id, &e, &record, &d);
        assert_eq!(s("raiser"), vec![(Side::Raising, Actor::Raiser)]);
        assert_eq!(
            s("team-lead"),
            vec![(Side::Raising, Actor::Managers)],
            "the raiser's manager"
        );
        assert_eq!(s("head"), vec![(Side::Raising, Actor::Managers)]);
        assert_eq!(s("receiver"), vec![(Side::Receiving, Actor::Receiver)]);
        assert_eq!(s("other-lead"), vec![(Side::Receiving, Actor::Managers)]);
        assert_eq!(
            s("officer2"),
            vec![(Side::Receiving, Actor::StageLeads)],
            "the receiving agency's officer in post"
        );
        assert_eq!(s("boss2"), vec![(Side::Receiving, Actor::Managers)]);
        assert_eq!(s("officer1"), vec![], "not in post for stage 2");
        assert_eq!(s("bt"), vec![], "the business team stands on neither side");
        assert_eq!(s("stranger"), vec![]);
    }
}
