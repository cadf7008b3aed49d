//! The access roles Parley knows, by their stored names, in one place: the web's access rules,
//! the records' notices and the demo all take them from here.
//!
//! The first five are posts in the product (practitioner, manager, senior manager, the
//! partnership business team, administrator); the others are the people the procedures name
//! for their final stages and referrals (issue 14, item 4), who hold no post in an agency's
//! line of management.

pub const PRACTITIONER: &str = "practitioner";
pub const MANAGER: &str = "manager";
pub const SENIOR_MANAGER: &str = "senior-manager";
pub const BUSINESS_TEAM: &str = "partnership-business-team";
pub const ADMINISTRATOR: &str = "administrator";
// The people of the final stages and of referrals (issue 14, item 4). They hold no post in an
// agency's line of management; the business team appoints them to an escalation where the
// procedure says so, or a referral step names them as its lead.
/// Solihull stage 4: "allocate a Chair of sufficient seniority, who is independent of the case".
pub const INDEPENDENT_CHAIR: &str = "independent-chair";
/// Croydon stage 5: the Safeguarding Partners Executive.
pub const SAFEGUARDING_PARTNERS_EXECUTIVE: &str = "safeguarding-partners-executive";
/// Sunderland step 4: the Independent Scrutineer.
pub const INDEPENDENT_SCRUTINEER: &str = "independent-scrutineer";
/// A Delegated Safeguarding Partner (Solihull stage 4, Sunderland, Croydon).
pub const DELEGATED_SAFEGUARDING_PARTNER: &str = "delegated-safeguarding-partner";
/// Solihull §7: the Independent Reviewing Officer.
pub const INDEPENDENT_REVIEWING_OFFICER: &str = "independent-reviewing-officer";
/// Solihull and Buckinghamshire 2.4.16: the Child Protection Reviewing Service Manager.
pub const CP_REVIEWING_SERVICE_MANAGER: &str = "cp-reviewing-service-manager";

/// The access roles, in the order they are listed.
pub const ROLES: [&str; 11] = [
    PRACTITIONER,
    MANAGER,
    SENIOR_MANAGER,
    BUSINESS_TEAM,
    ADMINISTRATOR,
    INDEPENDENT_CHAIR,
    SAFEGUARDING_PARTNERS_EXECUTIVE,
    INDEPENDENT_SCRUTINEER,
    DELEGATED_SAFEGUARDING_PARTNER,
    INDEPENDENT_REVIEWING_OFFICER,
    CP_REVIEWING_SERVICE_MANAGER,
];

/// The roles of the final stages' and referrals' people (see [`INDEPENDENT_CHAIR`]).
pub const PARTNERSHIP_ROLES: [&str; 6] = [
    INDEPENDENT_CHAIR,
    SAFEGUARDING_PARTNERS_EXECUTIVE,
    INDEPENDENT_SCRUTINEER,
    DELEGATED_SAFEGUARDING_PARTNER,
    INDEPENDENT_REVIEWING_OFFICER,
    CP_REVIEWING_SERVICE_MANAGER,
];

pub fn role_label(role: &str) -> &'static str {
    match role {
        PRACTITIONER => "Practitioner",
        MANAGER => "Manager",
        SENIOR_MANAGER => "Senior manager",
        BUSINESS_TEAM => "Partnership business team",
        ADMINISTRATOR => "Administrator",
        INDEPENDENT_CHAIR => "Independent chair",
        SAFEGUARDING_PARTNERS_EXECUTIVE => "Safeguarding Partners Executive",
        INDEPENDENT_SCRUTINEER => "Independent Scrutineer",
        DELEGATED_SAFEGUARDING_PARTNER => "Delegated Safeguarding Partner",
        INDEPENDENT_REVIEWING_OFFICER => "Independent Reviewing Officer",
        CP_REVIEWING_SERVICE_MANAGER => "Child Protection Reviewing Service Manager",
        _ => "Unknown role",
    }
}
