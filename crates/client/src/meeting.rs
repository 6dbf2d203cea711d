//! The live meeting from the engine: attendance, the speaker queue, the current item
//! and "follow the presenter", polls and ballots (signed by this device's key, so they
//! can be cast offline), and written-opinion ballots. Every change applies locally at
//! once and travels as an op; every read comes from the cache. The app and the CLI call
//! these; [`Client::follow_live`] keeps the cache current from the live channel.

use std::time::Duration;

use base64::Engine;
use ed25519_dalek::Signer;
use phonghop_domain::opinion::{self, OpinionStats};
use phonghop_domain::{
    AgendaItem, AttendanceState, AttendanceSummary, Ballot, Id, LiveMessage, MeetingProgress, Op,
    OpinionAnswer, OpinionBallot, OpinionChoice, Poll, PollResult, PollSpec, SpeakKind,
    SpeakRequest, Timestamp,
};
use serde::Serialize;
use tokio::sync::mpsc::UnboundedSender;

use crate::{Client, ClientError, id_matches};

/// A poll as a delegate's screen shows it.
#[derive(Debug, Clone, Serialize)]
pub struct PollView {
    pub poll: Poll,
    /// This user's own ballot, if cast (its choices are known here even in a secret poll).
    pub my_ballot: Option<Ballot>,
    /// Cast here but not yet acknowledged by the server.
    pub my_ballot_pending: bool,
    /// The meeting's attendance now (the quorum's input).
    pub attendance: AttendanceSummary,
    /// The result so far with today's attendance (open and named polls), or the final one.
    pub result: Option<PollResult>,
}

/// What the room shows: the current item and its time, the speaker and the timer, the
/// queue, attendance and quorum, the polls.
#[derive(Debug, Clone, Serialize)]
pub struct LiveMeetingView {
    pub meeting_id: Id,
    pub progress: Option<MeetingProgress>,
    pub current_item: Option<AgendaItem>,
    /// Seconds left of the current item's planned time (negative: over).
    pub item_remaining_seconds: Option<i64>,
    pub speaker: Option<SpeakRequest>,
    pub speaker_remaining_seconds: Option<i64>,
    pub queue: Vec<SpeakRequest>,
    pub history: Vec<SpeakRequest>,
    pub attendance: AttendanceSummary,
    pub polls: Vec<Poll>,
}

/// What a live message changed, for the app to refresh the right views.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum LiveUpdate {
    /// Live-meeting state changed in the cache: these kinds of entity.
    Meeting { meeting_id: Id, kinds: Vec<String> },
    /// A pull brought changes.
    Synced { cursor: u64, changes: usize },
    /// The line dropped; retrying.
    Offline { reason: String },
}

fn pick<T: Clone>(
    items: Vec<T>,
    id_of: impl Fn(&T) -> Id,
    given: &str,
    what: &str,
) -> Result<T, ClientError> {
    let found: Vec<T> = items
        .into_iter()
        .filter(|i| id_matches(id_of(i), given))
        .collect();
    match found.len() {
        1 => Ok(found[0].clone()),
        0 => Err(ClientError::NotFound(format!("{what} {given}"))),
        _ => Err(ClientError::Invalid(format!(
            "{given} matches several {what}s; give more of the id"
        ))),
    }
}

impl Client {
    fn sign(&self, message: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.device.key.sign(message).to_bytes())
    }

    fn user_id_of(&self, username: &str) -> Result<Id, ClientError> {
        Ok(self
            .cache
            .user_by_username(username)?
            .ok_or_else(|| ClientError::NotFound(format!("user {username}")))?
            .id)
    }

    // ---- attendance ---------------------------------------------------------------------

    /// Checks in, records an absence or a proxy — for oneself, or (chair, secretary) for
    /// `username`.
    pub fn set_attendance(
        &self,
        meeting: Id,
        username: Option<&str>,
        state: AttendanceState,
    ) -> Result<(), ClientError> {
        let user_id = match username {
            Some(u) => self.user_id_of(u)?,
            None => self.me()?.id,
        };
        self.cache
            .local_op(Op::AttendanceSet {
                meeting_id: meeting,
                user_id,
                state,
            })
            .map(|_| ())
    }

    /// A proxy to `to` (a username).
    pub fn proxy_state(&self, to: &str, reason: &str) -> Result<AttendanceState, ClientError> {
        Ok(AttendanceState::Proxy {
            to: self.user_id_of(to)?,
            reason: reason.into(),
        })
    }

    // ---- the floor --------------------------------------------------------------------

    pub fn speak_request(
        &self,
        meeting: Id,
        kind: SpeakKind,
        item: Option<Id>,
    ) -> Result<Id, ClientError> {
        let request_id = Id::now_v7();
        self.cache.local_op(Op::SpeakRequest {
            request_id,
            meeting_id: meeting,
            kind,
            item_id: item,
        })?;
        Ok(request_id)
    }

    /// A request to speak by id (prefix or suffix), in any meeting.
    pub fn find_speak_request(&self, given: &str) -> Result<SpeakRequest, ClientError> {
        let mut all = Vec::new();
        for m in self.cache.meetings()? {
            all.extend(self.cache.speak_requests(m.id)?);
        }
        pick(all, |r| r.id, given, "request to speak")
    }

    pub fn speak_withdraw(&self, request: Id) -> Result<(), ClientError> {
        self.cache
            .local_op(Op::SpeakWithdraw {
                request_id: request,
            })
            .map(|_| ())
    }

    pub fn speak_grant(&self, request: Id, limit_seconds: Option<u32>) -> Result<(), ClientError> {
        self.cache
            .local_op(Op::SpeakGrant {
                request_id: request,
                limit_seconds,
            })
            .map(|_| ())
    }

    pub fn speak_end(&self, request: Id) -> Result<(), ClientError> {
        self.cache
            .local_op(Op::SpeakEnd {
                request_id: request,
            })
            .map(|_| ())
    }

    // ---- the agenda and the presenter ------------------------------------------------------

    pub fn set_current_item(&self, meeting: Id, item: Option<Id>) -> Result<(), ClientError> {
        self.cache
            .local_op(Op::AgendaCurrent {
                meeting_id: meeting,
                item_id: item,
            })
            .map(|_| ())
    }

    pub fn present_page(&self, meeting: Id, document: Id, page: u32) -> Result<(), ClientError> {
        self.cache
            .local_op(Op::PresentPage {
                meeting_id: meeting,
                document_id: document,
                page,
            })
            .map(|_| ())
    }

    pub fn present_stop(&self, meeting: Id) -> Result<(), ClientError> {
        self.cache
            .local_op(Op::PresentStop {
                meeting_id: meeting,
            })
            .map(|_| ())
    }

    /// The room's view of a meeting at `now` (server time, when known).
    pub fn live_view(&self, meeting: Id, now: Timestamp) -> Result<LiveMeetingView, ClientError> {
        let progress = self.cache.progress(meeting)?;
        let items = self.cache.agenda(meeting)?;
        let current_item = progress
            .as_ref()
            .and_then(|g| g.current_item)
            .and_then(|id| items.iter().find(|i| i.id == id).cloned());
        let item_remaining_seconds = match (&progress, &current_item) {
            (Some(g), Some(i)) => g.item_remaining_seconds(i.planned_minutes, now),
            _ => None,
        };
        let requests = self.cache.speak_requests(meeting)?;
        let speaker = phonghop_domain::speaker::current_speaker(&requests).cloned();
        Ok(LiveMeetingView {
            meeting_id: meeting,
            item_remaining_seconds,
            current_item,
            progress,
            speaker_remaining_seconds: speaker.as_ref().and_then(|s| s.remaining_seconds(now)),
            speaker,
            queue: phonghop_domain::speaker::queue(&requests)
                .into_iter()
                .cloned()
                .collect(),
            history: phonghop_domain::speaker::history(&requests)
                .into_iter()
                .cloned()
                .collect(),
            attendance: self.cache.attendance_summary(meeting)?,
            polls: self.cache.polls(Some(meeting))?,
        })
    }

    // ---- polls --------------------------------------------------------------------------

    pub fn poll_create(
        &self,
        meeting: Id,
        item: Option<Id>,
        spec: PollSpec,
    ) -> Result<Id, ClientError> {
        let poll_id = Id::now_v7();
        self.cache.local_op(Op::PollCreate {
            poll_id,
            meeting_id: meeting,
            item_id: item,
            spec,
        })?;
        Ok(poll_id)
    }

    pub fn poll_open(&self, poll: Id) -> Result<(), ClientError> {
        self.cache
            .local_op(Op::PollOpen { poll_id: poll })
            .map(|_| ())
    }

    pub fn poll_close(&self, poll: Id) -> Result<(), ClientError> {
        self.cache
            .local_op(Op::PollClose { poll_id: poll })
            .map(|_| ())
    }

    pub fn find_poll(&self, given: &str) -> Result<Poll, ClientError> {
        pick(self.cache.polls(None)?, |p| p.id, given, "poll")
    }

    /// Turns what a voter typed (an option's number from 1, or its label) into choices.
    pub fn choices(poll: &Poll, typed: &[String]) -> Result<Vec<u32>, ClientError> {
        typed
            .iter()
            .map(|t| {
                if let Ok(n) = t.trim().parse::<u32>()
                    && n >= 1
                    && (n as usize) <= poll.spec.options.len()
                {
                    return Ok(n - 1);
                }
                poll.spec
                    .options
                    .iter()
                    .position(|o| o.to_lowercase() == t.trim().to_lowercase())
                    .map(|i| i as u32)
                    .ok_or_else(|| {
                        ClientError::Invalid(format!(
                            "{t:?} is not an option; choose 1–{} or one of: {}",
                            poll.spec.options.len(),
                            poll.spec.options.join(", ")
                        ))
                    })
            })
            .collect()
    }

    /// Casts a ballot — this user's, or (holding their proxy) `for_username`'s — signed
    /// now by this device's key over the poll, the voter, the choices and the time. Works
    /// offline: it counts if it reaches the server before the poll's deadline.
    pub fn vote(
        &self,
        poll: Id,
        choices: Vec<u32>,
        for_username: Option<&str>,
    ) -> Result<Id, ClientError> {
        let voter_id = match for_username {
            Some(u) => self.user_id_of(u)?,
            None => self.me()?.id,
        };
        let cast_at = Timestamp::now_utc();
        let signature = self.sign(&phonghop_domain::poll::ballot_signing_bytes(
            poll, voter_id, &choices, cast_at,
        ));
        self.cache.local_op(Op::BallotCast {
            poll_id: poll,
            voter_id,
            choices,
            cast_at,
            device_id: self.device.id,
            signature,
        })
    }

    pub fn poll_view(&self, poll: Id) -> Result<PollView, ClientError> {
        let p = self
            .cache
            .polls(None)?
            .into_iter()
            .find(|x| x.id == poll)
            .ok_or_else(|| ClientError::NotFound(format!("poll {poll}")))?;
        let me = self.me()?.id;
        let my_ballot = self
            .cache
            .ballots(poll)?
            .into_iter()
            .find(|b| b.voter_id == me);
        let my_ballot_pending = self.cache.pending_ops(usize::MAX)?.iter().any(|e| {
            matches!(&e.op, Op::BallotCast { poll_id, voter_id, .. } if *poll_id == poll && *voter_id == me)
        });
        let attendance = self.cache.attendance_summary(p.meeting_id)?;
        let result = p
            .result
            .clone()
            .or_else(|| p.preview(attendance.members, attendance.present.max(p.tally.cast)));
        Ok(PollView {
            poll: p,
            my_ballot,
            my_ballot_pending,
            attendance,
            result,
        })
    }

    // ---- written opinions -------------------------------------------------------------------

    pub fn opinion_create(
        &self,
        meeting: Id,
        document: Option<Id>,
        question: &str,
        days: u32,
    ) -> Result<Id, ClientError> {
        let ballot_id = Id::now_v7();
        self.cache.local_op(Op::OpinionCreate {
            ballot_id,
            meeting_id: meeting,
            document_id: document,
            question: question.into(),
            days,
        })?;
        Ok(ballot_id)
    }

    pub fn find_opinion(&self, given: &str) -> Result<OpinionBallot, ClientError> {
        pick(
            self.cache.opinions()?,
            |o| o.id,
            given,
            "written-opinion ballot",
        )
    }

    /// Answers, signed now by this device's key; works offline until the deadline.
    pub fn opinion_answer(
        &self,
        ballot: Id,
        choice: OpinionChoice,
        comment: &str,
    ) -> Result<Id, ClientError> {
        let me = self.me()?.id;
        // A changed answer must be later than the one it replaces (last one wins), even
        // when that one came from a device whose clock is ahead of this one's.
        let previous = self.my_opinion_answer(ballot)?.map(|a| a.answered_at);
        let answered_at = crate::edit_time(previous);
        let signature = self.sign(&opinion::opinion_signing_bytes(
            ballot,
            me,
            choice,
            comment,
            answered_at,
        ));
        self.cache.local_op(Op::OpinionAnswer {
            ballot_id: ballot,
            choice,
            comment: comment.into(),
            answered_at,
            device_id: self.device.id,
            signature,
        })
    }

    pub fn my_opinion_answer(&self, ballot: Id) -> Result<Option<OpinionAnswer>, ClientError> {
        let me = self.me()?.id;
        Ok(self
            .cache
            .opinion_answers(ballot)?
            .into_iter()
            .find(|a| a.user_id == me))
    }

    /// Statistics as the server counts them (chair and secretary).
    pub async fn opinion_stats(&self, ballot: Id) -> Result<OpinionStats, ClientError> {
        let bytes = self
            .api
            .get_bytes(&format!("/opinions/{ballot}/stats"))
            .await?;
        serde_json::from_slice(&bytes)
            .map_err(|e| ClientError::Invalid(format!("unreadable statistics: {e}")))
    }

    /// The answers as a file: "csv" or "xlsx".
    pub async fn opinion_export(&self, ballot: Id, format: &str) -> Result<Vec<u8>, ClientError> {
        if !matches!(format, "csv" | "xlsx") {
            return Err(ClientError::Invalid(format!(
                "{format:?} is not an export format; csv or xlsx"
            )));
        }
        self.api
            .get_bytes(&format!("/opinions/{ballot}/export.{format}"))
            .await
    }

    // ---- the live channel ----------------------------------------------------------------

    /// Applies one live message to the cache. Returns what changed, and whether the
    /// feed moved past this cache (a pull is due).
    pub fn on_live(&self, msg: &LiveMessage) -> Result<(Option<LiveUpdate>, bool), ClientError> {
        let cursor = self.cache.cursor()?;
        match msg {
            LiveMessage::Meeting {
                meeting_id,
                cursor: at,
                changes,
                ..
            } => {
                self.cache.apply_live(changes)?;
                let mut kinds: Vec<String> = changes
                    .iter()
                    .filter_map(|c| {
                        serde_json::to_value(c)
                            .ok()
                            .and_then(|v| v["type"].as_str().map(str::to_owned))
                    })
                    .collect();
                kinds.sort();
                kinds.dedup();
                Ok((
                    Some(LiveUpdate::Meeting {
                        meeting_id: *meeting_id,
                        kinds,
                    }),
                    *at > cursor,
                ))
            }
            LiveMessage::Hello { cursor: at } | LiveMessage::Changed { cursor: at } => {
                Ok((None, *at > cursor))
            }
            LiveMessage::Heartbeat { .. } => Ok((None, false)),
        }
    }

    /// Keeps the cache current from the live channel until `events` is dropped: applies
    /// meeting events at once, pulls (at most every `min_pull`) when the feed moved, and
    /// reconnects with backoff after a drop. The app runs this and forwards the updates.
    pub async fn follow_live(
        &self,
        events: UnboundedSender<LiveUpdate>,
        min_pull: Duration,
    ) -> Result<(), ClientError> {
        let mut failures = 0u32;
        while !events.is_closed() {
            let mut live = match crate::live::Live::connect(&self.api).await {
                Ok(l) => {
                    failures = 0;
                    l
                }
                Err(ClientError::SessionEnded) => return Err(ClientError::SessionEnded),
                Err(e) => {
                    failures += 1;
                    let _ = events.send(LiveUpdate::Offline {
                        reason: e.to_string(),
                    });
                    tokio::time::sleep(crate::sync::backoff(Duration::from_secs(1), failures))
                        .await;
                    continue;
                }
            };
            let mut pull_due = false;
            let mut next_pull = tokio::time::Instant::now();
            loop {
                let wait = if pull_due {
                    next_pull.saturating_duration_since(tokio::time::Instant::now())
                } else {
                    Duration::from_secs(3600)
                };
                tokio::select! {
                    msg = live.next() => match msg {
                        Ok(m) => {
                            let (update, due) = self.on_live(&m)?;
                            if let Some(u) = update && events.send(u).is_err() {
                                return Ok(());
                            }
                            pull_due |= due;
                        }
                        Err(e) => {
                            let _ = events.send(LiveUpdate::Offline { reason: e.to_string() });
                            break;
                        }
                    },
                    _ = tokio::time::sleep(wait), if pull_due => {
                        pull_due = false;
                        next_pull = tokio::time::Instant::now() + min_pull;
                        match self.sync(None).await {
                            Ok(r) => {
                                if events.send(LiveUpdate::Synced { cursor: r.cursor, changes: r.changes }).is_err() {
                                    return Ok(());
                                }
                            }
                            Err(e) if e.is_transient() => break,
                            Err(e) => return Err(e),
                        }
                    }
                }
            }
        }
        Ok(())
    }
}
