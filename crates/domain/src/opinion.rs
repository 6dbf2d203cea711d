//! Phiếu lấy ý kiến: a written-opinion ballot on a document, open for days. Members
//! answer Đồng ý / Không đồng ý / Ý kiến khác with a comment, signed by their device key;
//! the secretary sees statistics and exports them.

use serde::{Deserialize, Serialize};

use crate::{Id, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpinionChoice {
    /// Đồng ý.
    Agree,
    /// Không đồng ý.
    Disagree,
    /// Ý kiến khác (stated in the comment).
    Other,
}

impl OpinionChoice {
    pub const ALL: [OpinionChoice; 3] = [
        OpinionChoice::Agree,
        OpinionChoice::Disagree,
        OpinionChoice::Other,
    ];

    pub fn label_vi(self) -> &'static str {
        match self {
            OpinionChoice::Agree => "Đồng ý",
            OpinionChoice::Disagree => "Không đồng ý",
            OpinionChoice::Other => "Ý kiến khác",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            OpinionChoice::Agree => "agree",
            OpinionChoice::Disagree => "disagree",
            OpinionChoice::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Result<OpinionChoice, String> {
        match s.trim().to_lowercase().as_str() {
            "agree" | "dong-y" | "đồng ý" => Ok(OpinionChoice::Agree),
            "disagree" | "khong-dong-y" | "không đồng ý" => Ok(OpinionChoice::Disagree),
            "other" | "y-kien-khac" | "ý kiến khác" => Ok(OpinionChoice::Other),
            other => Err(format!(
                "{other:?} is not an answer; expected agree, disagree or other"
            )),
        }
    }
}

pub const MAX_COMMENT_CHARS: usize = 4000;
pub const MAX_DAYS: u32 = 60;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpinionBallot {
    pub id: Id,
    /// Whose members are asked.
    pub meeting_id: Id,
    /// The draft the opinion is about.
    pub document_id: Option<Id>,
    pub question: String,
    pub created_by: Id,
    #[serde(with = "time::serde::rfc3339")]
    pub opened_at: Timestamp,
    /// Answers that reach the server after this are refused.
    #[serde(with = "time::serde::rfc3339")]
    pub deadline: Timestamp,
    pub version: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpinionAnswer {
    pub ballot_id: Id,
    pub meeting_id: Id,
    pub user_id: Id,
    pub choice: OpinionChoice,
    pub comment: String,
    /// When the member answered, on their device (signed).
    #[serde(with = "time::serde::rfc3339")]
    pub answered_at: Timestamp,
    pub device_id: Id,
    /// Ed25519 over [`opinion_signing_bytes`], standard base64.
    pub signature: String,
    pub version: u64,
}

pub fn validate_answer(choice: OpinionChoice, comment: &str) -> Result<(), String> {
    if comment.chars().count() > MAX_COMMENT_CHARS {
        return Err(format!(
            "a comment is at most {MAX_COMMENT_CHARS} characters"
        ));
    }
    if choice == OpinionChoice::Other && comment.trim().is_empty() {
        return Err("\"Ý kiến khác\" needs the opinion written in the comment".into());
    }
    Ok(())
}

pub fn validate_days(days: u32) -> Result<(), String> {
    if days == 0 || days > MAX_DAYS {
        return Err(format!("a ballot stays open 1 to {MAX_DAYS} days"));
    }
    Ok(())
}

/// The bytes a device signs for an answer.
pub fn opinion_signing_bytes(
    ballot_id: Id,
    user_id: Id,
    choice: OpinionChoice,
    comment: &str,
    answered_at: Timestamp,
) -> Vec<u8> {
    let mut out = format!(
        "phonghop/opinion/v1\nballot={ballot_id}\nuser={user_id}\nchoice={}\nanswered_at={}\ncomment_bytes={}\n",
        choice.as_str(),
        answered_at.unix_timestamp_nanos(),
        comment.len()
    )
    .into_bytes();
    out.extend_from_slice(comment.as_bytes());
    out
}

/// Someone asked, with what they answered if they did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberAnswer {
    pub user_id: Id,
    pub username: String,
    pub full_name: String,
    pub title: String,
    pub choice: Option<OpinionChoice>,
    pub comment: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub answered_at: Option<Timestamp>,
}

/// Thống kê kết quả lấy ý kiến.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpinionStats {
    pub ballot_id: Id,
    pub question: String,
    #[serde(with = "time::serde::rfc3339")]
    pub deadline: Timestamp,
    pub asked: u32,
    pub answered: u32,
    pub not_answered: u32,
    pub agree: u32,
    pub disagree: u32,
    pub other: u32,
    /// Everyone asked, by full name.
    pub members: Vec<MemberAnswer>,
}

/// Who was asked (voting members of the meeting) and their answers.
pub fn stats(
    ballot: &OpinionBallot,
    asked: Vec<crate::User>,
    answers: &[OpinionAnswer],
) -> OpinionStats {
    let mut members: Vec<MemberAnswer> = asked
        .into_iter()
        .map(|u| {
            let a = answers
                .iter()
                .filter(|a| a.user_id == u.id && a.ballot_id == ballot.id)
                .max_by_key(|a| a.answered_at);
            MemberAnswer {
                user_id: u.id,
                username: u.username,
                full_name: u.full_name,
                title: u.title,
                choice: a.map(|a| a.choice),
                comment: a.map(|a| a.comment.clone()).unwrap_or_default(),
                answered_at: a.map(|a| a.answered_at),
            }
        })
        .collect();
    members.sort_by(|a, b| {
        a.full_name
            .cmp(&b.full_name)
            .then(a.username.cmp(&b.username))
    });
    let count = |c| members.iter().filter(|m| m.choice == Some(c)).count() as u32;
    let answered = members.iter().filter(|m| m.choice.is_some()).count() as u32;
    OpinionStats {
        ballot_id: ballot.id,
        question: ballot.question.clone(),
        deadline: ballot.deadline,
        asked: members.len() as u32,
        answered,
        not_answered: members.len() as u32 - answered,
        agree: count(OpinionChoice::Agree),
        disagree: count(OpinionChoice::Disagree),
        other: count(OpinionChoice::Other),
        members,
    }
}

/// dd/MM/yyyy HH:mm:ss in Vietnam's time.
pub fn vn_time(t: Timestamp) -> String {
    let vn = time::UtcOffset::from_hms(7, 0, 0).unwrap_or(time::UtcOffset::UTC);
    t.to_offset(vn)
        .format(time::macros::format_description!(
            "[day]/[month]/[year] [hour]:[minute]:[second]"
        ))
        .unwrap_or_default()
}

fn csv_field(s: &str) -> String {
    // Guard against spreadsheet formula injection from a comment, then quote.
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// The table of answers as CSV (UTF-8 with a BOM so spreadsheet programs read the
/// diacritics), one row per member asked.
pub fn to_csv(stats: &OpinionStats) -> String {
    let mut out = String::from("\u{feff}");
    out.push_str("STT,Họ và tên,Tài khoản,Chức vụ,Ý kiến,Nội dung ý kiến,Thời điểm trả lời\r\n");
    for (i, m) in stats.members.iter().enumerate() {
        let row = [
            (i + 1).to_string(),
            csv_field(&m.full_name),
            csv_field(&m.username),
            csv_field(&m.title),
            csv_field(m.choice.map_or("Chưa trả lời", |c| c.label_vi())),
            csv_field(&m.comment),
            csv_field(&m.answered_at.map(vn_time).unwrap_or_default()),
        ];
        out.push_str(&row.join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Role, User};
    use time::macros::datetime;

    fn user(n: u128, name: &str) -> User {
        User {
            id: Id::from_u128(n),
            username: format!("daibieu{n:02}"),
            full_name: name.into(),
            role: Role::Delegate,
            title: "Giám đốc Sở".into(),
            org_unit_id: None,
            disabled: false,
        }
    }

    fn answer(
        ballot: &OpinionBallot,
        n: u128,
        choice: OpinionChoice,
        comment: &str,
    ) -> OpinionAnswer {
        OpinionAnswer {
            ballot_id: ballot.id,
            meeting_id: ballot.meeting_id,
            user_id: Id::from_u128(n),
            choice,
            comment: comment.into(),
            answered_at: datetime!(2026-11-28 10:00 +07:00),
            device_id: Id::nil(),
            signature: String::new(),
            version: 1,
        }
    }

    #[test]
    fn statistics_count_each_member_once() {
        let ballot = OpinionBallot {
            id: Id::now_v7(),
            meeting_id: Id::now_v7(),
            document_id: None,
            question: "Dự thảo Quyết định ban hành Quy chế".into(),
            created_by: Id::nil(),
            opened_at: datetime!(2026-11-27 08:00 +07:00),
            deadline: datetime!(2026-11-30 08:00 +07:00),
            version: 1,
        };
        let asked = vec![
            user(1, "Trần Văn Bình"),
            user(2, "Lê Thị Hồng Nhung"),
            user(3, "Nguyễn Văn An"),
        ];
        let mut earlier = answer(&ballot, 1, OpinionChoice::Disagree, "");
        earlier.answered_at = datetime!(2026-11-27 10:00 +07:00);
        let answers = vec![
            earlier,
            answer(&ballot, 1, OpinionChoice::Agree, ""),
            answer(
                &ballot,
                3,
                OpinionChoice::Other,
                "=Đề nghị bổ sung \"Điều 5\"",
            ),
        ];
        let s = stats(&ballot, asked, &answers);
        assert_eq!(
            (
                s.asked,
                s.answered,
                s.not_answered,
                s.agree,
                s.disagree,
                s.other
            ),
            (3, 2, 1, 1, 0, 1)
        );
        assert_eq!(s.members[0].full_name, "Lê Thị Hồng Nhung");
        assert_eq!(s.members[0].choice, None);
        let csv = to_csv(&s);
        assert!(csv.starts_with("\u{feff}STT,Họ và tên"));
        assert!(csv.contains("\"Chưa trả lời\""));
        assert!(
            csv.contains("\"'=Đề nghị bổ sung \"\"Điều 5\"\"\""),
            "quotes doubled and formulas defused: {csv}"
        );
        assert!(csv.contains("28/11/2026 10:00:00"));
        assert_eq!(csv.lines().count(), 4);
    }

    #[test]
    fn answers_are_checked_and_signed_over_everything() {
        assert!(validate_answer(OpinionChoice::Other, " ").is_err());
        assert!(validate_answer(OpinionChoice::Agree, "").is_ok());
        assert!(validate_answer(OpinionChoice::Agree, &"ạ".repeat(4001)).is_err());
        assert!(validate_days(0).is_err());
        assert!(validate_days(7).is_ok());
        let (b, u) = (Id::now_v7(), Id::now_v7());
        let at = datetime!(2026-11-28 10:00 +07:00);
        let base = opinion_signing_bytes(b, u, OpinionChoice::Agree, "ok", at);
        assert_ne!(
            base,
            opinion_signing_bytes(b, u, OpinionChoice::Agree, "ok!", at)
        );
        assert_ne!(
            base,
            opinion_signing_bytes(b, u, OpinionChoice::Other, "ok", at)
        );
        assert_eq!(
            OpinionChoice::parse("Đồng ý").unwrap(),
            OpinionChoice::Agree
        );
    }
}
