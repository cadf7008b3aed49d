//! Demonstration and volume data: a demo partnership per built-in procedure, with agencies,
//! people in every access role, named officers, and escalations in every status, each driven
//! through the real state machine by [`Records`], with plausible dates.
//!
//! Everything about a run follows from the seed: which partnership each escalation belongs to,
//! how it ends, its texts and its dates (`now` is an argument: this module never reads the
//! clock). Only ids, salts and the order of concurrent appends differ from run to run.
//!
//! What an escalation may do is read from its procedure, never written here: categories,
//! routes and their entry stages, stage record fields, agreed or fixed timescales,
//! professionals' meetings, allowed outcomes, see-through (Buckinghamshire 2.4.11), referrals
//! and redirections. Each planned action is first checked against the core's state machine;
//! the deadlines that pass before an escalation's next action are recorded in its plan, at a
//! quarter past midnight, as a running Parley's monitor would have; those that pass after its
//! last one are recorded by the deadline monitor itself (`Records::deadline_pass`), night by
//! night, once everything else is written.
//!
//! Every child's name and identifier carries a unique marker ([`marker`]), so that tests can
//! sweep every view a partnership can see for a child's details.

use std::collections::{BTreeMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use parley_core::agreement::{Dissent, Proposal};
use parley_core::calendar::{BankHolidays, Calendar, CalendarError, WorkingDays};
use parley_core::deadline::calendar_for;
use parley_core::escalation::{Deadline, Escalation, Event, Rules, Subject, decide};
use parley_core::meeting::{MeetingPlan, MeetingRecord};
use parley_core::names::{ChildStatus, Party, RedirectionKind, Resolution, Role, RouteKind, Side};
use parley_core::procedure::{self, Procedure, StageNumber, Timescale};
use parley_core::seeds;

use crate::StoreError;
use crate::payload::ChildDetails;
use crate::projector::ProjectError;
use crate::records::{Actor, PersonInput, RaiseInput, Records};

mod notices;

/// The access roles the product knows, in the order sign-ins are listed.
pub const ROLES: [&str; 11] = [
    "practitioner",
    "manager",
    "senior-manager",
    "partnership-business-team",
    "administrator",
    "independent-chair",
    "safeguarding-partners-executive",
    "independent-scrutineer",
    "delegated-safeguarding-partner",
    "independent-reviewing-officer",
    "cp-reviewing-service-manager",
];

/// The demo's person for each partnership role a procedure appoints (issue 14, item 4):
/// (role, name, job title, in the documents' words).
const APPOINTEES: [(&str, &str, &str); 6] = [
    // Solihull stage 4: "a Chair of sufficient seniority, who is independent of the case".
    (
        "independent-chair",
        "Margaret Okafor",
        "Independent Chair, stage 4 resolution meetings",
    ),
    // Croydon stage 5: "Safeguarding Partners Executive".
    (
        "safeguarding-partners-executive",
        "Patricia Adeyemi",
        "Member of the Safeguarding Partners Executive",
    ),
    // Sunderland: "the Independent Scrutineer will facilitate the resolution".
    (
        "independent-scrutineer",
        "Alan Whitfield",
        "Independent Scrutineer",
    ),
    // Solihull stage 4: "the relevant Delegated Safeguarding Partner(s)".
    (
        "delegated-safeguarding-partner",
        "David Hennessy",
        "Delegated Safeguarding Partner",
    ),
    // Solihull §7: "the child's Independent Reviewing Officer".
    (
        "independent-reviewing-officer",
        "Grace Mbeki",
        "Independent Reviewing Officer",
    ),
    // Buckinghamshire 2.4.16: "the Child Protection Reviewing Service Manager".
    (
        "cp-reviewing-service-manager",
        "Helen Marsh",
        "Child Protection Reviewing Service Manager",
    ),
];

/// What every child marker starts with.
pub const MARKER_PREFIX: &str = "MARKER-";

/// The marker carried by the name and identifier of the `n`-th child of a demo partnership.
pub fn marker(procedure_id: &str, n: usize) -> String {
    format!(
        "{MARKER_PREFIX}{}-{n:05}",
        procedure_id.to_ascii_uppercase()
    )
}

/// How many actions are appended concurrently (the writer commits up to 64 in one
/// transaction).
const WINDOW: usize = 64;

/// What a seed run made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoSummary {
    pub partnerships: Vec<DemoPartnership>,
    pub agencies: usize,
    pub people: usize,
    pub named_officers: usize,
    pub compliments: usize,
    pub escalations: usize,
    /// Escalation events written (raises, actions and recorded deadlines).
    pub events: usize,
    /// Escalations by status: `open`, `resolved`, `referred-on`, `withdrawn`, `redirected`.
    pub by_status: BTreeMap<String, usize>,
    /// Escalations by where they stand in more detail, e.g. `open, overdue`,
    /// `resolved, disagreement-recorded`, `referred-on, ofsted`.
    pub by_outcome: BTreeMap<String, usize>,
    /// One person per partnership and access role, to sign in as.
    pub sign_ins: Vec<SignIn>,
}

/// A demo partnership.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoPartnership {
    pub id: String,
    pub name: String,
    pub short_name: String,
    pub procedure_id: String,
    pub escalations: usize,
}

/// A demo person to sign in as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignIn {
    pub partnership_id: String,
    pub partnership: String,
    pub person_id: String,
    pub name: String,
    pub email: String,
    /// One of [`ROLES`].
    pub role: String,
}

// ---------------------------------------------------------------------------------------------
// Determinism

/// SplitMix64 (Steele, Lea and Flood 2014): tiny, fast, and good enough to vary demo data.
#[derive(Clone, Debug)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64, stream: u64) -> Rng {
        let mut r = Rng(seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03));
        r.next();
        r
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next()) * n as u128) >> 64) as usize
    }

    /// A number in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo + self.below((hi - lo + 1) as usize) as i64
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items.get(self.below(items.len())).copied().unwrap_or("")
    }

    /// An index chosen with the given weights.
    fn weighted(&mut self, weights: &[usize]) -> usize {
        let total: usize = weights.iter().sum();
        let mut x = self.below(total);
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        0
    }
}

// ---------------------------------------------------------------------------------------------
// Errors

fn calendar_error(e: CalendarError) -> StoreError {
    StoreError::Project(ProjectError::Calendar(e))
}

fn date_error(e: impl std::fmt::Display) -> StoreError {
    StoreError::Project(ProjectError::Date(e.to_string()))
}

// ---------------------------------------------------------------------------------------------
// The partnerships

/// The demo's own details of a partnership running a built-in procedure. Organisations other
/// than the police forces are invented.
struct Place {
    procedure: &'static str,
    /// Distinct per partnership: escalation references start with it, and references are
    /// unique across a deployment (Solihull and Sunderland are both "SSCP").
    short_name: &'static str,
    place: &'static str,
    police: &'static str,
    health: &'static str,
    school: &'static str,
    sixth: (&'static str, AgencyKind),
}

const PLACES: [Place; 5] = [
    Place {
        procedure: "solihull",
        short_name: "SSCP",
        place: "Solihull",
        police: "West Midlands Police",
        health: "Solihull Community Health Services",
        school: "Elmdon Park Academy",
        sixth: ("Solihull Adult Social Care", AgencyKind::AdultCare),
    },
    Place {
        procedure: "croydon",
        short_name: "CSCB",
        place: "Croydon",
        police: "Metropolitan Police, South Area",
        health: "Croydon Community Health",
        school: "Norbury Manor Primary School",
        sixth: (
            "South London Adult Mental Health Service",
            AgencyKind::MentalHealth,
        ),
    },
    Place {
        procedure: "dorset",
        short_name: "DSCP",
        place: "Dorset",
        police: "Dorset Police",
        // §8 names NHS Dorset's Head of Safeguarding among the senior leaders.
        health: "NHS Dorset",
        school: "Stour Valley School",
        sixth: ("Dorset Probation Delivery Unit", AgencyKind::Probation),
    },
    Place {
        procedure: "sunderland",
        short_name: "SunSCP",
        place: "Sunderland",
        police: "Northumbria Police",
        health: "Sunderland Community Health",
        school: "Wearside Academy",
        sixth: ("Sunderland Housing Partnership", AgencyKind::Housing),
    },
    Place {
        procedure: "buckinghamshire",
        short_name: "BSCP",
        place: "Buckinghamshire",
        police: "Thames Valley Police",
        health: "Buckinghamshire Community Health",
        school: "Chiltern Vale School",
        sixth: ("Buckinghamshire Adult Social Care", AgencyKind::AdultCare),
    },
];

/// Posts a document names for a stage, each held in the demo by a person of their own who is
/// the agency's named officer for that stage (issue 14, item 9): (procedure, stage, agency,
/// job title).
const NAMED_POSTS: [(&str, u8, AgencyKind, &str); 4] = [
    // Croydon stage 5: "formally raised to Safeguarding Partners Executive via the Director of
    // Children's Services or Senior Managers of relevant agencies" (the other agencies' senior
    // managers are their named officers already).
    (
        "croydon",
        5,
        AgencyKind::ChildrensSocialCare,
        "Director of Children's Services",
    ),
    // Dorset §8: "For the statutory safeguarding partner agencies ... these leaders are".
    (
        "dorset",
        4,
        AgencyKind::ChildrensSocialCare,
        "Corporate Director Quality Assurance and Safeguarding Families Together (Dorset Council)",
    ),
    (
        "dorset",
        4,
        AgencyKind::Police,
        "Detective Superintendent, Safeguarding (Dorset Police)",
    ),
    (
        "dorset",
        4,
        AgencyKind::Health,
        "Head of Safeguarding (NHS Dorset)",
    ),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AgencyKind {
    ChildrensSocialCare,
    Police,
    Health,
    School,
    EarlyHelp,
    AdultCare,
    MentalHealth,
    Probation,
    Housing,
}

/// Job titles in an agency: practitioners, team manager, designated lead, senior manager.
struct Titles {
    sector: &'static str,
    practitioners: [&'static str; 3],
    team_manager: &'static str,
    lead: &'static str,
    senior: &'static str,
}

impl AgencyKind {
    fn titles(self) -> Titles {
        match self {
            AgencyKind::ChildrensSocialCare => Titles {
                sector: "local-authority",
                practitioners: [
                    "Social Worker",
                    "Senior Social Worker",
                    "Advanced Practitioner",
                ],
                team_manager: "Team Manager, Assessment and Intervention",
                lead: "Service Manager, Safeguarding and Quality Assurance",
                senior: "Head of Service, Children's Social Care",
            },
            AgencyKind::Police => Titles {
                sector: "police",
                practitioners: [
                    "Detective Constable, Public Protection Unit",
                    "Police Constable, Neighbourhood Team",
                    "Detective Constable, Child Abuse Investigation",
                ],
                team_manager: "Detective Sergeant, Public Protection Unit",
                lead: "Detective Inspector, Safeguarding",
                senior: "Detective Chief Inspector, Public Protection",
            },
            AgencyKind::Health => Titles {
                sector: "health",
                practitioners: ["Health Visitor", "School Nurse", "Paediatric Liaison Nurse"],
                team_manager: "Health Visiting Team Leader",
                lead: "Named Nurse for Safeguarding Children",
                senior: "Head of Safeguarding and Designated Nurse",
            },
            AgencyKind::School => Titles {
                sector: "education",
                practitioners: [
                    "Class Teacher",
                    "Head of Year 9",
                    "Pastoral Support Officer",
                ],
                team_manager: "Deputy Headteacher",
                lead: "Designated Safeguarding Lead",
                senior: "Headteacher",
            },
            AgencyKind::EarlyHelp => Titles {
                sector: "early-help",
                practitioners: [
                    "Family Support Worker",
                    "Early Help Practitioner",
                    "Family Key Worker",
                ],
                team_manager: "Early Help Team Manager",
                lead: "Early Help Safeguarding Lead",
                senior: "Head of Early Help",
            },
            AgencyKind::AdultCare => Titles {
                sector: "adult-services",
                practitioners: [
                    "Adult Social Worker",
                    "Care Coordinator",
                    "Occupational Therapist",
                ],
                team_manager: "Team Manager, Adult Social Care",
                lead: "Safeguarding Adults Lead",
                senior: "Head of Adult Social Care",
            },
            AgencyKind::MentalHealth => Titles {
                sector: "health",
                practitioners: [
                    "Community Psychiatric Nurse",
                    "Mental Health Practitioner",
                    "Care Coordinator",
                ],
                team_manager: "Community Mental Health Team Manager",
                lead: "Named Professional for Safeguarding",
                senior: "Associate Director of Nursing",
            },
            AgencyKind::Probation => Titles {
                sector: "probation",
                practitioners: [
                    "Probation Officer",
                    "Probation Services Officer",
                    "Victim Liaison Officer",
                ],
                team_manager: "Senior Probation Officer",
                lead: "Safeguarding Lead, Probation",
                senior: "Head of Probation Delivery Unit",
            },
            AgencyKind::Housing => Titles {
                sector: "housing",
                practitioners: [
                    "Housing Officer",
                    "Tenancy Support Officer",
                    "Homelessness Caseworker",
                ],
                team_manager: "Housing Team Leader",
                lead: "Safeguarding Lead, Housing",
                senior: "Head of Housing Services",
            },
        }
    }
}

const FIRST_NAMES: [&str; 48] = [
    "Amira",
    "Ben",
    "Chloe",
    "Daniel",
    "Eleanor",
    "Faisal",
    "Grace",
    "Harvinder",
    "Imogen",
    "Jamal",
    "Katie",
    "Liam",
    "Maryam",
    "Nathan",
    "Olivia",
    "Priya",
    "Quentin",
    "Rebecca",
    "Samuel",
    "Tanya",
    "Usman",
    "Victoria",
    "William",
    "Yasmin",
    "Zoe",
    "Aidan",
    "Bethany",
    "Callum",
    "Deborah",
    "Emeka",
    "Fiona",
    "Gareth",
    "Hannah",
    "Ifeoma",
    "Jonathan",
    "Kerry",
    "Luke",
    "Megan",
    "Niamh",
    "Owen",
    "Paula",
    "Rhys",
    "Sadia",
    "Tom",
    "Uchenna",
    "Vikram",
    "Wendy",
    "Yusuf",
];

const SURNAMES: [&str; 48] = [
    "Ahmed",
    "Bennett",
    "Campbell",
    "Davies",
    "Evans",
    "Fletcher",
    "Gill",
    "Hughes",
    "Iqbal",
    "Jones",
    "Kaur",
    "Lewis",
    "Morgan",
    "Nowak",
    "Okafor",
    "Patel",
    "Quinn",
    "Roberts",
    "Singh",
    "Thompson",
    "Underwood",
    "Varga",
    "Walker",
    "Young",
    "Adeyemi",
    "Brown",
    "Clarke",
    "Dixon",
    "Edwards",
    "Farrell",
    "Green",
    "Hussain",
    "Ibrahim",
    "Johnson",
    "Khan",
    "Lloyd",
    "Mahmood",
    "Nicholls",
    "O'Brien",
    "Price",
    "Rahman",
    "Shaw",
    "Taylor",
    "Usher",
    "Vaughan",
    "Wilson",
    "Yates",
    "Zielinski",
];

const CHILD_NAMES: [&str; 32] = [
    "Ava", "Alfie", "Bella", "Charlie", "Daisy", "Ethan", "Freya", "George", "Holly", "Isaac",
    "Jasmine", "Kai", "Lily", "Mason", "Nadia", "Noah", "Oscar", "Poppy", "Reuben", "Sophie",
    "Theo", "Layla", "Zain", "Amelia", "Harry", "Isla", "Leo", "Maya", "Rosie", "Tyler", "Aisha",
    "Jack",
];

/// The people of one agency. Line managers: practitioners -> team manager -> senior manager;
/// the designated lead -> senior manager.
#[derive(Clone, Debug)]
struct Staff {
    practitioners: Vec<String>,
    team_manager: String,
    lead: String,
    senior: String,
}

#[derive(Clone, Debug)]
struct DemoAgency {
    id: String,
    kind: AgencyKind,
    name: String,
    staff: Staff,
    /// Named officer of each stage (index 0 is stage 1).
    officers: Vec<String>,
}

/// Who holds a named-officer post: how senior the stage's leads are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    TeamManager,
    Lead,
    Senior,
}

fn level(role: Role) -> Level {
    match role {
        Role::Practitioner | Role::LineManager | Role::OperationalManager => Level::TeamManager,
        Role::DesignatedSafeguardingLead
        | Role::NamedSafeguardingLead
        | Role::SecondTierManager => Level::Lead,
        _ => Level::Senior,
    }
}

impl Staff {
    fn at(&self, level: Level) -> &str {
        match level {
            Level::TeamManager => &self.team_manager,
            Level::Lead => &self.lead,
            Level::Senior => &self.senior,
        }
    }
}

/// A demo partnership while seeding.
struct Setup {
    id: String,
    name: String,
    short_name: String,
    code: String,
    procedure: Arc<Procedure>,
    calendar: Arc<Calendar>,
    agencies: Vec<DemoAgency>,
    /// The practitioner who signs in: (agency index, person id). They raise more than most.
    sign_in_practitioner: (usize, String),
    sign_ins: Vec<SignIn>,
    /// The person the demo appoints in each partnership role its procedure appoints.
    appointees: Vec<(parley_core::names::Actor, String)>,
    business_manager: String,
}

impl Setup {
    fn rules(&self) -> Rules<'_> {
        Rules {
            procedure: &self.procedure,
            calendar: &self.calendar,
        }
    }

    fn tz(&self) -> &TimeZone {
        &self.procedure.calendar.time_zone
    }

    fn stage_leads(&self, stage: StageNumber) -> &[Role] {
        self.procedure
            .stage(stage)
            .map_or(&[][..], |s| s.leads.as_slice())
    }

    fn officer(&self, agency: usize, stage: StageNumber) -> &str {
        let a = &self.agencies[agency];
        a.officers
            .get(usize::from(stage.get()).saturating_sub(1))
            .map_or(a.staff.senior.as_str(), String::as_str)
    }
}

fn slug(text: &str) -> String {
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
struct People {
    rng: Rng,
    emails: HashSet<String>,
}

impl People {
    fn person(
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

async fn join_ok<T, F: Future<Output = Result<T, StoreError>>>(
    futures: Vec<F>,
) -> Result<Vec<T>, StoreError> {
    join_all(futures).await.into_iter().collect()
}

/// Creates the partnerships, their agencies, people and named officers.
async fn set_up(
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
                "senior-manager",
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
                    "manager",
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
                    "practitioner",
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
            "partnership-business-team",
            None,
        );
        let business_manager = records
            .save_person(people_at, &admin, &id, None, manager.clone())
            .await?;
        let officer = people.person(
            &unit,
            None,
            "Partnership Business Support Officer",
            "partnership-business-team",
            Some(&business_manager),
        );
        let administrator = people.person(
            &unit,
            None,
            "Systems Administrator, Partnership Business Unit",
            "administrator",
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
                posts.push(people.person(&domain, Some(agency_id), title, "senior-manager", None));
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
            ("practitioner", practitioner.clone()),
            ("manager", demo_agencies[school].staff.team_manager.clone()),
            ("senior-manager", demo_agencies[school].staff.senior.clone()),
            ("partnership-business-team", business_manager.clone()),
            (
                "administrator",
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
            .chain(["partnership-business-team"])
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

async fn save_all(
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

// ---------------------------------------------------------------------------------------------
// Texts. Several of each, so that lists and reports look like real work. None of them names a
// child: the child's details are only in the child record.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Topic {
    Threshold,
    Plan,
    Information,
    Roles,
    Meeting,
    Response,
    Strategic,
    Other,
}

/// The kind of disagreement a procedure's category is about, from its id.
fn topic(category: &str) -> Topic {
    let has = |words: &[&str]| words.iter().any(|w| category.contains(w));
    if has(&["strategic", "service-model", "theme"]) {
        Topic::Strategic
    } else if has(&["conference", "meeting"]) {
        Topic::Meeting
    } else if has(&["referral", "level", "threshold", "child-protection"]) {
        Topic::Threshold
    } else if has(&["plan", "assessment"]) {
        Topic::Plan
    } else if has(&["information", "communication"]) {
        Topic::Information
    } else if has(&["roles", "who-provides", "need-for-action"]) {
        Topic::Roles
    } else if has(&["action", "response", "decision"]) {
        Topic::Response
    } else {
        Topic::Other
    }
}

struct Case {
    summary: &'static [&'static str],
    decision: &'static [&'static str],
    evidence: &'static [&'static str],
    wanted: &'static [&'static str],
}

fn case_texts(topic: Topic) -> Case {
    match topic {
        Topic::Threshold => Case {
            summary: &[
                "Referral to {receiving} closed with no further action",
                "Request for a child and family assessment declined by {receiving}",
                "Contact to the front door stepped down to universal services",
                "Strategy discussion not held after a disclosure reported by {raising}",
                "Disagreement about whether the threshold for section 47 enquiries is met",
            ],
            decision: &[
                "{receiving} decided the referral did not meet the threshold for assessment and closed it with advice.",
                "{receiving} stepped the contact down to early help without speaking to the referrer.",
                "{receiving} recorded the concerns as information only and took no further action.",
                "{receiving} decided a strategy discussion was not needed because the parent gave a credible explanation.",
            ],
            evidence: &[
                "Three incidents this term, each recorded by {raising}: unexplained bruising, repeated hunger and a disclosure of shouting at home. Attendance has fallen to 78%.",
                "{raising} has recorded a pattern of missed health appointments and poor home conditions over six months, shared in two earlier referrals.",
                "Police attended the home twice in a month for domestic abuse incidents; the child was present on both occasions.",
                "The child told a member of staff at {raising} they did not want to go home; the chronology shows escalating neglect indicators.",
            ],
            wanted: &[
                "A child and family assessment, and a strategy discussion if the assessment finds significant harm.",
                "The referral reconsidered by a team manager, with the referrer's information taken into account.",
                "A multi-agency discussion to agree the level of need, with {raising} invited.",
                "The decision reviewed and the reasons shared in writing with {raising}.",
            ],
        },
        Topic::Plan => Case {
            summary: &[
                "Child in need plan not progressing; actions overdue with {receiving}",
                "Assessment recommendations not reflected in the plan",
                "Disagreement about stepping down a child protection plan",
                "Core group actions for {receiving} not completed",
            ],
            decision: &[
                "{receiving} proposes to close the plan at the next review although two actions are outstanding.",
                "{receiving} has not started the parenting work agreed at the last core group.",
                "{receiving} recommended stepping the plan down to child in need despite a recent incident.",
                "The plan agreed by {receiving} does not include the therapeutic support the assessment recommended.",
            ],
            evidence: &[
                "Minutes of the last two core groups show the same actions carried forward; no visit recorded for five weeks.",
                "The assessment completed in the spring recommended a referral to CAMHS; none has been made.",
                "{raising} recorded a further incident after the review; the parent has disengaged from the support offered.",
                "The school nurse and the class teacher both report no change in the child's presentation since the plan began.",
            ],
            wanted: &[
                "The plan kept open and reviewed with every agency present.",
                "The outstanding actions given named owners and dates.",
                "An early review meeting to reconsider the step-down.",
                "The assessment's recommendations written into the plan.",
            ],
        },
        Topic::Information => Case {
            summary: &[
                "Information requested from {receiving} not shared",
                "Agencies not told about a change in the household",
                "Strategy discussion outcome not shared with {raising}",
                "Disagreement about sharing health information without consent",
            ],
            decision: &[
                "{receiving} declined to share the information without the parent's consent.",
                "{receiving} did not tell partner agencies that a new adult had moved into the household.",
                "{receiving} has not replied to three requests for the outcome of the strategy discussion.",
                "{receiving} shared only a summary and withheld the risk assessment.",
            ],
            evidence: &[
                "Requests were sent by secure e-mail on three dates; no reply has been received.",
                "{raising} learned of the new partner from the child; the partner is known to police.",
                "Working Together allows information to be shared without consent where a child may be at risk of significant harm.",
                "Without the risk assessment {raising} cannot plan safe visits.",
            ],
            wanted: &[
                "The information shared within two working days.",
                "An agreed protocol for telling partner agencies about changes in the household.",
                "The strategy discussion outcome shared with every agency involved.",
                "A conversation between the two agencies' safeguarding leads about consent.",
            ],
        },
        Topic::Roles => Case {
            summary: &[
                "Disagreement about which agency should lead the work",
                "Lead professional role left vacant after transfer",
                "Support agreed at the meeting not provided by {receiving}",
                "Disagreement about who funds a specialist placement",
            ],
            decision: &[
                "{receiving} says the work belongs to another service and has closed its involvement.",
                "{receiving} declined to take on the lead professional role after the family moved.",
                "{receiving} withdrew the family support offered at the last meeting, citing capacity.",
                "{receiving} has refused to contribute to the cost of the placement.",
            ],
            evidence: &[
                "The family now lives in the area; {receiving} holds the most recent assessment.",
                "Nobody has coordinated the plan for six weeks; the family has had four different contacts.",
                "The meeting minutes record the support agreed and who would provide it.",
                "The placement was recommended by every agency at the review.",
            ],
            wanted: &[
                "A lead agency agreed and recorded.",
                "A named lead professional within five working days.",
                "The support provided as agreed, or an alternative offered.",
                "A decision on funding that does not delay the placement.",
            ],
        },
        Topic::Meeting => Case {
            summary: &[
                "Dissent from the decision of the child protection conference",
                "Disagreement with the outcome of the multi-agency meeting",
                "Conference decided not to make a child protection plan",
                "Review meeting decision reached without {raising}'s report",
            ],
            decision: &[
                "The conference decided a child protection plan was not needed; {raising} registered dissent at the meeting.",
                "The meeting chaired by {receiving} decided to close the case to statutory services.",
                "The review went ahead without the report {raising} had submitted.",
                "The meeting agreed to end the plan although {raising} reported new concerns.",
            ],
            evidence: &[
                "{raising}'s report set out ongoing neglect; the minutes do not record it being considered.",
                "A further incident occurred two days after the meeting.",
                "The chair's summary does not reflect the risks discussed.",
                "Two of the four agencies present disagreed with the decision.",
            ],
            wanted: &[
                "The decision reviewed by the conference chair's manager.",
                "A reconvened meeting with every agency's information.",
                "The dissent recorded and the plan reconsidered.",
                "The minutes corrected and reissued.",
            ],
        },
        Topic::Response => Case {
            summary: &[
                "Concern about another agency's response to a disclosure",
                "No follow-up visit after an incident reported by {raising}",
                "Decision by {receiving} not explained to partner agencies",
                "Concern that {receiving}'s response does not meet the child's needs",
            ],
            decision: &[
                "{receiving} did not visit after the incident and recorded no further action.",
                "{receiving} made a decision about the family's support without telling the agencies involved.",
                "{receiving} responded to the disclosure by speaking only to the parent.",
                "{receiving} closed its involvement after one appointment was missed.",
            ],
            evidence: &[
                "The incident log and the child's account were sent to {receiving} the same day.",
                "The family has missed three appointments; no agency has seen the child for a month.",
                "{raising} was not invited to the discussion where the decision was made.",
                "The child's presentation has worsened since the decision.",
            ],
            wanted: &[
                "A visit to see the child, and the outcome shared.",
                "The reasons for the decision explained in writing.",
                "The decision reviewed by a manager.",
                "A joint visit by both agencies.",
            ],
        },
        Topic::Strategic => Case {
            summary: &[
                "Waiting times for assessments across the partnership",
                "Thresholds applied inconsistently at the front door",
                "Out-of-hours response to young people going missing",
                "Service model change affecting safeguarding referrals",
            ],
            decision: &[
                "{receiving} has changed its service model without consulting partner agencies.",
                "{receiving}'s waiting list for assessments has grown to twelve weeks.",
                "{receiving} no longer attends multi-agency meetings out of hours.",
                "{receiving} applies a higher threshold than the partnership's agreed guidance.",
            ],
            evidence: &[
                "Partnership data for the last two quarters show a rising number of re-referrals.",
                "Five escalations this year raised the same issue with {receiving}.",
                "Audit findings from the multi-agency case audit in the spring.",
                "Feedback from schools and health visitors collected by the partnership.",
            ],
            wanted: &[
                "The issue taken to the partnership's executive with a plan and timescale.",
                "A partnership-wide review of how thresholds are applied.",
                "An agreed interim arrangement while the service model is reviewed.",
                "The service change assessed for its effect on children's safety.",
            ],
        },
        Topic::Other => Case {
            summary: &[
                "Disagreement about the safety plan for a family",
                "Concern about contact arrangements agreed by {receiving}",
                "Disagreement about a transition between services",
                "Concern about the timing of a case closure by {receiving}",
            ],
            decision: &[
                "{receiving} agreed unsupervised contact although the risk assessment is incomplete.",
                "{receiving} closed the case before the transition plan was in place.",
                "{receiving} changed the safety plan without a multi-agency discussion.",
                "{receiving} ended its involvement at short notice.",
            ],
            evidence: &[
                "The risk assessment is due next month; the concerns that led to it remain.",
                "The transition plan was agreed at the last meeting but has not started.",
                "{raising} was told of the change by the family.",
                "Attendance and health records show a decline since the change.",
            ],
            wanted: &[
                "The decision paused until the assessment is complete.",
                "A multi-agency meeting before any change to the plan.",
                "The transition plan started before the case closes.",
                "Clear reasons, and a chance to contribute before a decision.",
            ],
        },
    }
}

const DISCUSSION: [&str; 6] = [
    "Both practitioners spoke by phone and went through the chronology. {receiving} explained its decision; {raising} set out the concerns it had recorded.",
    "The managers met on Teams and reviewed the referral, the assessment and the latest incident. Each agency's view was recorded.",
    "Discussed the child's lived experience and what each agency knows. Agreed that the information had not all been seen by the decision maker.",
    "The two agencies looked again at the threshold guidance together. The disagreement is about how recent incidents were weighed.",
    "Reviewed what has changed since the decision. {receiving} accepted that some of {raising}'s information was not available at the time.",
    "A frank discussion; both sides agreed the child's interests come first and that the difference is professional, not personal.",
];

const ACTIONS: [&str; 6] = [
    "{receiving} to review the case with a team manager by the end of the week; {raising} to send its chronology today.",
    "Joint visit to be arranged within five working days; both agencies to record the agreement on the child's file.",
    "Strategy discussion to be convened; {raising} to attend.",
    "{receiving} to write to {raising} with the reasons for its decision and the information considered.",
    "Each agency to share its records with the other's safeguarding lead by secure e-mail.",
    "Professionals' meeting to be arranged; the business team to be told of the escalation.",
];

const LEARNING: [&str; 6] = [
    "Training need: threshold guidance to be covered in the next multi-agency training session.",
    "New practice guidance: referrers to be told the outcome of a referral in writing.",
    "Commissioning need: waiting times for assessments raised with the commissioners.",
    "Multi-agency lesson: information shared at a strategy discussion must reach every agency involved (sent to the business team).",
    "Gap in procedures: no agreed route for sharing changes in the household; raised with the partnership.",
    "Single-agency learning: supervision to include checking that escalations are recorded on the child's file.",
];

const AGREED: [&str; 5] = [
    "Agreed: {receiving} will complete a child and family assessment; {raising} is satisfied with the way forward.",
    "Agreed: the plan stays open and will be reviewed with every agency present.",
    "Agreed: the information will be shared and both agencies will attend the next meeting.",
    "Agreed: a lead professional has been named and the support will start next week.",
    "Agreed: the decision stands, with reasons that {raising} now understands and accepts.",
];

const DISAGREED: [&str; 3] = [
    "Not agreed. {receiving}'s decision stands; {raising}'s disagreement is recorded on both agencies' files.",
    "The agencies still disagree. The final decision was made at this stage and the difference of view is recorded.",
    "Decision confirmed by the senior managers; {raising} maintains its view, which is recorded for the partnership.",
];

const BY_EVENTS: [&str; 3] = [
    "Events overtook the disagreement: the family moved out of the area and the case transferred.",
    "A new incident led to a strategy discussion and section 47 enquiries, which resolved the disagreement.",
    "The child's circumstances changed (a new school place and a family support package), so the question no longer arises.",
];

const ESCALATE: [&str; 5] = [
    "Not resolved at this stage: {receiving} maintains its decision.",
    "Not resolved within the timescale; the managers could not agree.",
    "No reply from {receiving} within the timescale.",
    "Agreement reached on some actions but not on the decision itself.",
    "The concerns are serious enough to need more senior managers.",
];

const WITHDRAWN: [&str; 3] = [
    "Withdrawn: {receiving} shared the information and {raising} no longer disagrees.",
    "Withdrawn by the raiser after a conversation with their own safeguarding lead.",
    "Withdrawn: the concern was resolved informally before the stage began.",
];

fn fill(template: &str, raising: &str, receiving: &str) -> String {
    template
        .replace("{raising}", raising)
        .replace("{receiving}", receiving)
}

// ---------------------------------------------------------------------------------------------
// Plans

/// How an escalation is to end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ending {
    Open {
        overdue: bool,
    },
    Resolved(Resolution),
    /// Buckinghamshire 2.4.11: resolved by events and still seen through; closed or not yet.
    SeenThrough {
        closed: bool,
    },
    /// The procedure's referral at this index.
    ReferredOn(usize),
    Withdrawn,
    Redirected(RedirectionKind),
}

/// After a referral (issue 14, item 5): now and then a further referral where the procedure
/// allows one (Sunderland: the Independent Scrutineer, then an inspectorate), then mostly the
/// step's outcome; some stay open at the step.
fn refer_on(
    tl: &mut Timeline<'_>,
    days: &Days<'_>,
    from: Date,
    actor: &str,
    rng: &mut Rng,
) -> Result<(), StoreError> {
    let p = tl.setup.procedure.clone();
    let mut day = from;
    let then = tl
        .state
        .at_referral()
        .and_then(|s| p.referral(&s.referral))
        .map(|r| r.then.clone())
        .unwrap_or_default();
    if !then.is_empty() && rng.chance(50) {
        day = days.after(day, rng.range(2, 8))?;
        let at = days.office_time(day, tl.state.last_event_at, rng)?;
        let referral = then[rng.below(then.len())].clone();
        tl.act(
            at,
            actor,
            Event::ReferralMade { referral },
            Some("Still unresolved after the Independent Scrutineer.".to_owned()),
        )?;
    }
    // Most get their outcome some days later; some stay open at the step.
    if tl.cut || !rng.chance(70) {
        return Ok(());
    }
    day = days.after(day, rng.range(3, 15))?;
    let at = days.office_time(day, tl.state.last_event_at, rng)?;
    tl.act(
        at,
        actor,
        Event::ReferralOutcomeRecorded {
            outcome: rng.pick(&REFERRAL_OUTCOMES).to_string(),
        },
        None,
    )?;
    Ok(())
}

/// A meeting arranged at `at` for two hours later, chaired by the raising agency's officer,
/// with both agencies' officers invited; recorded an hour after it ends where that is not
/// after the demo's `now` (otherwise it stays arranged ahead).
fn arrange_meeting(
    tl: &mut Timeline<'_>,
    who: &Parties<'_>,
    stage: StageNumber,
    at: Timestamp,
) -> Result<(), StoreError> {
    let s = tl.setup;
    let raising = s.officer(who.raising, stage).to_owned();
    let receiving = s.officer(who.receiving, stage).to_owned();
    let held_at = at + jiff::SignedDuration::from_hours(2);
    let plan = MeetingPlan {
        held_at,
        chair: Some(raising.clone()),
        invited_people: vec![raising.clone(), receiving.clone()],
        invited_agencies: vec![
            s.agencies[who.raising].id.clone(),
            s.agencies[who.receiving].id.clone(),
        ],
    };
    if !tl.act(at, &raising, Event::MeetingArranged(plan), None)? {
        return Ok(());
    }
    let recorded_at = held_at + jiff::SignedDuration::from_hours(3);
    if recorded_at > tl.now {
        return Ok(());
    }
    // No draws from `rng` here: the demo's other choices stay as they were before meetings
    // had details (the web tests rely on the escalations it makes).
    let meeting = u32::try_from(tl.state.meetings.len()).unwrap_or(1);
    let pick = meeting as usize + who.raising;
    let mut attended_people = vec![raising.clone()];
    if !pick.is_multiple_of(5) {
        attended_people.push(receiving);
    }
    tl.act(
        recorded_at,
        &raising,
        Event::MeetingRecorded {
            meeting,
            record: MeetingRecord {
                attended_people,
                attended_agencies: vec![
                    s.agencies[who.raising].id.clone(),
                    s.agencies[who.receiving].id.clone(),
                ],
                outcome: MEETING_OUTCOMES[pick % MEETING_OUTCOMES.len()].to_owned(),
                actions: MEETING_ACTIONS[pick % MEETING_ACTIONS.len()].to_owned(),
            },
        },
        None,
    )?;
    Ok(())
}

const MEETING_OUTCOMES: [&str; 3] = [
    "Each agency set out its view; the threshold decision is to be reviewed by a team manager.",
    "The agencies agreed a joint visit and a shared plan.",
    "No agreement was reached; the matter moves on to the next stage.",
];

const MEETING_ACTIONS: [&str; 3] = [
    "Both agencies to share their chronologies within two working days.",
    "The receiving agency to confirm its decision in writing.",
    "Team managers to meet again after the joint visit.",
];

const REFERRAL_OUTCOMES: [&str; 3] = [
    "The partners met and agreed a joint plan; both agencies accepted it.",
    "The referral found each agency's decision reasonable; no further action.",
    "Practice guidance is to be revised; the agencies agreed interim arrangements.",
];

/// The endings a procedure allows, most telling first: a small demo still shows every one.
fn coverage(p: &Procedure) -> Vec<Ending> {
    let allowed = |r: Resolution| p.outcomes.allowed.contains(&r);
    let mut v = vec![
        Ending::Open { overdue: false },
        Ending::Resolved(Resolution::Agreed),
        Ending::Open { overdue: true },
    ];
    if !p.referrals.is_empty() {
        v.push(Ending::ReferredOn(0));
    }
    // Every procedure stops for a child at immediate risk; other redirections are its own.
    v.push(Ending::Redirected(
        p.redirections
            .first()
            .map_or(RedirectionKind::ImmediateRisk, |r| r.kind),
    ));
    v.push(Ending::Withdrawn);
    if allowed(Resolution::DisagreementRecorded) {
        v.push(Ending::Resolved(Resolution::DisagreementRecorded));
    }
    if allowed(Resolution::ByEvents) {
        if p.outcomes.see_through_when_resolved_by_events {
            v.push(Ending::SeenThrough { closed: true });
            v.push(Ending::SeenThrough { closed: false });
        } else {
            v.push(Ending::Resolved(Resolution::ByEvents));
        }
    }
    v
}

/// An ending drawn at random for an escalation raised `back` working days ago: recent ones are
/// mostly still open, older ones mostly closed (a few long-running ones stay open, overdue), so
/// that escalations are raised at an even rate over the months.
fn random_ending(p: &Procedure, back: i64, rng: &mut Rng) -> Ending {
    let allowed = |r: Resolution| p.outcomes.allowed.contains(&r);
    let open = match back {
        0..=10 => 75,
        11..=25 => 35,
        _ => 3,
    };
    if rng.chance(open) {
        return Ending::Open {
            overdue: back > 25 || rng.chance(if back <= 10 { 25 } else { 60 }),
        };
    }
    let ending = match rng.weighted(&[50, 13, 8, 7, 15, 7]) {
        0 => Ending::Resolved(Resolution::Agreed),
        1 => Ending::Resolved(Resolution::DisagreementRecorded),
        2 if p.outcomes.see_through_when_resolved_by_events => Ending::SeenThrough { closed: true },
        2 => Ending::Resolved(Resolution::ByEvents),
        3 if !p.referrals.is_empty() => Ending::ReferredOn(rng.below(p.referrals.len())),
        4 => Ending::Withdrawn,
        // Mostly the procedure's own redirections; now and then a child found to be at
        // immediate risk, which every procedure hands over at once.
        5 if !p.redirections.is_empty() && rng.chance(85) => {
            Ending::Redirected(p.redirections[rng.below(p.redirections.len())].kind)
        }
        5 => Ending::Redirected(RedirectionKind::ImmediateRisk),
        _ => Ending::Resolved(Resolution::Agreed),
    };
    match ending {
        Ending::Resolved(r) if !allowed(r) => Ending::Resolved(Resolution::Agreed),
        other => other,
    }
}

/// One action on an escalation.
#[derive(Clone, Debug)]
struct Step {
    at: Timestamp,
    actor: Actor,
    event: Event,
    reason: Option<String>,
}

/// One escalation, raised and then driven through its steps.
#[derive(Clone, Debug)]
struct Plan {
    partnership: usize,
    raise_at: Timestamp,
    raiser: String,
    input: RaiseInput,
    steps: Vec<Step>,
}

/// Builds one escalation's steps, checking each against the state machine, and recording the
/// deadlines that pass on the way as the nightly sweep would.
struct Timeline<'a> {
    setup: &'a Setup,
    state: Escalation,
    steps: Vec<Step>,
    now: Timestamp,
    /// An action fell after `now`: nothing later happens.
    cut: bool,
}

impl Timeline<'_> {
    /// Applies an action at `at` unless it would be after `now`. Returns whether it happened.
    fn act(
        &mut self,
        at: Timestamp,
        actor: &str,
        event: Event,
        reason: Option<String>,
    ) -> Result<bool, StoreError> {
        if self.cut || at > self.now {
            self.cut = true;
            return Ok(false);
        }
        self.sweep(at)?;
        // Never earlier than what the sweep just recorded.
        let at = at.max(self.state.last_event_at);
        self.apply(at, Actor::person(actor), event, reason)?;
        Ok(true)
    }

    fn apply(
        &mut self,
        at: Timestamp,
        actor: Actor,
        event: Event,
        reason: Option<String>,
    ) -> Result<(), StoreError> {
        let t = self
            .state
            .apply(self.setup.rules(), at, event.clone())
            .map_err(|e| StoreError::Project(ProjectError::Transition(e)))?;
        self.state = t.state;
        self.steps.push(Step {
            at,
            actor,
            event,
            reason,
        });
        Ok(())
    }

    /// Records each deadline that passes before `until` while the escalation is open. The
    /// sweep runs at a quarter past midnight: a deadline is the end of its day (DESIGN.md §5).
    fn sweep(&mut self, until: Timestamp) -> Result<(), StoreError> {
        loop {
            if !self.state.status.is_open() {
                return Ok(());
            }
            let current = self.state.current();
            // At a referral step only its own deadline runs (issue 14, item 5).
            let candidates = match self.state.at_referral() {
                Some(step) => [
                    (Deadline::Referral(self.state.referral_number()), step.due),
                    (Deadline::Overall, None),
                ],
                None => [
                    (Deadline::Stage(current.number), Some(current.due)),
                    (Deadline::Overall, self.state.overall_due),
                ],
            };
            let mut next: Option<(Timestamp, Deadline)> = None;
            for (deadline, due) in candidates {
                let Some(due) = due else { continue };
                if self.state.deadlines_passed.contains(&deadline) {
                    continue;
                }
                let mut at = local(self.setup.tz(), due.tomorrow().map_err(date_error)?, 15)?;
                let last = self.state.last_event_at;
                if at <= last {
                    // Passed before the stage began (a cumulative timescale): the next night.
                    let day = last.to_zoned(self.setup.tz().clone()).date();
                    at = local(self.setup.tz(), day.tomorrow().map_err(date_error)?, 15)?;
                }
                if at < until && next.is_none_or(|(t, _)| at < t) {
                    next = Some((at, deadline));
                }
            }
            let Some((at, deadline)) = next else {
                return Ok(());
            };
            self.apply(at, Actor::SYSTEM, Event::DeadlinePassed { deadline }, None)?;
        }
    }
}

/// An instant on a local date, `minute` minutes after midnight.
fn local(tz: &TimeZone, day: Date, minute: i64) -> Result<Timestamp, StoreError> {
    let dt = day.at((minute / 60) as i8, (minute % 60) as i8, 0, 0);
    Ok(dt.to_zoned(tz.clone()).map_err(date_error)?.timestamp())
}

fn local_day_minute(tz: &TimeZone, t: Timestamp) -> (Date, i64) {
    let z = t.to_zoned(tz.clone());
    (z.date(), i64::from(z.hour()) * 60 + i64::from(z.minute()))
}

const OPENS: i64 = 9 * 60;
const CLOSES: i64 = 17 * 60 + 30;

/// The working calendar, as the planner needs it.
struct Days<'a> {
    calendar: &'a Calendar,
    tz: &'a TimeZone,
}

impl Days<'_> {
    fn after(&self, day: Date, n: i64) -> Result<Date, StoreError> {
        if n <= 0 {
            return Ok(day);
        }
        let n = WorkingDays::new(n).map_err(date_error)?;
        self.calendar
            .add_working_days(day, n)
            .map_err(calendar_error)
    }

    fn before(&self, day: Date, n: i64) -> Result<Date, StoreError> {
        let mut day = day;
        let mut k = 0;
        while k < n {
            day = day.yesterday().map_err(date_error)?;
            if self.calendar.is_working_day(day).map_err(calendar_error)? {
                k += 1;
            }
        }
        Ok(day)
    }

    /// A working day from `from` to `to` (both included), chosen at random.
    fn between(&self, from: Date, to: Date, rng: &mut Rng) -> Result<Date, StoreError> {
        let n = self
            .calendar
            .working_days_between(from, to)
            .map_err(calendar_error)?;
        self.after(from, rng.range(0, n.max(0)))
    }

    /// A time in office hours on `day`, after `after` (moving to the next working day when
    /// the day is over).
    fn office_time(
        &self,
        day: Date,
        after: Timestamp,
        rng: &mut Rng,
    ) -> Result<Timestamp, StoreError> {
        let (after_day, after_minute) = local_day_minute(self.tz, after);
        let mut day = day.max(after_day);
        let mut earliest = if day == after_day {
            (after_minute + 10).max(OPENS)
        } else {
            OPENS
        };
        if earliest > CLOSES - 10 {
            day = self.after(day, 1)?;
            earliest = OPENS;
        }
        // Mostly soon after the earliest moment, sometimes later in the day.
        let latest = (earliest + rng.range(20, 240)).min(CLOSES);
        local(self.tz, day, rng.range(earliest, latest))
    }
}

/// Plans one escalation.
struct Planner<'a> {
    setup: &'a Setup,
    now: Timestamp,
    /// The most recent working day whose office hours began before `now`.
    latest: Date,
    /// The first working day escalations may be raised on.
    earliest: Date,
}

impl Planner<'_> {
    fn days(&self) -> Days<'_> {
        Days {
            calendar: &self.setup.calendar,
            tz: self.setup.tz(),
        }
    }

    fn plan(
        &self,
        partnership: usize,
        number: usize,
        ending: Ending,
        route: RouteKind,
        back: Option<i64>,
        rng: &mut Rng,
    ) -> Result<Plan, StoreError> {
        let s = self.setup;
        let p = &s.procedure;
        let days = self.days();
        let thematic_route = route != RouteKind::Individual;

        // The category: thematic routes take the procedure's thematic categories where it has
        // them; individual escalations rarely "other".
        let categories: Vec<&str> = p.categories.iter().map(|c| c.id.as_str()).collect();
        let thematic: Vec<&str> = categories
            .iter()
            .copied()
            .filter(|c| topic(c) == Topic::Strategic)
            .collect();
        let category = if thematic_route && !thematic.is_empty() {
            rng.pick(&thematic)
        } else {
            let individual: Vec<&str> = categories
                .iter()
                .copied()
                .filter(|c| topic(c) != Topic::Strategic)
                .collect();
            let pool = if individual.is_empty() {
                &categories
            } else {
                &individual
            };
            let mut c = rng.pick(pool);
            if c == "other" && pool.len() > 1 && !rng.chance(30) {
                c = rng.pick(pool);
            }
            c
        };
        let topic = topic(category);

        // Agencies: thresholds and conferences are mostly about children's social care.
        let csc = s
            .agencies
            .iter()
            .position(|a| a.kind == AgencyKind::ChildrensSocialCare)
            .unwrap_or(0);
        let n = s.agencies.len();
        let (mut raising, mut receiving) = (rng.below(n), rng.below(n));
        if matches!(topic, Topic::Threshold | Topic::Meeting | Topic::Plan) && rng.chance(75) {
            receiving = csc;
        }
        let sign_in = rng.chance(15);
        if sign_in {
            raising = s.sign_in_practitioner.0;
        }
        while raising == receiving {
            receiving = (receiving + 1 + rng.below(n - 1)) % n;
        }
        let ra = &s.agencies[raising];
        let rc = &s.agencies[receiving];
        let raiser = if sign_in {
            s.sign_in_practitioner.1.clone()
        } else {
            ra.staff.practitioners[rng.below(ra.staff.practitioners.len())].clone()
        };
        let receiver = rc.staff.practitioners[rng.below(rc.staff.practitioners.len())].clone();

        let case = case_texts(topic);
        let text = |t: &str| fill(t, &ra.name, &rc.name);
        let summary = text(rng.pick(case.summary));
        let decision = text(rng.pick(case.decision));
        let evidence = text(rng.pick(case.evidence));
        let wanted = text(rng.pick(case.wanted));

        let (child_status, child) = if thematic_route {
            (None, None)
        } else {
            let statuses = [
                ChildStatus::None,
                ChildStatus::EarlyHelp,
                ChildStatus::ChildInNeed,
                ChildStatus::ChildProtectionPlan,
                ChildStatus::LookedAfter,
            ];
            let status = statuses[rng.weighted(&[10, 20, 30, 25, 15])];
            (Some(status), Some(number))
        };

        // When: open escalations are recent, the rest spread over the months before.
        let span = self.span()?;
        let mut back = match (back, ending) {
            (Some(back), _) => back,
            (None, Ending::Open { overdue: false } | Ending::SeenThrough { closed: false }) => {
                rng.range(0, 12)
            }
            (None, Ending::Open { overdue: true }) => rng.range(8, 45),
            (None, _) => rng.range(10, span),
        }
        .min(span);
        let entry = p.route(route).map_or(StageNumber::FIRST, |r| r.entry_stage);
        let mut target = self.target_stage(entry, ending, rng);
        const ATTEMPTS: usize = 16;
        for attempt in 0..ATTEMPTS {
            let last_try = attempt + 1 == ATTEMPTS;
            if last_try {
                // Certain to fit: raised on the latest working day, nothing more done yet, or
                // (for a closed ending) as early as the demo allows.
                match ending {
                    Ending::Open { overdue: false } | Ending::SeenThrough { closed: false } => {
                        back = 0;
                        target = entry;
                    }
                    Ending::Open { overdue: true } => back = span,
                    _ => {
                        back = span;
                        target = match ending {
                            Ending::ReferredOn(i) => p
                                .referrals
                                .get(i)
                                .map_or(entry, |r| r.from_stage.max(entry)),
                            _ => entry,
                        };
                    }
                }
            }
            let raise_day = days.before(self.latest, back)?;
            let raise_at = if raise_day == self.latest {
                // Before `now`, in office hours.
                let (today, minute) = local_day_minute(s.tz(), self.now);
                let until = if today == raise_day {
                    (minute - 1).min(16 * 60 + 30)
                } else {
                    16 * 60 + 30
                };
                local(s.tz(), raise_day, rng.range(OPENS, until.max(OPENS)))?
            } else {
                local(s.tz(), raise_day, rng.range(OPENS, 16 * 60 + 30))?
            };
            let subject = match child_status {
                Some(status) => Subject::Child { status },
                None => Subject::Thematic,
            };
            let raised = decide(
                None,
                s.rules(),
                raise_at,
                Event::Raised {
                    route,
                    subject,
                    category: category.to_owned(),
                    // Dorset §4: decided the day it is entered.
                    decided_on: p.day_one.takes_decision_date().then_some(raise_day),
                },
            )
            .map_err(|e| StoreError::Project(ProjectError::Transition(e)))?;
            let mut tl = Timeline {
                setup: s,
                state: raised.state,
                steps: Vec::new(),
                now: self.now,
                cut: false,
            };
            let parties = Parties {
                raising,
                receiving,
                raiser: &raiser,
                receiver: &receiver,
                raising_name: &ra.name,
                receiving_name: &rc.name,
            };
            self.drive(&mut tl, &parties, entry, target, ending, rng)?;
            // An open escalation may stop short of its planned stage (the next action would
            // be after `now`); a closed one must have closed.
            let fits = match ending {
                Ending::Open { overdue } => {
                    tl.state.status.is_open()
                        && tl.state.overdue(s.rules(), self.now).is_empty() != overdue
                }
                Ending::SeenThrough { closed: false } => {
                    tl.state.resolved_by_events_at.is_some() && tl.state.status.is_open()
                }
                _ => !tl.cut,
            };
            if fits || last_try {
                if !fits {
                    // Nothing fitted (a calendar too short for the demo): keep the raise.
                    tl.steps.clear();
                }
                let child = child.map(|n| {
                    let code = marker(&s.code, n);
                    let age_days = rng.range(200, 17 * 365);
                    let born = raise_day
                        .checked_sub(jiff::Span::new().days(age_days))
                        .unwrap_or(raise_day);
                    ChildDetails {
                        name: format!(
                            "{} {}. {code}",
                            rng.pick(&CHILD_NAMES),
                            rng.pick(&SURNAMES).chars().next().unwrap_or('A')
                        ),
                        date_of_birth: Some(born.to_string()),
                        identifier: Some(format!("{code} (LCS {:07})", rng.range(1, 9_999_999))),
                    }
                });
                return Ok(Plan {
                    partnership,
                    raise_at,
                    raiser: raiser.clone(),
                    input: RaiseInput {
                        route: route.as_str().to_owned(),
                        child_status: child_status.map(|c| c.as_str().to_owned()),
                        child,
                        category: category.to_owned(),
                        raised_by: raiser.clone(),
                        raising_agency_id: ra.id.clone(),
                        receiving_agency_id: rc.id.clone(),
                        receiving_person_id: Some(receiver.clone()),
                        summary,
                        decision,
                        evidence,
                        outcome_wanted: wanted,
                        decided_on: p.day_one.takes_decision_date().then_some(raise_day),
                    },
                    steps: tl.steps,
                });
            }
            // Adjust and try again.
            match ending {
                Ending::Open { overdue: false } | Ending::SeenThrough { closed: false } => {
                    back /= 2;
                    if attempt > 4 {
                        target = entry;
                    }
                }
                Ending::Open { overdue: true } => back = (back + 10).min(span),
                _ => back = (back + 15).min(span),
            }
        }
        Err(date_error("no plan fitted"))
    }

    /// How many working days back escalations may be raised.
    fn span(&self) -> Result<i64, StoreError> {
        Ok(self
            .setup
            .calendar
            .working_days_between(self.earliest, self.latest)
            .map_err(calendar_error)?
            .max(1))
    }

    /// The stage an escalation ends at (or is at, when open).
    fn target_stage(&self, entry: StageNumber, ending: Ending, rng: &mut Rng) -> StageNumber {
        let p = &self.setup.procedure;
        let last = p.last_stage();
        let mut stage = match ending {
            Ending::ReferredOn(i) => p
                .referrals
                .get(i)
                .map_or(entry, |r| r.from_stage.max(entry)),
            _ => entry,
        };
        let go_on = match ending {
            Ending::Withdrawn | Ending::Redirected(_) => 20,
            _ => 45,
        };
        while stage < last && rng.chance(go_on) {
            stage = stage.next();
        }
        stage
    }

    /// Runs the escalation from its entry stage to `target` and ends it.
    fn drive(
        &self,
        tl: &mut Timeline<'_>,
        who: &Parties<'_>,
        entry: StageNumber,
        target: StageNumber,
        ending: Ending,
        rng: &mut Rng,
    ) -> Result<(), StoreError> {
        let s = self.setup;
        let p = &s.procedure;
        let days = self.days();
        let mut stage = entry;
        while let Some(spec) = p.stage(stage) {
            let leads_include_practitioners = s.stage_leads(stage).contains(&Role::Practitioner);
            let raising_lead = if leads_include_practitioners {
                who.raiser.to_owned()
            } else {
                s.officer(who.raising, stage).to_owned()
            };
            let receiving_lead = if leads_include_practitioners {
                who.receiver.to_owned()
            } else {
                s.officer(who.receiving, stage).to_owned()
            };
            let entered = tl.state.last_event_at;

            // Sunderland: "Timescales, not exceeding 5 working days, should be agreed for each
            // stage" - agreed soon after the stage starts.
            // No more than still fits before the overall deadline (issue 14).
            let most = tl
                .state
                .agreeable(s.rules())
                .map_err(calendar_error)?
                .map_or(0, |a| i64::from(a.most));
            if let Timescale::Agreed { max } = spec.timescale
                && most >= 1
            {
                let at = days.office_time(local_day_minute(s.tz(), entered).0, entered, rng)?;
                let n = rng.range(2, i64::from(max.get())).min(most);
                let n = WorkingDays::new(n).map_err(date_error)?;
                if spec.agreed_with.is_some() {
                    // Issue 14, item 2 (Sunderland step 2): the line manager proposes it and
                    // the practitioner raising the concern confirms it within the hour.
                    tl.act(
                        at,
                        &raising_lead,
                        Event::AgreementProposed {
                            proposal: Proposal::Timescale(n),
                            by: Side::Raising,
                        },
                        None,
                    )?;
                    tl.act(
                        at + jiff::SignedDuration::from_mins(40),
                        who.raiser,
                        Event::AgreementConfirmed { by: Party::Raiser },
                        None,
                    )?;
                } else {
                    tl.act(
                        at,
                        &raising_lead,
                        Event::TimescaleAgreed { working_days: n },
                        None,
                    )?;
                }
            }
            // The appointments the procedure makes at this stage (Solihull stage 4: the
            // independent chair), made by whoever its `by` names, a minute after the stage
            // starts (no draw from the generator).
            for a in p.appointments.iter().filter(|a| a.stage == stage) {
                let Some((_, person)) = s.appointees.iter().find(|(r, _)| *r == a.role) else {
                    continue;
                };
                // Solihull §7: the IRO of a child on a child protection plan or looked after;
                // Buckinghamshire 2.4.16: the CP Reviewing Service Manager for a conference
                // decision.
                let status = match tl.state.subject {
                    parley_core::escalation::Subject::Child { status } => Some(status),
                    _ => None,
                };
                let fits = match a.role {
                    parley_core::names::Actor::IndependentReviewingOfficer => matches!(
                        status,
                        Some(ChildStatus::ChildProtectionPlan | ChildStatus::LookedAfter)
                    ),
                    parley_core::names::Actor::CpReviewingServiceManager => {
                        tl.state.category == "cp-conference"
                    }
                    _ => true,
                };
                if !fits {
                    continue;
                }
                let by = if a
                    .by
                    .contains(&parley_core::names::Actor::PartnershipBusinessTeam)
                {
                    s.business_manager.clone()
                } else {
                    raising_lead.clone()
                };
                let at = tl.state.last_event_at + jiff::SignedDuration::from_mins(1);
                tl.act(
                    at,
                    &by,
                    Event::Appointed {
                        role: a.role,
                        person: person.clone(),
                    },
                    None,
                )?;
            }
            // Issue 14, item 2: in an escalation that is to stay open, the receiving side
            // proposes to resolve it by agreement as each stage past the first begins (and
            // now and then as the first does); the proposal awaits the raising side's answer,
            // and lapses if the escalation moves on. Chosen without the generator, so that
            // its draws stay as they were.
            if matches!(ending, Ending::Open { .. })
                && p.outcomes.allowed.contains(&Resolution::Agreed)
                && (stage.get() >= 2 || entered.as_second().div_euclid(60) % 2 == 0)
            {
                let at = tl.state.last_event_at + jiff::SignedDuration::from_mins(50);
                tl.act(
                    at,
                    &receiving_lead,
                    Event::AgreementProposed {
                        proposal: Proposal::Resolution,
                        by: Side::Receiving,
                    },
                    None,
                )?;
            }
            let due = tl.state.current().due;
            let start_day = local_day_minute(s.tz(), tl.state.last_event_at).0;
            // Mostly within the timescale; sometimes late.
            let end_day = if rng.chance(12) {
                days.after(due, rng.range(1, 3))?
            } else if due <= start_day {
                start_day
            } else {
                days.between(start_day, due, rng)?
            };
            let mid_day = days.between(start_day, end_day.max(start_day), rng)?;

            // Solihull §5: a professionals' meeting may be called where the stage provides one
            // (issue 14, item 6: arranged with its details, recorded once held).
            if spec.provides_meeting() && rng.chance(if stage.get() >= 3 { 35 } else { 15 }) {
                let at = days.office_time(mid_day, tl.state.last_event_at, rng)?;
                arrange_meeting(tl, who, stage, at)?;
            }
            // The stage record, in two writes: who and what was discussed, then the outcome.
            let first: Vec<(String, String)> = ["involved", "issues", "discussion"]
                .iter()
                .filter(|f| spec.record.iter().any(|r| r == *f))
                .map(|f| (f.to_string(), self.field(f, who, stage, None, rng)))
                .collect();
            if !first.is_empty() {
                let at = days.office_time(mid_day, tl.state.last_event_at, rng)?;
                tl.act(
                    at,
                    &raising_lead,
                    Event::StageRecordUpdated {
                        stage,
                        fields: first,
                    },
                    None,
                )?;
            }
            let last_stage = stage >= target;
            let closing = if last_stage { Some(ending) } else { None };
            // Buckinghamshire 2.4.11: events resolve it during the last stage; seen through.
            if last_stage && matches!(ending, Ending::SeenThrough { .. }) {
                let at = days.office_time(mid_day, tl.state.last_event_at, rng)?;
                tl.act(
                    at,
                    &raising_lead,
                    Event::Resolved {
                        resolution: Resolution::ByEvents,
                    },
                    Some(fill(
                        rng.pick(&BY_EVENTS),
                        who.raising_name,
                        who.receiving_name,
                    )),
                )?;
            }
            let open_here = matches!(
                closing,
                Some(Ending::Open { .. } | Ending::SeenThrough { closed: false })
            );
            if !open_here {
                let mut second: Vec<(String, String)> = ["actions", "outcome"]
                    .iter()
                    .filter(|f| spec.record.iter().any(|r| r == *f))
                    .map(|f| (f.to_string(), self.field(f, who, stage, closing, rng)))
                    .collect();
                if spec.record.iter().any(|r| r == "learning") && rng.chance(35) {
                    second.push((
                        "learning".to_owned(),
                        self.field("learning", who, stage, closing, rng),
                    ));
                }
                let end_at = days.office_time(end_day, tl.state.last_event_at, rng)?;
                if !second.is_empty() {
                    let actor = if rng.chance(40) {
                        &receiving_lead
                    } else {
                        &raising_lead
                    };
                    tl.act(
                        end_at,
                        actor,
                        Event::StageRecordUpdated {
                            stage,
                            fields: second,
                        },
                        None,
                    )?;
                }
                let at = days.office_time(end_day, tl.state.last_event_at, rng)?;
                // Seen through to the end: mostly agreed, else with the disagreement recorded
                // where the procedure allows it (the generator drawn as before).
                let seen_through_agreed = matches!(closing, Some(Ending::SeenThrough { .. }))
                    && (rng.chance(70)
                        || !p
                            .outcomes
                            .allowed
                            .contains(&Resolution::DisagreementRecorded));
                let fill_in = |t: &str| fill(t, who.raising_name, who.receiving_name);
                // Issue 14, item 2: the receiving side proposes an agreed resolution first;
                // the raising side's confirmation is the closing step below.
                let agreed = match closing {
                    Some(Ending::Resolved(r)) => r == Resolution::Agreed,
                    Some(Ending::SeenThrough { .. }) => seen_through_agreed,
                    _ => false,
                };
                if agreed {
                    tl.act(
                        at,
                        &receiving_lead,
                        Event::AgreementProposed {
                            proposal: Proposal::Resolution,
                            by: Side::Receiving,
                        },
                        None,
                    )?;
                }
                let at = if agreed {
                    at + jiff::SignedDuration::from_mins(45)
                } else {
                    at
                };
                let closed_by = |r: Resolution| match r {
                    Resolution::Agreed => Event::AgreementConfirmed {
                        by: Party::RaisingSide,
                    },
                    Resolution::DisagreementRecorded => {
                        Event::DisagreementRecorded(dissent(who, &fill_in))
                    }
                    Resolution::ByEvents => Event::Resolved { resolution: r },
                };
                let (event, actor, reason) = match closing {
                    None => (
                        Event::Escalated,
                        raising_lead.clone(),
                        Some(fill_in(rng.pick(&ESCALATE))),
                    ),
                    Some(Ending::Resolved(resolution)) => {
                        (closed_by(resolution), raising_lead.clone(), None)
                    }
                    Some(Ending::SeenThrough { .. }) => (
                        closed_by(if seen_through_agreed {
                            Resolution::Agreed
                        } else {
                            Resolution::DisagreementRecorded
                        }),
                        raising_lead.clone(),
                        Some("Seen through to the end after events resolved it.".to_owned()),
                    ),
                    Some(Ending::ReferredOn(i)) => {
                        let referral = p.referrals.get(i).map(|r| r.id.clone()).unwrap_or_default();
                        (
                            Event::ReferralMade { referral },
                            s.officer(who.raising, stage).to_owned(),
                            Some("The procedure's last stage did not resolve it.".to_owned()),
                        )
                    }
                    Some(Ending::Withdrawn) => (
                        Event::Withdrawn,
                        who.raiser.to_owned(),
                        Some(fill_in(rng.pick(&WITHDRAWN))),
                    ),
                    Some(Ending::Redirected(kind)) => (
                        Event::Redirected { kind },
                        s.officer(who.raising, stage).to_owned(),
                        Some(format!("This is {}.", kind.label().to_lowercase())),
                    ),
                    Some(Ending::Open { .. }) => break,
                };
                let referred = matches!(event, Event::ReferralMade { .. });
                tl.act(at, &actor, event, reason)?;
                if referred {
                    refer_on(tl, &days, end_day, &actor, rng)?;
                }
                // Solihull §6: learning may be written up after the escalation closes.
                if closing.is_some()
                    && spec.record.iter().any(|r| r == "learning")
                    && rng.chance(20)
                {
                    let day = days.after(end_day, rng.range(1, 10))?;
                    let at = days.office_time(day, tl.state.last_event_at, rng)?;
                    let fields = vec![("learning".to_owned(), fill_in(rng.pick(&LEARNING)))];
                    tl.act(
                        at,
                        &raising_lead,
                        Event::StageRecordUpdated { stage, fields },
                        None,
                    )?;
                }
            }
            if last_stage || tl.cut {
                break;
            }
            stage = stage.next();
        }
        // The deadlines that pass after the last action are the deadline monitor's to record,
        // once everything is applied (`notices::monitor_nights`).
        Ok(())
    }

    fn field(
        &self,
        field: &str,
        who: &Parties<'_>,
        stage: StageNumber,
        closing: Option<Ending>,
        rng: &mut Rng,
    ) -> String {
        let f = |t: &str| fill(t, who.raising_name, who.receiving_name);
        match field {
            "involved" => format!(
                "Stage {stage}: {} and {}, with the named officers for the stage.",
                who.raising_name, who.receiving_name
            ),
            "issues" => f(rng.pick(&[
                "Whether {receiving}'s decision took account of all the information {raising} holds.",
                "How the level of need was judged, and what each agency expects of the other.",
                "Delay: actions agreed with {receiving} have not happened.",
            ])),
            "discussion" => f(rng.pick(&DISCUSSION)),
            "actions" => f(rng.pick(&ACTIONS)),
            "learning" => f(rng.pick(&LEARNING)),
            "outcome" => match closing {
                None => f(rng.pick(&ESCALATE)),
                Some(Ending::Resolved(Resolution::Agreed)) | Some(Ending::SeenThrough { .. }) => {
                    f(rng.pick(&AGREED))
                }
                Some(Ending::Resolved(Resolution::DisagreementRecorded)) => {
                    f(rng.pick(&DISAGREED))
                }
                Some(Ending::Resolved(Resolution::ByEvents)) => f(rng.pick(&BY_EVENTS)),
                Some(Ending::ReferredOn(_)) => {
                    "Not resolved by the procedure; referred on for independent oversight."
                        .to_owned()
                }
                Some(Ending::Withdrawn) => f(rng.pick(&WITHDRAWN)),
                Some(Ending::Redirected(kind)) => format!(
                    "Not a professional disagreement: this is {}, and follows that procedure instead.",
                    kind.label().to_lowercase()
                ),
                Some(Ending::Open { .. }) => String::new(),
            },
            other => format!("Recorded at stage {stage} ({other})."),
        }
    }
}

/// A dissent statement (issue 14, item 2; Dorset §7, Buckinghamshire 2.4.13): the raising
/// agency still disagrees with the receiving agency's decision, which stands.
fn dissent(who: &Parties<'_>, fill_in: &dyn Fn(&str) -> String) -> Dissent {
    Dissent {
        who: fill_in("{raising}, through its officer for the stage"),
        why: fill_in(
            "{raising} still thinks the decision leaves the child's needs unmet; {receiving}'s decision stands.",
        ),
        raising_side_will: fill_in(
            "{raising} stays involved in the child's plan and will raise any new concern at once.",
        ),
        receiving_side_will: format!(
            "{} will review its decision at the next core group, with {} present.",
            who.receiving_name, who.raising_name
        ),
    }
}

/// The two sides of an escalation.
struct Parties<'a> {
    raising: usize,
    receiving: usize,
    raiser: &'a str,
    receiver: &'a str,
    raising_name: &'a str,
    receiving_name: &'a str,
}

// ---------------------------------------------------------------------------------------------
// Seeding

/// Creates the demo data. `now` is the moment the data is seen from: every action is at or
/// before it. `progress` is called with (escalations done, escalations planned) as they
/// complete.
pub async fn seed(
    records: &Records,
    now: Timestamp,
    escalations: usize,
    seed: u64,
    mut progress: impl FnMut(usize, usize),
) -> Result<DemoSummary, StoreError> {
    let store = records.store().clone();
    let names: Vec<String> = seeds::SEEDS
        .iter()
        .filter_map(|(_, source)| procedure::parse(source).ok())
        .map(|p| format!("{} (demo)", p.partnership))
        .collect();
    let existing: Vec<String> = store
        .partnerships()
        .await?
        .into_iter()
        .filter(|p| names.contains(&p.name))
        .map(|p| p.name)
        .collect();
    if !existing.is_empty() {
        // References and child markers would collide with the first run's.
        return Err(StoreError::Invalid(format!(
            "a second demo: this database already holds {}; seed a new database",
            existing.join(", ")
        )));
    }
    let holidays = BankHolidays::built_in();
    let mut rng = Rng::new(seed, 0);

    // The partnerships were set up some fifteen months before `now`, on a working morning.
    let london = seeds::get("solihull")
        .and_then(Result::ok)
        .map_or(TimeZone::UTC, |p| p.calendar.time_zone);
    let today = now.to_zoned(london.clone()).date();
    let setup_date = today
        .checked_sub(jiff::Span::new().days(460))
        .map_err(date_error)?;
    let setup_at = local(&london, setup_date, OPENS)?;
    let setups = set_up(records, &holidays, setup_at, &mut rng).await?;

    // Plans: round robin over the partnerships; each partnership's first escalations cover
    // every ending its procedure allows (rotated, so that even a small demo shows them all),
    // the rest are drawn at random.
    let mut plans = Vec::with_capacity(escalations);
    for i in 0..escalations {
        let j = i % setups.len();
        let k = i / setups.len();
        let s = &setups[j];
        let tz = s.tz();
        let (today, minute) = local_day_minute(tz, now);
        let mut latest = s
            .calendar
            .working_day_on_or_before(today)
            .map_err(calendar_error)?;
        if latest == today && minute < OPENS + 30 {
            latest = Days {
                calendar: &s.calendar,
                tz,
            }
            .before(today, 1)?;
        }
        let earliest = Days {
            calendar: &s.calendar,
            tz,
        }
        .after(setup_date, 10)?;
        let planner = Planner {
            setup: s,
            now,
            latest,
            earliest,
        };
        let mut r = Rng::new(seed, 1_000 + i as u64);
        let cover = coverage(&s.procedure);
        let (ending, back) = if k < cover.len() {
            (cover[(k + j) % cover.len()], None)
        } else {
            let back = r.range(0, planner.span()?);
            (random_ending(&s.procedure, back, &mut r), Some(back))
        };
        // A few thematic or strategic escalations where the procedure has those routes
        // (Dorset §1: thematic issues start at stage 3, strategic ones at 4).
        let other_routes: Vec<RouteKind> = s
            .procedure
            .routes
            .iter()
            .map(|r| r.kind)
            .filter(|k| *k != RouteKind::Individual)
            .collect();
        let route = if !other_routes.is_empty() && k % 8 == 3 {
            other_routes[(k / 8) % other_routes.len()]
        } else {
            RouteKind::Individual
        };
        plans.push(planner.plan(j, k + 1, ending, route, back, &mut r)?);
    }

    // Compliments (Dorset §2 invites them; Parley records them for every partnership).
    let mut compliments = 0;
    for (j, s) in setups.iter().enumerate() {
        let mut r = Rng::new(seed, 500 + j as u64);
        for c in 0..(2 + escalations / 50).min(40) {
            let from = &s.agencies[r.below(s.agencies.len())];
            let to = &s.agencies[r.below(s.agencies.len())];
            let (Some(from_p), Some(to_p)) = (
                from.staff.practitioners.first(),
                to.staff.practitioners.get(1),
            ) else {
                continue;
            };
            let day = today
                .checked_sub(jiff::Span::new().days(r.range(1, 300)))
                .map_err(date_error)?;
            let at = local(s.tz(), day, OPENS + 60 + c as i64).map(|t| t.min(now))?;
            let message = fill(
                r.pick(&[
                    "Thank you to {receiving} for a quick, thorough response to our referral: the family had support within days.",
                    "Excellent joint working with {receiving} at the strategy discussion; clear actions and everyone kept informed.",
                    "{receiving} went out of their way to share information in time for the conference.",
                ]),
                &from.name,
                &to.name,
            );
            records
                .give_compliment(at, &Actor::person(from_p), &s.id, from_p, to_p, &message)
                .await?;
            compliments += 1;
        }
    }

    let events = apply(records, &setups, &plans, &mut progress).await?
        + notices::monitor_nights(records, &london, now).await?;

    // What was made, read back from the store.
    let mut summary = DemoSummary {
        partnerships: Vec::new(),
        agencies: 0,
        people: 0,
        named_officers: 0,
        compliments,
        escalations: plans.len(),
        events,
        by_status: BTreeMap::new(),
        by_outcome: BTreeMap::new(),
        sign_ins: Vec::new(),
    };
    for s in &setups {
        let rows = store.escalations(&s.id).await?;
        let today = now.to_zoned(s.tz().clone()).date().to_string();
        for e in &rows {
            *summary.by_status.entry(e.status.clone()).or_default() += 1;
            let detail = match (e.status.as_str(), e.outcome.as_deref()) {
                ("open", _) => {
                    let overdue =
                        e.stage_due < today || e.overall_due.as_ref().is_some_and(|d| *d < today);
                    let mut key = if overdue {
                        "open, overdue"
                    } else {
                        "open, in time"
                    }
                    .to_owned();
                    if e.resolved_by_events {
                        key.push_str(", resolved by events and being seen through");
                    }
                    key
                }
                (status, Some(outcome)) => {
                    let mut key = format!("{status}, {outcome}");
                    if e.resolved_by_events && outcome != "by-events" {
                        key.push_str(", seen through after events");
                    }
                    key
                }
                (status, None) => status.to_owned(),
            };
            *summary.by_outcome.entry(detail).or_default() += 1;
        }
        summary.agencies += store.agencies(&s.id).await?.len();
        summary.people += store.people(&s.id).await?.len();
        summary.named_officers += store.named_officers(&s.id).await?.len();
        summary.partnerships.push(DemoPartnership {
            id: s.id.clone(),
            name: s.name.clone(),
            short_name: s.short_name.clone(),
            procedure_id: s.procedure.id.to_string(),
            escalations: rows.len(),
        });
        summary.sign_ins.extend(s.sign_ins.iter().cloned());
    }
    Ok(summary)
}

/// Appends every plan's actions in time order. Actions on different escalations go in
/// together, `WINDOW` at a time, so that the writer commits many in one transaction; each
/// escalation's own actions stay in order, and a partnership raises one escalation at a time
/// (its references are numbered in order).
async fn apply(
    records: &Records,
    setups: &[Setup],
    plans: &[Plan],
    progress: &mut impl FnMut(usize, usize),
) -> Result<usize, StoreError> {
    let mut order: Vec<(Timestamp, usize, usize)> = Vec::new();
    for (e, plan) in plans.iter().enumerate() {
        order.push((plan.raise_at, e, 0));
        for (s, step) in plan.steps.iter().enumerate() {
            order.push((step.at, e, s + 1));
        }
    }
    order.sort();
    let mut ids: Vec<String> = vec![String::new(); plans.len()];
    let mut versions: Vec<i64> = vec![0; plans.len()];
    let mut remaining: Vec<usize> = plans.iter().map(|p| p.steps.len() + 1).collect();
    let mut done = 0;
    let mut i = 0;
    while i < order.len() {
        let mut window: Vec<(usize, usize)> = Vec::new();
        let mut busy: HashSet<usize> = HashSet::new();
        let mut raising: HashSet<usize> = HashSet::new();
        while let Some(&(_, e, s)) = order.get(i) {
            if window.len() >= WINDOW
                || busy.contains(&e)
                || (s == 0 && raising.contains(&plans[e].partnership))
            {
                break;
            }
            busy.insert(e);
            if s == 0 {
                raising.insert(plans[e].partnership);
            }
            window.push((e, s));
            i += 1;
        }
        let futures: Vec<_> = window
            .iter()
            .map(|&(e, s)| {
                let plan = &plans[e];
                let id = ids[e].clone();
                let version = versions[e];
                async move {
                    if s == 0 {
                        let raised = records
                            .raise(
                                plan.raise_at,
                                &Actor::person(&plan.raiser),
                                &setups[plan.partnership].id,
                                plan.input.clone(),
                            )
                            .await?;
                        Ok::<_, StoreError>((e, raised.id, raised.version))
                    } else {
                        let step = &plan.steps[s - 1];
                        let v = records
                            .act(
                                step.at,
                                &step.actor,
                                &id,
                                version,
                                &step.event,
                                step.reason.as_deref(),
                            )
                            .await?;
                        Ok((e, id, v))
                    }
                }
            })
            .collect();
        for (e, id, version) in join_ok(futures).await? {
            ids[e] = id;
            versions[e] = version;
            remaining[e] -= 1;
            if remaining[e] == 0 {
                done += 1;
            }
        }
        progress(done, plans.len());
    }
    Ok(order.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generator_is_splitmix64() {
        // Reference values of SplitMix64 seeded with 1234567.
        let mut r = Rng(1_234_567);
        assert_eq!(r.next(), 6_457_827_717_110_365_317);
        assert_eq!(r.next(), 3_203_168_211_198_807_973);
    }

    #[test]
    fn every_procedure_covers_every_status() {
        for p in seeds::all().unwrap() {
            let cover = coverage(&p);
            assert!(cover.contains(&Ending::Withdrawn), "{}", p.id);
            assert!(cover.iter().any(|e| matches!(e, Ending::Redirected(_))));
            assert_eq!(
                cover.iter().any(|e| matches!(e, Ending::ReferredOn(_))),
                !p.referrals.is_empty(),
                "{}",
                p.id
            );
        }
    }

    #[test]
    fn topics_follow_category_ids() {
        assert_eq!(topic("referral-eligibility"), Topic::Threshold);
        assert_eq!(topic("levels-of-need"), Topic::Threshold);
        assert_eq!(topic("cp-conference"), Topic::Meeting);
        assert_eq!(topic("strategic-theme"), Topic::Strategic);
        assert_eq!(topic("plans"), Topic::Plan);
        assert_eq!(topic("other"), Topic::Other);
    }

    #[test]
    fn markers_are_distinct_and_findable() {
        let a = marker("solihull", 7);
        assert_eq!(a, "MARKER-SOLIHULL-00007");
        assert_ne!(a, marker("sunderland", 7));
        assert!(a.starts_with(MARKER_PREFIX));
    }
}
