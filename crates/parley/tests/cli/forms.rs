//! `parley forms` (issue 17, item 4) on a real SQLite file seeded with the demo: the stage
//! record of an escalation as its raiser sees it, by reference and by id, read back
//! (pdftotext) with the escalation's reference and no child's marker; refused, saying why, for
//! someone who may not see the escalation, a form the procedure does not have, and an address
//! nobody signs in with.

use parley_demo::MARKER_PREFIX;
use parley_store::records::Records;

use super::parley_in;
use super::report::{block_on, pdftotext, seeded};

#[test]
fn a_form_as_pdf_for_someone_who_sees_the_escalation() {
    let dir = tempfile::tempdir().unwrap();
    let partnerships = seeded(dir.path());
    let (_, croydon) = partnerships.iter().find(|(s, _)| s == "CSCB").unwrap();
    let url = format!("sqlite://{}", dir.path().join("parley.db").display());
    // An escalation about a child, its raiser, and a practitioner with nothing to do with it.
    let (escalation, raiser, stranger) = block_on(async {
        let records = Records::open(&url).await.unwrap();
        let store = records.store();
        let rows = store.escalations(croydon).await.unwrap();
        let e = rows.iter().find(|e| e.subject == "child").unwrap().clone();
        let people = store.people(croydon).await.unwrap();
        let email = |id: &str| people.iter().find(|p| p.id == id).unwrap().email.clone();
        let raiser = email(&e.raised_by);
        let stranger = people
            .iter()
            .filter(|p| p.roles == ["practitioner"] && p.active)
            .find(|p| {
                rows.iter().all(|x| {
                    x.raised_by != p.id && x.receiving_person_id.as_deref() != Some(p.id.as_str())
                })
            })
            .map(|p| p.email.clone());
        (e, raiser, stranger)
    });
    let run = |args: &[&str]| {
        let mut all = vec!["--database", url.as_str(), "forms"];
        all.extend_from_slice(args);
        parley_in(dir.path(), &all)
    };
    let out = dir.path().join("record.pdf");
    for key in [escalation.reference.as_str(), escalation.id.as_str()] {
        let said = run(&[
            "--escalation",
            key,
            "--form",
            "stage-record",
            "--as",
            &raiser,
            "--out",
            out.to_str().unwrap(),
        ])
        .ok();
        assert!(said.starts_with("wrote "), "{said}");
        assert!(std::fs::read(&out).unwrap().starts_with(b"%PDF-"));
        if let Some(text) = pdftotext(&out) {
            assert!(text.contains(&escalation.reference), "{text}");
            assert!(
                !text.contains(MARKER_PREFIX),
                "a child's marker in the form"
            );
        }
    }
    // Without --out, named after the escalation and the form, in the current directory.
    let here = std::process::Command::new(env!("CARGO_BIN_EXE_parley"))
        .args([
            "--database",
            url.as_str(),
            "forms",
            "--escalation",
            &escalation.reference,
            "--form",
            "stage-record",
            "--as",
            &raiser,
        ])
        .env("PARLEY_DATA_DIR", dir.path())
        .env_remove("XDG_DATA_HOME")
        .current_dir(dir.path())
        .output()
        .unwrap();
    let said = super::Run::from(here).ok();
    let name = format!("{}-stage-record.pdf", escalation.reference);
    assert!(said.contains(&name), "{said}");
    assert!(dir.path().join(&name).exists());

    let refused = run(&[
        "--escalation",
        &escalation.reference,
        "--form",
        "appendix-z",
        "--as",
        &raiser,
    ])
    .fails();
    assert!(refused.contains("no form \"appendix-z\""), "{refused}");
    {
        let stranger = stranger.expect("a practitioner of Croydon with no escalation of their own");
        let refused = run(&[
            "--escalation",
            &escalation.reference,
            "--form",
            "stage-record",
            "--as",
            &stranger,
        ])
        .fails();
        assert!(refused.contains("they may not see it"), "{refused}");
    }
    let nobody = run(&[
        "--escalation",
        &escalation.reference,
        "--form",
        "stage-record",
        "--as",
        "nobody@example.org",
    ])
    .fails();
    assert!(
        nobody.contains("--as: nobody active signs in as"),
        "{nobody}"
    );
}
