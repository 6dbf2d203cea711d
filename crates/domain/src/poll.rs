//! Biểu quyết tại phiên họp: live polls, their ballots, and what a device signs when it
//! casts one (possibly offline).

use serde::{Deserialize, Serialize};

use crate::counting::{Count, CountingRule, PollMode, PollResult};
use crate::{Id, Timestamp};

/// Who sees what.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PollKind {
    /// Biểu quyết công khai: counts are shown live; who voted what is not published.
    Open,
    /// Biểu quyết ghi danh: who voted what is public to the meeting.
    Named,
    /// Bỏ phiếu kín: the server keeps no link from a voter to a choice; only turnout is
    /// shown until the poll closes (live counts would reveal each vote by difference).
    Secret,
}

impl PollKind {
    pub fn parse(s: &str) -> Result<PollKind, String> {
        match s {
            "open" | "cong-khai" => Ok(PollKind::Open),
            "named" | "ghi-danh" => Ok(PollKind::Named),
            "secret" | "kin" => Ok(PollKind::Secret),
            other => Err(format!(
                "{other:?} is not a poll kind; expected open, named or secret"
            )),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PollStatus {
    /// Prepared, not yet open.
    Draft,
    Open,
    Closed,
}

/// The default options of a motion.
pub fn default_options() -> Vec<String> {
    vec![
        "Tán thành".into(),
        "Không tán thành".into(),
        "Không biểu quyết".into(),
    ]
}

pub const MAX_OPTIONS: usize = 50;
pub const MAX_GRACE_SECONDS: u32 = 24 * 3600;
pub const MAX_DURATION_SECONDS: u32 = 24 * 3600;

/// What a poll is about and how it is decided; fixed once it opens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PollSpec {
    pub question: String,
    pub kind: PollKind,
    pub mode: PollMode,
    pub options: Vec<String>,
    /// 1 for a motion; up to this many options per ballot in an election.
    pub max_choices: u32,
    pub rule: CountingRule,
    /// A voter may change their ballot until the poll closes (never in a secret poll).
    pub allow_recast: bool,
    /// When set, the poll closes by itself this long after it opens.
    pub duration_seconds: Option<u32>,
    /// Ballots cast before the close that arrive within this long after it still count.
    pub grace_seconds: u32,
}

impl PollSpec {
    /// A motion with the default options, decided by the council rule.
    pub fn motion(question: &str, kind: PollKind) -> PollSpec {
        PollSpec {
            question: question.into(),
            kind,
            mode: PollMode::Motion,
            options: default_options(),
            max_choices: 1,
            rule: CountingRule::council(),
            allow_recast: false,
            duration_seconds: None,
            grace_seconds: 0,
        }
    }

    pub fn validate(&self) -> Result<(), String> {
        crate::meeting::validate_title("question", &self.question)?;
        if self.options.len() < 2 || self.options.len() > MAX_OPTIONS {
            return Err(format!(
                "a poll has 2 to {MAX_OPTIONS} options, not {}",
                self.options.len()
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for o in &self.options {
            crate::meeting::validate_title("option", o)?;
            if !seen.insert(o.trim().to_lowercase()) {
                return Err(format!("option {o:?} appears twice"));
            }
        }
        match self.mode {
            crate::counting::PollMode::Motion if self.max_choices != 1 => {
                return Err("a motion takes exactly one choice per ballot".into());
            }
            crate::counting::PollMode::Election
                if self.max_choices == 0 || self.max_choices as usize > self.options.len() =>
            {
                return Err(format!(
                    "max_choices must be between 1 and the number of options ({})",
                    self.options.len()
                ));
            }
            _ => {}
        }
        if self.kind == PollKind::Secret && self.allow_recast {
            return Err("a secret ballot cannot be changed: nothing links it to its voter".into());
        }
        // Counts published at the close, then moved by one late ballot, would show how
        // that one voter voted.
        if self.kind == PollKind::Secret && self.grace_seconds > 0 {
            return Err(
                "a secret ballot takes no late ballots (grace 0): one arriving after the count was shown would reveal its vote".into(),
            );
        }
        if self.grace_seconds > MAX_GRACE_SECONDS {
            return Err(format!("grace is at most {MAX_GRACE_SECONDS} s"));
        }
        if let Some(d) = self.duration_seconds
            && (d == 0 || d > MAX_DURATION_SECONDS)
        {
            return Err(format!(
                "a poll's duration is 1 to {MAX_DURATION_SECONDS} s"
            ));
        }
        self.rule.validate()
    }

    /// Checks one ballot's choices against the spec.
    pub fn validate_choices(&self, choices: &[u32]) -> Result<(), String> {
        let min = match self.mode {
            crate::counting::PollMode::Motion => 1,
            // A blank ballot (phiếu trắng) is a valid ballot in an election.
            crate::counting::PollMode::Election => 0,
        };
        if choices.len() < min || choices.len() > self.max_choices as usize {
            return Err(match self.mode {
                crate::counting::PollMode::Motion => "choose exactly one option".into(),
                crate::counting::PollMode::Election => {
                    format!("choose at most {} option(s)", self.max_choices)
                }
            });
        }
        let mut seen = std::collections::HashSet::new();
        for &c in choices {
            if c as usize >= self.options.len() {
                return Err(format!(
                    "option {} does not exist; the poll has {}",
                    c + 1,
                    self.options.len()
                ));
            }
            if !seen.insert(c) {
                return Err(format!("option {} is chosen twice", c + 1));
            }
        }
        Ok(())
    }
}

/// Running counts.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Tally {
    /// Ballots received.
    pub cast: u32,
    /// Votes per option; None while a secret poll is open.
    pub votes: Option<Vec<u32>>,
}

/// A live poll as the feed and the live channel carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Poll {
    pub id: Id,
    pub meeting_id: Id,
    pub item_id: Option<Id>,
    pub spec: PollSpec,
    pub status: PollStatus,
    #[serde(with = "time::serde::rfc3339::option")]
    pub opened_at: Option<Timestamp>,
    /// When a poll with a duration closes by itself.
    #[serde(with = "time::serde::rfc3339::option")]
    pub closes_at: Option<Timestamp>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub closed_at: Option<Timestamp>,
    pub tally: Tally,
    /// Set at the close from the numbers then (members and presence frozen); a ballot
    /// arriving within the grace updates it.
    pub result: Option<PollResult>,
    pub created_by: Id,
    /// The feed position of this state; newer wins on the client.
    pub version: u64,
}

impl Poll {
    /// The last moment a ballot may arrive and still count.
    pub fn deadline(&self) -> Option<Timestamp> {
        self.closed_at
            .map(|c| c + time::Duration::seconds(i64::from(self.spec.grace_seconds)))
    }

    /// Whether results can still change (open, or closed but within the grace).
    pub fn is_final(&self, now: Timestamp) -> bool {
        self.status == PollStatus::Closed && self.deadline().is_some_and(|d| now > d)
    }

    /// What a voter may be told of the ballot rules, e.g. for the client's checks.
    pub fn accepts_ballot_at(&self, cast_at: Timestamp, received: Timestamp) -> Result<(), String> {
        ballot_timing(
            self.status,
            self.opened_at,
            self.closed_at,
            self.spec.grace_seconds,
            cast_at,
            received,
        )
    }

    /// A preview of the result with the current counts (for open polls with counts).
    pub fn preview(&self, members: u32, present: u32) -> Option<PollResult> {
        let votes = self.tally.votes.clone()?;
        Some(crate::counting::decide(
            &self.spec.rule,
            self.spec.mode,
            self.spec.max_choices,
            &self.spec.options,
            &Count {
                members,
                present,
                cast: self.tally.cast,
                votes,
            },
        ))
    }
}

/// How far a device clock may run ahead of the server's before a ballot is refused.
pub const MAX_CLOCK_SKEW_SECONDS: i64 = 120;

fn hms(t: Timestamp) -> String {
    let vn = time::UtcOffset::from_hms(7, 0, 0).unwrap_or(time::UtcOffset::UTC);
    t.to_offset(vn)
        .format(time::macros::format_description!(
            "[hour]:[minute]:[second] [day]/[month]/[year]"
        ))
        .unwrap_or_default()
}

/// The deadline rule of DESIGN.md "Votes": a ballot counts when it was cast while the
/// poll was open and reaches the server no later than close + grace.
pub fn ballot_timing(
    status: PollStatus,
    opened_at: Option<Timestamp>,
    closed_at: Option<Timestamp>,
    grace_seconds: u32,
    cast_at: Timestamp,
    received: Timestamp,
) -> Result<(), String> {
    if cast_at > received + time::Duration::seconds(MAX_CLOCK_SKEW_SECONDS) {
        return Err(format!(
            "the ballot says it was cast at {}, in the future; check the device's clock",
            hms(cast_at)
        ));
    }
    match (status, opened_at, closed_at) {
        (PollStatus::Draft, _, _) | (_, None, _) => Err("the poll is not open yet".into()),
        (PollStatus::Open, Some(opened), _) => {
            if cast_at + time::Duration::seconds(MAX_CLOCK_SKEW_SECONDS) < opened {
                Err(format!(
                    "the ballot was cast at {}, before the poll opened at {}",
                    hms(cast_at),
                    hms(opened)
                ))
            } else {
                Ok(())
            }
        }
        (PollStatus::Closed, Some(_), None) => Err("the poll is closed".into()),
        (PollStatus::Closed, Some(opened), Some(closed)) => {
            let deadline = closed + time::Duration::seconds(i64::from(grace_seconds));
            if cast_at > closed {
                Err(format!(
                    "the ballot was cast at {}, after the poll closed at {}",
                    hms(cast_at),
                    hms(closed)
                ))
            } else if received > deadline {
                Err(format!(
                    "the ballot cast at {} reached the server at {}, after the deadline {} (close {} + {} s grace); it was not counted",
                    hms(cast_at),
                    hms(received),
                    hms(deadline),
                    hms(closed),
                    grace_seconds
                ))
            } else if cast_at + time::Duration::seconds(MAX_CLOCK_SKEW_SECONDS) < opened {
                Err(format!(
                    "the ballot was cast at {}, before the poll opened at {}",
                    hms(cast_at),
                    hms(opened)
                ))
            } else {
                Ok(())
            }
        }
    }
}

/// One ballot as its voter (and, in a named poll, the meeting) sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ballot {
    pub poll_id: Id,
    pub meeting_id: Id,
    /// Whose vote this is.
    pub voter_id: Id,
    /// Who cast it: the voter, or the member holding their proxy.
    pub cast_by: Id,
    /// None in a secret poll: the server does not know it.
    pub choices: Option<Vec<u32>>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub cast_at: Option<Timestamp>,
    pub version: u64,
}

/// The bytes a device signs for a ballot: the poll, whose vote, the choices and the
/// moment of casting. Changing any of them breaks the signature.
pub fn ballot_signing_bytes(
    poll_id: Id,
    voter_id: Id,
    choices: &[u32],
    cast_at: Timestamp,
) -> Vec<u8> {
    let choices: Vec<String> = choices.iter().map(u32::to_string).collect();
    format!(
        "phonghop/ballot/v1\npoll={poll_id}\nvoter={voter_id}\nchoices={}\ncast_at={}",
        choices.join(","),
        cast_at.unix_timestamp_nanos()
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn specs_are_checked() {
        let ok = PollSpec::motion(
            "Thông qua Nghị quyết về chính quyền điện tử",
            PollKind::Open,
        );
        assert!(ok.validate().is_ok());
        let secret_recast = PollSpec {
            allow_recast: true,
            ..PollSpec::motion("Bỏ phiếu kín", PollKind::Secret)
        };
        assert!(secret_recast.validate().is_err());
        let secret_grace = PollSpec {
            grace_seconds: 10,
            ..PollSpec::motion("Bỏ phiếu kín", PollKind::Secret)
        };
        assert!(
            secret_grace
                .validate()
                .unwrap_err()
                .contains("late ballots")
        );
        let one_option = PollSpec {
            options: vec!["Có".into()],
            ..ok.clone()
        };
        assert!(one_option.validate().is_err());
        let twice = PollSpec {
            options: vec!["Có".into(), "có".into()],
            ..ok.clone()
        };
        assert!(twice.validate().is_err());
        assert!(ok.validate_choices(&[0]).is_ok());
        assert!(ok.validate_choices(&[]).is_err());
        assert!(ok.validate_choices(&[3]).is_err());
        assert!(ok.validate_choices(&[0, 1]).is_err());
        let election = PollSpec {
            mode: PollMode::Election,
            options: ["An", "Bình", "Chi"].map(Into::into).to_vec(),
            max_choices: 2,
            ..ok
        };
        assert!(election.validate().is_ok());
        assert!(election.validate_choices(&[]).is_ok(), "a blank ballot");
        assert!(election.validate_choices(&[0, 2]).is_ok());
        assert!(election.validate_choices(&[0, 0]).is_err());
        assert!(election.validate_choices(&[0, 1, 2]).is_err());
    }

    #[test]
    fn the_deadline_is_close_plus_grace() {
        let opened = datetime!(2026-11-27 09:00:00 +07:00);
        let closed = datetime!(2026-11-27 09:05:00 +07:00);
        let t = |s: i64| closed + time::Duration::seconds(s);
        let timing = |cast, received, grace| {
            ballot_timing(
                PollStatus::Closed,
                Some(opened),
                Some(closed),
                grace,
                cast,
                received,
            )
        };
        assert!(timing(t(-10), t(0), 0).is_ok());
        let late = timing(t(-10), t(1), 0).unwrap_err();
        assert!(late.contains("after the deadline"), "{late}");
        assert!(late.contains("09:05:00 27/11/2026"), "{late}");
        assert!(timing(t(-10), t(30), 30).is_ok());
        assert!(timing(t(-10), t(31), 30).is_err());
        assert!(
            timing(t(1), t(2), 30)
                .unwrap_err()
                .contains("after the poll closed")
        );
        assert!(
            ballot_timing(PollStatus::Draft, None, None, 0, t(0), t(0)).is_err(),
            "not open yet"
        );
        assert!(
            ballot_timing(PollStatus::Open, Some(opened), None, 0, t(600), t(0))
                .unwrap_err()
                .contains("future")
        );
    }

    #[test]
    fn signing_bytes_cover_every_field() {
        let (p, v) = (Id::now_v7(), Id::now_v7());
        let at = datetime!(2026-11-27 09:00:00.123456789 UTC);
        let base = ballot_signing_bytes(p, v, &[0], at);
        assert_ne!(base, ballot_signing_bytes(Id::now_v7(), v, &[0], at));
        assert_ne!(base, ballot_signing_bytes(p, Id::now_v7(), &[0], at));
        assert_ne!(base, ballot_signing_bytes(p, v, &[1], at));
        assert_ne!(
            base,
            ballot_signing_bytes(p, v, &[0], at + time::Duration::nanoseconds(1))
        );
        // The same instant in another offset signs the same.
        assert_eq!(
            base,
            ballot_signing_bytes(
                p,
                v,
                &[0],
                at.to_offset(time::UtcOffset::from_hms(7, 0, 0).unwrap())
            )
        );
    }
}
