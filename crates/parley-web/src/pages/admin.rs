//! Administration pages: agencies, people, named officers, the procedure and the
//! partnership's closure days. Administrators only (the route rule), within their own
//! partnership (the service). Every form posts back to its page: 422 with the page re-shown and
//! the input kept when something is wrong, 303 to the page with a success banner when not.
//!
//! Longer than 800 lines: its banner sections, one per administration form (agencies, people,
//! named officers, procedure, closure days), become the files of an `admin/` folder in issue
//! 16.

use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use super::{ErrorItem, FieldErrors, invalid, render};
use crate::access::ADMINISTRATOR;
use crate::app::AppState;
use crate::auth::{CsrfForm, CurrentUser, same};
use crate::error::AppError;
use crate::routes::{Route, Rule, route};
use crate::service::admin::{
    self as svc, AdminAgency, AdminError, AdminPerson, AgencyFields, AgencyOfficers, Choice,
    ClosureDays, InputError, NamedOfficerFields, NamedOfficers, OfficerStage, Overview,
    PersonChoices, PersonFields, ProcedureVersions,
};

const ADMIN: Rule = Rule::Roles(&[ADMINISTRATOR]);

pub fn routes() -> Vec<Route> {
    vec![
        route(Method::GET, "/admin", ADMIN, get(index)),
        route(Method::GET, "/admin/agencies", ADMIN, get(agencies_page)),
        route(Method::POST, "/admin/agencies", ADMIN, post(agencies_add)),
        route(Method::GET, "/admin/people", ADMIN, get(people_page)),
        route(Method::GET, "/admin/people/new", ADMIN, get(person_new)),
        route(
            Method::POST,
            "/admin/people/new",
            ADMIN,
            post(person_create),
        ),
        route(Method::GET, "/admin/people/{id}", ADMIN, get(person_edit)),
        route(
            Method::POST,
            "/admin/people/{id}",
            ADMIN,
            post(person_update),
        ),
        route(
            Method::GET,
            "/admin/named-officers",
            ADMIN,
            get(officers_page),
        ),
        route(
            Method::GET,
            "/admin/named-officers/{agency}",
            ADMIN,
            get(officers_agency),
        ),
        route(
            Method::POST,
            "/admin/named-officers/{agency}",
            ADMIN,
            post(officers_save),
        ),
        route(Method::GET, "/admin/procedure", ADMIN, get(procedure_page)),
        route(
            Method::POST,
            "/admin/procedure",
            ADMIN,
            post(procedure_upload),
        ),
        route(
            Method::GET,
            "/admin/procedure/versions/{version}",
            ADMIN,
            get(procedure_download),
        ),
        route(Method::GET, "/admin/closure-days", ADMIN, get(closure_page)),
        route(
            Method::POST,
            "/admin/closure-days",
            ADMIN,
            post(closure_add),
        ),
        route(
            Method::POST,
            "/admin/closure-days/remove",
            ADMIN,
            post(closure_remove),
        ),
    ]
}

// ---------------------------------------------------------------------------------------------
// Shared

#[derive(Serialize)]
struct Crumb {
    text: String,
    href: Option<&'static str>,
}

/// Administration > `here`.
fn crumbs(here: &str, middle: Option<(&str, &'static str)>) -> Vec<Crumb> {
    let mut c = vec![Crumb {
        text: "Administration".to_owned(),
        href: Some("/admin"),
    }];
    if let Some((text, href)) = middle {
        c.push(Crumb {
            text: text.to_owned(),
            href: Some(href),
        });
    }
    c.push(Crumb {
        text: here.to_owned(),
        href: None,
    });
    c
}

/// The service's messages as GOV.UK field errors; `id` maps a field to its input's id.
fn field_errors(list: &[InputError], id: impl Fn(&str) -> String) -> FieldErrors {
    let mut errors = FieldErrors::default();
    for e in list {
        errors.add(&id(&e.field), e.message.clone());
    }
    errors
}

/// Fields whose input has the field's name as its id (checkboxes and radios: the first item).
fn same_id(field: &str) -> String {
    field.to_owned()
}

/// Banners after a successful change come from a query parameter naming what changed; the
/// text is always built here, never taken from the URL.
#[derive(Debug, Default, Deserialize)]
struct Done {
    added: Option<String>,
    saved: Option<String>,
    removed: Option<String>,
    adopted: Option<String>,
}

fn encode(s: &str) -> String {
    serde_urlencoded::to_string([("v", s)])
        .map(|q| q.trim_start_matches("v=").to_owned())
        .unwrap_or_default()
}

/// Reads a form's pairs (for fields that repeat, like checkboxes).
fn values<'a>(pairs: &'a [(String, String)], name: &'a str) -> impl Iterator<Item = &'a str> {
    pairs
        .iter()
        .filter(move |(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn value(pairs: &[(String, String)], name: &str) -> String {
    values(pairs, name).next().unwrap_or("").to_owned()
}

// ---------------------------------------------------------------------------------------------
// Overview

#[derive(Serialize)]
struct IndexPage {
    page_title: &'static str,
    overview: Overview,
}

async fn index(State(state): State<AppState>, user: CurrentUser) -> Result<Html<String>, AppError> {
    let overview = svc::overview(&state, &user).await?;
    render(
        &state,
        Some(&user),
        "/admin",
        "admin/index.html",
        IndexPage {
            page_title: "Administration",
            overview,
        },
    )
}

// ---------------------------------------------------------------------------------------------
// Agencies

#[derive(Serialize)]
struct AgenciesPage {
    page_title: &'static str,
    breadcrumbs: Vec<Crumb>,
    agencies: Vec<AdminAgency>,
    sectors: Vec<Choice>,
    form: AgencyFields,
    errors: FieldErrors,
    has_errors: bool,
    banner: Option<String>,
}

async fn agencies_view(
    state: &AppState,
    user: &CurrentUser,
    form: AgencyFields,
    errors: FieldErrors,
    banner: Option<String>,
) -> Result<Html<String>, AppError> {
    let agencies = svc::agencies(state, user).await?;
    render(
        state,
        Some(user),
        "/admin",
        "admin/agencies.html",
        AgenciesPage {
            page_title: "Agencies",
            breadcrumbs: crumbs("Agencies", None),
            agencies,
            sectors: svc::SECTORS
                .iter()
                .map(|(v, t)| Choice {
                    value: (*v).to_owned(),
                    text: (*t).to_owned(),
                })
                .collect(),
            form,
            has_errors: !errors.is_empty(),
            errors,
            banner,
        },
    )
}

async fn agencies_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(done): Query<Done>,
) -> Result<Html<String>, AppError> {
    let banner = match done.added {
        Some(id) => svc::agencies(&state, &user)
            .await?
            .into_iter()
            .find(|a| a.id == id)
            .map(|a| format!("{} has been added", a.name)),
        None => None,
    };
    agencies_view(
        &state,
        &user,
        AgencyFields::default(),
        FieldErrors::default(),
        banner,
    )
    .await
}

/// The add-agency form as a browser sends it (with its `csrf` field, and an empty field for
/// anything left out); the API's `AgencyFields` refuses both.
#[derive(Deserialize)]
struct AgencyForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    sector: String,
}

async fn agencies_add(
    State(state): State<AppState>,
    CsrfForm(user, form): CsrfForm<AgencyForm>,
) -> Result<Response, AppError> {
    let form = AgencyFields {
        name: form.name,
        sector: form.sector,
    };
    match svc::add_agency(&state, &user, &form).await {
        Ok(a) => {
            Ok(Redirect::to(&format!("/admin/agencies?added={}", encode(&a.id))).into_response())
        }
        Err(AdminError::Invalid(list)) => {
            let errors = field_errors(&list, same_id);
            Ok(invalid(
                agencies_view(&state, &user, form, errors, None).await?,
            ))
        }
        Err(AdminError::Failed(e)) => Err(e),
    }
}

// ---------------------------------------------------------------------------------------------
// People

#[derive(Serialize)]
struct PeoplePage {
    page_title: &'static str,
    breadcrumbs: Vec<Crumb>,
    people: Vec<AdminPerson>,
    active: usize,
    banner: Option<String>,
}

async fn people_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(done): Query<Done>,
) -> Result<Html<String>, AppError> {
    let people = svc::people(&state, &user).await?;
    let find = |id: &Option<String>| {
        id.as_ref()
            .and_then(|id| people.iter().find(|p| &p.id == id))
            .map(|p| p.name.clone())
    };
    let banner = find(&done.added)
        .map(|n| format!("{n} has been added"))
        .or_else(|| find(&done.saved).map(|n| format!("{n}’s details have been saved")));
    render(
        &state,
        Some(&user),
        "/admin",
        "admin/people.html",
        PeoplePage {
            page_title: "People",
            breadcrumbs: crumbs("People", None),
            active: people.iter().filter(|p| p.active).count(),
            people,
            banner,
        },
    )
}

#[derive(Serialize)]
struct PersonPage {
    page_title: String,
    breadcrumbs: Vec<Crumb>,
    /// `None` for a new person.
    id: Option<String>,
    action: String,
    form: PersonFields,
    choices: PersonChoices,
    named_officer_stages: Vec<i64>,
    editing_self: bool,
    errors: FieldErrors,
    has_errors: bool,
}

async fn person_view(
    state: &AppState,
    user: &CurrentUser,
    id: Option<&str>,
    form: Option<PersonFields>,
    errors: FieldErrors,
) -> Result<Html<String>, AppError> {
    let (title, form, stages) = match id {
        Some(id) => {
            let p = svc::person(state, user, id).await?;
            let form = form.unwrap_or_else(|| PersonFields {
                name: p.name.clone(),
                email: p.email.clone(),
                job_title: p.job_title.clone(),
                agency_id: p.agency_id.clone(),
                roles: p.roles.clone(),
                line_manager_id: p.line_manager_id.clone(),
                active: p.active,
                password: None,
            });
            (
                format!("Change {}’s details", p.name),
                form,
                p.named_officer_stages,
            )
        }
        None => (
            "Add a person".to_owned(),
            form.unwrap_or_default(),
            Vec::new(),
        ),
    };
    let choices = svc::person_choices(state, user, id).await?;
    let here = if id.is_some() {
        "Change details"
    } else {
        "Add a person"
    };
    render(
        state,
        Some(user),
        "/admin",
        "admin/person.html",
        PersonPage {
            breadcrumbs: crumbs(here, Some(("People", "/admin/people"))),
            page_title: title,
            action: id.map_or_else(
                || "/admin/people/new".to_owned(),
                |id| format!("/admin/people/{}", encode(id)),
            ),
            editing_self: id == Some(user.id()),
            id: id.map(str::to_owned),
            form,
            choices,
            named_officer_stages: stages,
            has_errors: !errors.is_empty(),
            errors,
        },
    )
}

/// The person form's fields (roles repeat, so the pairs are read by hand).
fn person_fields(pairs: &[(String, String)]) -> PersonFields {
    let optional = |name: &str| Some(value(pairs, name)).filter(|v| !v.trim().is_empty());
    PersonFields {
        name: value(pairs, "name"),
        email: value(pairs, "email"),
        job_title: value(pairs, "job_title"),
        agency_id: optional("agency_id"),
        roles: values(pairs, "roles").map(str::to_owned).collect(),
        line_manager_id: optional("line_manager_id"),
        active: value(pairs, "active") != "no",
        password: optional("password"),
    }
}

async fn person_new(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Html<String>, AppError> {
    person_view(&state, &user, None, None, FieldErrors::default()).await
}

async fn person_edit(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Html<String>, AppError> {
    person_view(&state, &user, Some(&id), None, FieldErrors::default()).await
}

async fn person_save(
    state: &AppState,
    user: &CurrentUser,
    id: Option<&str>,
    pairs: &[(String, String)],
) -> Result<Response, AppError> {
    let form = person_fields(pairs);
    match svc::save_person(state, user, id, &form).await {
        Ok(p) => {
            let key = if id.is_some() { "saved" } else { "added" };
            Ok(Redirect::to(&format!("/admin/people?{key}={}", encode(&p.id))).into_response())
        }
        Err(AdminError::Invalid(list)) => {
            let errors = field_errors(&list, same_id);
            // The password is never sent back.
            let form = PersonFields {
                password: None,
                ..form
            };
            Ok(invalid(
                person_view(state, user, id, Some(form), errors).await?,
            ))
        }
        Err(AdminError::Failed(e)) => Err(e),
    }
}

async fn person_create(
    State(state): State<AppState>,
    CsrfForm(user, pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    person_save(&state, &user, None, &pairs).await
}

async fn person_update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(user, pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    // 404 before anything else for someone not in the partnership.
    svc::person(&state, &user, &id).await?;
    person_save(&state, &user, Some(&id), &pairs).await
}

// ---------------------------------------------------------------------------------------------
// Named officers

#[derive(Serialize)]
struct OfficersPage {
    page_title: &'static str,
    breadcrumbs: Vec<Crumb>,
    officers: NamedOfficers,
    banner: Option<String>,
}

async fn officers_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(done): Query<Done>,
) -> Result<Html<String>, AppError> {
    let officers = svc::named_officers(&state, &user).await?;
    let banner = done.saved.and_then(|id| {
        officers
            .agencies
            .iter()
            .find(|a| a.agency_id == id)
            .map(|a| format!("{}’s named officers have been saved", a.agency))
    });
    render(
        &state,
        Some(&user),
        "/admin",
        "admin/named_officers.html",
        OfficersPage {
            page_title: "Named officers",
            breadcrumbs: crumbs("Named officers", None),
            officers,
            banner,
        },
    )
}

/// One select per stage.
#[derive(Serialize)]
struct StageSelect {
    stage: OfficerStage,
    id: String,
    /// The person chosen (`""`: nobody).
    value: String,
    items: Vec<Choice>,
}

#[derive(Serialize)]
struct OfficersAgencyPage {
    page_title: String,
    breadcrumbs: Vec<Crumb>,
    action: String,
    agency: String,
    selects: Vec<StageSelect>,
    errors: FieldErrors,
    has_errors: bool,
}

async fn officers_agency_view(
    state: &AppState,
    user: &CurrentUser,
    agency_id: &str,
    chosen: Option<&[(String, String)]>,
    errors: FieldErrors,
) -> Result<Html<String>, AppError> {
    let all = svc::named_officers(state, user).await?;
    let agency: AgencyOfficers = all
        .agencies
        .into_iter()
        .find(|a| a.agency_id == agency_id)
        .ok_or(AppError::NotFound)?;
    let selects = all
        .stages
        .into_iter()
        .zip(&agency.officers)
        .map(|(stage, cell)| {
            let id = format!("stage-{}", stage.number);
            let mut items = vec![Choice {
                value: String::new(),
                text: "Nobody named".to_owned(),
            }];
            items.extend(agency.choices.iter().cloned());
            // Someone named who has since left stays visible until replaced.
            if let (Some(pid), Some(name)) = (&cell.person_id, &cell.person)
                && !items.iter().any(|c| &c.value == pid)
            {
                items.push(Choice {
                    value: pid.clone(),
                    text: format!("{name} (no longer active)"),
                });
            }
            let value = match chosen {
                Some(pairs) => value(pairs, &id),
                None => cell.person_id.clone().unwrap_or_default(),
            };
            StageSelect {
                stage,
                id,
                value,
                items,
            }
        })
        .collect();
    render(
        state,
        Some(user),
        "/admin",
        "admin/named_officers_agency.html",
        OfficersAgencyPage {
            page_title: format!("Named officers for {}", agency.agency),
            breadcrumbs: crumbs(
                &agency.agency,
                Some(("Named officers", "/admin/named-officers")),
            ),
            action: format!("/admin/named-officers/{}", encode(agency_id)),
            agency: agency.agency.clone(),
            selects,
            has_errors: !errors.is_empty(),
            errors,
        },
    )
}

async fn officers_agency(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(agency): Path<String>,
) -> Result<Html<String>, AppError> {
    officers_agency_view(&state, &user, &agency, None, FieldErrors::default()).await
}

async fn officers_save(
    State(state): State<AppState>,
    Path(agency): Path<String>,
    CsrfForm(user, pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let all = svc::named_officers(&state, &user).await?;
    if !all.agencies.iter().any(|a| a.agency_id == agency) {
        return Err(AppError::NotFound);
    }
    let changes: Vec<NamedOfficerFields> = all
        .stages
        .iter()
        .filter_map(|s| {
            let id = format!("stage-{}", s.number);
            values(&pairs, &id).next().map(|v| NamedOfficerFields {
                agency_id: agency.clone(),
                stage: s.number,
                person_id: Some(v.to_owned()).filter(|v| !v.is_empty()),
            })
        })
        .collect();
    let single = changes.len() == 1;
    match svc::set_named_officers(&state, &user, &changes).await {
        Ok(()) => Ok(
            Redirect::to(&format!("/admin/named-officers?saved={}", encode(&agency)))
                .into_response(),
        ),
        Err(AdminError::Invalid(list)) => {
            let stage_of_single = changes.first().map(|c| c.stage).unwrap_or(1);
            let errors = field_errors(&list, |f| {
                if single && !f.starts_with("stage-") {
                    format!("stage-{stage_of_single}")
                } else {
                    f.to_owned()
                }
            });
            Ok(invalid(
                officers_agency_view(&state, &user, &agency, Some(&pairs), errors).await?,
            ))
        }
        Err(AdminError::Failed(e)) => Err(e),
    }
}

// ---------------------------------------------------------------------------------------------
// Procedure

#[derive(Serialize)]
struct ProcedurePage {
    page_title: &'static str,
    breadcrumbs: Vec<Crumb>,
    versions: ProcedureVersions,
    source: String,
    problems: Vec<Problem>,
    errors: FieldErrors,
    has_errors: bool,
    banner: Option<String>,
    max_kb: usize,
}

/// A problem in an uploaded file, as shown.
#[derive(Serialize)]
struct Problem {
    text: String,
    source_line: Option<String>,
}

async fn procedure_view(
    state: &AppState,
    user: &CurrentUser,
    source: String,
    problems: &[InputError],
    banner: Option<String>,
) -> Result<Html<String>, AppError> {
    let versions = svc::procedure_versions(state, user).await?;
    let mut errors = FieldErrors::default();
    let in_file: Vec<&InputError> = problems.iter().filter(|p| p.line.is_some()).collect();
    for p in problems.iter().filter(|p| p.line.is_none()) {
        // Nothing sent, or a file that is not text: point at the file input; anything else
        // about the text: the text.
        let id = if p.field == "file" || source.trim().is_empty() {
            "file"
        } else {
            "source"
        };
        errors.add(id, p.message.clone());
    }
    if !in_file.is_empty() {
        for p in &in_file {
            errors.summary.push(ErrorItem {
                text: p.text(),
                href: "#source".to_owned(),
            });
        }
        errors.by_field.insert(
            "source".to_owned(),
            if in_file.len() == 1 {
                "Fix the problem in the procedure file listed above".to_owned()
            } else {
                format!(
                    "Fix the {} problems in the procedure file listed above",
                    in_file.len()
                )
            },
        );
    }
    render(
        state,
        Some(user),
        "/admin",
        "admin/procedure.html",
        ProcedurePage {
            page_title: "Procedure",
            breadcrumbs: crumbs("Procedure", None),
            versions,
            source,
            problems: in_file
                .iter()
                .map(|p| Problem {
                    text: p.text(),
                    source_line: p.source_line.clone(),
                })
                .collect(),
            has_errors: !errors.is_empty(),
            errors,
            banner,
            max_kb: svc::MAX_PROCEDURE / 1024,
        },
    )
}

async fn procedure_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(done): Query<Done>,
) -> Result<Html<String>, AppError> {
    let banner = match done.adopted.and_then(|v| v.parse::<i64>().ok()) {
        Some(v) if svc::procedure_versions(&state, &user).await?.current == v => Some(format!(
            "Version {v} of the procedure has been adopted. New escalations follow it; escalations already raised keep the version they were raised under."
        )),
        _ => None,
    };
    procedure_view(&state, &user, String::new(), &[], banner).await
}

/// What the procedure form sent: a file, or pasted text.
#[derive(Default)]
struct Upload {
    csrf: String,
    file: Option<Vec<u8>>,
    source: String,
}

async fn read_upload(state: &AppState, request: Request) -> Result<Upload, AppError> {
    let unreadable = || AppError::BadRequest("the form could not be read".to_owned());
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let mut upload = Upload::default();
    if multipart {
        let mut form = Multipart::from_request(request, state)
            .await
            .map_err(|_| unreadable())?;
        while let Some(field) = form.next_field().await.map_err(|_| unreadable())? {
            match field.name() {
                Some("csrf") => upload.csrf = field.text().await.map_err(|_| unreadable())?,
                Some("source") => upload.source = field.text().await.map_err(|_| unreadable())?,
                Some("file") => {
                    let bytes = field.bytes().await.map_err(|_| unreadable())?;
                    if !bytes.is_empty() {
                        upload.file = Some(bytes.to_vec());
                    }
                }
                _ => {}
            }
        }
    } else {
        let bytes = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(|_| unreadable())?;
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_bytes(&bytes).map_err(|_| unreadable())?;
        upload.csrf = value(&pairs, "csrf");
        upload.source = value(&pairs, "source");
    }
    Ok(upload)
}

/// The upload is multipart, which `CsrfForm` does not read: the token is checked here.
async fn procedure_upload(
    State(state): State<AppState>,
    user: CurrentUser,
    request: Request,
) -> Result<Response, AppError> {
    let upload = read_upload(&state, request).await?;
    if user.session.is_none() || !same(&upload.csrf, user.csrf()) {
        return Err(AppError::Csrf);
    }
    let source = match upload.file {
        Some(bytes) => match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(_) => {
                let wrong = [InputError::new(
                    "file",
                    "The selected file must be a procedure file in TOML (a text file)",
                )];
                return Ok(invalid(
                    procedure_view(&state, &user, upload.source, &wrong, None).await?,
                ));
            }
        },
        None => upload.source,
    };
    // A file saved by some editors starts with a byte-order mark.
    let source = source
        .strip_prefix('\u{feff}')
        .map(str::to_owned)
        .unwrap_or(source);
    match svc::adopt_procedure(&state, &user, &source).await {
        Ok(v) => {
            Ok(Redirect::to(&format!("/admin/procedure?adopted={}", v.version)).into_response())
        }
        Err(AdminError::Invalid(list)) => Ok(invalid(
            procedure_view(&state, &user, source, &list, None).await?,
        )),
        Err(AdminError::Failed(e)) => Err(e),
    }
}

/// A version's file, to download and edit.
async fn procedure_download(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(version): Path<String>,
) -> Result<Response, AppError> {
    let version: i64 = version.parse().map_err(|_| AppError::NotFound)?;
    let v = svc::procedure_version(&state, &user, version).await?;
    let name = format!(
        "{}-version-{}.toml",
        v.version.procedure_id, v.version.version
    );
    let mut response = v.source.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/toml; charset=utf-8"),
    );
    if let Ok(d) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, d);
    }
    Ok(response)
}

// ---------------------------------------------------------------------------------------------
// Closure days

#[derive(Serialize)]
struct ClosurePage {
    page_title: &'static str,
    breadcrumbs: Vec<Crumb>,
    closure: ClosureDays,
    first_text: String,
    last_text: String,
    form: ClosureForm,
    errors: FieldErrors,
    has_errors: bool,
    banner: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct ClosureForm {
    #[serde(rename(deserialize = "date-day"), default)]
    day: String,
    #[serde(rename(deserialize = "date-month"), default)]
    month: String,
    #[serde(rename(deserialize = "date-year"), default)]
    year: String,
}

fn long_date(s: &str) -> Option<String> {
    s.parse::<jiff::civil::Date>()
        .ok()
        .map(|d| d.strftime("%A %-d %B %Y").to_string())
}

async fn closure_view(
    state: &AppState,
    user: &CurrentUser,
    form: ClosureForm,
    errors: FieldErrors,
    banner: Option<String>,
) -> Result<Html<String>, AppError> {
    let closure = svc::closure_days(state, user).await?;
    render(
        state,
        Some(user),
        "/admin",
        "admin/closure_days.html",
        ClosurePage {
            page_title: "Closure days",
            breadcrumbs: crumbs("Closure days", None),
            first_text: long_date(&closure.first).unwrap_or_default(),
            last_text: long_date(&closure.last).unwrap_or_default(),
            closure,
            form,
            has_errors: !errors.is_empty(),
            errors,
            banner,
        },
    )
}

async fn closure_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(done): Query<Done>,
) -> Result<Html<String>, AppError> {
    let banner = if let Some(d) = done.added.as_deref().and_then(long_date) {
        Some(format!("{d} has been added as a closure day"))
    } else {
        done.removed
            .as_deref()
            .and_then(long_date)
            .map(|d| format!("{d} is no longer a closure day"))
    };
    closure_view(
        &state,
        &user,
        ClosureForm::default(),
        FieldErrors::default(),
        banner,
    )
    .await
}

async fn closure_add(
    State(state): State<AppState>,
    CsrfForm(user, form): CsrfForm<ClosureForm>,
) -> Result<Response, AppError> {
    let result = match svc::date_from_parts(&form.day, &form.month, &form.year) {
        Ok(date) => svc::add_closure_day(&state, &user, date)
            .await
            .map(|()| date),
        Err(m) => Err(AdminError::Invalid(vec![InputError::new("date", m)])),
    };
    match result {
        Ok(date) => Ok(Redirect::to(&format!("/admin/closure-days?added={date}")).into_response()),
        Err(AdminError::Invalid(list)) => {
            let errors = field_errors(&list, |f| {
                if f == "date" {
                    "date-day".to_owned()
                } else {
                    f.to_owned()
                }
            });
            Ok(invalid(
                closure_view(&state, &user, form, errors, None).await?,
            ))
        }
        Err(AdminError::Failed(e)) => Err(e),
    }
}

#[derive(Deserialize)]
struct RemoveForm {
    #[serde(default)]
    date: String,
}

async fn closure_remove(
    State(state): State<AppState>,
    CsrfForm(user, form): CsrfForm<RemoveForm>,
) -> Result<Response, AppError> {
    match svc::remove_closure_day(&state, &user, &form.date).await {
        Ok(date) => {
            Ok(Redirect::to(&format!("/admin/closure-days?removed={date}")).into_response())
        }
        Err(AdminError::Invalid(list)) => {
            let errors = field_errors(&list, same_id);
            Ok(invalid(
                closure_view(&state, &user, ClosureForm::default(), errors, None).await?,
            ))
        }
        Err(AdminError::Failed(e)) => Err(e),
    }
}
