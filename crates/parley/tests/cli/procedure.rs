//! `parley procedure list | show | check | diagram`.

use std::fs;

use super::parley;

const MINIMAL: &str = include_str!("../fixtures/minimal.toml");
const SEEDS: [&str; 5] = [
    "solihull",
    "croydon",
    "dorset",
    "sunderland",
    "buckinghamshire",
];

#[test]
fn list_names_the_five_built_in_procedures() {
    let out = parley(&["procedure", "list"]).ok();
    for id in SEEDS {
        assert!(
            out.lines().any(|l| l.starts_with(id)),
            "{id} missing from:\n{out}"
        );
    }
    assert_eq!(out.lines().count(), 5);
}

#[test]
fn show_and_diagram_work_for_every_seed() {
    for id in SEEDS {
        let show = parley(&["procedure", "show", id]).ok();
        assert!(
            show.contains("Stages") && show.contains("Notifications"),
            "{id}:\n{show}"
        );
        let mermaid = parley(&["procedure", "diagram", id, "--format", "mermaid"]).ok();
        assert!(mermaid.starts_with("flowchart TD\n"), "{id}");
        assert!(mermaid.contains("stage_1"), "{id}");
        let dot = parley(&["procedure", "diagram", id, "--format", "dot"]).ok();
        assert!(dot.starts_with(&format!("digraph \"{id}\" {{")), "{id}");
        assert!(dot.trim_end().ends_with('}'), "{id}");
    }
}

#[test]
fn diagram_draws_an_svg_for_every_seed() {
    for id in SEEDS {
        let svg = parley(&["procedure", "diagram", id, "--format", "svg"]).ok();
        assert!(
            svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""),
            "{id}"
        );
        assert!(svg.trim_end().ends_with("</svg>"), "{id}");
        assert!(svg.contains("role=\"img\""), "{id}");
        assert!(
            svg.contains(&format!("<title id=\"parley-flow-{id}-title\">")),
            "{id}"
        );
        assert!(!svg.contains("style"), "{id}");
        let p = parley_core::seeds::get(id).unwrap().unwrap();
        assert_eq!(svg, parley_core::describe::svg(&p), "{id}");
    }
    // A procedure file works as well as a built-in id.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("minimal.toml");
    fs::write(&path, MINIMAL).unwrap();
    let svg = parley(&[
        "procedure",
        "diagram",
        path.to_str().unwrap(),
        "--format",
        "svg",
    ])
    .ok();
    assert!(svg.starts_with("<svg ") && svg.contains("Stage 1"), "{svg}");
}

#[test]
fn unknown_procedures_and_formats_are_refused() {
    let err = parley(&["procedure", "show", "atlantis"]).fails();
    assert!(err.contains("unknown procedure \"atlantis\""), "{err}");
    assert!(
        err.contains("solihull, croydon, dorset, sunderland, buckinghamshire"),
        "{err}"
    );
    let err = parley(&["procedure", "diagram", "dorset", "--format", "png"]).fails();
    assert!(
        err.contains("mermaid") && err.contains("dot") && err.contains("svg"),
        "{err}"
    );
}

/// Writes `text` to a file named `name` in a fresh directory and runs `procedure check` on it.
fn check(name: &str, text: &str) -> super::Run {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    fs::write(&path, text).unwrap();
    super::parley_in(dir.path(), &["procedure", "check", path.to_str().unwrap()])
}

#[test]
fn a_valid_file_checks_clean() {
    let out = check("minimal.toml", MINIMAL).ok();
    assert!(out.contains("ok"), "{out}");
    for id in SEEDS {
        let text = parley_core::seeds::source(id).unwrap();
        check(&format!("{id}.toml"), text).ok();
    }
}

/// Each broken file: what to change in the minimal file, then the line, column and words
/// the report must contain.
#[test]
fn problems_are_reported_with_their_position_and_what_is_allowed() {
    let cases: &[(&str, &str, &str, &[&str])] = &[
        (
            "from = \"stage-start\"",
            "from = \"stage-begin\"",
            ":31:",
            &[
                "unknown anchor \"stage-begin\"",
                "known anchors: stage-start, day-one",
            ],
        ),
        (
            "working_days = 2,",
            "working_days = 0,",
            ":31:",
            &["at least 1, not 0"],
        ),
        (
            "number = 1",
            "number = 2",
            ":27:",
            &["numbered 2", "from 1"],
        ),
        (
            "region = \"england-and-wales\"",
            "region = \"wales\"",
            ":13:",
            &[
                "unknown calendar \"wales\"",
                "england-and-wales, scotland, northern-ireland",
            ],
        ),
        (
            "rule = \"after\"",
            "rule = \"before\"",
            ":17:",
            &["unknown counting rule \"before\"", "after, day-one"],
        ),
        (
            "leads = [\"practitioner\"]",
            "leads = [\"boss\"]",
            ":29:",
            &["unknown role \"boss\"", "line-manager"],
        ),
        (
            "date = \"2026-01-01\"",
            "date = \"2026-02-30\"",
            ":9:",
            &["not a valid date", "YYYY-MM-DD"],
        ),
        (
            "time_zone = \"Europe/London\"",
            "time_zone = \"Europe/Londres\"",
            ":14:",
            &["unknown time zone"],
        ),
        (
            "entry_stage = 1",
            "entry_stage = 4",
            ":24:",
            &["stage 4, which does not exist", "the stages are 1"],
        ),
        (
            "allowed = [\"agreed\"]",
            "allowed = [\"sorted\"]",
            ":38:",
            &["unknown outcome \"sorted\"", "disagreement-recorded"],
        ),
        (
            "format = 1",
            "format = 2",
            ":2:",
            &["format 2 is not supported"],
        ),
        (
            "title = \"Discussion\"",
            "title = \"Discussion\"\ncolour = \"blue\"",
            ":29:",
            &["unknown field `colour`"],
        ),
        ("[counting]", "[counting", ":16:", &[]),
    ];
    for (from, to, position, words) in cases {
        assert!(MINIMAL.contains(from), "fixture lacks {from}");
        let text = MINIMAL.replacen(from, to, 1);
        let err = check("broken.toml", &text).fails();
        let first = err.lines().next().unwrap();
        assert!(
            first.contains(&format!("broken.toml{position}")),
            "{from} -> {to}: expected {position} in\n{err}"
        );
        assert!(first.contains(": error: "), "{err}");
        for w in *words {
            assert!(
                err.contains(w),
                "{from} -> {to}: expected \"{w}\" in\n{err}"
            );
        }
    }
}

#[test]
fn a_stage_gap_is_named() {
    let text = format!(
        "{MINIMAL}\n[[stage]]\nnumber = 3\ntitle = \"Later\"\nleads = [\"head-of-service\"]\nguidance = \"g\"\ntimescale = {{ working_days = 2, from = \"stage-start\" }}\n"
    );
    let err = check("gap.toml", &text).fails();
    assert!(
        err.contains("stage 3 follows stage 1: stage 2 is missing"),
        "{err}"
    );
}

#[test]
fn several_problems_are_all_reported_in_file_order() {
    let text = MINIMAL
        .replacen("rule = \"after\"", "rule = \"sideways\"", 1)
        .replacen("leads = [\"practitioner\"]", "leads = [\"nobody\"]", 1);
    let err = check("two.toml", &text).fails();
    let lines: Vec<&str> = err.lines().filter(|l| l.contains(": error: ")).collect();
    assert_eq!(lines.len(), 3, "{err}"); // the rule, the role, and "no lead"
    assert!(lines[0].contains("two.toml:17:"), "{err}");
    assert!(lines[1].contains("two.toml:29:"), "{err}");
}

#[test]
fn files_that_are_not_procedures_are_refused_without_a_panic() {
    for text in [
        "",
        "\u{0}\u{1}binary",
        "[[stage]]\nnumber = \"one\"",
        "format = 1",
        "= = =",
    ] {
        check("junk.toml", text).fails();
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("latin1.toml");
    fs::write(&path, b"name = \"caf\xe9\"").unwrap();
    let err = super::parley_in(dir.path(), &["procedure", "check", path.to_str().unwrap()]).fails();
    assert!(err.contains("not UTF-8"), "{err}");
    let err = parley(&["procedure", "check", "/no/such/file.toml"]).fails();
    assert!(err.contains("cannot read"), "{err}");
}

#[test]
fn the_partnership_never_gets_child_details() {
    let text = format!(
        "{MINIMAL}\n[[notification]]\nto = \"partnership-business-team\"\non = \"stage-entered\"\nchild_details = true\n"
    );
    let err = check("leak.toml", &text).fails();
    assert!(err.contains("never carry a child's details"), "{err}");
}
