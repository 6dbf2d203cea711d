//! Opening a document for reading, its page text and search. Page images themselves
//! travel through the `page://` scheme (`crate::scheme`).

use phonghop_domain::Classification;
use tauri::State;
use tracing::instrument;

use crate::dto::{CharBox, OpenedDocument, PageSize, SearchHitView};
use crate::error::AppResult;
use crate::state::App;

#[tauri::command]
#[instrument(skip(state), err)]
pub async fn document_open(state: State<'_, App>, id: String) -> AppResult<OpenedDocument> {
    let c = state.client()?;
    let doc = state.find_document(&c, &id)?;
    let pdf = state.open_pdf(&c, &doc).await?;
    let v = doc.current().cloned();
    let watermark = (doc.classification == Classification::Confidential)
        .then(|| {
            c.me()
                .map(|u| format!("{} — {}", u.full_name, u.username))
                .ok()
        })
        .flatten();
    Ok(OpenedDocument {
        id: doc.id.to_string(),
        meeting_id: doc.meeting_id.to_string(),
        title: doc.title.clone(),
        version: v.as_ref().map_or(0, |v| v.version),
        sha256: pdf.blob().to_string(),
        classification: serde_json::to_value(doc.classification)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        pages: pdf
            .page_sizes()
            .iter()
            .map(|s| PageSize {
                width: s.width,
                height: s.height,
            })
            .collect(),
        signature: state.signature_of(&c, &doc),
        watermark,
    })
}

/// Every occurrence of `query` (Vietnamese case- and diacritic-insensitive).
#[tauri::command]
#[instrument(skip(state), err)]
pub async fn document_search(
    state: State<'_, App>,
    id: String,
    query: String,
) -> AppResult<Vec<SearchHitView>> {
    let c = state.client()?;
    let doc = state.find_document(&c, &id)?;
    let pdf = state.open_pdf(&c, &doc).await?;
    Ok(pdf
        .search(&query)
        .await?
        .into_iter()
        .map(|h| SearchHitView {
            page: h.page,
            text: h.text,
            quads: h.quads.into_iter().map(|q| q.0).collect(),
        })
        .collect())
}

/// A page's characters with their boxes, for selecting text to highlight.
#[tauri::command]
#[instrument(skip(state), err)]
pub async fn page_text(state: State<'_, App>, id: String, page: u32) -> AppResult<Vec<CharBox>> {
    let c = state.client()?;
    let doc = state.find_document(&c, &id)?;
    let pdf = state.open_pdf(&c, &doc).await?;
    let text = pdf.page_text(page).await?;
    Ok(text
        .chars
        .iter()
        .map(|ch| CharBox {
            c: ch.ch.to_string(),
            r: ch.rect.map(|r| [r.left, r.bottom, r.right, r.top]),
        })
        .collect())
}
