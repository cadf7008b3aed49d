//! `parley serve`, `parley demo` (seed and serve), `parley user ...` and
//! `parley partnership create`: the commands that start or prepare the web application.

use std::io::{BufRead as _, IsTerminal as _};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Subcommand};
use jiff::Timestamp;
use parley_core::seeds;
use parley_store::records::{Actor, PersonInput, Records};
use parley_web::app::{Demo, DemoSignIn};
use parley_web::{AppState, Clock, Config};

use crate::command::{Ctx, Failure, Outcome};

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// The address and port to listen on.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Send cookies without the `Secure` flag (only for plain HTTP on a host other than
    /// localhost; browsers accept secure cookies from http://localhost and 127.0.0.1).
    #[arg(long)]
    insecure_cookies: bool,
    /// An origin trusted for form posts, e.g. the public https URL behind a proxy (repeatable).
    #[arg(long, value_name = "ORIGIN")]
    trusted_origin: Vec<String>,
    /// Refuse to start unless the database still holds every event this checkpoint (made by
    /// `parley audit checkpoint`) vouches for. Each chain's newest events are checked at start
    /// either way.
    #[arg(long, value_name = "FILE")]
    checkpoint: Option<PathBuf>,
    /// The public key the checkpoint must be signed with (default: that of the deployment's
    /// audit-signing.key in the data directory).
    #[arg(long, value_name = "HEX", requires = "checkpoint")]
    checkpoint_public_key: Option<String>,
    /// A reverse proxy (address or network, e.g. 127.0.0.1 or 10.0.0.0/8) whose
    /// X-Forwarded-For names the client, for throttling sign-ins by client address: the
    /// right-most entry that is not a trusted proxy (repeatable). Without it the client is the
    /// connection's peer and X-Forwarded-For is ignored.
    #[arg(long, value_name = "ADDR[/PREFIX]", value_parser = parley_web::throttle::parse_proxy)]
    trusted_proxy: Vec<parley_web::throttle::IpNet>,
    /// How many calendar years of report facts, the current one included, to read into
    /// memory as the server starts, in the background, so that the first report of a
    /// period within them is as quick as the next (0: read on the first report instead).
    #[arg(long, value_name = "YEARS", default_value_t = parley_store::records::REPORT_MEMORY_YEARS)]
    report_memory_years: u16,
    #[command(flatten)]
    mail: crate::notify_cmd::MailArgs,
}

#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    #[command(subcommand)]
    command: Option<crate::demo_cmd::DemoCommand>,
    #[command(flatten)]
    serve: ServeArgs,
    /// How many demo escalations to create.
    #[arg(long, value_name = "N", default_value_t = 200)]
    escalations: usize,
}

/// The password every demo person signs in with. It is seed data, hashed and stored directly
/// (`auth::store_account`), so it bypasses `auth::check_password` on purpose: it is printed on
/// the sign-in page anyway, the e2e tests and the README sign in with it, and a demo is never
/// a deployment. Every password a person or administrator sets goes through the check.
const DEMO_PASSWORD: &str = "parley-demo";

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("PARLEY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colours only for a person at a terminal, never escape codes in a log file.
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

fn config(args: &ServeArgs) -> Config {
    Config {
        secure_cookies: !args.insecure_cookies,
        trusted_origins: args.trusted_origin.clone(),
        trusted_proxies: args.trusted_proxy.clone(),
        ..Config::default()
    }
}

/// Serves the web application, with the deadline monitor and the sender running beside it
/// (`notify_cmd::spawn_background`). E-mail goes by `mail`'s SMTP server, or into the `.eml`
/// folder `mail_files` (the demo), or nowhere.
async fn run_server(
    records: Records,
    config: Config,
    args: &ServeArgs,
    banner: String,
    mail_files: Option<&std::path::Path>,
) -> Outcome {
    let (listen, mail) = (args.listen, &args.mail);
    let records = Arc::new(records);
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| Failure(format!("cannot listen on {listen}: {e}")))?;
    let url = format!("http://{}/", listener.local_addr()?);
    let mailer = mail.mailer(mail_files, Some(url.trim_end_matches('/')))?;
    let mail_line = match &mailer {
        Some((m, _)) => match m.folder() {
            Some(dir) => format!("E-mails are written as .eml files to {}\n", dir.display()),
            None => format!("E-mail goes by {}\n", m.describe()),
        },
        None => {
            "No --smtp-url: notifications go to people's inboxes only, not by e-mail.\n".to_owned()
        }
    };
    crate::notify_cmd::spawn_background(records.clone(), mailer);
    spawn_report_memory(records.clone(), args.report_memory_years);
    let state = AppState::new(records, config, Clock::System);
    eprintln!("{banner}{mail_line}Parley is running at {url}\nPress Ctrl-C to stop.");
    parley_web::serve(state, listener, parley_web::shutdown_signal()).await?;
    Ok("Parley stopped.\n".to_owned())
}

/// Reads the last `years` calendar years of each partnership's report facts into memory, in
/// the background, one partnership after another, saying in the log what each holds and how
/// long it took. A failure is logged and leaves that partnership to be read on its first
/// report.
fn spawn_report_memory(records: Arc<Records>, years: u16) {
    if years == 0 {
        return;
    }
    tokio::spawn(async move {
        let partnerships = match records.store().partnerships().await {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!("report memory: cannot list the partnerships: {e}");
                return;
            }
        };
        for p in partnerships {
            let started = std::time::Instant::now();
            match records
                .warm_report_memory(&p.id, Timestamp::now(), years)
                .await
            {
                Ok(Some(w)) => tracing::info!(
                    partnership = %p.short_name.as_deref().unwrap_or(&p.name),
                    from = %w.from,
                    escalations = w.escalations,
                    ms = started.elapsed().as_millis(),
                    "report memory: read the facts reports need"
                ),
                Ok(None) => {}
                Err(e) => tracing::warn!(
                    partnership = %p.short_name.as_deref().unwrap_or(&p.name),
                    "report memory: not read ahead, the first report will read it: {e}"
                ),
            }
        }
    });
}

pub(crate) async fn serve(args: ServeArgs, ctx: Ctx) -> Outcome {
    init_logging();
    let checkpoint = start_checkpoint(&args, &ctx)?;
    ensure_parent(&ctx)?;
    let records = Records::open(&ctx.database).await?;
    crate::audit_cmd::check_before_serving(records.store().as_ref(), checkpoint.as_ref()).await?;
    let config = config(&args);
    run_server(records, config, &args, String::new(), None).await
}

fn start_checkpoint(
    args: &ServeArgs,
    ctx: &Ctx,
) -> Result<Option<crate::audit_cmd::StartCheckpoint>, Failure> {
    crate::audit_cmd::start_checkpoint(
        args.checkpoint.as_deref(),
        args.checkpoint_public_key.as_deref(),
        ctx,
    )
}

/// Makes the directory of a default SQLite file.
fn ensure_parent(ctx: &Ctx) -> Result<(), Failure> {
    if let Some(path) = ctx.database.strip_prefix("sqlite://")
        && let Some(parent) = PathBuf::from(path).parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent)
            .map_err(|e| Failure(format!("cannot create {}: {e}", parent.display())))?;
    }
    Ok(())
}

pub(crate) async fn demo(args: DemoArgs, mut ctx: Ctx, database_given: bool) -> Outcome {
    if let Some(command) = args.command {
        return crate::demo_cmd::run(command, ctx).await;
    }
    init_logging();
    let checkpoint = start_checkpoint(&args.serve, &ctx)?;
    if !database_given {
        // A fresh embedded database each time, beside (never in place of) the real one.
        let dir = ctx
            .data_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from("."))
            .join("demo");
        std::fs::create_dir_all(&dir)
            .map_err(|e| Failure(format!("cannot create {}: {e}", dir.display())))?;
        let file = dir.join("parley-demo.db");
        for suffix in ["", "-wal", "-shm"] {
            let mut p = file.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(p));
        }
        ctx.database = format!("sqlite://{}", file.display());
    }
    let records = Records::open(&ctx.database).await?;
    let now = Timestamp::now();
    eprintln!(
        "Seeding {} demo escalations into {} ...",
        args.escalations, ctx.database
    );
    let summary = parley_demo::seed(&records, now, args.escalations, 1, |done, total| {
        if std::io::stderr().is_terminal() {
            eprint!("\r  {done}/{total}");
        }
    })
    .await?;
    if std::io::stderr().is_terminal() {
        eprintln!();
    }
    // Every demo person can sign in, with the same password.
    let hash = parley_web::auth::hash_password(DEMO_PASSWORD.to_owned()).await?;
    let state = AppState::new(Arc::new(records), Config::default(), Clock::System);
    for p in &summary.partnerships {
        for person in state.store.people(&p.id).await? {
            parley_web::auth::store_account(&state, &person, hash.clone()).await?;
        }
    }
    // An example API token for each partnership's administrator, so that the token pages have
    // something to show. The token itself is never printed or kept, so it opens nothing.
    for s in summary
        .sign_ins
        .iter()
        .filter(|s| s.role == "administrator")
    {
        let at = now.as_microsecond();
        state
            .store
            .create_api_token(&parley_store::rows::ApiTokenRow {
                token_hash: parley_web::auth::token_hash(&parley_web::auth::new_token()?),
                person_id: s.person_id.clone(),
                label: "Example: monthly report script".to_owned(),
                created_at_us: at,
                expires_at_us: Some(at + 90 * 86_400_000_000),
                revoked_at_us: None,
                last_used_at_us: None,
            })
            .await?;
    }
    let sign_ins: Vec<DemoSignIn> = summary
        .sign_ins
        .iter()
        .map(|s| DemoSignIn {
            role: parley_web::access::role_label(&s.role).to_owned(),
            email: s.email.clone(),
            partnership: s.partnership.clone(),
        })
        .collect();
    let mut banner = format!(
        "Demo data: {} partnerships, {} escalations.\nSign in with any of these (password: {DEMO_PASSWORD}):\n",
        summary.partnerships.len(),
        summary.escalations
    );
    for s in sign_ins
        .iter()
        .filter(|s| s.partnership == sign_ins[0].partnership)
    {
        banner.push_str(&format!("  {:<27} {}\n", s.role, s.email));
    }
    banner.push_str("(the sign-in page lists the other partnerships' sign-ins)\n");
    let mut config = config(&args.serve);
    config.demo = Some(Demo {
        password: DEMO_PASSWORD.to_owned(),
        sign_ins,
    });
    let records = Records::open(&ctx.database).await?;
    drop(state);
    crate::audit_cmd::check_before_serving(records.store().as_ref(), checkpoint.as_ref()).await?;
    let folder = crate::notify_cmd::demo_mail_folder(
        &ctx.data_dir.clone().unwrap_or_else(|| PathBuf::from(".")),
    );
    std::fs::create_dir_all(&folder)
        .map_err(|e| Failure(format!("cannot create {}: {e}", folder.display())))?;
    run_server(records, config, &args.serve, banner, Some(&folder)).await
}

#[derive(Debug, Subcommand)]
pub(crate) enum UserCommand {
    /// Add a person who can sign in (the first administrator, say). The password is read
    /// from the first line of standard input.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// practitioner, manager, senior-manager, partnership-business-team, administrator
        /// (repeatable).
        #[arg(long = "role", value_name = "ROLE", required = true)]
        roles: Vec<String>,
        /// The partnership's id or name (see `parley partnership list`).
        #[arg(long)]
        partnership: String,
        #[arg(long, default_value = "")]
        job_title: String,
    },
    /// Set a person's password (read from the first line of standard input).
    Password {
        #[arg(long)]
        email: String,
    },
    /// Issue an API token for a person (printed once), list their tokens, or revoke one.
    Token {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "api")]
        label: String,
        /// Days until it expires.
        #[arg(long, default_value_t = 90)]
        days: i64,
        /// List the person's tokens (id, label, created, last used, expires, state) instead.
        #[arg(long, conflicts_with = "revoke")]
        list: bool,
        /// Revoke the person's token with this id (as `--list` shows it), or `all` of them.
        #[arg(long, value_name = "ID")]
        revoke: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum PartnershipCommand {
    /// Create a partnership running one of the built-in procedures (or a procedure file).
    Create {
        #[arg(long)]
        name: String,
        /// A short name for references, e.g. DOR.
        #[arg(long)]
        short_name: Option<String>,
        /// A built-in procedure id or a procedure file.
        #[arg(long)]
        procedure: String,
    },
    /// List the partnerships.
    List,
}

/// Reads a new password for the person with this name and address, refusing one that
/// `auth::check_password` finds weak (with its reason).
fn read_password(name: &str, email: &str) -> Result<String, Failure> {
    if std::io::stdin().is_terminal() {
        eprintln!("Password (input is shown; pipe it in to hide it):");
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    parley_web::auth::check_password(&password, name, email)
        .map_err(|weak| Failure(format!("the password was refused: {weak}")))?;
    Ok(password)
}

/// Sets a password; the operator may be told that another account has the address.
async fn set_password(
    state: &AppState,
    person: &parley_store::rows::PersonRow,
    password: &str,
) -> Result<(), Failure> {
    match parley_web::auth::set_password(state, person, password).await? {
        parley_web::auth::AccountSaved::Saved => Ok(()),
        parley_web::auth::AccountSaved::AddressTaken => Err(Failure(format!(
            "another person's account signs in with {}; change one of the addresses first",
            person.email
        ))),
    }
}

async fn web_state(ctx: &Ctx) -> Result<AppState, Failure> {
    ensure_parent(ctx)?;
    let records = Records::open(&ctx.database).await?;
    Ok(AppState::new(
        Arc::new(records),
        Config::default(),
        Clock::System,
    ))
}

async fn find_partnership(state: &AppState, key: &str) -> Result<String, Failure> {
    let all = state.store.partnerships().await?;
    all.iter()
        .find(|p| p.id == key || p.name == key || p.short_name.as_deref() == Some(key))
        .map(|p| p.id.clone())
        .ok_or_else(|| {
            Failure(format!(
                "no partnership \"{key}\"; create one with `parley partnership create` (known: {})",
                if all.is_empty() {
                    "none".to_owned()
                } else {
                    all.iter()
                        .map(|p| p.name.clone())
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ))
        })
}

async fn person_by_email(
    state: &AppState,
    email: &str,
) -> Result<parley_store::rows::PersonRow, Failure> {
    for p in state.store.partnerships().await? {
        if let Some(person) = state
            .store
            .people(&p.id)
            .await?
            .into_iter()
            .find(|x| x.email.eq_ignore_ascii_case(email))
        {
            return Ok(person);
        }
    }
    Err(Failure(format!("no person with the email address {email}")))
}

pub(crate) async fn user(command: UserCommand, ctx: Ctx) -> Outcome {
    let state = web_state(&ctx).await?;
    let now = Timestamp::now();
    match command {
        UserCommand::Add {
            email,
            name,
            roles,
            partnership,
            job_title,
        } => {
            for r in &roles {
                if !parley_web::access::ROLES.contains(&r.as_str()) {
                    return Err(Failure(format!(
                        "unknown role \"{r}\"; use one of: {}",
                        parley_web::access::ROLES.join(", ")
                    )));
                }
            }
            if !email.contains('@') {
                return Err(Failure(format!("\"{email}\" is not an email address")));
            }
            if person_by_email(&state, &email).await.is_ok() {
                return Err(Failure(format!(
                    "{email} already exists; use `parley user password`"
                )));
            }
            let partnership_id = find_partnership(&state, &partnership).await?;
            let password = read_password(&name, &email)?;
            let id = state
                .records
                .save_person(
                    now,
                    &Actor::SYSTEM,
                    &partnership_id,
                    None,
                    PersonInput {
                        agency_id: None,
                        name,
                        email: email.clone(),
                        job_title,
                        roles,
                        line_manager_id: None,
                        active: true,
                    },
                )
                .await?;
            let person = state
                .store
                .person(&id)
                .await?
                .ok_or_else(|| Failure("the person was not saved".to_owned()))?;
            set_password(&state, &person, &password).await?;
            Ok(format!("Added {email} ({id}).\n"))
        }
        UserCommand::Password { email } => {
            let person = person_by_email(&state, &email).await?;
            let password = read_password(&person.name, &person.email)?;
            set_password(&state, &person, &password).await?;
            Ok(format!(
                "Password set for {email}; their sessions have ended and their API tokens are revoked.\n"
            ))
        }
        UserCommand::Token {
            email, list: true, ..
        } => {
            let person = person_by_email(&state, &email).await?;
            let tokens = state.store.person_api_tokens(&person.id).await?;
            Ok(crate::token_cmd::list(&tokens, now))
        }
        UserCommand::Token {
            email,
            revoke: Some(id),
            ..
        } => {
            let person = person_by_email(&state, &email).await?;
            crate::token_cmd::revoke(&state, &person, &id, now).await
        }
        UserCommand::Token {
            email, label, days, ..
        } => {
            let person = person_by_email(&state, &email).await?;
            if !person.active {
                return Err(Failure(format!(
                    "{email} is not active: an inactive person gets no API token"
                )));
            }
            let token = parley_web::auth::new_token()?;
            let at = now.as_microsecond();
            state
                .store
                .create_api_token(&parley_store::rows::ApiTokenRow {
                    token_hash: parley_web::auth::token_hash(&token),
                    person_id: person.id,
                    label,
                    created_at_us: at,
                    expires_at_us: Some(at + days.max(1) * 86_400_000_000),
                    revoked_at_us: None,
                    last_used_at_us: None,
                })
                .await?;
            Ok(format!("{token}\n"))
        }
    }
}

pub(crate) async fn partnership(command: PartnershipCommand, ctx: Ctx) -> Outcome {
    let state = web_state(&ctx).await?;
    match command {
        PartnershipCommand::Create {
            name,
            short_name,
            procedure,
        } => {
            let source = match seeds::SEEDS.iter().find(|(id, _)| *id == procedure) {
                Some((_, s)) => (*s).to_owned(),
                None => std::fs::read_to_string(&procedure).map_err(|e| {
                    Failure(format!(
                        "\"{procedure}\" is neither a built-in procedure nor a readable file: {e}"
                    ))
                })?,
            };
            if let Err(e) = parley_core::procedure::parse(&source) {
                return Err(Failure(e.render(&procedure, &source)));
            }
            let id = state
                .records
                .create_partnership(
                    Timestamp::now(),
                    &Actor::SYSTEM,
                    &name,
                    short_name.as_deref(),
                    &source,
                )
                .await?;
            Ok(format!("Created {name} ({id}).\n"))
        }
        PartnershipCommand::List => {
            let mut out = String::new();
            for p in state.store.partnerships().await? {
                out.push_str(&format!(
                    "{}  {}  ({} v{})\n",
                    p.id, p.name, p.procedure_id, p.procedure_version
                ));
            }
            Ok(out)
        }
    }
}
