//! `parley timeline`: the deadlines table and the exact JSON shape.

use super::parley;

#[test]
fn json_has_exactly_the_documented_shape() {
    let out = parley(&[
        "timeline",
        "dorset",
        "--raised",
        "2026-12-22",
        "--route",
        "thematic",
        "--json",
    ])
    .ok();
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let expected = serde_json::json!({
        "procedure": "dorset",
        "raised": "2026-12-22",
        "stages": [
            {"stage": 3, "title": v["stages"][0]["title"], "starts": "2026-12-22", "due": "2027-01-06"},
            {"stage": 4, "title": v["stages"][1]["title"], "starts": "2027-01-06", "due": "2027-01-11"}
        ],
        "overall_due": null
    });
    assert_eq!(v, expected);
    assert!(
        v["stages"][0]["title"].as_str().unwrap().contains("Three"),
        "{out}"
    );
}

#[test]
fn json_overall_due_is_a_date_where_the_procedure_caps_it() {
    let out = parley(&[
        "timeline",
        "buckinghamshire",
        "--raised",
        "2026-12-23",
        "--json",
    ])
    .ok();
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["overall_due"], "2027-01-18");
    let dues: Vec<&str> = v["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["due"].as_str().unwrap())
        .collect();
    assert_eq!(dues, ["2027-01-04", "2027-01-11", "2027-01-18"]);
    let out = parley(&["timeline", "sunderland", "--raised", "2025-11-28", "--json"]).ok();
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["overall_due"], "2025-12-24");
    // Step 4, run to its own five days, would end on 30 December; no stage runs past the
    // month (issue 14), so it is due on the 24th.
    let last = &v["stages"][3];
    assert_eq!(
        (&last["stage"], &last["due"]),
        (&4.into(), &"2025-12-24".into()),
        "{out}"
    );
}

#[test]
fn the_table_shows_each_stage() {
    let out = parley(&["timeline", "solihull", "--raised", "2026-12-23"]).ok();
    assert!(out.contains("Thu 24 Dec 2026"), "{out}");
    assert!(out.contains("Thu 7 Jan 2027"), "{out}");
    assert!(out.contains("no overall limit"), "{out}");
}

#[test]
fn bad_input_is_a_clear_error() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["timeline", "narnia", "--raised", "2026-12-23"],
            "unknown procedure \"narnia\"",
        ),
        (
            &["timeline", "dorset", "--raised", "2026-02-30"],
            "\"2026-02-30\" is not a valid date",
        ),
        (
            &["timeline", "dorset", "--raised", "23/12/2026"],
            "YYYY-MM-DD",
        ),
        (
            &[
                "timeline",
                "dorset",
                "--raised",
                "2026-12-23",
                "--route",
                "sideways",
            ],
            "unknown route \"sideways\"",
        ),
        (
            &[
                "timeline",
                "solihull",
                "--raised",
                "2026-12-23",
                "--route",
                "thematic",
            ],
            "has no thematic route; its routes: individual",
        ),
        (
            &["timeline", "croydon", "--raised", "2045-01-01"],
            "outside the england-and-wales calendar",
        ),
        (
            &["timeline", "croydon", "--raised", "2035-12-20"],
            "falls after 2035-12-31",
        ),
        (&["timeline", "dorset"], "--raised"),
    ];
    for (args, words) in cases {
        let err = parley(args).fails();
        assert!(
            err.contains(words),
            "{args:?}: expected \"{words}\" in {err}"
        );
    }
}

/// Issue 14, item 2: Sunderland step 2's timescale is agreed with the practitioner raising the
/// concern; the table says so, and the JSON keeps its documented shape.
#[test]
fn the_table_names_whom_a_timescale_is_agreed_with() {
    let out = parley(&["timeline", "sunderland", "--raised", "2026-11-23"]).ok();
    assert!(
        out.contains(
            "Stage 2: the timescale is agreed with the person who raised it; it holds once they confirm it"
        ),
        "{out}"
    );
    assert!(
        !out.contains("Stage 1: the timescale is agreed with"),
        "{out}"
    );
    let solihull = parley(&["timeline", "solihull", "--raised", "2026-11-23"]).ok();
    assert!(!solihull.contains("agreed with"), "{solihull}");
}
