//! Annotations on the version of a document the viewer shows (the current one unless
//! it says otherwise), saved through the client engine: applied locally at once, queued
//! in the outbox, pushed by the sync loop.

use tauri::State;
use tracing::instrument;

use crate::dto::{AnnotationInput, AnnotationView};
use crate::error::AppResult;
use crate::state::{App, parse_id, version_of};

#[tauri::command]
#[instrument(skip(state), err)]
pub async fn annotations_list(
    state: State<'_, App>,
    document_id: String,
    version: Option<u32>,
) -> AppResult<Vec<AnnotationView>> {
    let c = state.client()?;
    let doc = state.find_document(&c, &document_id)?;
    let version = version_of(&doc, version)?.version;
    let me = c.me()?;
    let users = c.cache.users()?;
    Ok(c.cache
        .annotations(doc.id)?
        .iter()
        .filter(|a| a.version == version)
        .map(|a| {
            let author = users
                .iter()
                .find(|u| u.id == a.owner_id)
                .map_or_else(String::new, |u| u.full_name.clone());
            AnnotationView::new(a, a.owner_id == me.id, author)
        })
        .collect())
}

/// Creates or replaces an annotation; returns its id.
#[tauri::command]
#[instrument(skip(state, input), err)]
pub async fn annotation_save(state: State<'_, App>, input: AnnotationInput) -> AppResult<String> {
    state.change(|c| {
        let doc = state.find_document(c, &input.document_id)?;
        let version = version_of(&doc, input.version)?.version;
        let id = input.id.as_deref().map(parse_id).transpose()?;
        let id = c.annotation_put(
            id,
            doc.id,
            version,
            input.page,
            input.shared,
            input.body.into(),
        )?;
        Ok(id.to_string())
    })
}

#[tauri::command]
#[instrument(skip(state), err)]
pub async fn annotation_delete(state: State<'_, App>, id: String) -> AppResult<()> {
    state.change(|c| Ok(c.annotation_delete(parse_id(&id)?)?))
}
