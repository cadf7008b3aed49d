//! Exporting: every chain, row and delivery written as the format says, with its digest.

use crate::backend::Snapshot;
use crate::rows::DeliveryRow;
use crate::{Backend, Store};
use jiff::Timestamp;
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;

use super::*;

/// What an export wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExportSummary {
    pub chains: u64,
    pub events: u64,
    pub outbox: u64,
    pub deliveries: u64,
}

pub(crate) fn write_line<W: Write>(out: &mut W, line: &Line) -> Result<(), TransferError> {
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

pub(crate) async fn export_from<W: Write + Send>(
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
