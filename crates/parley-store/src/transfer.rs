//! Export, import, backup and restore: moving a whole database between files and backends.
//!
//! The export format is JSON Lines: a header, then every chain's events in order (each followed
//! by the outbox rows written with it), then an end line with the counts, so that a file cut
//! short at a line boundary is still recognised as incomplete. Events are copied verbatim,
//! salts and hashes included (as hex), so the imported chains verify exactly as the originals
//! did; the projections are not exported because they are rebuilt from the events
//! (ARCHITECTURE.md: "Projections are derived"); the outbox is, because it is not derived.
//!
//! Delivery state beside the log (migration 8) is mutable like accounts and sessions, but the
//! deliveries are carried (each after its outbox row) and the mail preferences are not. A
//! delivery is the record of who was told what and when, and the outbox rows an export carries
//! are marked resolved: without their deliveries a restored database would neither show who was
//! told nor send what was still pending, and resolving them again would tell everyone twice. A
//! mail preference is a person's own setting beside their account, which is not carried either
//! (a restored database gets new accounts); without it a person gets one e-mail per
//! notification, which tells them no later than the summary they chose.
//!
//! Reading always goes through one [`Snapshot`] (a single read transaction), so an export of a
//! running database is consistent, and is the PostgreSQL backup. A SQLite backup is a copy of
//! the database file made by `VACUUM INTO`, also while Parley runs.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::backend::{Loader, PgStore, Snapshot, SqliteStore};
use crate::chain::{Break, Link, Verifier};
use crate::records::Records;
use crate::rows::{DeliveryRow, OutboxRow};
use crate::{Backend, Store, StoreError};

/// The name in an export's header.
pub const FORMAT: &str = "parley-export";
/// The version of the export format this build writes; it reads every version from 1. Version
/// 2 added the deliveries (`delivery` lines and their count in the end line).
pub const VERSION: u32 = 2;

/// How many events are read from the database, or inserted, at a time.
const PAGE: i64 = 1000;

/// What a SQLite database file starts with.
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// What can go wrong moving data in or out.
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("{path} is not a Parley export or backup: {reason}")]
    NotAnExport { path: String, reason: String },
    #[error(
        "{path} is a version {found} export; this Parley reads version {VERSION} (upgrade Parley to import it)"
    )]
    UnsupportedVersion { path: String, found: u32 },
    #[error(
        "{path} was exported from schema version {found}, newer than this Parley's {supported}; upgrade Parley to import it"
    )]
    NewerSchema {
        path: String,
        found: i64,
        supported: i64,
    },
    #[error("{path}, line {line}: {reason}")]
    Malformed {
        path: String,
        line: u64,
        reason: String,
    },
    #[error("{path} is incomplete: {reason} (was the export interrupted or the file cut short?)")]
    Truncated { path: String, reason: String },
    #[error("{path}: the chain of partnership {partnership} does not verify: {broken}")]
    Chain {
        path: String,
        partnership: String,
        broken: Break,
    },
    #[error("{path} changed while it was being imported; nothing was imported")]
    Changed { path: String },
    #[error("the database is not empty; {what} needs an empty database{hint}; nothing was changed")]
    NotEmpty {
        what: &'static str,
        hint: &'static str,
    },
    #[error("{0} already exists; choose a new file name for the backup")]
    Exists(String),
    #[error("{0}")]
    Refused(String),
    #[error(
        "{0}: the database is in use (its write-ahead log is still there); stop Parley before restoring"
    )]
    InUse(String),
    #[error(
        "the outbox has {orphans} row(s) that belong to no exported event; the export is incomplete and was not finished"
    )]
    OrphanOutbox { orphans: i64 },
    #[error(
        "{orphans} delivery row(s) belong to no exported outbox row; the export is incomplete and was not finished"
    )]
    OrphanDeliveries { orphans: i64 },
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> TransferError + '_ {
    move |source| TransferError::Io {
        path: path.display().to_string(),
        source,
    }
}

// ---------------------------------------------------------------------------------------------
// The format

/// One line of an export.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
enum Line {
    Header(Header),
    Event(EventLine),
    Outbox(OutboxLine),
    /// A delivery of the outbox row on the line before it (or before its other deliveries).
    Delivery(DeliveryLine),
    End(End),
}

/// The first line: what the file is and where it came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub format: String,
    pub version: u32,
    /// The schema version of the database exported.
    pub schema_version: i64,
    /// `sqlite` or `postgres`.
    pub backend: String,
    /// When the export was taken (RFC 3339, UTC).
    pub created_at: String,
}

/// An event with every column; byte columns as lowercase hex.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct EventLine {
    partnership_id: String,
    seq: i64,
    stream: String,
    stream_version: i64,
    at_us: i64,
    kind: String,
    actor: Option<String>,
    reason: Option<String>,
    payload: Option<String>,
    salt: Option<String>,
    content_hash: String,
    prev_hash: String,
    hash: String,
}

/// An outbox row with every column, delivery state included.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct OutboxLine {
    id: String,
    partnership_id: String,
    event_seq: i64,
    escalation_id: Option<String>,
    recipient: String,
    reason: String,
    stage: i64,
    child_details: bool,
    address: Option<String>,
    created_at_us: i64,
    sent_at_us: Option<i64>,
    attempts: i64,
    last_error: Option<String>,
}

/// A delivery with every column, its state included.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct DeliveryLine {
    id: String,
    outbox_id: String,
    partnership_id: String,
    escalation_id: Option<String>,
    person_id: Option<String>,
    address: Option<String>,
    created_at_us: i64,
    read_at_us: Option<i64>,
    mail: String,
    attempts: i64,
    last_error: Option<String>,
    next_attempt_us: i64,
    lease_until_us: Option<i64>,
    leased_by: Option<String>,
    sent_at_us: Option<i64>,
}

/// The last line: what came before it, so that a shortened file is caught.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct End {
    chains: u64,
    events: u64,
    outbox: u64,
    /// Absent from version 1 files, which had no deliveries.
    #[serde(default)]
    deliveries: u64,
}

impl From<DeliveryRow> for DeliveryLine {
    fn from(d: DeliveryRow) -> Self {
        DeliveryLine {
            id: d.id,
            outbox_id: d.outbox_id,
            partnership_id: d.partnership_id,
            escalation_id: d.escalation_id,
            person_id: d.person_id,
            address: d.address,
            created_at_us: d.created_at_us,
            read_at_us: d.read_at_us,
            mail: d.mail,
            attempts: d.attempts,
            last_error: d.last_error,
            next_attempt_us: d.next_attempt_us,
            lease_until_us: d.lease_until_us,
            leased_by: d.leased_by,
            sent_at_us: d.sent_at_us,
        }
    }
}

impl From<DeliveryLine> for DeliveryRow {
    fn from(d: DeliveryLine) -> Self {
        DeliveryRow {
            id: d.id,
            outbox_id: d.outbox_id,
            partnership_id: d.partnership_id,
            escalation_id: d.escalation_id,
            person_id: d.person_id,
            address: d.address,
            created_at_us: d.created_at_us,
            read_at_us: d.read_at_us,
            mail: d.mail,
            attempts: d.attempts,
            last_error: d.last_error,
            next_attempt_us: d.next_attempt_us,
            lease_until_us: d.lease_until_us,
            leased_by: d.leased_by,
            sent_at_us: d.sent_at_us,
        }
    }
}

impl From<&Link> for EventLine {
    fn from(l: &Link) -> Self {
        EventLine {
            partnership_id: l.partnership_id.clone(),
            seq: l.seq,
            stream: l.stream.clone(),
            stream_version: l.stream_version,
            at_us: l.at_us,
            kind: l.kind.clone(),
            actor: l.actor.clone(),
            reason: l.reason.clone(),
            payload: l.payload.clone(),
            salt: l.salt.as_deref().map(hex::encode),
            content_hash: hex::encode(&l.content_hash),
            prev_hash: hex::encode(&l.prev_hash),
            hash: hex::encode(&l.hash),
        }
    }
}

impl EventLine {
    fn into_link(self) -> Result<Link, String> {
        let bytes = |what: &str, text: &str| {
            hex::decode(text).map_err(|e| format!("{what} is not hex: {e}"))
        };
        Ok(Link {
            salt: self.salt.as_deref().map(|s| bytes("salt", s)).transpose()?,
            content_hash: bytes("content_hash", &self.content_hash)?,
            prev_hash: bytes("prev_hash", &self.prev_hash)?,
            hash: bytes("hash", &self.hash)?,
            partnership_id: self.partnership_id,
            seq: self.seq,
            stream: self.stream,
            stream_version: self.stream_version,
            at_us: self.at_us,
            kind: self.kind,
            actor: self.actor,
            reason: self.reason,
            payload: self.payload,
        })
    }
}

impl From<OutboxRow> for OutboxLine {
    fn from(o: OutboxRow) -> Self {
        OutboxLine {
            id: o.id,
            partnership_id: o.partnership_id,
            event_seq: o.event_seq,
            escalation_id: o.escalation_id,
            recipient: o.recipient,
            reason: o.reason,
            stage: o.stage,
            child_details: o.child_details,
            address: o.address,
            created_at_us: o.created_at_us,
            sent_at_us: o.sent_at_us,
            attempts: o.attempts,
            last_error: o.last_error,
        }
    }
}

impl From<OutboxLine> for OutboxRow {
    fn from(o: OutboxLine) -> Self {
        OutboxRow {
            id: o.id,
            partnership_id: o.partnership_id,
            event_seq: o.event_seq,
            escalation_id: o.escalation_id,
            recipient: o.recipient,
            reason: o.reason,
            stage: o.stage,
            child_details: o.child_details,
            address: o.address,
            created_at_us: o.created_at_us,
            sent_at_us: o.sent_at_us,
            attempts: o.attempts,
            last_error: o.last_error,
        }
    }
}

fn backend_name(b: Backend) -> &'static str {
    match b {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    }
}

// ---------------------------------------------------------------------------------------------
// Export

/// What an export wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExportSummary {
    pub chains: u64,
    pub events: u64,
    pub outbox: u64,
    pub deliveries: u64,
}

fn write_line<W: Write>(out: &mut W, line: &Line) -> Result<(), TransferError> {
    let stdout = Path::new("the output");
    serde_json::to_writer(&mut *out, line).map_err(|e| io_error(stdout)(io::Error::other(e)))?;
    out.write_all(b"\n").map_err(io_error(stdout))
}

/// Writes every event of every chain, and the outbox, to `out` as JSON Lines, from one
/// consistent snapshot, a page at a time (the database is never held in memory).
/// `created_at` goes in the header; everything after the header depends only on the data, so
/// two exports of the same data are identical whichever backend holds it.
pub async fn export<W: Write + Send>(
    store: &dyn Store,
    created_at: Timestamp,
    out: &mut W,
) -> Result<ExportSummary, TransferError> {
    let mut snapshot = store.snapshot().await?;
    let result = export_from(&mut *snapshot, store.backend(), created_at, out).await;
    snapshot.finish().await?;
    let summary = result?;
    out.flush().map_err(io_error(Path::new("the output")))?;
    Ok(summary)
}

async fn export_from<W: Write + Send>(
    snapshot: &mut dyn Snapshot,
    backend: Backend,
    created_at: Timestamp,
    out: &mut W,
) -> Result<ExportSummary, TransferError> {
    let header = Header {
        format: FORMAT.to_owned(),
        version: VERSION,
        schema_version: snapshot.schema_version().await?,
        backend: backend_name(backend).to_owned(),
        created_at: created_at.to_string(),
    };
    write_line(out, &Line::Header(header))?;
    let mut summary = ExportSummary::default();
    // Byte order, not the database's collation: the file must not depend on the backend.
    let mut ids = snapshot.chain_ids().await?;
    ids.sort();
    for id in &ids {
        summary.chains += 1;
        let mut after = 0;
        loop {
            let links = snapshot.chain(id, after, PAGE).await?;
            let Some(last) = links.last() else { break };
            let upto = last.seq;
            let mut outbox = snapshot.outbox_for_events(id, after, upto).await?;
            outbox.sort_by(|a, b| (a.event_seq, &a.id).cmp(&(b.event_seq, &b.id)));
            let mut outbox = outbox.into_iter().peekable();
            let mut deliveries: BTreeMap<String, Vec<DeliveryRow>> = BTreeMap::new();
            for d in snapshot.deliveries_for_events(id, after, upto).await? {
                deliveries.entry(d.outbox_id.clone()).or_default().push(d);
            }
            for link in &links {
                write_line(out, &Line::Event(EventLine::from(link)))?;
                summary.events += 1;
                while let Some(row) = outbox.next_if(|r| r.event_seq == link.seq) {
                    let mut delivered = deliveries.remove(&row.id).unwrap_or_default();
                    write_line(out, &Line::Outbox(row.into()))?;
                    summary.outbox += 1;
                    // Byte order of the ids, whatever the backend's collation.
                    delivered.sort_by(|a, b| a.id.cmp(&b.id));
                    for d in delivered {
                        write_line(out, &Line::Delivery(d.into()))?;
                        summary.deliveries += 1;
                    }
                }
            }
            // Rows of a sequence number with no event cannot be placed; they are counted as
            // orphans below.
            after = upto;
        }
    }
    let total = snapshot.outbox_count().await?;
    if total != summary.outbox as i64 {
        return Err(TransferError::OrphanOutbox {
            orphans: total - summary.outbox as i64,
        });
    }
    let total = snapshot.deliveries_count().await?;
    if total != summary.deliveries as i64 {
        return Err(TransferError::OrphanDeliveries {
            orphans: total - summary.deliveries as i64,
        });
    }
    write_line(
        out,
        &Line::End(End {
            chains: summary.chains,
            events: summary.events,
            outbox: summary.outbox,
            deliveries: summary.deliveries,
        }),
    )?;
    Ok(summary)
}

// ---------------------------------------------------------------------------------------------
// Reading an export

/// Reads an export line by line, keeping a digest of everything read.
struct Reader {
    path: String,
    input: BufReader<File>,
    line: u64,
    buf: String,
    digest: Sha256,
}

impl Reader {
    fn open(path: &Path) -> Result<Self, TransferError> {
        let file = File::open(path).map_err(io_error(path))?;
        Ok(Reader {
            path: path.display().to_string(),
            input: BufReader::with_capacity(1 << 16, file),
            line: 0,
            buf: String::new(),
            digest: Sha256::new(),
        })
    }

    fn malformed(&self, reason: impl Into<String>) -> TransferError {
        TransferError::Malformed {
            path: self.path.clone(),
            line: self.line,
            reason: reason.into(),
        }
    }

    /// The next line, or `None` at the end of the file.
    fn next(&mut self) -> Result<Option<Line>, TransferError> {
        self.buf.clear();
        let n = match self.input.read_line(&mut self.buf) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                self.line += 1;
                return Err(self.not_export_or_malformed("it is not UTF-8 text"));
            }
            Err(e) => return Err(io_error(Path::new(&self.path))(e)),
        };
        if n == 0 {
            return Ok(None);
        }
        self.line += 1;
        self.digest.update(self.buf.as_bytes());
        if !self.buf.ends_with('\n') {
            return Err(TransferError::Truncated {
                path: self.path.clone(),
                reason: format!("line {} stops part-way", self.line),
            });
        }
        match serde_json::from_str::<Line>(self.buf.trim_end_matches(['\n', '\r'])) {
            Ok(line) => Ok(Some(line)),
            Err(e) => Err(self.not_export_or_malformed(&format!("not a valid export line: {e}"))),
        }
    }

    fn not_export_or_malformed(&self, reason: &str) -> TransferError {
        if self.line <= 1 {
            TransferError::NotAnExport {
                path: self.path.clone(),
                reason: "its first line is not an export header".to_owned(),
            }
        } else {
            self.malformed(reason)
        }
    }

    /// Reads and checks the header.
    fn header(&mut self) -> Result<Header, TransferError> {
        match self.next()? {
            Some(Line::Header(h)) if h.format == FORMAT => {
                if !(1..=VERSION).contains(&h.version) {
                    return Err(TransferError::UnsupportedVersion {
                        path: self.path.clone(),
                        found: h.version,
                    });
                }
                Ok(h)
            }
            None => Err(TransferError::NotAnExport {
                path: self.path.clone(),
                reason: "it is empty".to_owned(),
            }),
            _ => Err(TransferError::NotAnExport {
                path: self.path.clone(),
                reason: "its first line is not an export header".to_owned(),
            }),
        }
    }
}

/// What the first pass over an export found: everything checked, nothing written.
#[derive(Debug)]
pub struct Checked {
    header: Header,
    /// Each chain's last event: (seq, hash).
    heads: BTreeMap<String, (i64, Vec<u8>)>,
    end: End,
    digest: [u8; 32],
}

impl Checked {
    /// The export's header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// How many events the export holds.
    pub fn events(&self) -> u64 {
        self.end.events
    }
}

/// Reads a whole export and checks it: header and version, every line, every chain with the
/// verifier, every outbox row against its event, and the end line's counts.
pub fn check_export(path: &Path) -> Result<Checked, TransferError> {
    let mut r = Reader::open(path)?;
    let header = r.header()?;
    let mut verifiers: BTreeMap<String, Verifier> = BTreeMap::new();
    let mut counts = End {
        chains: 0,
        events: 0,
        outbox: 0,
        deliveries: 0,
    };
    // The outbox row the deliveries that follow it belong to.
    let mut last_outbox: Option<String> = None;
    let end = loop {
        match r.next()? {
            None => {
                return Err(TransferError::Truncated {
                    path: r.path.clone(),
                    reason: format!("it ends after line {} without its end line", r.line),
                });
            }
            Some(Line::Header(_)) => return Err(r.malformed("a second header")),
            Some(Line::Event(e)) => {
                last_outbox = None;
                let link = e.into_link().map_err(|reason| r.malformed(reason))?;
                let verifier = verifiers.entry(link.partnership_id.clone()).or_default();
                verifier
                    .check(&link)
                    .map_err(|broken| TransferError::Chain {
                        path: r.path.clone(),
                        partnership: link.partnership_id.clone(),
                        broken,
                    })?;
                counts.events += 1;
            }
            Some(Line::Outbox(o)) => {
                let known = verifiers
                    .get(&o.partnership_id)
                    .is_some_and(|v| (1..=v.head().0).contains(&o.event_seq));
                if !known {
                    return Err(
                        r.malformed(format!("outbox row {} belongs to no event before it", o.id))
                    );
                }
                counts.outbox += 1;
                last_outbox = Some(o.id);
            }
            Some(Line::Delivery(d)) => {
                if last_outbox.as_deref() != Some(d.outbox_id.as_str()) {
                    return Err(r.malformed(format!(
                        "delivery {} does not follow its outbox row {}",
                        d.id, d.outbox_id
                    )));
                }
                counts.deliveries += 1;
            }
            Some(Line::End(end)) => break end,
        }
    };
    counts.chains = verifiers.len() as u64;
    if end != counts {
        return Err(TransferError::Truncated {
            path: r.path.clone(),
            reason: format!(
                "its end line counts {} chains, {} events, {} outbox rows and {} deliveries but the file holds {}, {}, {} and {}",
                end.chains,
                end.events,
                end.outbox,
                end.deliveries,
                counts.chains,
                counts.events,
                counts.outbox,
                counts.deliveries
            ),
        });
    }
    if r.next()?.is_some() {
        return Err(r.malformed("data after the end line"));
    }
    let heads = verifiers
        .into_iter()
        .map(|(id, v)| {
            let (seq, hash) = v.head();
            (id, (seq, hash.to_vec()))
        })
        .collect();
    Ok(Checked {
        header,
        heads,
        end,
        digest: r.digest.finalize().into(),
    })
}

// ---------------------------------------------------------------------------------------------
// Import

/// What an import loaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImportSummary {
    pub chains: u64,
    pub events: u64,
    pub outbox: u64,
    pub deliveries: u64,
    /// Events replayed into the projections.
    pub replayed: u64,
}

/// Reads an export into an empty database of either backend: checks the whole file first
/// (nothing is written if any of it is wrong), inserts the events and outbox rows verbatim in
/// one transaction, rebuilds the projections from the events, and verifies every chain as
/// stored.
pub async fn import(records: &Records, path: &Path) -> Result<ImportSummary, TransferError> {
    let checked = check_export(path)?;
    import_checked(records, path, &checked).await
}

/// [`import`] of a file already checked by [`check_export`] (which a caller may want to do
/// before it opens, and so creates, the database). The file is read again and must not have
/// changed since.
pub async fn import_checked(
    records: &Records,
    path: &Path,
    checked: &Checked,
) -> Result<ImportSummary, TransferError> {
    let store = records.store();
    let supported = store.schema_version().await?;
    if checked.header.schema_version > supported {
        return Err(TransferError::NewerSchema {
            path: path.display().to_string(),
            found: checked.header.schema_version,
            supported,
        });
    }
    let mut loader = store.loader().await?;
    if !loader.is_empty().await? {
        return Err(TransferError::NotEmpty {
            what: "an import",
            hint: "",
        });
    }
    load(&mut *loader, path, checked).await?;
    loader.commit().await?;
    let replayed = records.rebuild_projections().await?;
    let verified = verify_chains(store.as_ref()).await?;
    // What is stored must be what was checked: the same chains, ending at the same events.
    let stored: BTreeMap<String, (i64, Vec<u8>)> = store
        .chain_heads()
        .await?
        .into_iter()
        .map(|(id, seq, hash)| (id, (seq, hash)))
        .collect();
    if stored != checked.heads || verified.events != checked.end.events {
        return Err(TransferError::Refused(format!(
            "the database does not hold what {} holds after the import; check it with `parley audit verify`",
            path.display()
        )));
    }
    Ok(ImportSummary {
        chains: checked.end.chains,
        events: checked.end.events,
        outbox: checked.end.outbox,
        deliveries: checked.end.deliveries,
        replayed,
    })
}

/// The second pass: the file again, into the loader's transaction, in pages.
async fn load(
    loader: &mut dyn Loader,
    path: &Path,
    checked: &Checked,
) -> Result<(), TransferError> {
    let mut r = Reader::open(path)?;
    r.header()?;
    let mut links: Vec<Link> = Vec::with_capacity(PAGE as usize);
    let mut outbox: Vec<OutboxRow> = Vec::new();
    let mut deliveries: Vec<DeliveryRow> = Vec::new();
    while let Some(line) = r.next()? {
        match line {
            Line::Event(e) => {
                links.push(e.into_link().map_err(|reason| r.malformed(reason))?);
                if links.len() >= PAGE as usize {
                    loader.insert_links(&links).await?;
                    links.clear();
                }
            }
            Line::Outbox(o) => {
                outbox.push(o.into());
                if outbox.len() >= PAGE as usize {
                    loader.insert_outbox(&outbox).await?;
                    outbox.clear();
                }
            }
            Line::Delivery(d) => {
                deliveries.push(d.into());
                if deliveries.len() >= PAGE as usize {
                    loader.insert_deliveries(&deliveries).await?;
                    deliveries.clear();
                }
            }
            Line::Header(_) | Line::End(_) => {}
        }
    }
    loader.insert_links(&links).await?;
    loader.insert_outbox(&outbox).await?;
    loader.insert_deliveries(&deliveries).await?;
    let digest: [u8; 32] = r.digest.finalize().into();
    if digest != checked.digest {
        return Err(TransferError::Changed {
            path: path.display().to_string(),
        });
    }
    Ok(())
}

/// What a chain check found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verified {
    pub chains: u64,
    pub events: u64,
}

/// Walks every chain in the database with the verifier, and checks that each recorded chain
/// head is the chain's last event.
pub async fn verify_chains(store: &dyn Store) -> Result<Verified, TransferError> {
    let mut verified = Verified {
        chains: 0,
        events: 0,
    };
    let heads: BTreeMap<String, (i64, Vec<u8>)> = store
        .chain_heads()
        .await?
        .into_iter()
        .map(|(id, seq, hash)| (id, (seq, hash)))
        .collect();
    for id in store.chain_ids().await? {
        let mut verifier = Verifier::default();
        let mut after = 0;
        loop {
            let links = store.chain(&id, after, PAGE).await?;
            let Some(last) = links.last() else { break };
            after = last.seq;
            for link in &links {
                verifier
                    .check(link)
                    .map_err(|broken| TransferError::Chain {
                        path: "the database".to_owned(),
                        partnership: id.clone(),
                        broken,
                    })?;
                verified.events += 1;
            }
        }
        let (seq, hash) = verifier.head();
        if heads.get(&id) != Some(&(seq, hash.to_vec())) {
            return Err(TransferError::Refused(format!(
                "the recorded head of partnership {id}'s chain is not its last event (event {seq})"
            )));
        }
        verified.chains += 1;
    }
    Ok(verified)
}

// ---------------------------------------------------------------------------------------------
// Backup and restore

/// Where a database URL points.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Target {
    /// The file, and the URL's query (`?synchronous=...`) if any.
    Sqlite {
        path: PathBuf,
        query: String,
    },
    Postgres(String),
}

impl Target {
    fn parse(url: &str) -> Result<Target, TransferError> {
        if let Some(rest) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
            Ok(Target::Sqlite {
                path: PathBuf::from(path),
                query: query.to_owned(),
            })
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Target::Postgres(url.to_owned()))
        } else {
            let scheme = url.split(':').next().unwrap_or(url);
            Err(StoreError::UnsupportedUrl(scheme.to_owned()).into())
        }
    }
}

fn sqlite_arg(path: &Path, query: &str) -> String {
    if query.is_empty() {
        path.display().to_string()
    } else {
        format!("{}?{query}", path.display())
    }
}

/// A file beside `path` that is removed (with any SQLite side files) unless kept.
struct TempFile {
    path: PathBuf,
    keep: bool,
}

impl TempFile {
    fn beside(path: &Path, what: &str) -> TempFile {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "parley".to_owned());
        let tmp = format!(".{name}.{what}-{}.tmp", uuid::Uuid::new_v4().simple());
        TempFile {
            path: path.with_file_name(tmp),
            keep: false,
        }
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.keep {
            for side in ["", "-wal", "-shm", "-journal"] {
                let _ = fs::remove_file(side_file(&self.path, side));
            }
        }
    }
}

fn side_file(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Makes a finished file durable and puts it in place with one rename.
fn put_in_place(tmp: &mut TempFile, path: &Path) -> Result<(), TransferError> {
    File::open(&tmp.path)
        .and_then(|f| f.sync_all())
        .map_err(io_error(&tmp.path))?;
    fs::rename(&tmp.path, path).map_err(io_error(path))?;
    tmp.keep = true;
    // The rename itself must survive a power cut: sync the directory (where the OS allows).
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && let Ok(d) = File::open(dir)
    {
        let _ = d.sync_all();
    }
    Ok(())
}

/// What a backup wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackupSummary {
    /// A SQLite database file (restore it with `parley restore`).
    SqliteFile { bytes: u64 },
    /// An export (PostgreSQL), read in one REPEATABLE READ transaction.
    Export(ExportSummary),
}

/// Writes a consistent copy of the database at `url` to a new `file` while Parley runs:
/// SQLite with `VACUUM INTO`, PostgreSQL as an export from one snapshot. The file appears
/// only when complete.
pub async fn backup(
    url: &str,
    file: &Path,
    now: Timestamp,
) -> Result<BackupSummary, TransferError> {
    if file.exists() {
        return Err(TransferError::Exists(file.display().to_string()));
    }
    let mut tmp = TempFile::beside(file, "backup");
    match Target::parse(url)? {
        Target::Sqlite { path, query } => {
            if !path.exists() {
                return Err(TransferError::Refused(format!(
                    "there is no database at {}",
                    path.display()
                )));
            }
            let store = SqliteStore::open(&sqlite_arg(&path, &query)).await?;
            let into = tmp.path.to_str().ok_or_else(|| {
                TransferError::Refused(format!("{} is not a UTF-8 path", tmp.path.display()))
            })?;
            let done = store.backup_to(into).await;
            store.close().await;
            done?;
            let bytes = fs::metadata(&tmp.path).map_err(io_error(&tmp.path))?.len();
            put_in_place(&mut tmp, file)?;
            Ok(BackupSummary::SqliteFile { bytes })
        }
        Target::Postgres(url) => {
            let store = PgStore::open(&url).await?;
            let out = File::create(&tmp.path).map_err(io_error(&tmp.path))?;
            let mut out = BufWriter::new(out);
            let summary = export(&store, now, &mut out).await;
            store.close().await;
            let summary = summary?;
            drop(out);
            put_in_place(&mut tmp, file)?;
            Ok(BackupSummary::Export(summary))
        }
    }
}

/// What a restore did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RestoreSummary {
    /// A SQLite backup file now is the database.
    SqliteFile(Verified),
    /// An export was imported.
    Export(ImportSummary),
}

/// What a backup file is, from its first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    SqliteFile,
    Export,
}

fn sniff(file: &Path) -> Result<Kind, TransferError> {
    let mut start = [0u8; 16];
    let mut f = File::open(file).map_err(io_error(file))?;
    let mut n = 0;
    while n < start.len() {
        match f.read(&mut start[n..]).map_err(io_error(file))? {
            0 => break,
            k => n += k,
        }
    }
    if n == 16 && &start == SQLITE_MAGIC {
        Ok(Kind::SqliteFile)
    } else if n > 0 && start[0] == b'{' {
        Ok(Kind::Export)
    } else {
        Err(TransferError::NotAnExport {
            path: file.display().to_string(),
            reason: "it is neither a SQLite backup nor an export".to_owned(),
        })
    }
}

/// Whether the SQLite database at `path` holds data (a missing file holds none).
async fn sqlite_target_empty(path: &Path, query: &str) -> Result<bool, TransferError> {
    if !path.exists() {
        return Ok(true);
    }
    let store = SqliteStore::open(&sqlite_arg(path, query)).await?;
    let empty = store.is_empty().await;
    close_sqlite(&store, path).await?;
    Ok(empty?)
}

/// Folds the write-ahead log into the database file and closes every connection, so that the
/// file alone holds everything before it is moved.
async fn close_sqlite(store: &SqliteStore, path: &Path) -> Result<(), TransferError> {
    let checkpoint = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(store.pool())
        .await;
    store.close().await;
    checkpoint.map_err(StoreError::from)?;
    let wal = side_file(path, "-wal");
    if fs::metadata(&wal).is_ok_and(|m| m.len() > 0) {
        return Err(TransferError::InUse(path.display().to_string()));
    }
    Ok(())
}

/// Replaces the database at `url` with a backup: a SQLite backup file (into a SQLite
/// database) or an export (into an empty database of either backend). A SQLite database that
/// already holds data is replaced only with `force`; the new database is built and checked in
/// a file beside it and renamed over it, so a failed restore leaves it as it was. Stop Parley
/// first.
pub async fn restore(url: &str, file: &Path, force: bool) -> Result<RestoreSummary, TransferError> {
    let kind = sniff(file)?;
    match Target::parse(url)? {
        Target::Postgres(url) => {
            if kind == Kind::SqliteFile {
                return Err(TransferError::Refused(format!(
                    "{} is a SQLite backup and restores only into a SQLite database; to move its data to PostgreSQL, restore it into a SQLite file, then `parley export` from it and `parley import` into PostgreSQL",
                    file.display()
                )));
            }
            if force {
                return Err(TransferError::Refused(
                    "--force replaces SQLite database files only; a PostgreSQL restore needs an empty database".to_owned(),
                ));
            }
            let records = Records::open(&url).await?;
            Ok(RestoreSummary::Export(import(&records, file).await?))
        }
        Target::Sqlite { path, query } => {
            // Check the input before anything else, so that bad input is named as such.
            let checked = match kind {
                Kind::Export => Some(check_export(file)?),
                Kind::SqliteFile => None,
            };
            if !force && !sqlite_target_empty(&path, &query).await? {
                return Err(TransferError::NotEmpty {
                    what: "a restore",
                    hint: " (add --force to replace a SQLite database)",
                });
            }
            drop(checked);
            let mut tmp = TempFile::beside(&path, "restore");
            let summary = match kind {
                Kind::SqliteFile => {
                    fs::copy(file, &tmp.path).map_err(io_error(&tmp.path))?;
                    // Opening migrates a backup from an older Parley; the chains must verify.
                    let store = SqliteStore::open(&sqlite_arg(&tmp.path, &query)).await?;
                    let result = check_sqlite_copy(&store).await;
                    close_sqlite(&store, &tmp.path).await?;
                    RestoreSummary::SqliteFile(result?)
                }
                Kind::Export => {
                    let store = SqliteStore::open(&sqlite_arg(&tmp.path, &query)).await?;
                    let records = Records::new(Arc::new(store.clone()));
                    let result = import(&records, file).await;
                    drop(records);
                    close_sqlite(&store, &tmp.path).await?;
                    RestoreSummary::Export(result?)
                }
            };
            // The old database goes; its side files must go with it, or SQLite would replay
            // its log into the new file. A log that is there now belongs to someone using it.
            if fs::metadata(side_file(&path, "-wal")).is_ok_and(|m| m.len() > 0) {
                return Err(TransferError::InUse(path.display().to_string()));
            }
            for side in ["-wal", "-shm", "-journal"] {
                let side = side_file(&path, side);
                if side.exists() {
                    fs::remove_file(&side).map_err(io_error(&side))?;
                }
            }
            put_in_place(&mut tmp, &path)?;
            Ok(summary)
        }
    }
}

async fn check_sqlite_copy(store: &SqliteStore) -> Result<Verified, TransferError> {
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(store.pool())
        .await
        .map_err(StoreError::from)?;
    if integrity != "ok" {
        return Err(TransferError::Refused(format!(
            "the backup file is damaged (SQLite integrity check: {integrity})"
        )));
    }
    verify_chains(store).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_lines_round_trip_bytes_exactly() {
        let link = Link {
            partnership_id: "p".into(),
            seq: 7,
            stream: "escalation:x".into(),
            stream_version: 3,
            at_us: -5,
            kind: "raised".into(),
            actor: None,
            reason: Some("why \"quoted\"\n".into()),
            payload: None,
            salt: Some(vec![0, 255, 16]),
            content_hash: vec![1; 32],
            prev_hash: vec![0; 32],
            hash: vec![0xab; 32],
        };
        let line = Line::Event(EventLine::from(&link));
        let text = serde_json::to_string(&line).unwrap();
        assert!(
            text.starts_with(r#"{"type":"event","partnership_id":"p","seq":7,"#),
            "{text}"
        );
        assert!(text.contains(r#""salt":"00ff10""#), "{text}");
        let Line::Event(back) = serde_json::from_str(&text).unwrap() else {
            panic!("{text}")
        };
        let back = back.into_link().unwrap();
        assert_eq!(format!("{back:?}"), format!("{link:?}"));
    }

    #[test]
    fn urls_name_their_backend_and_file() {
        assert_eq!(
            Target::parse("sqlite:///tmp/x.db?synchronous=full").unwrap(),
            Target::Sqlite {
                path: PathBuf::from("/tmp/x.db"),
                query: "synchronous=full".into()
            }
        );
        assert!(matches!(
            Target::parse("postgresql://u@h/db").unwrap(),
            Target::Postgres(_)
        ));
        assert!(Target::parse("mysql://h/db").is_err());
    }
}
