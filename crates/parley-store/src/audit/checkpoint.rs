//! Signed checkpoints (the second half of `audit`): the deployment's Ed25519 key, the
//! checkpoint of every chain's head it signs, and the check of a log against a checkpoint.

use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::*;
// ---------------------------------------------------------------------------------------------
// Keys

/// The deployment's Ed25519 signing key. Its `Debug` shows the public key only.
pub struct AuditKey(SigningKey);

impl fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuditKey")
            .field("public_key", &self.public_key())
            .finish_non_exhaustive()
    }
}

/// An Ed25519 public key: 64 hexadecimal digits in text.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0.as_bytes()))
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({self})")
    }
}

impl FromStr for PublicKey {
    type Err = AuditError;

    fn from_str(s: &str) -> Result<Self, AuditError> {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(s.trim(), &mut bytes).map_err(|_| AuditError::PublicKey)?;
        VerifyingKey::from_bytes(&bytes)
            .map(PublicKey)
            .map_err(|_| AuditError::PublicKey)
    }
}

/// The first line of a key file; anything after `#` on a line is ignored when reading.
const KEY_FILE_HEADER: &str =
    "# Parley audit signing key (Ed25519 secret key). Keep it private; never share or print it.\n";

impl AuditKey {
    /// A new key from the operating system's random numbers.
    pub fn generate() -> Result<Self, AuditError> {
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret).map_err(|e| AuditError::Random(e.to_string()))?;
        let key = SigningKey::from_bytes(&secret);
        // The SigningKey wipes its own copy when dropped; wipe this one too.
        secret.fill(0);
        std::hint::black_box(&secret);
        Ok(AuditKey(key))
    }

    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    /// The key file in a data directory.
    pub fn default_path(data_dir: &Path) -> PathBuf {
        data_dir.join(KEY_FILE)
    }

    /// Reads a key file. Refuses a file other users can read, as ssh does: a key others
    /// could have copied proves nothing.
    pub fn load(path: &Path) -> Result<Self, AuditError> {
        let read_error = |source| AuditError::KeyRead {
            path: path.to_owned(),
            source,
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(path)
                .map_err(read_error)?
                .permissions()
                .mode();
            if mode & 0o077 != 0 {
                return Err(AuditError::KeyPermissions {
                    path: path.to_owned(),
                    mode: mode & 0o777,
                });
            }
        }
        let text = std::fs::read_to_string(path).map_err(read_error)?;
        let digits: String = text
            .lines()
            .map(|line| line.split('#').next().unwrap_or("").trim())
            .collect();
        let mut secret = [0u8; 32];
        let parsed = hex::decode_to_slice(&digits, &mut secret);
        let key = SigningKey::from_bytes(&secret);
        secret.fill(0);
        std::hint::black_box(&secret);
        match parsed {
            Ok(()) => Ok(AuditKey(key)),
            Err(_) => Err(AuditError::KeyFormat {
                path: path.to_owned(),
            }),
        }
    }

    /// Reads the key file, creating it (mode 0600) with a new key when there is none.
    /// Returns the key and whether it was created.
    pub fn load_or_create(path: &Path) -> Result<(Self, bool), AuditError> {
        if path.exists() {
            return Ok((Self::load(path)?, false));
        }
        let key = Self::generate()?;
        if key.write_new(path)? {
            tracing::info!(path = %path.display(), public_key = %key.public_key(), "created the audit signing key");
            Ok((key, true))
        } else {
            // Someone else created it meanwhile: theirs is the key.
            Ok((Self::load(path)?, false))
        }
    }

    /// Writes the key to a new file at `path`, never replacing one. Returns false when a file
    /// was already there. The key is written to a private temporary file and then linked into
    /// place, so that no reader ever sees half a key.
    pub fn write_new(&self, path: &Path) -> Result<bool, AuditError> {
        let write_error = |source| AuditError::KeyWrite {
            path: path.to_owned(),
            source,
        };
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&dir).map_err(write_error)?;
        let mut nonce = [0u8; 8];
        getrandom::fill(&mut nonce).map_err(|e| AuditError::Random(e.to_string()))?;
        let name = path
            .file_name()
            .map_or_else(|| KEY_FILE.into(), |n| n.to_string_lossy());
        let tmp = dir.join(format!(".{name}.{}.tmp", hex::encode(nonce)));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let written = options.open(&tmp).and_then(|mut file| {
            file.write_all(KEY_FILE_HEADER.as_bytes())?;
            file.write_all(hex::encode(self.0.as_bytes()).as_bytes())?;
            file.write_all(b"\n")?;
            file.sync_all()
        });
        let linked = written.and_then(|()| std::fs::hard_link(&tmp, path));
        // The temporary name goes whether or not the link was made.
        let _ = std::fs::remove_file(&tmp);
        match linked {
            Ok(()) => {
                // Make the new name itself durable.
                std::fs::File::open(&dir)
                    .and_then(|d| d.sync_all())
                    .map_err(write_error)?;
                Ok(true)
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(write_error(e)),
        }
    }

    fn sign(&self, message: &[u8]) -> Result<Signature, AuditError> {
        self.0
            .try_sign(message)
            .map_err(|e| AuditError::Sign(e.to_string()))
    }
}

// ---------------------------------------------------------------------------------------------
// Checkpoints

/// A chain's head as a checkpoint records it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainHead {
    pub partnership_id: String,
    pub seq: i64,
    #[serde(with = "hex_array")]
    pub hash: Hash,
}

impl fmt::Debug for ChainHead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ChainHead({}, {}, {})",
            self.partnership_id,
            self.seq,
            hex::encode(self.hash)
        )
    }
}

/// Every chain's head at a moment, signed. In JSON:
///
/// ```json
/// {
///   "format": "parley-checkpoint/v1",
///   "created_at": "2026-12-21T09:00:00Z",
///   "chains": [{"partnership_id": "…", "seq": 12, "hash": "64 hex digits"}],
///   "public_key": "64 hex digits",
///   "signature": "128 hex digits"
/// }
/// ```
///
/// The signature is Ed25519 over these bytes, where `str(x)` is the length of `x` in bytes as
/// a big-endian u64 followed by its bytes, and numbers are big-endian two's complement:
///
/// ```text
/// str("parley/checkpoint/v1")          domain separation
/// str(format)
/// created_at                           i128: nanoseconds since 1970-01-01T00:00:00Z
/// number of chains                     u64
/// for each chain, in the file's order:
///     str(partnership_id)  seq (i64)  str(hash: 32 bytes)
/// str(public_key: 32 bytes)
/// ```
///
/// The instant is signed as a number, not as text, so any RFC 3339 spelling of the same
/// instant carries the same signature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    pub format: String,
    #[serde(with = "rfc3339")]
    pub created_at: Timestamp,
    pub chains: Vec<ChainHead>,
    #[serde(with = "hex_array")]
    pub public_key: [u8; 32],
    #[serde(with = "hex_array")]
    pub signature: [u8; 64],
}

fn put(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
    out.extend_from_slice(bytes);
}

impl Checkpoint {
    /// Signs the heads (sorted by partnership) as they are at `at`.
    pub fn sign(
        mut heads: Vec<ChainHead>,
        at: Timestamp,
        key: &AuditKey,
    ) -> Result<Checkpoint, AuditError> {
        heads.sort_by(|a, b| a.partnership_id.cmp(&b.partnership_id));
        let mut checkpoint = Checkpoint {
            format: CHECKPOINT_FORMAT.to_owned(),
            created_at: at,
            chains: heads,
            public_key: key.public_key().to_bytes(),
            signature: [0; 64],
        };
        checkpoint.signature = key.sign(&checkpoint.signed_bytes())?.to_bytes();
        Ok(checkpoint)
    }

    /// The canonical bytes the signature covers (see the type's documentation).
    pub fn signed_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(128 + self.chains.len() * 96);
        put(&mut out, CHECKPOINT_DOMAIN);
        put(&mut out, self.format.as_bytes());
        out.extend_from_slice(&self.created_at.as_nanosecond().to_be_bytes());
        out.extend_from_slice(&(self.chains.len() as u64).to_be_bytes());
        for c in &self.chains {
            put(&mut out, c.partnership_id.as_bytes());
            out.extend_from_slice(&c.seq.to_be_bytes());
            put(&mut out, &c.hash);
        }
        put(&mut out, &self.public_key);
        out
    }

    /// Reads a checkpoint file's text. Only the form is checked here; the signature is
    /// checked by [`verify_against`].
    pub fn from_json(text: &str) -> Result<Checkpoint, AuditError> {
        let checkpoint: Checkpoint =
            serde_json::from_str(text).map_err(|e| AuditError::CheckpointFormat(e.to_string()))?;
        if checkpoint.format != CHECKPOINT_FORMAT {
            return Err(AuditError::CheckpointFormat(format!(
                "format \"{}\" is not \"{CHECKPOINT_FORMAT}\"",
                checkpoint.format
            )));
        }
        Ok(checkpoint)
    }

    /// Pretty JSON, ending with a newline.
    pub fn to_json(&self) -> String {
        // Serializing plain strings, numbers and arrays cannot fail.
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Whether the signature is valid and made by `trusted`; `None` when it is.
    pub fn check_signature(&self, trusted: &PublicKey) -> Option<Finding> {
        if self.public_key != trusted.to_bytes() {
            return Some(Finding::UntrustedSigner {
                signer: hex::encode(self.public_key),
                trusted: trusted.to_string(),
            });
        }
        let signature = Signature::from_bytes(&self.signature);
        // Strict verification refuses weak keys and malleable signatures.
        match trusted.0.verify_strict(&self.signed_bytes(), &signature) {
            Ok(()) => None,
            Err(_) => Some(Finding::BadSignature),
        }
    }
}

/// What comparing the database with a checkpoint found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Finding {
    /// The checkpoint was signed by a key other than the one trusted.
    UntrustedSigner { signer: String, trusted: String },
    /// The signature does not match the contents: the file was changed after signing.
    BadSignature,
    /// A checkpointed chain has no events at all now.
    ChainMissing { partnership_id: String, seq: i64 },
    /// The checkpointed event is not there: the newest events were removed, or an older
    /// backup was restored.
    EventMissing { partnership_id: String, seq: i64 },
    /// The checkpointed event is there with another hash: the chain was rewritten.
    HashDiffers { partnership_id: String, seq: i64 },
}

impl Finding {
    /// The partnership and event concerned, when the finding is about one.
    pub fn event(&self) -> Option<(&str, i64)> {
        match self {
            Finding::UntrustedSigner { .. } | Finding::BadSignature => None,
            Finding::ChainMissing {
                partnership_id,
                seq,
            }
            | Finding::EventMissing {
                partnership_id,
                seq,
            }
            | Finding::HashDiffers {
                partnership_id,
                seq,
            } => Some((partnership_id, *seq)),
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finding::UntrustedSigner { signer, trusted } => write!(
                f,
                "the checkpoint is signed by key {signer}, not by the trusted key {trusted}"
            ),
            Finding::BadSignature => write!(
                f,
                "the checkpoint's signature does not match its contents (the file was changed after it was signed)"
            ),
            Finding::ChainMissing {
                partnership_id,
                seq,
            } => write!(
                f,
                "partnership {partnership_id}: event {seq}: missing; the checkpoint has the chain up to it, but the \
                 database has no events for the partnership (they were removed, or an older backup was restored)"
            ),
            Finding::EventMissing {
                partnership_id,
                seq,
            } => write!(
                f,
                "partnership {partnership_id}: event {seq}: missing; the checkpoint has the chain up to it (the \
                 newest events were removed, or an older backup was restored)"
            ),
            Finding::HashDiffers {
                partnership_id,
                seq,
            } => write!(
                f,
                "partnership {partnership_id}: event {seq}: its hash is not the one in the checkpoint (the chain \
                 was rewritten since the checkpoint)"
            ),
        }
    }
}

/// Compares the database with a checkpoint: the signature must be valid and made by
/// `trusted`, and each checkpointed event must be there with its checkpointed hash. An empty
/// list means the database still holds everything the checkpoint vouches for. The events'
/// own links are [`verify`]'s business; run both.
pub async fn verify_against(
    store: &dyn Store,
    checkpoint: &Checkpoint,
    trusted: &PublicKey,
) -> Result<Vec<Finding>, StoreError> {
    // Nothing in a checkpoint with a bad signature can be relied on.
    if let Some(finding) = checkpoint.check_signature(trusted) {
        return Ok(vec![finding]);
    }
    let mut findings = Vec::new();
    for c in &checkpoint.chains {
        let found = store
            .chain(&c.partnership_id, c.seq.saturating_sub(1), 1)
            .await?;
        let finding = match found.first() {
            Some(link) if link.seq == c.seq => {
                (link.hash[..] != c.hash[..]).then(|| Finding::HashDiffers {
                    partnership_id: c.partnership_id.clone(),
                    seq: c.seq,
                })
            }
            _ if store
                .chain(&c.partnership_id, i64::MIN, 1)
                .await?
                .is_empty() =>
            {
                Some(Finding::ChainMissing {
                    partnership_id: c.partnership_id.clone(),
                    seq: c.seq,
                })
            }
            _ => Some(Finding::EventMissing {
                partnership_id: c.partnership_id.clone(),
                seq: c.seq,
            }),
        };
        findings.extend(finding);
    }
    Ok(findings)
}

/// Fixed-size byte arrays as hexadecimal text.
mod hex_array {
    use serde::{Deserialize as _, Deserializer, Serializer, de};

    pub(super) fn serialize<S: Serializer, const N: usize>(
        bytes: &[u8; N],
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(bytes))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>, const N: usize>(
        d: D,
    ) -> Result<[u8; N], D::Error> {
        let text = String::deserialize(d)?;
        let mut out = [0u8; N];
        hex::decode_to_slice(&text, &mut out)
            .map_err(|_| de::Error::custom(format!("expected {} hexadecimal digits", 2 * N)))?;
        Ok(out)
    }
}

/// Timestamps as RFC 3339 text.
mod rfc3339 {
    use jiff::Timestamp;
    use serde::{Deserialize as _, Deserializer, Serializer, de};

    pub(super) fn serialize<S: Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(t)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        let text = String::deserialize(d)?;
        text.parse()
            .map_err(|e| de::Error::custom(format!("created_at is not an RFC 3339 time: {e}")))
    }
}
