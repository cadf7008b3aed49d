//! Compliments: recognising good work by a colleague in another agency of the partnership
//! (Dorset §2: "a fellow colleague who works within a different agency or organisation to
//! you"). A compliment is a person-to-person message; it carries no child details, and the
//! form says so: one that names a child of an escalation the giver may see the child of is
//! refused (`free_text`, issue 13 item 3).
//!
//! Everyone sees the compliments given to them and by them; the partnership business team
//! also sees every compliment in the partnership.

use std::collections::HashMap;

use parley_store::records::Actor;
use parley_store::rows::{AgencyRow, ComplimentRow, PersonRow};
use serde::{Deserialize, Serialize};

use crate::access::BUSINESS_TEAM;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppError, FieldErrors};

/// The longest compliment accepted, in characters.
pub const MESSAGE_MAX: usize = 2000;

/// The fields of a compliment, as the API names them.
pub const TO: &str = "to_person_id";
pub const MESSAGE: &str = "message";

/// What a person sees of compliments, and whom they may compliment.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Compliments {
    /// Given to the caller, newest first.
    pub received: Vec<ComplimentView>,
    /// Given by the caller, newest first.
    pub given: Vec<ComplimentView>,
    /// Every compliment in the partnership, newest first: for the partnership business team
    /// only (`null` for everyone else).
    pub all: Option<Vec<ComplimentView>>,
    /// The people the caller may compliment: active people in an agency other than their
    /// own, by agency then name.
    pub recipients: Vec<PersonRef>,
}

/// One compliment.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ComplimentView {
    pub id: String,
    pub from: PersonRef,
    pub to: PersonRef,
    pub message: String,
    /// RFC 3339.
    pub given_at: String,
    /// Microseconds since the Unix epoch.
    pub given_at_us: i64,
}

/// A person as compliments show them: name, job title and agency.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = ComplimentPerson)]
pub struct PersonRef {
    pub id: String,
    pub name: String,
    pub job_title: String,
    pub agency_id: Option<String>,
    /// `null` for the partnership's own staff, who belong to no agency.
    pub agency: Option<String>,
}

/// A compliment to give.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GiveCompliment {
    /// The person complimented: someone in another agency of the same partnership.
    pub to_person_id: String,
    /// Up to 2,000 characters. No child's name or details: one holding the name, date of
    /// birth or identifier of a child of the giver's escalations is refused (422).
    pub message: String,
}

/// The people and agencies of a partnership, for naming people.
struct People {
    people: HashMap<String, PersonRow>,
    agencies: HashMap<String, String>,
}

impl People {
    fn new(people: Vec<PersonRow>, agencies: Vec<AgencyRow>) -> People {
        People {
            people: people.into_iter().map(|p| (p.id.clone(), p)).collect(),
            agencies: agencies.into_iter().map(|a| (a.id, a.name)).collect(),
        }
    }

    fn person(&self, id: &str) -> PersonRef {
        match self.people.get(id) {
            Some(p) => person_ref(p, &self.agencies),
            None => PersonRef {
                id: id.to_owned(),
                name: "Unknown person".to_owned(),
                job_title: String::new(),
                agency_id: None,
                agency: None,
            },
        }
    }

    fn view(&self, c: &ComplimentRow) -> ComplimentView {
        ComplimentView {
            id: c.id.clone(),
            from: self.person(&c.from_person_id),
            to: self.person(&c.to_person_id),
            message: c.message.clone(),
            given_at: jiff::Timestamp::from_microsecond(c.given_at_us)
                .map(|t| t.to_string())
                .unwrap_or_default(),
            given_at_us: c.given_at_us,
        }
    }
}

fn person_ref(p: &PersonRow, agencies: &HashMap<String, String>) -> PersonRef {
    PersonRef {
        id: p.id.clone(),
        name: p.name.clone(),
        job_title: p.job_title.clone(),
        agency_id: p.agency_id.clone(),
        agency: p.agency_id.as_ref().and_then(|a| agencies.get(a).cloned()),
    }
}

/// Whom `giver` may compliment: active people with an agency that is not the giver's (the
/// partnership's own staff, who have no agency, may compliment anyone in an agency), never
/// themselves. By agency name, then name.
pub fn recipients(
    giver: &PersonRow,
    people: &[PersonRow],
    agencies: &[AgencyRow],
) -> Vec<PersonRef> {
    let names: HashMap<String, String> = agencies
        .iter()
        .map(|a| (a.id.clone(), a.name.clone()))
        .collect();
    let mut out: Vec<PersonRef> = people
        .iter()
        .filter(|p| {
            p.active
                && p.id != giver.id
                && p.partnership_id == giver.partnership_id
                && p.agency_id
                    .as_ref()
                    .is_some_and(|a| names.contains_key(a) && giver.agency_id.as_ref() != Some(a))
        })
        .map(|p| person_ref(p, &names))
        .collect();
    out.sort_by(|a, b| (&a.agency, &a.name, &a.id).cmp(&(&b.agency, &b.name, &b.id)));
    out
}

/// Checks a compliment before it is given. Returns the trimmed message, or each field's
/// problem, named as in the API (`to_person_id`, `message`).
pub fn validate(input: &GiveCompliment, recipients: &[PersonRef]) -> Result<String, FieldErrors> {
    let mut problems = FieldErrors::default();
    let to = input.to_person_id.trim();
    if to.is_empty() {
        problems.add(TO, "Select the person you want to compliment");
    } else if !recipients.iter().any(|r| r.id == to) {
        problems.add(TO, "Select a person in another agency of your partnership");
    }
    let message = input.message.trim();
    if message.is_empty() {
        problems.add(MESSAGE, "Enter your compliment");
    } else if message.chars().count() > MESSAGE_MAX {
        problems.add(MESSAGE, "Your compliment must be 2,000 characters or fewer");
    } else if let Err(m) = super::free_text::check_shown("Your compliment", message) {
        problems.add(MESSAGE, m);
    }
    if problems.is_empty() {
        Ok(message.to_owned())
    } else {
        Err(problems)
    }
}

/// Whether the person's partnership runs a procedure that invites compliments
/// (`[compliments]`, Dorset §2).
fn invites(user: &CurrentUser) -> bool {
    user.config.as_ref().is_none_or(|c| c.compliments)
}

/// The compliments a person sees, and whom they may compliment.
pub async fn compliments(state: &AppState, user: &CurrentUser) -> Result<Compliments, AppError> {
    let pid = user.partnership_id();
    let people = state.store.people(pid).await?;
    let agencies = state.store.agencies(pid).await?;
    // Nobody to give one to where the procedure invites none (issue 14, item 9): the page
    // stays, for compliments given before the procedure changed.
    let recipients = if invites(user) {
        recipients(&user.person, &people, &agencies)
    } else {
        Vec::new()
    };
    let dir = People::new(people, agencies);
    let mut rows = state.store.compliments(pid).await?;
    // Newest first (the store lists them oldest first).
    rows.sort_by(|a, b| (b.given_at_us, &b.id).cmp(&(a.given_at_us, &a.id)));
    let me = user.id();
    let received = rows
        .iter()
        .filter(|c| c.to_person_id == me)
        .map(|c| dir.view(c))
        .collect();
    let given = rows
        .iter()
        .filter(|c| c.from_person_id == me)
        .map(|c| dir.view(c))
        .collect();
    let all = user
        .has(BUSINESS_TEAM)
        .then(|| rows.iter().map(|c| dir.view(c)).collect());
    Ok(Compliments {
        received,
        given,
        all,
        recipients,
    })
}

/// Gives a compliment from the signed-in person, if it passes [`validate`]
/// ([`AppError::Invalid`] otherwise).
pub async fn give(
    state: &AppState,
    user: &CurrentUser,
    input: &GiveCompliment,
) -> Result<ComplimentView, AppError> {
    if !invites(user) {
        return Err(AppError::NotFound);
    }
    let pid = user.partnership_id();
    let people = state.store.people(pid).await?;
    let agencies = state.store.agencies(pid).await?;
    let recipients = recipients(&user.person, &people, &agencies);
    let message = validate(input, &recipients)?;
    // Issue 13, item 3: a compliment has no child, and the business team reads every one.
    let children = super::free_text::children_known_to(state, user).await?;
    super::free_text::check(
        &children,
        super::free_text::Whose::AnyChild,
        "Your compliment",
        &message,
    )
    .map_err(|m| AppError::invalid_field(MESSAGE, m))?;
    let to = input.to_person_id.trim();
    let at = state.now();
    let id = state
        .records
        .give_compliment(at, &Actor::person(user.id()), pid, user.id(), to, &message)
        .await?;
    let dir = People::new(people, agencies);
    Ok(dir.view(&ComplimentRow {
        id,
        partnership_id: pid.to_owned(),
        from_person_id: user.id().to_owned(),
        to_person_id: to.to_owned(),
        message,
        given_at_us: at.as_microsecond(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(id: &str, agency: Option<&str>) -> PersonRow {
        PersonRow {
            id: id.to_owned(),
            partnership_id: "p".to_owned(),
            agency_id: agency.map(str::to_owned),
            name: format!("Name {id}"),
            email: format!("{id}@example.org"),
            job_title: "Social worker".to_owned(),
            roles: vec!["practitioner".to_owned()],
            line_manager_id: None,
            active: true,
        }
    }

    fn agency(id: &str, name: &str) -> AgencyRow {
        AgencyRow {
            id: id.to_owned(),
            partnership_id: "p".to_owned(),
            name: name.to_owned(),
            sector: "health".to_owned(),
        }
    }

    fn setup() -> (Vec<PersonRow>, Vec<AgencyRow>) {
        let mut gone = person("gone", Some("a2"));
        gone.active = false;
        let mut elsewhere = person("elsewhere", Some("a2"));
        elsewhere.partnership_id = "q".to_owned();
        (
            vec![
                person("me", Some("a1")),
                person("colleague", Some("a1")),
                person("zed", Some("a2")),
                person("amy", Some("a3")),
                person("bob", Some("a2")),
                person("unit", None),
                gone,
                elsewhere,
            ],
            vec![
                agency("a1", "School"),
                agency("a2", "Police"),
                agency("a3", "Hospital"),
            ],
        )
    }

    #[test]
    fn recipients_are_active_people_in_other_agencies() {
        let (people, agencies) = setup();
        let ids = |giver: &PersonRow| -> Vec<String> {
            recipients(giver, &people, &agencies)
                .into_iter()
                .map(|r| r.id)
                .collect()
        };
        // Not myself, not my own agency, not the inactive, not another partnership, not the
        // partnership's own staff; by agency (Hospital, Police) then name.
        assert_eq!(ids(&people[0]), ["amy", "bob", "zed"]);
        // The partnership's staff may compliment anyone in an agency.
        assert_eq!(ids(&people[5]), ["amy", "bob", "zed", "colleague", "me"]);
        let r = recipients(&people[0], &people, &agencies);
        assert_eq!(r[0].agency.as_deref(), Some("Hospital"));
    }

    #[test]
    fn validation_names_each_field() {
        let (people, agencies) = setup();
        let r = recipients(&people[0], &people, &agencies);
        let check = |to: &str, message: &str| {
            validate(
                &GiveCompliment {
                    to_person_id: to.to_owned(),
                    message: message.to_owned(),
                },
                &r,
            )
        };
        assert_eq!(check("amy", "  Thank you!  "), Ok("Thank you!".to_owned()));
        let fields = |res: Result<String, FieldErrors>| -> Vec<String> {
            res.err()
                .unwrap_or_default()
                .iter()
                .map(|p| p.field.clone())
                .collect()
        };
        assert_eq!(fields(check("", "")), [TO, "message"]);
        assert_eq!(fields(check("colleague", "Thanks")), [TO]);
        assert_eq!(fields(check("me", "Thanks")), [TO]);
        assert_eq!(fields(check("nobody", "Thanks")), [TO]);
        assert_eq!(fields(check("amy", "   \n ")), ["message"]);
        assert_eq!(
            fields(check("amy", &"x".repeat(MESSAGE_MAX))),
            Vec::<&str>::new()
        );
        assert_eq!(
            fields(check("amy", &"é".repeat(MESSAGE_MAX + 1))),
            ["message"]
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_compliment_given_is_seen_by_both_people_and_the_business_team() {
        use std::sync::Arc;

        use crate::app::{Clock, Config};

        let now: jiff::Timestamp = "2026-11-23T10:00:00Z".parse().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("parley.db").display());
        let records = parley_store::records::Records::open(&url).await.unwrap();
        let summary = parley_demo::seed(&records, now, 10, 3, |_, _| {})
            .await
            .unwrap();
        let state = AppState::new(Arc::new(records), Config::default(), Clock::Fixed(now));
        let sign_in = |role: &str| {
            summary
                .sign_ins
                .iter()
                .find(|s| s.role == role && s.partnership_id == summary.partnerships[1].id)
                .unwrap()
                .person_id
                .clone()
        };
        let as_user = |id: String| {
            let state = state.clone();
            async move {
                CurrentUser {
                    person: state.store.person(&id).await.unwrap().unwrap(),
                    session: None,
                    config: None,
                    partnership_seq: None,
                    unread: None,
                }
            }
        };
        let giver = as_user(sign_in("practitioner")).await;
        let team = as_user(sign_in(BUSINESS_TEAM)).await;
        let before = compliments(&state, &team).await.unwrap().all.unwrap().len();
        let mine = compliments(&state, &giver).await.unwrap();
        assert!(mine.all.is_none(), "only the business team sees them all");
        let to = mine.recipients[0].clone();
        assert_ne!(to.agency_id, giver.person.agency_id);

        // Refused: someone in the giver's own agency, and no message.
        let colleague = state
            .store
            .people(giver.partnership_id())
            .await
            .unwrap()
            .into_iter()
            .find(|p| p.agency_id == giver.person.agency_id && p.id != giver.person.id)
            .unwrap();
        let refused = give(
            &state,
            &giver,
            &GiveCompliment {
                to_person_id: colleague.id.clone(),
                message: " ".into(),
            },
        )
        .await;
        let Err(AppError::Invalid(problems)) = refused else {
            panic!("a colleague in the same agency was complimented");
        };
        assert_eq!(
            problems
                .iter()
                .map(|p| p.field.as_str())
                .collect::<Vec<_>>(),
            ["to_person_id", "message"]
        );

        let given = give(
            &state,
            &giver,
            &GiveCompliment {
                to_person_id: to.id.clone(),
                message: "  Thank you for the quick strategy meeting.  ".into(),
            },
        )
        .await
        .expect("given");
        assert_eq!(given.message, "Thank you for the quick strategy meeting.");
        assert_eq!(given.given_at_us, now.as_microsecond());

        let mine = compliments(&state, &giver).await.unwrap();
        assert_eq!(mine.given[0].id, given.id);
        assert_eq!(mine.given[0].to.name, to.name);
        let theirs = compliments(&state, &as_user(to.id.clone()).await)
            .await
            .unwrap();
        assert_eq!(theirs.received[0].id, given.id);
        assert_eq!(theirs.received[0].from.agency, mine.given[0].from.agency);
        let all = compliments(&state, &team).await.unwrap().all.unwrap();
        assert_eq!(all.len(), before + 1);
        assert_eq!(all[0].id, given.id, "newest first");
    }
}
