//! Procedures described for people: a readable summary and a flow diagram (Mermaid or
//! Graphviz DOT), both drawn from the definition alone.

use std::fmt::Write as _;

use crate::calendar::CountingRule;
use crate::names::{Anchor, Trigger};
use crate::procedure::{CapLimit, NotificationRule, Procedure, Timescale};

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
    let _ = write!(s, ", {}", n.on.label());
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

// ---------------------------------------------------------------------------------------------
// Flow diagram

/// A node of the flow diagram.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    pub id: String,
    pub label: Vec<String>,
    pub shape: Shape,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// Where an escalation starts.
    Start,
    Stage,
    /// Where it ends.
    End,
    /// Someone told.
    Notice,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub label: Option<String>,
    /// A notification rather than a step of the flow.
    pub dashed: bool,
}

/// The flow of a procedure as a graph: routes in, stages, ways out, and who is told.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Graph {
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
}

pub fn graph(p: &Procedure) -> Graph {
    let mut nodes = Vec::new();
    let mut edges = Vec::new();
    for r in &p.routes {
        let id = format!("route_{}", r.kind.as_str().replace('-', "_"));
        nodes.push(Node {
            id: id.clone(),
            label: vec![format!("Raised: {}", r.kind.label())],
            shape: Shape::Start,
        });
        edges.push(Edge {
            from: id,
            to: format!("stage_{}", r.entry_stage),
            label: None,
            dashed: false,
        });
    }
    for s in &p.stages {
        let leads: Vec<&str> = s.leads.iter().map(|r| r.label()).collect();
        let timescale = match s.timescale {
            Timescale::Fixed {
                working_days,
                from: Anchor::StageStart,
            } => format!("{working_days} working days"),
            Timescale::Fixed {
                working_days,
                from: Anchor::DayOne,
            } => format!("by day {working_days} from Day One"),
            Timescale::Agreed { max } => format!("agreed, at most {max} working days"),
        };
        nodes.push(Node {
            id: format!("stage_{}", s.number),
            label: vec![
                format!("Stage {}: {}", s.number, s.title),
                leads.join(", "),
                timescale,
            ],
            shape: Shape::Stage,
        });
        if s.number < p.last_stage() {
            edges.push(Edge {
                from: format!("stage_{}", s.number),
                to: format!("stage_{}", s.number.next()),
                label: Some("not resolved: escalate".to_owned()),
                dashed: false,
            });
        }
        edges.push(Edge {
            from: format!("stage_{}", s.number),
            to: "resolved".to_owned(),
            label: (s.number == p.last_stage()).then(|| "resolved".to_owned()),
            dashed: false,
        });
    }
    let outcomes: Vec<&str> = p.outcomes.allowed.iter().map(|r| r.label()).collect();
    nodes.push(Node {
        id: "resolved".to_owned(),
        label: vec!["Resolved".to_owned(), outcomes.join("; ")],
        shape: Shape::End,
    });
    for r in &p.referrals {
        let id = format!("referral_{}", r.id.replace('-', "_"));
        nodes.push(Node {
            id: id.clone(),
            label: vec![format!("Referred on: {}", r.label)],
            shape: Shape::End,
        });
        edges.push(Edge {
            from: format!("stage_{}", r.from_stage),
            to: id,
            label: Some("refer on".to_owned()),
            dashed: false,
        });
    }
    let mut recipients = Vec::new();
    for n in &p.notifications {
        if n.on != Trigger::StageEntered {
            continue;
        }
        let id = format!("notify_{}", n.to.as_str().replace('-', "_"));
        if !recipients.contains(&id) {
            recipients.push(id.clone());
            nodes.push(Node {
                id: id.clone(),
                label: vec![format!("Told: {}", n.to.label())],
                shape: Shape::Notice,
            });
        }
        let mut label = if n.child_details {
            "told".to_owned()
        } else {
            "told, no child details".to_owned()
        };
        if !n.child_status.is_empty() {
            let statuses: Vec<&str> = n.child_status.iter().map(|c| c.label()).collect();
            label = format!("{label}, if {}", statuses.join(" or "));
        }
        let edge = Edge {
            from: format!("stage_{}", n.from_stage),
            to: id,
            label: Some(label),
            dashed: true,
        };
        if !edges.contains(&edge) {
            edges.push(edge);
        }
    }
    Graph { nodes, edges }
}

/// The flow as a Mermaid flowchart.
pub fn mermaid(p: &Procedure) -> String {
    let g = graph(p);
    let mut o = String::from("flowchart TD\n");
    let esc = |s: &str| s.replace('"', "#quot;");
    for n in &g.nodes {
        let label = n
            .label
            .iter()
            .map(|l| esc(l))
            .collect::<Vec<_>>()
            .join("<br/>");
        let _ = match n.shape {
            Shape::Start => writeln!(o, "    {}([\"{label}\"])", n.id),
            Shape::Stage => writeln!(o, "    {}[\"{label}\"]", n.id),
            Shape::End => writeln!(o, "    {}([\"{label}\"])", n.id),
            Shape::Notice => writeln!(o, "    {}[/\"{label}\"/]", n.id),
        };
    }
    for e in &g.edges {
        let arrow = if e.dashed { "-.->" } else { "-->" };
        let _ = match &e.label {
            Some(l) => writeln!(o, "    {} {arrow}|\"{}\"| {}", e.from, esc(l), e.to),
            None => writeln!(o, "    {} {arrow} {}", e.from, e.to),
        };
    }
    o
}

/// The flow as a Graphviz DOT digraph.
pub fn dot(p: &Procedure) -> String {
    let g = graph(p);
    let esc = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
    let mut o = format!("digraph \"{}\" {{\n", esc(p.id.as_str()));
    o.push_str("    rankdir=TB;\n    node [fontname=\"Arial\"];\n    edge [fontname=\"Arial\"];\n");
    for n in &g.nodes {
        let label = n
            .label
            .iter()
            .map(|l| esc(l))
            .collect::<Vec<_>>()
            .join("\\n");
        let shape = match n.shape {
            Shape::Start => "shape=oval",
            Shape::Stage => "shape=box",
            Shape::End => "shape=oval, peripheries=2",
            Shape::Notice => "shape=note",
        };
        let _ = writeln!(o, "    {} [label=\"{label}\", {shape}];", n.id);
    }
    for e in &g.edges {
        let mut attrs = Vec::new();
        if let Some(l) = &e.label {
            attrs.push(format!("label=\"{}\"", esc(l)));
        }
        if e.dashed {
            attrs.push("style=dashed".to_owned());
        }
        if attrs.is_empty() {
            let _ = writeln!(o, "    {} -> {};", e.from, e.to);
        } else {
            let _ = writeln!(o, "    {} -> {} [{}];", e.from, e.to, attrs.join(", "));
        }
    }
    o.push_str("}\n");
    o
}
