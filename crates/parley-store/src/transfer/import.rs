//! Importing an export into an empty database, the chain verified as it goes.

use crate::Store;
use crate::backend::Loader;
use crate::chain::{Link, Verifier};
use crate::records::Records;
use crate::rows::{DeliveryRow, OutboxRow};
use sha2::Digest;
use std::collections::BTreeMap;
use std::path::Path;

use super::*;

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
pub(crate) async fn load(
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
