//! The live meeting: attendance, the floor, the current item, polls and ballots — for
//! the delegate panel, the chair's console and the projector window. Every change is a
//! client-engine op: it shows at once, works offline and syncs later (a ballot cast
//! offline counts if it reaches the server before the poll's deadline).

use phonghop_domain::{AttendanceState, Op, PollKind, PollSpec, SpeakKind, SpeakStatus, Timestamp};
use tauri::{AppHandle, Manager, State, WebviewUrl, WebviewWindowBuilder};
use tracing::instrument;

use crate::dto::{LiveItem, LiveView, Names, PollView, PresentationView, attendance_code, ts};
use crate::error::{AppError, AppResult, Code};
use crate::state::{App, parse_id};

fn item(i: &phonghop_domain::AgendaItem) -> LiveItem {
    LiveItem {
        id: i.id.to_string(),
        position: i.position,
        title: i.title.clone(),
        presenter: i.presenter.clone(),
        planned_minutes: i.planned_minutes,
    }
}

fn clamp(v: Option<i64>) -> Option<i32> {
    v.map(|s| s.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32)
}

#[tauri::command]
#[instrument(skip(state), err)]
pub async fn live_view(state: State<'_, App>, meeting_id: String) -> AppResult<LiveView> {
    let c = state.client()?;
    let id = parse_id(&meeting_id)?;
    let meeting = c
        .cache
        .meeting(id)?
        .ok_or_else(|| AppError::new(Code::NotFound, format!("meeting {id}")))?;
    let me = c.me()?;
    let now = Timestamp::now_utc();
    let v = c.live_view(id, now)?;
    let names = Names::new(&c.cache.users()?);
    let role = c
        .cache
        .members(id)?
        .into_iter()
        .find(|m| m.user_id == me.id)
        .map(|m| m.role);
    let votes = role.is_some_and(|r| r.votes());
    let my_attendance = c
        .cache
        .presence(id)?
        .into_iter()
        .find(|p| p.user_id == me.id)
        .map(|p| attendance_code(&p.state));
    let requests = c.cache.speak_requests(id)?;
    let mine = requests
        .iter()
        .filter(|r| r.user_id == me.id && r.status.is_active())
        .max_by_key(|r| r.requested_at);
    let my_place = mine
        .filter(|r| r.status == SpeakStatus::Waiting)
        .and_then(|r| phonghop_domain::speaker::queue_position(&requests, r.id))
        .map(|p| p as u32);
    let pending = c.cache.pending_ops(usize::MAX)?;
    let mut polls = Vec::new();
    for p in &v.polls {
        let mine = c
            .cache
            .ballots(p.id)?
            .into_iter()
            .find(|b| b.voter_id == me.id)
            .and_then(|b| b.choices);
        let queued = pending.iter().rev().find_map(|e| match &e.op {
            Op::BallotCast {
                poll_id,
                voter_id,
                choices,
                ..
            } if *poll_id == p.id && *voter_id == me.id => Some(choices.clone()),
            _ => None,
        });
        let my_pending = queued.is_some();
        polls.push(PollView::new(
            p,
            queued.or(mine),
            my_pending,
            votes,
            &v.attendance,
        ));
    }
    polls.sort_by(|a, b| b.id.cmp(&a.id));
    let presentation = v
        .progress
        .as_ref()
        .and_then(|g| g.presentation.as_ref())
        .map(|p| PresentationView {
            presenter: names.of(p.presenter_id),
            mine: p.presenter_id == me.id,
            document_id: p.document_id.to_string(),
            document_title: c
                .cache
                .document(p.document_id)
                .ok()
                .flatten()
                .map(|d| d.title)
                .unwrap_or_default(),
            page: p.page,
        });
    let runs_meeting = role.is_some_and(|r| r.runs_meeting());
    let may_present = runs_meeting || mine.is_some_and(|r| r.status == SpeakStatus::Speaking);
    Ok(LiveView {
        meeting_id: id.to_string(),
        meeting_title: meeting.title,
        runs_meeting,
        votes,
        may_present,
        my_attendance,
        current_item: v.current_item.as_ref().map(item),
        item_remaining_seconds: clamp(v.item_remaining_seconds),
        speaker: v.speaker.as_ref().map(|r| names.speak(r)),
        speaker_remaining_seconds: clamp(v.speaker_remaining_seconds),
        queue: v.queue.iter().map(|r| names.speak(r)).collect(),
        history: v.history.iter().map(|r| names.speak(r)).collect(),
        my_request: mine.map(|r| names.speak(r)),
        my_place,
        attendance: (&v.attendance).into(),
        polls,
        presentation,
        items: c.cache.agenda(id)?.iter().map(item).collect(),
        at: ts(now),
    })
}

/// Self check-in: `in_room` or `remote`.
#[tauri::command]
#[instrument(skip(state), err)]
pub async fn attendance_check_in(
    state: State<'_, App>,
    meeting_id: String,
    how: String,
) -> AppResult<()> {
    let s = match how.as_str() {
        "in_room" => AttendanceState::InRoom,
        "remote" => AttendanceState::Remote,
        other => {
            return Err(AppError::new(
                Code::Invalid,
                format!("{other:?} is not a way to check in (in_room, remote)"),
            ));
        }
    };
    let meeting = parse_id(&meeting_id)?;
    state.change(|c| Ok(c.set_attendance(meeting, None, s)?))
}

/// Asks for the floor: `speak` (phát biểu) or `question` (chất vấn), on the current item.
#[tauri::command]
#[instrument(skip(state), err)]
pub async fn speak_request(
    state: State<'_, App>,
    meeting_id: String,
    kind: String,
) -> AppResult<String> {
    let kind = match kind.as_str() {
        "speak" => SpeakKind::Speak,
        "question" => SpeakKind::Question,
        other => {
            return Err(AppError::new(
                Code::Invalid,
                format!("{other:?} is not a kind of request (speak, question)"),
            ));
        }
    };
    let meeting = parse_id(&meeting_id)?;
    state.change(|c| {
        let item = c.cache.progress(meeting)?.and_then(|g| g.current_item);
        Ok(c.speak_request(meeting, kind, item)?.to_string())
    })
}

#[tauri::command]
#[instrument(skip(state), err)]
pub async fn speak_withdraw(state: State<'_, App>, id: String) -> AppResult<()> {
    state.change(|c| Ok(c.speak_withdraw(parse_id(&id)?)?))
}

/// The chair gives the floor, with a speaking time in seconds (none: unlimited).
#[tauri::command]
#[instrument(skip(state), err)]
pub async fn speak_grant(
    state: State<'_, App>,
    id: String,
    limit_seconds: Option<u32>,
) -> AppResult<()> {
    state.change(|c| Ok(c.speak_grant(parse_id(&id)?, limit_seconds)?))
}

#[tauri::command]
#[instrument(skip(state), err)]
pub async fn speak_end(state: State<'_, App>, id: String) -> AppResult<()> {
    state.change(|c| Ok(c.speak_end(parse_id(&id)?)?))
}

/// The chair moves the meeting to an agenda item (none: between items).
#[tauri::command]
#[instrument(skip(state), err)]
pub async fn current_item_set(
    state: State<'_, App>,
    meeting_id: String,
    item_id: Option<String>,
) -> AppResult<()> {
    let item = item_id.as_deref().map(parse_id).transpose()?;
    let meeting = parse_id(&meeting_id)?;
    state.change(|c| Ok(c.set_current_item(meeting, item)?))
}

/// The chair prepares a motion with the default options (Tán thành / Không tán thành /
/// Không biểu quyết) under the council's rule, on the current item; `open` opens it at
/// once. `kind`: `open`, `named` or `secret`.
#[tauri::command]
#[instrument(skip(state), err)]
pub async fn poll_create(
    state: State<'_, App>,
    meeting_id: String,
    question: String,
    kind: String,
    duration_seconds: Option<u32>,
    open: bool,
) -> AppResult<String> {
    let meeting = parse_id(&meeting_id)?;
    let kind = PollKind::parse(&kind).map_err(|e| AppError::new(Code::Invalid, e))?;
    let mut spec = PollSpec::motion(question.trim(), kind);
    spec.duration_seconds = duration_seconds;
    spec.validate()
        .map_err(|e| AppError::new(Code::Invalid, e))?;
    state.change(|c| {
        let item = c.cache.progress(meeting)?.and_then(|g| g.current_item);
        let id = c.poll_create(meeting, item, spec)?;
        if open {
            c.poll_open(id)?;
        }
        Ok(id.to_string())
    })
}

#[tauri::command]
#[instrument(skip(state), err)]
pub async fn poll_open(state: State<'_, App>, id: String) -> AppResult<()> {
    state.change(|c| Ok(c.poll_open(parse_id(&id)?)?))
}

#[tauri::command]
#[instrument(skip(state), err)]
pub async fn poll_close(state: State<'_, App>, id: String) -> AppResult<()> {
    state.change(|c| Ok(c.poll_close(parse_id(&id)?)?))
}

/// Casts this user's ballot: option indexes from 0. Signed by this device's key; counts
/// if it reaches the server before the deadline.
#[tauri::command]
#[instrument(skip(state, choices), err)]
pub async fn vote(state: State<'_, App>, poll_id: String, choices: Vec<u32>) -> AppResult<()> {
    state.change(|c| {
        let poll = c.find_poll(&poll_id)?;
        poll.spec
            .validate_choices(&choices)
            .map_err(|e| AppError::new(Code::Invalid, e))?;
        if poll.status != phonghop_domain::PollStatus::Open {
            return Err(AppError::new(Code::PollNotOpen, "the poll is not open"));
        }
        // The engine refuses a second ballot as `already_voted`.
        c.vote(poll.id, choices, None)?;
        Ok(())
    })
}

/// Shows a document page to the room: followers' viewers jump there. Allowed to the
/// chair, the secretary and the member who has the floor. `page` is 1-based.
#[tauri::command]
#[instrument(skip(state), err)]
pub async fn present_page(
    state: State<'_, App>,
    meeting_id: String,
    document_id: String,
    page: u32,
) -> AppResult<()> {
    state.change(|c| Ok(c.present_page(parse_id(&meeting_id)?, parse_id(&document_id)?, page)?))
}

#[tauri::command]
#[instrument(skip(state), err)]
pub async fn present_stop(state: State<'_, App>, meeting_id: String) -> AppResult<()> {
    state.change(|c| Ok(c.present_stop(parse_id(&meeting_id)?)?))
}

/// Closes the projector window, if open: the user signed out, or the session ended (it
/// would go on showing the meeting, and polling with whoever signs in next).
pub fn close_projector<R: tauri::Runtime>(app: &impl Manager<R>) {
    if let Some(w) = app.get_webview_window("projector") {
        let _ = w.close();
    }
}

/// Opens (or brings forward) the projector view of a meeting in its own window: the
/// current item, the speaker with the timer, the result chart.
#[tauri::command]
#[instrument(skip(app), err)]
pub async fn projector_open(app: AppHandle, meeting_id: String) -> AppResult<()> {
    parse_id(&meeting_id)?;
    if let Some(w) = app.get_webview_window("projector") {
        let _ = w.eval(format!("location.hash = '#/projector/{meeting_id}'"));
        let _ = w.set_focus();
        return Ok(());
    }
    WebviewWindowBuilder::new(
        &app,
        "projector",
        WebviewUrl::App(format!("index.html#/projector/{meeting_id}").into()),
    )
    .title("PhòngHọp — Màn hình trình chiếu")
    .inner_size(1280.0, 720.0)
    .build()
    .map_err(|e| AppError::new(Code::Internal, e.to_string()))?;
    Ok(())
}
