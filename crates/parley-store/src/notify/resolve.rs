//! Who a notification reaches: each queued notification (an outbox row) names a kind of
//! recipient; resolving it finds the people who hold that part for the escalation at that
//! moment, and the procedure's own address, and records a delivery for each. A kind that
//! reaches nobody is not dropped: it is recorded as undeliverable, saying who was looked for.
//!
//! Two servers resolving at once never resolve a row twice: a row is claimed, in the same
//! transaction as its deliveries, by moving its `sent_at_us` from NULL.

use std::collections::HashMap;
use std::str::FromStr;

use jiff::Timestamp;
use parley_core::names::{Recipient, ReferralLead};

use crate::StoreError;
use crate::notify::{MailMode, MailState};
use crate::records::Records;
use crate::rows::{
    DeliveryRow, EscalationAppointmentRow, EscalationOfficerRow, EscalationRow, NamedOfficerRow,
    OutboxRow, PersonRow,
};

/// How many outbox rows one transaction resolves.
const BATCH: i64 = 200;

/// What resolving reads, each read once per call (the moment of resolving).
#[derive(Debug, Default)]
pub(crate) struct Directory {
    people: HashMap<String, Vec<PersonRow>>,
    named: HashMap<String, Vec<NamedOfficerRow>>,
    modes: HashMap<String, HashMap<String, MailMode>>,
    escalations: HashMap<String, Option<Escalation>>,
}

/// What resolving needs of one escalation.
#[derive(Debug)]
struct Escalation {
    row: EscalationRow,
    officers: Vec<EscalationOfficerRow>,
    appointments: Vec<EscalationAppointmentRow>,
}

/// The people a recipient kind found, or why nobody.
struct Found<'a> {
    people: Vec<&'a PersonRow>,
    nobody: String,
}

impl Records {
    /// Resolves the outbox rows not yet resolved into deliveries, a transaction for every
    /// batch of rows, each row claimed in it (`UPDATE outbox SET sent_at_us = now WHERE id = ?
    /// AND sent_at_us IS NULL`), so two servers never resolve one row twice. Returns how many
    /// rows this call resolved.
    pub async fn resolve_outbox(&self, now: Timestamp) -> Result<usize, StoreError> {
        let now_us = now.as_microsecond();
        let mut directory = Directory::default();
        let mut resolved = 0;
        loop {
            let rows = self.store().unresolved_outbox(BATCH).await?;
            let mut planned = Vec::with_capacity(rows.len());
            for row in &rows {
                let deliveries = self.deliveries_for(&mut directory, row, now_us).await?;
                planned.push((row.id.clone(), deliveries));
            }
            let claimed = self.store().resolve_outbox_rows(now_us, &planned).await?;
            resolved += claimed.into_iter().filter(|c| *c).count();
            if rows.len() < BATCH as usize {
                return Ok(resolved);
            }
        }
    }

    /// The deliveries an outbox row resolves to now: one per person found and one for the
    /// procedure's address, or one undeliverable row saying who was looked for.
    pub(crate) async fn deliveries_for(
        &self,
        directory: &mut Directory,
        row: &OutboxRow,
        now_us: i64,
    ) -> Result<Vec<DeliveryRow>, StoreError> {
        let kind = Recipient::from_str(&row.recipient).map_err(|e| StoreError::Unreadable {
            partnership: row.partnership_id.clone(),
            seq: row.event_seq,
            message: format!("outbox row {}: recipient: {e}", row.id),
        })?;
        directory.load(self, row).await?;
        let found = directory.find(kind, row);
        let modes = directory.modes.get(&row.partnership_id);
        let delivery = |person_id: Option<&str>, address: Option<&str>, mail: MailState| {
            DeliveryRow {
                // Time-ordered: new deliveries go at the end of the indexes keyed by them.
                id: uuid::Uuid::now_v7().to_string(),
                outbox_id: row.id.clone(),
                partnership_id: row.partnership_id.clone(),
                escalation_id: row.escalation_id.clone(),
                person_id: person_id.map(str::to_owned),
                address: address.map(str::to_owned),
                created_at_us: row.created_at_us,
                read_at_us: None,
                mail: mail.as_str().to_owned(),
                attempts: 0,
                last_error: None,
                next_attempt_us: now_us,
                lease_until_us: None,
                leased_by: None,
                sent_at_us: None,
            }
        };
        let mut out = Vec::new();
        for person in &found.people {
            let email = person.email.trim();
            let mail = match modes.and_then(|m| m.get(&person.id)) {
                _ if email.is_empty() => MailState::Undeliverable,
                Some(MailMode::Daily) => MailState::Digest,
                _ => MailState::Pending,
            };
            let mut d = delivery(
                Some(&person.id),
                Some(email).filter(|e| !e.is_empty()),
                mail,
            );
            if mail == MailState::Undeliverable {
                d.last_error = Some(format!("{} has no e-mail address", person.name));
            }
            out.push(d);
        }
        // The procedure's own address (Croydon Appendix A: "Completed forms should be returned
        // to SafeguardingChildrenBoard@croydon.gov.uk"; Solihull §7: cpru@solihull.gov.uk).
        if let Some(address) = row
            .address
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty())
        {
            out.push(delivery(None, Some(address), MailState::Pending));
        }
        if out.is_empty() {
            let mut d = delivery(None, None, MailState::Undeliverable);
            d.last_error = Some(found.nobody);
            out.push(d);
        }
        Ok(out)
    }
}

impl Directory {
    /// Reads what `row` needs and this call has not read yet.
    async fn load(&mut self, records: &Records, row: &OutboxRow) -> Result<(), StoreError> {
        let store = records.store();
        let p = &row.partnership_id;
        if !self.people.contains_key(p) {
            self.people.insert(p.clone(), store.people(p).await?);
            self.named.insert(p.clone(), store.named_officers(p).await?);
            let mut modes = HashMap::new();
            for (person, mode) in store.mail_preferences(p).await? {
                let mode = MailMode::from_str(&mode).map_err(|e| {
                    StoreError::Invalid(format!("mail setting of person {person}: {e}"))
                })?;
                modes.insert(person, mode);
            }
            self.modes.insert(p.clone(), modes);
        }
        if let Some(id) = &row.escalation_id
            && !self.escalations.contains_key(id)
        {
            let found = match store.escalation(id).await? {
                Some(e) => Some(Escalation {
                    row: e,
                    officers: store.escalation_officers(id).await?,
                    appointments: store.escalation_appointments(id).await?,
                }),
                None => None,
            };
            self.escalations.insert(id.clone(), found);
        }
        Ok(())
    }

    /// The active people a recipient kind names for the row's escalation and stage.
    fn find(&self, kind: Recipient, row: &OutboxRow) -> Found<'_> {
        let people = self
            .people
            .get(&row.partnership_id)
            .map_or(&[][..], Vec::as_slice);
        let named = self
            .named
            .get(&row.partnership_id)
            .map_or(&[][..], Vec::as_slice);
        let escalation = row
            .escalation_id
            .as_ref()
            .and_then(|id| self.escalations.get(id))
            .and_then(Option::as_ref);
        let active = |id: &str| people.iter().find(|p| p.id == id && p.active);
        let with_role = |role: &str| -> Vec<&PersonRow> {
            people
                .iter()
                .filter(|p| p.active && p.roles.iter().any(|r| r == role))
                .collect()
        };
        let appointed = |lead: ReferralLead| -> Vec<&PersonRow> {
            escalation
                .map(|e| {
                    e.appointments
                        .iter()
                        .filter(|a| a.role == lead.actor().as_str())
                        .filter_map(|a| active(&a.person_id))
                        .collect()
                })
                .unwrap_or_default()
        };
        // The appointed person where there is one (Solihull §7: the child's IRO), else everyone
        // holding the role in the partnership.
        let appointed_or_role = |lead: ReferralLead| {
            let chosen = appointed(lead);
            if chosen.is_empty() {
                with_role(lead.as_str())
            } else {
                chosen
            }
        };
        let stage = row.stage;
        let no_escalation = || format!("outbox row {} names no escalation", row.id);
        let (people, nobody) = match kind {
            Recipient::StageLeads => match escalation {
                Some(e) => {
                    let agencies = [&e.row.raising_agency_id, &e.row.receiving_agency_id];
                    (
                        stage_leads(e, named, stage, &agencies, &active),
                        format!(
                            "no active named officer of either agency led stage {stage} of this escalation"
                        ),
                    )
                }
                None => (Vec::new(), no_escalation()),
            },
            Recipient::Raiser => match escalation {
                Some(e) => (
                    active(&e.row.raised_by).into_iter().collect(),
                    "the person who raised it is no longer active".to_owned(),
                ),
                None => (Vec::new(), no_escalation()),
            },
            Recipient::ReceivingAgency => match escalation {
                Some(e) => {
                    let mut found: Vec<&PersonRow> = e
                        .row
                        .receiving_person_id
                        .as_deref()
                        .and_then(active)
                        .into_iter()
                        .collect();
                    found.extend(stage_leads(
                        e,
                        named,
                        stage,
                        &[&e.row.receiving_agency_id],
                        &active,
                    ));
                    (
                        found,
                        format!(
                            "nobody active was named as receiving it, and no active named officer of the receiving agency led stage {stage}"
                        ),
                    )
                }
                None => (Vec::new(), no_escalation()),
            },
            Recipient::PartnershipBusinessTeam => {
                let role = ReferralLead::PartnershipBusinessTeam.as_str();
                (with_role(role), role_missing(role))
            }
            Recipient::IndependentReviewingOfficer => {
                let lead = ReferralLead::IndependentReviewingOfficer;
                (appointed_or_role(lead), role_missing(lead.as_str()))
            }
            Recipient::ChildProtectionReviewingServiceManager => {
                let lead = ReferralLead::CpReviewingServiceManager;
                (appointed_or_role(lead), role_missing(lead.as_str()))
            }
            Recipient::SafeguardingPartners => {
                let leads = [
                    ReferralLead::SafeguardingPartnersExecutive,
                    ReferralLead::DelegatedSafeguardingPartner,
                ];
                let mut found: Vec<&PersonRow> = leads.into_iter().flat_map(appointed).collect();
                found.extend(leads.iter().flat_map(|l| with_role(l.as_str())));
                (
                    found,
                    format!(
                        "no active person holds the role {} or {} in this partnership",
                        leads[0].as_str(),
                        leads[1].as_str()
                    ),
                )
            }
        };
        let mut unique: Vec<&PersonRow> = Vec::with_capacity(people.len());
        for p in people {
            if !unique.iter().any(|u| u.id == p.id) {
                unique.push(p);
            }
        }
        Found {
            people: unique,
            nobody,
        }
    }
}

fn role_missing(role: &str) -> String {
    format!("no active person holds the role {role} in this partnership")
}

/// The escalation's officers for `stage` in the given agencies (its record of officers, kept as
/// it entered the stage and as officers were named): for each agency, those who still hold
/// the post where any does, otherwise every one recorded; active people only.
fn stage_leads<'a>(
    e: &Escalation,
    named: &[NamedOfficerRow],
    stage: i64,
    agencies: &[&String],
    active: &dyn Fn(&str) -> Option<&'a PersonRow>,
) -> Vec<&'a PersonRow> {
    let mut out = Vec::new();
    for agency in agencies {
        let recorded: Vec<&EscalationOfficerRow> = e
            .officers
            .iter()
            .filter(|o| o.stage == stage && &o.agency_id == *agency)
            .collect();
        let holding: Vec<&&EscalationOfficerRow> = recorded
            .iter()
            .filter(|o| {
                named.iter().any(|n| {
                    n.agency_id == o.agency_id && n.stage == o.stage && n.person_id == o.person_id
                })
            })
            .collect();
        let chosen: Vec<&str> = if holding.is_empty() {
            recorded.iter().map(|o| o.person_id.as_str()).collect()
        } else {
            holding.iter().map(|o| o.person_id.as_str()).collect()
        };
        out.extend(chosen.into_iter().filter_map(active));
    }
    out
}
