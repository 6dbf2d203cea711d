//! Personal notes (ghi chú cá nhân): private to their author, synced across their devices.

use serde::{Deserialize, Serialize};

use crate::{Id, Timestamp};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub id: Id,
    pub owner_id: Id,
    pub meeting_id: Option<Id>,
    pub text: String,
    /// When the author last changed it, on the device where they did; the latest edit wins.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: Timestamp,
}

pub const MAX_NOTE_BYTES: usize = 64 * 1024;

pub fn validate_note_text(text: &str) -> Result<(), String> {
    if text.trim().is_empty() {
        return Err("a note must not be empty".into());
    }
    if text.len() > MAX_NOTE_BYTES {
        return Err(format!("a note may be at most {MAX_NOTE_BYTES} bytes"));
    }
    Ok(())
}
