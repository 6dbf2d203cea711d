//! The demo province (`seed-demo`): org units, accounts, three meetings with agendas and
//! signed Vietnamese PDFs, read from `assets/demo/province.json`. Meetings are built
//! through the same ops a secretary's client sends.

use std::path::{Path, PathBuf};

use phonghop_domain::{
    Attendance, Classification, DocumentKind, Id, MeetingKind, MeetingRole, MeetingStatus, Op,
    OpEnvelope, OpOutcome, OrgUnit, Role, Timestamp,
};
use serde::Deserialize;
use time::{Date, Duration, OffsetDateTime, Time, UtcOffset};

use crate::blobs::BlobStore;
use crate::inspect::{DocumentInspector, PdfInspector};
use crate::store::{BlobRecord, NewUser, Store};

/// Where the demo recipes live in a source checkout.
pub fn default_assets_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/demo")
}

/// Asia/Ho_Chi_Minh has no daylight saving time.
pub const VIETNAM: UtcOffset = match UtcOffset::from_hms(7, 0, 0) {
    Ok(o) => o,
    Err(_) => UtcOffset::UTC,
};

pub fn today_in_vietnam() -> Date {
    OffsetDateTime::now_utc().to_offset(VIETNAM).date()
}

#[derive(Debug, Deserialize)]
pub struct Province {
    pub province: String,
    pub password: String,
    pub org_units: Vec<OrgUnitSpec>,
    pub users: Vec<UserSpec>,
    pub meetings: Vec<MeetingSpec>,
}

#[derive(Debug, Deserialize)]
pub struct OrgUnitSpec {
    pub key: String,
    pub name: String,
    pub parent: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct UserSpec {
    pub username: String,
    pub full_name: String,
    pub role: Role,
    #[serde(default)]
    pub title: String,
    pub org_unit: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct MeetingSpec {
    pub key: String,
    pub title: String,
    pub kind: MeetingKind,
    pub room: String,
    pub day_offset: i64,
    pub start: String,
    pub end: String,
    pub status: MeetingStatus,
    pub members: Vec<MemberSpec>,
    pub items: Vec<ItemSpec>,
}

#[derive(Debug, Deserialize)]
pub struct MemberSpec {
    pub username: String,
    pub role: MeetingRole,
    pub attendance: Attendance,
}

#[derive(Debug, Deserialize)]
pub struct ItemSpec {
    pub title: String,
    #[serde(default)]
    pub presenter: String,
    #[serde(default)]
    pub planned_minutes: u32,
    pub documents: Vec<DocSpec>,
}

#[derive(Debug, Deserialize)]
pub struct DocSpec {
    pub file: String,
    pub title: String,
    pub kind: DocumentKind,
    pub classification: Classification,
}

#[derive(Debug)]
pub struct SeedReport {
    pub users: usize,
    pub meetings: usize,
    pub documents: usize,
    pub password: String,
    pub already_seeded: bool,
}

pub fn load_province(assets: &Path) -> anyhow::Result<Province> {
    let path = assets.join("province.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| anyhow::anyhow!("cannot read the demo recipe {}: {e}", path.display()))?;
    serde_json::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{} is not a valid demo recipe: {e}", path.display()))
}

fn at(day: Date, hhmm: &str) -> anyhow::Result<Timestamp> {
    let (h, m) = hhmm
        .split_once(':')
        .ok_or_else(|| anyhow::anyhow!("time {hhmm:?} is not HH:MM"))?;
    let t = Time::from_hms(h.parse()?, m.parse()?, 0)?;
    Ok(day.with_time(t).assume_offset(VIETNAM))
}

/// Usernames in the store that the demo province does not have (besides "admin"), when
/// the demo is not seeded yet.
pub fn accounts_not_in_demo(store: &dyn Store, assets: &Path) -> anyhow::Result<Vec<String>> {
    let p = load_province(assets)?;
    let demo: std::collections::HashSet<&str> =
        p.users.iter().map(|u| u.username.as_str()).collect();
    // Seeded already: seeding again changes nothing, whoever was added since.
    if p.users
        .iter()
        .filter(|u| u.username != "admin")
        .any(|u| store.user_by_username(&u.username).ok().flatten().is_some())
    {
        return Ok(Vec::new());
    }
    Ok(store
        .list_users()?
        .into_iter()
        .map(|u| u.username)
        .filter(|u| u != "admin" && !demo.contains(u.as_str()))
        .collect())
}

/// Seeds the demo province once; a second call changes nothing.
pub fn seed_demo(
    store: &dyn Store,
    blobs: &BlobStore,
    assets: &Path,
    data_dir: &Path,
    today: Date,
) -> anyhow::Result<SeedReport> {
    let p = load_province(assets)?;
    let already = p
        .users
        .iter()
        .filter(|u| u.username != "admin")
        .any(|u| store.user_by_username(&u.username).ok().flatten().is_some());
    if already {
        return Ok(SeedReport {
            users: 0,
            meetings: 0,
            documents: 0,
            password: p.password,
            already_seeded: true,
        });
    }

    let trust_src = assets.join("trust");
    if trust_src.is_dir() {
        let trust_dst = data_dir.join("trust");
        std::fs::create_dir_all(&trust_dst)?;
        for e in std::fs::read_dir(&trust_src)?.flatten() {
            if e.path().is_file() {
                std::fs::copy(e.path(), trust_dst.join(e.file_name()))?;
            }
        }
    }
    // The demo documents are checked like any upload, against the demo CA now trusted.
    let inspector =
        PdfInspector::from_trust_dir(&data_dir.join("trust")).map_err(anyhow::Error::msg)?;

    let mut units = std::collections::HashMap::new();
    for u in &p.org_units {
        let parent = match &u.parent {
            Some(k) => Some(
                *units
                    .get(k)
                    .ok_or_else(|| anyhow::anyhow!("org unit {k:?} is not defined before use"))?,
            ),
            None => None,
        };
        let id = Id::now_v7();
        store.create_org_unit(&OrgUnit {
            id,
            name: u.name.clone(),
            parent_id: parent,
        })?;
        units.insert(u.key.clone(), id);
    }

    // Demo accounts share one password, so one hash serves them all.
    let hash = crate::auth::hash_password(&p.password).map_err(|e| anyhow::anyhow!(e))?;
    let mut users = std::collections::HashMap::new();
    let mut created = 0;
    for u in &p.users {
        let existing = store.user_by_username(&u.username)?;
        let user = match existing {
            Some(user) => user,
            None => {
                created += 1;
                store.create_user(&NewUser {
                    id: Id::now_v7(),
                    username: u.username.clone(),
                    full_name: u.full_name.clone(),
                    role: u.role,
                    title: u.title.clone(),
                    org_unit_id: u.org_unit.as_ref().and_then(|k| units.get(k).copied()),
                    password_hash: hash.clone(),
                })?
            }
        };
        users.insert(u.username.clone(), user);
    }
    let secretary = users
        .values()
        .find(|u| u.role == Role::Secretary)
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("the demo recipe has no secretary"))?;

    let mut documents = 0;
    for m in &p.meetings {
        let meeting_id = Id::now_v7();
        let day = today + Duration::days(m.day_offset);
        let mut ops = vec![Op::MeetingCreate {
            meeting_id,
            title: m.title.clone(),
            kind: m.kind,
            room: m.room.clone(),
            starts_at: at(day, &m.start)?,
            ends_at: at(day, &m.end)?,
            org_unit_id: None,
        }];
        for (i, item) in m.items.iter().enumerate() {
            let item_id = Id::now_v7();
            ops.push(Op::ItemAdd {
                item_id,
                meeting_id,
                title: item.title.clone(),
                presenter: item.presenter.clone(),
                planned_minutes: item.planned_minutes,
                position: Some(i as u32 + 1),
            });
            for d in &item.documents {
                let path = assets.join(&d.file);
                let bytes = std::fs::read(&path)
                    .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
                let sha = blobs.put_bytes(&bytes)?;
                let inspection = inspector
                    .inspect(&blobs.path(&sha))
                    .map_err(|e| anyhow::anyhow!("demo document {} refused: {e}", d.file))?;
                store.record_blob(
                    &BlobRecord {
                        sha256: sha.clone(),
                        size: bytes.len() as u64,
                        pages: inspection.pages,
                        signature: inspection.signature,
                    },
                    secretary.id,
                )?;
                ops.push(Op::DocumentAttach {
                    document_id: Id::now_v7(),
                    item_id,
                    title: d.title.clone(),
                    kind: d.kind,
                    classification: d.classification,
                    sha256: sha,
                });
                documents += 1;
            }
        }
        for mem in &m.members {
            let user = users
                .get(&mem.username)
                .ok_or_else(|| anyhow::anyhow!("unknown member {:?}", mem.username))?;
            ops.push(Op::MemberAdd {
                meeting_id,
                user_id: user.id,
                role: mem.role,
                attendance: mem.attendance,
            });
        }
        if m.status != MeetingStatus::Draft {
            ops.push(Op::MeetingPublish { meeting_id });
        }
        if matches!(m.status, MeetingStatus::InProgress | MeetingStatus::Ended) {
            ops.push(Op::MeetingSetStatus {
                meeting_id,
                status: MeetingStatus::InProgress,
            });
        }
        if m.status == MeetingStatus::Ended {
            ops.push(Op::MeetingSetStatus {
                meeting_id,
                status: MeetingStatus::Ended,
            });
        }
        let envelopes: Vec<OpEnvelope> = ops
            .into_iter()
            .map(|op| OpEnvelope {
                id: Id::now_v7(),
                op,
            })
            .collect();
        for r in store.apply_ops(&secretary, &envelopes)? {
            if let OpOutcome::Rejected { message, .. } = r.outcome {
                anyhow::bail!("seeding meeting {:?} failed: {message}", m.key);
            }
        }
    }

    Ok(SeedReport {
        users: created,
        meetings: p.meetings.len(),
        documents,
        password: p.password,
        already_seeded: false,
    })
}
