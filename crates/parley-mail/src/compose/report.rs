//! The e-mail reminding the business team that a report the procedure calls for
//! (`[[report]]`) has fallen due (issue 17: "the deadline monitor reminds the business team
//! when one falls due"): which report, for which period, for whom, and the link to it. It
//! names no escalation, so it cannot hold a child's details.

use jiff::civil::Date;

use super::{Context, Parts, Rendered, Section, date_in_words, lower_first, render};

/// A report that has fallen due for a period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportNotice {
    /// Its id in the procedure file.
    pub report_id: String,
    pub title: String,
    /// The procedure's name.
    pub procedure: String,
    /// The period as people read it: "October 2026".
    pub period: String,
    pub from: Date,
    pub to: Date,
    /// How often, in words: "Monthly".
    pub every: String,
    /// Whom it is for, in the document's words (empty when the procedure no longer has it).
    pub audience: String,
    /// Where the document asks for it.
    pub reference: Option<String>,
    /// The report's page on the site, for that period: `/reports/procedure/ID?from=..&to=..`.
    pub path: String,
}

impl ReportNotice {
    pub fn subject(&self) -> String {
        format!("Report due: {}, {}", self.title, self.period)
    }

    pub fn lead(&self, today: Date) -> String {
        format!(
            "The report “{}” is due for {}, from {} to {}.",
            self.title,
            self.period,
            date_in_words(self.from, today),
            date_in_words(self.to, today)
        )
    }

    pub fn needed_sentence(&self) -> String {
        if self.audience.is_empty() {
            "Read the report in Parley.".to_owned()
        } else {
            format!(
                "Read the report in Parley and share it with {}.",
                lower_first(self.audience.trim_end_matches('.'))
            )
        }
    }

    pub fn render(&self, ctx: &Context<'_>) -> Rendered {
        let mut facts = vec![
            ("Report".to_owned(), self.title.clone()),
            (
                "Period".to_owned(),
                format!(
                    "{} to {}",
                    date_in_words(self.from, ctx.today),
                    date_in_words(self.to, ctx.today)
                ),
            ),
            ("How often".to_owned(), self.every.clone()),
            ("Procedure".to_owned(), self.procedure.clone()),
        ];
        if let Some(r) = &self.reference {
            facts.push(("Where the procedure asks for it".to_owned(), r.clone()));
        }
        let mut extra = Vec::new();
        if !self.audience.is_empty() {
            extra.push(Section::Text("Who it is for", self.audience.clone()));
        }
        render(
            ctx,
            &Parts {
                subject: self.subject(),
                lead: self.lead(ctx.today),
                needed: Some(self.needed_sentence()),
                facts,
                extra,
                link: ctx.public_url.path(&self.path),
                link_text: "Sign in to Parley to see the report",
            },
        )
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use jiff::civil::date;

    use super::super::{Context, Digest, Notice};
    use super::ReportNotice;
    use crate::settings::PublicUrl;

    fn dorset() -> ReportNotice {
        ReportNotice {
            report_id: "stage-3-and-above".to_owned(),
            title: "Escalations to Stage Three and above".to_owned(),
            procedure: "Dorset escalation procedure".to_owned(),
            period: "October 2026".to_owned(),
            from: date(2026, 10, 1),
            to: date(2026, 10, 31),
            every: "Monthly".to_owned(),
            audience: "The place-based child safeguarding arrangements".to_owned(),
            reference: Some("§10 Learning lessons".to_owned()),
            path: "/reports/procedure/stage-3-and-above?from=2026-10-01&to=2026-10-31".to_owned(),
        }
    }

    #[test]
    fn the_reminder_names_the_report_its_period_and_link() {
        let public: PublicUrl = "https://parley.dorset.example/".parse().unwrap();
        let ctx = Context {
            public_url: &public,
            today: date(2026, 11, 1),
        };
        let r = dorset().render(&ctx);
        assert_eq!(
            r.subject,
            "Report due: Escalations to Stage Three and above, October 2026"
        );
        assert!(r.text.starts_with(
            "The report “Escalations to Stage Three and above” is due for October 2026, from Thursday 1 October to Saturday 31 October.\n"
        ), "{}", r.text);
        assert!(r.text.contains(
            "Read the report in Parley and share it with the place-based child safeguarding arrangements."
        ));
        assert!(r.text.contains(
            "https://parley.dorset.example/reports/procedure/stage-3-and-above?from=2026-10-01&to=2026-10-31"
        ));
        assert!(
            r.html.contains("from=2026-10-01&amp;to=2026-10-31"),
            "{}",
            r.html
        );
        assert!(
            r.text
                .contains("This e-mail never includes details of a child")
        );
        let digest = Digest {
            notices: vec![Notice::from(dorset())],
        }
        .render(&ctx);
        assert!(
            digest
                .text
                .contains("Report due: Escalations to Stage Three and above")
        );
        assert!(
            digest
                .html
                .contains(">See Escalations to Stage Three and above</a>")
        );
    }
}
