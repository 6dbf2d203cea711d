//! Opening a document for reading, its page text and search. Page images themselves
//! travel through the `page://` scheme (`crate::scheme`).

use phonghop_domain::{AnnotationBody, Classification};
use phonghop_pdf::{FlatMark, PdfEngine};
use tauri::State;
use tracing::instrument;

use crate::dto::{CharBox, OpenedDocument, PageSize, SearchHitView};
use crate::error::{AppError, AppResult, Code};
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
    version: Option<u32>,
) -> AppResult<Vec<SearchHitView>> {
    let c = state.client()?;
    let doc = state.find_document(&c, &id)?;
    let pdf = state.open_pdf_version(&c, &doc, version).await?;
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
pub async fn page_text(
    state: State<'_, App>,
    id: String,
    page: u32,
    version: Option<u32>,
) -> AppResult<Vec<CharBox>> {
    let c = state.client()?;
    let doc = state.find_document(&c, &id)?;
    let pdf = state.open_pdf_version(&c, &doc, version).await?;
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

fn rgb(hex: &str) -> [u8; 3] {
    let c = |i: usize| u8::from_str_radix(hex.get(i..i + 2).unwrap_or("00"), 16).unwrap_or(0);
    [c(1), c(3), c(5)]
}

/// A file name from a document title: no path separators or control characters, short.
pub fn export_name(title: &str, suffix: &str) -> String {
    let clean: String = title
        .chars()
        .map(|c| {
            if c.is_control() || "/\\:*?\"<>|".contains(c) {
                '_'
            } else {
                c
            }
        })
        .take(80)
        .collect();
    format!("{} - {suffix}.pdf", clean.trim().trim_start_matches('.'))
}

/// "Xuất PDF có chú thích": a copy of the current version with the annotations the user
/// sees drawn into it, saved in the Downloads folder; returns its path. Confidential
/// documents cannot be exported.
#[tauri::command]
#[instrument(skip(state), err)]
pub async fn document_export(state: State<'_, App>, id: String) -> AppResult<String> {
    let c = state.client()?;
    let doc = state.find_document(&c, &id)?;
    if doc.classification == Classification::Confidential {
        return Err(AppError::new(
            Code::Forbidden,
            "confidential documents cannot be exported",
        ));
    }
    let version = doc.current().map_or(0, |v| v.version);
    let path = c.document_path(&doc.id.to_string())?;
    let bytes = tokio::fs::read(&path).await?;
    let marks: Vec<FlatMark> = c
        .cache
        .annotations(doc.id)?
        .into_iter()
        .filter(|a| a.version == version)
        .map(|a| match a.body {
            AnnotationBody::Ink {
                color,
                width,
                strokes,
            } => FlatMark::Ink {
                page: a.page,
                color: rgb(&color),
                width,
                strokes: strokes.into_iter().map(|s| s.points).collect(),
            },
            AnnotationBody::Highlight { color, quads, .. } => FlatMark::Highlight {
                page: a.page,
                color: rgb(&color),
                quads,
            },
            AnnotationBody::Sticky { at, text, .. } => FlatMark::Note {
                page: a.page,
                at,
                text,
            },
            AnnotationBody::FreeText { rect, text, .. } => FlatMark::Note {
                page: a.page,
                at: [rect[0], rect[3]],
                text,
            },
        })
        .collect();
    let out = PdfEngine::global()?.flatten(bytes, marks).await?;
    let dir = dirs::download_dir()
        .or_else(dirs::document_dir)
        .unwrap_or_else(|| state.root.join("exports"));
    tokio::fs::create_dir_all(&dir).await?;
    let file = dir.join(export_name(&doc.title, "chú thích"));
    let tmp = file.with_extension("pdf.part");
    tokio::fs::write(&tmp, &out).await?;
    tokio::fs::rename(&tmp, &file).await?;
    Ok(file.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_names_are_safe() {
        assert_eq!(
            export_name("Báo cáo số 475/BC-STTTT: Kết quả", "chú thích"),
            "Báo cáo số 475_BC-STTTT_ Kết quả - chú thích.pdf"
        );
        assert_eq!(export_name("../x", "a"), "_x - a.pdf");
        assert_eq!(rgb("#c0392b"), [0xc0, 0x39, 0x2b]);
    }
}
