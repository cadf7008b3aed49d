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
    /// Who answers a proposal (issue 14, item 2): the other side, for an agreement that
    /// resolves the disagreement; or the person a stage's timescale is agreed with, where the
    /// procedure says so (Sunderland step 2: "within an agreed timescale with the
    /// practitioner raising the concern").
    Party, "party" {
        RaisingSide => "raising-side", "the raising side";
        ReceivingSide => "receiving-side", "the receiving side";
        Raiser => "raiser", "the person who raised it";
        Receiver => "receiver", "the person it was raised with";
    }
}

impl Party {
    /// A side as the party that answers.
    pub fn side(side: Side) -> Party {
        match side {
            Side::Raising => Party::RaisingSide,
            Side::Receiving => Party::ReceivingSide,
        }
    }

    /// The person a timescale can be agreed with (`agreed_with`): the raiser or the receiver.
    pub fn person(actor: Actor) -> Option<Party> {
        match actor {
            Actor::Raiser => Some(Party::Raiser),
            Actor::Receiver => Some(Party::Receiver),
            _ => None,
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
        /// A reminder, the rule's `before` working days ahead of a deadline (issue 15).
        DeadlineApproaching => "deadline-approaching", "before a deadline";
        Closed => "closed", "when it is closed";
    }
}

named_enum! {
    /// How an escalation closed, as a notification names it: its status without the detail
    /// (which resolution, referral or redirection), as the records store it (`closed:<name>`).
    ClosedAs, "closing" {
        Resolved => "resolved", "resolved";
        ReferredOn => "referred-on", "referred on";
        Withdrawn => "withdrawn", "withdrawn";
        Redirected => "redirected", "redirected to another procedure";
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

named_enum! {
    /// Which date is an escalation's Day One, from which its timescales count (issue 14,
    /// item 7): the day it is raised in Parley, or the date of the decision to raise it, given
    /// when raising (Dorset §4: "The date of this decision is Day One").
    DayOneFrom, "day one" {
        Raised => "raised", "the day it is raised";
        DecisionDate => "decision-date", "the date of the decision to raise it";
    }
}

named_enum! {
    /// Who leads a referral step (issue 14, item 5): the people of the partnership holding
    /// this role. The names are the web layer's partnership roles (`access::PARTNERSHIP_ROLES`)
    /// and the business team's; a test there keeps the two lists in step.
    ReferralLead, "referral lead" {
        IndependentChair => "independent-chair", "Independent chair";
        SafeguardingPartnersExecutive => "safeguarding-partners-executive", "Safeguarding Partners Executive";
        IndependentScrutineer => "independent-scrutineer", "Independent Scrutineer";
        DelegatedSafeguardingPartner => "delegated-safeguarding-partner", "Delegated Safeguarding Partner";
        IndependentReviewingOfficer => "independent-reviewing-officer", "Independent Reviewing Officer";
        CpReviewingServiceManager => "cp-reviewing-service-manager", "Child Protection Reviewing Service Manager";
        PartnershipBusinessTeam => "partnership-business-team", "Partnership business team";
    }
}

impl ReferralLead {
    /// The capacity a referral step's lead acts in at the stage the escalation was referred
    /// from (a stage's `may` lists name them so).
    pub fn actor(self) -> Actor {
        match self {
            ReferralLead::IndependentChair => Actor::IndependentChair,
            ReferralLead::SafeguardingPartnersExecutive => Actor::SafeguardingPartnersExecutive,
            ReferralLead::IndependentScrutineer => Actor::IndependentScrutineer,
            ReferralLead::DelegatedSafeguardingPartner => Actor::DelegatedSafeguardingPartner,
            ReferralLead::IndependentReviewingOfficer => Actor::IndependentReviewingOfficer,
            ReferralLead::CpReviewingServiceManager => Actor::CpReviewingServiceManager,
            ReferralLead::PartnershipBusinessTeam => Actor::PartnershipBusinessTeam,
        }
    }
}

named_enum! {
    /// What a person may do at a stage (issue 14, item 3): the keys of a stage's `may` table.
    /// `redirect` and the later meeting and referral steps are named here so that a file can
    /// say who takes them; a referral step's lead acts through `refer-on`.
    StageAction, "action" {
        Escalate => "escalate", "escalate it";
        Resolve => "resolve", "resolve it";
        AgreeTimescale => "agree-timescale", "agree a timescale";
        ConveneMeeting => "convene-meeting", "convene a meeting";
        ReferOn => "refer-on", "refer it on";
        Redirect => "redirect", "redirect it to another procedure";
        Withdraw => "withdraw", "withdraw it";
        Record => "record", "write the stage record";
        /// Send (or update) the partnership form (Croydon Appendix A, Sunderland Appendix 1).
        SendPartnershipForm => "send-partnership-form", "send the partnership form";
    }
}

impl StageAction {
    /// Actions that are the raising side's only (today's rule: withdrawing is the raising
    /// side's; redirecting a challenge it raised is, too; the partnership form is the raising
    /// agency's: Croydon Appendix A, "from the agency raising the concerns").
    pub fn raising_side_only(self) -> bool {
        matches!(
            self,
            StageAction::Withdraw | StageAction::Redirect | StageAction::SendPartnershipForm
        )
    }
}

named_enum! {
    /// Who may take an action at a stage, relative to the escalation (issue 14, item 3), and
    /// the people appointed to it in a partnership role (item 4; the strings of the web's
    /// `access::PARTNERSHIP_ROLES`).
    Actor, "actor" {
        Raiser => "raiser", "the person who raised it";
        Receiver => "receiver", "the person it was raised with";
        /// The current stage's named officers still in post, in either agency.
        StageLeads => "stage-leads", "the named officers for the stage";
        /// Line managers (at any distance) of the raiser, the receiver or an acting officer.
        Managers => "managers", "their line managers";
        PartnershipBusinessTeam => "partnership-business-team", "the partnership business team";
        IndependentChair => "independent-chair", "the independent chair appointed to it";
        SafeguardingPartnersExecutive => "safeguarding-partners-executive", "the Safeguarding Partners Executive appointed to it";
        IndependentScrutineer => "independent-scrutineer", "the Independent Scrutineer appointed to it";
        DelegatedSafeguardingPartner => "delegated-safeguarding-partner", "the Delegated Safeguarding Partner appointed to it";
        IndependentReviewingOfficer => "independent-reviewing-officer", "the Independent Reviewing Officer appointed to it";
        CpReviewingServiceManager => "cp-reviewing-service-manager", "the Child Protection Reviewing Service Manager appointed to it";
    }
}

impl Actor {
    /// Whether this is a partnership role a person is appointed to an escalation in.
    pub fn is_appointed(self) -> bool {
        !matches!(
            self,
            Actor::Raiser
                | Actor::Receiver
                | Actor::StageLeads
                | Actor::Managers
                | Actor::PartnershipBusinessTeam
        )
    }

    /// The partnership roles people are appointed in.
    pub fn appointed() -> impl Iterator<Item = Actor> {
        Actor::ALL.iter().copied().filter(|a| a.is_appointed())
    }
}

named_enum! {
    /// A person's role as far as raising goes: who may raise on a route (`raised_by`).
    RaiserRole, "raiser role" {
        Practitioner => "practitioner", "practitioners";
        Manager => "manager", "managers";
        SeniorManager => "senior-manager", "senior managers";
    }
}
