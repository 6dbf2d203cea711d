//! Điểm danh: who is present (in the room or remote), who is absent and why, who gave
//! their proxy (ủy quyền) to whom — and the quorum that follows. Every voting member is
//! counted exactly once, whatever proxies they hold.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::counting::{QuorumCheck, Threshold};
use crate::{Id, MeetingRole, Timestamp};

pub const MAX_REASON_CHARS: usize = 500;

/// One member's attendance in one meeting.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case", deny_unknown_fields)]
pub enum AttendanceState {
    /// Có mặt tại phòng họp.
    InRoom,
    /// Dự họp trực tuyến.
    Remote,
    /// Vắng mặt, with the reason (công tác, ốm, …).
    Absent { reason: String },
    /// Vắng mặt, ủy quyền cho another member, who then votes for them.
    Proxy {
        to: Id,
        #[serde(default)]
        reason: String,
    },
}

impl AttendanceState {
    pub fn is_present(&self) -> bool {
        matches!(self, AttendanceState::InRoom | AttendanceState::Remote)
    }

    pub fn validate(&self) -> Result<(), String> {
        let reason = match self {
            AttendanceState::Absent { reason } | AttendanceState::Proxy { reason, .. } => reason,
            _ => return Ok(()),
        };
        if reason.chars().count() > MAX_REASON_CHARS {
            return Err(format!("a reason is at most {MAX_REASON_CHARS} characters"));
        }
        if matches!(self, AttendanceState::Absent { .. }) && reason.trim().is_empty() {
            return Err("an absence needs a reason".into());
        }
        Ok(())
    }

    pub fn label_vi(&self) -> &'static str {
        match self {
            AttendanceState::InRoom => "có mặt",
            AttendanceState::Remote => "trực tuyến",
            AttendanceState::Absent { .. } => "vắng",
            AttendanceState::Proxy { .. } => "ủy quyền",
        }
    }
}

/// Attendance as the feed carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Presence {
    pub meeting_id: Id,
    pub user_id: Id,
    pub state: AttendanceState,
    /// The member themselves, or the secretary who recorded it.
    pub set_by: Id,
    #[serde(with = "time::serde::rfc3339")]
    pub at: Timestamp,
    pub version: u64,
}

/// One member of a meeting with their attendance, if any was recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterEntry {
    pub user_id: Id,
    pub role: MeetingRole,
    pub state: Option<AttendanceState>,
}

/// The meeting's attendance in numbers, over the members who may vote.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttendanceSummary {
    pub members: u32,
    pub in_room: u32,
    pub remote: u32,
    /// Absent but represented by a present proxy holder.
    pub represented: u32,
    /// Absent, or their proxy holder is not present.
    pub absent: u32,
    pub not_checked_in: u32,
    /// in_room + remote + represented.
    pub present: u32,
}

impl AttendanceSummary {
    pub fn quorum(&self, threshold: Option<Threshold>) -> QuorumCheck {
        match threshold {
            Some(q) => QuorumCheck {
                present: self.present,
                members: self.members,
                threshold: Some(q),
                required: q.required(self.members),
                met: q.met(self.present, self.members),
            },
            None => QuorumCheck {
                present: self.present,
                members: self.members,
                threshold: None,
                required: 0,
                met: true,
            },
        }
    }
}

/// A meeting's members and their attendance.
pub struct Roster<'a> {
    by_user: HashMap<Id, &'a RosterEntry>,
    entries: &'a [RosterEntry],
}

impl<'a> Roster<'a> {
    pub fn new(entries: &'a [RosterEntry]) -> Roster<'a> {
        Roster {
            by_user: entries.iter().map(|e| (e.user_id, e)).collect(),
            entries,
        }
    }

    fn state(&self, user: Id) -> Option<&'a AttendanceState> {
        self.by_user.get(&user).and_then(|e| e.state.as_ref())
    }

    pub fn votes(&self, user: Id) -> bool {
        self.by_user.get(&user).is_some_and(|e| e.role.votes())
    }

    /// The member holding `principal`'s proxy, when that proxy is in effect: the
    /// principal is not present and the holder is.
    pub fn proxy_holder(&self, principal: Id) -> Option<Id> {
        match self.state(principal) {
            Some(AttendanceState::Proxy { to, .. })
                if self.votes(*to) && self.state(*to).is_some_and(|s| s.is_present()) =>
            {
                Some(*to)
            }
            _ => None,
        }
    }

    pub fn summary(&self) -> AttendanceSummary {
        let mut s = AttendanceSummary::default();
        for e in self.entries.iter().filter(|e| e.role.votes()) {
            s.members += 1;
            match &e.state {
                Some(AttendanceState::InRoom) => s.in_room += 1,
                Some(AttendanceState::Remote) => s.remote += 1,
                Some(AttendanceState::Proxy { .. }) if self.proxy_holder(e.user_id).is_some() => {
                    s.represented += 1
                }
                Some(AttendanceState::Proxy { .. } | AttendanceState::Absent { .. }) => {
                    s.absent += 1
                }
                None => s.not_checked_in += 1,
            }
        }
        s.present = s.in_room + s.remote + s.represented;
        s
    }

    /// Whether `principal` may give their proxy to `holder` now.
    pub fn check_proxy(&self, principal: Id, holder: Id) -> Result<(), String> {
        if principal == holder {
            return Err("a member cannot give their proxy to themselves".into());
        }
        if !self.votes(principal) {
            return Err("only a member who votes can give a proxy".into());
        }
        if !self.votes(holder) {
            return Err("a proxy goes to another member who votes in this meeting".into());
        }
        if matches!(self.state(holder), Some(AttendanceState::Proxy { .. })) {
            return Err("that member has given their own proxy away; proxies do not chain".into());
        }
        let holds: Vec<Id> = self
            .entries
            .iter()
            .filter(
                |e| matches!(&e.state, Some(AttendanceState::Proxy { to, .. }) if *to == principal),
            )
            .map(|e| e.user_id)
            .collect();
        if !holds.is_empty() {
            return Err(format!(
                "this member holds {} proxy(ies) of others; those must be returned first (proxies do not chain)",
                holds.len()
            ));
        }
        Ok(())
    }

    /// Whether `caster` may cast the ballot of `voter` (themselves, or a principal whose
    /// proxy they hold). A caster with no attendance yet is checked in by casting.
    pub fn may_cast(&self, caster: Id, voter: Id) -> Result<(), String> {
        if !self.by_user.contains_key(&caster) {
            return Err("you are not a member of this meeting".into());
        }
        if !self.votes(caster) {
            return Err("your role in this meeting does not include voting".into());
        }
        match self.state(caster) {
            Some(AttendanceState::Proxy { .. }) if caster == voter => {
                return Err(
                    "you gave your proxy to another member, who votes for you; check in to vote yourself".into(),
                );
            }
            Some(AttendanceState::Absent { .. } | AttendanceState::Proxy { .. }) => {
                return Err("you are recorded as absent; check in to vote".into());
            }
            _ => {}
        }
        if caster == voter {
            return Ok(());
        }
        if !self.votes(voter) {
            return Err("that person does not vote in this meeting".into());
        }
        match self.state(voter) {
            Some(AttendanceState::Proxy { to, .. }) if *to == caster => Ok(()),
            _ => Err("you do not hold that member's proxy".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn member(n: u128, state: Option<AttendanceState>) -> RosterEntry {
        RosterEntry {
            user_id: Id::from_u128(n),
            role: MeetingRole::Member,
            state,
        }
    }

    fn id(n: u128) -> Id {
        Id::from_u128(n)
    }

    #[test]
    fn proxies_represent_only_through_a_present_holder() {
        let proxy_to = |to| {
            Some(AttendanceState::Proxy {
                to: id(to),
                reason: "đi công tác".into(),
            })
        };
        let entries = vec![
            member(1, Some(AttendanceState::InRoom)),
            member(2, Some(AttendanceState::Remote)),
            member(3, proxy_to(1)),
            member(4, proxy_to(5)),
            member(
                5,
                Some(AttendanceState::Absent {
                    reason: "ốm".into(),
                }),
            ),
            member(6, None),
            RosterEntry {
                user_id: id(7),
                role: MeetingRole::Guest,
                state: Some(AttendanceState::InRoom),
            },
        ];
        let roster = Roster::new(&entries);
        let s = roster.summary();
        assert_eq!(
            (
                s.members,
                s.in_room,
                s.remote,
                s.represented,
                s.absent,
                s.not_checked_in,
                s.present
            ),
            (6, 1, 1, 1, 2, 1, 3)
        );
        assert!(roster.may_cast(id(1), id(3)).is_ok());
        assert!(roster.may_cast(id(2), id(3)).is_err(), "not the holder");
        assert!(roster.may_cast(id(3), id(3)).is_err(), "gave the proxy");
        assert!(roster.may_cast(id(7), id(7)).is_err(), "a guest");
        assert!(roster.may_cast(id(6), id(6)).is_ok(), "checks in by voting");
        assert!(roster.may_cast(id(99), id(99)).is_err(), "not a member");
        assert!(
            roster.check_proxy(id(1), id(2)).is_err(),
            "1 holds 3's proxy"
        );
        assert!(roster.check_proxy(id(2), id(3)).is_err(), "3 gave theirs");
        assert!(roster.check_proxy(id(2), id(2)).is_err());
        assert!(roster.check_proxy(id(2), id(7)).is_err(), "a guest");
        assert!(roster.check_proxy(id(2), id(6)).is_ok());
        assert_eq!(s.quorum(Some(Threshold::TWO_THIRDS)).required, 4);
        assert!(!s.quorum(Some(Threshold::TWO_THIRDS)).met);
    }

    fn arb_state(n: u128) -> impl Strategy<Value = Option<AttendanceState>> {
        prop_oneof![
            Just(None),
            Just(Some(AttendanceState::InRoom)),
            Just(Some(AttendanceState::Remote)),
            Just(Some(AttendanceState::Absent { reason: "x".into() })),
            (0..n).prop_map(|to| Some(AttendanceState::Proxy {
                to: Id::from_u128(to),
                reason: String::new()
            })),
        ]
    }

    fn arb_roster() -> impl Strategy<Value = Vec<RosterEntry>> {
        (1u128..40).prop_flat_map(|n| {
            proptest::collection::vec((arb_state(n), any::<bool>()), n as usize).prop_map(
                |states| {
                    states
                        .into_iter()
                        .enumerate()
                        .map(|(i, (state, guest))| RosterEntry {
                            user_id: Id::from_u128(i as u128),
                            role: if guest && i % 5 == 0 {
                                MeetingRole::Guest
                            } else {
                                MeetingRole::Member
                            },
                            state,
                        })
                        .collect()
                },
            )
        })
    }

    proptest! {
        #[test]
        fn every_member_is_counted_once(entries in arb_roster()) {
            let roster = Roster::new(&entries);
            let s = roster.summary();
            let voters = entries.iter().filter(|e| e.role.votes()).count() as u32;
            prop_assert_eq!(s.members, voters);
            prop_assert_eq!(s.in_room + s.remote + s.represented + s.absent + s.not_checked_in, s.members);
            prop_assert_eq!(s.present, s.in_room + s.remote + s.represented);
            prop_assert!(s.present <= s.members);
            // However many proxies one holder has, each principal adds one, and only once.
            let holders: std::collections::HashSet<Id> = entries.iter().filter_map(|e| roster.proxy_holder(e.user_id)).collect();
            for h in holders {
                prop_assert!(entries.iter().any(|e| e.user_id == h && e.state.as_ref().is_some_and(|s| s.is_present())));
            }
        }

        #[test]
        fn each_ballot_slot_has_exactly_one_possible_caster_at_a_time(entries in arb_roster()) {
            // A member's vote can be cast by themselves or by their proxy holder, never both.
            let roster = Roster::new(&entries);
            for voter in &entries {
                let casters: Vec<Id> = entries.iter().map(|c| c.user_id).filter(|&c| roster.may_cast(c, voter.user_id).is_ok()).collect();
                prop_assert!(casters.len() <= 1, "{:?} may be cast by {:?}", voter.user_id, casters);
            }
        }
    }
}
