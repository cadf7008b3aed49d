//! Procedures described for people: a readable summary and a flow diagram (Mermaid,
//! Graphviz DOT or SVG), all drawn from the definition alone.

use std::fmt::Write as _;

use crate::calendar::CountingRule;
use crate::procedure::{CapLimit, NotificationRule, Procedure};

mod flow;
pub use flow::*;

mod svg;
pub use svg::*;

mod measure;
use measure::*;

mod layout;
use layout::*;

#[cfg(test)]
mod tests;

/// A plain-text summary of a procedure: stages, leads, timescales, notifications.
pub fn summary(p: &Procedure) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{}", p.name);
    match &p.short_name {
        Some(short) => {
            let _ = writeln!(o, "{} ({short})", p.partnership);
        }
        None => {
            let _ = writeln!(o, "{}", p.partnership);
        }
    }
    if p.version == p.date.to_string() {
        let _ = writeln!(o, "Id: {}   Version: {}", p.id, p.version);
    } else {
        let _ = writeln!(o, "Id: {}   Version: {} ({})", p.id, p.version, p.date);
    }
    let _ = writeln!(o, "{}", wrap(&format!("Source: {}", p.source), 96, ""));
    if let Some(url) = &p.url {
        let _ = writeln!(o, "URL: {url}");
    }
    if let Some(summary) = &p.summary {
        let _ = writeln!(o, "\n{}", wrap(summary, 96, ""));
    }

    let _ = writeln!(o, "\nCalendar");
    let _ = writeln!(
        o,
        "  {} bank holidays, time zone {}",
        p.calendar.region.label(),
        p.calendar.time_zone_name
    );
    if p.calendar.closure_days.is_empty() {
        let _ = writeln!(o, "  Partnership closure days: none");
    } else {
        let days: Vec<String> = p
            .calendar
            .closure_days
            .iter()
            .map(ToString::to_string)
            .collect();
        let _ = writeln!(o, "  Partnership closure days: {}", days.join(", "));
    }
    let _ = writeln!(o, "  Counting: {}", counting_text(p.counting));
    // Issue 14, item 7: Dorset §4, the decision date is Day One.
    if let crate::procedure::DayOne::DecisionDate { latest_entry_day } = p.day_one {
        let _ = writeln!(
            o,
            "  Day One: the date of the decision to raise it, given when raising; it is raised by working day {latest_entry_day} from that date"
        );
    }
    match &p.overall {
        None => {
            let _ = writeln!(o, "  Overall limit: none");
        }
        Some(cap) => {
            let _ = write!(
                o,
                "  Overall limit: {} from the day it is raised",
                cap.limit
            );
            if let CapLimit::Months(_) = cap.limit {
                let _ = write!(o, " (the same date, or the last working day before it)");
            }
            match &cap.text {
                Some(text) => {
                    let _ = writeln!(o, " - \"{text}\"");
                }
                None => o.push('\n'),
            }
        }
    }

    let _ = writeln!(o, "\nRoutes");
    for r in &p.routes {
        let _ = write!(
            o,
            "  {:<11} starts at stage {}",
            r.kind.as_str(),
            r.entry_stage
        );
        match &r.description {
            Some(d) => {
                let _ = writeln!(o, "\n{}", wrap(d, 96, "              "));
            }
            None => o.push('\n'),
        }
    }

    let _ = writeln!(o, "\nStages");
    for s in &p.stages {
        let _ = writeln!(o, "  {}. {}", s.number, s.title);
        let leads: Vec<&str> = s.leads.iter().map(|r| r.label()).collect();
        let _ = writeln!(o, "     Led by: {}", leads.join(", "));
        if let Some(title) = &s.lead_title {
            let _ = writeln!(o, "             ({title})");
        }
        let _ = writeln!(o, "     Timescale: {}", s.timescale);
        if let Some(text) = &s.timescale_text {
            let _ = writeln!(o, "                \"{text}\"");
        }
        // Issue 14, item 2: proposed, and confirmed by the person it is agreed with.
        if let Some(with) = s.agreed_with {
            let _ = writeln!(
                o,
                "     Agreed with {}: it holds once they confirm it.",
                with.label()
            );
        }
        if !s.record.is_empty() {
            let labels: Vec<&str> = s
                .record
                .iter()
                .map(|id| p.record_field(id).map_or(id.as_str(), |f| f.label.as_str()))
                .collect();
            let _ = writeln!(o, "     Record: {}", labels.join("; "));
        }
        if s.professionals_meeting {
            let _ = writeln!(
                o,
                "     A professionals' meeting may be convened at this stage."
            );
        }
    }

    let _ = writeln!(o, "\nNotifications");
    if p.notifications.is_empty() {
        let _ = writeln!(o, "  none");
    }
    for n in &p.notifications {
        let _ = writeln!(o, "  - {}", notification_text(n));
    }
    if let Some(form) = &p.partnership_form {
        let _ = writeln!(o, "  Partnership form: {}", form.title);
        let labels: Vec<&str> = form.fields.iter().map(|f| f.label.as_str()).collect();
        let _ = writeln!(
            o,
            "{}",
            wrap(&format!("Fields: {}", labels.join("; ")), 96, "    ")
        );
    }

    let _ = writeln!(o, "\nCategories of disagreement");
    for c in &p.categories {
        let _ = writeln!(o, "  - {} ({})", c.label, c.id);
    }

    let _ = writeln!(o, "\nOutcomes");
    for r in &p.outcomes.allowed {
        let _ = writeln!(o, "  - {}", r.label());
    }
    if p.outcomes.see_through_when_resolved_by_events {
        let _ = writeln!(
            o,
            "  When events resolve the dispute, the procedure is still seen through to the end."
        );
    }
    if !p.referrals.is_empty() {
        let _ = writeln!(o, "\nReferrals on");
        for r in &p.referrals {
            let _ = writeln!(o, "  - {} ({}), from stage {}", r.label, r.id, r.from_stage);
        }
    }
    let _ = writeln!(o, "\nNot for this procedure");
    let _ = writeln!(
        o,
        "{}",
        wrap(
            &format!("A child at immediate risk: {}", p.screening.immediate_risk),
            96,
            "  "
        )
    );
    for r in &p.redirections {
        let _ = writeln!(
            o,
            "{}",
            wrap(&format!("{}: {}", r.kind.label(), r.text), 96, "  ")
        );
    }
    // Issue 14, item 7: shown to those who may see the child (Buckinghamshire 2.4.12).
    if !p.prompts.is_empty() {
        let _ = writeln!(o, "\nPrompts");
        for x in &p.prompts {
            let ages: Vec<String> = x.child_age.iter().map(u8::to_string).collect();
            let line = format!(
                "{} (a child aged {}): {}",
                x.reference,
                ages.join(" or "),
                x.text
            );
            let _ = writeln!(o, "{}", wrap(&line, 96, "  "));
        }
    }
    o
}

fn counting_text(rule: CountingRule) -> &'static str {
    match rule {
        CountingRule::After => {
            "\"within N working days\" ends on the N-th working day after the start; the start day does not count"
        }
        CountingRule::DayOne => {
            "from Day One: the start is day 1 if it is a working day (else the next working day), and N working days end on day N"
        }
    }
}

fn notification_text(n: &NotificationRule) -> String {
    let mut s = n.to.label().to_owned();
    if let Some(address) = &n.address {
        let _ = write!(s, " <{address}>");
    }
    let _ = write!(s, ", {}", n.when());
    if n.from_stage.get() > 1 {
        let _ = write!(s, " (from stage {})", n.from_stage);
    }
    if !n.child_status.is_empty() {
        let statuses: Vec<&str> = n.child_status.iter().map(|c| c.label()).collect();
        let _ = write!(s, ", if the child's status is {}", statuses.join(" or "));
    }
    if !n.categories.is_empty() {
        let _ = write!(s, ", for category {}", n.categories.join(" or "));
    }
    s.push_str(if n.child_details {
        "; may include the child's details"
    } else {
        "; no child details"
    });
    s
}

/// Wraps text at `width` columns, each line starting with `indent`.
fn wrap(text: &str, width: usize, indent: &str) -> String {
    let mut out = String::new();
    for paragraph in text.split("\n\n") {
        if !out.is_empty() {
            out.push('\n');
        }
        let mut line = String::from(indent);
        for word in paragraph.split_whitespace() {
            if line.len() > indent.len() && line.len() + 1 + word.len() > width {
                out.push_str(line.trim_end());
                out.push('\n');
                line = String::from(indent);
            }
            if line.len() > indent.len() {
                line.push(' ');
            }
            line.push_str(word);
        }
        out.push_str(line.trim_end());
    }
    out
}
