//! The live meeting as the UI shows it: the delegate panel, the chair's console and the
//! projector window all read one [`LiveView`].

use std::collections::HashMap;

use phonghop_domain::{
    AttendanceState, AttendanceSummary, CountingRule, Id, Poll, PollResult, PollStatus,
    SpeakRequest, User,
};
use serde::Serialize;
use ts_rs::TS;

use super::{name, ts};

#[derive(Debug, Clone, Serialize, TS)]
pub struct LiveItem {
    pub id: String,
    pub position: u32,
    pub title: String,
    pub presenter: String,
    pub planned_minutes: u32,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct SpeakView {
    pub id: String,
    pub user_id: String,
    /// The speaker's full name.
    pub name: String,
    /// `speak` (phát biểu) or `question` (chất vấn).
    pub kind: String,
    /// `waiting`, `speaking`, `done`, `withdrawn`.
    pub status: String,
    pub requested_at: String,
    pub granted_at: Option<String>,
    pub limit_seconds: Option<u32>,
    /// Still in this device's outbox: its place is not known yet.
    pub pending: bool,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct AttendanceView {
    pub members: u32,
    pub in_room: u32,
    pub remote: u32,
    pub represented: u32,
    pub absent: u32,
    pub not_checked_in: u32,
    pub present: u32,
    /// Present members the quorum needs (two thirds of the members).
    pub quorum_required: u32,
    pub quorum_met: bool,
}

impl From<&AttendanceSummary> for AttendanceView {
    fn from(a: &AttendanceSummary) -> Self {
        // The council's rule: a session needs two thirds of its members present.
        let q = a.quorum(CountingRule::council().quorum);
        AttendanceView {
            members: a.members,
            in_room: a.in_room,
            remote: a.remote,
            represented: a.represented,
            absent: a.absent,
            not_checked_in: a.not_checked_in,
            present: a.present,
            quorum_required: q.required,
            quorum_met: q.met,
        }
    }
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct OptionResultView {
    pub label: String,
    pub votes: u32,
    /// Hundredths of a percent of the base, rounded down as the arithmetic counts (2 of 3 = 6666).
    pub basis_points: u32,
    pub chosen: bool,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct PollResultView {
    pub passed: bool,
    pub quorum_met: bool,
    pub members: u32,
    pub present: u32,
    pub cast: u32,
    /// The base's size under the rule, and the votes an option needs.
    pub base: u32,
    pub required: u32,
    pub options: Vec<OptionResultView>,
    /// The arithmetic in Vietnamese, one step a line.
    pub arithmetic: Vec<String>,
}

impl From<&PollResult> for PollResultView {
    fn from(r: &PollResult) -> Self {
        PollResultView {
            passed: r.passed,
            quorum_met: r.quorum.met,
            members: r.count.members,
            present: r.count.present,
            cast: r.count.cast,
            base: r.base,
            required: r.required,
            options: r
                .options
                .iter()
                .map(|o| OptionResultView {
                    label: o.label.clone(),
                    votes: o.votes,
                    basis_points: o.basis_points_of_base,
                    chosen: o.chosen,
                })
                .collect(),
            arithmetic: r.arithmetic.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct PollView {
    pub id: String,
    pub item_id: Option<String>,
    pub question: String,
    /// `open` (công khai), `named` (ghi danh), `secret` (kín).
    pub kind: String,
    /// `motion` (passes or not) or `election` (up to `max_choices` options chosen).
    pub mode: String,
    /// `draft`, `open`, `closed`.
    pub status: String,
    pub options: Vec<String>,
    pub max_choices: u32,
    pub allow_recast: bool,
    pub opened_at: Option<String>,
    pub closes_at: Option<String>,
    pub closed_at: Option<String>,
    /// Ballots received so far.
    pub cast: u32,
    /// Votes per option; absent while a secret poll is open.
    pub votes: Option<Vec<u32>>,
    /// This user's own choices, once cast (acknowledged or still in the outbox).
    pub my_choices: Option<Vec<u32>>,
    /// Cast here, not yet acknowledged by the server.
    pub my_pending: bool,
    /// Whether this user may vote in the meeting.
    pub may_vote: bool,
    /// The final result once closed; a preview with today's attendance while open.
    pub result: Option<PollResultView>,
}

impl PollView {
    pub fn new(
        p: &Poll,
        my_choices: Option<Vec<u32>>,
        my_pending: bool,
        may_vote: bool,
        attendance: &AttendanceSummary,
    ) -> PollView {
        let result = p
            .result
            .clone()
            .or_else(|| p.preview(attendance.members, attendance.present.max(p.tally.cast)));
        PollView {
            id: p.id.to_string(),
            item_id: p.item_id.map(|i| i.to_string()),
            question: p.spec.question.clone(),
            kind: name(&p.spec.kind),
            mode: name(&p.spec.mode),
            status: name(&p.status),
            options: p.spec.options.clone(),
            max_choices: p.spec.max_choices,
            allow_recast: p.spec.allow_recast,
            opened_at: p.opened_at.map(ts),
            closes_at: p.closes_at.map(ts),
            closed_at: p.closed_at.map(ts),
            cast: p.tally.cast,
            votes: p.tally.votes.clone(),
            my_choices,
            my_pending,
            may_vote,
            result: if p.status == PollStatus::Draft {
                None
            } else {
                result.as_ref().map(PollResultView::from)
            },
        }
    }
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct PresentationView {
    pub presenter: String,
    /// This user is the presenter.
    pub mine: bool,
    pub document_id: String,
    pub document_title: String,
    /// 1-based.
    pub page: u32,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct LiveView {
    pub meeting_id: String,
    pub meeting_title: String,
    /// This user runs the meeting (chair or secretary): the console is theirs.
    pub runs_meeting: bool,
    /// This user votes in the meeting (chair and members).
    pub votes: bool,
    /// This user may show pages to the room: chair, secretary, or whoever has the floor.
    pub may_present: bool,
    /// This user's attendance: `in_room`, `remote`, `absent`, `proxy`, or absent.
    pub my_attendance: Option<String>,
    pub current_item: Option<LiveItem>,
    /// Seconds left of the current item's planned time (negative: over time).
    pub item_remaining_seconds: Option<i32>,
    pub speaker: Option<SpeakView>,
    pub speaker_remaining_seconds: Option<i32>,
    pub queue: Vec<SpeakView>,
    pub history: Vec<SpeakView>,
    /// This user's waiting or granted request, and its 1-based place in the queue.
    pub my_request: Option<SpeakView>,
    pub my_place: Option<u32>,
    pub attendance: AttendanceView,
    /// Newest first.
    pub polls: Vec<PollView>,
    pub presentation: Option<PresentationView>,
    /// Every agenda item, for the chair's "current item" choice.
    pub items: Vec<LiveItem>,
    /// When this view was read (RFC 3339, UTC): timers count down from here.
    pub at: String,
}

/// Full names by user id, for the speaker queue.
pub struct Names(pub HashMap<Id, String>);

impl Names {
    pub fn new(users: &[User]) -> Names {
        Names(users.iter().map(|u| (u.id, u.full_name.clone())).collect())
    }

    pub fn of(&self, id: Id) -> String {
        self.0.get(&id).cloned().unwrap_or_else(|| "—".into())
    }

    pub fn speak(&self, r: &SpeakRequest) -> SpeakView {
        SpeakView {
            id: r.id.to_string(),
            user_id: r.user_id.to_string(),
            name: self.of(r.user_id),
            kind: name(&r.kind),
            status: name(&r.status),
            requested_at: ts(r.requested_at),
            granted_at: r.granted_at.map(ts),
            limit_seconds: r.limit_seconds,
            pending: r.order == u64::MAX,
        }
    }
}

pub fn attendance_code(s: &AttendanceState) -> String {
    match s {
        AttendanceState::InRoom => "in_room",
        AttendanceState::Remote => "remote",
        AttendanceState::Absent { .. } => "absent",
        AttendanceState::Proxy { .. } => "proxy",
    }
    .into()
}

/// `live`: a live-meeting change arrived for a meeting (re-read its [`LiveView`]).
pub const EVENT_LIVE: &str = "live";

/// What the `live` event carries.
#[derive(Debug, Clone, Serialize, TS)]
pub struct LiveEvent {
    pub meeting_id: String,
    /// The kinds of entity that changed, e.g. `poll`, `speak_request`.
    pub kinds: Vec<String>,
}
