//! The partnerships: their places, agencies, named posts, job titles and people's names.

/// The demo's own details of a partnership running a built-in procedure. Organisations other
/// than the police forces are invented.
pub(crate) struct Place {
    pub(crate) procedure: &'static str,
    /// Distinct per partnership: escalation references start with it, and references are
    /// unique across a deployment (Solihull and Sunderland are both "SSCP").
    pub(crate) short_name: &'static str,
    pub(crate) place: &'static str,
    pub(crate) police: &'static str,
    pub(crate) health: &'static str,
    pub(crate) school: &'static str,
    pub(crate) sixth: (&'static str, AgencyKind),
}

pub(crate) const PLACES: [Place; 5] = [
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
pub(crate) const NAMED_POSTS: [(&str, u8, AgencyKind, &str); 4] = [
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
pub(crate) enum AgencyKind {
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
pub(crate) struct Titles {
    pub(crate) sector: &'static str,
    pub(crate) practitioners: [&'static str; 3],
    pub(crate) team_manager: &'static str,
    pub(crate) lead: &'static str,
    pub(crate) senior: &'static str,
}

impl AgencyKind {
    pub(crate) fn titles(self) -> Titles {
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

pub(crate) const FIRST_NAMES: [&str; 48] = [
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

pub(crate) const SURNAMES: [&str; 48] = [
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

pub(crate) const CHILD_NAMES: [&str; 32] = [
    "Ava", "Alfie", "Bella", "Charlie", "Daisy", "Ethan", "Freya", "George", "Holly", "Isaac",
    "Jasmine", "Kai", "Lily", "Mason", "Nadia", "Noah", "Oscar", "Poppy", "Reuben", "Sophie",
    "Theo", "Layla", "Zain", "Amelia", "Harry", "Isla", "Leo", "Maya", "Rosie", "Tyler", "Aisha",
    "Jack",
];
