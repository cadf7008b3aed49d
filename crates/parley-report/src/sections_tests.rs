#![allow(clippy::unwrap_used)]

use jiff::civil::date;

use super::*;
use crate::chart::{bar, data_table, line, stacked_bar};
use crate::figures::figures;
use crate::figures::tests::{calendar, compliments, march, march_period};

fn stage(s: StageNumber) -> String {
    format!("Stage {s}")
}

fn march_figures() -> Figures {
    figures(
        &march(),
        &compliments(),
        march_period(),
        date(2026, 4, 15),
        &calendar(),
    )
    .unwrap()
}

fn whole_report(f: &Figures, publish: Option<Threshold>) -> String {
    count_sections(f, &stage)
        .unwrap()
        .iter()
        .map(|s| {
            format!(
                "# {} ({})\n{}",
                s.title,
                s.id,
                s.csv(publish).unwrap().write()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_section_is_listed_once() {
    let sections = count_sections(&march_figures(), &stage).unwrap();
    let mut ids: Vec<&str> = sections.iter().map(|s| s.id).collect();
    let n = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), n);
}

#[test]
fn the_business_teams_csv_is_exact() {
    insta::assert_snapshot!("march_exact", whole_report(&march_figures(), None));
}

#[test]
fn the_published_csv_hides_small_numbers() {
    let f = march_figures();
    let published = whole_report(&f, Some(Threshold::DEFAULT));
    insta::assert_snapshot!("march_published", published);
    for s in count_sections(&f, &stage).unwrap() {
        for cell in s.cells(Some(Threshold::DEFAULT)).into_iter().flatten() {
            if let Cell::Exact(n) = cell {
                assert!(n == 0 || n >= 5, "{}: {n}", s.id);
            }
        }
    }
}

#[test]
fn the_charts_draw_with_their_tables() {
    let f = march_figures();
    let charts = charts(&f, &stage);
    let ids: Vec<&str> = charts.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "raised-by-month",
            "raised-by-category",
            "outcomes-by-receiving-agency",
            "deadlines"
        ]
    );
    for c in &charts {
        let drawn = chart_svg(c).unwrap();
        let stacked = ["raised-by-month", "outcomes-by-receiving-agency"].contains(&c.id.as_str());
        let expected = if stacked { stacked_bar(c) } else { bar(c) };
        assert_eq!(drawn, expected.unwrap(), "{}", c.id);
        for svg in [bar(c), stacked_bar(c), line(c)] {
            assert!(svg.unwrap().starts_with("<svg"), "{}", c.id);
        }
        assert_eq!(data_table(c).rows.len(), c.categories.len());
    }
    assert_eq!(
        charts[1].description,
        "March 2026: the most common categories were \"Information sharing\" and \"Threshold\", with 2 each."
    );
}

#[test]
fn the_lists_for_the_business_team() {
    let f = march_figures();
    assert_eq!(
        open_csv(&f.open_at_end, &stage).unwrap().write(),
        "\"Reference\",\"Route\",\"Category\",\"Raising agency\",\"Receiving agency\",\"Raised\",\"Stage\",\"Working days open\",\"Past its deadline\"\r\n\
         \"E2\",\"Thematic (several children or a service)\",\"Information sharing\",\"Health\",\"Children's social care\",2026-03-04,\"Stage 3\",19,\"Yes\"\r\n\
         \"E4\",\"About a child\",\"Threshold\",\"Police\",\"Children's social care\",2026-03-30,\"Stage 1\",1,\"Yes\"\r\n"
    );
    assert_eq!(
        learning_csv(&f.learning, &stage).unwrap().write(),
        "\"Category\",\"Raising agency\",\"Receiving agency\",\"Reference\",\"Stage\",\"Recorded\",\"Field\",\"Learning\"\r\n\
         \"Information sharing\",\"Children's social care\",\"Police\",\"E6\",\"Stage 2\",2026-03-20,\"Learning identified\",\"Ask for the strategy minutes\"\r\n\
         \"Threshold\",\"Police\",\"Children's social care\",\"E1\",\"Stage 2\",2026-03-09,\"Learning identified\",\"Share the plan sooner\"\r\n"
    );
}
