//! The flow graph as an accessible SVG for the procedure page: its description in words, and the drawing.

use crate::procedure::Procedure;
use std::fmt::Write as _;

use super::*;

/// The id `graph` gives the node every stage can end in.
pub(crate) const RESOLVED: &str = "resolved";

/// What the lines after the first of a stage node's label say (`graph` puts the leads, then
/// the timescale, after the heading).
pub(crate) const STAGE_CAPTIONS: [&str; 2] = ["Led by", "Timescale"];

pub(crate) const INK: &str = "#0b0c0c";
pub(crate) const BLUE: &str = "#1d70b8";
pub(crate) const WHITE: &str = "#ffffff";
pub(crate) const GREY: &str = "#f3f2f1";

pub(crate) const MARGIN: i64 = 16;
/// Padding inside a box.
pub(crate) const PAD_X: i64 = 14;
pub(crate) const PAD_Y: i64 = 10;
/// Vertical space between two stacked boxes beside a stage.
pub(crate) const STACK_GAP: i64 = 12;
/// Where the "resolved" line leaves a stage: this far above the stage's bottom edge.
pub(crate) const EXIT_RISE: i64 = 16;
/// The line collecting every stage's "resolved" runs this far left of the stages.
pub(crate) const BUS_OFFSET: i64 = 22;
/// Room between the entry routes and the bus.
pub(crate) const ROUTE_GAP: i64 = 40;

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
pub(crate) fn svg_desc(g: &Graph) -> String {
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
pub(crate) fn node_words(n: &Node) -> String {
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
pub(crate) fn node_name(n: &Node) -> String {
    let first = n.label.first().map_or(n.id.as_str(), String::as_str);
    match (n.shape, n.id.strip_prefix("stage_")) {
        // Whatever the procedure calls its stages ("Step 2", "Stage Two"), the arrow names
        // the number, as the rest of the description does.
        (Shape::Stage, Some(number)) => format!("Stage {number}"),
        _ => first.to_owned(),
    }
}

pub(crate) fn edge_words(g: &Graph, e: &Edge) -> String {
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
pub(crate) fn sentence(s: &str) -> String {
    let s = s.trim_end();
    if s.ends_with(['.', '?', '!']) {
        s.to_owned()
    } else {
        format!("{s}.")
    }
}

/// Escapes text for XML content and attribute values, and drops the characters XML 1.0
/// cannot hold at all (control characters other than tab and line breaks, U+FFFE, U+FFFF).
pub(crate) fn xml_escape(s: &str) -> String {
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
