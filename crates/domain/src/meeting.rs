//! Meetings (cuộc họp / phiên họp), their members and their agenda (chương trình).

use serde::{Deserialize, Serialize};

use crate::{Id, Timestamp};

/// Loại cuộc họp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeetingKind {
    /// Phiên họp thường kỳ.
    Regular,
    /// Phiên họp chuyên đề / bất thường.
    Thematic,
    /// Hội nghị trực tuyến.
    Online,
    /// Cuộc họp giao ban, làm việc.
    Working,
}

/// Where a meeting is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeetingStatus {
    /// Being prepared; only secretaries and admins see it.
    Draft,
    /// Sent to its members.
    Published,
    InProgress,
    Ended,
}

impl MeetingStatus {
    /// Members (not only secretaries) see the meeting.
    pub fn is_visible_to_members(self) -> bool {
        !matches!(self, MeetingStatus::Draft)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meeting {
    pub id: Id,
    pub title: String,
    pub kind: MeetingKind,
    /// Phòng họp, e.g. "Phòng họp số 1, trụ sở UBND tỉnh".
    pub room: String,
    #[serde(with = "time::serde::rfc3339")]
    pub starts_at: Timestamp,
    #[serde(with = "time::serde::rfc3339")]
    pub ends_at: Timestamp,
    pub status: MeetingStatus,
    pub org_unit_id: Option<Id>,
}

/// A member's role within one meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeetingRole {
    Chair,
    Secretary,
    Member,
    /// Khách mời: reads the pack, does not vote.
    Guest,
}

impl MeetingRole {
    /// Chair and members vote; the secretary (staff) and guests do not.
    pub fn votes(self) -> bool {
        matches!(self, MeetingRole::Chair | MeetingRole::Member)
    }

    /// Chair and secretary run the meeting: attendance for others, the floor, polls,
    /// the current item.
    pub fn runs_meeting(self) -> bool {
        matches!(self, MeetingRole::Chair | MeetingRole::Secretary)
    }
}

/// How a member takes part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Attendance {
    /// Dự họp tại phòng họp.
    InRoom,
    /// Dự họp trực tuyến (district or commune site).
    Remote,
}

/// Thành phần tham dự: one user's place in one meeting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    pub meeting_id: Id,
    pub user_id: Id,
    pub role: MeetingRole,
    pub attendance: Attendance,
}

/// Nội dung trong chương trình họp.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgendaItem {
    pub id: Id,
    pub meeting_id: Id,
    /// 1-based place in the agenda; positions of one meeting are 1..=n without gaps.
    pub position: u32,
    pub title: String,
    /// Cơ quan / người trình bày, e.g. "Sở Thông tin và Truyền thông".
    pub presenter: String,
    pub planned_minutes: u32,
}

pub const MAX_TITLE_CHARS: usize = 500;
pub const MAX_PLANNED_MINUTES: u32 = 24 * 60;

/// A title is required, and no novel.
pub fn validate_title(what: &str, title: &str) -> Result<(), String> {
    let chars = title.trim().chars().count();
    if chars == 0 {
        return Err(format!("{what} must not be empty"));
    }
    if chars > MAX_TITLE_CHARS {
        return Err(format!(
            "{what} is {chars} characters long; at most {MAX_TITLE_CHARS} are allowed"
        ));
    }
    Ok(())
}

pub fn validate_schedule(starts_at: Timestamp, ends_at: Timestamp) -> Result<(), String> {
    if ends_at <= starts_at {
        return Err("a meeting must end after it starts".into());
    }
    if ends_at - starts_at > time::Duration::days(14) {
        return Err("a meeting may last at most 14 days".into());
    }
    Ok(())
}

pub fn validate_planned_minutes(minutes: u32) -> Result<(), String> {
    if minutes > MAX_PLANNED_MINUTES {
        return Err(format!("planned minutes {minutes} exceed one day"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn meeting_round_trips_with_vietnamese_text() {
        let m = Meeting {
            id: Id::now_v7(),
            title: "Phiên họp thường kỳ tháng 11 của UBND tỉnh Quảng Bình".into(),
            kind: MeetingKind::Regular,
            room: "Phòng họp số 1".into(),
            starts_at: datetime!(2026-11-27 08:00 +07:00),
            ends_at: datetime!(2026-11-27 11:30 +07:00),
            status: MeetingStatus::Published,
            org_unit_id: None,
        };
        let json = serde_json::to_string(&m).unwrap();
        assert!(json.contains("\"starts_at\":\"2026-11-27T08:00:00+07:00\""));
        assert_eq!(serde_json::from_str::<Meeting>(&json).unwrap(), m);
    }

    #[test]
    fn titles_and_schedules_are_checked() {
        assert!(validate_title("title", "  ").is_err());
        assert!(validate_title("title", &"ạ".repeat(501)).is_err());
        assert!(validate_title("title", &"ạ".repeat(500)).is_ok());
        let t = datetime!(2026-11-27 08:00 +07:00);
        assert!(validate_schedule(t, t).is_err());
        assert!(validate_schedule(t, t + time::Duration::hours(2)).is_ok());
        assert!(validate_planned_minutes(24 * 60 + 1).is_err());
    }

    #[test]
    fn drafts_are_hidden_from_members() {
        assert!(!MeetingStatus::Draft.is_visible_to_members());
        assert!(MeetingStatus::Published.is_visible_to_members());
        assert!(MeetingStatus::Ended.is_visible_to_members());
    }
}
