//! The flow graph of a procedure (stages, routes in, ways out) and its Mermaid and DOT text.

use crate::names::{Anchor, Trigger};
use crate::procedure::{Procedure, Timescale};
use std::fmt::Write as _;

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
            } => format!(
                "{working_days} working day{}",
                if working_days.get() == 1 { "" } else { "s" }
            ),
            Timescale::Fixed {
                working_days,
                from: Anchor::DayOne,
            } => format!("by day {working_days} from Day One"),
            Timescale::Agreed { max } => format!("agreed, at most {max} working days"),
        };
        nodes.push(Node {
            id: format!("stage_{}", s.number),
            label: vec![
                // Never "Stage 1: Stage 1: …" (issue 14, item 9).
                crate::procedure::stage_name(s.number, &s.title),
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

// ---------------------------------------------------------------------------------------------
