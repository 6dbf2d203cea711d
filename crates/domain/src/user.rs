//! Accounts, roles and the province's organisation units.

use serde::{Deserialize, Serialize};

use crate::Id;

/// A role in the province's system, which decides what a user may do anywhere.
/// Roles within one meeting are [`crate::MeetingRole`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Quản trị hệ thống.
    Admin,
    /// Thư ký — prepares meetings and agendas.
    Secretary,
    /// Chủ tọa.
    Chair,
    /// Đại biểu / thành viên.
    Delegate,
    /// Khách mời.
    Guest,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Secretary,
        Role::Chair,
        Role::Delegate,
        Role::Guest,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Secretary => "secretary",
            Role::Chair => "chair",
            Role::Delegate => "delegate",
            Role::Guest => "guest",
        }
    }

    /// Secretaries and admins prepare meetings: they see drafts and may upload documents.
    pub fn prepares_meetings(self) -> bool {
        matches!(self, Role::Admin | Role::Secretary)
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown role {s:?}; expected one of admin, secretary, chair, delegate, guest"
                )
            })
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A person with an account on the provincial server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: Id,
    pub username: String,
    pub full_name: String,
    pub role: Role,
    /// Chức vụ, e.g. "Giám đốc Sở Thông tin và Truyền thông".
    #[serde(default)]
    pub title: String,
    pub org_unit_id: Option<Id>,
    pub disabled: bool,
}

/// Đơn vị: a department, district or office of the province.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgUnit {
    pub id: Id,
    pub name: String,
    pub parent_id: Option<Id>,
}

/// Usernames are ASCII so they can be typed on any keyboard: 3–32 of a–z, 0–9, '.', '_', '-'.
pub fn validate_username(username: &str) -> Result<(), String> {
    let ok_len = (3..=32).contains(&username.len());
    let ok_chars = username
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-'));
    if ok_len && ok_chars {
        Ok(())
    } else {
        Err(format!(
            "username {username:?} must be 3–32 characters of a–z, 0–9, '.', '_' or '-'"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_round_trips_through_text_and_json() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
            let json = serde_json::to_string(&role).unwrap();
            assert_eq!(json, format!("\"{}\"", role.as_str()));
        }
        assert!("boss".parse::<Role>().is_err());
    }

    #[test]
    fn usernames_are_checked() {
        assert!(validate_username("daibieu01").is_ok());
        assert!(validate_username("ab").is_err());
        assert!(validate_username("Đại").is_err());
        assert!(validate_username("a b c").is_err());
    }
}
