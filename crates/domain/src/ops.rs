//! Client ops: every change a client makes travels as an op with a client-made UUIDv7,
//! so it can be applied locally at once, queued while offline, and applied by the server
//! at most once however often it is resent.

use serde::{Deserialize, Serialize};

use crate::annotation::AnnotationBody;
use crate::attendance::AttendanceState;
use crate::document::{Classification, DocumentKind, Sha256};
use crate::error::ErrorCode;
use crate::meeting::{self, Attendance, MeetingKind, MeetingRole, MeetingStatus};
use crate::note;
use crate::opinion::{self, OpinionChoice};
use crate::poll::PollSpec;
use crate::speaker::{MAX_SPEAK_SECONDS, SpeakKind};
use crate::{Id, Timestamp};

/// One change requested by a client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", deny_unknown_fields)]
pub enum Op {
    #[serde(rename = "meeting.create")]
    MeetingCreate {
        meeting_id: Id,
        title: String,
        kind: MeetingKind,
        room: String,
        #[serde(with = "time::serde::rfc3339")]
        starts_at: Timestamp,
        #[serde(with = "time::serde::rfc3339")]
        ends_at: Timestamp,
        #[serde(default)]
        org_unit_id: Option<Id>,
    },
    #[serde(rename = "meeting.update")]
    MeetingUpdate {
        meeting_id: Id,
        #[serde(default)]
        title: Option<String>,
        #[serde(default)]
        kind: Option<MeetingKind>,
        #[serde(default)]
        room: Option<String>,
        #[serde(default, with = "time::serde::rfc3339::option")]
        starts_at: Option<Timestamp>,
        #[serde(default, with = "time::serde::rfc3339::option")]
        ends_at: Option<Timestamp>,
    },
    /// Gửi giấy mời: members see the meeting from now on.
    #[serde(rename = "meeting.publish")]
    MeetingPublish { meeting_id: Id },
    /// Khai mạc / bế mạc: published → in progress → ended.
    #[serde(rename = "meeting.status")]
    MeetingSetStatus {
        meeting_id: Id,
        status: MeetingStatus,
    },
    #[serde(rename = "item.add")]
    ItemAdd {
        item_id: Id,
        meeting_id: Id,
        title: String,
        #[serde(default)]
        presenter: String,
        #[serde(default)]
        planned_minutes: u32,
        /// 1-based; at the end when absent or past the end.
        #[serde(default)]
        position: Option<u32>,
    },
    #[serde(rename = "item.update")]
    ItemUpdate {
        item_id: Id,
        #[serde(default)]
        title: Option<String>,
        #[serde(default)]
        presenter: Option<String>,
        #[serde(default)]
        planned_minutes: Option<u32>,
    },
    #[serde(rename = "item.move")]
    ItemMove { item_id: Id, position: u32 },
    #[serde(rename = "item.remove")]
    ItemRemove { item_id: Id },
    /// Attach an uploaded blob to an agenda item: a new document, or a new version of
    /// `document_id` when it exists already.
    #[serde(rename = "document.attach")]
    DocumentAttach {
        document_id: Id,
        item_id: Id,
        title: String,
        kind: DocumentKind,
        classification: Classification,
        sha256: Sha256,
    },
    #[serde(rename = "member.add")]
    MemberAdd {
        meeting_id: Id,
        user_id: Id,
        role: MeetingRole,
        attendance: Attendance,
    },
    #[serde(rename = "member.remove")]
    MemberRemove { meeting_id: Id, user_id: Id },
    #[serde(rename = "note.put")]
    NotePut {
        note_id: Id,
        #[serde(default)]
        meeting_id: Option<Id>,
        text: String,
        #[serde(with = "time::serde::rfc3339")]
        updated_at: Timestamp,
    },
    #[serde(rename = "note.delete")]
    NoteDelete { note_id: Id },

    // ---- the live meeting: members act for themselves, chair and secretary run it ----
    /// Điểm danh: a member's own check-in, absence or proxy; the chair or the secretary
    /// records it for others.
    #[serde(rename = "attendance.set")]
    AttendanceSet {
        meeting_id: Id,
        user_id: Id,
        state: AttendanceState,
    },
    /// Đăng ký phát biểu / chất vấn.
    #[serde(rename = "speak.request")]
    SpeakRequest {
        request_id: Id,
        meeting_id: Id,
        kind: SpeakKind,
        #[serde(default)]
        item_id: Option<Id>,
    },
    #[serde(rename = "speak.withdraw")]
    SpeakWithdraw { request_id: Id },
    /// The chair gives the floor (ending the current speaker's turn).
    #[serde(rename = "speak.grant")]
    SpeakGrant {
        request_id: Id,
        #[serde(default)]
        limit_seconds: Option<u32>,
    },
    #[serde(rename = "speak.end")]
    SpeakEnd { request_id: Id },
    /// The chair moves the meeting to an agenda item (None: between items).
    #[serde(rename = "agenda.current")]
    AgendaCurrent {
        meeting_id: Id,
        #[serde(default)]
        item_id: Option<Id>,
    },
    /// "Follow the presenter": everyone following jumps to this page.
    #[serde(rename = "present.page")]
    PresentPage {
        meeting_id: Id,
        document_id: Id,
        page: u32,
    },
    #[serde(rename = "present.stop")]
    PresentStop { meeting_id: Id },
    #[serde(rename = "poll.create")]
    PollCreate {
        poll_id: Id,
        meeting_id: Id,
        #[serde(default)]
        item_id: Option<Id>,
        spec: PollSpec,
    },
    #[serde(rename = "poll.open")]
    PollOpen { poll_id: Id },
    #[serde(rename = "poll.close")]
    PollClose { poll_id: Id },
    /// A ballot, signed by the device key over poll, voter, choices and cast time, so it
    /// can be cast offline and judged by when it was cast.
    #[serde(rename = "ballot.cast")]
    BallotCast {
        poll_id: Id,
        /// Whose vote: the caster, or a member whose proxy the caster holds.
        voter_id: Id,
        /// 0-based option indices.
        choices: Vec<u32>,
        #[serde(with = "time::serde::rfc3339")]
        cast_at: Timestamp,
        device_id: Id,
        /// Ed25519 over `poll::ballot_signing_bytes`, standard base64.
        signature: String,
    },
    /// Phiếu lấy ý kiến: open for `days` from when the server receives it.
    #[serde(rename = "opinion.create")]
    OpinionCreate {
        ballot_id: Id,
        meeting_id: Id,
        #[serde(default)]
        document_id: Option<Id>,
        question: String,
        days: u32,
    },
    #[serde(rename = "opinion.answer")]
    OpinionAnswer {
        ballot_id: Id,
        choice: OpinionChoice,
        #[serde(default)]
        comment: String,
        #[serde(with = "time::serde::rfc3339")]
        answered_at: Timestamp,
        device_id: Id,
        /// Ed25519 over `opinion::opinion_signing_bytes`, standard base64.
        signature: String,
    },
    /// Create or replace one of the author's annotations (last writer wins).
    #[serde(rename = "annotation.put")]
    AnnotationPut {
        annotation_id: Id,
        document_id: Id,
        version: u32,
        page: u32,
        #[serde(default)]
        shared: bool,
        body: AnnotationBody,
        #[serde(with = "time::serde::rfc3339")]
        updated_at: Timestamp,
    },
    #[serde(rename = "annotation.delete")]
    AnnotationDelete { annotation_id: Id },
}

impl Op {
    pub fn kind(&self) -> &'static str {
        match self {
            Op::MeetingCreate { .. } => "meeting.create",
            Op::MeetingUpdate { .. } => "meeting.update",
            Op::MeetingPublish { .. } => "meeting.publish",
            Op::MeetingSetStatus { .. } => "meeting.status",
            Op::ItemAdd { .. } => "item.add",
            Op::ItemUpdate { .. } => "item.update",
            Op::ItemMove { .. } => "item.move",
            Op::ItemRemove { .. } => "item.remove",
            Op::DocumentAttach { .. } => "document.attach",
            Op::MemberAdd { .. } => "member.add",
            Op::MemberRemove { .. } => "member.remove",
            Op::NotePut { .. } => "note.put",
            Op::NoteDelete { .. } => "note.delete",
            Op::AttendanceSet { .. } => "attendance.set",
            Op::SpeakRequest { .. } => "speak.request",
            Op::SpeakWithdraw { .. } => "speak.withdraw",
            Op::SpeakGrant { .. } => "speak.grant",
            Op::SpeakEnd { .. } => "speak.end",
            Op::AgendaCurrent { .. } => "agenda.current",
            Op::PresentPage { .. } => "present.page",
            Op::PresentStop { .. } => "present.stop",
            Op::PollCreate { .. } => "poll.create",
            Op::PollOpen { .. } => "poll.open",
            Op::PollClose { .. } => "poll.close",
            Op::BallotCast { .. } => "ballot.cast",
            Op::OpinionCreate { .. } => "opinion.create",
            Op::OpinionAnswer { .. } => "opinion.answer",
            Op::AnnotationPut { .. } => "annotation.put",
            Op::AnnotationDelete { .. } => "annotation.delete",
        }
    }

    /// Only secretaries and admins may send these. (The live-meeting ops are allowed by
    /// the sender's role in the meeting instead.)
    pub fn prepares_meeting(&self) -> bool {
        matches!(
            self,
            Op::MeetingCreate { .. }
                | Op::MeetingUpdate { .. }
                | Op::MeetingPublish { .. }
                | Op::MeetingSetStatus { .. }
                | Op::ItemAdd { .. }
                | Op::ItemUpdate { .. }
                | Op::ItemMove { .. }
                | Op::ItemRemove { .. }
                | Op::DocumentAttach { .. }
                | Op::MemberAdd { .. }
                | Op::MemberRemove { .. }
        )
    }

    /// The meeting an op of the live meeting is about, when the op names it.
    pub fn live_meeting(&self) -> Option<Id> {
        match self {
            Op::AttendanceSet { meeting_id, .. }
            | Op::SpeakRequest { meeting_id, .. }
            | Op::AgendaCurrent { meeting_id, .. }
            | Op::PresentPage { meeting_id, .. }
            | Op::PresentStop { meeting_id }
            | Op::PollCreate { meeting_id, .. }
            | Op::OpinionCreate { meeting_id, .. } => Some(*meeting_id),
            _ => None,
        }
    }

    /// The op as the audit log records it: a ballot's choices and signature are left
    /// out, so the log never links a voter to a choice (secret polls); what a person
    /// writes for themselves — a note, an annotation's text or strokes — is left out
    /// too: the log is kept for good, and deleting a note must take its words away.
    pub fn audit_view(&self) -> serde_json::Value {
        match self {
            Op::BallotCast {
                poll_id, voter_id, ..
            } => {
                serde_json::json!({"type": "ballot.cast", "poll_id": poll_id, "voter_id": voter_id})
            }
            Op::NotePut {
                note_id,
                meeting_id,
                text,
                ..
            } => serde_json::json!({
                "type": "note.put",
                "note_id": note_id,
                "meeting_id": meeting_id,
                "chars": text.chars().count(),
            }),
            Op::AnnotationPut {
                annotation_id,
                document_id,
                version,
                page,
                shared,
                body,
                ..
            } => serde_json::json!({
                "type": "annotation.put",
                "annotation_id": annotation_id,
                "document_id": document_id,
                "version": version,
                "page": page,
                "shared": shared,
                "kind": body.kind(),
            }),
            other => serde_json::to_value(other).unwrap_or_default(),
        }
    }

    /// Checks that need nothing but the op itself.
    pub fn validate(&self) -> Result<(), String> {
        for (what, t) in self.times() {
            check_time(what, t)?;
        }
        match self {
            Op::MeetingCreate {
                title,
                room,
                starts_at,
                ends_at,
                ..
            } => {
                meeting::validate_title("meeting title", title)?;
                check_len("room", room)?;
                meeting::validate_schedule(*starts_at, *ends_at)
            }
            Op::MeetingUpdate { title, room, .. } => {
                if let Some(t) = title {
                    meeting::validate_title("meeting title", t)?;
                }
                if let Some(r) = room {
                    check_len("room", r)?;
                }
                Ok(())
            }
            Op::ItemAdd {
                title,
                presenter,
                planned_minutes,
                position,
                ..
            } => {
                meeting::validate_title("agenda item title", title)?;
                check_len("presenter", presenter)?;
                meeting::validate_planned_minutes(*planned_minutes)?;
                check_position(*position)
            }
            Op::ItemUpdate {
                title,
                presenter,
                planned_minutes,
                ..
            } => {
                if let Some(t) = title {
                    meeting::validate_title("agenda item title", t)?;
                }
                if let Some(p) = presenter {
                    check_len("presenter", p)?;
                }
                if let Some(m) = planned_minutes {
                    meeting::validate_planned_minutes(*m)?;
                }
                Ok(())
            }
            Op::ItemMove { position, .. } => check_position(Some(*position)),
            Op::DocumentAttach { title, .. } => meeting::validate_title("document title", title),
            Op::NotePut { text, .. } => note::validate_note_text(text),
            Op::AttendanceSet { state, .. } => state.validate(),
            Op::SpeakGrant {
                limit_seconds: Some(s),
                ..
            } if *s == 0 || *s > MAX_SPEAK_SECONDS => {
                Err(format!("speaking time is 1 to {MAX_SPEAK_SECONDS} seconds"))
            }
            Op::PresentPage { page: 0, .. } => Err("pages are numbered from 1".into()),
            Op::PollCreate { spec, .. } => spec.validate(),
            Op::BallotCast {
                choices, signature, ..
            } => {
                if choices.len() > crate::poll::MAX_OPTIONS {
                    return Err("too many choices".into());
                }
                check_signature_shape(signature)
            }
            Op::OpinionCreate { question, days, .. } => {
                meeting::validate_title("question", question)?;
                opinion::validate_days(*days)
            }
            Op::OpinionAnswer {
                choice,
                comment,
                signature,
                ..
            } => {
                opinion::validate_answer(*choice, comment)?;
                check_signature_shape(signature)
            }
            Op::AnnotationPut { version, body, .. } => {
                if *version == 0 {
                    return Err("document versions start at 1".into());
                }
                body.validate()
            }
            Op::MeetingPublish { .. }
            | Op::MeetingSetStatus { .. }
            | Op::ItemRemove { .. }
            | Op::MemberAdd { .. }
            | Op::MemberRemove { .. }
            | Op::NoteDelete { .. }
            | Op::SpeakRequest { .. }
            | Op::SpeakWithdraw { .. }
            | Op::SpeakGrant { .. }
            | Op::SpeakEnd { .. }
            | Op::AgendaCurrent { .. }
            | Op::PresentPage { .. }
            | Op::PresentStop { .. }
            | Op::PollOpen { .. }
            | Op::PollClose { .. }
            | Op::AnnotationDelete { .. } => Ok(()),
        }
    }
}

impl Op {
    /// The time stamps the client chose, by name.
    fn times(&self) -> Vec<(&'static str, Timestamp)> {
        match self {
            Op::MeetingCreate {
                starts_at, ends_at, ..
            } => vec![("starts_at", *starts_at), ("ends_at", *ends_at)],
            Op::MeetingUpdate {
                starts_at, ends_at, ..
            } => [("starts_at", *starts_at), ("ends_at", *ends_at)]
                .into_iter()
                .filter_map(|(w, t)| t.map(|t| (w, t)))
                .collect(),
            Op::NotePut { updated_at, .. } | Op::AnnotationPut { updated_at, .. } => {
                vec![("updated_at", *updated_at)]
            }
            Op::BallotCast { cast_at, .. } => vec![("cast_at", *cast_at)],
            Op::OpinionAnswer { answered_at, .. } => vec![("answered_at", *answered_at)],
            _ => Vec::new(),
        }
    }
}

/// The years a time stamp may fall in (UTC). Outside them a time cannot be stored and
/// read back as RFC 3339 (years 0–9999), and no meeting happens then anyway.
pub const YEARS: std::ops::RangeInclusive<i32> = 2000..=2999;

fn check_time(what: &str, t: Timestamp) -> Result<(), String> {
    let year = t.to_offset(time::UtcOffset::UTC).year();
    if YEARS.contains(&year) {
        Ok(())
    } else {
        Err(format!(
            "{what} falls in the year {year}; only {} to {} are accepted",
            YEARS.start(),
            YEARS.end()
        ))
    }
}

/// A base64 Ed25519 signature is 88 characters; the server checks it properly.
fn check_signature_shape(signature: &str) -> Result<(), String> {
    if signature.len() != 88 {
        return Err("the signature must be a base64 Ed25519 signature (64 bytes)".into());
    }
    Ok(())
}

fn check_len(what: &str, s: &str) -> Result<(), String> {
    let n = s.chars().count();
    if n > meeting::MAX_TITLE_CHARS {
        Err(format!(
            "{what} is {n} characters long; at most {} are allowed",
            meeting::MAX_TITLE_CHARS
        ))
    } else {
        Ok(())
    }
}

fn check_position(position: Option<u32>) -> Result<(), String> {
    match position {
        Some(0) => Err("agenda positions start at 1".into()),
        _ => Ok(()),
    }
}

/// An op with the client-made id that makes it idempotent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpEnvelope {
    /// UUIDv7 made by the client when the user acted.
    pub id: Id,
    pub op: Op,
}

/// `POST /api/v1/ops`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpsRequest {
    pub ops: Vec<OpEnvelope>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum OpOutcome {
    Accepted,
    /// This op id was applied before; nothing changed now. (An op id refused before is
    /// answered `Rejected` again, with the first reason.)
    Duplicate,
    Rejected {
        code: ErrorCode,
        message: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpResult {
    pub id: Id,
    #[serde(flatten)]
    pub outcome: OpOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpsResponse {
    pub results: Vec<OpResult>,
    /// The feed's cursor after these ops.
    pub cursor: u64,
}

pub const MAX_OPS_PER_BATCH: usize = 500;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn arb_text() -> impl Strategy<Value = String> {
        proptest::string::string_regex(
            "[a-zA-ZàáạảãâầấậẩẫăằắặẳẵđĐèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹ ]{1,40}",
        )
        .expect("regex")
    }

    fn arb_id() -> impl Strategy<Value = Id> {
        any::<u128>().prop_map(Id::from_u128)
    }

    fn arb_time() -> impl Strategy<Value = Timestamp> {
        (1_600_000_000i64..2_000_000_000)
            .prop_map(|s| Timestamp::from_unix_timestamp(s).expect("in range"))
    }

    fn arb_op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (arb_id(), arb_text(), arb_text(), arb_time()).prop_map(
                |(meeting_id, title, room, t)| Op::MeetingCreate {
                    meeting_id,
                    title,
                    kind: MeetingKind::Regular,
                    room,
                    starts_at: t,
                    ends_at: t + time::Duration::hours(3),
                    org_unit_id: None,
                }
            ),
            (
                arb_id(),
                proptest::option::of(arb_text()),
                proptest::option::of(arb_time())
            )
                .prop_map(|(meeting_id, title, starts_at)| Op::MeetingUpdate {
                    meeting_id,
                    title,
                    kind: Some(MeetingKind::Thematic),
                    room: None,
                    starts_at,
                    ends_at: None,
                }),
            (
                arb_id(),
                arb_id(),
                arb_text(),
                arb_text(),
                0u32..600,
                proptest::option::of(1u32..20)
            )
                .prop_map(
                    |(item_id, meeting_id, title, presenter, planned_minutes, position)| {
                        Op::ItemAdd {
                            item_id,
                            meeting_id,
                            title,
                            presenter,
                            planned_minutes,
                            position,
                        }
                    }
                ),
            (arb_id(), 1u32..30).prop_map(|(item_id, position)| Op::ItemMove { item_id, position }),
            (arb_id(), arb_id(), arb_text(), any::<[u8; 32]>()).prop_map(
                |(document_id, item_id, title, d)| {
                    Op::DocumentAttach {
                        document_id,
                        item_id,
                        title,
                        kind: DocumentKind::DraftResolution,
                        classification: Classification::Internal,
                        sha256: Sha256::from_digest(&d),
                    }
                }
            ),
            (arb_id(), arb_id()).prop_map(|(meeting_id, user_id)| Op::MemberAdd {
                meeting_id,
                user_id,
                role: MeetingRole::Member,
                attendance: Attendance::Remote,
            }),
            (
                arb_id(),
                proptest::option::of(arb_id()),
                arb_text(),
                arb_time()
            )
                .prop_map(|(note_id, meeting_id, text, updated_at)| Op::NotePut {
                    note_id,
                    meeting_id,
                    text,
                    updated_at
                }),
            arb_id().prop_map(|note_id| Op::NoteDelete { note_id }),
            (arb_id(), arb_id(), arb_id(), arb_text()).prop_map(
                |(meeting_id, user_id, to, reason)| {
                    Op::AttendanceSet {
                        meeting_id,
                        user_id,
                        state: AttendanceState::Proxy { to, reason },
                    }
                }
            ),
            (arb_id(), arb_id(), arb_text()).prop_map(|(poll_id, meeting_id, question)| {
                Op::PollCreate {
                    poll_id,
                    meeting_id,
                    item_id: None,
                    spec: PollSpec::motion(&question, crate::poll::PollKind::Secret),
                }
            }),
            (
                arb_id(),
                arb_id(),
                proptest::collection::vec(0u32..5, 0..3),
                arb_time(),
                arb_id()
            )
                .prop_map(|(poll_id, voter_id, choices, cast_at, device_id)| {
                    Op::BallotCast {
                        poll_id,
                        voter_id,
                        choices,
                        cast_at,
                        device_id,
                        signature: "A".repeat(86) + "==",
                    }
                }),
            (arb_id(), arb_text(), arb_time(), arb_id()).prop_map(
                |(ballot_id, comment, answered_at, device_id)| Op::OpinionAnswer {
                    ballot_id,
                    choice: OpinionChoice::Other,
                    comment,
                    answered_at,
                    device_id,
                    signature: "A".repeat(86) + "==",
                }
            ),
            (
                arb_id(),
                arb_id(),
                0u32..500,
                proptest::collection::vec((0f32..600.0, 0f32..850.0, 0f32..1.0), 1..20),
                any::<bool>(),
                arb_time()
            )
                .prop_map(
                    |(annotation_id, document_id, page, pts, shared, updated_at)| {
                        Op::AnnotationPut {
                            annotation_id,
                            document_id,
                            version: 1,
                            page,
                            shared,
                            body: AnnotationBody::Ink {
                                color: "#1f4e9c".into(),
                                width: 1.5,
                                strokes: vec![crate::annotation::InkStroke {
                                    points: pts.into_iter().map(|(x, y, p)| [x, y, p]).collect(),
                                }],
                            },
                            updated_at,
                        }
                    }
                ),
            arb_id().prop_map(|annotation_id| Op::AnnotationDelete { annotation_id }),
        ]
    }

    proptest! {
        #[test]
        fn ops_round_trip_through_json(op in arb_op(), id in arb_id()) {
            let env = OpEnvelope { id, op };
            let json = serde_json::to_string(&env).unwrap();
            prop_assert_eq!(serde_json::from_str::<OpEnvelope>(&json).unwrap(), env);
        }
    }

    #[test]
    fn unknown_kinds_and_fields_are_refused() {
        let id = Id::now_v7();
        assert!(
            serde_json::from_str::<OpEnvelope>(&format!(
                r#"{{"id":"{id}","op":{{"type":"meeting.explode"}}}}"#
            ))
            .is_err()
        );
        assert!(
            serde_json::from_str::<OpEnvelope>(&format!(
                r#"{{"id":"{id}","op":{{"type":"note.delete","note_id":"{id}","x":1}}}}"#
            ))
            .is_err()
        );
        let ok: OpEnvelope = serde_json::from_str(&format!(
            r#"{{"id":"{id}","op":{{"type":"note.delete","note_id":"{id}"}}}}"#
        ))
        .unwrap();
        assert_eq!(ok.op.kind(), "note.delete");
    }

    #[test]
    fn the_audit_view_of_a_ballot_holds_no_choice() {
        let op = Op::BallotCast {
            poll_id: Id::now_v7(),
            voter_id: Id::now_v7(),
            choices: vec![2],
            cast_at: time::macros::datetime!(2026-11-27 08:00 UTC),
            device_id: Id::now_v7(),
            signature: "A".repeat(86) + "==",
        };
        let v = op.audit_view();
        assert_eq!(v["type"], "ballot.cast");
        assert!(v.get("choices").is_none() && v.get("signature").is_none());
        assert!(v.get("cast_at").is_none());
        assert!(!op.prepares_meeting());
    }

    #[test]
    fn the_audit_view_holds_no_words_of_notes_or_annotations() {
        let words = "Ý kiến riêng: phản đối phương án 2";
        let note = Op::NotePut {
            note_id: Id::now_v7(),
            meeting_id: None,
            text: words.into(),
            updated_at: time::macros::datetime!(2026-11-27 08:00 UTC),
        };
        let v = note.audit_view();
        assert_eq!(
            (v["type"].as_str(), v["chars"].as_u64()),
            (Some("note.put"), Some(34))
        );
        let sticky = Op::AnnotationPut {
            annotation_id: Id::now_v7(),
            document_id: Id::now_v7(),
            version: 1,
            page: 3,
            shared: false,
            body: crate::AnnotationBody::Sticky {
                color: "#f1c40f".into(),
                at: [1.0, 2.0],
                text: words.into(),
            },
            updated_at: time::macros::datetime!(2026-11-27 08:00 UTC),
        };
        let a = sticky.audit_view();
        assert_eq!(
            (a["kind"].as_str(), a["page"].as_u64()),
            (Some("sticky"), Some(3))
        );
        for v in [v, a] {
            assert!(!v.to_string().contains("phản đối"), "{v}");
        }
    }

    #[test]
    fn outcomes_have_a_flat_shape() {
        let r = OpResult {
            id: Id::nil(),
            outcome: OpOutcome::Rejected {
                code: ErrorCode::Forbidden,
                message: "không".into(),
            },
        };
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["status"], "rejected");
        assert_eq!(v["code"], "forbidden");
        assert_eq!(serde_json::from_value::<OpResult>(v).unwrap(), r);
    }

    #[test]
    fn validation_catches_bad_values() {
        let t = time::macros::datetime!(2026-11-27 08:00 UTC);
        let bad = Op::MeetingCreate {
            meeting_id: Id::nil(),
            title: "".into(),
            kind: MeetingKind::Regular,
            room: String::new(),
            starts_at: t,
            ends_at: t,
            org_unit_id: None,
        };
        assert!(bad.validate().is_err());
        assert!(
            Op::ItemMove {
                item_id: Id::nil(),
                position: 0
            }
            .validate()
            .is_err()
        );
        assert!(
            Op::NotePut {
                note_id: Id::nil(),
                meeting_id: None,
                text: " ".into(),
                updated_at: t
            }
            .validate()
            .is_err()
        );
    }
}
