//! The five stories. Working days around Christmas 2026 in England and Wales: Friday 25 and
//! Monday 28 December and Friday 1 January are bank holidays, so the working days run
//! Mon 14, Tue 15, Wed 16, Thu 17, Fri 18, Mon 21, Tue 22, Wed 23, Thu 24, Tue 29, Wed 30,
//! Thu 31 December, Mon 4, Tue 5, Wed 6, Thu 7, Fri 8, Mon 11, Tue 12, Wed 13, Thu 14,
//! Fri 15, Mon 18, Tue 19, Wed 20 January. A reminder is one working day before the due date;
//! a deadline passes when its date has ended, so the overdue notice is in the inbox the next
//! calendar day (00:30) and its e-mail goes at the first mail hours of a working day.

use parley_core::escalation::Deadline;
use parley_core::names::Recipient;

use super::{Expect, Story, What, stage};

fn row(what: What, inbox: &'static str, mail: &'static str) -> Expect {
    Expect { what, inbox, mail }
}

/// Croydon: "Each stage should take no longer than 7 working days" (§4, "after": the start
/// day does not count); the CSCB is told from stage 3 on the Appendix A form, "Completed forms
/// should be returned to SafeguardingChildrenBoard@croydon.gov.uk", without the child.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn croydon_seven_working_days_a_stage_and_the_board_told_at_stage_3() {
    let Some(mut s) = Story::start("croydon", "2026-12-14").await else {
        return;
    };
    s.raise("child-in-need", None).await;
    // Stage 1 from Mon 14 Dec: 15, 16, 17, 18, 21, 22, 23 -> Wed 23 Dec. Escalated when it
    // has passed, on Thu 24 Dec: 29, 30, 31, 4, 5, 6, 7 -> Thu 7 Jan. Escalated on Fri 8 Jan:
    // 11, 12, 13, 14, 15, 18, 19 -> Tue 19 Jan.
    let due = [(1, "2026-12-23"), (2, "2027-01-07"), (3, "2027-01-19")];
    s.run("2027-01-20", &["2026-12-24", "2027-01-08"], &due)
        .await;
    let board = "SafeguardingChildrenBoard@croydon.gov.uk";
    s.check(&[
        row(What::Reminder(stage(1)), "2026-12-22", "2026-12-22"),
        row(What::Overdue(stage(1)), "2026-12-24", "2026-12-24"),
        row(What::Reminder(stage(2)), "2027-01-06", "2027-01-06"),
        row(What::Overdue(stage(2)), "2027-01-08", "2027-01-08"),
        row(
            What::Told(Recipient::PartnershipBusinessTeam, 3, Some(board)),
            "2027-01-08",
            "2027-01-08",
        ),
        row(What::Reminder(stage(3)), "2027-01-18", "2027-01-18"),
        row(What::Overdue(stage(3)), "2027-01-20", "2027-01-20"),
    ])
    .await;
}

/// Solihull §4: stage 1 within 1 working day of initiation, stages 2 and 3 within 2 of the
/// last. The SSCP Business Manager (sscp@solihull.gov.uk) from stage 2 (§3); for a child on a
/// child protection plan, "secure notification should also be sent to cpru@solihull.gov.uk"
/// for the IRO at every stage (§7). Raised on Wed 23 Dec, the DESIGN example: due Thu 24 Dec,
/// reminded the same day; overdue on Christmas Day, e-mailed on Tue 29 Dec.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn solihull_one_working_day_over_christmas_and_the_iro_at_every_stage() {
    let Some(mut s) = Story::start("solihull", "2026-12-23").await else {
        return;
    };
    s.raise("child-protection-plan", None).await;
    // Stage 2 from Tue 29 Dec: 30, 31 -> Thu 31 Dec. Stage 3 from Mon 4 Jan: 5, 6 -> Wed 6 Jan.
    let due = [(1, "2026-12-24"), (2, "2026-12-31"), (3, "2027-01-06")];
    s.run("2027-01-07", &["2026-12-29", "2027-01-04"], &due)
        .await;
    let sscp = Some("sscp@solihull.gov.uk");
    let cpru = Some("cpru@solihull.gov.uk");
    let iro = Recipient::IndependentReviewingOfficer;
    let business = Recipient::PartnershipBusinessTeam;
    s.check(&[
        row(What::Reminder(stage(1)), "2026-12-23", "2026-12-23"),
        row(What::Overdue(stage(1)), "2026-12-25", "2026-12-29"),
        row(What::Reminder(stage(2)), "2026-12-30", "2026-12-30"),
        row(What::Overdue(stage(2)), "2027-01-01", "2027-01-04"),
        row(What::Reminder(stage(3)), "2027-01-05", "2027-01-05"),
        row(What::Overdue(stage(3)), "2027-01-07", "2027-01-07"),
        row(What::Told(business, 2, sscp), "2026-12-29", "2026-12-29"),
        row(What::Told(business, 3, sscp), "2027-01-04", "2027-01-04"),
        row(What::Told(iro, 1, cpru), "2026-12-23", "2026-12-23"),
        row(What::Told(iro, 2, cpru), "2026-12-29", "2026-12-29"),
        row(What::Told(iro, 3, cpru), "2027-01-04", "2027-01-04"),
    ])
    .await;
}

/// Dorset §4: "The date of this decision is Day One"; stages due on working days 3, 6, 9 and
/// 12 from it, whenever each starts. The Partnership Business Team
/// (pan-dorsetscp@dorsetcouncil.gov.uk) at stage 3 and again at stage 4 (§7, §8).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dorset_counts_from_day_one_across_the_holidays() {
    let Some(mut s) = Story::start("dorset", "2026-12-22").await else {
        return;
    };
    // Day One Tue 22 Dec (1), Wed 23 (2), Thu 24 (3), Tue 29 (4), Wed 30 (5), Thu 31 (6),
    // Mon 4 Jan (7), Tue 5 (8), Wed 6 (9), Thu 7 (10), Fri 8 (11), Mon 11 (12).
    s.raise("child-in-need", Some("2026-12-22")).await;
    let due = [
        (1, "2026-12-24"),
        (2, "2026-12-31"),
        (3, "2027-01-06"),
        (4, "2027-01-11"),
    ];
    s.run(
        "2027-01-12",
        &["2026-12-29", "2027-01-04", "2027-01-07"],
        &due,
    )
    .await;
    let team = Some("pan-dorsetscp@dorsetcouncil.gov.uk");
    let business = Recipient::PartnershipBusinessTeam;
    s.check(&[
        row(What::Reminder(stage(1)), "2026-12-23", "2026-12-23"),
        row(What::Overdue(stage(1)), "2026-12-25", "2026-12-29"),
        row(What::Reminder(stage(2)), "2026-12-30", "2026-12-30"),
        row(What::Overdue(stage(2)), "2027-01-01", "2027-01-04"),
        row(What::Told(business, 3, team), "2027-01-04", "2027-01-04"),
        row(What::Reminder(stage(3)), "2027-01-05", "2027-01-05"),
        row(What::Overdue(stage(3)), "2027-01-07", "2027-01-07"),
        row(What::Told(business, 4, team), "2027-01-07", "2027-01-07"),
        row(What::Reminder(stage(4)), "2027-01-08", "2027-01-08"),
        row(What::Overdue(stage(4)), "2027-01-12", "2027-01-12"),
    ])
    .await;
}

/// Sunderland: each step's timescale "not exceeding 5 working days" (5 until one is agreed),
/// and "the process should be completed within a month": from Mon 14 Dec, Thu 14 Jan. Step 4
/// is the referral to the SSCP: the business team and the safeguarding partners are told
/// (people: the protocol gives no address).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sunderland_five_days_a_step_within_a_month() {
    let Some(mut s) = Story::start("sunderland", "2026-12-14").await else {
        return;
    };
    s.raise("child-in-need", None).await;
    // Step 1 from Mon 14 Dec: 15, 16, 17, 18, 21 -> Mon 21 Dec. Step 2 from Tue 22 Dec: 23,
    // 24, 29, 30, 31 -> Thu 31 Dec. Step 3 from Mon 4 Jan: 5, 6, 7, 8, 11 -> Mon 11 Jan. Step
    // 4 from Tue 12 Jan: 13, 14, 15, 18, 19 -> Tue 19 Jan, after the month: Thu 14 Jan.
    let due = [
        (1, "2026-12-21"),
        (2, "2026-12-31"),
        (3, "2027-01-11"),
        (4, "2027-01-14"),
    ];
    s.run(
        "2027-01-15",
        &["2026-12-22", "2027-01-04", "2027-01-12"],
        &due,
    )
    .await;
    s.check(&[
        row(What::Reminder(stage(1)), "2026-12-18", "2026-12-18"),
        row(What::Overdue(stage(1)), "2026-12-22", "2026-12-22"),
        row(What::Reminder(stage(2)), "2026-12-30", "2026-12-30"),
        row(What::Overdue(stage(2)), "2027-01-01", "2027-01-04"),
        row(What::Reminder(stage(3)), "2027-01-08", "2027-01-08"),
        row(What::Overdue(stage(3)), "2027-01-12", "2027-01-12"),
        row(
            What::Told(Recipient::PartnershipBusinessTeam, 4, None),
            "2027-01-12",
            "2027-01-12",
        ),
        row(
            What::Told(Recipient::SafeguardingPartners, 4, None),
            "2027-01-12",
            "2027-01-12",
        ),
        row(What::Reminder(stage(4)), "2027-01-13", "2027-01-13"),
        row(
            What::Reminder(Deadline::Overall),
            "2027-01-13",
            "2027-01-13",
        ),
        row(What::Overdue(stage(4)), "2027-01-15", "2027-01-15"),
        row(What::Overdue(Deadline::Overall), "2027-01-15", "2027-01-15"),
    ])
    .await;
}

/// Buckinghamshire 2.4.24: "Each stage should be completed in 5 working days (15 days
/// maximum)"; the BSCP is told when senior officers are involved (stage 3). Raised Thu 17
/// Dec: 15 working days end on Tue 12 Jan.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buckinghamshire_five_days_a_stage_fifteen_at_most() {
    let Some(mut s) = Story::start("buckinghamshire", "2026-12-17").await else {
        return;
    };
    s.raise("child-in-need", None).await;
    // Stage 1 from Thu 17 Dec: 18, 21, 22, 23, 24 -> Thu 24 Dec. Stage 2 from Tue 29 Dec:
    // 30, 31, 4, 5, 6 -> Wed 6 Jan. Stage 3 from Thu 7 Jan: 8, 11, 12, 13, 14 -> Thu 14 Jan,
    // after the fifteenth working day (18, 21, 22, 23, 24, 29, 30, 31, 4, 5, 6, 7, 8, 11, 12):
    // Tue 12 Jan.
    let due = [(1, "2026-12-24"), (2, "2027-01-06"), (3, "2027-01-12")];
    s.run("2027-01-13", &["2026-12-29", "2027-01-07"], &due)
        .await;
    s.check(&[
        row(What::Reminder(stage(1)), "2026-12-23", "2026-12-23"),
        row(What::Overdue(stage(1)), "2026-12-25", "2026-12-29"),
        row(What::Reminder(stage(2)), "2027-01-05", "2027-01-05"),
        row(What::Overdue(stage(2)), "2027-01-07", "2027-01-07"),
        row(
            What::Told(Recipient::PartnershipBusinessTeam, 3, None),
            "2027-01-07",
            "2027-01-07",
        ),
        row(What::Reminder(stage(3)), "2027-01-11", "2027-01-11"),
        row(
            What::Reminder(Deadline::Overall),
            "2027-01-11",
            "2027-01-11",
        ),
        row(What::Overdue(stage(3)), "2027-01-13", "2027-01-13"),
        row(What::Overdue(Deadline::Overall), "2027-01-13", "2027-01-13"),
    ])
    .await;
}
