//! Who sees what (issue: "Who sees what"). Pure decisions over the query rows, so that pages,
//! the API and the tests share one rule:
//!
//! - A person sees an escalation if they raised it, are named on it (the receiving person),
//!   were a named officer of either agency for a stage it went through while it was at that
//!   stage (its record of officers, `escalation_officers`: never worked out from stage numbers,
//!   as a route may start at stage 3 or 4), or manage (through the line-management chain)
//!   someone who did.
//! - The raiser, the receiver and the officers of the current stage who still hold the post
//!   act (and their managers); an officer of a past stage, or one replaced, keeps read access
//!   to what they took part in (and so do their managers), but no longer acts.
//! - The partnership business team sees the partnership's escalations from the stage its
//!   procedure first notifies it, and never a child's details nor the case as put (which may
//!   name the child); only the summary, which must not identify the child.
//! - Nobody sees another partnership's escalations. Administrators manage the partnership's
//!   set-up; the role alone shows no case.

mod side;

use std::collections::{HashMap, HashSet};

use parley_core::names::{Actor, Recipient, Side};
use parley_core::procedure::Procedure;
use parley_store::rows::{EscalationOfficerRow, EscalationRow, NamedOfficerRow, PersonRow};
use serde::Serialize;

pub use parley_core::roles::*;

/// How someone is connected to an escalation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Relation {
    Raiser,
    Receiver,
    /// Named officer of either agency for a stage it went through, while it was at that stage
    /// (acting only while they hold the post for its current stage).
    StageLead,
    /// Line manager (at any distance) of someone above.
    Manager,
    /// The partnership business team, from the notified stage.
    BusinessTeam,
    /// Holds the lead role of a referral step the escalation went to (issue 14, item 5;
    /// `service::referral`).
    ReferralLead,
    /// Appointed to it in a partnership role (issue 14, item 4: an independent chair ...).
    Appointed,
}

/// One of a person's appointments to an escalation, as its procedure provides for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Appointed {
    pub role: Actor,
    /// Whether the procedure lets this appointee see the child's details.
    pub child_details: bool,
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
    /// Whether the escalation is open.
    pub open: bool,
    /// The capacities in which the person acts on it now, matched against the procedure's
    /// `may` lists (`permissions::may_act`).
    #[serde(skip)]
    pub acting: Vec<Actor>,
    /// Whether they lead the referral step it is at now (`service::referral::lead_access`).
    #[serde(skip)]
    pub leads_referral_step: bool,
    /// Those of them in which they stand on the raising side (for withdrawing).
    #[serde(skip)]
    pub raising_side: Vec<Actor>,
    /// The capacities in which they stand on each side of the disagreement, appointees and
    /// the business team on neither (issue 14, item 2; `access/side.rs`).
    #[serde(skip)]
    pub sides: Vec<(Side, Actor)>,
    /// Whether they made the proposal that awaits an answer now (`service::agreement`).
    #[serde(skip)]
    pub proposer: bool,
}

impl Access {
    /// Their capacities on `side`.
    pub fn on(&self, side: Side) -> Vec<Actor> {
        side::on(&self.sides, side)
    }
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

    /// The officers of the escalation's record (`officers`, its `escalation_officers` rows) who
    /// led a stage of it that it went through: those who see it. Rows of another escalation or
    /// agency are ignored.
    pub fn stage_leads<'a>(
        &'a self,
        e: &'a EscalationRow,
        officers: &'a [EscalationOfficerRow],
    ) -> impl Iterator<Item = &'a EscalationOfficerRow> {
        officers.iter().filter(move |o| {
            o.escalation_id == e.id
                && o.partnership_id == e.partnership_id
                && (o.agency_id == e.raising_agency_id || o.agency_id == e.receiving_agency_id)
        })
    }

    /// The officers who act on the escalation as stage leads: in its record for its current
    /// stage, and still the named officer of that agency for that stage. Someone replaced, or
    /// named only after the escalation left the stage, is not among them.
    pub fn acting_leads<'a>(
        &'a self,
        e: &'a EscalationRow,
        officers: &'a [EscalationOfficerRow],
    ) -> impl Iterator<Item = &'a EscalationOfficerRow> {
        self.stage_leads(e, officers).filter(move |o| {
            o.stage == e.current_stage
                && self.officers.iter().any(|n| {
                    n.partnership_id == e.partnership_id
                        && n.agency_id == o.agency_id
                        && n.stage == o.stage
                        && n.person_id == o.person_id
                })
        })
    }

    /// The named officers now holding the post for a given stage, in both agencies (who is
    /// told, and who is shown as leading it; not who may see it).
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

/// What `person` may do with escalation `e`, whose record of officers is `officers` (its
/// `escalation_officers` rows) and `appointed` the person's appointments to it; `None` when
/// they may not see it at all. An appointment counts only while the person holds its role.
pub fn access(
    person: &PersonRow,
    e: &EscalationRow,
    officers: &[EscalationOfficerRow],
    dir: &Directory,
    business_from: Option<i64>,
    appointed: &[Appointed],
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
    if dir.stage_leads(e, officers).any(|o| o.person_id == me) {
        relations.push(Relation::StageLead);
    }
    let acting_lead = dir.acting_leads(e, officers).any(|o| o.person_id == me);
    // Those who act: the parties and the current stage's officers still in post. Those who
    // only see: every officer of a stage it went through.
    let parties = || std::iter::once(e.raised_by.as_str()).chain(e.receiving_person_id.as_deref());
    let mut acting = parties().chain(dir.acting_leads(e, officers).map(|o| o.person_id.as_str()));
    let mut seeing = parties().chain(dir.stage_leads(e, officers).map(|o| o.person_id.as_str()));
    let raising_side_manager = dir.manages(me, &e.raised_by);
    let acting_manager = acting.any(|p| dir.manages(me, p));
    let manager = acting_manager || seeing.any(|p| dir.manages(me, p));
    if manager {
        relations.push(Relation::Manager);
    }
    let involved_directly = !relations.is_empty();
    let acts = e.raised_by == me
        || e.receiving_person_id.as_deref() == Some(me)
        || acting_lead
        || acting_manager;
    let business = person.roles.iter().any(|r| r == BUSINESS_TEAM)
        && business_from.is_some_and(|s| e.current_stage >= s);
    if business {
        relations.push(Relation::BusinessTeam);
    }
    // Appointments in a role the person still holds.
    let appointed: Vec<Appointed> = appointed
        .iter()
        .copied()
        .filter(|a| a.role.is_appointed() && person.roles.iter().any(|r| r == a.role.as_str()))
        .collect();
    if !appointed.is_empty() {
        relations.push(Relation::Appointed);
    }
    if relations.is_empty() {
        return None;
    }
    let open = e.status == "open";
    let raising_officer = dir
        .acting_leads(e, officers)
        .any(|o| o.person_id == me && o.agency_id == e.raising_agency_id);
    let mut acting = Vec::new();
    let mut raising_side = Vec::new();
    for (holds, actor, raising) in [
        (e.raised_by == me, Actor::Raiser, true),
        (
            e.receiving_person_id.as_deref() == Some(me),
            Actor::Receiver,
            false,
        ),
        (acting_lead, Actor::StageLeads, raising_officer),
        (acting_manager, Actor::Managers, raising_side_manager),
        (business, Actor::PartnershipBusinessTeam, false),
    ] {
        if holds {
            acting.push(actor);
        }
        if holds && raising {
            raising_side.push(actor);
        }
    }
    // An appointee stands on neither side: the procedure's lists alone decide.
    acting.extend(appointed.iter().map(|a| a.role));
    raising_side.extend(appointed.iter().map(|a| a.role));
    let acts = acts || !appointed.is_empty();
    Some(Access {
        // What they took part in, they may read again, the child's details included; an
        // appointee only where the procedure's appointment allows it.
        child_details: involved_directly || appointed.iter().any(|a| a.child_details),
        can_act: acts && open,
        can_record: acts,
        can_withdraw: open && (e.raised_by == me || raising_side_manager || raising_officer),
        relations,
        open,
        acting,
        leads_referral_step: false,
        raising_side,
        sides: side::sides(me, e, officers, dir),
        proposer: false,
    })
}

#[cfg(test)]
pub(crate) mod tests {
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

    pub(crate) fn escalation(stage: i64) -> EscalationRow {
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
            wake_on: None,
        }
    }

    fn named(agency: &str, stage: i64, person: &str) -> NamedOfficerRow {
        NamedOfficerRow {
            partnership_id: "p".into(),
            agency_id: agency.into(),
            stage,
            person_id: person.into(),
        }
    }

    /// A row of escalation `e`'s record of officers.
    pub(crate) fn led(agency: &str, stage: i64, person: &str) -> EscalationOfficerRow {
        EscalationOfficerRow {
            escalation_id: "e".into(),
            partnership_id: "p".into(),
            stage,
            agency_id: agency.into(),
            person_id: person.into(),
            since_us: 0,
        }
    }

    /// Named now: `officer1` for the raising agency's stage 1, `officer2` for the receiving
    /// agency's stage 2, `officer3` for the receiving agency's stage 3, `officer4` for the
    /// raising agency's stage 4. `former2` once held stage 2 (see the records below).
    pub(crate) fn directory() -> Directory {
        Directory::new(
            vec![
                person("raiser", Some("team-lead"), &[PRACTITIONER]),
                person("team-lead", Some("head"), &[MANAGER]),
                person("head", None, &[SENIOR_MANAGER]),
                person("receiver", Some("other-lead"), &[PRACTITIONER]),
                person("other-lead", None, &[MANAGER]),
                person("officer1", Some("boss1"), &[MANAGER]),
                person("boss1", None, &[SENIOR_MANAGER]),
                person("officer2", Some("boss2"), &[MANAGER]),
                person("boss2", None, &[SENIOR_MANAGER]),
                person("former2", Some("former-boss"), &[MANAGER]),
                person("former-boss", None, &[SENIOR_MANAGER]),
                person("officer3", None, &[SENIOR_MANAGER]),
                person("officer4", None, &[SENIOR_MANAGER]),
                person("bt", None, &[BUSINESS_TEAM]),
                person(
                    "stranger",
                    None,
                    &[PRACTITIONER, MANAGER, SENIOR_MANAGER, ADMINISTRATOR],
                ),
            ],
            vec![
                named("a1", 1, "officer1"),
                named("a2", 2, "officer2"),
                named("a2", 3, "officer3"),
                named("a1", 4, "officer4"),
            ],
        )
    }

    #[test]
    fn relations_follow_the_rules() {
        let d = directory();
        let e = escalation(1);
        let record = [led("a1", 1, "officer1")];
        let rel = |id: &str, e: &EscalationRow, record: &[EscalationOfficerRow]| {
            access(&d.people[id], e, record, &d, Some(2), &[]).map(|a| a.relations)
        };
        assert_eq!(rel("raiser", &e, &record), Some(vec![Relation::Raiser]));
        assert_eq!(rel("receiver", &e, &record), Some(vec![Relation::Receiver]));
        assert_eq!(rel("team-lead", &e, &record), Some(vec![Relation::Manager]));
        assert_eq!(
            rel("head", &e, &record),
            Some(vec![Relation::Manager]),
            "managers at any distance"
        );
        assert_eq!(
            rel("officer1", &e, &record),
            Some(vec![Relation::StageLead])
        );
        assert_eq!(
            rel("officer2", &e, &record),
            None,
            "stage 2's officer sees nothing at stage 1"
        );
        assert_eq!(
            rel("bt", &e, &record),
            None,
            "the business team is told from stage 2"
        );
        assert_eq!(
            rel("stranger", &e, &record),
            None,
            "roles alone show no case"
        );
        let e2 = escalation(2);
        let record2 = [led("a1", 1, "officer1"), led("a2", 2, "officer2")];
        assert_eq!(
            rel("officer2", &e2, &record2),
            Some(vec![Relation::StageLead])
        );
        assert_eq!(rel("bt", &e2, &record2), Some(vec![Relation::BusinessTeam]));
        let bt = access(&d.people["bt"], &e2, &record2, &d, Some(2), &[]).unwrap();
        assert!(!bt.child_details && !bt.can_act);
        let other = EscalationRow {
            partnership_id: "q".into(),
            ..escalation(2)
        };
        assert_eq!(
            rel("raiser", &other, &record2),
            None,
            "never another partnership's"
        );
    }

    /// What one person may do, in short: `None` for not seeing it at all, else (sees the
    /// child, acts, records).
    fn rights(
        d: &Directory,
        id: &str,
        e: &EscalationRow,
        record: &[EscalationOfficerRow],
    ) -> Rights {
        access(&d.people[id], e, record, d, None, &[])
            .map(|a| (a.child_details, a.can_act, a.can_record))
    }

    /// `None` for not seeing it at all, else (sees the child, acts, records).
    type Rights = Option<(bool, bool, bool)>;
    const NONE: Rights = None;
    const READS: Rights = Some((true, false, false));
    const ACTS: Rights = Some((true, true, true));

    /// The attacker's side: officers of stages the escalation never went through, officers
    /// named after it left their stage, officers replaced, and records that do not belong to
    /// the escalation. Decided from the record of who led which stage, never from numbers.
    #[test]
    fn only_the_stages_an_escalation_went_through_count() {
        let d = directory();
        // (what, the escalation's current stage, its record of officers, person, rights)
        let cases: Vec<(&str, i64, Vec<EscalationOfficerRow>, &str, Rights)> = vec![
            // A thematic or strategic route that starts at stage 3 (Dorset).
            (
                "starts at 3: stage 1's officer",
                3,
                vec![led("a2", 3, "officer3")],
                "officer1",
                NONE,
            ),
            (
                "starts at 3: stage 2's officer",
                3,
                vec![led("a2", 3, "officer3")],
                "officer2",
                NONE,
            ),
            (
                "starts at 3: stage 1's officer's manager",
                3,
                vec![led("a2", 3, "officer3")],
                "boss1",
                NONE,
            ),
            (
                "starts at 3: stage 2's officer's manager",
                3,
                vec![led("a2", 3, "officer3")],
                "boss2",
                NONE,
            ),
            (
                "starts at 3: stage 3's officer acts",
                3,
                vec![led("a2", 3, "officer3")],
                "officer3",
                ACTS,
            ),
            // Starts at stage 4.
            (
                "starts at 4: stage 1's officer",
                4,
                vec![led("a1", 4, "officer4")],
                "officer1",
                NONE,
            ),
            (
                "starts at 4: stage 2's officer",
                4,
                vec![led("a1", 4, "officer4")],
                "officer2",
                NONE,
            ),
            (
                "starts at 4: stage 3's officer",
                4,
                vec![led("a1", 4, "officer4")],
                "officer3",
                NONE,
            ),
            (
                "starts at 4: stage 4's officer acts",
                4,
                vec![led("a1", 4, "officer4")],
                "officer4",
                ACTS,
            ),
            // Named for stage 2 only after the escalation had passed stage 2.
            (
                "named after it passed",
                3,
                vec![led("a2", 2, "former2"), led("a2", 3, "officer3")],
                "officer2",
                NONE,
            ),
            (
                "named after it passed: their manager",
                3,
                vec![led("a2", 2, "former2"), led("a2", 3, "officer3")],
                "boss2",
                NONE,
            ),
            // The officer who led stage 2 then keeps read access, and so does their manager.
            (
                "the past officer reads",
                3,
                vec![led("a2", 2, "former2"), led("a2", 3, "officer3")],
                "former2",
                READS,
            ),
            (
                "the past officer's manager reads",
                3,
                vec![led("a2", 2, "former2"), led("a2", 3, "officer3")],
                "former-boss",
                READS,
            ),
            // Replaced mid-stage: the old officer reads, the new one acts.
            (
                "replaced mid-stage: the old officer",
                2,
                vec![led("a2", 2, "former2"), led("a2", 2, "officer2")],
                "former2",
                READS,
            ),
            (
                "replaced mid-stage: the old officer's manager",
                2,
                vec![led("a2", 2, "former2"), led("a2", 2, "officer2")],
                "former-boss",
                READS,
            ),
            (
                "replaced mid-stage: the new officer acts",
                2,
                vec![led("a2", 2, "former2"), led("a2", 2, "officer2")],
                "officer2",
                ACTS,
            ),
            (
                "replaced mid-stage: the new officer's manager acts",
                2,
                vec![led("a2", 2, "former2"), led("a2", 2, "officer2")],
                "boss2",
                ACTS,
            ),
            // Named for the current stage, but not in the record of it (it closed before).
            (
                "in post, not in the record",
                2,
                vec![led("a2", 2, "former2")],
                "officer2",
                NONE,
            ),
            // A stage it went through, led by someone still in post: read only once it moved on.
            (
                "stage 1's officer once it moved on",
                2,
                vec![led("a1", 1, "officer1"), led("a2", 2, "officer2")],
                "officer1",
                READS,
            ),
            (
                "stage 1's officer's manager once it moved on",
                2,
                vec![led("a1", 1, "officer1"), led("a2", 2, "officer2")],
                "boss1",
                READS,
            ),
            // Records that are not this escalation's, its partnership's or its agencies'.
            (
                "another escalation's record",
                1,
                vec![EscalationOfficerRow {
                    escalation_id: "other".into(),
                    ..led("a1", 1, "officer1")
                }],
                "officer1",
                NONE,
            ),
            (
                "another partnership's record",
                1,
                vec![EscalationOfficerRow {
                    partnership_id: "q".into(),
                    ..led("a1", 1, "officer1")
                }],
                "officer1",
                NONE,
            ),
            (
                "another agency's record",
                1,
                vec![led("a3", 1, "officer1")],
                "officer1",
                NONE,
            ),
            (
                "a record for the wrong agency acts not",
                2,
                vec![led("a1", 2, "officer2")],
                "officer2",
                READS,
            ),
            // No record at all: stage numbers alone give nothing.
            ("no record: stage 1's officer", 4, vec![], "officer1", NONE),
            ("no record: stage 4's officer", 4, vec![], "officer4", NONE),
            // The parties always act while it is open.
            ("the raiser", 4, vec![], "raiser", ACTS),
            ("the receiver", 4, vec![], "receiver", ACTS),
            ("the raiser's manager", 4, vec![], "head", ACTS),
            (
                "a stranger with every role",
                4,
                vec![led("a1", 4, "officer4")],
                "stranger",
                NONE,
            ),
        ];
        for (what, stage, record, id, want) in cases {
            let e = escalation(stage);
            assert_eq!(rights(&d, id, &e, &record), want, "{what}");
        }
    }

    #[test]
    fn only_the_raising_side_withdraws() {
        let d = directory();
        let e = escalation(2);
        let record = [led("a2", 2, "officer2")];
        let a = |id: &str| access(&d.people[id], &e, &record, &d, None, &[]).unwrap();
        assert!(a("raiser").can_withdraw);
        assert!(a("team-lead").can_withdraw);
        assert!(!a("receiver").can_withdraw);
        assert!(!a("officer2").can_withdraw);
        assert!(a("receiver").can_act);
        // The raising agency's officer withdraws only while in post for the current stage.
        let e4 = escalation(4);
        let record4 = [led("a1", 1, "officer1"), led("a1", 4, "officer4")];
        let a4 = |id: &str| access(&d.people[id], &e4, &record4, &d, None, &[]).unwrap();
        assert!(a4("officer4").can_withdraw);
        assert!(!a4("officer1").can_withdraw, "a past stage's officer");
    }

    #[test]
    fn once_closed_only_the_record_is_left_to_those_involved() {
        let d = directory();
        let e = EscalationRow {
            status: "resolved".into(),
            ..escalation(2)
        };
        let record = [led("a2", 2, "officer2"), led("a2", 2, "former2")];
        let a = |id: &str| access(&d.people[id], &e, &record, &d, Some(2), &[]).unwrap();
        for id in ["raiser", "receiver", "officer2", "team-lead"] {
            let x = a(id);
            assert!(x.can_record && !x.can_act && !x.can_withdraw, "{id}: {x:?}");
        }
        let former = a("former2");
        assert!(
            former.child_details && !former.can_record && !former.can_act,
            "a replaced officer only reads: {former:?}"
        );
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
