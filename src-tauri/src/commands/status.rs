//! The status bar: online/offline, last sync, outbox, downloads, rejected changes.

use tauri::State;
use tracing::instrument;

use crate::dto::StatusView;
use crate::error::AppResult;
use crate::state::{App, parse_id};

#[tauri::command]
#[instrument(skip_all, err)]
pub async fn status(state: State<'_, App>) -> AppResult<StatusView> {
    let c = state.client()?;
    Ok(state.sync.status(&c))
}

#[tauri::command]
#[instrument(skip_all, err)]
pub async fn sync_now(state: State<'_, App>) -> AppResult<()> {
    state.client()?;
    state.sync.local_change();
    Ok(())
}

/// The user has read why the server refused a change: forget it.
#[tauri::command]
#[instrument(skip(state), err)]
pub async fn dismiss_rejected(state: State<'_, App>, op_id: String) -> AppResult<()> {
    let c = state.client()?;
    c.cache.dismiss_rejected(parse_id(&op_id)?)?;
    Ok(())
}
