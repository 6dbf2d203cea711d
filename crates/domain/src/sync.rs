//! The sync protocol: login, the change feed and the live channel's messages.

use serde::{Deserialize, Serialize};

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

/// Server → client messages on `GET /api/v1/live`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
