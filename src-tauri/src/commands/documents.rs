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
    // The file, the classification checked above and the marks all of one version: a
    // round landing a new version meanwhile does not slip it in unchecked.
    let v = doc
        .current()
        .ok_or_else(|| AppError::new(Code::NotDownloaded, "the document has no file yet"))?;
    let version = v.version;
    let path = c.blobs.path(&v.sha256);
    let bytes = tokio::fs::read(&path).await.map_err(|_| {
        AppError::new(
            Code::NotDownloaded,
            format!("document {} is not downloaded yet", doc.id),
        )
    })?;
    // The bytes exported are the bytes checked.
    if phonghop_client::blobs::sha256_of_bytes(&bytes) != v.sha256 {
        let _ = std::fs::remove_file(&path);
        state.sync.local_change();
        return Err(AppError::new(
            Code::Invalid,
            "the local file was damaged; it is removed and will be fetched again",
        ));
    }
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
    // A new name beside whatever is there (another "Tờ trình", an earlier export): never
    // over the user's files. The part file is this export's own.
    let tmp = dir.join(format!(".phonghop-export-{}.part", uuid::Uuid::new_v4()));
    if let Err(e) = tokio::fs::write(&tmp, &out).await {
        // A full disk, say: no half-written part left in the user's folder.
        let _ = tokio::fs::remove_file(&tmp).await;
        return Err(e.into());
    }
    let name = export_name(&doc.title, "chú thích");
    let mut n = 1;
    let file = loop {
        let candidate = dir.join(numbered(&name, n));
        // Creating it new reserves the name (no window between looking and writing);
        // the finished copy then replaces the empty reservation in one rename.
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&candidate)
        {
            Ok(_) => break candidate,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 1000 => n += 1,
            Err(e) => {
                let _ = tokio::fs::remove_file(&tmp).await;
                return Err(e.into());
            }
        }
    };
    if let Err(e) = tokio::fs::rename(&tmp, &file).await {
        let _ = tokio::fs::remove_file(&tmp).await;
        let _ = tokio::fs::remove_file(&file).await;
        return Err(e.into());
    }
    Ok(file.display().to_string())
}

/// "x.pdf", then "x (2).pdf", "x (3).pdf" …
fn numbered(name: &str, n: u32) -> String {
    match (n, name.strip_suffix(".pdf")) {
        (1, _) => name.to_owned(),
        (_, Some(stem)) => format!("{stem} ({n}).pdf"),
        (_, None) => format!("{name} ({n})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exports_take_a_free_name() {
        assert_eq!(
            numbered("Tờ trình - chú thích.pdf", 1),
            "Tờ trình - chú thích.pdf"
        );
        assert_eq!(
            numbered("Tờ trình - chú thích.pdf", 2),
            "Tờ trình - chú thích (2).pdf"
        );
    }

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
