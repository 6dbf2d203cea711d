//! Personal notes per meeting.

use tauri::State;
use tracing::instrument;

use crate::dto::NoteView;
use crate::error::AppResult;
use crate::state::{App, parse_id};

#[tauri::command]
#[instrument(skip(state), err)]
pub async fn notes_list(state: State<'_, App>, meeting_id: String) -> AppResult<Vec<NoteView>> {
    let c = state.client()?;
    let m = parse_id(&meeting_id)?;
    Ok(c.cache.notes(Some(m))?.iter().map(NoteView::from).collect())
}

/// Adds a note (`id` absent) or edits one; returns its id.
#[tauri::command]
#[instrument(skip(state, text), err)]
pub async fn note_save(
    state: State<'_, App>,
    meeting_id: String,
    id: Option<String>,
    text: String,
) -> AppResult<String> {
    state.change(|c| {
        let id = match id {
            Some(id) => {
                let id = parse_id(&id)?;
                c.note_edit(id, &text)?;
                id
            }
            None => c.note_add(Some(parse_id(&meeting_id)?), &text)?,
        };
        Ok(id.to_string())
    })
}

#[tauri::command]
#[instrument(skip(state), err)]
pub async fn note_delete(state: State<'_, App>, id: String) -> AppResult<()> {
    state.change(|c| {
        c.note_rm(&parse_id(&id)?.to_string())?;
        Ok(())
    })
}
