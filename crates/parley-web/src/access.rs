//! Who sees what (issue: "Who sees what"). Pure decisions over the query rows, so that pages,
//! the API and the tests share one rule:
//!
//! - A person sees an escalation if they raised it, are named on it (the receiving person),
//!   lead its current or a past stage as a named officer of either agency, or manage (through
//!   the line-management chain) someone who does.
//! - The partnership business team sees the partnership's escalations from the stage its
//!   procedure first notifies it, and never a child's details nor the case as put (which may
//!   name the child); only the summary, which must not identify the child.
//! - Nobody sees another partnership's escalations. Administrators manage the partnership's
//!   set-up; the role alone shows no case.

use std::collections::{HashMap, HashSet};

use parley_core::names::Recipient;
use parley_core::procedure::Procedure;
use parley_store::rows::{EscalationRow, NamedOfficerRow, PersonRow};
use serde::Serialize;

pub const PRACTITIONER: &str = "practitioner";
pub const MANAGER: &str = "manager";
pub const SENIOR_MANAGER: &str = "senior-manager";
pub const BUSINESS_TEAM: &str = "partnership-business-team";
pub const ADMINISTRATOR: &str = "administrator";

/// The access roles, in the order they are listed.
pub const ROLES: [&str; 5] = [
    PRACTITIONER,
    MANAGER,
    SENIOR_MANAGER,
    BUSINESS_TEAM,
    ADMINISTRATOR,
];

pub fn role_label(role: &str) -> &'static str {
    match role {
        PRACTITIONER => "Practitioner",
        MANAGER => "Manager",
        SENIOR_MANAGER => "Senior manager",
        BUSINESS_TEAM => "Partnership business team",
        ADMINISTRATOR => "Administrator",
        _ => "Unknown role",
    }
}

/// How someone is connected to an escalation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Relation {
    Raiser,
    Receiver,
    /// Named officer of either agency for the current or a past stage.
    StageLead,
    /// Line manager (at any distance) of someone above.
    Manager,
    /// The partnership business team, from the notified stage.
    BusinessTeam,
}

/// What a person may do with one escalation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Access {
    pub relations: Vec<Relation>,
    /// The child's details and the case as put (decision, evidence, outcome wanted).
    pub child_details: bool,
    /// Agree a timescale, escalate, resolve, convene, refer on (and record) while it is open.
    pub can_act: bool,
    /// Write the stage record, also once it has closed: what was agreed and the learning
    /// identified are often written up afterwards (Sunderland's proforma: actions taken,
    /// outcome, learning identified).
    pub can_record: bool,
    /// Withdraw: the raising side only.
    pub can_withdraw: bool,
}

/// The people and named officers of one partnership.
#[derive(Clone, Debug, Default)]
pub struct Directory {
    pub people: HashMap<String, PersonRow>,
    pub officers: Vec<NamedOfficerRow>,
}

impl Directory {
    pub fn new(people: Vec<PersonRow>, officers: Vec<NamedOfficerRow>) -> Directory {
        Directory {
            people: people.into_iter().map(|p| (p.id.clone(), p)).collect(),
            officers,
        }
    }

    pub fn name(&self, id: &str) -> String {
        self.people
            .get(id)
            .map_or_else(|| "Unknown person".to_owned(), |p| p.name.clone())
    }

    /// Whether `manager` is on `person`'s line-management chain (not counting `person`).
    pub fn manages(&self, manager: &str, person: &str) -> bool {
        let mut at = self
            .people
            .get(person)
            .and_then(|p| p.line_manager_id.as_deref());
        let mut seen = HashSet::new();
        while let Some(m) = at {
            if m == manager {
                return true;
            }
            if !seen.insert(m) {
                return false; // a loop in the data: stop
            }
            at = self
                .people
                .get(m)
                .and_then(|p| p.line_manager_id.as_deref());
        }
        false
    }

    /// Everyone `manager` manages, at any distance.
    pub fn reports_of(&self, manager: &str) -> Vec<String> {
        self.people
            .keys()
            .filter(|p| self.manages(manager, p))
            .cloned()
            .collect()
    }

    /// The named officers of the escalation's two agencies for stages up to its current one.
    pub fn stage_leads<'a>(
        &'a self,
        e: &'a EscalationRow,
    ) -> impl Iterator<Item = &'a NamedOfficerRow> {
        self.officers.iter().filter(move |o| {
            (o.agency_id == e.raising_agency_id || o.agency_id == e.receiving_agency_id)
                && o.stage <= e.current_stage
        })
    }

    /// The named officers leading a given stage, in both agencies.
    pub fn leads_at<'a>(
        &'a self,
        e: &'a EscalationRow,
        stage: i64,
    ) -> impl Iterator<Item = &'a NamedOfficerRow> {
        self.officers.iter().filter(move |o| {
            (o.agency_id == e.raising_agency_id || o.agency_id == e.receiving_agency_id)
                && o.stage == stage
        })
    }
}

/// The first stage at which the procedure tells the partnership business team about an
/// escalation; `None` if it never does.
pub fn business_team_from(procedure: &Procedure) -> Option<i64> {
    procedure
        .notifications
        .iter()
        .filter(|n| n.to == Recipient::PartnershipBusinessTeam)
        .map(|n| i64::from(n.from_stage.get()))
        .min()
}

/// What `person` may do with escalation `e`; `None` when they may not see it at all.
pub fn access(
    person: &PersonRow,
    e: &EscalationRow,
    dir: &Directory,
    business_from: Option<i64>,
) -> Option<Access> {
    if person.partnership_id != e.partnership_id || !person.active {
        return None;
    }
    let me = person.id.as_str();
    let mut relations = Vec::new();
    if e.raised_by == me {
        relations.push(Relation::Raiser);
    }
    if e.receiving_person_id.as_deref() == Some(me) {
        relations.push(Relation::Receiver);
    }
    if dir.stage_leads(e).any(|o| o.person_id == me) {
        relations.push(Relation::StageLead);
    }
    let involved = std::iter::once(e.raised_by.as_str())
        .chain(e.receiving_person_id.as_deref())
        .chain(dir.stage_leads(e).map(|o| o.person_id.as_str()));
    let mut raising_side_manager = false;
    let mut manager = false;
    for p in involved {
        if dir.manages(me, p) {
            manager = true;
            if p == e.raised_by {
                raising_side_manager = true;
            }
        }
    }
    if manager {
        relations.push(Relation::Manager);
    }
    let involved_directly = !relations.is_empty();
    if person.roles.iter().any(|r| r == BUSINESS_TEAM)
        && business_from.is_some_and(|s| e.current_stage >= s)
    {
        relations.push(Relation::BusinessTeam);
    }
    if relations.is_empty() {
        return None;
    }
    let open = e.status == "open";
    let raising_officer = dir
        .stage_leads(e)
        .any(|o| o.person_id == me && o.agency_id == e.raising_agency_id);
    Some(Access {
        child_details: involved_directly,
        can_act: involved_directly && open,
        can_record: involved_directly,
        can_withdraw: open && (e.raised_by == me || raising_side_manager || raising_officer),
        relations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(id: &str, manager: Option<&str>, roles: &[&str]) -> PersonRow {
        PersonRow {
            id: id.to_owned(),
            partnership_id: "p".to_owned(),
            agency_id: Some("a1".to_owned()),
            name: id.to_owned(),
            email: format!("{id}@example.org"),
            job_title: String::new(),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            line_manager_id: manager.map(str::to_owned),
            active: true,
        }
    }

    fn escalation(stage: i64) -> EscalationRow {
        EscalationRow {
            id: "e".into(),
            partnership_id: "p".into(),
            reference: "X-2026-0001".into(),
            procedure_version: 1,
            version: 1,
            route: "individual".into(),
            subject: "child".into(),
            child_status: None,
            category: "c".into(),
            status: "open".into(),
            outcome: None,
            current_stage: stage,
            stage_due: "2026-12-01".into(),
            overall_due: None,
            raised_at_us: 0,
            raised_on: "2026-11-23".into(),
            closed_at_us: None,
            resolved_by_events: false,
            raised_by: "raiser".into(),
            raising_agency_id: "a1".into(),
            receiving_agency_id: "a2".into(),
            receiving_person_id: Some("receiver".into()),
            summary: String::new(),
            updated_at_us: 0,
        }
    }

    fn directory() -> Directory {
        Directory::new(
            vec![
                person("raiser", Some("team-lead"), &[PRACTITIONER]),
                person("team-lead", Some("head"), &[MANAGER]),
                person("head", None, &[SENIOR_MANAGER]),
                person("receiver", Some("other-lead"), &[PRACTITIONER]),
                person("other-lead", None, &[MANAGER]),
                person("officer2", None, &[MANAGER]),
                person("bt", None, &[BUSINESS_TEAM]),
                person(
                    "stranger",
                    None,
                    &[PRACTITIONER, MANAGER, SENIOR_MANAGER, ADMINISTRATOR],
                ),
            ],
            vec![NamedOfficerRow {
                partnership_id: "p".into(),
                agency_id: "a2".into(),
                stage: 2,
                person_id: "officer2".into(),
            }],
        )
    }

    #[test]
    fn relations_follow_the_rules() {
        let d = directory();
        let e = escalation(1);
        let rel = |id: &str, e: &EscalationRow| {
            access(&d.people[id], e, &d, Some(2)).map(|a| a.relations)
        };
        assert_eq!(rel("raiser", &e), Some(vec![Relation::Raiser]));
        assert_eq!(rel("receiver", &e), Some(vec![Relation::Receiver]));
        assert_eq!(rel("team-lead", &e), Some(vec![Relation::Manager]));
        assert_eq!(
            rel("head", &e),
            Some(vec![Relation::Manager]),
            "managers at any distance"
        );
        assert_eq!(
            rel("officer2", &e),
            None,
            "stage 2's officer sees nothing at stage 1"
        );
        assert_eq!(
            rel("bt", &e),
            None,
            "the business team is told from stage 2"
        );
        assert_eq!(rel("stranger", &e), None, "roles alone show no case");
        let e2 = escalation(2);
        assert_eq!(rel("officer2", &e2), Some(vec![Relation::StageLead]));
        assert_eq!(rel("bt", &e2), Some(vec![Relation::BusinessTeam]));
        let bt = access(&d.people["bt"], &e2, &d, Some(2)).unwrap();
        assert!(!bt.child_details && !bt.can_act);
        let other = EscalationRow {
            partnership_id: "q".into(),
            ..escalation(2)
        };
        assert_eq!(rel("raiser", &other), None, "never another partnership's");
    }

    #[test]
    fn only_the_raising_side_withdraws() {
        let d = directory();
        let e = escalation(2);
        let a = |id: &str| access(&d.people[id], &e, &d, None).unwrap();
        assert!(a("raiser").can_withdraw);
        assert!(a("team-lead").can_withdraw);
        assert!(!a("receiver").can_withdraw);
        assert!(!a("officer2").can_withdraw);
        assert!(a("receiver").can_act);
    }

    #[test]
    fn once_closed_only_the_record_is_left_to_those_involved() {
        let d = directory();
        let e = EscalationRow {
            status: "resolved".into(),
            ..escalation(2)
        };
        let a = |id: &str| access(&d.people[id], &e, &d, Some(2)).unwrap();
        for id in ["raiser", "receiver", "officer2", "team-lead"] {
            let x = a(id);
            assert!(x.can_record && !x.can_act && !x.can_withdraw, "{id}: {x:?}");
        }
        assert!(
            !a("bt").can_record,
            "the business team writes no stage record"
        );
    }

    #[test]
    fn a_loop_in_line_management_ends() {
        let d = Directory::new(
            vec![person("x", Some("y"), &[]), person("y", Some("x"), &[])],
            vec![],
        );
        assert!(d.manages("y", "x"));
        assert!(!d.manages("z", "x"));
    }
}
