//! The procedure page and the API show, for every built-in procedure, what its document asks of
//! people that Parley does not do: every entry of the file's `[[not_carried]]` list, with the
//! document's words, Parley's note and the section, under its own heading.

use parley_core::procedure::NotCarried;

use crate::harness::*;

const PROCEDURES: [&str; 5] = [
    "solihull",
    "croydon",
    "dorset",
    "sunderland",
    "buckinghamshire",
];

/// Text as the page's templates escape it.
fn html(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            '/' => out.push_str("&#x2f;"),
            c => out.push(c),
        }
    }
    out
}

fn listed(id: &str) -> Vec<NotCarried> {
    parley_core::seeds::get(id).unwrap().unwrap().not_carried
}

#[tokio::test]
async fn the_procedure_page_lists_what_people_do_outside_parley() {
    let h = Harness::new().await;
    for id in PROCEDURES {
        let p = h.partnership_of(id);
        let person = h.person(&h.sign_in_of(&p, "practitioner").person_id).await;
        let user = h.session_for("practitioner", &person).await;
        let page = h.get("/procedure", &user.auth).await;
        assert_eq!(page.status, 200, "{id}");
        let body = &page.body;
        let heading = "What this procedure asks of people that Parley does not do";
        assert!(
            body.contains(&format!(
                "<h2 class=\"govuk-heading-m\" id=\"not-carried\">{heading}</h2>"
            )),
            "{id}: no heading"
        );
        assert!(
            body.contains("href=\"#not-carried\""),
            "{id}: not in the contents"
        );
        let section = &body[body.find("id=\"not-carried\"").unwrap()..];
        let entries = listed(id);
        assert!(!entries.is_empty(), "{id}");
        // Every entry, in the file's order: its section heading, the words, the note.
        let mut at = 0;
        let mut previous: Option<&str> = None;
        for n in &entries {
            // A section's heading is shown once, before its first entry.
            let mut parts = vec![&n.text, &n.why];
            if previous != Some(n.reference.as_str()) {
                parts.insert(0, &n.reference);
            }
            previous = Some(n.reference.as_str());
            for part in parts {
                let Some(offset) = section[at..].find(&html(part)) else {
                    panic!("{id}: not shown in order: {part}")
                };
                at += offset;
            }
        }
        // Each section once, as a heading of its own, labelled for assistive technology.
        let headings = section
            .matches("<section aria-labelledby=\"not-carried-")
            .count();
        let mut references: Vec<&str> = entries.iter().map(|n| n.reference.as_str()).collect();
        references.dedup();
        assert_eq!(headings, references.len(), "{id}");
    }
}

#[tokio::test]
async fn the_api_gives_the_same_list_by_section() {
    let h = Harness::new().await;
    for id in PROCEDURES {
        let p = h.partnership_of(id);
        let person = h.person(&h.sign_in_of(&p, "practitioner").person_id).await;
        let token = h.bearer_for(&person).await;
        let r = h.get("/api/procedure", &token).await;
        assert_eq!(r.status, 200, "{id}");
        let v = r.json();
        let got: Vec<(String, String, String)> = v["not_carried"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| {
                let reference = s["reference"].as_str().unwrap().to_owned();
                s["entries"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(move |e| {
                        (
                            reference.clone(),
                            e["text"].as_str().unwrap().to_owned(),
                            e["why"].as_str().unwrap().to_owned(),
                        )
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        let want: Vec<(String, String, String)> = listed(id)
            .into_iter()
            .map(|n| (n.reference, n.text, n.why))
            .collect();
        assert_eq!(got, want, "{id}");
    }
}
