//! Drawing shared by the three charts: the palette and patterns, the SVG's opening, the
//! legend, the value axis, wrapped labels, escaping and numbers.

use std::fmt::Write;

use super::{ChartData, Series};

pub(crate) const WIDTH: f64 = 680.0;
pub(crate) const FONT: &str = "arial, sans-serif";
/// GOV.UK text colour, and the outline of every mark.
pub(crate) const INK: &str = "#0b0c0c";
/// GOV.UK mid-grey: grid lines.
pub(crate) const GRID: &str = "#b1b4b6";
/// Average width of a character at 14px, for laying out labels (a generous estimate, so
/// labels wrap a little early rather than overflow).
pub(crate) const CHAR: f64 = 7.5;

/// Fill colours from the GOV.UK palette, dark and light by turns so that neighbours differ
/// in greyscale too, and whether each is dark (its pattern is drawn in white) or light.
const FILLS: [(&str, bool); 8] = [
    ("#1d70b8", true),  // blue
    ("#f47738", false), // orange
    ("#003078", true),  // dark blue
    ("#ffdd00", false), // yellow
    ("#4c2c92", true),  // purple
    ("#85994b", false), // light green
    ("#d4351c", true),  // red
    ("#5694ca", false), // light blue
];

/// The fill of series `i`: its colour, and a pattern of marks over it.
pub(crate) fn fill(i: usize) -> (&'static str, bool) {
    FILLS[i % FILLS.len()]
}

/// The marks of pattern `i` on an 8 by 8 tile, in `ink`. Pattern 0 is plain colour.
pub(crate) fn pattern_marks(i: usize, ink: &str) -> String {
    let line =
        |d: &str| format!(r#"<path d="{d}" stroke="{ink}" stroke-width="1.5" fill="none"/>"#);
    match i % FILLS.len() {
        0 => String::new(),
        1 => line("M-2,2 L2,-2 M0,8 L8,0 M6,10 L10,6"),
        2 => format!(r#"<circle cx="4" cy="4" r="1.6" fill="{ink}"/>"#),
        3 => line("M0,4 L8,4"),
        4 => line("M0,0 L8,8 M8,0 L0,8"),
        5 => line("M4,0 L4,8"),
        6 => line("M-2,6 L2,10 M0,0 L8,8 M6,-2 L10,2"),
        _ => line("M0,4 L8,4 M4,0 L4,8"),
    }
}

/// The `<defs>` with one pattern per series.
pub(crate) fn patterns(key: &str, series: usize) -> String {
    let mut out = String::from("<defs>");
    for i in 0..series {
        let (colour, dark) = fill(i);
        let ink = if dark { "#ffffff" } else { INK };
        let _ = write!(
            out,
            r#"<pattern id="{key}-fill-{i}" width="8" height="8" patternUnits="userSpaceOnUse"><rect width="8" height="8" fill="{colour}"/>{}</pattern>"#,
            pattern_marks(i, ink)
        );
    }
    out.push_str("</defs>");
    out
}

/// The opening of the SVG, with its title and description.
pub(crate) fn open(data: &ChartData, key: &str, height: f64) -> String {
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-labelledby="{key}-title {key}-desc" class="parley-chart" font-family="{FONT}" font-size="14" fill="{INK}"><title id="{key}-title">{title}</title><desc id="{key}-desc">{desc}</desc>"#,
        w = num(WIDTH),
        h = num(height),
        title = escape(&data.title),
        desc = escape(&data.description),
    )
}

/// Text made safe for XML character data and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters are not allowed in XML 1.0 at all.
            c if c.is_control() && !matches!(c, '\n' | '\t') => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A coordinate, to one decimal place, without a trailing ".0".
pub(crate) fn num(x: f64) -> String {
    let tenths = (x * 10.0).round() as i64;
    if tenths % 10 == 0 {
        (tenths / 10).to_string()
    } else {
        format!(
            "{}{}.{}",
            if tenths < 0 { "-" } else { "" },
            (tenths / 10).abs(),
            (tenths % 10).abs()
        )
    }
}

/// A value axis: a round step (1, 2 or 5 times a power of ten) giving at most about five
/// steps up to `max`, and the top of the axis.
pub(crate) fn axis(max: u64) -> (u64, u64) {
    let max = max.max(1);
    let mut step = 1;
    loop {
        for m in [1, 2, 5] {
            let s = step * m;
            if max.div_ceil(s) <= 5 {
                return (s, max.div_ceil(s) * s);
            }
        }
        step *= 10;
    }
}

/// `text` in lines of at most `width` characters, broken at spaces (a longer word keeps its
/// own line).
pub(crate) fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        match lines.last_mut() {
            Some(last) if last.chars().count() + 1 + word.chars().count() <= width => {
                last.push(' ');
                last.push_str(word);
            }
            _ => lines.push(word.to_owned()),
        }
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

/// A `<text>` of several lines, the first at `y`, each 16px below the one before.
pub(crate) fn text_lines(x: f64, y: f64, anchor: &str, lines: &[String]) -> String {
    let mut out = format!(
        r#"<text x="{}" y="{}" text-anchor="{anchor}">"#,
        num(x),
        num(y)
    );
    for (i, l) in lines.iter().enumerate() {
        let dy = if i == 0 { "0" } else { "16" };
        let _ = write!(
            out,
            r#"<tspan x="{}" dy="{dy}">{}</tspan>"#,
            num(x),
            escape(l)
        );
    }
    out.push_str("</text>");
    out
}

/// The legend: a swatch (the series' pattern, outlined) and the name of each series, in rows
/// across the top of the chart from `y`. Returns the SVG and the height it takes.
pub(crate) fn legend(key: &str, series: &[Series], y: f64) -> (String, f64) {
    let mut out = String::new();
    let (mut x, mut row) = (0.0, 0.0);
    for (i, s) in series.iter().enumerate() {
        let width = 26.0 + s.name.chars().count() as f64 * CHAR + 20.0;
        if x > 0.0 && x + width > WIDTH {
            x = 0.0;
            row += 24.0;
        }
        let _ = write!(
            out,
            r#"<rect x="{}" y="{}" width="18" height="18" fill="url(#{key}-fill-{i})" stroke="{INK}"/><text x="{}" y="{}">{}</text>"#,
            num(x),
            num(y + row),
            num(x + 26.0),
            num(y + row + 14.0),
            escape(&s.name)
        );
        x += width;
    }
    (out, row + 24.0)
}
