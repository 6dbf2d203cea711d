//! What crosses the bridge to the UI. Everything here derives `TS`; the bindings in
//! `ui/src/lib/bindings.ts` are generated from it (`bindings::generate`) and a test
//! fails when the committed file is stale. Ids and times travel as strings (UUIDs,
//! RFC 3339 in UTC): the UI formats dates for Asia/Ho_Chi_Minh.

use phonghop_domain::{
    AgendaItem, Annotation, AnnotationBody, Document, InkStroke, Meeting, Note, Timestamp,
};
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use ts_rs::TS;

mod live;
pub use live::*;

pub fn ts(t: Timestamp) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

pub(crate) fn name<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct SessionInfo {
    pub server: String,
    pub username: String,
    pub full_name: String,
    /// `delegate`, `secretary`, …
    pub role: String,
    pub title: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct MeetingSummary {
    pub id: String,
    pub title: String,
    /// `regular`, `thematic`, `online`, `working`.
    pub kind: String,
    pub room: String,
    pub starts_at: String,
    pub ends_at: String,
    /// `draft`, `published`, `in_progress`, `ended`.
    pub status: String,
    pub items: u32,
    pub documents: u32,
}

impl MeetingSummary {
    pub fn new(m: &Meeting, items: u32, documents: u32) -> MeetingSummary {
        MeetingSummary {
            id: m.id.to_string(),
            title: m.title.clone(),
            kind: name(&m.kind),
            room: m.room.clone(),
            starts_at: ts(m.starts_at),
            ends_at: ts(m.ends_at),
            status: name(&m.status),
            items,
            documents,
        }
    }
}

/// The signature badge of a document version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SignatureStatus {
    /// Hợp lệ: intact, correct, chained to a trusted root.
    Valid,
    /// Không hợp lệ.
    Invalid,
    /// Correct, but the signer's certificate is not trusted here.
    Untrusted,
    /// Signed, then changed.
    Modified,
    /// A signature format we cannot check.
    Unsupported,
    Unsigned,
    /// Not downloaded yet: nothing to check.
    Unknown,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct SignatureView {
    pub status: SignatureStatus,
    pub signer: Option<String>,
    pub organization: Option<String>,
    /// RFC 3339 (UTC) as the signer claims it.
    pub signing_time: Option<String>,
    /// Why the status is not `valid` (English detail).
    pub why: Option<String>,
    /// This device checked the file itself; otherwise the verdict is the server's, from
    /// the upload (the file is not here yet, or not checked against the current roots).
    pub checked_here: bool,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct DocumentView {
    pub id: String,
    pub item_id: String,
    pub title: String,
    /// `proposal`, `draft_resolution`, `report`, `draft_conclusion`, `other`.
    pub kind: String,
    /// `public`, `internal`, `confidential`.
    pub classification: String,
    pub version: u32,
    pub pages: u32,
    #[ts(type = "number")]
    pub size: u64,
    pub downloaded: bool,
    pub signature: SignatureView,
}

impl DocumentView {
    pub fn new(d: &Document, downloaded: bool, signature: SignatureView) -> DocumentView {
        let v = d.current();
        DocumentView {
            id: d.id.to_string(),
            item_id: d.item_id.to_string(),
            title: d.title.clone(),
            kind: name(&d.kind),
            classification: name(&d.classification),
            version: v.map_or(0, |v| v.version),
            pages: v.map_or(0, |v| v.pages),
            size: v.map_or(0, |v| v.size),
            downloaded,
            signature,
        }
    }
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct AgendaItemView {
    pub id: String,
    pub position: u32,
    pub title: String,
    pub presenter: String,
    pub planned_minutes: u32,
    pub documents: Vec<DocumentView>,
}

impl AgendaItemView {
    pub fn new(i: &AgendaItem, documents: Vec<DocumentView>) -> AgendaItemView {
        AgendaItemView {
            id: i.id.to_string(),
            position: i.position,
            title: i.title.clone(),
            presenter: i.presenter.clone(),
            planned_minutes: i.planned_minutes,
            documents,
        }
    }
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct MeetingDetail {
    pub meeting: MeetingSummary,
    pub items: Vec<AgendaItemView>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct NoteView {
    pub id: String,
    pub meeting_id: Option<String>,
    pub text: String,
    pub updated_at: String,
}

impl From<&Note> for NoteView {
    fn from(n: &Note) -> Self {
        NoteView {
            id: n.id.to_string(),
            meeting_id: n.meeting_id.map(|m| m.to_string()),
            text: n.text.clone(),
            updated_at: ts(n.updated_at),
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, TS)]
pub struct PageSize {
    pub width: f32,
    pub height: f32,
}

/// A document opened for reading: pages reach the webview through the `page://` scheme.
#[derive(Debug, Clone, Serialize, TS)]
pub struct OpenedDocument {
    pub id: String,
    pub meeting_id: String,
    pub title: String,
    pub version: u32,
    pub sha256: String,
    pub classification: String,
    /// Page sizes in PDF points, in page order.
    pub pages: Vec<PageSize>,
    pub signature: SignatureView,
    /// Shown across every page of a confidential document: the viewer's name.
    pub watermark: Option<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct SearchHitView {
    /// 0-based.
    pub page: u32,
    pub text: String,
    /// PDF quad points: upper-left, upper-right, lower-left, lower-right.
    pub quads: Vec<[[f32; 2]; 4]>,
}

/// One character of page text with its box `[left, bottom, right, top]` in points
/// (`null` for generated spaces and line breaks).
#[derive(Debug, Clone, Serialize, TS)]
pub struct CharBox {
    pub c: String,
    pub r: Option<[f32; 4]>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AnnotationBodyView {
    Ink {
        color: String,
        width: f32,
        /// Strokes of `[x, y, pressure]` points.
        strokes: Vec<Vec<[f32; 3]>>,
    },
    Highlight {
        color: String,
        quads: Vec<[[f32; 2]; 4]>,
        text: String,
    },
    Sticky {
        color: String,
        at: [f32; 2],
        text: String,
    },
    FreeText {
        color: String,
        rect: [f32; 4],
        size: f32,
        text: String,
    },
}

impl From<&AnnotationBody> for AnnotationBodyView {
    fn from(b: &AnnotationBody) -> Self {
        match b {
            AnnotationBody::Ink {
                color,
                width,
                strokes,
            } => AnnotationBodyView::Ink {
                color: color.clone(),
                width: *width,
                strokes: strokes.iter().map(|s| s.points.clone()).collect(),
            },
            AnnotationBody::Highlight { color, quads, text } => AnnotationBodyView::Highlight {
                color: color.clone(),
                quads: quads.clone(),
                text: text.clone(),
            },
            AnnotationBody::Sticky { color, at, text } => AnnotationBodyView::Sticky {
                color: color.clone(),
                at: *at,
                text: text.clone(),
            },
            AnnotationBody::FreeText {
                color,
                rect,
                size,
                text,
            } => AnnotationBodyView::FreeText {
                color: color.clone(),
                rect: *rect,
                size: *size,
                text: text.clone(),
            },
        }
    }
}

impl From<AnnotationBodyView> for AnnotationBody {
    fn from(b: AnnotationBodyView) -> Self {
        match b {
            AnnotationBodyView::Ink {
                color,
                width,
                strokes,
            } => AnnotationBody::Ink {
                color,
                width,
                strokes: strokes
                    .into_iter()
                    .map(|points| InkStroke { points })
                    .collect(),
            },
            AnnotationBodyView::Highlight { color, quads, text } => {
                AnnotationBody::Highlight { color, quads, text }
            }
            AnnotationBodyView::Sticky { color, at, text } => {
                AnnotationBody::Sticky { color, at, text }
            }
            AnnotationBodyView::FreeText {
                color,
                rect,
                size,
                text,
            } => AnnotationBody::FreeText {
                color,
                rect,
                size,
                text,
            },
        }
    }
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct AnnotationView {
    pub id: String,
    pub mine: bool,
    /// The author's full name.
    pub author: String,
    pub version: u32,
    pub page: u32,
    pub shared: bool,
    pub body: AnnotationBodyView,
    pub updated_at: String,
}

impl AnnotationView {
    pub fn new(a: &Annotation, mine: bool, author: String) -> AnnotationView {
        AnnotationView {
            id: a.id.to_string(),
            mine,
            author,
            version: a.version,
            page: a.page,
            shared: a.shared,
            body: (&a.body).into(),
            updated_at: ts(a.updated_at),
        }
    }
}

/// What the UI sends to save an annotation.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct AnnotationInput {
    /// Absent for a new annotation.
    pub id: Option<String>,
    pub document_id: String,
    /// The version shown (`OpenedDocument::version`): a newer one may have arrived
    /// since, and the marks belong to the pages the user sees.
    pub version: Option<u32>,
    pub page: u32,
    pub shared: bool,
    pub body: AnnotationBodyView,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct RejectedView {
    pub op_id: String,
    pub kind: String,
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct DownloadProgress {
    pub files: u32,
    #[ts(type = "number")]
    pub done_bytes: u64,
    #[ts(type = "number")]
    pub total_bytes: u64,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct StatusView {
    pub online: bool,
    pub syncing: bool,
    /// RFC 3339 (UTC) of the last complete sync.
    pub last_sync: Option<String>,
    #[ts(type = "number")]
    pub outbox: u64,
    /// Of those, ballots and written opinions (signing out warns about them).
    #[ts(type = "number")]
    pub outbox_votes: u64,
    pub rejected: Vec<RejectedView>,
    pub download: Option<DownloadProgress>,
    /// Files that failed their check.
    pub blob_errors: u32,
}

/// Events the shell emits. `status`: a [`StatusView`]; `data-changed`: the cache moved
/// (re-read what is on screen); `session-ended`: log in again, the payload a [`Code`]
/// saying why (`session_ended`, `account_disabled`, `device_revoked`).
///
/// [`Code`]: crate::error::Code
pub const EVENT_STATUS: &str = "status";
pub const EVENT_DATA_CHANGED: &str = "data-changed";
pub const EVENT_SESSION_ENDED: &str = "session-ended";
