//! A line chart: the categories (months, usually) along the foot, one line per series, each
//! with its own colour, dash and marker shape, and its name written at its end.

use std::fmt::Write;

use super::ChartData;
use super::draw::{CHAR, GRID, INK, WIDTH, axis, escape, num, open, text_lines, wrap};
use crate::ReportError;

/// Line colours from the GOV.UK palette, each at least 3:1 against white.
const COLOURS: [&str; 6] = ["#1d70b8", INK, "#d4351c", "#00703c", "#4c2c92", "#505a5f"];
/// Dashes, so that lines differ without colour.
const DASHES: [&str; 6] = ["none", "8 4", "2 4", "12 4 2 4", "4 4", "16 4"];

const PLOT_TOP: f64 = 32.0;
const PLOT_HEIGHT: f64 = 240.0;
const LEFT: f64 = 48.0;

/// The marker of series `i` at (`x`, `y`): a circle, square, triangle, diamond, cross or
/// bar, so that the points differ without colour too.
pub(crate) fn marker(i: usize, x: f64, y: f64, colour: &str) -> String {
    let at = |dx: f64, dy: f64| format!("{},{}", num(x + dx), num(y + dy));
    let shape = match i % COLOURS.len() {
        0 => format!(r#"<circle cx="{}" cy="{}" r="4.5""#, num(x), num(y)),
        1 => format!(
            r#"<rect x="{}" y="{}" width="8" height="8""#,
            num(x - 4.0),
            num(y - 4.0)
        ),
        2 => format!(
            r#"<path d="M{} L{} L{} Z""#,
            at(0.0, -5.5),
            at(5.0, 4.0),
            at(-5.0, 4.0)
        ),
        3 => format!(
            r#"<path d="M{} L{} L{} L{} Z""#,
            at(0.0, -5.5),
            at(5.5, 0.0),
            at(0.0, 5.5),
            at(-5.5, 0.0)
        ),
        4 => format!(
            r#"<path d="M{} L{} L{} L{} L{} L{} L{} L{} L{} L{} L{} L{} Z""#,
            at(-1.5, -5.0),
            at(1.5, -5.0),
            at(1.5, -1.5),
            at(5.0, -1.5),
            at(5.0, 1.5),
            at(1.5, 1.5),
            at(1.5, 5.0),
            at(-1.5, 5.0),
            at(-1.5, 1.5),
            at(-5.0, 1.5),
            at(-5.0, -1.5),
            at(-1.5, -1.5)
        ),
        _ => format!(
            r#"<rect x="{}" y="{}" width="10" height="4""#,
            num(x - 5.0),
            num(y - 2.0)
        ),
    };
    format!(r##"{shape} fill="{colour}" stroke="#ffffff" stroke-width="1"/>"##)
}

/// A line for each series across the categories.
pub fn line(data: &ChartData) -> Result<String, ReportError> {
    data.check()?;
    let key = data.key();
    let longest = data
        .series
        .iter()
        .map(|s| s.name.chars().count())
        .max()
        .unwrap_or(0);
    let right = (longest as f64 * CHAR + 24.0).clamp(40.0, 200.0);
    let plot_width = WIDTH - LEFT - right;
    let n = data.categories.len();
    let spacing = if n > 1 {
        plot_width / (n - 1) as f64
    } else {
        plot_width
    };
    let x_of = |i: usize| {
        if n > 1 {
            LEFT + i as f64 * spacing
        } else {
            LEFT + plot_width / 2.0
        }
    };
    let max = data
        .series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .max()
        .unwrap_or(0);
    let (step, top) = axis(max);
    let bottom = PLOT_TOP + PLOT_HEIGHT;
    let y_of = |v: u64| bottom - v as f64 * PLOT_HEIGHT / top as f64;

    let mut out = String::new();
    out.push_str(&text_lines(
        0.0,
        14.0,
        "start",
        std::slice::from_ref(&data.value_label),
    ));
    let mut v = 0;
    while v <= top {
        let y = y_of(v);
        let _ = write!(
            out,
            r#"<line x1="{l}" y1="{y}" x2="{r}" y2="{y}" stroke="{GRID}"/><text x="{tx}" y="{ty}" text-anchor="end">{v}</text>"#,
            l = num(LEFT),
            r = num(LEFT + plot_width),
            y = num(y),
            tx = num(LEFT - 8.0),
            ty = num(y + 5.0)
        );
        v += step;
    }
    let _ = write!(
        out,
        r#"<line x1="{l}" y1="{b}" x2="{r}" y2="{b}" stroke="{INK}"/>"#,
        l = num(LEFT),
        r = num(LEFT + plot_width),
        b = num(bottom)
    );
    let chars = ((spacing / CHAR) as usize).max(4);
    let mut deepest = 1;
    for (i, c) in data.categories.iter().enumerate() {
        let lines = wrap(c, chars);
        deepest = deepest.max(lines.len());
        out.push_str(&text_lines(x_of(i), bottom + 20.0, "middle", &lines));
    }

    // Each series, then its name at the end of its line, nudged apart where lines end close
    // together.
    let mut ends = Vec::new();
    for (k, s) in data.series.iter().enumerate() {
        let colour = COLOURS[k % COLOURS.len()];
        let dash = DASHES[k % DASHES.len()];
        let points: Vec<String> = s
            .values
            .iter()
            .enumerate()
            .map(|(i, &v)| format!("{},{}", num(x_of(i)), num(y_of(v))))
            .collect();
        let dasharray = if dash == "none" {
            String::new()
        } else {
            format!(r#" stroke-dasharray="{dash}""#)
        };
        let _ = write!(
            out,
            r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="2.5"{dasharray}/>"#,
            points.join(" ")
        );
        for (i, &v) in s.values.iter().enumerate() {
            out.push_str(&marker(k, x_of(i), y_of(v), colour));
        }
        if let Some(&last) = s.values.last() {
            ends.push((y_of(last), k));
        }
    }
    ends.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut previous = f64::NEG_INFINITY;
    for (y, k) in ends {
        let y = y.max(previous + 16.0);
        previous = y;
        let _ = write!(
            out,
            r#"<text x="{}" y="{}">{}</text>"#,
            num(x_of(n.saturating_sub(1)) + 10.0),
            num(y + 5.0),
            escape(&data.series[k].name)
        );
    }

    let height = (bottom + 20.0 + deepest as f64 * 16.0 + 8.0).max(previous + 16.0);
    let mut svg = open(data, &key, height);
    svg.push_str(&out);
    svg.push_str("</svg>");
    Ok(svg)
}
