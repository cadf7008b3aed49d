//! Backup and restore of a whole database file or server.

use crate::StoreError;
use crate::backend::Transfer;
use crate::backend::{PgStore, SqliteStore};
use crate::records::Records;
use jiff::Timestamp;
use std::fs::{self, File};
use std::io::{BufWriter, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::*;

/// Where a database URL points.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    /// The file, and the URL's query (`?synchronous=...`) if any.
    Sqlite {
        path: PathBuf,
        query: String,
    },
    Postgres(String),
}

impl Target {
    pub(crate) fn parse(url: &str) -> Result<Target, TransferError> {
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

pub(crate) fn sqlite_arg(path: &Path, query: &str) -> String {
    if query.is_empty() {
        path.display().to_string()
    } else {
        format!("{}?{query}", path.display())
    }
}

/// A file beside `path` that is removed (with any SQLite side files) unless kept.
pub(crate) struct TempFile {
    pub(crate) path: PathBuf,
    pub(crate) keep: bool,
}

impl TempFile {
    pub(crate) fn beside(path: &Path, what: &str) -> TempFile {
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

pub(crate) fn side_file(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Makes a finished file durable and puts it in place with one rename.
pub(crate) fn put_in_place(tmp: &mut TempFile, path: &Path) -> Result<(), TransferError> {
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
pub(crate) enum Kind {
    SqliteFile,
    Export,
}

pub(crate) fn sniff(file: &Path) -> Result<Kind, TransferError> {
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
pub(crate) async fn sqlite_target_empty(path: &Path, query: &str) -> Result<bool, TransferError> {
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
pub(crate) async fn close_sqlite(store: &SqliteStore, path: &Path) -> Result<(), TransferError> {
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

pub(crate) async fn check_sqlite_copy(store: &SqliteStore) -> Result<Verified, TransferError> {
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
