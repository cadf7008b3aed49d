//! Closed vocabularies used in procedure files and events: each value has a kebab-case name
//! (as written in files) and a label (as shown to people).

use std::fmt;
use std::str::FromStr;

pub use crate::calendar::UnknownName;

/// Declares an enum whose values are written as kebab-case names in files.
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $what:literal {
            $( $(#[$vmeta:meta])* $variant:ident => $text:literal, $label:literal; )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[ $( $name::$variant, )+ ];

            /// The name used in procedure files and the API.
            pub fn as_str(self) -> &'static str {
                match self { $( $name::$variant => $text, )+ }
            }

            /// The name shown to people.
            pub fn label(self) -> &'static str {
                match self { $( $name::$variant => $label, )+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownName;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| UnknownName::new($what, s, Self::ALL.iter().map(|v| v.as_str())))
            }
        }
    };
}

named_enum! {
    /// Who leads a stage. The seeds name these roles in their own words; `lead_title` keeps
    /// the procedure's wording.
    Role, "role" {
        Practitioner => "practitioner", "Practitioner";
        LineManager => "line-manager", "Line manager";
        DesignatedSafeguardingLead => "designated-safeguarding-lead", "Designated safeguarding lead";
        NamedSafeguardingLead => "named-safeguarding-lead", "Named safeguarding lead";
        OperationalManager => "operational-manager", "Operational manager";
        SecondTierManager => "second-tier-manager", "Second-tier manager";
        SeniorManager => "senior-manager", "Senior manager";
        HeadOfService => "head-of-service", "Head of service";
        SeniorLeader => "senior-leader", "Senior leader";
        Director => "director", "Director";
        SafeguardingPartnersExecutive => "safeguarding-partners-executive", "Safeguarding partners executive";
        IndependentChair => "independent-chair", "Independent chair";
        PartnershipBusinessTeam => "partnership-business-team", "Partnership business team";
        IndependentScrutineer => "independent-scrutineer", "Independent scrutineer";
    }
}

named_enum! {
    /// The two sides of a disagreement (issue 14, item 2: what one side proposes, the other
    /// confirms). The raising side is the person who raised it, the raising agency's officers
    /// and their managers; the receiving side the agency whose decision is challenged.
    Side, "side" {
        Raising => "raising", "The raising side";
        Receiving => "receiving", "The receiving side";
    }
}

impl Side {
    pub fn other(self) -> Side {
        match self {
            Side::Raising => Side::Receiving,
            Side::Receiving => Side::Raising,
        }
    }
}

named_enum! {
    /// Who a notification goes to.
    Recipient, "recipient" {
        PartnershipBusinessTeam => "partnership-business-team", "Partnership business team";
        IndependentReviewingOfficer => "independent-reviewing-officer", "Independent Reviewing Officer";
        ChildProtectionReviewingServiceManager => "child-protection-reviewing-service-manager", "Child protection reviewing service manager";
        /// The named officers leading the stage, in both agencies.
        StageLeads => "stage-leads", "Named officers for the stage in both agencies";
        Raiser => "raiser", "The person who raised it";
        ReceivingAgency => "receiving-agency", "The receiving agency";
        SafeguardingPartners => "safeguarding-partners", "The safeguarding partners";
    }
}

named_enum! {
    /// What fires a notification rule.
    Trigger, "trigger" {
        Raised => "raised", "when it is raised";
        StageEntered => "stage-entered", "when a stage begins";
        DeadlinePassed => "deadline-passed", "when a deadline passes";
        Closed => "closed", "when it is closed";
    }
}

named_enum! {
    /// The child's status, as far as the procedures distinguish it.
    ChildStatus, "child status" {
        None => "none", "No statutory involvement";
        EarlyHelp => "early-help", "Early help";
        ChildInNeed => "child-in-need", "Child in need";
        ChildProtectionPlan => "child-protection-plan", "Child protection plan";
        LookedAfter => "looked-after", "Looked after";
    }
}

named_enum! {
    /// How an escalation enters the procedure (Dorset §1: thematic at stage 3, strategic at 4).
    RouteKind, "route" {
        Individual => "individual", "About a child";
        Thematic => "thematic", "Thematic (several children or a service)";
        Strategic => "strategic", "Strategic";
    }
}

named_enum! {
    /// How an escalation can be resolved within the procedure.
    Resolution, "outcome" {
        Agreed => "agreed", "Resolved by agreement";
        DisagreementRecorded => "disagreement-recorded", "Resolved with the disagreement recorded";
        ByEvents => "by-events", "Resolved by the turn of events";
    }
}

named_enum! {
    /// Matters that belong to another procedure.
    RedirectionKind, "redirection" {
        Complaint => "complaint", "A complaint";
        AllegationAgainstStaff => "allegation-against-staff", "An allegation against a member of staff (LADO)";
        Whistleblowing => "whistleblowing", "Whistleblowing";
        ImmediateRisk => "immediate-risk", "A child at immediate risk";
    }
}

named_enum! {
    /// What a stage timescale counts from.
    Anchor, "anchor" {
        /// From the day the stage started (the previous stage ended).
        StageStart => "stage-start", "from the start of the stage";
        /// Cumulative, from Day One / the day the escalation was raised (Dorset).
        DayOne => "day-one", "from Day One";
    }
}
