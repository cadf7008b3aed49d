//! Reading an export back, line by line, each problem named with its line.

use crate::chain::Verifier;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

use super::*;

/// Reads an export line by line, keeping a digest of everything read.
pub(crate) struct Reader {
    pub(crate) path: String,
    pub(crate) input: BufReader<File>,
    pub(crate) line: u64,
    pub(crate) buf: String,
    pub(crate) digest: Sha256,
}

impl Reader {
    pub(crate) fn open(path: &Path) -> Result<Self, TransferError> {
        let file = File::open(path).map_err(io_error(path))?;
        Ok(Reader {
            path: path.display().to_string(),
            input: BufReader::with_capacity(1 << 16, file),
            line: 0,
            buf: String::new(),
            digest: Sha256::new(),
        })
    }

    pub(crate) fn malformed(&self, reason: impl Into<String>) -> TransferError {
        TransferError::Malformed {
            path: self.path.clone(),
            line: self.line,
            reason: reason.into(),
        }
    }

    /// The next line, or `None` at the end of the file.
    pub(crate) fn next(&mut self) -> Result<Option<Line>, TransferError> {
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

    pub(crate) fn not_export_or_malformed(&self, reason: &str) -> TransferError {
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
    pub(crate) fn header(&mut self) -> Result<Header, TransferError> {
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
    pub(crate) header: Header,
    /// Each chain's last event: (seq, hash).
    pub(crate) heads: BTreeMap<String, (i64, Vec<u8>)>,
    pub(crate) end: End,
    pub(crate) digest: [u8; 32],
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
