//! The sync protocol: login, the change feed and the live channel's messages.

use serde::{Deserialize, Serialize};

use crate::attendance::Presence;
use crate::opinion::{OpinionAnswer, OpinionBallot};
use crate::poll::{Ballot, Poll};
use crate::speaker::{MeetingProgress, SpeakRequest};
use crate::{
    AgendaItem, Annotation, Document, Id, Meeting, Membership, Note, OrgUnit, Timestamp, User,
};

/// The device a session is opened from; its Ed25519 key signs ballots and ops.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceInfo {
    pub id: Id,
    pub name: String,
    /// 32 bytes, standard base64.
    pub public_key: String,
}

/// `POST /api/v1/sessions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
    pub device: DeviceInfo,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginResponse {
    /// Bearer token; the server keeps only its hash.
    pub token: String,
    pub user: User,
    #[serde(with = "time::serde::rfc3339")]
    pub server_time: Timestamp,
}

/// One entry of the change feed. Entities come whole; removals come as tombstones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Change {
    User(User),
    OrgUnit(OrgUnit),
    Meeting(Meeting),
    Member(Membership),
    AgendaItem(AgendaItem),
    Document(Document),
    Note(Note),
    Annotation(Annotation),
    MemberRemoved {
        meeting_id: Id,
        user_id: Id,
    },
    AgendaItemRemoved {
        meeting_id: Id,
        item_id: Id,
    },
    /// Removed from its meeting, or no longer visible to the caller (a confidential
    /// document, for a secretary who is not, or no longer, a member): drop it and its file.
    DocumentRemoved {
        meeting_id: Id,
        document_id: Id,
    },
    NoteDeleted {
        note_id: Id,
    },
    /// Deleted by its author, or no longer shared with the caller.
    AnnotationDeleted {
        annotation_id: Id,
    },
    /// The caller may no longer see this meeting (removed from it, or it went back to
    /// draft): drop every row and blob of it.
    MeetingRevoked {
        meeting_id: Id,
    },
    Poll(Box<Poll>),
    /// The caller's own ballots (cast by them or for them), and every ballot of a named poll.
    Ballot(Ballot),
    Presence(Presence),
    SpeakRequest(SpeakRequest),
    Progress(MeetingProgress),
    Opinion(OpinionBallot),
    /// The caller's own answers; the chair and secretaries see everyone's.
    OpinionAnswer(OpinionAnswer),
}

impl Change {
    /// The version of a live-meeting entity, for newer-wins on the client.
    pub fn version(&self) -> Option<u64> {
        match self {
            Change::Poll(p) => Some(p.version),
            Change::Ballot(b) => Some(b.version),
            Change::Presence(p) => Some(p.version),
            Change::SpeakRequest(r) => Some(r.version),
            Change::Progress(p) => Some(p.version),
            Change::Opinion(o) => Some(o.version),
            Change::OpinionAnswer(a) => Some(a.version),
            _ => None,
        }
    }
}

/// `GET /api/v1/changes?since=CURSOR&limit=N`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangesPage {
    pub changes: Vec<Change>,
    /// Pass as `since` for the next page.
    pub cursor: u64,
    /// More changes wait after this page.
    pub more: bool,
}

/// The read buffer of the live channel's WebSocket, at both ends. Live messages are
/// small, and tungstenite zeroes its whole read buffer before every read: the default
/// 128 KiB cost the server 9–12 % of its CPU with 1,000 clients connected.
pub const LIVE_READ_BUFFER: usize = 4096;

/// Server → client messages on `GET /api/v1/live`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LiveMessage {
    /// Sent once on connect.
    Hello { cursor: u64 },
    /// The feed moved: pull.
    Changed { cursor: u64 },
    Heartbeat {
        #[serde(with = "time::serde::rfc3339")]
        at: Timestamp,
    },
    /// Something of a live meeting the caller belongs to changed: the new state of the
    /// entities, exactly as the feed will carry them (the feed stays the truth; this
    /// only spares a round trip). Sent to the meeting's members, secretaries and admins.
    Meeting {
        meeting_id: Id,
        /// The feed position these states were committed at. The feed may hold more
        /// up to here (other meetings, the caller's own rows): a client pulls when this
        /// is past its cursor, as for `changed`, which the server then does not send.
        cursor: u64,
        changes: Vec<Change>,
        /// Server time, for timers.
        #[serde(with = "time::serde::rfc3339")]
        at: Timestamp,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Attendance, MeetingRole, Role};

    #[test]
    fn changes_round_trip_with_a_type_tag() {
        let changes = vec![
            Change::User(User {
                id: Id::now_v7(),
                username: "daibieu01".into(),
                full_name: "Lê Thị Hồng Nhung".into(),
                role: Role::Delegate,
                title: "Giám đốc Sở".into(),
                org_unit_id: None,
                disabled: false,
            }),
            Change::Member(Membership {
                meeting_id: Id::now_v7(),
                user_id: Id::now_v7(),
                role: MeetingRole::Member,
                attendance: Attendance::InRoom,
            }),
            Change::MeetingRevoked {
                meeting_id: Id::now_v7(),
            },
        ];
        let page = ChangesPage {
            changes,
            cursor: 42,
            more: false,
        };
        let json = serde_json::to_value(&page).unwrap();
        assert_eq!(json["changes"][0]["type"], "user");
        assert_eq!(json["changes"][2]["type"], "meeting_revoked");
        assert_eq!(serde_json::from_value::<ChangesPage>(json).unwrap(), page);
    }

    #[test]
    fn live_messages_are_tagged() {
        let m = LiveMessage::Changed { cursor: 7 };
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"type":"changed","cursor":7}"#
        );
    }
}
