#![allow(clippy::unwrap_used)]

use super::*;

/// One element of a parsed document.
#[derive(Debug)]
struct Element {
    name: String,
    attrs: Vec<(String, String)>,
    /// Character data directly inside it, entities resolved.
    text: String,
}

impl Element {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Reads `xml` as a document of elements, attributes and text only (what the charts write),
/// failing on anything not well-formed: unbalanced or crossed tags, an unquoted or repeated
/// attribute, a bare `<` or `&`, an unknown entity, text or a second element outside the root.
fn parse(xml: &str) -> Result<Vec<Element>, String> {
    let mut elements: Vec<Element> = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    let mut roots = 0;
    let mut rest = xml;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("</") {
            let end = after.find('>').ok_or("an end tag that never closes")?;
            let name = &after[..end];
            let top = open.pop().ok_or(format!("</{name}> closes nothing"))?;
            if elements[top].name != name {
                return Err(format!("</{name}> closes <{}>", elements[top].name));
            }
            rest = &after[end + 1..];
        } else if let Some(after) = rest.strip_prefix('<') {
            let end = after.find('>').ok_or("a tag that never closes")?;
            let mut tag = &after[..end];
            let empty = tag.ends_with('/');
            if empty {
                tag = &tag[..tag.len() - 1];
            }
            let name_end = tag.find(char::is_whitespace).unwrap_or(tag.len());
            let name = &tag[..name_end];
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ':')
            {
                return Err(format!("a bad element name {name:?}"));
            }
            let attrs = attributes(&tag[name_end..])?;
            if open.is_empty() {
                roots += 1;
                if roots > 1 {
                    return Err("a second root element".to_owned());
                }
            }
            elements.push(Element {
                name: name.to_owned(),
                attrs,
                text: String::new(),
            });
            if !empty {
                open.push(elements.len() - 1);
            }
            rest = &after[end + 1..];
        } else {
            let end = rest.find('<').unwrap_or(rest.len());
            let text = unescape(&rest[..end])?;
            match open.last() {
                Some(&top) => elements[top].text.push_str(&text),
                None if text.trim().is_empty() => {}
                None => return Err("text outside the root".to_owned()),
            }
            rest = &rest[end..];
        }
    }
    if let Some(&top) = open.last() {
        return Err(format!("<{}> is never closed", elements[top].name));
    }
    if roots != 1 {
        return Err("no root element".to_owned());
    }
    Ok(elements)
}

fn attributes(mut s: &str) -> Result<Vec<(String, String)>, String> {
    let mut out: Vec<(String, String)> = Vec::new();
    loop {
        s = s.trim_start();
        if s.is_empty() {
            return Ok(out);
        }
        let eq = s
            .find('=')
            .ok_or(format!("an attribute without a value: {s:?}"))?;
        let name = s[..eq].trim();
        let after = s[eq + 1..]
            .strip_prefix('"')
            .ok_or(format!("{name} is not quoted"))?;
        let close = after
            .find('"')
            .ok_or(format!("{name}'s value never ends"))?;
        if out.iter().any(|(n, _)| n == name) {
            return Err(format!("{name} twice"));
        }
        out.push((name.to_owned(), unescape(&after[..close])?));
        s = &after[close + 1..];
    }
}

fn unescape(s: &str) -> Result<String, String> {
    if s.contains('<') {
        return Err(format!("a bare < in {s:?}"));
    }
    let mut out = String::new();
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let semi = rest[amp..].find(';').ok_or(format!("a bare & in {s:?}"))?;
        let entity = &rest[amp + 1..amp + semi];
        out.push(match entity {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => entity
                .strip_prefix('#')
                .and_then(|n| n.parse::<u32>().ok())
                .and_then(char::from_u32)
                .ok_or(format!("an unknown entity &{entity};"))?,
        });
        rest = &rest[amp + semi + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[test]
fn the_reader_refuses_what_is_not_well_formed() {
    for bad in [
        "<svg><g></svg></g>",
        "<svg>",
        "<svg></svg><svg></svg>",
        "<svg a=1></svg>",
        "<svg a=\"1\" a=\"2\"></svg>",
        "<svg>a & b</svg>",
        "<svg>&nbsp;</svg>",
        "<svg><title>1 < 2</title></svg>",
        "text<svg></svg>",
    ] {
        assert!(parse(bad).is_err(), "{bad}");
    }
    let ok = parse(r#"<svg a="x &amp; y"><t>1 &lt; 2</t><e/></svg>"#).unwrap();
    assert_eq!(ok[0].attr("a"), Some("x & y"));
    assert_eq!(ok[1].text, "1 < 2");
}

fn months_by_stage() -> ChartData {
    ChartData {
        id: "by-month".to_owned(),
        title: "Escalations raised each month, by the highest stage reached".to_owned(),
        description: "Escalations raised from January to June 2026. Most were settled at stage 1; March had the most reaching stage 3.".to_owned(),
        category_heading: "Month".to_owned(),
        value_label: "Escalations".to_owned(),
        categories: ["January 2026", "February 2026", "March 2026", "April 2026", "May 2026", "June 2026"]
            .map(str::to_owned)
            .to_vec(),
        series: vec![
            Series { name: "Stage 1".to_owned(), values: vec![6, 4, 7, 5, 8, 3] },
            Series { name: "Stage 2".to_owned(), values: vec![2, 3, 1, 0, 2, 2] },
            Series { name: "Stage 3".to_owned(), values: vec![1, 0, 4, 1, 0, 1] },
            Series { name: "Stage 4".to_owned(), values: vec![0, 1, 0, 0, 1, 0] },
        ],
    }
}

fn categories() -> ChartData {
    ChartData {
        id: "categories".to_owned(),
        title: "Escalations raised by category".to_owned(),
        description: "Referral thresholds were the most common reason for a disagreement."
            .to_owned(),
        category_heading: "Category".to_owned(),
        value_label: "Escalations".to_owned(),
        categories: [
            "A referral judged not to meet the threshold for assessment by Children's Social Care",
            "Sharing information or providing services",
            "Whether child protection procedures should be started",
            "Something else",
        ]
        .map(str::to_owned)
        .to_vec(),
        series: vec![Series {
            name: "Escalations".to_owned(),
            values: vec![23, 9, 4, 0],
        }],
    }
}

fn deadlines() -> ChartData {
    ChartData {
        id: "deadlines".to_owned(),
        title: "Deadlines met and missed at each stage".to_owned(),
        description: "Stage 2 missed the most deadlines.".to_owned(),
        category_heading: "Stage".to_owned(),
        value_label: "Deadlines".to_owned(),
        categories: ["Stage 1", "Stage 2", "Stage 3"]
            .map(str::to_owned)
            .to_vec(),
        series: vec![
            Series {
                name: "Met".to_owned(),
                values: vec![31, 12, 5],
            },
            Series {
                name: "Missed".to_owned(),
                values: vec![2, 6, 1],
            },
        ],
    }
}

fn raised_by_route() -> ChartData {
    ChartData {
        id: "routes".to_owned(),
        title: "Escalations raised each month, by route".to_owned(),
        description: "Thematic escalations rose in the spring.".to_owned(),
        category_heading: "Month".to_owned(),
        value_label: "Escalations".to_owned(),
        categories: [
            "Jan 2026", "Feb 2026", "Mar 2026", "Apr 2026", "May 2026", "Jun 2026",
        ]
        .map(str::to_owned)
        .to_vec(),
        series: vec![
            Series {
                name: "About a child".to_owned(),
                values: vec![9, 8, 12, 6, 11, 6],
            },
            Series {
                name: "Thematic".to_owned(),
                values: vec![0, 1, 2, 3, 3, 1],
            },
            Series {
                name: "Strategic".to_owned(),
                values: vec![0, 0, 0, 1, 0, 1],
            },
        ],
    }
}

#[test]
fn snapshots() {
    insta::assert_snapshot!("stacked_by_month", stacked_bar(&months_by_stage()).unwrap());
    insta::assert_snapshot!("bar_categories", bar(&categories()).unwrap());
    insta::assert_snapshot!("bar_deadlines", bar(&deadlines()).unwrap());
    insta::assert_snapshot!("line_routes", line(&raised_by_route()).unwrap());
}

type Draw = fn(&ChartData) -> Result<String, ReportError>;
const CHARTS: [(&str, Draw); 3] = [("bar", bar), ("stacked bar", stacked_bar), ("line", line)];

fn all_data() -> Vec<ChartData> {
    vec![
        months_by_stage(),
        categories(),
        deadlines(),
        raised_by_route(),
    ]
}

#[test]
fn every_chart_is_well_formed_named_and_described() {
    for data in all_data() {
        for (kind, draw) in CHARTS {
            let svg = draw(&data).unwrap();
            let why = format!("{kind} of {}", data.id);
            let doc = parse(&svg).map_err(|e| format!("{why}: {e}")).unwrap();
            let root = &doc[0];
            assert_eq!(root.name, "svg", "{why}");
            assert_eq!(root.attr("xmlns"), Some("http://www.w3.org/2000/svg"));
            assert_eq!(root.attr("role"), Some("img"), "{why}");
            let labelled_by: Vec<&str> = root.attr("aria-labelledby").unwrap().split(' ').collect();
            let by_id = |id: &str| doc.iter().find(|e| e.attr("id") == Some(id));
            let title = by_id(labelled_by[0]).unwrap();
            let desc = by_id(labelled_by[1]).unwrap();
            assert_eq!(
                (title.name.as_str(), title.text.as_str()),
                ("title", data.title.as_str())
            );
            assert_eq!(
                (desc.name.as_str(), desc.text.as_str()),
                ("desc", data.description.as_str())
            );
            // The title comes first, as assistive technology expects.
            assert_eq!(doc[1].name, "title", "{why}");
            // Every id is unique and every pattern used is defined.
            let ids: Vec<&str> = doc.iter().filter_map(|e| e.attr("id")).collect();
            let mut unique = ids.clone();
            unique.sort_unstable();
            unique.dedup();
            assert_eq!(unique.len(), ids.len(), "{why}");
            for e in &doc {
                if let Some(fill) = e.attr("fill").and_then(|f| f.strip_prefix("url(#")) {
                    assert!(ids.contains(&fill.trim_end_matches(')')), "{why}: {fill}");
                }
            }
            // The same data draws the same bytes.
            assert_eq!(draw(&data).unwrap(), svg, "{why}");
        }
    }
}

#[test]
fn every_series_is_labelled() {
    for data in all_data() {
        for (kind, draw) in CHARTS {
            let doc = parse(&draw(&data).unwrap()).unwrap();
            let texts: Vec<&str> = doc
                .iter()
                .filter(|e| e.name == "text" || e.name == "tspan")
                .map(|e| e.text.as_str())
                .collect();
            for s in &data.series {
                assert!(
                    texts.contains(&s.name.as_str()),
                    "{kind} of {}: {}",
                    data.id,
                    s.name
                );
            }
        }
    }
}

#[test]
fn series_differ_without_colour() {
    // Bars: every series has its own pattern of marks over its colour, as well as its own
    // colour, with no two patterns alike.
    let svg = stacked_bar(&months_by_stage()).unwrap();
    let doc = parse(&svg).unwrap();
    let patterns: Vec<&Element> = doc.iter().filter(|e| e.name == "pattern").collect();
    assert_eq!(patterns.len(), 4);
    let marks: Vec<String> = (0..8).map(|i| draw::pattern_marks(i, "#000")).collect();
    for i in 0..8 {
        for j in 0..i {
            assert_ne!(marks[i], marks[j], "patterns {i} and {j}");
            assert_ne!(draw::fill(i).0, draw::fill(j).0, "colours {i} and {j}");
        }
    }
    // Lines: each has its own dash and its own marker shape.
    let svg = line(&raised_by_route()).unwrap();
    let doc = parse(&svg).unwrap();
    let dashes: Vec<Option<&str>> = doc
        .iter()
        .filter(|e| e.name == "polyline")
        .map(|e| e.attr("stroke-dasharray"))
        .collect();
    assert_eq!(dashes, [None, Some("8 4"), Some("2 4")]);
    let first_six: Vec<String> = (0..6).map(|i| line::marker(i, 0.0, 0.0, "#000")).collect();
    for i in 0..6 {
        for j in 0..i {
            assert_ne!(first_six[i], first_six[j], "markers {i} and {j}");
        }
    }
}

#[test]
fn text_is_escaped() {
    let mut data = deadlines();
    data.title = "Deadlines <script>alert('x')</script> & \"more\"".to_owned();
    data.categories[0] = "Stage <1> & 'one'".to_owned();
    data.series[1].name = "Missed </text><text>".to_owned();
    data.id = "dead\"lines <x>".to_owned();
    for (kind, draw) in CHARTS {
        let svg = draw(&data).unwrap();
        assert!(!svg.contains("<script"), "{kind}");
        let doc = parse(&svg).map_err(|e| format!("{kind}: {e}")).unwrap();
        assert!(
            doc.iter()
                .any(|e| e.name == "title" && e.text == data.title),
            "{kind}"
        );
        assert!(
            doc.iter().any(|e| e.text == "Missed </text><text>"),
            "{kind}"
        );
        assert_eq!(
            doc[0].attr("aria-labelledby"),
            Some("chart-dead-lines--x--title chart-dead-lines--x--desc")
        );
    }
}

#[test]
fn a_series_of_the_wrong_length_is_refused() {
    let mut data = deadlines();
    data.series[1].values.pop();
    for (_, draw) in CHARTS {
        assert_eq!(
            draw(&data).unwrap_err(),
            ReportError::RaggedTable {
                row: 1,
                expected: 3,
                found: 2
            }
        );
    }
}

#[test]
fn empty_and_all_zero_charts_still_draw() {
    let mut data = deadlines();
    for s in &mut data.series {
        s.values = vec![0; 3];
    }
    for (kind, draw) in CHARTS {
        parse(&draw(&data).unwrap())
            .map_err(|e| format!("{kind}: {e}"))
            .unwrap();
    }
    data.categories.clear();
    data.series.clear();
    for (kind, draw) in CHARTS {
        parse(&draw(&data).unwrap())
            .map_err(|e| format!("{kind}: {e}"))
            .unwrap();
    }
}

#[test]
fn the_data_table_holds_the_same_numbers() {
    let t = data_table(&deadlines());
    assert_eq!(t.caption, "Deadlines met and missed at each stage");
    assert_eq!(t.headers, ["Stage", "Met", "Missed", "Total"]);
    assert_eq!(
        t.rows,
        [
            ["Stage 1", "31", "2", "33"],
            ["Stage 2", "12", "6", "18"],
            ["Stage 3", "5", "1", "6"]
        ]
        .map(|r| r.map(str::to_owned).to_vec())
    );
    let t = data_table(&categories());
    assert_eq!(t.headers, ["Category", "Escalations"]);
    assert_eq!(t.rows[3], ["Something else", "0"]);
}

#[test]
fn axes_step_in_round_numbers() {
    // (largest value, step, top of the axis)
    for (max, step, top) in [
        (0, 1, 1),
        (1, 1, 1),
        (4, 1, 4),
        (7, 2, 8),
        (10, 2, 10),
        (23, 5, 25),
        (33, 10, 40),
        (480, 100, 500),
        (1001, 500, 1500),
    ] {
        assert_eq!(draw::axis(max), (step, top), "{max}");
    }
    assert_eq!(draw::num(12.25), "12.3");
    assert_eq!(draw::num(-0.04), "0");
    assert_eq!(draw::num(-1.5), "-1.5");
    assert_eq!(
        draw::wrap("Children's Social Care assessment", 12),
        ["Children's", "Social Care", "assessment"]
    );
}
