//! Notices (issue 15): each queued notification resolved to the people and addresses it
//! reaches, the mail queue's leases, the inbox and the administrators' retry, on both backends.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use jiff::Timestamp;
use parley_core::escalation::Event;
use parley_core::names::{Recipient, ReferralLead};
use parley_store::notify::{Delivery, DeliveryFilter, MailMode, MailState};
use parley_store::records::{Actor, PersonInput, RaiseInput, Records};

use super::monitor::day;
use super::{at, backends};

/// A partnership running a built-in procedure with a school and children's social care, a named
/// officer of each for every stage, and one person in each partnership role given.
pub(crate) struct Town {
    pub partnership: String,
    pub school: String,
    pub council: String,
    pub teacher: String,
    pub social_worker: String,
    /// Stage -> (the school's officer, the council's officer).
    pub officers: BTreeMap<i64, (String, String)>,
    pub procedure: parley_core::procedure::Procedure,
}

pub(crate) const PARTNERSHIP_ROLES: [ReferralLead; 5] = [
    ReferralLead::PartnershipBusinessTeam,
    ReferralLead::IndependentReviewingOfficer,
    ReferralLead::CpReviewingServiceManager,
    ReferralLead::SafeguardingPartnersExecutive,
    ReferralLead::DelegatedSafeguardingPartner,
];

pub(crate) async fn town(records: &Records, procedure: &str, roles: &[ReferralLead]) -> Town {
    let source = parley_core::seeds::source(procedure).unwrap();
    let parsed = parley_core::procedure::parse(source).unwrap();
    let admin = Actor::SYSTEM;
    let partnership = records
        .create_partnership(at(0), &admin, "Test Partnership", Some("TSP"), source)
        .await
        .unwrap();
    let school = records
        .add_agency(at(1), &admin, &partnership, "Oak Primary", "education")
        .await
        .unwrap();
    let council = records
        .add_agency(
            at(1),
            &admin,
            &partnership,
            "Children's Social Care",
            "local-authority",
        )
        .await
        .unwrap();
    let person = |agency: Option<&str>, name: &str, role: &str| PersonInput {
        agency_id: agency.map(str::to_owned),
        name: name.to_owned(),
        email: format!("{}@example.org", name.to_lowercase().replace(' ', ".")),
        job_title: "Officer".to_owned(),
        roles: vec![role.to_owned()],
        line_manager_id: None,
        active: true,
    };
    let save = |p: PersonInput| {
        let partnership = partnership.clone();
        async move {
            records
                .save_person(at(2), &Actor::SYSTEM, &partnership, None, p)
                .await
                .unwrap()
        }
    };
    let teacher = save(person(Some(&school), "Ada Teacher", "practitioner")).await;
    let social_worker = save(person(Some(&council), "Sam Worker", "practitioner")).await;
    let mut officers = BTreeMap::new();
    for stage in 1..=i64::try_from(parsed.stages.len()).unwrap() {
        let a = save(person(
            Some(&school),
            &format!("School Lead {stage}"),
            "manager",
        ))
        .await;
        let b = save(person(
            Some(&council),
            &format!("Council Lead {stage}"),
            "manager",
        ))
        .await;
        for (agency, who) in [(&school, &a), (&council, &b)] {
            records
                .set_named_officer(at(3), &admin, &partnership, agency, stage, Some(who))
                .await
                .unwrap();
        }
        officers.insert(stage, (a, b));
    }
    let mut held = BTreeMap::new();
    for role in roles {
        let id = save(person(
            None,
            &format!("Holder {}", role.as_str()),
            role.as_str(),
        ))
        .await;
        held.insert(role.as_str().to_owned(), id);
    }
    Town {
        partnership,
        school,
        council,
        teacher,
        social_worker,
        officers,
        procedure: parsed,
    }
}

/// A raise about a child on a child protection plan, in the procedure's category that calls
/// for the most notifications (Buckinghamshire 2.4.16: a conference decision).
pub(crate) fn raise_input(t: &Town, on: Timestamp) -> RaiseInput {
    let category = t
        .procedure
        .categories
        .iter()
        .find(|c| c.id == "cp-conference")
        .or(t.procedure.categories.first())
        .map(|c| c.id.clone())
        .unwrap();
    let zone = t.procedure.calendar.time_zone.clone();
    RaiseInput {
        route: "individual".to_owned(),
        child_status: Some("child-protection-plan".to_owned()),
        child: None,
        category,
        raised_by: t.teacher.clone(),
        raising_agency_id: t.school.clone(),
        receiving_agency_id: t.council.clone(),
        receiving_person_id: Some(t.social_worker.clone()),
        summary: "Referral not accepted".to_owned(),
        decision: "Closed with no further action.".to_owned(),
        evidence: "Three incidents.".to_owned(),
        outcome_wanted: "An assessment.".to_owned(),
        decided_on: t
            .procedure
            .day_one
            .takes_decision_date()
            .then(|| on.to_zoned(zone).date()),
    }
}

/// Raises one escalation and takes it through every stage it can reach, lets a deadline pass
/// and withdraws it: every trigger of the procedure's notification rules fires.
async fn whole_story(records: &Records, t: &Town) -> String {
    let teacher = Actor::person(&t.teacher);
    let e = records
        .raise(at(10), &teacher, &t.partnership, raise_input(t, at(10)))
        .await
        .unwrap();
    let mut version = e.version;
    for n in 0..10 {
        match records
            .act(
                at(20 + n),
                &teacher,
                &e.id,
                version,
                &Event::Escalated,
                None,
            )
            .await
        {
            Ok(v) => version = v,
            Err(_) => break,
        }
    }
    let report = records.deadline_pass(day(60, 0)).await.unwrap();
    assert!(report.recorded > 0, "{report:?}");
    let row = records.store().escalation(&e.id).await.unwrap().unwrap();
    records
        .act(
            day(60, 1),
            &teacher,
            &e.id,
            row.version,
            &Event::Withdrawn,
            None,
        )
        .await
        .unwrap();
    e.id
}

async fn all_deliveries(records: &Records, partnership: &str) -> Vec<Delivery> {
    let (rows, total) = records
        .deliveries(partnership, DeliveryFilter::All, 1, 10_000)
        .await
        .unwrap();
    assert_eq!(rows.len() as u64, total);
    rows
}

#[tokio::test]
async fn every_recipient_kind_of_every_built_in_procedure_reaches_somebody() {
    for db in backends().await {
        let b = db.backend;
        for (procedure, _) in parley_core::seeds::SEEDS {
            let records = db.records().await;
            let t = town(&records, procedure, &PARTNERSHIP_ROLES).await;
            let escalation = whole_story(&records, &t).await;
            let outbox = records.store().outbox(&t.partnership).await.unwrap();
            let resolved = records.resolve_outbox(day(60, 2)).await.unwrap();
            assert_eq!(resolved, outbox.len(), "{b:?} {procedure}");
            assert_eq!(records.resolve_outbox(day(60, 3)).await.unwrap(), 0);
            let deliveries = all_deliveries(&records, &t.partnership).await;
            let undeliverable: Vec<&Delivery> = deliveries
                .iter()
                .filter(|d| d.mail == MailState::Undeliverable)
                .collect();
            assert!(
                undeliverable.is_empty(),
                "{b:?} {procedure}: {undeliverable:#?}"
            );
            // Every kind the procedure names was called for, and reached a person.
            let wanted: BTreeSet<Recipient> =
                t.procedure.notifications.iter().map(|n| n.to).collect();
            let reached: BTreeSet<Recipient> = deliveries
                .iter()
                .filter(|d| d.person_id.is_some())
                .map(|d| d.recipient)
                .collect();
            assert_eq!(reached, wanted, "{b:?} {procedure}");
            // Each outbox row has its deliveries, and the record of the escalation shows them.
            for o in &outbox {
                assert!(deliveries.iter().any(|d| d.outbox_id == o.id), "{o:?}");
            }
            // (The rest are the reminders of reports the procedure calls for, issue 17: about
            // no escalation.)
            let told = records.escalation_deliveries(&escalation).await.unwrap();
            let about_it = deliveries
                .iter()
                .filter(|d| d.escalation_id.as_deref() == Some(escalation.as_str()))
                .count();
            assert_eq!(told.len(), about_it);
            assert_eq!(
                deliveries.len() - about_it,
                deliveries
                    .iter()
                    .filter(|d| matches!(
                        d.reason,
                        parley_core::escalation::Reason::ReportDue { .. }
                    ))
                    .count()
            );
            // Who each kind reached.
            let to = |kind: Recipient| -> BTreeSet<String> {
                deliveries
                    .iter()
                    .filter(|d| d.recipient == kind)
                    .filter_map(|d| d.person_id.clone())
                    .collect()
            };
            assert_eq!(to(Recipient::Raiser), BTreeSet::from([t.teacher.clone()]));
            assert!(to(Recipient::ReceivingAgency).contains(&t.social_worker));
            let first = &t.officers[&1];
            assert!(
                to(Recipient::StageLeads)
                    .is_superset(&BTreeSet::from([first.0.clone(), first.1.clone()])),
                "{procedure}"
            );
            for d in deliveries.iter().filter(|d| d.person_id.is_some()) {
                assert_eq!(d.mail, MailState::Pending);
                assert!(d.address.as_deref().unwrap().ends_with("@example.org"));
            }
        }
    }
}

#[tokio::test]
async fn a_kind_that_reaches_nobody_is_undeliverable_with_why_and_can_be_retried() {
    for db in backends().await {
        let records = db.records().await;
        // Buckinghamshire 2.4.24 tells the BSCP team when senior officers are involved
        // (stage 3), with no address of its own; this partnership has no business team.
        let t = town(&records, "buckinghamshire", &[]).await;
        let teacher = Actor::person(&t.teacher);
        let e = records
            .raise(at(10), &teacher, &t.partnership, raise_input(&t, at(10)))
            .await
            .unwrap();
        let v = records
            .act(at(20), &teacher, &e.id, 1, &Event::Escalated, None)
            .await
            .unwrap();
        records
            .act(at(21), &teacher, &e.id, v, &Event::Escalated, None)
            .await
            .unwrap();
        records.resolve_outbox(at(30)).await.unwrap();
        let (failed, total) = records
            .deliveries(&t.partnership, DeliveryFilter::Failed, 1, 50)
            .await
            .unwrap();
        let team: Vec<&Delivery> = failed
            .iter()
            .filter(|d| d.recipient == Recipient::PartnershipBusinessTeam)
            .collect();
        assert_eq!(team.len(), 1, "{:?}: {failed:#?}", db.backend);
        let d = team[0];
        assert_eq!(d.mail, MailState::Undeliverable);
        assert_eq!((d.person_id.as_deref(), d.address.as_deref()), (None, None));
        assert_eq!(
            d.last_error.as_deref(),
            Some("no active person holds the role partnership-business-team in this partnership")
        );
        assert_eq!(total as usize, failed.len());
        // Retried with nobody yet: nothing changes. Once someone holds the role: they are told.
        assert!(
            !records
                .retry_delivery(&t.partnership, &d.id, at(40))
                .await
                .unwrap()
        );
        assert!(
            !records
                .retry_delivery("elsewhere", &d.id, at(40))
                .await
                .unwrap()
        );
        let manager = records
            .save_person(
                at(41),
                &Actor::SYSTEM,
                &t.partnership,
                None,
                PersonInput {
                    agency_id: None,
                    name: "Bea Manager".to_owned(),
                    email: "bea@example.org".to_owned(),
                    job_title: "Business manager".to_owned(),
                    roles: vec!["partnership-business-team".to_owned()],
                    line_manager_id: None,
                    active: true,
                },
            )
            .await
            .unwrap();
        assert!(
            records
                .retry_delivery(&t.partnership, &d.id, at(42))
                .await
                .unwrap()
        );
        assert!(records.delivery(&d.id).await.unwrap().is_none(), "replaced");
        let (inbox, _) = records.inbox(&manager, 1, 10).await.unwrap();
        assert_eq!(inbox.len(), 1);
        assert_eq!(inbox[0].outbox_id, d.outbox_id);
        assert!(
            !records
                .retry_delivery(&t.partnership, &d.id, at(43))
                .await
                .unwrap()
        );
    }
}

/// Raises `n` Solihull escalations and withdraws them: each tells its stage leads, the IRO
/// (and cpru@solihull.gov.uk), the raiser and the receiving agency.
async fn busy_town(records: &Records, n: i64) -> Town {
    let t = town(records, "solihull", &PARTNERSHIP_ROLES).await;
    let teacher = Actor::person(&t.teacher);
    for i in 0..n {
        let e = records
            .raise(
                at(10 + i),
                &teacher,
                &t.partnership,
                raise_input(&t, at(10)),
            )
            .await
            .unwrap();
        records
            .act(at(100 + i), &teacher, &e.id, 1, &Event::Withdrawn, None)
            .await
            .unwrap();
    }
    t
}

#[tokio::test]
async fn two_servers_resolving_at_once_never_double_a_delivery() {
    for db in backends().await {
        let one = db.records().await;
        let two = db.records().await;
        let t = busy_town(&one, 20).await;
        let outbox = one.store().outbox(&t.partnership).await.unwrap();
        let (a, c) = tokio::join!(one.resolve_outbox(at(200)), two.resolve_outbox(at(200)));
        let (a, c) = (a.unwrap(), c.unwrap());
        assert_eq!(a + c, outbox.len(), "{:?}: {a} + {c}", db.backend);
        let deliveries = all_deliveries(&one, &t.partnership).await;
        let mut seen = BTreeSet::new();
        for d in &deliveries {
            assert!(
                seen.insert((d.outbox_id.clone(), d.person_id.clone(), d.address.clone())),
                "{:?}: twice: {d:?}",
                db.backend
            );
        }
        for o in &outbox {
            assert!(deliveries.iter().any(|d| d.outbox_id == o.id));
        }
    }
}

#[tokio::test]
async fn mail_is_leased_to_one_worker_and_marked_only_by_the_one_holding_it() {
    for db in backends().await {
        let b = db.backend;
        let one = db.records().await;
        let two = db.records().await;
        let t = busy_town(&one, 6).await;
        one.resolve_outbox(at(200)).await.unwrap();
        let pending = one
            .deliveries(&t.partnership, DeliveryFilter::Pending, 1, 1000)
            .await
            .unwrap()
            .1;
        assert!(pending >= 20, "{b:?}: {pending}");
        let ps = [t.partnership.clone()];
        let lease = Duration::from_secs(60);
        let now = at(300);

        // Two workers at once: disjoint rows.
        let (a, c) = tokio::join!(
            one.lease_mail(now, "a", lease, 8, &ps),
            two.lease_mail(now, "c", lease, 8, &ps)
        );
        let (a, c) = (a.unwrap(), c.unwrap());
        assert_eq!((a.len(), c.len()), (8, 8), "{b:?}");
        let ids_a: BTreeSet<&str> = a.iter().map(|d| d.id.as_str()).collect();
        assert!(c.iter().all(|d| !ids_a.contains(d.id.as_str())), "{b:?}");
        assert!(
            a.iter()
                .all(|d| d.mail == MailState::Pending && d.person_id.is_some()
                    || d.address.is_some())
        );
        // Other partnerships' rows are not leased.
        assert!(
            one.lease_mail(now, "x", lease, 100, &["elsewhere".to_owned()])
                .await
                .unwrap()
                .is_empty()
        );

        // A lease that expired is leased again; the worker that lost it cannot mark the row.
        let later = at(302);
        let again = two.lease_mail(later, "d", lease, 1000, &ps).await.unwrap();
        assert!(
            ids_a.iter().all(|id| again.iter().any(|d| d.id == *id)),
            "{b:?}"
        );
        let lost = &a[0].id;
        assert!(!one.mail_sent(lost, "a", later).await.unwrap(), "{b:?}");
        assert!(two.mail_sent(lost, "d", later).await.unwrap());
        assert!(!two.mail_sent(lost, "d", later).await.unwrap(), "sent once");
        let sent = one.delivery(lost).await.unwrap().unwrap();
        assert_eq!((sent.mail, sent.attempts), (MailState::Sent, 1));
        assert!(sent.sent_at_us.is_some());

        // A temporary failure waits until its retry; a permanent one is failed for good.
        let (soon, never) = (&a[1].id, &a[2].id);
        let retry = at(320);
        assert!(
            two.mail_failed(soon, "d", later, "421 try later", Some(retry))
                .await
                .unwrap()
        );
        assert!(
            two.mail_failed(never, "d", later, "550 no such user", None)
                .await
                .unwrap()
        );
        assert!(!one.mail_failed(soon, "a", later, "x", None).await.unwrap());
        let waiting = one.delivery(soon).await.unwrap().unwrap();
        assert_eq!(
            (
                waiting.mail,
                waiting.attempts,
                waiting.last_error.as_deref()
            ),
            (MailState::Pending, 1, Some("421 try later"))
        );
        let failed = one.delivery(never).await.unwrap().unwrap();
        assert_eq!(failed.mail, MailState::Failed);
        let leasable = |list: Vec<Delivery>, id: &str| list.iter().any(|d| d.id == id);
        // Everything else is still leased to "d": only the failed rows can come back.
        let before = one
            .lease_mail(at(319), "e", lease, 1000, &ps)
            .await
            .unwrap();
        assert!(!leasable(before, soon), "{b:?}: before its retry");
        let after = one.lease_mail(retry, "e", lease, 1000, &ps).await.unwrap();
        assert!(leasable(after, soon));
        let (failures, _) = one
            .deliveries(&t.partnership, DeliveryFilter::Failed, 1, 100)
            .await
            .unwrap();
        assert!(failures.iter().any(|d| d.id == *never));
        // An administrator retries it: pending now, and leased again.
        assert!(
            one.retry_delivery(&t.partnership, never, at(330))
                .await
                .unwrap()
        );
        assert!(
            !one.retry_delivery(&t.partnership, never, at(330))
                .await
                .unwrap()
        );
        let retried = one
            .lease_mail(at(330), "f", lease, 1000, &ps)
            .await
            .unwrap();
        assert!(leasable(retried, never), "{b:?}");
    }
}

#[tokio::test]
async fn the_inbox_pages_newest_first_and_only_its_owner_marks_it_read() {
    for db in backends().await {
        let b = db.backend;
        let records = db.records().await;
        let t = busy_town(&records, 7).await;
        records.resolve_outbox(at(200)).await.unwrap();
        // The raiser is told of each closing (Solihull's rules tell the raiser when closed).
        let (all, total) = records.inbox(&t.teacher, 1, 100).await.unwrap();
        assert_eq!(all.len() as u64, total);
        assert!(total >= 7, "{b:?}: {total}");
        assert!(
            all.windows(2)
                .all(|w| (w[0].created_at_us, &w[0].id) >= (w[1].created_at_us, &w[1].id))
        );
        assert!(
            all.iter()
                .all(|d| d.person_id.as_deref() == Some(t.teacher.as_str()))
        );
        let (page2, again) = records.inbox(&t.teacher, 2, 3).await.unwrap();
        assert_eq!(again, total);
        assert_eq!(page2, all[3..6]);
        assert_eq!(records.unread_count(&t.teacher).await.unwrap(), total);

        let first = &all[0].id;
        assert!(
            !records
                .mark_read(&t.social_worker, first, at(300))
                .await
                .unwrap(),
            "not theirs"
        );
        assert!(records.mark_read(&t.teacher, first, at(300)).await.unwrap());
        assert!(
            !records.mark_read(&t.teacher, first, at(301)).await.unwrap(),
            "read already"
        );
        assert_eq!(records.unread_count(&t.teacher).await.unwrap(), total - 1);
        let others = records.unread_count(&t.social_worker).await.unwrap();
        assert!(others > 0);
        assert_eq!(
            records.mark_all_read(&t.teacher, at(302)).await.unwrap(),
            total - 1
        );
        assert_eq!(records.unread_count(&t.teacher).await.unwrap(), 0);
        assert_eq!(
            records.unread_count(&t.social_worker).await.unwrap(),
            others
        );
        let read = records.delivery(first).await.unwrap().unwrap();
        assert_eq!(read.read_at_us, Some(at(300).as_microsecond()));
    }
}

#[tokio::test]
async fn a_daily_summary_holds_a_persons_notifications_until_it_is_sent() {
    for db in backends().await {
        let records = db.records().await;
        let t = town(&records, "solihull", &PARTNERSHIP_ROLES).await;
        assert_eq!(records.mail_mode(&t.teacher).await.unwrap(), MailMode::Each);
        records
            .set_mail_mode(&t.teacher, MailMode::Daily)
            .await
            .unwrap();
        assert_eq!(
            records.mail_mode(&t.teacher).await.unwrap(),
            MailMode::Daily
        );
        let teacher = Actor::person(&t.teacher);
        for i in 0..3 {
            let e = records
                .raise(
                    at(10 + i),
                    &teacher,
                    &t.partnership,
                    raise_input(&t, at(10)),
                )
                .await
                .unwrap();
            records
                .act(at(100 + i), &teacher, &e.id, 1, &Event::Withdrawn, None)
                .await
                .unwrap();
        }
        records.resolve_outbox(at(200)).await.unwrap();
        let ps = [t.partnership.clone()];
        let leased = records
            .lease_mail(at(201), "w", Duration::from_secs(60), 1000, &ps)
            .await
            .unwrap();
        assert!(
            leased
                .iter()
                .all(|d| d.person_id.as_deref() != Some(t.teacher.as_str()))
        );
        let due = records.digest_due(&ps).await.unwrap();
        assert_eq!(due.len(), 1, "{:?}", db.backend);
        let (person, address, held) = &due[0];
        assert_eq!(
            (person.as_str(), address.as_str()),
            (t.teacher.as_str(), "ada.teacher@example.org")
        );
        assert_eq!(held.len(), 3);
        assert!(held.iter().all(|d| d.mail == MailState::Digest));
        // Still in the inbox meanwhile.
        assert_eq!(records.unread_count(&t.teacher).await.unwrap(), 3);
        let ids: Vec<String> = held.iter().map(|d| d.id.clone()).collect();
        records.digest_sent(&ids, at(300)).await.unwrap();
        assert!(records.digest_due(&ps).await.unwrap().is_empty());
        assert_eq!(
            records.delivery(&ids[0]).await.unwrap().unwrap().mail,
            MailState::Sent
        );
    }
}
