//! The personas the matrix tries every route as, found in the demo data.

use super::*;

/// Someone the matrix tries every route as.
#[derive(Clone, Debug)]
pub(crate) struct Persona {
    pub(crate) label: String,
    /// `None`: nobody signed in.
    pub(crate) person_id: Option<String>,
}

/// Who the matrix tries every route as, and what it puts in the paths.
#[derive(Clone, Debug)]
pub(crate) struct Cast {
    pub(crate) partnership: String,
    pub(crate) other_partnership: String,
    pub(crate) personas: Vec<Persona>,
    /// Escalations for `{id}`: the chosen one, one the business team is not told of yet,
    /// another partnership's, one that does not exist, and a closed one.
    pub(crate) escalations: Vec<Target>,
    pub(crate) people: Vec<Target>,
    pub(crate) agencies: Vec<Target>,
    /// Notifications for `{id}` (`Param::Notification`), each owned by its recipient.
    pub(crate) notifications: Vec<Target>,
    /// Deliveries for `{id}` (`Param::Delivery`), owned by their partnership.
    pub(crate) deliveries: Vec<Target>,
    /// The procedures' reports for `{report}` (`Param::ProcedureReport`), owned by the
    /// partnership whose procedure declares them.
    pub(crate) reports: Vec<Target>,
    /// The stage lead who proposes to resolve the chosen escalation by agreement before the
    /// matrix runs (issue 14, item 2: so that the rule for answering and withdrawing is tried
    /// on a proposal awaiting an answer), with their side.
    pub(crate) proposer: (String, parley_core::names::Side),
}

impl Cast {
    /// What the matrix puts in a route's parameter. Routes that change something get no
    /// closed escalation (acting on one is refused for its state, not for who is asking).
    pub(crate) fn targets(&self, expect: &Expect, writes: bool) -> Vec<Target> {
        if !expect.path.contains('{') || expect.path.contains("{*") {
            return vec![Target::none()];
        }
        match expect.param {
            Param::Implied => match expect.who {
                Escalation(_) => self
                    .escalations
                    .iter()
                    .filter(|t| !(writes && t.label.starts_with("a closed")))
                    .cloned()
                    .collect(),
                _ => panic!(
                    "{} {}: say what its parameter names (matrix::Param)",
                    expect.method, expect.path
                ),
            },
            Param::Person => self.people.clone(),
            Param::Agency => self.agencies.clone(),
            Param::Notification => self.notifications.clone(),
            Param::Delivery => self.deliveries.clone(),
            Param::ProcedureReport => self.reports.clone(),
            Param::Version => vec![
                Target::new("procedure version 1", "1", Owner::Everyone),
                Target::new(
                    "a procedure version that does not exist",
                    "999",
                    Owner::Nobody,
                ),
            ],
            Param::Fixed(v) => vec![Target::new(v, v, Owner::Everyone)],
        }
    }
}

pub(crate) fn describe(e: &EscalationRow) -> String {
    format!("{}, {}, stage {}", e.reference, e.status, e.current_stage)
}

/// The personas and targets of one partnership (`procedure`), with people of `other`.
pub(crate) async fn cast(h: &Harness, procedure: &str, other: &str) -> Cast {
    let a = h.partnership_of(procedure);
    let b = h.partnership_of(other);
    let wa = h.world(&a).await;
    let wb = h.world(&b).await;
    let from = wa.business_from.unwrap_or(1);
    // The chosen escalation: open, at or past the stage the business team is told of, about
    // a child, with a receiving person; the latest stage there is.
    let chosen = wa
        .escalations
        .iter()
        .filter(|e| e.status == "open" && e.current_stage >= from && e.subject == "child")
        .filter(|e| e.receiving_person_id.is_some())
        .max_by_key(|e| e.current_stage)
        .unwrap_or_else(|| panic!("{procedure}: no open escalation the business team sees"))
        .clone();
    let early = wa
        .escalations
        .iter()
        .find(|e| e.status == "open" && e.current_stage < from)
        .cloned();
    let closed = wa.escalations.iter().find(|e| e.status != "open").cloned();
    let foreign = wb
        .escalations
        .iter()
        .find(|e| e.status == "open")
        .unwrap_or(&wb.escalations[0])
        .clone();

    let mut personas = Vec::new();
    // Every demo sign-in of the partnership: the five roles every partnership has, and the
    // partnership roles its procedure appoints (issue 14, item 4).
    for s in h.summary.sign_ins.iter().filter(|s| s.partnership_id == a) {
        personas.push(Persona {
            label: format!("{} (demo sign-in)", s.role),
            person_id: Some(s.person_id.clone()),
        });
    }
    let raiser = wa.person(&chosen.raised_by).clone();
    personas.push(Persona {
        label: "raiser".to_owned(),
        person_id: Some(raiser.id.clone()),
    });
    if let Some(r) = &chosen.receiving_person_id {
        personas.push(Persona {
            label: "receiver".to_owned(),
            person_id: Some(r.clone()),
        });
    }
    // A lead of the current stage, preferably the receiving agency's (no other relation).
    let leads: Vec<_> = wa
        .officers
        .iter()
        .filter(|o| o.stage == chosen.current_stage)
        .filter(|o| {
            o.agency_id == chosen.raising_agency_id || o.agency_id == chosen.receiving_agency_id
        })
        .collect();
    let lead = leads
        .iter()
        .find(|o| o.agency_id == chosen.receiving_agency_id)
        .or(leads.first())
        .unwrap_or_else(|| panic!("{procedure}: {} has no stage lead", chosen.reference));
    personas.push(Persona {
        label: "stage lead".to_owned(),
        person_id: Some(lead.person_id.clone()),
    });
    let proposer = (
        lead.person_id.clone(),
        if lead.agency_id == chosen.receiving_agency_id {
            parley_core::names::Side::Receiving
        } else {
            parley_core::names::Side::Raising
        },
    );
    if let Some(m) = &raiser.line_manager_id {
        personas.push(Persona {
            label: "raiser's line manager".to_owned(),
            person_id: Some(m.clone()),
        });
    }
    let unrelated = wa
        .people
        .iter()
        .filter(|p| p.roles == ["practitioner"])
        .filter(|p| wa.sees(p, &chosen).is_none())
        .min_by_key(|p| {
            wa.escalations
                .iter()
                .filter(|e| wa.sees(p, e).is_some())
                .count()
        })
        .unwrap_or_else(|| panic!("{procedure}: no unrelated practitioner"));
    personas.push(Persona {
        label: "unrelated practitioner".to_owned(),
        person_id: Some(unrelated.id.clone()),
    });
    for role in [
        "administrator",
        "partnership-business-team",
        "senior-manager",
    ] {
        personas.push(Persona {
            label: format!("{role} of {other}"),
            person_id: Some(h.sign_in_of(&b, role).person_id.clone()),
        });
    }
    personas.push(Persona {
        label: "anonymous".to_owned(),
        person_id: None,
    });

    let own = Owner::Partnership(a.clone());
    let theirs = Owner::Partnership(b.clone());
    let target = |label: &str, e: &EscalationRow, owner: &Owner| {
        Target::new(
            format!("{label} ({})", describe(e)),
            e.id.clone(),
            owner.clone(),
        )
    };
    const MISSING: &str = "00000000-0000-4000-8000-000000000000";
    let mut escalations = vec![target("the chosen escalation", &chosen, &own)];
    if let Some(e) = &early {
        escalations.push(target(
            "an escalation before the business team's stage",
            e,
            &own,
        ));
    }
    escalations.push(target(
        &format!("an escalation of {other}"),
        &foreign,
        &theirs,
    ));
    escalations.push(Target::new(
        "an escalation that does not exist",
        MISSING,
        Owner::Nobody,
    ));
    if let Some(e) = &closed {
        escalations.push(target("a closed escalation", e, &own));
    }
    let people = vec![
        Target::new(
            format!("the raiser {}", raiser.name),
            raiser.id,
            own.clone(),
        ),
        Target::new(
            format!("a person of {other}"),
            wb.people[0].id.clone(),
            theirs.clone(),
        ),
        Target::new("a person who does not exist", MISSING, Owner::Nobody),
    ];
    let agencies = vec![
        Target::new("the raising agency", chosen.raising_agency_id.clone(), own),
        Target::new(
            format!("an agency of {other}"),
            foreign.raising_agency_id,
            theirs,
        ),
        Target::new("an agency that does not exist", MISSING, Owner::Nobody),
    ];
    // Issue 15: a notification of the raiser, of the stage lead and of a person of the other
    // partnership (each owned by its recipient), and one that does not exist; the same
    // deliveries for the administrators' retry, owned by their partnership.
    let mut notifications = Vec::new();
    let mut deliveries = Vec::new();
    for (label, person, partnership) in [
        ("the raiser", chosen.raised_by.clone(), a.clone()),
        ("the stage lead", lead.person_id.clone(), a.clone()),
        (
            "a practitioner of the other partnership",
            h.sign_in_of(&b, "practitioner").person_id.clone(),
            b.clone(),
        ),
    ] {
        let (mine, _) = h.state.records.inbox(&person, 1, 1).await.unwrap();
        let d = mine
            .first()
            .unwrap_or_else(|| panic!("{procedure}: {label} has no notification in the demo"));
        notifications.push(Target::new(
            format!("a notification of {label}"),
            d.id.clone(),
            Owner::Person(person),
        ));
        deliveries.push(Target::new(
            format!("a delivery to {label}"),
            d.id.clone(),
            Owner::Partnership(partnership),
        ));
    }
    notifications.push(Target::new(
        "a notification that does not exist",
        MISSING,
        Owner::Nobody,
    ));
    deliveries.push(Target::new(
        "a delivery that does not exist",
        MISSING,
        Owner::Nobody,
    ));
    // The first report each procedure calls for (all three the matrix runs call for one).
    let mut reports = Vec::new();
    for (name, partnership) in [(procedure, &a), (other, &b)] {
        let declared = parley_core::seeds::get(name).unwrap().unwrap().reports;
        if let Some(r) = declared.first() {
            reports.push(Target::new(
                format!("{name}'s report {}", r.id),
                r.id.clone(),
                Owner::Partnership(partnership.clone()),
            ));
        }
    }
    reports.push(Target::new(
        "a report no procedure calls for",
        "no-such-report",
        Owner::Nobody,
    ));
    Cast {
        partnership: a,
        other_partnership: b,
        reports,
        personas,
        escalations,
        people,
        agencies,
        notifications,
        deliveries,
        proposer,
    }
}

/// A fresh copy of the demo with the cast's proposal made on the chosen escalation.
pub(crate) async fn harness(cast: &Cast) -> Harness {
    let h = Harness::new().await;
    crate::agreement::propose(&h, &cast.escalations[0].value, &cast.proposer).await;
    h
}
