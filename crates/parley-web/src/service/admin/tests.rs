use super::*;
use crate::access::{self, ADMINISTRATOR, MANAGER, PRACTITIONER, SENIOR_MANAGER};
use jiff::civil::Date;
use parley_core::calendar::Calendar;
use parley_core::calendar::{BankHolidays, Region};
use parley_core::procedure::{self};
use parley_store::rows::{AgencyRow, NamedOfficerRow, PersonRow};

fn bucks() -> &'static str {
    parley_core::seeds::source("buckinghamshire").expect("a seed")
}

fn agency(id: &str, name: &str) -> AgencyRow {
    AgencyRow {
        id: id.into(),
        partnership_id: "p".into(),
        name: name.into(),
        sector: "police".into(),
    }
}

fn person(id: &str, agency: Option<&str>, manager: Option<&str>, roles: &[&str]) -> PersonRow {
    PersonRow {
        id: id.into(),
        partnership_id: "p".into(),
        agency_id: agency.map(str::to_owned),
        name: format!("Person {id}"),
        email: format!("{id}@example.org"),
        job_title: String::new(),
        roles: roles.iter().map(|r| (*r).to_owned()).collect(),
        line_manager_id: manager.map(str::to_owned),
        active: true,
    }
}

fn setup() -> Setup {
    Setup {
        agencies: vec![agency("a1", "Thames Valley Police"), agency("a2", "School")],
        people: vec![
            person("admin", None, None, &[ADMINISTRATOR]),
            person("head", Some("a1"), None, &[SENIOR_MANAGER]),
            person("lead", Some("a1"), Some("head"), &[MANAGER]),
            person("worker", Some("a1"), Some("lead"), &[PRACTITIONER]),
            person("teacher", Some("a2"), None, &[PRACTITIONER]),
            PersonRow {
                active: false,
                ..person("gone", Some("a2"), None, &[MANAGER])
            },
        ],
        officers: vec![NamedOfficerRow {
            partnership_id: "p".into(),
            agency_id: "a1".into(),
            stage: 2,
            person_id: "lead".into(),
        }],
    }
}

fn fields(name: &str, email: &str, agency: Option<&str>, roles: &[&str]) -> PersonFields {
    PersonFields {
        name: name.into(),
        email: email.into(),
        agency_id: agency.map(str::to_owned),
        roles: roles.iter().map(|r| (*r).to_owned()).collect(),
        ..PersonFields::default()
    }
}

fn messages(r: Result<CheckedPerson, Vec<FieldError>>) -> Vec<(String, String)> {
    r.err()
        .unwrap_or_default()
        .into_iter()
        .map(|e| (e.field, e.message))
        .collect()
}

fn fields_of(r: Result<CheckedPerson, Vec<FieldError>>) -> Vec<String> {
    messages(r).into_iter().map(|(f, _)| f).collect()
}

#[test]
fn agencies_need_a_new_name_and_a_known_sector() {
    let existing = [agency("a1", "Thames Valley Police")];
    let ok = AgencyFields {
        name: "  Oakfield Academy ".into(),
        sector: "education".into(),
    };
    assert_eq!(
        validate_agency(&ok, &existing).unwrap(),
        ("Oakfield Academy".to_owned(), "education")
    );
    let errors = validate_agency(&AgencyFields::default(), &existing).unwrap_err();
    assert_eq!(
        errors.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(),
        ["name", "sector"]
    );
    let dup = AgencyFields {
        name: "thames valley police".into(),
        sector: "spies".into(),
    };
    let errors = validate_agency(&dup, &existing).unwrap_err();
    assert_eq!(
        errors[0].message,
        "There is already an agency with this name"
    );
    assert_eq!(errors[1].message, "Select a sector from the list");
    let long = AgencyFields {
        name: "x".repeat(201),
        sector: "other".into(),
    };
    assert!(validate_agency(&long, &existing).is_err());
    for (s, _) in SECTORS {
        assert_ne!(sector_label(s), "", "{s}");
    }
}

#[test]
fn email_addresses_are_checked_for_shape() {
    for good in ["a@b.org", "first.last+tag@police.example.org.uk"] {
        assert!(valid_email(good), "{good}");
    }
    for bad in [
        "",
        "a",
        "a@b",
        "@b.org",
        "a@@b.org",
        "a b@c.org",
        "a@b..org",
        ".a@b.org",
        "a@-b.org",
    ] {
        assert!(!valid_email(bad), "{bad}");
    }
}

#[test]
fn a_new_person_is_checked_and_normalised() {
    let s = setup();
    let f = PersonFields {
        job_title: " Detective Constable ".into(),
        line_manager_id: Some("lead".into()),
        password: Some(String::new()),
        roles: vec![MANAGER.into(), PRACTITIONER.into(), PRACTITIONER.into()],
        ..fields(" New Person ", " new@police.example.org ", Some("a1"), &[])
    };
    let c = validate_person(&f, None, "admin", &s).unwrap();
    assert_eq!(c.input.name, "New Person");
    assert_eq!(c.input.email, "new@police.example.org");
    assert_eq!(c.input.job_title, "Detective Constable");
    assert_eq!(
        c.input.roles,
        [PRACTITIONER, MANAGER],
        "in the usual order, once each"
    );
    assert_eq!(c.password, None, "an empty password sets none");
    assert!(c.input.active);

    let empty = validate_person(&PersonFields::default(), None, "admin", &s);
    assert_eq!(fields_of(empty), ["name", "email", "roles"]);

    let bad = PersonFields {
        line_manager_id: Some("nobody".into()),
        password: Some("short".into()),
        ..fields("A", "not-an-email", Some("zz"), &["chief"])
    };
    assert_eq!(
        fields_of(validate_person(&bad, None, "admin", &s)),
        ["email", "agency_id", "roles", "line_manager_id", "password"]
    );
}

#[test]
fn email_addresses_are_unique_in_the_partnership() {
    let s = setup();
    let f = fields("B", "WORKER@example.org", Some("a1"), &[PRACTITIONER]);
    assert_eq!(
        messages(validate_person(&f, None, "admin", &s)),
        [(
            "email".to_owned(),
            "Another person in the partnership already has this email address".to_owned()
        )]
    );
    // Their own address is theirs to keep.
    let worker = s.person("worker").unwrap().clone();
    let f = PersonFields {
        line_manager_id: Some("lead".into()),
        ..fields("Worker", "worker@example.org", Some("a1"), &[PRACTITIONER])
    };
    assert!(validate_person(&f, Some(&worker), "admin", &s).is_ok());
}

#[test]
fn practitioners_and_managers_belong_to_an_agency() {
    let s = setup();
    let f = fields("C", "c@example.org", None, &[MANAGER]);
    assert_eq!(
        fields_of(validate_person(&f, None, "admin", &s)),
        ["agency_id"]
    );
    let f = fields("D", "d@example.org", None, &[access::BUSINESS_TEAM]);
    assert!(validate_person(&f, None, "admin", &s).is_ok());
}

#[test]
fn line_management_has_no_loops() {
    let s = setup();
    let head = s.person("head").unwrap().clone();
    // head manages lead manages worker: neither can become head's manager.
    for below in ["lead", "worker"] {
        let f = PersonFields {
            line_manager_id: Some(below.into()),
            ..PersonFields::from_row(&head)
        };
        assert_eq!(
            fields_of(validate_person(&f, Some(&head), "admin", &s)),
            ["line_manager_id"],
            "{below}"
        );
    }
    let f = PersonFields {
        line_manager_id: Some("head".into()),
        ..PersonFields::from_row(&head)
    };
    assert_eq!(
        fields_of(validate_person(&f, Some(&head), "admin", &s)),
        ["line_manager_id"],
        "not their own manager"
    );
    let f = PersonFields {
        line_manager_id: Some("gone".into()),
        ..PersonFields::from_row(&head)
    };
    assert_eq!(
        messages(validate_person(&f, Some(&head), "admin", &s))[0].1,
        "Select a line manager who is active"
    );
    let f = PersonFields {
        line_manager_id: Some("teacher".into()),
        ..PersonFields::from_row(&head)
    };
    assert!(validate_person(&f, Some(&head), "admin", &s).is_ok());
}

#[test]
fn administrators_cannot_lock_themselves_out() {
    let s = setup();
    let me = s.person("admin").unwrap().clone();
    let f = PersonFields {
        active: false,
        roles: vec![access::BUSINESS_TEAM.into()],
        ..PersonFields::from_row(&me)
    };
    assert_eq!(
        fields_of(validate_person(&f, Some(&me), "admin", &s)),
        ["roles", "active"]
    );
    // Another administrator may.
    assert!(validate_person(&f, Some(&me), "someone-else", &s).is_ok());
}

#[test]
fn named_officers_stay_until_replaced() {
    let s = setup();
    let lead = s.person("lead").unwrap().clone();
    let f = PersonFields {
        active: false,
        agency_id: Some("a2".into()),
        ..PersonFields::from_row(&lead)
    };
    let m = messages(validate_person(&f, Some(&lead), "admin", &s));
    assert_eq!(
        m.iter().map(|(f, _)| f.as_str()).collect::<Vec<_>>(),
        ["agency_id", "active"]
    );
    assert!(
        m[0].1
            .contains("Thames Valley Police’s named officer for stage 2"),
        "{m:?}"
    );
}

#[test]
fn passwords_are_long_enough() {
    let s = setup();
    let mut f = fields("E", "e@example.org", Some("a2"), &[PRACTITIONER]);
    f.password = Some("eleven-char".into());
    assert_eq!(
        fields_of(validate_person(&f, None, "admin", &s)),
        ["password"]
    );
    // Long enough but guessable, or the person's own name or address: refused.
    for weak in [
        "twelvetwelve",
        "aaaaaaaaaaaa",
        "password1234",
        "e@example.org",
        "qwertyuiop[]",
    ] {
        f.password = Some(weak.into());
        assert_eq!(
            messages(validate_person(&f, None, "admin", &s))
                .iter()
                .map(|(field, _)| field.as_str())
                .collect::<Vec<_>>(),
            ["password"],
            "{weak}"
        );
    }
    f.password = Some("vK8#qPz!2mW$rT".into());
    let c = validate_person(&f, None, "admin", &s).unwrap();
    assert_eq!(c.password.as_deref(), Some("vK8#qPz!2mW$rT"));
}

#[test]
fn named_officers_are_active_people_of_their_agency() {
    let s = setup();
    let procedure = procedure::parse(bucks()).expect("the seed parses");
    let set = |agency: &str, stage: i64, person: Option<&str>| {
        validate_named_officer(
            &NamedOfficerFields {
                agency_id: agency.into(),
                stage,
                person_id: person.map(str::to_owned),
            },
            &s,
            &procedure,
        )
        .map_err(|e| e.into_iter().map(|e| e.field).collect::<Vec<_>>())
    };
    assert_eq!(
        set("a1", 1, Some("worker")),
        Ok(("a1".to_owned(), 1, Some("worker".to_owned())))
    );
    assert_eq!(
        set("a1", 3, None),
        Ok(("a1".to_owned(), 3, None)),
        "emptied"
    );
    assert_eq!(set("a1", 3, Some("")), Ok(("a1".to_owned(), 3, None)));
    assert_eq!(
        set("a1", 1, Some("teacher")),
        Err(vec!["person_id".to_owned()])
    );
    assert_eq!(
        set("a2", 1, Some("gone")),
        Err(vec!["person_id".to_owned()])
    );
    assert_eq!(set("a1", 4, Some("worker")), Err(vec!["stage".to_owned()]));
    assert_eq!(
        set("zz", 0, Some("worker")),
        Err(vec!["agency_id".to_owned(), "stage".to_owned()])
    );
}

#[test]
fn procedure_problems_have_lines_and_columns() {
    assert!(check_procedure(bucks()).is_ok());
    let empty = check_procedure("  \n").unwrap_err();
    assert_eq!(
        empty[0].message,
        "Select a procedure file or paste its text"
    );
    let broken = bucks().replacen("format = 1", "format = 7", 1);
    let errors = check_procedure(&broken).unwrap_err();
    assert!(!errors.is_empty());
    let e = &errors[0];
    let line = e.line.expect("a line");
    assert_eq!(
        broken.lines().nth(line - 1).map(str::trim_end),
        e.source_line.as_deref()
    );
    assert!(
        e.source_line
            .as_deref()
            .unwrap_or("")
            .contains("format = 7"),
        "{e:?}"
    );
    assert!(
        e.text().starts_with(&format!("Line {line}, column ")),
        "{}",
        e.text()
    );
    let syntax = check_procedure("format = 1\n[procedure\n").unwrap_err();
    assert_eq!(syntax[0].line, Some(2), "{syntax:?}");
    let huge = "#".repeat(MAX_PROCEDURE + 1);
    assert!(
        check_procedure(&huge).unwrap_err()[0]
            .message
            .contains("smaller than")
    );
}

#[test]
fn an_error_reads_with_its_place_and_help() {
    let e = FieldError {
        line: Some(3),
        column: Some(7),
        help: Some("use one of: a, b".into()),
        ..FieldError::new("source", "unknown role")
    };
    assert_eq!(
        e.text(),
        "Line 3, column 7: unknown role (use one of: a, b)"
    );
    assert_eq!(
        FieldError::new("name", "Enter a name").text(),
        "Enter a name"
    );
}

fn calendar(closed: &[Date]) -> Calendar {
    Calendar::new(Region::EnglandAndWales, &BankHolidays::built_in(), closed).unwrap()
}

fn date(s: &str) -> Date {
    s.parse().unwrap()
}

#[test]
fn dates_are_read_from_three_boxes() {
    assert_eq!(
        date_from_parts(" 24", "12 ", "2027"),
        Ok(date("2027-12-24"))
    );
    let msg = |d: &str, m: &str, y: &str| date_from_parts(d, m, y).unwrap_err();
    assert_eq!(msg("", "", ""), "Enter the date of the closure day");
    assert_eq!(msg("", "12", "2027"), "The date must include a day");
    assert_eq!(msg("1", "", "2027"), "The date must include a month");
    assert_eq!(msg("1", "2", ""), "The date must include a year");
    assert_eq!(msg("31", "2", "2027"), "The date must be a real date");
    assert_eq!(msg("1", "13", "2027"), "The date must be a real date");
    assert_eq!(msg("1", "2", "27"), "The year must include 4 numbers");
    assert!(msg("a", "2", "2027").starts_with("The date must be a real date"));
    assert!(msg("99999", "2", "2027").starts_with("The date must be a real date"));
}

#[test]
fn closure_days_are_working_days_the_calendar_covers() {
    let cal = calendar(&[date("2027-12-29")]);
    let (first, last) = cal.covers();
    let ok = date("2027-12-24"); // a Friday
    assert_eq!(check_closure_day(ok, &[], &cal), Ok(()));
    let msg = |d: &str, existing: &[Date]| check_closure_day(date(d), existing, &cal).unwrap_err();
    assert!(
        msg("2027-12-25", &[]).starts_with("Enter a weekday"),
        "a Saturday"
    );
    assert!(
        msg("2027-12-27", &[]).contains("already a bank holiday"),
        "{}",
        msg("2027-12-27", &[])
    );
    assert!(msg("2027-12-24", &[ok]).contains("already a closure day"));
    assert!(
        check_closure_day(date("2027-12-29"), &[], &cal).is_ok(),
        "a closure day removed from the list is not a bank holiday"
    );
    let before = first.yesterday().unwrap().to_string();
    let after = last.tomorrow().unwrap().to_string();
    assert!(msg(&before, &[]).starts_with("Enter a date between"));
    assert!(msg(&after, &[]).starts_with("Enter a date between"));
}

#[test]
fn a_list_of_closure_days_is_checked_whole() {
    let cal = calendar(&[]);
    let days = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    assert_eq!(
        check_closure_days(&days(&["2027-12-29", "2027-12-24", "2027-12-24"]), &cal),
        Ok(vec![date("2027-12-24"), date("2027-12-29")]),
        "sorted, once each"
    );
    let errors =
        check_closure_days(&days(&["24/12/2027", "2027-12-25", "2027-12-24"]), &cal).unwrap_err();
    assert_eq!(
        errors.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(),
        ["days[0]", "days[1]"]
    );
    assert_eq!(check_closure_days(&[], &cal), Ok(vec![]));
}
