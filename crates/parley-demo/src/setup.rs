//! Setting up each partnership: its agencies, its people in every role and line of
//! management, its named officers and the people the procedures appoint.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use parley_core::calendar::{BankHolidays, Calendar};
use parley_core::deadline::calendar_for;
use parley_core::escalation::Rules;
use parley_core::names::Role;
use parley_core::procedure::{self, Procedure, StageNumber};
use parley_core::roles;
use parley_core::seeds;
use parley_store::StoreError;
use parley_store::projector::ProjectError;
use parley_store::records::{Actor, PersonInput, Records};
use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;

use super::*;

/// The people of one agency. Line managers: practitioners -> team manager -> senior manager;
/// the designated lead -> senior manager.
#[derive(Clone, Debug)]
pub(crate) struct Staff {
    pub(crate) practitioners: Vec<String>,
    pub(crate) team_manager: String,
    pub(crate) lead: String,
    pub(crate) senior: String,
}

#[derive(Clone, Debug)]
pub(crate) struct DemoAgency {
    pub(crate) id: String,
    pub(crate) kind: AgencyKind,
    pub(crate) name: String,
    pub(crate) staff: Staff,
    /// Named officer of each stage (index 0 is stage 1).
    pub(crate) officers: Vec<String>,
}

/// Who holds a named-officer post: how senior the stage's leads are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Level {
    TeamManager,
    Lead,
    Senior,
}

pub(crate) fn level(role: Role) -> Level {
    match role {
        Role::Practitioner | Role::LineManager | Role::OperationalManager => Level::TeamManager,
        Role::DesignatedSafeguardingLead
        | Role::NamedSafeguardingLead
        | Role::SecondTierManager => Level::Lead,
        _ => Level::Senior,
    }
}

impl Staff {
    pub(crate) fn at(&self, level: Level) -> &str {
        match level {
            Level::TeamManager => &self.team_manager,
            Level::Lead => &self.lead,
            Level::Senior => &self.senior,
        }
    }
}

/// A demo partnership while seeding.
pub(crate) struct Setup {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) short_name: String,
    pub(crate) code: String,
    pub(crate) procedure: Arc<Procedure>,
    pub(crate) calendar: Arc<Calendar>,
    pub(crate) agencies: Vec<DemoAgency>,
    /// The practitioner who signs in: (agency index, person id). They raise more than most.
    pub(crate) sign_in_practitioner: (usize, String),
    pub(crate) sign_ins: Vec<SignIn>,
    /// The person the demo appoints in each partnership role its procedure appoints.
    pub(crate) appointees: Vec<(parley_core::names::Actor, String)>,
    pub(crate) business_manager: String,
}

impl Setup {
    pub(crate) fn rules(&self) -> Rules<'_> {
        Rules {
            procedure: &self.procedure,
            calendar: &self.calendar,
        }
    }

    pub(crate) fn tz(&self) -> &TimeZone {
        &self.procedure.calendar.time_zone
    }

    pub(crate) fn stage_leads(&self, stage: StageNumber) -> &[Role] {
        self.procedure
            .stage(stage)
            .map_or(&[][..], |s| s.leads.as_slice())
    }

    pub(crate) fn officer(&self, agency: usize, stage: StageNumber) -> &str {
        let a = &self.agencies[agency];
        a.officers
            .get(usize::from(stage.get()).saturating_sub(1))
            .map_or(a.staff.senior.as_str(), String::as_str)
    }
}

pub(crate) fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if (c == ' ' || c == '-' || c == ',') && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_owned()
}

/// Names people, giving each a unique e-mail address.
pub(crate) struct People {
    pub(crate) rng: Rng,
    pub(crate) emails: HashSet<String>,
}

impl People {
    pub(crate) fn person(
        &mut self,
        domain: &str,
        agency_id: Option<&str>,
        job_title: &str,
        role: &str,
        line_manager_id: Option<&str>,
    ) -> PersonInput {
        let first = self.rng.pick(&FIRST_NAMES);
        let last = self.rng.pick(&SURNAMES);
        let base = format!("{}.{}", slug(first), slug(last).replace('-', ""));
        let mut email = format!("{base}@{domain}");
        let mut n = 2;
        while !self.emails.insert(email.clone()) {
            email = format!("{base}{n}@{domain}");
            n += 1;
        }
        PersonInput {
            agency_id: agency_id.map(str::to_owned),
            name: format!("{first} {last}"),
            email,
            job_title: job_title.to_owned(),
            roles: vec![role.to_owned()],
            line_manager_id: line_manager_id.map(str::to_owned),
            active: true,
        }
    }
}

/// Runs futures concurrently on the current task and returns their outputs in order (so that
/// their writes share the writer's batches; the store's tests use it too).
pub async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(move |cx| {
        let mut pending = false;
        for (f, out) in futures.iter_mut().zip(outputs.iter_mut()) {
            if out.is_none() {
                match f.as_mut().poll(cx) {
                    Poll::Ready(v) => *out = Some(v),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(outputs.drain(..).flatten().collect())
        }
    })
    .await
}

pub(crate) async fn join_ok<T, F: Future<Output = Result<T, StoreError>>>(
    futures: Vec<F>,
) -> Result<Vec<T>, StoreError> {
    join_all(futures).await.into_iter().collect()
}

/// Creates the partnerships, their agencies, people and named officers.
pub(crate) async fn set_up(
    records: &Records,
    holidays: &BankHolidays,
    at: Timestamp,
    rng: &mut Rng,
) -> Result<Vec<Setup>, StoreError> {
    let admin = Actor::SYSTEM;
    let mut setups = Vec::new();
    let mut people = People {
        rng: Rng::new(rng.next(), 1),
        emails: HashSet::new(),
    };
    let minute = |m: i64| at.checked_add(jiff::SignedDuration::from_mins(m));
    for (source_id, source) in seeds::SEEDS {
        let procedure = procedure::parse(source)
            .map_err(|e| StoreError::Project(ProjectError::Procedure(e.to_string())))?;
        let place = PLACES.iter().find(|p| p.procedure == source_id);
        let name = format!("{} (demo)", procedure.partnership);
        let (short_name, place_name) = match place {
            Some(p) => (p.short_name.to_owned(), p.place.to_owned()),
            // A built-in procedure added later: initials and the first word of its name.
            None => (
                procedure
                    .partnership
                    .split_whitespace()
                    .filter_map(|w| w.chars().next())
                    .collect(),
                procedure
                    .partnership
                    .split_whitespace()
                    .next()
                    .unwrap_or("Demo")
                    .to_owned(),
            ),
        };
        let calendar = Arc::new(calendar_for(&procedure, holidays).map_err(calendar_error)?);
        let id = records
            .create_partnership(
                minute(0).map_err(date_error)?,
                &admin,
                &name,
                Some(&short_name),
                source,
            )
            .await?;
        let agencies: Vec<(String, AgencyKind)> = vec![
            (
                format!("{place_name} Children's Social Care"),
                AgencyKind::ChildrensSocialCare,
            ),
            (
                place.map_or("Police".to_owned(), |p| p.police.to_owned()),
                AgencyKind::Police,
            ),
            (
                place.map_or("Community Health".to_owned(), |p| p.health.to_owned()),
                AgencyKind::Health,
            ),
            (
                place.map_or("Academy".to_owned(), |p| p.school.to_owned()),
                AgencyKind::School,
            ),
            (
                format!("{place_name} Early Help Service"),
                AgencyKind::EarlyHelp,
            ),
            place.map_or(
                (
                    format!("{place_name} Adult Social Care"),
                    AgencyKind::AdultCare,
                ),
                |p| (p.sixth.0.to_owned(), p.sixth.1),
            ),
        ];
        let agency_at = minute(5).map_err(date_error)?;
        let ids = join_ok(
            agencies
                .iter()
                .map(|(n, k)| records.add_agency(agency_at, &admin, &id, n, k.titles().sector))
                .collect(),
        )
        .await?;

        // People, most senior first so that every line manager exists before their staff.
        let people_at = minute(10).map_err(date_error)?;
        let mut seniors = Vec::new();
        for ((agency_name, kind), agency_id) in agencies.iter().zip(&ids) {
            let domain = format!("{}.example.org", slug(agency_name));
            seniors.push(people.person(
                &domain,
                Some(agency_id),
                kind.titles().senior,
                roles::SENIOR_MANAGER,
                None,
            ));
        }
        let senior_ids = save_all(records, people_at, &id, seniors).await?;
        let mut managers = Vec::new();
        for (((agency_name, kind), agency_id), senior) in agencies.iter().zip(&ids).zip(&senior_ids)
        {
            let domain = format!("{}.example.org", slug(agency_name));
            let t = kind.titles();
            for title in [t.team_manager, t.lead] {
                managers.push(people.person(
                    &domain,
                    Some(agency_id),
                    title,
                    roles::MANAGER,
                    Some(senior),
                ));
            }
        }
        let manager_ids = save_all(records, people_at, &id, managers).await?;
        let mut practitioners = Vec::new();
        for (i, ((agency_name, kind), agency_id)) in agencies.iter().zip(&ids).enumerate() {
            let domain = format!("{}.example.org", slug(agency_name));
            for title in kind.titles().practitioners {
                practitioners.push(people.person(
                    &domain,
                    Some(agency_id),
                    title,
                    roles::PRACTITIONER,
                    manager_ids.get(2 * i).map(String::as_str),
                ));
            }
        }
        let practitioner_ids = save_all(records, people_at, &id, practitioners).await?;
        // The partnership's own business unit: no agency.
        let unit = format!("{}.example.org", slug(&short_name));
        let manager = people.person(
            &unit,
            None,
            "Partnership Business Manager",
            roles::BUSINESS_TEAM,
            None,
        );
        let business_manager = records
            .save_person(people_at, &admin, &id, None, manager.clone())
            .await?;
        let officer = people.person(
            &unit,
            None,
            "Partnership Business Support Officer",
            roles::BUSINESS_TEAM,
            Some(&business_manager),
        );
        let administrator = people.person(
            &unit,
            None,
            "Systems Administrator, Partnership Business Unit",
            roles::ADMINISTRATOR,
            Some(&business_manager),
        );
        let unit_ids = save_all(
            records,
            people_at,
            &id,
            vec![officer, administrator.clone()],
        )
        .await?;

        // The posts the document names for a stage: a person of their own in each agency.
        let mut named_posts = Vec::new();
        let mut posts = Vec::new();
        for ((agency_name, kind), agency_id) in agencies.iter().zip(&ids) {
            for (_, stage, _, title) in NAMED_POSTS
                .iter()
                .filter(|(p, _, k, _)| *p == source_id && k == kind)
            {
                let domain = format!("{}.example.org", slug(agency_name));
                posts.push(people.person(
                    &domain,
                    Some(agency_id),
                    title,
                    roles::SENIOR_MANAGER,
                    None,
                ));
                named_posts.push((agency_id.clone(), *stage));
            }
        }
        let post_ids = save_all(records, people_at, &id, posts).await?;

        let mut demo_agencies = Vec::new();
        for (i, ((agency_name, kind), agency_id)) in agencies.iter().zip(&ids).enumerate() {
            let staff = Staff {
                practitioners: practitioner_ids
                    .get(3 * i..3 * i + 3)
                    .unwrap_or_default()
                    .to_vec(),
                team_manager: manager_ids.get(2 * i).cloned().unwrap_or_default(),
                lead: manager_ids.get(2 * i + 1).cloned().unwrap_or_default(),
                senior: senior_ids.get(i).cloned().unwrap_or_default(),
            };
            // The named officer for a stage is the agency's person at the level of the most
            // senior of the stage's leads (Buckinghamshire Appendix B: each agency names one).
            let officers = procedure
                .stages
                .iter()
                .map(|s| {
                    let named = named_posts
                        .iter()
                        .zip(&post_ids)
                        .find(|((a, n), _)| a == agency_id && *n == s.number.get());
                    if let Some((_, person)) = named {
                        return person.clone();
                    }
                    let top = s
                        .leads
                        .iter()
                        .map(|r| level(*r))
                        .max()
                        .unwrap_or(Level::TeamManager);
                    staff.at(top).to_owned()
                })
                .collect();
            demo_agencies.push(DemoAgency {
                id: agency_id.clone(),
                kind: *kind,
                name: agency_name.clone(),
                staff,
                officers,
            });
        }
        let officers_at = minute(20).map_err(date_error)?;
        let mut named = Vec::new();
        for a in &demo_agencies {
            for (stage, person) in procedure.stages.iter().zip(&a.officers) {
                named.push(records.set_named_officer(
                    officers_at,
                    &admin,
                    &id,
                    &a.id,
                    i64::from(stage.number.get()),
                    Some(person),
                ));
            }
        }
        join_ok(named).await?;

        // Sign-ins: the school's first practitioner, their team manager and head, the
        // business manager, the administrator.
        let school = demo_agencies
            .iter()
            .position(|a| a.kind == AgencyKind::School)
            .unwrap_or(0);
        let practitioner = demo_agencies[school]
            .staff
            .practitioners
            .first()
            .cloned()
            .unwrap_or_default();
        let mut sign_ins = Vec::new();
        let all_people = records.store().people(&id).await?;
        let chosen = [
            (roles::PRACTITIONER, practitioner.clone()),
            (
                roles::MANAGER,
                demo_agencies[school].staff.team_manager.clone(),
            ),
            (
                roles::SENIOR_MANAGER,
                demo_agencies[school].staff.senior.clone(),
            ),
            (roles::BUSINESS_TEAM, business_manager.clone()),
            (
                roles::ADMINISTRATOR,
                unit_ids.get(1).cloned().unwrap_or_default(),
            ),
        ];
        for (role, person_id) in chosen {
            if let Some(p) = all_people.iter().find(|p| p.id == person_id) {
                sign_ins.push(SignIn {
                    partnership_id: id.clone(),
                    partnership: name.clone(),
                    person_id: p.id.clone(),
                    name: p.name.clone(),
                    email: p.email.clone(),
                    role: role.to_owned(),
                });
            }
        }
        // The people of the final stages the procedure appoints: partnership people with the
        // role and no agency, with names of their own (no draw from the generator, so the
        // rest of the demo stays as it was).
        // Then a person for each partnership role the procedure's notifications go to that no
        // appointment fills (issue 15: every recipient has somebody to reach).
        let held: Vec<&str> = procedure
            .appointments
            .iter()
            .map(|a| a.role.as_str())
            .chain([roles::BUSINESS_TEAM])
            .collect();
        let notified = notices::roles_notified(&procedure, &held);
        let mut appointees = Vec::new();
        for (appointment, wanted) in procedure
            .appointments
            .iter()
            .map(|a| (Some(a.role), a.role.as_str()))
            .chain(notified.into_iter().map(|r| (None, r)))
        {
            let Some((role, person_name, title)) = APPOINTEES.iter().find(|(r, _, _)| *r == wanted)
            else {
                continue;
            };
            let mut email = format!("{}@{unit}", slug(person_name).replace('-', "."));
            let mut n = 2;
            while !people.emails.insert(email.clone()) {
                email = format!("{}{n}@{unit}", slug(person_name).replace('-', "."));
                n += 1;
            }
            let person_id = records
                .save_person(
                    people_at,
                    &admin,
                    &id,
                    None,
                    PersonInput {
                        agency_id: None,
                        name: (*person_name).to_owned(),
                        email: email.clone(),
                        job_title: (*title).to_owned(),
                        roles: vec![(*role).to_owned()],
                        line_manager_id: None,
                        active: true,
                    },
                )
                .await?;
            sign_ins.push(SignIn {
                partnership_id: id.clone(),
                partnership: name.clone(),
                person_id: person_id.clone(),
                name: (*person_name).to_owned(),
                email,
                role: (*role).to_owned(),
            });
            if let Some(role) = appointment {
                appointees.push((role, person_id));
            }
        }
        setups.push(Setup {
            id,
            name,
            short_name,
            code: source_id.to_owned(),
            procedure: Arc::new(procedure),
            calendar,
            agencies: demo_agencies,
            sign_in_practitioner: (school, practitioner),
            sign_ins,
            appointees,
            business_manager: business_manager.clone(),
        });
    }
    Ok(setups)
}

pub(crate) async fn save_all(
    records: &Records,
    at: Timestamp,
    partnership_id: &str,
    people: Vec<PersonInput>,
) -> Result<Vec<String>, StoreError> {
    join_ok(
        people
            .into_iter()
            .map(|p| records.save_person(at, &Actor::SYSTEM, partnership_id, None, p))
            .collect(),
    )
    .await
}
