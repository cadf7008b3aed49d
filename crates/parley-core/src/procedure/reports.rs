//! The reports a procedure's document calls for (`[[report]]`; issue 17, item 1: "the
//! procedure file says which reports it calls for and how often, and the deadline monitor
//! reminds the business team when one falls due"). Each names what it holds, how often it is
//! made, and for whom:
//!
//! - Dorset §10: "details of all escalations to Stage Three and above occurring in the
//!   previous month": a monthly list of the escalations that reached stage 3 or above.
//! - Solihull §9: "The SSCP will review notifications quarterly to identify any trends": the
//!   quarter's figures.
//! - Croydon, Recording and reporting: "collate the emerging issues … and report within the
//!   Annual Report": the year's figures and learning.
//!
//! A list names escalations but never a child: it is made from the report facts, which have
//! no field for one.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::{Diagnostic, StageNumber};

/// What a procedure's report holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReportContent {
    /// The escalations that reached `from_stage` or a later stage in the period, one line
    /// each (reference, category, agencies, the stages reached and when, how it stood at the
    /// end of the period).
    Escalations { from_stage: StageNumber },
    /// The period report: the figures, the charts, what was open at the end and the learning
    /// log.
    Figures,
}

impl ReportContent {
    /// The name used in files: `escalations` or `figures`.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportContent::Escalations { .. } => "escalations",
            ReportContent::Figures => "figures",
        }
    }
}

/// How often a report is made: each covers one whole period of this kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReportEvery {
    Month,
    Quarter,
    /// January to December.
    CalendarYear,
    /// April to March.
    FinancialYear,
}

impl ReportEvery {
    pub const ALL: &'static [ReportEvery] = &[
        ReportEvery::Month,
        ReportEvery::Quarter,
        ReportEvery::CalendarYear,
        ReportEvery::FinancialYear,
    ];

    /// The name used in files.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportEvery::Month => "month",
            ReportEvery::Quarter => "quarter",
            ReportEvery::CalendarYear => "calendar-year",
            ReportEvery::FinancialYear => "financial-year",
        }
    }

    /// How often, in words: "Monthly", "Every financial year (April to March)".
    pub fn label(self) -> &'static str {
        match self {
            ReportEvery::Month => "Monthly",
            ReportEvery::Quarter => "Quarterly",
            ReportEvery::CalendarYear => "Every calendar year",
            ReportEvery::FinancialYear => "Every financial year (April to March)",
        }
    }

    fn parse(s: &str) -> Option<ReportEvery> {
        ReportEvery::ALL.iter().copied().find(|e| e.as_str() == s)
    }
}

/// A report the procedure calls for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportSpec {
    /// Unique in the file: lowercase letters, digits and hyphens, e.g. `stage-3-monthly`.
    pub id: String,
    pub title: String,
    pub content: ReportContent,
    pub every: ReportEvery,
    /// Whom it is for, in the document's words: "the place-based child safeguarding
    /// arrangements".
    pub audience: String,
    /// Where in the document: `§10`.
    pub reference: Option<String>,
}

/// A `[[report]]` table as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawReport {
    id: Spanned<String>,
    title: Spanned<String>,
    content: Spanned<String>,
    from_stage: Option<Spanned<i64>>,
    every: Spanned<String>,
    #[serde(rename = "for")]
    audience: Spanned<String>,
    reference: Option<Spanned<String>>,
}

/// Checks the `[[report]]` tables: an id once each, a title, what it holds (`escalations`,
/// with a `from_stage` that exists, or `figures`, without one), how often, and for whom.
/// Problems go to `diagnostics`; only the good reports are returned. `stages` are the file's
/// stage numbers; when they are misnumbered (reported already) `from_stage` is not checked.
pub(super) fn check(
    raw: Vec<Spanned<RawReport>>,
    stages: &BTreeSet<i64>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<ReportSpec> {
    let mut out = Vec::new();
    let mut ids: BTreeMap<String, usize> = BTreeMap::new();
    for (i, entry) in raw.into_iter().enumerate() {
        let entry = entry.into_inner();
        let mut ok = true;
        let mut error = |span: Range<usize>, message: String, help: Option<String>| {
            diagnostics.push(Diagnostic {
                span: Some(span),
                message,
                help,
            });
            false
        };
        let id_span = entry.id.span();
        let id = entry.id.into_inner();
        let id_ok = (2..=40).contains(&id.len())
            && id.starts_with(|c: char| c.is_ascii_lowercase())
            && id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !id_ok {
            ok &= error(
                id_span,
                format!(
                    "report id \"{id}\" must be 2 to 40 lowercase letters, digits or hyphens, starting with a letter"
                ),
                Some("for example id = \"stage-3-monthly\"".to_owned()),
            );
        } else if let Some(first) = ids.get(&id) {
            ok &= error(
                id_span,
                format!("report id \"{id}\" is used by report {first} already"),
                None,
            );
        } else {
            ids.insert(id.clone(), i + 1);
        }
        let mut text = |value: Spanned<String>, what: &str, help: &str| {
            let span = value.span();
            let t = value.into_inner().trim().to_owned();
            if t.is_empty() {
                error(
                    span,
                    format!("report {what} must not be empty"),
                    Some(help.to_owned()),
                );
                None
            } else {
                Some(t)
            }
        };
        let title = text(
            entry.title,
            "title",
            "what the report is called, e.g. \"Escalations at stage 3 and above\"",
        );
        let audience = text(
            entry.audience,
            "for",
            "whom the report is for, in the document's words",
        );
        let reference = match entry.reference {
            Some(r) => {
                let t = text(
                    r,
                    "reference",
                    "where the document asks for it, e.g. \"§10\"; or leave it out",
                );
                ok &= t.is_some();
                t
            }
            None => None,
        };
        let every = ReportEvery::parse(entry.every.get_ref());
        if every.is_none() {
            let known: Vec<&str> = ReportEvery::ALL.iter().map(|e| e.as_str()).collect();
            ok &= error(
                entry.every.span(),
                format!("unknown report period \"{}\"", entry.every.get_ref()),
                Some(format!("one of: {}", known.join(", "))),
            );
        }
        let content = match (entry.content.get_ref().as_str(), entry.from_stage) {
            ("figures", None) => Some(ReportContent::Figures),
            ("figures", Some(n)) => {
                ok &= error(
                    n.span(),
                    "from_stage is for a report of content = \"escalations\"".to_owned(),
                    Some("a report of figures counts every escalation; leave it out".to_owned()),
                );
                None
            }
            ("escalations", n) => {
                let numbered = stages.iter().copied().eq(1..=stages.len() as i64);
                match n {
                    None => Some(ReportContent::Escalations {
                        from_stage: StageNumber::FIRST,
                    }),
                    // Misnumbered stages are reported already.
                    Some(_) if !numbered => {
                        ok = false;
                        None
                    }
                    Some(n) => match StageNumber::new(*n.get_ref())
                        .filter(|s| stages.contains(&i64::from(s.get())))
                    {
                        Some(from_stage) => Some(ReportContent::Escalations { from_stage }),
                        None => {
                            let known: Vec<String> = stages.iter().map(i64::to_string).collect();
                            ok &= error(
                                n.span(),
                                format!(
                                    "report from_stage names stage {}, which does not exist",
                                    n.get_ref()
                                ),
                                Some(format!("the stages are {}", known.join(", "))),
                            );
                            None
                        }
                    },
                }
            }
            (other, _) => {
                ok &= error(
                    entry.content.span(),
                    format!("unknown report content \"{other}\""),
                    Some(
                        "one of: escalations (a list of the escalations that reached from_stage), figures (the period's figures)"
                            .to_owned(),
                    ),
                );
                None
            }
        };
        if let (true, Some(title), Some(audience), Some(content), Some(every)) =
            (ok, title, audience, content, every)
        {
            out.push(ReportSpec {
                id,
                title,
                content,
                every,
                audience,
                reference,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::{ReportContent, ReportEvery};
    use crate::procedure::StageNumber;
    use crate::procedure::test_support::problems_without;
    use crate::seeds;

    /// A built-in procedure without its `[[report]]` tables, with `extra` at its end.
    fn problems(seed: &str, extra: &str) -> Vec<(usize, String)> {
        problems_without(seed, "report", extra)
    }

    #[test]
    fn the_seeds_reports() {
        let reports = |id: &str| -> Vec<(String, ReportContent, ReportEvery)> {
            seeds::get(id)
                .unwrap()
                .unwrap()
                .reports
                .iter()
                .map(|r| (r.id.clone(), r.content, r.every))
                .collect()
        };
        let s = |x: &str| x.to_owned();
        // Dorset §10: "details of all escalations to Stage Three and above occurring in the
        // previous month".
        assert_eq!(
            reports("dorset"),
            [(
                s("stage-3-and-above"),
                ReportContent::Escalations {
                    from_stage: StageNumber::new(3).unwrap()
                },
                ReportEvery::Month
            )]
        );
        // Solihull §9: "The SSCP will review notifications quarterly".
        assert_eq!(
            reports("solihull"),
            [(
                s("quarterly-review"),
                ReportContent::Figures,
                ReportEvery::Quarter
            )]
        );
        // Croydon: "report within the Annual Report".
        assert_eq!(
            reports("croydon"),
            [(
                s("annual-report"),
                ReportContent::Figures,
                ReportEvery::FinancialYear
            )]
        );
        // Neither document asks for a report made at set times.
        assert_eq!(reports("sunderland"), []);
        assert_eq!(reports("buckinghamshire"), []);
    }

    #[test]
    fn a_good_report_reads() {
        let good = "[[report]]\nid = \"monthly\"\ntitle = \"Stage 2 and above\"\ncontent = \"escalations\"\nfrom_stage = 2\nevery = \"month\"\nfor = \"The board\"\nreference = \"§1\"\n";
        assert_eq!(problems("croydon", good), []);
        let figures = "[[report]]\nid = \"yearly\"\ntitle = \"Year\"\ncontent = \"figures\"\nevery = \"calendar-year\"\nfor = \"The board\"\n";
        assert_eq!(problems("sunderland", figures), []);
        assert_eq!(problems("buckinghamshire", ""), []);
    }

    /// Text added to a seed, and the problems expected: (line within the text, message).
    type Case = (&'static str, &'static [(usize, &'static str)]);

    #[test]
    fn bad_reports_are_reported_where_they_are() {
        let cases: &[Case] = &[
            (
                "[[report]]\nid = \"M\"\ntitle = \"T\"\ncontent = \"figures\"\nevery = \"month\"\nfor = \"B\"\n",
                &[(
                    2,
                    "report id \"M\" must be 2 to 40 lowercase letters, digits or hyphens, starting with a letter",
                )],
            ),
            (
                "[[report]]\nid = \"mm\"\ntitle = \" \"\ncontent = \"figures\"\nevery = \"month\"\nfor = \"B\"\n",
                &[(3, "report title must not be empty")],
            ),
            (
                "[[report]]\nid = \"mm\"\ntitle = \"T\"\ncontent = \"chart\"\nevery = \"month\"\nfor = \"B\"\n",
                &[(4, "unknown report content \"chart\"")],
            ),
            (
                "[[report]]\nid = \"mm\"\ntitle = \"T\"\ncontent = \"figures\"\nevery = \"weekly\"\nfor = \"B\"\n",
                &[(5, "unknown report period \"weekly\"")],
            ),
            (
                "[[report]]\nid = \"mm\"\ntitle = \"T\"\ncontent = \"figures\"\nevery = \"month\"\nfor = \"\"\n",
                &[(6, "report for must not be empty")],
            ),
            (
                "[[report]]\nid = \"mm\"\ntitle = \"T\"\ncontent = \"escalations\"\nfrom_stage = 9\nevery = \"month\"\nfor = \"B\"\n",
                &[(5, "report from_stage names stage 9, which does not exist")],
            ),
            (
                "[[report]]\nid = \"mm\"\ntitle = \"T\"\ncontent = \"figures\"\nfrom_stage = 2\nevery = \"month\"\nfor = \"B\"\n",
                &[(5, "from_stage is for a report of content = \"escalations\"")],
            ),
            (
                "[[report]]\nid = \"mm\"\ntitle = \"T\"\ncontent = \"figures\"\nevery = \"month\"\nfor = \"B\"\n[[report]]\nid = \"mm\"\ntitle = \"U\"\ncontent = \"figures\"\nevery = \"quarter\"\nfor = \"B\"\n",
                &[(8, "report id \"mm\" is used by report 1 already")],
            ),
            (
                "[[report]]\nid = \"mm\"\ntitle = \"T\"\ncontent = \"figures\"\nevery = \"month\"\nfor = \"B\"\nreference = \"\"\n",
                &[(7, "report reference must not be empty")],
            ),
        ];
        for (extra, expected) in cases {
            let found = problems("dorset", extra);
            let expected: Vec<(usize, String)> = expected
                .iter()
                .map(|(l, m)| (*l, (*m).to_owned()))
                .collect();
            assert_eq!(found, expected, "{extra}");
        }
        // A key the table does not have is the reader's own message, with its place.
        let unknown = problems(
            "dorset",
            "[[report]]\nid = \"mm\"\ntitle = \"T\"\ncontent = \"figures\"\nevery = \"month\"\nfor = \"B\"\nto = \"x\"\n",
        );
        assert_eq!(unknown.len(), 1, "{unknown:?}");
        assert!(unknown[0].1.contains("unknown field `to`"), "{unknown:?}");
    }
}
