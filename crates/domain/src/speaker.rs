//! Đăng ký phát biểu: the speaker queue (speak or question), the floor the chair gives
//! and ends, the speaking timer everyone sees, and the history — plus the meeting's
//! progress through its agenda and "follow the presenter".

use serde::{Deserialize, Serialize};

use crate::{Id, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpeakKind {
    /// Phát biểu.
    Speak,
    /// Chất vấn.
    Question,
}

impl SpeakKind {
    pub fn label_vi(self) -> &'static str {
        match self {
            SpeakKind::Speak => "phát biểu",
            SpeakKind::Question => "chất vấn",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpeakStatus {
    Waiting,
    /// Has the floor.
    Speaking,
    Done,
    Withdrawn,
}

impl SpeakStatus {
    pub fn is_active(self) -> bool {
        matches!(self, SpeakStatus::Waiting | SpeakStatus::Speaking)
    }
}

pub const MAX_SPEAK_SECONDS: u32 = 3 * 3600;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpeakRequest {
    pub id: Id,
    pub meeting_id: Id,
    pub item_id: Option<Id>,
    pub user_id: Id,
    pub kind: SpeakKind,
    pub status: SpeakStatus,
    /// Place in the queue: the server's sequence number when the request arrived
    /// (u64::MAX while it waits in this device's outbox).
    pub order: u64,
    #[serde(with = "time::serde::rfc3339")]
    pub requested_at: Timestamp,
    #[serde(with = "time::serde::rfc3339::option")]
    pub granted_at: Option<Timestamp>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub ended_at: Option<Timestamp>,
    /// The speaking time the chair gave, if limited.
    pub limit_seconds: Option<u32>,
    pub version: u64,
}

impl SpeakRequest {
    /// Seconds left of the speaking time (negative: over time), while speaking.
    pub fn remaining_seconds(&self, now: Timestamp) -> Option<i64> {
        let (granted, limit) = (self.granted_at?, self.limit_seconds?);
        if self.status != SpeakStatus::Speaking {
            return None;
        }
        Some(i64::from(limit) - (now - granted).whole_seconds())
    }
}

/// The waiting requests in queue order.
pub fn queue(requests: &[SpeakRequest]) -> Vec<&SpeakRequest> {
    let mut q: Vec<&SpeakRequest> = requests
        .iter()
        .filter(|r| r.status == SpeakStatus::Waiting)
        .collect();
    q.sort_by_key(|r| (r.order, r.requested_at, r.id));
    q
}

/// 1-based place of a request in the queue.
pub fn queue_position(requests: &[SpeakRequest], id: Id) -> Option<usize> {
    queue(requests)
        .iter()
        .position(|r| r.id == id)
        .map(|p| p + 1)
}

pub fn current_speaker(requests: &[SpeakRequest]) -> Option<&SpeakRequest> {
    requests
        .iter()
        .filter(|r| r.status == SpeakStatus::Speaking)
        .max_by_key(|r| r.granted_at)
}

/// Past turns, oldest first.
pub fn history(requests: &[SpeakRequest]) -> Vec<&SpeakRequest> {
    let mut h: Vec<&SpeakRequest> = requests
        .iter()
        .filter(|r| r.status == SpeakStatus::Done)
        .collect();
    h.sort_by_key(|r| (r.granted_at, r.order));
    h
}

/// The page a presenter shows; followers' viewers jump there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Presentation {
    pub presenter_id: Id,
    pub document_id: Id,
    /// 1-based.
    pub page: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub at: Timestamp,
}

/// Where a meeting is: the current agenda item since when, and what is being presented.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingProgress {
    pub meeting_id: Id,
    pub current_item: Option<Id>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub item_started_at: Option<Timestamp>,
    pub presentation: Option<Presentation>,
    pub version: u64,
}

impl MeetingProgress {
    /// Seconds left of the current item's planned time (negative: over time).
    pub fn item_remaining_seconds(&self, planned_minutes: u32, now: Timestamp) -> Option<i64> {
        let started = self.item_started_at?;
        self.current_item?;
        Some(i64::from(planned_minutes) * 60 - (now - started).whole_seconds())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn req(n: u128, order: u64, status: SpeakStatus) -> SpeakRequest {
        SpeakRequest {
            id: Id::from_u128(n),
            meeting_id: Id::nil(),
            item_id: None,
            user_id: Id::from_u128(100 + n),
            kind: SpeakKind::Speak,
            status,
            order,
            requested_at: datetime!(2026-11-27 09:00 +07:00),
            granted_at: None,
            ended_at: None,
            limit_seconds: None,
            version: order,
        }
    }

    #[test]
    fn the_queue_is_in_arrival_order_and_skips_the_rest() {
        let rs = vec![
            req(1, 30, SpeakStatus::Waiting),
            req(2, 10, SpeakStatus::Waiting),
            req(3, 5, SpeakStatus::Withdrawn),
            req(4, 7, SpeakStatus::Done),
            req(5, u64::MAX, SpeakStatus::Waiting),
        ];
        let q: Vec<u128> = queue(&rs).iter().map(|r| r.id.as_u128()).collect();
        assert_eq!(q, vec![2, 1, 5]);
        assert_eq!(queue_position(&rs, Id::from_u128(1)), Some(2));
        assert_eq!(queue_position(&rs, Id::from_u128(3)), None);
        assert_eq!(history(&rs).len(), 1);
    }

    #[test]
    fn timers_count_down_and_over() {
        let mut r = req(1, 1, SpeakStatus::Speaking);
        r.granted_at = Some(datetime!(2026-11-27 09:00 +07:00));
        r.limit_seconds = Some(300);
        assert_eq!(
            r.remaining_seconds(datetime!(2026-11-27 09:01 +07:00)),
            Some(240)
        );
        assert_eq!(
            r.remaining_seconds(datetime!(2026-11-27 09:06 +07:00)),
            Some(-60)
        );
        let p = MeetingProgress {
            meeting_id: Id::nil(),
            current_item: Some(Id::nil()),
            item_started_at: Some(datetime!(2026-11-27 09:00 +07:00)),
            presentation: None,
            version: 1,
        };
        assert_eq!(
            p.item_remaining_seconds(30, datetime!(2026-11-27 09:10 +07:00)),
            Some(1200)
        );
    }
}
