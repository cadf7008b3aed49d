//! Composing e-mails: a notice about one escalation or a report that has fallen due (a
//! procedure's `[[report]]`), and a person's daily summary.
//!
//! **An e-mail never carries a child's details** (DESIGN.md §6: e-mail is not a safe channel
//! for them; Croydon Appendix A: "Do not include details of any child or family"). That holds
//! by construction: a [`Notice`] has no field a child's details could go in. It holds the
//! reference, the procedure and stage, the agencies, what happened, what is needed and by
//! when, the partnership form's answers (a form that holds no child details by construction)
//! and the link; the child is seen in Parley, after signing in.
//!
//! Written in the GOV.UK style: a front-loaded subject ("Stage 2 deadline tomorrow:
//! CR-2026-0042"), short sentences, dates in words ("by Monday 7 December"). Plain text with an
//! HTML alternative.

mod report;
mod words;

use jiff::Timestamp;
use jiff::civil::Date;
use lettre::Message;
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use parley_core::StageNumber;
use parley_core::escalation::Deadline;

use crate::settings::{MailFrom, PublicUrl};
pub use report::ReportNotice;
pub use words::{date_in_words, escape_html};

/// What one e-mail says: about an escalation, or a report the procedure calls for. Neither
/// has a field for a child's details.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notice {
    Escalation(EscalationNotice),
    /// A report the procedure calls for has fallen due (issue 17): for the business team.
    ReportDue(ReportNotice),
}

impl From<EscalationNotice> for Notice {
    fn from(n: EscalationNotice) -> Notice {
        Notice::Escalation(n)
    }
}

impl From<ReportNotice> for Notice {
    fn from(n: ReportNotice) -> Notice {
        Notice::ReportDue(n)
    }
}

impl Notice {
    pub fn subject(&self, today: Date) -> String {
        match self {
            Notice::Escalation(n) => n.subject(today),
            Notice::ReportDue(n) => n.subject(),
        }
    }

    pub fn lead(&self, today: Date) -> String {
        match self {
            Notice::Escalation(n) => n.lead(today),
            Notice::ReportDue(n) => n.lead(today),
        }
    }

    pub fn needed_sentence(&self, today: Date) -> Option<String> {
        match self {
            Notice::Escalation(n) => n.needed_sentence(today),
            Notice::ReportDue(n) => Some(n.needed_sentence()),
        }
    }

    pub fn render(&self, ctx: &Context<'_>) -> Rendered {
        match self {
            Notice::Escalation(n) => n.render(ctx),
            Notice::ReportDue(n) => n.render(ctx),
        }
    }

    /// Where the e-mail's link goes, and its words in a summary.
    fn link(&self, public_url: &PublicUrl) -> (String, String) {
        match self {
            Notice::Escalation(n) => (
                public_url.escalation(&n.escalation_id),
                format!("See escalation {}", n.reference),
            ),
            Notice::ReportDue(n) => (public_url.path(&n.path), format!("See {}", n.title)),
        }
    }
}

/// What one e-mail about an escalation says. No field for a child's details, by design.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EscalationNotice {
    pub escalation_id: String,
    /// `CR-2026-0042`.
    pub reference: String,
    pub procedure: String,
    pub stage: StageNumber,
    pub stage_name: String,
    pub raising_agency: String,
    pub receiving_agency: String,
    pub happened: Happening,
    /// The procedure rule's own words for this notification (its `text`), if it has any.
    pub rule_text: Option<String>,
    pub needed: Option<Needed>,
    /// The partnership form's answers, (label, answer), for partnership e-mails (Croydon
    /// Appendix A, Sunderland Appendix 1): the form's fields hold no child details.
    pub partnership_form: Vec<(String, String)>,
}

/// Why the notice was sent (the notification's reason).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Happening {
    Raised,
    StageEntered(StageNumber),
    DeadlineApproaching {
        deadline: Deadline,
        due: Date,
    },
    DeadlinePassed {
        deadline: Deadline,
        due: Date,
    },
    /// Closed, with the outcome in words ("resolved by agreement", "withdrawn").
    Closed {
        outcome: String,
    },
}

/// What is needed next, and by when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Needed {
    /// A short sentence without a full stop: "Agree how to resolve the disagreement at stage 2".
    pub what: String,
    pub by: Option<Date>,
}

/// What a message is composed against: where the links point, and which day it is (for
/// "tomorrow" and for leaving out the current year).
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    pub public_url: &'a PublicUrl,
    pub today: Date,
}

/// A rendered e-mail: subject, plain text and HTML.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The Message-ID of a delivery: `<{delivery id}@{host of the public URL}>`, the same every
/// time the delivery is sent, so that a resend is recognised as the same message.
pub fn message_id(delivery_id: &str, public_url: &PublicUrl) -> String {
    format!("<{delivery_id}@{}>", public_url.host())
}

fn deadline_name(deadline: Deadline) -> String {
    match deadline {
        Deadline::Stage(n) => format!("Stage {n} deadline"),
        Deadline::Overall => "Overall deadline".to_owned(),
        Deadline::Referral(1) => "Referral deadline".to_owned(),
        Deadline::Referral(n) => format!("Referral {n} deadline"),
    }
}

/// "today", "tomorrow" or "on Monday 7 December".
fn when(due: Date, today: Date) -> String {
    if due == today {
        "today".to_owned()
    } else if today.tomorrow().ok() == Some(due) {
        "tomorrow".to_owned()
    } else {
        format!("on {}", date_in_words(due, today))
    }
}

impl EscalationNotice {
    /// The subject: what happened first, then the reference.
    pub fn subject(&self, today: Date) -> String {
        let head = match &self.happened {
            Happening::Raised => format!("New escalation from {}", self.raising_agency),
            Happening::StageEntered(n) => format!("Escalation moved to stage {n}"),
            Happening::DeadlineApproaching { deadline, due } => {
                format!("{} {}", deadline_name(*deadline), when(*due, today))
            }
            Happening::DeadlinePassed { deadline, .. } => {
                format!("{} passed", deadline_name(*deadline))
            }
            Happening::Closed { .. } => "Escalation closed".to_owned(),
        };
        format!("{head}: {}", self.reference)
    }

    /// The first sentence of the body: what happened, in a sentence (the inbox shows it too).
    pub fn lead(&self, today: Date) -> String {
        let r = &self.reference;
        match &self.happened {
            Happening::Raised => format!(
                "{} has raised escalation {r} with {}.",
                self.raising_agency, self.receiving_agency
            ),
            Happening::StageEntered(n) => {
                format!(
                    "Escalation {r} has moved to stage {n}, {}.",
                    self.stage_name
                )
            }
            Happening::DeadlineApproaching { deadline, due } => {
                let name = lower_first(&deadline_name(*deadline));
                let day = date_in_words(*due, today);
                match when(*due, today).as_str() {
                    w @ ("today" | "tomorrow") => {
                        format!("The {name} for escalation {r} is {w}, {day}.")
                    }
                    _ => format!("The {name} for escalation {r} is {day}."),
                }
            }
            Happening::DeadlinePassed { deadline, due } => format!(
                "The {} for escalation {r} passed at the end of {}.",
                lower_first(&deadline_name(*deadline)),
                date_in_words(*due, today)
            ),
            Happening::Closed { outcome } => format!("Escalation {r} is closed: {outcome}."),
        }
    }

    fn facts(&self) -> Vec<(&'static str, String)> {
        vec![
            ("Reference", self.reference.clone()),
            ("Procedure", self.procedure.clone()),
            ("Stage", format!("{}, {}", self.stage, self.stage_name)),
            ("Raised by", self.raising_agency.clone()),
            ("Raised with", self.receiving_agency.clone()),
        ]
    }

    /// What is needed and by when, as a sentence ("Finish stage 2 (...) by Monday 7
    /// December."), when something is.
    pub fn needed_sentence(&self, today: Date) -> Option<String> {
        self.needed.as_ref().map(|n| match n.by {
            Some(by) => format!("{} by {}.", n.what, date_in_words(by, today)),
            None => format!("{}.", n.what),
        })
    }

    /// The notice as text and HTML.
    pub fn render(&self, ctx: &Context<'_>) -> Rendered {
        let mut extra = Vec::new();
        if let Some(rule) = &self.rule_text {
            extra.push(Section::Text("What the procedure says", rule.clone()));
        }
        if !self.partnership_form.is_empty() {
            extra.push(Section::Table(
                "Partnership form",
                self.partnership_form.clone(),
            ));
        }
        render(
            ctx,
            &Parts {
                subject: self.subject(ctx.today),
                lead: self.lead(ctx.today),
                needed: self.needed_sentence(ctx.today),
                facts: self
                    .facts()
                    .into_iter()
                    .map(|(l, v)| (l.to_owned(), v))
                    .collect(),
                extra,
                link: ctx.public_url.escalation(&self.escalation_id),
                link_text: "Sign in to Parley to see the escalation",
            },
        )
    }
}

/// A part of a notice after its facts.
enum Section {
    /// A heading and a paragraph.
    Text(&'static str, String),
    /// A heading and a table of (label, value).
    Table(&'static str, Vec<(String, String)>),
}

/// What a notice is rendered from.
struct Parts {
    subject: String,
    lead: String,
    needed: Option<String>,
    facts: Vec<(String, String)>,
    extra: Vec<Section>,
    link: String,
    link_text: &'static str,
}

/// A notice as text and HTML: what happened, what is needed, the facts, the rest, the link.
fn render(ctx: &Context<'_>, parts: &Parts) -> Rendered {
    let Parts {
        subject,
        lead,
        needed,
        facts,
        extra,
        link,
        link_text,
    } = parts;
    let inbox = ctx.public_url.inbox();
    let mut text = format!("{lead}\n\n");
    let mut html = String::new();
    html.push_str(&html_open(subject));
    html.push_str(&format!("<h1 {H1}>{}</h1>\n", escape_html(subject)));
    html.push_str(&format!("<p {P}>{}</p>\n", escape_html(lead)));

    if let Some(needed) = needed {
        text.push_str(&format!("What you need to do\n{needed}\n\n"));
        html.push_str(&format!(
            "<h2 {H2}>What you need to do</h2>\n<p {P}>{}</p>\n",
            escape_html(needed)
        ));
    }

    html.push_str(&format!("<table {TABLE}>\n"));
    for (label, value) in facts {
        text.push_str(&format!("{label}: {value}\n"));
        html.push_str(&format!(
            "<tr><th scope=\"row\" {TH}>{}</th><td {TD}>{}</td></tr>\n",
            escape_html(label),
            escape_html(value)
        ));
    }
    html.push_str("</table>\n");
    text.push('\n');

    for section in extra {
        match section {
            Section::Text(heading, body) => {
                text.push_str(&format!("{heading}\n{body}\n\n"));
                html.push_str(&format!(
                    "<h2 {H2}>{heading}</h2>\n<p {P}>{}</p>\n",
                    escape_html(body)
                ));
            }
            Section::Table(heading, rows) => {
                text.push_str(&format!("{heading}\n"));
                html.push_str(&format!("<h2 {H2}>{heading}</h2>\n<table {TABLE}>\n"));
                for (label, answer) in rows {
                    text.push_str(&format!("{label}: {answer}\n"));
                    html.push_str(&format!(
                        "<tr><th scope=\"row\" {TH}>{}</th><td {TD}>{}</td></tr>\n",
                        escape_html(label),
                        escape_html(answer)
                    ));
                }
                text.push('\n');
                html.push_str("</table>\n");
            }
        }
    }

    text.push_str(&format!(
        "{link_text}:\n{link}\n\nAll your notifications:\n{inbox}\n\n"
    ));
    html.push_str(&format!(
        "<p {P}><a href=\"{0}\" {A}>{link_text}</a></p>\n\
         <p {P}><a href=\"{1}\" {A}>All your notifications</a></p>\n",
        escape_html(link),
        escape_html(&inbox)
    ));
    text.push_str(FOOTER);
    text.push('\n');
    html.push_str(&format!("<p {SMALL}>{}</p>\n", escape_html(FOOTER)));
    html.push_str(HTML_CLOSE);
    Rendered {
        subject: subject.clone(),
        text,
        html,
    }
}

/// A person's daily summary: the notices since the last one, in the order given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Digest {
    pub notices: Vec<Notice>,
}

impl Digest {
    pub fn subject(&self) -> String {
        match self.notices.len() {
            1 => "Daily summary: 1 Parley notification".to_owned(),
            n => format!("Daily summary: {n} Parley notifications"),
        }
    }

    pub fn render(&self, ctx: &Context<'_>) -> Rendered {
        let subject = self.subject();
        let inbox = ctx.public_url.inbox();
        let intro = format!(
            "You have {} since your last summary. You chose to get one e-mail a day.",
            match self.notices.len() {
                1 => "1 new notification".to_owned(),
                n => format!("{n} new notifications"),
            }
        );
        let mut text = format!("{intro}\n\n");
        let mut html = html_open(&subject);
        html.push_str(&format!(
            "<h1 {H1}>{}</h1>\n<p {P}>{}</p>\n",
            escape_html(&subject),
            escape_html(&intro)
        ));
        for notice in &self.notices {
            let head = notice.subject(ctx.today);
            let lead = notice.lead(ctx.today);
            let (link, link_words) = notice.link(ctx.public_url);
            text.push_str(&format!("{head}\n{lead}\n"));
            html.push_str(&format!(
                "<h2 {H2}>{}</h2>\n<p {P}>{}</p>\n",
                escape_html(&head),
                escape_html(&lead)
            ));
            if let Some(needed) = notice.needed_sentence(ctx.today) {
                text.push_str(&format!("{needed}\n"));
                html.push_str(&format!("<p {P}>{}</p>\n", escape_html(&needed)));
            }
            text.push_str(&format!("{link}\n\n"));
            html.push_str(&format!(
                "<p {P}><a href=\"{}\" {A}>{}</a></p>\n",
                escape_html(&link),
                escape_html(&link_words)
            ));
        }
        text.push_str(&format!("All your notifications:\n{inbox}\n\n{FOOTER}\n"));
        html.push_str(&format!(
            "<p {P}><a href=\"{}\" {A}>All your notifications</a></p>\n<p {SMALL}>{}</p>\n",
            escape_html(&inbox),
            escape_html(FOOTER)
        ));
        html.push_str(HTML_CLOSE);
        Rendered {
            subject,
            text,
            html,
        }
    }
}

const FOOTER: &str = "This e-mail never includes details of a child or family. \
    You can see them in Parley if your role allows it. \
    This message was sent automatically: replies are not read.";

// GOV.UK-like presentation, inline because e-mail clients drop style sheets.
const H1: &str = "style=\"font-family: Arial, sans-serif; font-size: 28px; line-height: 1.2; margin: 0 0 20px;\"";
const H2: &str = "style=\"font-family: Arial, sans-serif; font-size: 22px; line-height: 1.3; margin: 30px 0 10px;\"";
const P: &str = "style=\"font-family: Arial, sans-serif; font-size: 19px; line-height: 1.4; margin: 0 0 15px;\"";
const SMALL: &str = "style=\"font-family: Arial, sans-serif; font-size: 16px; line-height: 1.4; color: #505a5f; margin: 30px 0 0;\"";
const A: &str = "style=\"color: #1d70b8;\"";
const TABLE: &str = "style=\"border-collapse: collapse; margin: 0 0 20px;\"";
const TH: &str = "style=\"font-family: Arial, sans-serif; font-size: 19px; text-align: left; vertical-align: top; padding: 5px 20px 5px 0; border-bottom: 1px solid #b1b4b6;\"";
const TD: &str = "style=\"font-family: Arial, sans-serif; font-size: 19px; vertical-align: top; padding: 5px 0; border-bottom: 1px solid #b1b4b6;\"";
const HTML_CLOSE: &str = "</div>\n</body>\n</html>\n";

fn html_open(title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n</head>\n\
         <body style=\"margin: 0; padding: 20px; color: #0b0c0c; background: #ffffff;\">\n\
         <div style=\"max-width: 640px;\">\n",
        escape_html(title)
    )
}

fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `Auto-Submitted: auto-generated` (RFC 3834): out-of-office replies are not sent to it.
#[derive(Clone, Debug)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".to_owned())
    }
}

/// A composing failure (lettre refused to build the message).
#[derive(Debug, thiserror::Error)]
#[error("the message could not be built: {0}")]
pub struct ComposeError(#[from] lettre::error::Error);

/// The e-mail for `rendered`, to `to`, with the given Message-ID and date.
pub fn message(
    rendered: &Rendered,
    from: &MailFrom,
    to: Mailbox,
    message_id: String,
    date: Timestamp,
) -> Result<Message, ComposeError> {
    let date = std::time::SystemTime::from(date);
    let body = MultiPart::alternative()
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_PLAIN)
                .body(rendered.text.clone()),
        )
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_HTML)
                .body(rendered.html.clone()),
        );
    Ok(Message::builder()
        .from(from.0.clone())
        .to(to)
        .subject(rendered.subject.clone())
        .message_id(Some(message_id))
        .date(date)
        .header(AutoSubmitted)
        .multipart(body)?)
}

#[cfg(test)]
mod tests;
