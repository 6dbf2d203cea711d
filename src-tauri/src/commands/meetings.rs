//! The meeting list and one meeting with its agenda and documents.

use tauri::State;
use tracing::instrument;

use crate::dto::{AgendaItemView, DocumentView, MeetingDetail, MeetingSummary};
use crate::error::{AppError, AppResult, Code};
use crate::state::{App, parse_id};

#[tauri::command]
#[instrument(skip_all, err)]
pub async fn meetings_list(state: State<'_, App>) -> AppResult<Vec<MeetingSummary>> {
    let c = state.client()?;
    let mut out = Vec::new();
    for m in c.meetings()? {
        let items = c.cache.agenda(m.id)?.len() as u32;
        let docs = c.cache.documents(m.id)?.len() as u32;
        out.push(MeetingSummary::new(&m, items, docs));
    }
    Ok(out)
}

#[tauri::command]
#[instrument(skip(state), err)]
pub async fn meeting_detail(state: State<'_, App>, id: String) -> AppResult<MeetingDetail> {
    let c = state.client()?;
    let id = parse_id(&id)?;
    let m = c
        .cache
        .meeting(id)?
        .ok_or_else(|| AppError::new(Code::NotFound, format!("meeting {id}")))?;
    let docs = c.cache.documents(id)?;
    let items = c.cache.agenda(id)?;
    let mut views = Vec::new();
    for i in &items {
        let mut dv = Vec::new();
        for d in docs.iter().filter(|d| d.item_id == i.id) {
            let downloaded = d.current().is_some_and(|v| c.blobs.has(&v.sha256));
            dv.push(DocumentView::new(d, downloaded, state.signature_of(&c, d)));
        }
        views.push(AgendaItemView::new(i, dv));
    }
    Ok(MeetingDetail {
        meeting: MeetingSummary::new(&m, items.len() as u32, docs.len() as u32),
        items: views,
    })
}
