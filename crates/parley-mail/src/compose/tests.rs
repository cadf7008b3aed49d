use jiff::civil::date;

use super::*;

fn public() -> PublicUrl {
    "https://parley.croydon.example/".parse().unwrap()
}

fn stage(n: i64) -> StageNumber {
    StageNumber::new(n).unwrap()
}

/// Croydon, stage 3: the partnership is told, with Appendix A's answers (Croydon Appendix A:
/// "Completed forms should be returned to SafeguardingChildrenBoard@croydon.gov.uk").
fn croydon_stage_3() -> EscalationNotice {
    EscalationNotice {
        escalation_id: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b".to_owned(),
        reference: "CR-2026-0042".to_owned(),
        procedure: "Croydon Safeguarding Children Partnership escalation policy".to_owned(),
        stage: stage(3),
        stage_name: "Heads of service".to_owned(),
        raising_agency: "Croydon Health Services".to_owned(),
        receiving_agency: "Croydon Children’s Social Care".to_owned(),
        happened: Happening::StageEntered(stage(3)),
        rule_text: Some(
            "At stage 3 the partnership business team is told, with Appendix A completed."
                .to_owned(),
        ),
        needed: Some(Needed {
            what: "Hold the stage 3 discussion between heads of service".to_owned(),
            by: Some(date(2026, 12, 15)),
        }),
        partnership_form: vec![
            (
                "Nature of the disagreement".to_owned(),
                "Threshold for a strategy discussion".to_owned(),
            ),
            (
                "Agencies involved".to_owned(),
                "Health; children's social care".to_owned(),
            ),
        ],
    }
}

fn deadline_tomorrow() -> EscalationNotice {
    EscalationNotice {
        happened: Happening::DeadlineApproaching {
            deadline: Deadline::Stage(stage(2)),
            due: date(2026, 12, 7),
        },
        stage: stage(2),
        stage_name: "Line managers".to_owned(),
        rule_text: None,
        needed: Some(Needed {
            what: "Record the outcome of stage 2".to_owned(),
            by: Some(date(2026, 12, 7)),
        }),
        partnership_form: vec![],
        ..croydon_stage_3()
    }
}

fn ctx(public: &PublicUrl, today: Date) -> Context<'_> {
    Context {
        public_url: public,
        today,
    }
}

#[test]
fn subjects_front_load_what_happened() {
    let today = date(2026, 12, 6); // a Sunday; the deadline is Monday 7 December
    let n = deadline_tomorrow();
    assert_eq!(n.subject(today), "Stage 2 deadline tomorrow: CR-2026-0042");
    assert_eq!(
        n.subject(date(2026, 12, 7)),
        "Stage 2 deadline today: CR-2026-0042"
    );
    assert_eq!(
        n.subject(date(2026, 12, 1)),
        "Stage 2 deadline on Monday 7 December: CR-2026-0042"
    );
    let passed = EscalationNotice {
        happened: Happening::DeadlinePassed {
            deadline: Deadline::Overall,
            due: date(2026, 12, 4),
        },
        ..n.clone()
    };
    assert_eq!(
        passed.subject(today),
        "Overall deadline passed: CR-2026-0042"
    );
    let raised = EscalationNotice {
        happened: Happening::Raised,
        ..n.clone()
    };
    assert_eq!(
        raised.subject(today),
        "New escalation from Croydon Health Services: CR-2026-0042"
    );
    let closed = EscalationNotice {
        happened: Happening::Closed {
            outcome: "resolved by agreement".to_owned(),
        },
        ..n
    };
    assert_eq!(closed.subject(today), "Escalation closed: CR-2026-0042");
}

#[test]
fn a_deadline_reminder_reads_plainly() {
    let public = public();
    let r = deadline_tomorrow().render(&ctx(&public, date(2026, 12, 6)));
    insta::assert_snapshot!("deadline_tomorrow_text", r.text);
    insta::assert_snapshot!("deadline_tomorrow_html", r.html);
}

#[test]
fn a_partnership_notice_carries_the_form() {
    let public = public();
    let r = croydon_stage_3().render(&ctx(&public, date(2026, 12, 8)));
    insta::assert_snapshot!("partnership_stage_3_text", r.text);
    insta::assert_snapshot!("partnership_stage_3_html", r.html);
}

#[test]
fn a_deadline_in_another_year_gives_the_year() {
    let public = public();
    let n = EscalationNotice {
        happened: Happening::DeadlinePassed {
            deadline: Deadline::Stage(stage(1)),
            due: date(2026, 12, 31),
        },
        needed: Some(Needed {
            what: "Decide whether to escalate to stage 2".to_owned(),
            by: Some(date(2027, 1, 5)),
        }),
        ..deadline_tomorrow()
    };
    let r = n.render(&ctx(&public, date(2027, 1, 4)));
    assert!(
        r.text.contains(
            "The stage 1 deadline for escalation CR-2026-0042 passed at the end of Thursday 31 December 2026."
        ),
        "{}",
        r.text
    );
    assert!(
        r.text
            .contains("Decide whether to escalate to stage 2 by Tuesday 5 January.")
    );
}

#[test]
fn html_escapes_what_people_typed() {
    let public = public();
    let n = EscalationNotice {
        raising_agency: "<script>alert(1)</script> & Co".to_owned(),
        partnership_form: vec![("<b>".to_owned(), "\"quoted\" 'text'".to_owned())],
        ..croydon_stage_3()
    };
    let r = n.render(&ctx(&public, date(2026, 12, 8)));
    assert!(!r.html.contains("<script>"), "{}", r.html);
    assert!(
        r.html
            .contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co")
    );
    assert!(r.html.contains("&lt;b&gt;"));
    assert!(r.html.contains("&quot;quoted&quot; &#39;text&#39;"));
    // The plain text is not HTML: it stays as typed.
    assert!(r.text.contains("<script>alert(1)</script> & Co"));
}

#[test]
fn a_daily_summary_lists_each_notice() {
    let public = public();
    let second = EscalationNotice {
        escalation_id: "0190a1b2-0000-7000-8000-000000000002".to_owned(),
        reference: "CR-2026-0043".to_owned(),
        happened: Happening::Raised,
        needed: None,
        ..deadline_tomorrow()
    };
    let digest = Digest {
        notices: vec![deadline_tomorrow().into(), second.into()],
    };
    assert_eq!(digest.subject(), "Daily summary: 2 Parley notifications");
    let r = digest.render(&ctx(&public, date(2026, 12, 6)));
    insta::assert_snapshot!("digest_text", r.text);
    insta::assert_snapshot!("digest_html", r.html);
    let one = Digest {
        notices: vec![deadline_tomorrow().into()],
    };
    assert_eq!(one.subject(), "Daily summary: 1 Parley notification");
}

#[test]
fn the_message_id_is_the_delivery_at_the_public_host() {
    let public = public();
    assert_eq!(
        message_id("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", &public),
        "<0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b@parley.croydon.example>"
    );
}

#[test]
fn a_message_has_both_parts_and_the_headers() {
    let public = public();
    let r = deadline_tomorrow().render(&ctx(&public, date(2026, 12, 6)));
    let from: MailFrom = "Croydon Safeguarding <parley@croydon.example>"
        .parse()
        .unwrap();
    let to: Mailbox = "lead@health.example".parse().unwrap();
    let at: Timestamp = "2026-12-06T09:00:00Z".parse().unwrap();
    let m = message(&r, &from, to, message_id("d1", &public), at).unwrap();
    let raw = String::from_utf8(m.formatted()).unwrap();
    for header in [
        "Message-ID: <d1@parley.croydon.example>",
        "Subject: Stage 2 deadline tomorrow: CR-2026-0042",
        "From: \"Croydon Safeguarding\" <parley@croydon.example>",
        "To: lead@health.example",
        "Auto-Submitted: auto-generated",
        "Date: Sun, 06 Dec 2026 09:00:00 +0000",
        "Content-Type: multipart/alternative;",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Type: text/html; charset=utf-8",
    ] {
        assert!(raw.contains(header), "{header} missing from\n{raw}");
    }
}
