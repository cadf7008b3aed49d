//! Bar charts with the bars lying down, so that long names (agencies, categories) sit on the
//! left and read as text: one bar per series in each category ([`bar`]), or one bar per
//! category in segments, one per series ([`stacked_bar`]).

use std::fmt::Write;

use super::ChartData;
use super::draw::{CHAR, GRID, INK, WIDTH, axis, legend, num, open, patterns, text_lines, wrap};
use crate::ReportError;

const BAR: f64 = 20.0;
const STACKED_BAR: f64 = 26.0;
const GAP: f64 = 4.0;
const GROUP_GAP: f64 = 14.0;
const LINE: f64 = 16.0;

/// A bar for each value: the categories down the left, the series' bars side by side in each,
/// each with its value at its end.
pub fn bar(data: &ChartData) -> Result<String, ReportError> {
    draw(data, false)
}

/// One bar per category, its segments the series in order, with the category's total at its
/// end.
pub fn stacked_bar(data: &ChartData) -> Result<String, ReportError> {
    draw(data, true)
}

fn draw(data: &ChartData, stacked: bool) -> Result<String, ReportError> {
    data.check()?;
    let key = data.key();
    let longest = data
        .categories
        .iter()
        .map(|c| c.chars().count())
        .max()
        .unwrap_or(0);
    let label_width = (longest as f64 * CHAR).clamp(80.0, 220.0);
    let chars_per_line = (label_width / CHAR) as usize;
    let x0 = label_width + 12.0;
    let plot_width = WIDTH - x0 - 56.0;
    let totals = data.totals();
    let max = if stacked {
        totals.iter().copied().max().unwrap_or(0)
    } else {
        data.series
            .iter()
            .flat_map(|s| s.values.iter().copied())
            .max()
            .unwrap_or(0)
    };
    let (step, top) = axis(max);
    let scale = plot_width / top as f64;

    let (legend_svg, legend_height) = legend(&key, &data.series, 0.0);
    let plot_top = legend_height + 8.0;
    let mut body = String::new();
    let mut y = plot_top;
    for (i, category) in data.categories.iter().enumerate() {
        let lines = wrap(category, chars_per_line);
        let bars_height = if stacked {
            STACKED_BAR
        } else {
            data.series.len().max(1) as f64 * (BAR + GAP) - GAP
        };
        let height = bars_height.max(lines.len() as f64 * LINE);
        body.push_str(&text_lines(x0 - 10.0, y + 14.0, "end", &lines));
        if stacked {
            let mut x = x0;
            for (k, s) in data.series.iter().enumerate() {
                let w = s.values[i] as f64 * scale;
                if w > 0.0 {
                    let _ = write!(
                        body,
                        r#"<rect x="{}" y="{}" width="{}" height="{STACKED_BAR}" fill="url(#{key}-fill-{k})" stroke="{INK}"/>"#,
                        num(x),
                        num(y),
                        num(w)
                    );
                }
                x += w;
            }
            let _ = write!(
                body,
                r#"<text x="{}" y="{}">{}</text>"#,
                num(x + 6.0),
                num(y + 18.0),
                totals[i]
            );
        } else {
            for (k, s) in data.series.iter().enumerate() {
                let by = y + k as f64 * (BAR + GAP);
                let w = s.values[i] as f64 * scale;
                if w > 0.0 {
                    let _ = write!(
                        body,
                        r#"<rect x="{}" y="{}" width="{}" height="{BAR}" fill="url(#{key}-fill-{k})" stroke="{INK}"/>"#,
                        num(x0),
                        num(by),
                        num(w)
                    );
                }
                let _ = write!(
                    body,
                    r#"<text x="{}" y="{}">{}</text>"#,
                    num(x0 + w + 6.0),
                    num(by + 15.0),
                    s.values[i]
                );
            }
        }
        y += height + GROUP_GAP;
    }
    let plot_bottom = y - GROUP_GAP + 6.0;

    // The value axis at the foot, with a grid line at each step.
    let mut grid = String::new();
    let mut v = 0;
    while v <= top {
        let x = x0 + v as f64 * scale;
        let _ = write!(
            grid,
            r#"<line x1="{x}" y1="{t}" x2="{x}" y2="{b}" stroke="{GRID}"/><text x="{x}" y="{ty}" text-anchor="middle">{v}</text>"#,
            x = num(x),
            t = num(plot_top - 4.0),
            b = num(plot_bottom),
            ty = num(plot_bottom + 18.0)
        );
        v += step;
    }
    let _ = write!(
        grid,
        r#"<line x1="{x}" y1="{t}" x2="{x}" y2="{b}" stroke="{INK}"/>"#,
        x = num(x0),
        t = num(plot_top - 4.0),
        b = num(plot_bottom)
    );
    let height = plot_bottom + 52.0;
    let axis_label = text_lines(
        x0 + plot_width / 2.0,
        plot_bottom + 40.0,
        "middle",
        std::slice::from_ref(&data.value_label),
    );

    let mut out = open(data, &key, height);
    out.push_str(&patterns(&key, data.series.len()));
    out.push_str(&legend_svg);
    out.push_str(&grid);
    out.push_str(&body);
    out.push_str(&axis_label);
    out.push_str("</svg>");
    Ok(out)
}
