//! Where everything of the SVG goes: stages as a column of rows, routes in on the left, ways
//! out on the right, and the edges between them.

use std::fmt::Write as _;

use super::*;

/// Where everything goes. Stages are a column of rows; each row holds one stage, the routes
/// into it (left) and the boxes it points to (right).
#[derive(Debug)]
pub(crate) struct SvgLayout {
    pub(crate) width: i64,
    pub(crate) height: i64,
    /// By node index: the box, and its text.
    pub(crate) rects: Vec<Option<Rect>>,
    pub(crate) texts: Vec<TextBlock>,
    /// By edge index.
    pub(crate) kinds: Vec<EdgeKind>,
    /// By edge index: the label, wrapped (empty if none).
    pub(crate) labels: Vec<TextBlock>,
    /// By edge index: the y where a side edge runs, and where a route edge runs.
    pub(crate) edge_y: Vec<i64>,
    /// The x of the line collecting the "resolved" edges.
    pub(crate) bus_x: i64,
}

impl SvgLayout {
    pub(crate) fn new(g: &Graph) -> SvgLayout {
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

    pub(crate) fn draw(&self, g: &Graph, o: &mut String) {
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
pub(crate) fn node_text(n: &Node) -> TextBlock {
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
pub(crate) fn arrow_head(o: &mut String, from: (i64, i64), to: (i64, i64), fill: &str) {
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
pub(crate) fn number(v: f64) -> String {
    let rounded = (v * 10.0).round() / 10.0;
    if rounded.fract() == 0.0 {
        format!("{}", rounded as i64)
    } else {
        format!("{rounded:.1}")
    }
}
