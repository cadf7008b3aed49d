//! The state every handler shares: the records, the templates, the configuration and the
//! clock, plus small caches of what changes rarely (procedures and calendars).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use jiff::Timestamp;
use jiff::civil::Date;
use parley_core::calendar::{BankHolidays, Calendar};
use parley_core::deadline::calendar_for;
use parley_core::procedure::{self, Procedure};
use parley_store::Store;
use parley_store::records::Records;
use parley_store::rows::{AgencyRow, PartnershipRow};

use crate::access::Directory;
use crate::error::AppError;

/// Where "now" comes from. Tests and the demo pin it; a deployment uses the system clock.
#[derive(Clone, Copy, Debug)]
pub enum Clock {
    System,
    Fixed(Timestamp),
}

impl Clock {
    pub fn now(&self) -> Timestamp {
        match self {
            Clock::System => Timestamp::now(),
            Clock::Fixed(t) => *t,
        }
    }
}

/// How the server behaves.
#[derive(Clone, Debug)]
pub struct Config {
    /// Mark cookies `Secure` with the `__Host-` prefix. Browsers accept secure cookies from
    /// `http://localhost` and `http://127.0.0.1`, so this stays on unless told otherwise.
    pub secure_cookies: bool,
    /// A session ends after this long without a request.
    pub idle_timeout: jiff::SignedDuration,
    /// ... and after this long whatever happens.
    pub absolute_timeout: jiff::SignedDuration,
    /// Failed sign-ins before an account is locked.
    pub lockout_after: i64,
    /// How long the first lock lasts; each further failure doubles it (up to a day).
    pub lockout_for: jiff::SignedDuration,
    /// Origins trusted for cross-origin form posts (e.g. the public URL behind a proxy).
    pub trusted_origins: Vec<String>,
    /// Demo mode: the sign-ins and their password, shown on the sign-in page.
    pub demo: Option<Demo>,
    /// Proxies (addresses or networks) whose `X-Forwarded-For` names the client; without any,
    /// the client is the socket's peer and the header is ignored (`auth::throttle`).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Failed sign-ins a client address may make (in front of the per-account lockout).
    pub sign_in_limit: crate::throttle::AddressLimit,
}

/// What the sign-in page shows in demo mode.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Demo {
    pub password: String,
    /// (role label, email, partnership name).
    pub sign_ins: Vec<DemoSignIn>,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct DemoSignIn {
    pub role: String,
    pub email: String,
    pub partnership: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            secure_cookies: true,
            idle_timeout: jiff::SignedDuration::from_mins(30),
            absolute_timeout: jiff::SignedDuration::from_hours(12),
            lockout_after: 5,
            lockout_for: jiff::SignedDuration::from_mins(15),
            trusted_origins: Vec::new(),
            demo: None,
            trusted_proxies: Vec::new(),
            sign_in_limit: crate::throttle::AddressLimit::default(),
        }
    }
}

impl Config {
    /// Whether the site's public origin is https: one of the configured origins (the public
    /// URL given with `--trusted-origin`) is an `https://` origin. Then every response carries
    /// `Strict-Transport-Security`.
    pub fn served_over_https(&self) -> bool {
        self.trusted_origins
            .iter()
            .any(|o| o.trim().to_ascii_lowercase().starts_with("https://"))
    }
}

/// A procedure version with its calendar (the partnership's closure days included).
#[derive(Clone, Debug)]
pub struct Rules {
    pub procedure: Arc<Procedure>,
    pub calendar: Arc<Calendar>,
}

impl Rules {
    /// Today in the procedure's time zone.
    pub fn today(&self, now: Timestamp) -> Date {
        now.to_zoned(self.procedure.calendar.time_zone.clone())
            .date()
    }

    /// Working days from `today` to `due`: positive while time is left, 0 on the day, negative
    /// once overdue. `None` when either date is outside the calendar's data.
    pub fn working_days_left(&self, today: Date, due: Date) -> Option<i64> {
        if due >= today {
            self.calendar.working_days_between(today, due).ok()
        } else {
            // Past the due date is overdue even when no working day has passed since (a
            // Friday deadline seen on the Saturday).
            self.calendar
                .working_days_between(due, today)
                .ok()
                .map(|d| -d.max(1))
        }
    }
}

/// (partnership, procedure version, closure days).
type RulesKey = (String, i64, Vec<String>);

/// What every page of a partnership reads: the partnership, its people and named officers,
/// its agencies. Kept per partnership while its configuration version
/// (`Directory::config_version`) stands, so a page costs one single-row query for all of it.
#[derive(Debug)]
pub struct Configuration {
    pub version: i64,
    pub partnership: PartnershipRow,
    pub directory: Arc<Directory>,
    pub agencies: Arc<Vec<AgencyRow>>,
    /// Whether the partnership's procedure invites compliments (`[compliments]`, Dorset §2).
    pub compliments: bool,
}

#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

#[allow(missing_debug_implementations)]
pub struct Inner {
    pub records: Arc<Records>,
    pub store: Arc<dyn Store>,
    pub templates: Arc<minijinja::Environment<'static>>,
    pub config: Config,
    pub clock: Clock,
    /// Sign-in throttling by client address, and the count of password checks.
    pub sign_in: crate::throttle::SignInGuard,
    holidays: BankHolidays,
    rules: Mutex<HashMap<RulesKey, Rules>>,
    configurations: Mutex<HashMap<String, Arc<Configuration>>>,
    /// Pages as last rendered for a session.
    pub(crate) pages: PageCache,
}

/// Pages as last rendered, each under a key (the session's token hash, the path and what else
/// the page depends on) with a stamp (the versions and time it was rendered at). A page is
/// served again only while the stamp the request computes, from what it has just read of the
/// database, is the same: never stale, only spared the rendering. Bounded: emptied when full.
#[derive(Debug, Default)]
pub(crate) struct PageCache(Mutex<HashMap<String, (String, Arc<str>)>>);

/// How many rendered pages a process keeps (a page is some tens of kilobytes).
const PAGES_KEPT: usize = 512;

impl PageCache {
    pub(crate) fn get(&self, key: &str, stamp: &str) -> Option<String> {
        let pages = self.0.lock().ok()?;
        let (kept_stamp, html) = pages.get(key)?;
        (kept_stamp == stamp).then(|| html.to_string())
    }

    pub(crate) fn put(&self, key: String, stamp: String, html: &str) {
        if let Ok(mut pages) = self.0.lock() {
            if pages.len() >= PAGES_KEPT {
                pages.clear();
            }
            pages.insert(key, (stamp, Arc::from(html)));
        }
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("config", &self.0.config)
            .field("clock", &self.0.clock)
            .finish_non_exhaustive()
    }
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub fn new(records: Arc<Records>, config: Config, clock: Clock) -> Self {
        let store = records.store().clone();
        AppState(Arc::new(Inner {
            records,
            store,
            templates: Arc::new(crate::templates::environment()),
            sign_in: crate::throttle::SignInGuard::new(config.sign_in_limit),
            config,
            clock,
            holidays: BankHolidays::built_in(),
            rules: Mutex::new(HashMap::new()),
            configurations: Mutex::new(HashMap::new()),
            pages: PageCache::default(),
        }))
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    pub async fn partnership(&self, id: &str) -> Result<PartnershipRow, AppError> {
        self.store
            .partnerships()
            .await?
            .into_iter()
            .find(|p| p.id == id)
            .ok_or(AppError::NotFound)
    }

    /// The partnership's configuration as it stands now.
    pub async fn configuration(
        &self,
        partnership_id: &str,
    ) -> Result<Arc<Configuration>, AppError> {
        let version = self
            .store
            .config_version(partnership_id)
            .await?
            .ok_or(AppError::NotFound)?;
        self.configuration_at(partnership_id, version).await
    }

    /// The partnership's configuration at `version`, just read from the store.
    pub async fn configuration_at(
        &self,
        partnership_id: &str,
        version: i64,
    ) -> Result<Arc<Configuration>, AppError> {
        let kept = self.configurations.lock().ok().and_then(|c| {
            c.get(partnership_id)
                .filter(|c| c.version == version)
                .cloned()
        });
        if let Some(c) = kept {
            return Ok(c);
        }
        // Read after the version: if the configuration moves meanwhile, what is kept is newer
        // than its key says, and the next request reads it again.
        let partnership = self.partnership(partnership_id).await?;
        let compliments = self
            .rules(&partnership, None)
            .await?
            .procedure
            .compliments
            .is_some();
        let configuration = Arc::new(Configuration {
            version,
            compliments,
            partnership,
            directory: Arc::new(Directory::new(
                self.store.people(partnership_id).await?,
                self.store.named_officers(partnership_id).await?,
            )),
            agencies: Arc::new(self.store.agencies(partnership_id).await?),
        });
        if let Ok(mut c) = self.configurations.lock() {
            c.insert(partnership_id.to_owned(), configuration.clone());
        }
        Ok(configuration)
    }

    /// The rules of a partnership's procedure version (`None`: the current one).
    pub async fn rules(
        &self,
        partnership: &PartnershipRow,
        version: Option<i64>,
    ) -> Result<Rules, AppError> {
        let version = version.unwrap_or(partnership.procedure_version);
        let key = (
            partnership.id.clone(),
            version,
            partnership.closure_days.clone(),
        );
        if let Some(r) = self.rules.lock().ok().and_then(|c| c.get(&key).cloned()) {
            return Ok(r);
        }
        let row = self
            .store
            .procedures(&partnership.id)
            .await?
            .into_iter()
            .find(|p| p.version == version)
            .ok_or_else(|| {
                AppError::Internal(format!(
                    "procedure version {version} of {} is missing",
                    partnership.id
                ))
            })?;
        let mut parsed = procedure::parse(&row.source).map_err(|d| {
            AppError::Internal(format!(
                "procedure version {version} of partnership {} does not parse: {d}",
                partnership.id
            ))
        })?;
        parsed
            .calendar
            .closure_days
            .extend(closure_days(&partnership.id, &partnership.closure_days)?);
        let calendar = calendar_for(&parsed, &self.holidays)
            .map_err(|e| AppError::Internal(format!("calendar: {e}")))?;
        let rules = Rules {
            procedure: Arc::new(parsed),
            calendar: Arc::new(calendar),
        };
        if let Ok(mut c) = self.rules.lock() {
            c.insert(key, rules.clone());
        }
        Ok(rules)
    }
}

/// A partnership's stored closure days as dates. A day that does not read is an error naming
/// the partnership and the day's place in the list: left out, it would move every deadline
/// across it.
fn closure_days(partnership_id: &str, stored: &[String]) -> Result<Vec<Date>, AppError> {
    stored
        .iter()
        .enumerate()
        .map(|(i, day)| {
            day.parse::<Date>().map_err(|e| {
                AppError::Internal(format!(
                    "partnership {partnership_id}: closure day {i} ({day:?}) is not a date: {e}"
                ))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closure_day_that_does_not_read_is_an_error_with_its_place() {
        let days = |s: &[&str]| s.iter().map(|d| (*d).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            closure_days("p1", &days(&["2026-12-24", "2026-12-31"])).unwrap(),
            [
                "2026-12-24".parse::<Date>().unwrap(),
                "2026-12-31".parse().unwrap()
            ]
        );
        let Err(AppError::Internal(message)) =
            closure_days("p1", &days(&["2026-12-24", "24/12/2026"]))
        else {
            panic!("an unreadable closure day was accepted");
        };
        assert!(
            message.contains("partnership p1: closure day 1 (\"24/12/2026\")"),
            "{message}"
        );
    }

    fn rules(id: &str) -> Rules {
        let (_, source) = parley_core::seeds::SEEDS
            .iter()
            .find(|(i, _)| *i == id)
            .unwrap();
        let procedure = procedure::parse(source).unwrap();
        let calendar = calendar_for(&procedure, &BankHolidays::built_in()).unwrap();
        Rules {
            procedure: Arc::new(procedure),
            calendar: Arc::new(calendar),
        }
    }

    #[test]
    fn working_days_left_counts_both_ways() {
        let r = rules("solihull");
        let d = |s: &str| s.parse::<Date>().unwrap();
        // Friday 27 Nov 2026 -> Tuesday 1 Dec 2026: Monday and Tuesday are left.
        assert_eq!(
            r.working_days_left(d("2026-11-27"), d("2026-12-01")),
            Some(2)
        );
        assert_eq!(
            r.working_days_left(d("2026-12-01"), d("2026-12-01")),
            Some(0)
        );
        // Due Friday 27 Nov, seen on the Saturday and the Sunday: overdue by (at least) one.
        assert_eq!(
            r.working_days_left(d("2026-11-28"), d("2026-11-27")),
            Some(-1)
        );
        assert_eq!(
            r.working_days_left(d("2026-11-29"), d("2026-11-27")),
            Some(-1)
        );
        assert_eq!(
            r.working_days_left(d("2026-11-30"), d("2026-11-27")),
            Some(-1)
        );
        assert_eq!(
            r.working_days_left(d("2026-12-01"), d("2026-11-27")),
            Some(-2)
        );
        // Over Christmas: due Wednesday 23 Dec, seen on Tuesday 29 Dec (25, 28 Dec are bank
        // holidays): the 24th and the 29th have passed.
        assert_eq!(
            r.working_days_left(d("2026-12-29"), d("2026-12-23")),
            Some(-2)
        );
    }
}
