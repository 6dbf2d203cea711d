//! Meeting documents (tài liệu họp): versions are blobs named by SHA-256.

use serde::{Deserialize, Serialize};

use crate::{Id, Timestamp};

/// A lowercase hex SHA-256 digest. Parsing is the only way to build one, so a value of
/// this type is always safe to use as a file name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Sha256(String);

impl Sha256 {
    pub fn parse(s: &str) -> Result<Sha256, String> {
        if s.len() == 64
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            Ok(Sha256(s.to_owned()))
        } else {
            Err("a SHA-256 must be 64 lowercase hexadecimal characters".into())
        }
    }

    pub fn from_digest(bytes: &[u8; 32]) -> Sha256 {
        use std::fmt::Write;
        let mut s = String::with_capacity(64);
        for b in bytes {
            let _ = write!(s, "{b:02x}");
        }
        Sha256(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Sha256 {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Sha256::parse(&s)
    }
}

impl From<Sha256> for String {
    fn from(s: Sha256) -> String {
        s.0
    }
}

impl std::fmt::Display for Sha256 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Loại tài liệu.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// Tờ trình.
    Proposal,
    /// Dự thảo nghị quyết / quyết định.
    DraftResolution,
    /// Báo cáo.
    Report,
    /// Dự thảo kết luận.
    DraftConclusion,
    /// Tài liệu khác.
    Other,
}

/// Độ mật.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Classification {
    /// Công khai.
    Public,
    /// Nội bộ.
    Internal,
    /// Mật: only members of the meeting see it; watermarked per viewer; not exportable.
    Confidential,
}

/// What a check of a version's digital signatures (ký số) found: the server's on
/// upload, against its trust store, and the client's again on arrival.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum SignatureSummary {
    NotChecked,
    Unsigned,
    /// Hợp lệ: every signature verifies, chains to a trusted root, and nothing was
    /// changed after signing.
    Valid {
        signer: String,
        organization: Option<String>,
        signing_time: Option<String>,
    },
    /// Chưa được tin cậy: correct, but the certificate does not chain to a trusted root.
    Untrusted {
        signer: String,
        organization: Option<String>,
        signing_time: Option<String>,
    },
    /// Bytes were changed or added after the (otherwise correct) signature.
    ModifiedAfterSigning {
        signer: Option<String>,
    },
    /// Không hợp lệ.
    Invalid {
        why: String,
    },
    /// A format or algorithm we cannot check.
    Unsupported {
        why: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentVersion {
    /// 1, 2, …; a new version never replaces an old one.
    pub version: u32,
    pub sha256: Sha256,
    pub size: u64,
    pub pages: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub added_at: Timestamp,
    pub signature: SignatureSummary,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    pub id: Id,
    pub meeting_id: Id,
    pub item_id: Id,
    pub title: String,
    pub kind: DocumentKind,
    pub classification: Classification,
    /// Oldest first; the last is current.
    pub versions: Vec<DocumentVersion>,
}

impl Document {
    pub fn current(&self) -> Option<&DocumentVersion> {
        self.versions.last()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn sha256_rejects_path_tricks() {
        for bad in [
            "../../etc/passwd",
            "",
            &"A".repeat(64),
            &"0".repeat(63),
            &format!("{}/", "0".repeat(63)),
        ] {
            assert!(Sha256::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(serde_json::from_str::<Sha256>("\"..\"").is_err());
        let ok = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert_eq!(Sha256::parse(ok).unwrap().as_str(), ok);
    }

    proptest! {
        #[test]
        fn sha256_from_digest_parses(bytes in proptest::array::uniform32(any::<u8>())) {
            let s = Sha256::from_digest(&bytes);
            prop_assert_eq!(Sha256::parse(s.as_str()).unwrap(), s);
        }
    }

    #[test]
    fn document_round_trips() {
        let d = Document {
            id: Id::now_v7(),
            meeting_id: Id::now_v7(),
            item_id: Id::now_v7(),
            title: "Tờ trình về việc thúc đẩy hội nghị trực tuyến đến cấp xã".into(),
            kind: DocumentKind::Proposal,
            classification: Classification::Confidential,
            versions: vec![DocumentVersion {
                version: 1,
                sha256: Sha256::from_digest(&[7; 32]),
                size: 12345,
                pages: 4,
                added_at: time::macros::datetime!(2026-11-20 09:00 UTC),
                signature: SignatureSummary::Valid {
                    signer: "Nguyễn Văn An".into(),
                    organization: Some("Văn phòng UBND tỉnh Quảng Bình".into()),
                    signing_time: Some("2026-11-20T02:00:00Z".into()),
                },
            }],
        };
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(serde_json::from_str::<Document>(&json).unwrap(), d);
        assert_eq!(d.current().unwrap().version, 1);
    }
}
