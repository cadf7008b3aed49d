//! What the demo does for the notices (issue 15): a person for every partnership role its
//! procedure's notifications go to, and the deadline monitor recording, night by night, what
//! passed after each escalation's last action.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use parley_core::names::{Recipient, ReferralLead};
use parley_core::procedure::Procedure;

use super::{date_error, local};
use parley_store::StoreError;
use parley_store::records::Records;

/// The partnership roles the procedure's notifications go to that none of `held` fills, one
/// role for each recipient kind: the demo gives each a person.
pub(super) fn roles_notified(procedure: &Procedure, held: &[&str]) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for rule in &procedure.notifications {
        // Any of these roles reaches the kind; the first is the one the demo fills.
        let roles: &[ReferralLead] = match rule.to {
            Recipient::IndependentReviewingOfficer => &[ReferralLead::IndependentReviewingOfficer],
            Recipient::ChildProtectionReviewingServiceManager => {
                &[ReferralLead::CpReviewingServiceManager]
            }
            // Sunderland step 4: "brought to the attention of the statutory safeguarding
            // partners", through their delegates.
            Recipient::SafeguardingPartners => &[
                ReferralLead::DelegatedSafeguardingPartner,
                ReferralLead::SafeguardingPartnersExecutive,
            ],
            Recipient::PartnershipBusinessTeam => &[ReferralLead::PartnershipBusinessTeam],
            Recipient::StageLeads | Recipient::Raiser | Recipient::ReceivingAgency => &[],
        };
        let filled = roles
            .iter()
            .any(|r| held.contains(&r.as_str()) || out.contains(&r.as_str()));
        if let (false, Some(first)) = (filled, roles.first()) {
            out.push(first.as_str());
        }
    }
    out
}

/// Runs the deadline monitor as a running Parley would have, at a quarter past midnight (a
/// deadline is the end of its day, DESIGN.md §5) on each night from the earliest wake date of
/// any escalation up to `now`, skipping the nights with nothing due. Returns how many events
/// it recorded. An escalation whose last action came after a night is left to the next one
/// (the monitor never records before an escalation's last event).
pub(super) async fn monitor_nights(
    records: &Records,
    tz: &TimeZone,
    now: Timestamp,
) -> Result<usize, StoreError> {
    let mut recorded = 0;
    let mut night: Option<jiff::civil::Date> = None;
    loop {
        let mut earliest: Option<jiff::civil::Date> = None;
        for p in records.store().partnerships().await? {
            if let Some(w) = records.store().earliest_wake(&p.id).await? {
                let w = w.parse().map_err(date_error)?;
                earliest = Some(earliest.map_or(w, |e: jiff::civil::Date| e.min(w)));
            }
        }
        let Some(wake) = earliest else { break };
        // Never the same night twice: what it left is due from a later one.
        let next = match night {
            Some(n) => wake.max(n.tomorrow().map_err(date_error)?),
            None => wake,
        };
        let at = local(tz, next, 15)?;
        if at > now {
            break;
        }
        let report = records.deadline_pass(at).await?;
        if let Some((id, why)) = report.failed.first() {
            return Err(StoreError::Invalid(format!(
                "the demo's deadline monitor could not record what was due for escalation {id}: {why}"
            )));
        }
        recorded += report.recorded + report.reminders;
        night = Some(next);
    }
    Ok(recorded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use parley_core::roles;

    #[test]
    fn only_the_roles_nobody_holds_are_added() {
        let sunderland = parley_core::seeds::get("sunderland")
            .and_then(Result::ok)
            .unwrap_or_else(|| unreachable!());
        assert_eq!(
            roles_notified(
                &sunderland,
                &[roles::INDEPENDENT_SCRUTINEER, roles::BUSINESS_TEAM]
            ),
            vec![roles::DELEGATED_SAFEGUARDING_PARTNER]
        );
        assert!(
            roles_notified(
                &sunderland,
                &[roles::SAFEGUARDING_PARTNERS_EXECUTIVE, roles::BUSINESS_TEAM]
            )
            .is_empty()
        );
    }
}
