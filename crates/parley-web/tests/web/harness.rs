//! The harness: the demo data seeded once per test binary into a real SQLite file, and a fresh
//! copy of that file (with its own `Records`, `AppState` and router) for every test, so that no
//! test sees another's writes. Requests go through the whole router in process
//! (`tower::ServiceExt::oneshot`): every layer a browser's request meets, without a socket.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt as _;
use jiff::Timestamp;
use parley_demo::{DemoSummary, SignIn};
use parley_store::backend::SqliteStore;
use parley_store::records::Records;
use parley_store::rows::{ApiTokenRow, EscalationRow, NamedOfficerRow, PersonRow, SessionRow};
use parley_web::{AppState, Clock, Config};
use tower::ServiceExt as _;

/// The moment every test sees the demo from (a Monday morning).
pub(crate) const NOW: &str = "2026-11-23T10:00:00Z";
/// Every demo person's password.
pub(crate) const PASSWORD: &str = "parley-demo";
/// A closure day every demo partnership has (before any escalation, so that no deadline
/// moves), so that removing one can be tried.
pub(crate) const CLOSURE_DAY: &str = "2025-06-02";
/// How many demo escalations are seeded (round robin over the five partnerships).
pub(crate) const ESCALATIONS: usize = 150;

pub(crate) fn now() -> Timestamp {
    NOW.parse().unwrap()
}

/// The seeded database every test starts from: a SQLite file's bytes, kept in memory (a
/// static is never dropped, so a temporary directory would outlive the tests).
struct Template {
    snapshot: Vec<u8>,
    summary: DemoSummary,
}

fn template() -> &'static Template {
    static TEMPLATE: OnceLock<Template> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        // Tests run on their own runtimes; the template gets one of its own, on its own
        // thread, which ends (with the writer task) once the snapshot is written.
        std::thread::spawn(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap()
                .block_on(build_template())
        })
        .join()
        .unwrap()
    })
}

async fn build_template() -> Template {
    let started = std::time::Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("parley.db");
    let records = Records::open(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    let summary = parley_demo::seed(&records, now(), ESCALATIONS, 1, |_, _| {})
        .await
        .unwrap();
    let hash = parley_web::auth::hash_password(PASSWORD.to_owned())
        .await
        .unwrap();
    let state = AppState::new(Arc::new(records), Config::default(), Clock::Fixed(now()));
    for p in &summary.partnerships {
        for person in state.store.people(&p.id).await.unwrap() {
            parley_web::auth::store_account(&state, &person, hash.clone())
                .await
                .unwrap();
        }
    }
    for p in &summary.partnerships {
        let admin = summary
            .sign_ins
            .iter()
            .find(|s| s.partnership_id == p.id && s.role == "administrator")
            .unwrap();
        state
            .records
            .set_closure_days(
                now(),
                &parley_store::records::Actor::person(&admin.person_id),
                &p.id,
                vec![CLOSURE_DAY.to_owned()],
            )
            .await
            .unwrap();
    }
    // Issue 15: the notifications the demo's events called for, resolved to the people and
    // addresses they go to, as `parley serve` does as it starts (the inboxes and the
    // deliveries pages then have something to show).
    state.records.resolve_outbox(now()).await.unwrap();
    let snapshot = dir.path().join("snapshot.db");
    SqliteStore::open(&db.display().to_string())
        .await
        .unwrap()
        .backup_to(&snapshot.display().to_string())
        .await
        .unwrap();
    eprintln!(
        "harness: seeded {} escalations in {:.1}s",
        summary.escalations,
        started.elapsed().as_secs_f64()
    );
    Template {
        snapshot: std::fs::read(&snapshot).unwrap(),
        summary,
    }
}

/// A response, read whole.
#[derive(Debug)]
pub(crate) struct Resp {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: String,
    /// The body as sent (a PDF is not text).
    pub(crate) bytes: Vec<u8>,
}

impl Resp {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub(crate) fn location(&self) -> Option<&str> {
        self.header("location")
    }

    /// Every `Set-Cookie` header.
    pub(crate) fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect()
    }

    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}), status {}: {}",
                self.status,
                excerpt(&self.body)
            )
        })
    }

    /// The value of the first hidden `csrf` field on the page.
    pub(crate) fn csrf(&self) -> Option<String> {
        csrf_in(&self.body)
    }
}

/// The first 400 characters, for failure messages.
pub(crate) fn excerpt(s: &str) -> String {
    s.chars().take(400).collect()
}

/// The value of the first `<input ... name="csrf" value="...">` in a page.
pub(crate) fn csrf_in(html: &str) -> Option<String> {
    let at = html.find("name=\"csrf\"")?;
    let tag_start = html[..at].rfind('<')?;
    let tag_end = at + html[at..].find('>')?;
    let tag = &html[tag_start..tag_end];
    let v = tag.find("value=\"")? + "value=\"".len();
    let end = tag[v..].find('"')? + v;
    Some(tag[v..end].to_owned())
}

/// How a request identifies its sender.
#[derive(Clone, Debug, Default)]
pub(crate) enum Auth {
    #[default]
    Anonymous,
    /// A session cookie and the session's form token.
    Session { token: String, csrf: String },
    /// An API token.
    Bearer(String),
}

impl Auth {
    pub(crate) fn csrf(&self) -> &str {
        match self {
            Auth::Session { csrf, .. } => csrf,
            _ => "",
        }
    }
}

/// A signed-in (or anonymous) person and how their requests identify them.
#[derive(Clone, Debug)]
pub(crate) struct User {
    pub(crate) label: String,
    pub(crate) person: Option<PersonRow>,
    pub(crate) auth: Auth,
}

/// One demo partnership's people, officers and escalations, read from the store.
#[derive(Clone, Debug)]
pub(crate) struct World {
    pub(crate) people: Vec<PersonRow>,
    pub(crate) officers: Vec<NamedOfficerRow>,
    pub(crate) escalations: Vec<EscalationRow>,
    /// Who led which stage of each escalation, from the chain (`stage_record.rs`).
    pub(crate) led: std::collections::BTreeSet<crate::stage_record::Led>,
    /// The first stage the procedure tells the business team about (`None`: never).
    pub(crate) business_from: Option<i64>,
    /// Each escalation's referral steps, read from the chain: the referral ids in order, and
    /// whether the last is open (`stage_record::referral_steps`).
    pub(crate) referrals: std::collections::HashMap<String, (Vec<String>, bool)>,
    /// Each referral id of the procedure with the role that leads its step, from the file.
    pub(crate) referral_leads: std::collections::HashMap<String, String>,
    /// The partnership's procedure: its `may` lists say who takes which action.
    pub(crate) procedure: parley_core::procedure::Procedure,
    /// Who is appointed to which escalation, in which role: (escalation, person, role).
    pub(crate) appointed: Vec<(String, String, String)>,
    /// The proposal each open escalation awaits an answer to, read from the chain (issue 14,
    /// item 2; `agreement::pending_proposals`).
    pub(crate) proposals: HashMap<String, crate::agreement::Pending>,
}

/// What one person may do with one escalation, worked out by brute force from the issue's
/// rule (item 3), independently of `parley_web::access`: a person sees an escalation if they
/// raised it, are named on it (the receiving person), led a stage it went through as a named
/// officer of either agency while it was at that stage (issue 13 item 2: from the record,
/// never from stage numbers), or manage (at any distance up the line) someone who did; the
/// business team sees it from the first stage its procedure notifies it of, and never the
/// child's details. The raiser, the receiver and the officers of its current stage still in
/// post act (and their managers); an officer of a past stage, or one replaced, only reads.
/// Nobody sees another partnership's escalations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Seen {
    /// Involved directly (or a manager of someone who is): sees the child's details.
    pub(crate) child_details: bool,
    /// May act on it: involved directly and the escalation is open.
    pub(crate) can_act: bool,
    /// May write the stage record: involved directly, open or closed.
    pub(crate) can_record: bool,
}

impl World {
    /// Whether (and how) `person` sees `e`. `None`: the escalation must be a 404 to them.
    pub(crate) fn sees(&self, person: &PersonRow, e: &EscalationRow) -> Option<Seen> {
        if person.partnership_id != e.partnership_id || !person.active {
            return None;
        }
        // Everyone "involved": the raiser, the receiving person, and every officer who led a
        // stage of it; those of them who act: the parties and the current stage's officers
        // still in post.
        let mut involved: Vec<&str> = vec![e.raised_by.as_str()];
        involved.extend(e.receiving_person_id.as_deref());
        let mut acting = involved.clone();
        involved.extend(self.leads_of(e).map(|(_, _, _, p)| p.as_str()));
        acting.extend(self.acting_leads_of(e));
        let direct = involved.contains(&person.id.as_str())
            || involved.iter().any(|p| self.manages(&person.id, p));
        let acts = acting.contains(&person.id.as_str())
            || acting.iter().any(|p| self.manages(&person.id, p));
        let business = person
            .roles
            .iter()
            .any(|r| r == "partnership-business-team")
            && self.business_from.is_some_and(|s| e.current_stage >= s);
        // Issue 14, item 5: a referral step's lead (the role the file names) sees it from
        // that step on, never the child, and acts while it is open at their step.
        let (referral_lead, leads_now) = self.referral_lead(person, e);
        // Appointed to it (issue 14, item 4) in a role the person still holds: sees it, the
        // child only where the procedure's appointment allows.
        let appointed: Vec<&str> = self
            .appointed
            .iter()
            .filter(|(esc, p, role)| *esc == e.id && *p == person.id && person.roles.contains(role))
            .map(|(_, _, role)| role.as_str())
            .collect();
        let appointee_child = appointed.iter().any(|role| {
            self.procedure
                .appointments
                .iter()
                .any(|a| a.role.as_str() == *role && a.child_details)
        });
        if !direct && !business && !referral_lead && appointed.is_empty() {
            return None;
        }
        let acts = acts || !appointed.is_empty();
        Some(Seen {
            child_details: direct || appointee_child,
            can_act: (acts || leads_now) && e.status == "open",
            can_record: acts,
        })
    }

    /// Whether `person` leads a referral step `e` went to, and the one it is at now (open).
    pub(crate) fn referral_lead(&self, person: &PersonRow, e: &EscalationRow) -> (bool, bool) {
        let holds = |referral: &String| {
            self.referral_leads
                .get(referral)
                .is_some_and(|role| person.roles.contains(role))
        };
        let (steps, step_open) = self.referrals.get(&e.id).cloned().unwrap_or_default();
        let sees = steps.iter().any(holds);
        let now = e.status == "open" && step_open && steps.last().is_some_and(holds);
        (sees, now)
    }

    /// The officers who led a stage `e` went through.
    pub(crate) fn leads_of<'a>(
        &'a self,
        e: &'a EscalationRow,
    ) -> impl Iterator<Item = &'a crate::stage_record::Led> {
        self.led.iter().filter(move |(id, ..)| *id == e.id)
    }

    /// Those of them who led its current stage and still hold that post.
    pub(crate) fn acting_leads_of<'a>(
        &'a self,
        e: &'a EscalationRow,
    ) -> impl Iterator<Item = &'a str> {
        self.leads_of(e)
            .filter(move |(_, stage, agency, person)| {
                *stage == e.current_stage
                    && self.officers.iter().any(|o| {
                        o.agency_id == *agency && o.stage == *stage && o.person_id == *person
                    })
            })
            .map(|(_, _, _, person)| person.as_str())
    }

    /// The capacities in which `person` acts on `e` now, worked out by brute force (issue 14,
    /// item 3): (all of them, those on the raising side). The raiser; the receiving person;
    /// an officer of its current stage still in post; a line manager of any of those; the
    /// business team from the stage it is told; someone appointed in a role they hold.
    pub(crate) fn capacities(
        &self,
        person: &PersonRow,
        e: &EscalationRow,
    ) -> (
        Vec<parley_core::names::Actor>,
        Vec<parley_core::names::Actor>,
    ) {
        use parley_core::names::Actor;
        let mut all = Vec::new();
        let mut raising = Vec::new();
        if self.sees(person, e).is_none() {
            return (all, raising);
        }
        let me = person.id.as_str();
        let mut acting: Vec<&str> = vec![e.raised_by.as_str()];
        acting.extend(e.receiving_person_id.as_deref());
        let leads: Vec<&str> = self.acting_leads_of(e).collect();
        acting.extend(leads.iter().copied());
        let raising_lead = self.leads_of(e).any(|(_, stage, agency, p)| {
            p == me
                && *agency == e.raising_agency_id
                && *stage == e.current_stage
                && self
                    .officers
                    .iter()
                    .any(|o| o.agency_id == *agency && o.stage == *stage && o.person_id == *p)
        });
        let rows = [
            (e.raised_by == me, Actor::Raiser, true),
            (
                e.receiving_person_id.as_deref() == Some(me),
                Actor::Receiver,
                false,
            ),
            (leads.contains(&me), Actor::StageLeads, raising_lead),
            (
                acting.iter().any(|p| self.manages(me, p)),
                Actor::Managers,
                self.manages(me, &e.raised_by),
            ),
            (
                person
                    .roles
                    .iter()
                    .any(|r| r == "partnership-business-team")
                    && self.business_from.is_some_and(|s| e.current_stage >= s),
                Actor::PartnershipBusinessTeam,
                false,
            ),
        ];
        for (holds, actor, on_raising_side) in rows {
            if holds {
                all.push(actor);
                if on_raising_side {
                    raising.push(actor);
                }
            }
        }
        for (_, _, role) in self
            .appointed
            .iter()
            .filter(|(esc, p, role)| *esc == e.id && p == me && person.roles.contains(role))
        {
            let actor: Actor = role.parse().unwrap();
            all.push(actor);
            raising.push(actor);
        }
        (all, raising)
    }

    /// The capacities in which `person` stands on each side of `e` now, by brute force (issue
    /// 14, item 2): the raiser, or the receiving person; an officer of that side's agency for
    /// the current stage still in post; a line manager of any of them. Nobody else.
    pub(crate) fn sides(
        &self,
        person: &PersonRow,
        e: &EscalationRow,
    ) -> Vec<(parley_core::names::Side, parley_core::names::Actor)> {
        use parley_core::names::{Actor, Side};
        let mut out = Vec::new();
        if self.sees(person, e).is_none() {
            return out;
        }
        let me = person.id.as_str();
        for (side, agency, party, actor) in [
            (
                Side::Raising,
                &e.raising_agency_id,
                Some(e.raised_by.as_str()),
                Actor::Raiser,
            ),
            (
                Side::Receiving,
                &e.receiving_agency_id,
                e.receiving_person_id.as_deref(),
                Actor::Receiver,
            ),
        ] {
            let leads: Vec<&str> =
                self.leads_of(e)
                    .filter(|(_, stage, a, p)| {
                        a == agency
                            && *stage == e.current_stage
                            && self.officers.iter().any(|o| {
                                o.agency_id == *a && o.stage == *stage && o.person_id == *p
                            })
                    })
                    .map(|(_, _, _, p)| p.as_str())
                    .collect();
            if party == Some(me) {
                out.push((side, actor));
            }
            if leads.contains(&me) {
                out.push((side, Actor::StageLeads));
            }
            if party.into_iter().chain(leads).any(|p| self.manages(me, p)) {
                out.push((side, Actor::Managers));
            }
        }
        out
    }

    /// Whether `manager` is above `person` in the line (a walk up the line-manager links).
    pub(crate) fn manages(&self, manager: &str, person: &str) -> bool {
        let mut at = person;
        for _ in 0..self.people.len() {
            let Some(up) = self
                .people
                .iter()
                .find(|p| p.id == at)
                .and_then(|p| p.line_manager_id.as_deref())
            else {
                return false;
            };
            if up == manager {
                return true;
            }
            at = up;
        }
        false
    }

    pub(crate) fn person(&self, id: &str) -> &PersonRow {
        self.people
            .iter()
            .find(|p| p.id == id)
            .unwrap_or_else(|| panic!("no person {id}"))
    }

    pub(crate) fn escalation(&self, id: &str) -> &EscalationRow {
        self.escalations
            .iter()
            .find(|e| e.id == id)
            .unwrap_or_else(|| panic!("no escalation {id}"))
    }
}

/// One test's own copy of the seeded database, and the application over it.
#[allow(missing_debug_implementations)]
pub(crate) struct Harness {
    pub(crate) state: AppState,
    pub(crate) app: Router,
    pub(crate) summary: &'static DemoSummary,
    /// The database file.
    pub(crate) db: PathBuf,
    _dir: tempfile::TempDir,
}

impl Harness {
    /// A fresh copy of the seeded demo, served with the default configuration (secure
    /// cookies, lockout after 5 failures) and the clock pinned at [`NOW`].
    pub(crate) async fn new() -> Harness {
        Self::with_config(Config::default()).await
    }

    pub(crate) async fn with_config(config: Config) -> Harness {
        let t = template();
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("parley.db");
        std::fs::write(&db, &t.snapshot).unwrap();
        let records = Records::open(&format!("sqlite://{}", db.display()))
            .await
            .unwrap();
        let state = AppState::new(Arc::new(records), config, Clock::Fixed(now()));
        let app = parley_web::router(state.clone());
        Harness {
            state,
            app,
            summary: &t.summary,
            db,
            _dir: dir,
        }
    }

    /// The same records seen at another moment: the application's clock moved to `t`.
    pub(crate) fn at(&mut self, t: Timestamp) {
        self.state = AppState::new(
            self.state.records.clone(),
            self.state.config.clone(),
            Clock::Fixed(t),
        );
        self.app = parley_web::router(self.state.clone());
    }

    /// A session made directly in the store at `t` (with [`Harness::at`]).
    pub(crate) async fn session_at(&self, person: &PersonRow, t: Timestamp) -> Auth {
        let token = parley_web::auth::new_token().unwrap();
        let csrf = parley_web::auth::new_token().unwrap();
        let now = t.as_microsecond();
        self.state
            .store
            .create_session(&SessionRow {
                token_hash: parley_web::auth::token_hash(&token),
                person_id: person.id.clone(),
                csrf_token: csrf.clone(),
                created_at_us: now,
                last_seen_us: now,
                expires_at_us: now + 30 * 60 * 1_000_000,
                draft: None,
            })
            .await
            .unwrap();
        Auth::Session { token, csrf }
    }

    /// Runs SQL on this test's database behind the application's back (to break something
    /// on purpose).
    pub(crate) async fn sql(&self, statement: &str) {
        let store = SqliteStore::open(&self.db.display().to_string())
            .await
            .unwrap();
        sqlx::query(sqlx::AssertSqlSafe(statement.to_owned()))
            .execute(store.pool())
            .await
            .unwrap();
    }

    /// The demo person of a partnership with a given role.
    pub(crate) fn sign_in_of(&self, partnership_id: &str, role: &str) -> &'static SignIn {
        self.summary
            .sign_ins
            .iter()
            .find(|s| s.partnership_id == partnership_id && s.role == role)
            .unwrap_or_else(|| panic!("no demo sign-in for {role} in {partnership_id}"))
    }

    /// The demo partnership running a built-in procedure.
    pub(crate) fn partnership_of(&self, procedure_id: &str) -> String {
        self.summary
            .partnerships
            .iter()
            .find(|p| p.procedure_id == procedure_id)
            .unwrap_or_else(|| panic!("no demo partnership runs {procedure_id}"))
            .id
            .clone()
    }

    pub(crate) async fn world(&self, partnership_id: &str) -> World {
        let store = &self.state.store;
        let partnership = self.state.partnership(partnership_id).await.unwrap();
        let rules = self.state.rules(&partnership, None).await.unwrap();
        let business_from = rules
            .procedure
            .notifications
            .iter()
            .filter(|n| n.to == parley_core::names::Recipient::PartnershipBusinessTeam)
            .map(|n| i64::from(n.from_stage.get()))
            .min();
        let escalations = store.escalations(partnership_id).await.unwrap();
        let ids: Vec<String> = escalations.iter().map(|e| e.id.clone()).collect();
        let appointed = store
            .appointments_of_escalations(partnership_id, &ids)
            .await
            .unwrap()
            .into_iter()
            .map(|a| (a.escalation_id, a.person_id, a.role))
            .collect();
        World {
            people: store.people(partnership_id).await.unwrap(),
            officers: store.named_officers(partnership_id).await.unwrap(),
            escalations,
            led: crate::stage_record::stage_leads(store.as_ref(), partnership_id).await,
            business_from,
            referrals: crate::stage_record::referral_steps(store.as_ref(), partnership_id).await,
            referral_leads: rules
                .procedure
                .referrals
                .iter()
                .filter_map(|r| Some((r.id.clone(), r.lead?.as_str().to_owned())))
                .collect(),
            procedure: (*rules.procedure).clone(),
            appointed,
            proposals: crate::agreement::pending_proposals(store.as_ref(), partnership_id).await,
        }
    }

    pub(crate) async fn person(&self, id: &str) -> PersonRow {
        self.state
            .store
            .person(id)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no person {id}"))
    }

    // -----------------------------------------------------------------------------------------
    // Requests

    /// Sends a request through the whole router. Every response, whatever the route or the
    /// status, must carry the security headers (`security_header_problems`); a response
    /// without them fails the test there and then. Every `/api/` response must also be what the API document says it is
    /// (`conformance::problems`).
    pub(crate) async fn send(&self, request: Request<Body>) -> Resp {
        let what = format!("{} {}", request.method(), request.uri());
        let method = request.method().clone();
        let uri = request.uri().to_string();
        let response = self.app.clone().oneshot(request).await.unwrap();
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.unwrap().to_bytes();
        let resp = Resp {
            status: parts.status,
            headers: parts.headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            bytes: bytes.to_vec(),
        };
        let problems = security_header_problems(&resp);
        assert!(
            problems.is_empty(),
            "{what} answered {} without the security headers: {}",
            resp.status,
            problems.join("; ")
        );
        if let Some(drift) = crate::conformance::problems(&method, &uri, &resp) {
            panic!("API response not as documented: {drift}");
        }
        resp
    }

    /// A request builder with the sender's cookie or token.
    pub(crate) fn request(
        &self,
        method: Method,
        path: &str,
        auth: &Auth,
    ) -> axum::http::request::Builder {
        let mut b = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, "parley.test");
        match auth {
            Auth::Anonymous => {}
            Auth::Session { token, .. } => {
                b = b.header(
                    header::COOKIE,
                    format!("{}={token}", parley_web::auth::cookie_name(&self.state)),
                );
            }
            Auth::Bearer(token) => {
                b = b.header(header::AUTHORIZATION, format!("Bearer {token}"));
            }
        }
        b
    }

    pub(crate) async fn get(&self, path: &str, auth: &Auth) -> Resp {
        self.send(
            self.request(Method::GET, path, auth)
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }

    /// A form post as a browser on this site sends it: the session's CSRF token first, then
    /// `fields`.
    pub(crate) async fn post_form(&self, path: &str, auth: &Auth, fields: &[(&str, &str)]) -> Resp {
        let mut pairs: Vec<(&str, &str)> = vec![("csrf", auth.csrf())];
        pairs.extend_from_slice(fields);
        self.post_raw_form(path, auth, &pairs, &[]).await
    }

    /// A form post of exactly `fields`, with extra headers.
    pub(crate) async fn post_raw_form(
        &self,
        path: &str,
        auth: &Auth,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Resp {
        let body = serde_urlencoded::to_string(fields).unwrap();
        let mut b = self
            .request(Method::POST, path, auth)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        self.send(b.body(Body::from(body)).unwrap()).await
    }

    /// A JSON request (POST, PUT, PATCH, DELETE) to the API.
    pub(crate) async fn send_json(
        &self,
        method: Method,
        path: &str,
        auth: &Auth,
        body: &serde_json::Value,
    ) -> Resp {
        self.send_json_with(method, path, auth, body, &[]).await
    }

    /// A JSON request with extra headers.
    pub(crate) async fn send_json_with(
        &self,
        method: Method,
        path: &str,
        auth: &Auth,
        body: &serde_json::Value,
        headers: &[(&str, &str)],
    ) -> Resp {
        let mut b = self
            .request(method, path, auth)
            .header(header::CONTENT_TYPE, "application/json");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        self.send(b.body(Body::from(body.to_string())).unwrap())
            .await
    }

    // -----------------------------------------------------------------------------------------
    // Signing in

    /// Signs in through the sign-in form (POST /sign-in) and returns the session cookie's
    /// token and the form token read from the page signed in to.
    pub(crate) async fn sign_in(&self, email: &str, password: &str) -> Result<Auth, Resp> {
        let r = self
            .post_raw_form(
                "/sign-in",
                &Auth::Anonymous,
                &[
                    ("email", email),
                    ("password", password),
                    ("next", "/my-work"),
                ],
                &[],
            )
            .await;
        if r.status != StatusCode::SEE_OTHER {
            return Err(r);
        }
        let token = session_token(&r, parley_web::auth::cookie_name(&self.state))
            .unwrap_or_else(|| panic!("no session cookie in {:?}", r.set_cookies()));
        let page = self
            .get(
                "/my-work",
                &Auth::Session {
                    token: token.clone(),
                    csrf: String::new(),
                },
            )
            .await;
        let csrf = page
            .csrf()
            .unwrap_or_else(|| panic!("no csrf field on /my-work: {}", excerpt(&page.body)));
        Ok(Auth::Session { token, csrf })
    }

    /// Signs a person in through the form (the demo password).
    pub(crate) async fn sign_in_as(&self, label: &str, person: &PersonRow) -> User {
        let auth = self
            .sign_in(&person.email, PASSWORD)
            .await
            .unwrap_or_else(|r| panic!("{label} ({}) cannot sign in: {}", person.email, r.status));
        User {
            label: label.to_owned(),
            person: Some(person.clone()),
            auth,
        }
    }

    /// A session made directly in the store, as signing in makes it (no password hashing:
    /// for the tests that need hundreds of people).
    pub(crate) async fn session_for(&self, label: &str, person: &PersonRow) -> User {
        let token = parley_web::auth::new_token().unwrap();
        let csrf = parley_web::auth::new_token().unwrap();
        let now = now().as_microsecond();
        self.state
            .store
            .create_session(&SessionRow {
                token_hash: parley_web::auth::token_hash(&token),
                person_id: person.id.clone(),
                csrf_token: csrf.clone(),
                created_at_us: now,
                last_seen_us: now,
                expires_at_us: now + 30 * 60 * 1_000_000,
                draft: None,
            })
            .await
            .unwrap();
        User {
            label: label.to_owned(),
            person: Some(person.clone()),
            auth: Auth::Session { token, csrf },
        }
    }

    /// An API token for a person, made in the store as `parley user token` makes it.
    pub(crate) async fn bearer_for(&self, person: &PersonRow) -> Auth {
        self.bearer_at(person, now()).await
    }

    /// An API token made at `t` (with [`Harness::at`]), good for a day.
    pub(crate) async fn bearer_at(&self, person: &PersonRow, t: Timestamp) -> Auth {
        let token = parley_web::auth::new_token().unwrap();
        let now = t.as_microsecond();
        self.state
            .store
            .create_api_token(&ApiTokenRow {
                token_hash: parley_web::auth::token_hash(&token),
                person_id: person.id.clone(),
                label: "tests".to_owned(),
                created_at_us: now,
                expires_at_us: Some(now + 86_400_000_000),
                revoked_at_us: None,
                last_used_at_us: None,
            })
            .await
            .unwrap();
        Auth::Bearer(token)
    }
}

/// The value of the session cookie a response sets.
pub(crate) fn session_token(r: &Resp, cookie_name: &str) -> Option<String> {
    r.set_cookies().iter().find_map(|c| {
        let (pair, _) = c.split_once(';').unwrap_or((c.as_str(), ""));
        let (k, v) = pair.split_once('=')?;
        (k.trim() == cookie_name && !v.is_empty()).then(|| v.to_owned())
    })
}

/// A cookie's attributes, lower-cased, by name (`httponly` -> "").
pub(crate) fn cookie_attributes(set_cookie: &str) -> HashMap<String, String> {
    set_cookie
        .split(';')
        .skip(1)
        .map(|a| {
            let (k, v) = a.split_once('=').unwrap_or((a, ""));
            (k.trim().to_ascii_lowercase(), v.trim().to_owned())
        })
        .collect()
}

/// What is wrong with a response's security headers: a Content-Security-Policy whose scripts
/// come only from this site (`script-src 'self'`, no `'unsafe-inline'` or `'unsafe-eval'`)
/// and that forbids framing (`frame-ancestors 'none'`); `X-Content-Type-Options: nosniff`; a
/// Referrer-Policy that keeps paths on this site; and a request id.
pub(crate) fn security_header_problems(r: &Resp) -> Vec<String> {
    let mut problems = Vec::new();
    match r.header("content-security-policy") {
        None => problems.push("no Content-Security-Policy".to_owned()),
        Some(csp) => {
            let directives: HashMap<String, Vec<String>> = csp
                .split(';')
                .filter_map(|d| {
                    let mut words = d.split_whitespace();
                    let name = words.next()?.to_ascii_lowercase();
                    Some((name, words.map(str::to_owned).collect()))
                })
                .collect();
            let scripts = directives
                .get("script-src")
                .or_else(|| directives.get("default-src"));
            match scripts {
                None => problems.push(format!("CSP without script-src: {csp}")),
                Some(sources) => {
                    if !sources.iter().any(|s| s == "'self'") {
                        problems.push(format!("CSP script-src without 'self': {csp}"));
                    }
                    for bad in [
                        "'unsafe-inline'",
                        "'unsafe-eval'",
                        "*",
                        "data:",
                        "http:",
                        "https:",
                    ] {
                        if sources.iter().any(|s| s == bad) {
                            problems.push(format!("CSP script-src allows {bad}: {csp}"));
                        }
                    }
                }
            }
            if directives.get("frame-ancestors").map(Vec::as_slice) != Some(&["'none'".to_owned()])
            {
                problems.push(format!("CSP without frame-ancestors 'none': {csp}"));
            }
        }
    }
    if r.header("x-content-type-options") != Some("nosniff") {
        problems.push(format!(
            "X-Content-Type-Options is {:?}, not nosniff",
            r.header("x-content-type-options")
        ));
    }
    match r.header("referrer-policy") {
        Some(
            "no-referrer" | "same-origin" | "strict-origin" | "strict-origin-when-cross-origin",
        ) => {}
        other => problems.push(format!("Referrer-Policy is {other:?}")),
    }
    if r.header("x-request-id").is_none_or(str::is_empty) {
        problems.push("no X-Request-Id".to_owned());
    }
    problems
}
