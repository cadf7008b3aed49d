//! Procedures described for people: a readable summary and a flow diagram (Mermaid,
//! Graphviz DOT or SVG), all drawn from the definition alone.

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
// SVG

/// The id `graph` gives the node every stage can end in.
const RESOLVED: &str = "resolved";

/// What the lines after the first of a stage node's label say (`graph` puts the leads, then
/// the timescale, after the heading).
const STAGE_CAPTIONS: [&str; 2] = ["Led by", "Timescale"];

const INK: &str = "#0b0c0c";
const BLUE: &str = "#1d70b8";
const WHITE: &str = "#ffffff";
const GREY: &str = "#f3f2f1";

const MARGIN: i64 = 16;
/// Padding inside a box.
const PAD_X: i64 = 14;
const PAD_Y: i64 = 10;
/// Vertical space between two stacked boxes beside a stage.
const STACK_GAP: i64 = 12;
/// Where the "resolved" line leaves a stage: this far above the stage's bottom edge.
const EXIT_RISE: i64 = 16;
/// The line collecting every stage's "resolved" runs this far left of the stages.
const BUS_OFFSET: i64 = 22;
/// Room between the entry routes and the bus.
const ROUTE_GAP: i64 = 40;

/// The flow as a self-contained, accessible SVG image, to be embedded inline in an HTML page
/// (no XML prolog). Drawn from [`graph`]: the stages top to bottom with the escalation
/// between them, the routes in (blue) on the left, the ways out (resolved at the bottom,
/// referrals on the right) and who is told (dashed, on the right). Styling is by
/// presentation attributes only (no `style`, no script), so a Content-Security-Policy that
/// forbids inline styles allows it. The image is `role="img"`, named by its `<title>` and
/// described in words, node by node, by its `<desc>`.
pub fn svg(p: &Procedure) -> String {
    let g = graph(p);
    let title = format!("{} ({}): escalation flow", p.name, p.partnership_short());
    let desc = svg_desc(&g);
    let ids = format!("parley-flow-{}", p.id);
    let layout = SvgLayout::new(&g);

    let (w, h) = (layout.width, layout.height);
    let mut o = String::new();
    let _ = writeln!(
        o,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" \
         role=\"img\" aria-labelledby=\"{ids}-title\" aria-describedby=\"{ids}-desc\" \
         font-family=\"Arial, sans-serif\">"
    );
    let _ = writeln!(
        o,
        "<title id=\"{ids}-title\">{}</title>",
        xml_escape(&title)
    );
    let _ = writeln!(o, "<desc id=\"{ids}-desc\">{}</desc>", xml_escape(&desc));
    let _ = writeln!(o, "<rect width=\"{w}\" height=\"{h}\" fill=\"{WHITE}\"/>");
    layout.draw(&g, &mut o);
    o.push_str("</svg>\n");
    o
}

/// The `<desc>` of the image: every node and where its arrows go, in words.
fn svg_desc(g: &Graph) -> String {
    let mut sentences = vec!["A flow diagram, read from top to bottom.".to_owned()];
    for n in &g.nodes {
        let flow: Vec<String> = g
            .edges
            .iter()
            .filter(|e| e.from == n.id && !e.dashed)
            .map(|e| edge_words(g, e))
            .collect();
        let told: Vec<String> = g
            .edges
            .iter()
            .filter(|e| e.from == n.id && e.dashed)
            .map(|e| edge_words(g, e))
            .collect();
        if flow.is_empty() && told.is_empty() && n.shape != Shape::Stage && n.label.len() < 2 {
            // Named in full where an arrow reaches it.
            continue;
        }
        let mut s = sentence(&node_words(n));
        if !flow.is_empty() {
            s.push(' ');
            s.push_str(&sentence(&format!("Next: {}", flow.join("; "))));
        }
        if !told.is_empty() {
            s.push(' ');
            s.push_str(&sentence(&format!("Notifications: {}", told.join("; "))));
        }
        sentences.push(s);
    }
    sentences.join("\n")
}

/// A node in full: a stage's heading with its captioned lines, or any other node's label.
fn node_words(n: &Node) -> String {
    let Some((first, rest)) = n.label.split_first() else {
        return n.id.clone();
    };
    match n.shape {
        Shape::Stage => {
            let mut parts = vec![first.clone()];
            for (i, line) in rest.iter().enumerate() {
                parts.push(match STAGE_CAPTIONS.get(i) {
                    Some(caption) => format!("{caption}: {line}"),
                    None => line.clone(),
                });
            }
            parts
                .iter()
                .map(|s| sentence(s))
                .collect::<Vec<_>>()
                .join(" ")
                .trim_end_matches('.')
                .to_owned()
        }
        _ if rest.is_empty() => first.clone(),
        _ => format!("{first}: {}", rest.join("; ")),
    }
}

/// A node named briefly, as the end of an arrow: "Stage 2", or the first line of its label.
fn node_name(n: &Node) -> String {
    let first = n.label.first().map_or(n.id.as_str(), String::as_str);
    match (n.shape, n.id.strip_prefix("stage_")) {
        // Whatever the procedure calls its stages ("Step 2", "Stage Two"), the arrow names
        // the number, as the rest of the description does.
        (Shape::Stage, Some(number)) => format!("Stage {number}"),
        _ => first.to_owned(),
    }
}

fn edge_words(g: &Graph, e: &Edge) -> String {
    let to = g
        .nodes
        .iter()
        .find(|n| n.id == e.to)
        .map_or_else(|| e.to.clone(), node_name);
    match &e.label {
        Some(label) => format!("{to} ({label})"),
        None => to,
    }
}

/// Ends `s` with a full stop unless it already ends a sentence.
fn sentence(s: &str) -> String {
    let s = s.trim_end();
    if s.ends_with(['.', '?', '!']) {
        s.to_owned()
    } else {
        format!("{s}.")
    }
}

/// Escapes text for XML content and attribute values, and drops the characters XML 1.0
/// cannot hold at all (control characters other than tab and line breaks, U+FFFE, U+FFFF).
fn xml_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            '\t' | '\n' | '\r' => o.push(c),
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => {}
            _ => o.push(c),
        }
    }
    o
}

/// Advance widths of Arial's printable ASCII characters, in thousandths of an em.
const ARIAL_WIDTHS: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // ' '../
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, // 0..9
    278, 278, 584, 584, 584, 556, 1015, // :..@
    667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, // A..M
    722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, // N..Z
    278, 278, 278, 469, 556, 333, // [..`
    556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, // a..m
    556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, // n..z
    334, 260, 334, 584, // {..~
];

/// The width of a line of text, in pixels: Arial's widths (bold a fifth wider), any other
/// character a full em, and a tenth more in case the reader's sans-serif is wider than Arial.
fn text_width(s: &str, size: i64, bold: bool) -> i64 {
    let units: i64 = s
        .chars()
        .map(|c| match c {
            ' '..='~' => i64::from(ARIAL_WIDTHS[c as usize - 32]),
            _ => 1000,
        })
        .sum();
    let units = if bold { units * 6 / 5 } else { units };
    (units * size * 11 / 10 + 999) / 1000
}

/// Splits text into lines of at most `chars` characters at spaces; a longer word keeps a line
/// to itself (its box grows to fit it).
fn wrap_lines(text: &str, chars: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > chars {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[derive(Clone, Debug)]
struct TextLine {
    text: String,
    size: i64,
    bold: bool,
}

/// Lines of text, drawn top down.
#[derive(Clone, Debug, Default)]
struct TextBlock {
    lines: Vec<TextLine>,
}

impl TextBlock {
    fn push(&mut self, text: &str, chars: usize, size: i64, bold: bool) {
        for text in wrap_lines(text, chars) {
            self.lines.push(TextLine { text, size, bold });
        }
    }

    fn line_height(size: i64) -> i64 {
        (size * 4 + 2) / 3
    }

    fn height(&self) -> i64 {
        self.lines.iter().map(|l| Self::line_height(l.size)).sum()
    }

    fn width(&self) -> i64 {
        self.lines
            .iter()
            .map(|l| text_width(&l.text, l.size, l.bold))
            .max()
            .unwrap_or(0)
    }

    /// Draws the block with its first line's top at `top`; `x` is the left edge.
    fn draw(&self, o: &mut String, x: i64, top: i64) {
        let mut y = top;
        for l in &self.lines {
            let weight = if l.bold { " font-weight=\"bold\"" } else { "" };
            let _ = writeln!(
                o,
                "<text x=\"{x}\" y=\"{}\" font-size=\"{}\"{weight} fill=\"{INK}\">{}</text>",
                y + l.size,
                l.size,
                xml_escape(&l.text)
            );
            y += Self::line_height(l.size);
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Rect {
    x: i64,
    y: i64,
    w: i64,
    h: i64,
}

impl Rect {
    fn right(self) -> i64 {
        self.x + self.w
    }

    fn bottom(self) -> i64 {
        self.y + self.h
    }

    fn centre_x(self) -> i64 {
        self.x + self.w / 2
    }

    fn centre_y(self) -> i64 {
        self.y + self.h / 2
    }
}

/// How an edge of the graph is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EdgeKind {
    /// From an entry route to its stage: left to right, in blue.
    Route,
    /// From a stage straight down to the next box in the column.
    Down,
    /// From a stage (not the last) to the resolved node, along the line left of the stages.
    Bus,
    /// From a stage to a box on its right; `primary` when the box sits beside this stage.
    Side { primary: bool },
    /// Anything else: a straight line.
    Other,
}

/// Where everything goes. Stages are a column of rows; each row holds one stage, the routes
/// into it (left) and the boxes it points to (right).
#[derive(Debug)]
struct SvgLayout {
    width: i64,
    height: i64,
    /// By node index: the box, and its text.
    rects: Vec<Option<Rect>>,
    texts: Vec<TextBlock>,
    /// By edge index.
    kinds: Vec<EdgeKind>,
    /// By edge index: the label, wrapped (empty if none).
    labels: Vec<TextBlock>,
    /// By edge index: the y where a side edge runs, and where a route edge runs.
    edge_y: Vec<i64>,
    /// The x of the line collecting the "resolved" edges.
    bus_x: i64,
}

impl SvgLayout {
    fn new(g: &Graph) -> SvgLayout {
        let index = |id: &str| g.nodes.iter().position(|n| n.id == id);
        let stages: Vec<usize> = (0..g.nodes.len())
            .filter(|&i| g.nodes[i].shape == Shape::Stage)
            .collect();
        let row_of = |i: usize| stages.iter().position(|&s| s == i);
        let sink = g
            .nodes
            .iter()
            .position(|n| n.id == RESOLVED && n.shape == Shape::End);
        let last_row = stages.len().checked_sub(1);

        // The text of every node.
        let texts: Vec<TextBlock> = g.nodes.iter().map(node_text).collect();

        // What each edge is, and which row each box beside the column belongs to.
        let mut kinds = Vec::with_capacity(g.edges.len());
        let mut node_row: Vec<Option<usize>> = vec![None; g.nodes.len()];
        for e in &g.edges {
            let (Some(from), Some(to)) = (index(&e.from), index(&e.to)) else {
                kinds.push(EdgeKind::Other);
                continue;
            };
            let kind = match (g.nodes[from].shape, row_of(from), row_of(to)) {
                (Shape::Start, None, Some(row)) if node_row[from].is_none() => {
                    node_row[from] = Some(row);
                    EdgeKind::Route
                }
                (_, Some(a), Some(b)) if b == a + 1 => EdgeKind::Down,
                (_, Some(a), None) if Some(to) == sink => {
                    if Some(a) == last_row {
                        EdgeKind::Down
                    } else {
                        EdgeKind::Bus
                    }
                }
                (_, Some(a), None) if g.nodes[to].shape != Shape::Start => {
                    let primary = node_row[to].is_none();
                    if primary {
                        node_row[to] = Some(a);
                    }
                    EdgeKind::Side { primary }
                }
                _ => EdgeKind::Other,
            };
            kinds.push(kind);
        }
        // Boxes nothing points to from a stage: routes beside the first stage, the rest
        // beside the last.
        for (i, n) in g.nodes.iter().enumerate() {
            if node_row[i].is_none() && row_of(i).is_none() && Some(i) != sink {
                node_row[i] = if n.shape == Shape::Start {
                    (!stages.is_empty()).then_some(0)
                } else {
                    last_row
                };
            }
        }
        let labels: Vec<TextBlock> = g
            .edges
            .iter()
            .map(|e| {
                let mut b = TextBlock::default();
                if let Some(l) = &e.label {
                    b.push(l, 24, 12, false);
                }
                b
            })
            .collect();

        let is_route = |i: usize| g.nodes[i].shape == Shape::Start && row_of(i).is_none();
        let is_side = |i: usize| !is_route(i) && row_of(i).is_none() && Some(i) != sink;
        let box_w = |i: usize| texts[i].width() + 2 * PAD_X;
        let box_h = |i: usize| texts[i].height() + 2 * PAD_Y;

        // Columns: routes | bus | stages | side labels | side boxes.
        let route_w = (0..g.nodes.len())
            .filter(|&i| is_route(i))
            .map(box_w)
            .max()
            .unwrap_or(0);
        let column_w = stages
            .iter()
            .copied()
            .chain(sink)
            .map(box_w)
            .max()
            .unwrap_or(0)
            .max(240);
        let side_label_w = (0..g.edges.len())
            .filter(|&k| matches!(kinds[k], EdgeKind::Side { .. }))
            .map(|k| labels[k].width())
            .max()
            .unwrap_or(0);
        let column_x = MARGIN + if route_w > 0 { route_w + ROUTE_GAP } else { 0 } + BUS_OFFSET + 12;
        let bus_x = column_x - BUS_OFFSET;
        let side_x = column_x + column_w + (side_label_w + 28).max(48);

        // Rows, top to bottom.
        let mut rects: Vec<Option<Rect>> = vec![None; g.nodes.len()];
        let mut edge_y = vec![0; g.edges.len()];
        let gap_after = |row: usize| {
            let label = (0..g.edges.len())
                .filter(|&k| {
                    kinds[k] == EdgeKind::Down
                        && index(&g.edges[k].from) == stages.get(row).copied()
                })
                .map(|k| labels[k].height())
                .max()
                .unwrap_or(0);
            (label + 20).max(44)
        };
        let mut y = MARGIN;
        for (row, &stage) in stages.iter().enumerate() {
            let has_exit = (0..g.edges.len())
                .any(|k| kinds[k] == EdgeKind::Bus && index(&g.edges[k].from) == Some(stage));
            let lefts: Vec<usize> = (0..g.nodes.len())
                .filter(|&i| is_route(i) && node_row[i] == Some(row))
                .collect();
            let rights: Vec<usize> = (0..g.nodes.len())
                .filter(|&i| is_side(i) && node_row[i] == Some(row))
                .collect();
            // The label over the edge that places each box on the right, and how far the box
            // and its label reach above and below the edge.
            let reach = |i: usize| {
                let label_h = (0..g.edges.len())
                    .find(|&k| {
                        kinds[k] == EdgeKind::Side { primary: true }
                            && index(&g.edges[k].to) == Some(i)
                    })
                    .map_or(0, |k| labels[k].height());
                ((box_h(i) / 2).max(label_h + 6), box_h(i) - box_h(i) / 2)
            };
            let left_need = 2 * PAD_Y
                + lefts.iter().map(|&i| box_h(i) + STACK_GAP).sum::<i64>()
                + if has_exit { EXIT_RISE } else { 0 };
            let right_need = 2 * 8
                + rights
                    .iter()
                    .map(|&i| {
                        let (up, down) = reach(i);
                        up + down + STACK_GAP
                    })
                    .sum::<i64>();
            let h = box_h(stage).max(left_need).max(right_need);
            rects[stage] = Some(Rect {
                x: column_x,
                y,
                w: column_w,
                h,
            });
            let mut top = y + PAD_Y;
            for &i in &lefts {
                let w = box_w(i);
                rects[i] = Some(Rect {
                    x: column_x - ROUTE_GAP - BUS_OFFSET - 12 - w,
                    y: top,
                    w,
                    h: box_h(i),
                });
                top += box_h(i) + STACK_GAP;
            }
            let mut top = y + 8;
            for &i in &rights {
                let (up, down) = reach(i);
                rects[i] = Some(Rect {
                    x: side_x,
                    y: top + up - box_h(i) / 2,
                    w: box_w(i),
                    h: box_h(i),
                });
                top += up + down + STACK_GAP;
            }
            y += h + gap_after(row);
        }
        if let Some(sink) = sink {
            rects[sink] = Some(Rect {
                x: column_x,
                y,
                w: column_w,
                h: box_h(sink),
            });
        }

        // Where the route and side edges run.
        for (k, e) in g.edges.iter().enumerate() {
            let from = index(&e.from).and_then(|i| rects[i]);
            let to = index(&e.to).and_then(|i| rects[i]);
            edge_y[k] = match (kinds[k], from, to) {
                (EdgeKind::Route, Some(r), _) => r.centre_y(),
                (EdgeKind::Side { primary: true }, _, Some(r)) => r.centre_y(),
                (EdgeKind::Side { primary: false }, Some(r), _) => r.bottom() - 10,
                (EdgeKind::Bus, Some(r), _) => r.bottom() - EXIT_RISE,
                _ => 0,
            };
        }

        // The extent of everything drawn.
        let mut right = 0;
        let mut bottom = 0;
        for r in rects.iter().flatten() {
            right = right.max(r.right());
            bottom = bottom.max(r.bottom());
        }
        for (k, e) in g.edges.iter().enumerate() {
            if kinds[k] == EdgeKind::Down
                && let Some(r) = index(&e.from).and_then(|i| rects[i])
            {
                right = right.max(r.centre_x() + 8 + labels[k].width());
            }
        }
        SvgLayout {
            width: right + MARGIN,
            height: bottom + MARGIN,
            rects,
            texts,
            kinds,
            labels,
            edge_y,
            bus_x,
        }
    }

    fn draw(&self, g: &Graph, o: &mut String) {
        let index = |id: &str| g.nodes.iter().position(|n| n.id == id);
        let rect = |id: &str| index(id).and_then(|i| self.rects[i]);

        // The "resolved" line left of the stages, under everything else.
        let exits: Vec<i64> = (0..g.edges.len())
            .filter(|&k| self.kinds[k] == EdgeKind::Bus)
            .map(|k| self.edge_y[k])
            .collect();
        if let (Some(&first), Some(sink)) = (exits.iter().min(), rect(RESOLVED)) {
            let x = self.bus_x;
            o.push_str("<g fill=\"none\" stroke=\"");
            o.push_str(INK);
            o.push_str("\" stroke-width=\"2\">\n");
            for y in &exits {
                let _ = writeln!(o, "<path d=\"M{} {y}H{x}\"/>", sink.x);
            }
            let _ = writeln!(
                o,
                "<path d=\"M{x} {first}V{}H{}\"/>",
                sink.centre_y(),
                sink.x - 2
            );
            o.push_str("</g>\n");
            arrow_head(o, (x, sink.centre_y()), (sink.x, sink.centre_y()), INK);
        }

        for (k, e) in g.edges.iter().enumerate() {
            let (Some(from), Some(to)) = (rect(&e.from), rect(&e.to)) else {
                continue;
            };
            let dash = if e.dashed {
                " stroke-dasharray=\"6 4\""
            } else {
                ""
            };
            let label = &self.labels[k];
            match self.kinds[k] {
                EdgeKind::Bus => {}
                EdgeKind::Route => {
                    let y = self.edge_y[k];
                    // A white band first, so the route visibly crosses the "resolved" line.
                    let _ = writeln!(
                        o,
                        "<path d=\"M{} {y}H{}\" fill=\"none\" stroke=\"{WHITE}\" stroke-width=\"8\"/>",
                        from.right() + 4,
                        to.x - 12
                    );
                    let _ = writeln!(
                        o,
                        "<path d=\"M{} {y}H{}\" fill=\"none\" stroke=\"{BLUE}\" stroke-width=\"3\"{dash}/>",
                        from.right(),
                        to.x - 2
                    );
                    arrow_head(o, (from.right(), y), (to.x, y), BLUE);
                    label.draw(o, from.right() + 6, y - 4 - label.height());
                }
                EdgeKind::Down => {
                    let x = from.centre_x();
                    let _ = writeln!(
                        o,
                        "<path d=\"M{x} {}V{}\" fill=\"none\" stroke=\"{INK}\" stroke-width=\"2\"{dash}/>",
                        from.bottom(),
                        to.y - 2
                    );
                    arrow_head(o, (x, from.bottom()), (x, to.y), INK);
                    let mid = (from.bottom() + to.y) / 2;
                    label.draw(o, x + 8, mid - label.height() / 2);
                }
                EdgeKind::Side { primary } => {
                    let start = (from.right(), self.edge_y[k]);
                    let end = (to.x, if primary { start.1 } else { to.centre_y() });
                    let _ = writeln!(
                        o,
                        "<path d=\"M{} {}L{} {}\" fill=\"none\" stroke=\"{INK}\" stroke-width=\"2\"{dash}/>",
                        start.0, start.1, end.0, end.1
                    );
                    arrow_head(o, start, end, INK);
                    label.draw(o, start.0 + 8, start.1 - 5 - label.height());
                }
                EdgeKind::Other => {
                    let start = (from.centre_x(), from.bottom());
                    let end = (to.centre_x(), to.y);
                    let _ = writeln!(
                        o,
                        "<path d=\"M{} {}L{} {}\" fill=\"none\" stroke=\"{INK}\" stroke-width=\"2\"{dash}/>",
                        start.0, start.1, end.0, end.1
                    );
                    arrow_head(o, start, end, INK);
                    label.draw(o, (start.0 + end.0) / 2 + 8, (start.1 + end.1) / 2);
                }
            }
        }

        for (i, n) in g.nodes.iter().enumerate() {
            let Some(r) = self.rects[i] else { continue };
            let (x, y, w, h) = (r.x, r.y, r.w, r.h);
            match n.shape {
                Shape::Stage => {
                    let _ = writeln!(
                        o,
                        "<rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\" fill=\"{WHITE}\" stroke=\"{INK}\" stroke-width=\"2\"/>"
                    );
                }
                Shape::Start => {
                    let rx = (h / 2).min(20);
                    let _ = writeln!(
                        o,
                        "<rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\" rx=\"{rx}\" fill=\"{WHITE}\" stroke=\"{BLUE}\" stroke-width=\"3\"/>"
                    );
                }
                Shape::End => {
                    let _ = writeln!(
                        o,
                        "<rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\" rx=\"12\" fill=\"{GREY}\" stroke=\"{INK}\" stroke-width=\"2\"/>"
                    );
                    let _ = writeln!(
                        o,
                        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"9\" fill=\"none\" stroke=\"{INK}\" stroke-width=\"1\"/>",
                        x + 4,
                        y + 4,
                        w - 8,
                        h - 8
                    );
                }
                Shape::Notice => {
                    // A page with its top right corner folded down.
                    let fold = 12;
                    let _ = writeln!(
                        o,
                        "<path d=\"M{x} {y}H{}L{} {}V{}H{x}Z\" fill=\"{WHITE}\" stroke=\"{INK}\" stroke-width=\"1.5\"/>",
                        x + w - fold,
                        x + w,
                        y + fold,
                        y + h
                    );
                    let _ = writeln!(
                        o,
                        "<path d=\"M{} {y}V{}H{}\" fill=\"none\" stroke=\"{INK}\" stroke-width=\"1.5\"/>",
                        x + w - fold,
                        y + fold,
                        x + w
                    );
                }
            }
            self.texts[i].draw(o, x + PAD_X, y + PAD_Y);
        }
    }
}

/// The text inside a node's box: a stage's number, title (bold) and captioned lines; an
/// ending's first line in bold; other nodes' labels as they are.
fn node_text(n: &Node) -> TextBlock {
    let mut b = TextBlock::default();
    let Some((first, rest)) = n.label.split_first() else {
        return b;
    };
    match n.shape {
        Shape::Stage => {
            // "Stage 2: Title" splits into a number line and a title; a title that names its
            // own stage ("Stage One professional challenge: line managers") stays whole.
            let numbered = first.split_once(": ").filter(|(number, _)| {
                number
                    .strip_prefix("Stage ")
                    .is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()))
            });
            match numbered {
                Some((number, title)) => {
                    b.push(number, 40, 14, true);
                    b.push(title, 34, 16, true);
                }
                None => b.push(first, 34, 16, true),
            }
            for (i, line) in rest.iter().enumerate() {
                match STAGE_CAPTIONS.get(i) {
                    Some(caption) => b.push(&format!("{caption}: {line}"), 40, 14, false),
                    None => b.push(line, 40, 14, false),
                }
            }
        }
        Shape::End if !rest.is_empty() => {
            b.push(first, 30, 16, true);
            for line in rest {
                // Outcomes are listed with semicolons: one to a line.
                for part in line.split("; ") {
                    b.push(part, 44, 14, false);
                }
            }
        }
        Shape::Start => {
            for line in &n.label {
                b.push(line, 22, 14, false);
            }
        }
        _ => {
            for line in &n.label {
                b.push(line, 28, 14, false);
            }
        }
    }
    b
}

/// A filled arrow head at `to`, pointing along the line from `from`.
fn arrow_head(o: &mut String, from: (i64, i64), to: (i64, i64), fill: &str) {
    let (dx, dy) = ((to.0 - from.0) as f64, (to.1 - from.1) as f64);
    let len = dx.hypot(dy);
    if len < 1.0 {
        return;
    }
    let (ux, uy) = (dx / len, dy / len);
    let (tx, ty) = (to.0 as f64, to.1 as f64);
    let (bx, by) = (tx - 10.0 * ux, ty - 10.0 * uy);
    let points = [
        (tx, ty),
        (bx - 5.0 * uy, by + 5.0 * ux),
        (bx + 5.0 * uy, by - 5.0 * ux),
    ];
    let points: Vec<String> = points
        .iter()
        .map(|&(x, y)| format!("{},{}", number(x), number(y)))
        .collect();
    let _ = writeln!(
        o,
        "<polygon points=\"{}\" fill=\"{fill}\"/>",
        points.join(" ")
    );
}

/// A coordinate: whole numbers as they are, anything else to one decimal place.
fn number(v: f64) -> String {
    let rounded = (v * 10.0).round() / 10.0;
    if rounded.fract() == 0.0 {
        format!("{}", rounded as i64)
    } else {
        format!("{rounded:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escape_escapes_markup_and_drops_what_xml_cannot_hold() {
        assert_eq!(
            xml_escape("a & b < c > d \"e\" 'f'"),
            "a &amp; b &lt; c &gt; d &quot;e&quot; &apos;f&apos;"
        );
        assert_eq!(
            xml_escape("x\u{0}\u{7}\u{1f}\u{fffe}\u{ffff}y\tz\n"),
            "xy\tz\n"
        );
        assert_eq!(xml_escape("é — 😀"), "é — 😀");
    }

    #[test]
    fn wrap_lines_breaks_at_spaces_and_keeps_long_words_whole() {
        assert_eq!(wrap_lines("", 10), Vec::<String>::new());
        assert_eq!(wrap_lines("one two three", 7), ["one two", "three"]);
        assert_eq!(wrap_lines("  one   two  ", 20), ["one two"]);
        assert_eq!(
            wrap_lines("a verylongwordindeed b", 5),
            ["a", "verylongwordindeed", "b"]
        );
        // Counted in characters, not bytes.
        assert_eq!(wrap_lines("éé éé", 5), ["éé éé"]);
    }

    #[test]
    fn text_width_follows_arial() {
        // "Il" is narrow, "MW" wide; anything outside ASCII counts a full em.
        assert!(text_width("Il", 10, false) < text_width("MW", 10, false));
        assert_eq!(text_width("", 16, true), 0);
        assert_eq!(text_width("m", 10, false), 10); // 833 * 10 * 1.1 / 1000, rounded up
        assert_eq!(text_width("\u{4e00}", 10, false), 11);
        assert!(text_width("Stage", 14, true) > text_width("Stage", 14, false));
    }

    #[test]
    fn numbers_are_whole_or_one_decimal() {
        assert_eq!(number(12.0), "12");
        assert_eq!(number(-3.04), "-3");
        assert_eq!(number(7.25), "7.3");
    }
}
