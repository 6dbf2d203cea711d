//! The append-only, hash-chained audit log: each row's hash covers the previous row's
//! hash and its own fields, so editing or deleting a row breaks the chain.

use sha2::{Digest, Sha256};

use crate::store::AuditEntry;

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

pub fn row_hash(
    prev_hash: &str,
    seq: u64,
    at: &str,
    actor: &str,
    action: &str,
    detail: &str,
) -> String {
    let mut h = Sha256::new();
    for part in [prev_hash, &seq.to_string(), at, actor, action, detail] {
        // Length-prefixed, so moving bytes between fields changes the hash.
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuditProblem {
    #[error("audit row {seq}: expected sequence number {expected} — rows were deleted or inserted")]
    Gap { seq: u64, expected: u64 },
    #[error(
        "audit row {seq}: does not follow the previous row's hash — a row before it was changed or deleted"
    )]
    BrokenLink { seq: u64 },
    #[error("audit row {seq}: its content does not match its hash — the row was edited")]
    Edited { seq: u64 },
    #[error(
        "the log ends at row {found} but its recorded head is row {head} — the newest rows were deleted or replaced"
    )]
    HeadMismatch { found: u64, head: u64 },
}

/// Checks the whole chain against its recorded head; returns how many rows it holds.
pub fn verify(entries: &[AuditEntry], head: Option<(u64, &str)>) -> Result<u64, AuditProblem> {
    let mut prev = GENESIS.to_owned();
    for (i, e) in entries.iter().enumerate() {
        let expected = i as u64 + 1;
        if e.seq != expected {
            return Err(AuditProblem::Gap {
                seq: e.seq,
                expected,
            });
        }
        if e.prev_hash != prev {
            return Err(AuditProblem::BrokenLink { seq: e.seq });
        }
        if row_hash(&e.prev_hash, e.seq, &e.at, &e.actor, &e.action, &e.detail) != e.hash {
            return Err(AuditProblem::Edited { seq: e.seq });
        }
        prev = e.hash.clone();
    }
    let found = entries.last().map_or(0, |e| e.seq);
    match head {
        Some((seq, hash)) if seq != found || hash != prev => {
            Err(AuditProblem::HeadMismatch { found, head: seq })
        }
        None if found != 0 => Err(AuditProblem::HeadMismatch { found, head: 0 }),
        _ => Ok(entries.len() as u64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: u64) -> Vec<AuditEntry> {
        let mut prev = GENESIS.to_owned();
        (1..=n)
            .map(|seq| {
                let detail = format!("{{\"n\":{seq}}}");
                let hash = row_hash(
                    &prev,
                    seq,
                    "2026-11-27T00:00:00Z",
                    "thuky",
                    "op.item.add",
                    &detail,
                );
                let e = AuditEntry {
                    seq,
                    at: "2026-11-27T00:00:00Z".into(),
                    actor: "thuky".into(),
                    action: "op.item.add".into(),
                    detail,
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                };
                prev = hash;
                e
            })
            .collect()
    }

    #[test]
    fn an_intact_chain_verifies() {
        let c = chain(5);
        assert_eq!(verify(&c, Some((5, &c[4].hash))), Ok(5));
        assert_eq!(verify(&[], None), Ok(0));
    }

    #[test]
    fn edits_deletions_and_relinks_are_found() {
        let mut edited = chain(5);
        edited[2].actor = "admin".into();
        assert_eq!(verify(&edited, None), Err(AuditProblem::Edited { seq: 3 }));

        let mut deleted = chain(5);
        deleted.remove(1);
        assert_eq!(
            verify(&deleted, None),
            Err(AuditProblem::Gap {
                seq: 3,
                expected: 2
            })
        );

        // Deleting a row and renumbering the rest still breaks the hash links.
        let mut renumbered = chain(5);
        renumbered.remove(1);
        for (i, e) in renumbered.iter_mut().enumerate() {
            e.seq = i as u64 + 1;
        }
        assert!(verify(&renumbered, None).is_err());

        // Dropping the newest rows leaves a valid chain; only the head tells.
        let full = chain(5);
        let head = Some((5, full[4].hash.as_str()));
        assert_eq!(
            verify(&full[..4], head),
            Err(AuditProblem::HeadMismatch { found: 4, head: 5 })
        );
    }
}
