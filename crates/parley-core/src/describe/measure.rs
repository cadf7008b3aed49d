//! Measuring text for the SVG: Arial's advance widths, wrapping, and the boxes text sits in.

use std::fmt::Write as _;

use super::*;

/// Advance widths of Arial's printable ASCII characters, in thousandths of an em.
pub(crate) const ARIAL_WIDTHS: [u16; 95] = [
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
pub(crate) fn text_width(s: &str, size: i64, bold: bool) -> i64 {
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
pub(crate) fn wrap_lines(text: &str, chars: usize) -> Vec<String> {
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
pub(crate) struct TextLine {
    pub(crate) text: String,
    pub(crate) size: i64,
    pub(crate) bold: bool,
}

/// Lines of text, drawn top down.
#[derive(Clone, Debug, Default)]
pub(crate) struct TextBlock {
    pub(crate) lines: Vec<TextLine>,
}

impl TextBlock {
    pub(crate) fn push(&mut self, text: &str, chars: usize, size: i64, bold: bool) {
        for text in wrap_lines(text, chars) {
            self.lines.push(TextLine { text, size, bold });
        }
    }

    pub(crate) fn line_height(size: i64) -> i64 {
        (size * 4 + 2) / 3
    }

    pub(crate) fn height(&self) -> i64 {
        self.lines.iter().map(|l| Self::line_height(l.size)).sum()
    }

    pub(crate) fn width(&self) -> i64 {
        self.lines
            .iter()
            .map(|l| text_width(&l.text, l.size, l.bold))
            .max()
            .unwrap_or(0)
    }

    /// Draws the block with its first line's top at `top`; `x` is the left edge.
    pub(crate) fn draw(&self, o: &mut String, x: i64, top: i64) {
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
pub(crate) struct Rect {
    pub(crate) x: i64,
    pub(crate) y: i64,
    pub(crate) w: i64,
    pub(crate) h: i64,
}

impl Rect {
    pub(crate) fn right(self) -> i64 {
        self.x + self.w
    }

    pub(crate) fn bottom(self) -> i64 {
        self.y + self.h
    }

    pub(crate) fn centre_x(self) -> i64 {
        self.x + self.w / 2
    }

    pub(crate) fn centre_y(self) -> i64 {
        self.y + self.h / 2
    }
}

/// How an edge of the graph is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EdgeKind {
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
