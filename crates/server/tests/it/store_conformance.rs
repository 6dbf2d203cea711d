//! The storage conformance suite: every backend of `Store` must pass `run_suite`.
//! SQLite runs it here; a PostgreSQL backend adds one line below.

use std::path::Path;

use phonghop_domain::{
    Attendance, Change, Classification, DocumentKind, Id, MeetingKind, MeetingRole, MeetingStatus,
    Op, OpEnvelope, OpOutcome, Role, Sha256, SignatureSummary, User,
};
use phonghop_server::store::{
    BlobRecord, NewUser, SqliteStore, Store, StoreError, VideoInvitation,
};
use time::macros::datetime;

fn user(store: &dyn Store, username: &str, role: Role) -> User {
    store
        .create_user(&NewUser {
            id: Id::now_v7(),
            username: username.into(),
            full_name: format!("Người dùng {username}"),
            role,
            title: String::new(),
            org_unit_id: None,
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into(),
        })
        .unwrap()
}

fn apply(store: &dyn Store, actor: &User, ops: Vec<Op>) -> Vec<OpOutcome> {
    let envs: Vec<OpEnvelope> = ops
        .into_iter()
        .map(|op| OpEnvelope {
            id: Id::now_v7(),
            op,
        })
        .collect();
    store
        .apply_ops(actor, &envs)
        .unwrap()
        .into_iter()
        .map(|r| r.outcome)
        .collect()
}

fn all_changes(store: &dyn Store, viewer: &User) -> Vec<Change> {
    let (mut out, mut cursor) = (Vec::new(), 0);
    loop {
        let page = store.changes(viewer, cursor, 3).unwrap();
        out.extend(page.changes);
        assert!(page.cursor >= cursor);
        cursor = page.cursor;
        if !page.more {
            return out;
        }
    }
}

pub fn run_suite(open: &dyn Fn(&Path) -> Box<dyn Store>) {
    let tmp = tempfile::tempdir().unwrap();
    let store = open(tmp.path());
    let store = store.as_ref();

    // Accounts.
    let sec = user(store, "thuky", Role::Secretary);
    let del = user(store, "daibieu01", Role::Delegate);
    let outsider = user(store, "daibieu15", Role::Delegate);
    assert!(matches!(
        store.create_user(&NewUser {
            id: Id::now_v7(),
            username: "thuky".into(),
            full_name: "Trùng tên".into(),
            role: Role::Guest,
            title: String::new(),
            org_unit_id: None,
            password_hash: "x".into()
        }),
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.user_credentials("daibieu01").unwrap().unwrap().0, del);
    assert!(store.user_credentials("khong-co").unwrap().is_none());
    assert_eq!(store.list_users().unwrap().len(), 3);

    // Sessions.
    let device = phonghop_testkit::new_device("laptop");
    let checked = store.user_credentials("daibieu01").unwrap().unwrap().1;
    store
        .create_session("hash-1", del.id, &device, &checked)
        .unwrap();
    // A password reset while a login was checking the old password: that login gets no
    // session (the reset ended the ones there were).
    store.set_password("daibieu01", "$argon2id$new").unwrap();
    assert!(matches!(
        store.create_session("hash-2", del.id, &device, &checked),
        Err(StoreError::Conflict(m)) if m == phonghop_server::store::PASSWORD_CHANGED
    ));
    assert!(store.session("hash-2").unwrap().is_none());
    assert!(
        store.session("hash-1").unwrap().is_none(),
        "the reset kept a session"
    );
    store
        .create_session("hash-1", del.id, &device, "$argon2id$new")
        .unwrap();
    let s = store.session("hash-1").unwrap().unwrap();
    assert_eq!(
        (s.user.id, s.device_id, s.device_revoked),
        (del.id, device.id, false)
    );
    store.delete_session("hash-1").unwrap();
    assert!(store.session("hash-1").unwrap().is_none());

    // Blobs.
    let sha = Sha256::from_digest(&[1; 32]);
    store
        .record_blob(
            &BlobRecord {
                sha256: sha.clone(),
                size: 10,
                pages: 2,
                signature: SignatureSummary::NotChecked,
            },
            sec.id,
        )
        .unwrap();
    assert_eq!(store.blob(&sha).unwrap().unwrap().pages, 2);

    // A meeting built by ops; drafts stay with the secretary.
    let (m, item) = (Id::now_v7(), Id::now_v7());
    let outcomes = apply(
        store,
        &sec,
        vec![
            Op::MeetingCreate {
                meeting_id: m,
                title: "Phiên họp thường kỳ".into(),
                kind: MeetingKind::Regular,
                room: "Phòng 1".into(),
                starts_at: datetime!(2026-12-01 08:00 +07:00),
                ends_at: datetime!(2026-12-01 11:00 +07:00),
                org_unit_id: None,
            },
            Op::ItemAdd {
                item_id: item,
                meeting_id: m,
                title: "Báo cáo".into(),
                presenter: "Sở".into(),
                planned_minutes: 20,
                position: None,
            },
            Op::DocumentAttach {
                document_id: Id::now_v7(),
                item_id: item,
                title: "Báo cáo tình hình".into(),
                kind: DocumentKind::Report,
                classification: Classification::Confidential,
                sha256: sha.clone(),
            },
            Op::MemberAdd {
                meeting_id: m,
                user_id: del.id,
                role: MeetingRole::Member,
                attendance: Attendance::InRoom,
            },
        ],
    );
    assert!(
        outcomes.iter().all(|o| *o == OpOutcome::Accepted),
        "{outcomes:?}"
    );
    let sees_meeting = |u: &User| {
        all_changes(store, u)
            .iter()
            .any(|c| matches!(c, Change::Meeting(x) if x.id == m))
    };
    assert!(sees_meeting(&sec));
    assert!(!sees_meeting(&del), "a draft reached a delegate");
    assert!(!store.blob_visible_to(&del, &sha).unwrap());

    assert_eq!(
        apply(store, &sec, vec![Op::MeetingPublish { meeting_id: m }]),
        [OpOutcome::Accepted]
    );
    let del_changes = all_changes(store, &del);
    assert!(del_changes.iter().any(
        |c| matches!(c, Change::Meeting(x) if x.id == m && x.status == MeetingStatus::Published)
    ));
    assert!(del_changes.iter().any(
        |c| matches!(c, Change::Document(d) if d.versions.len() == 1 && d.versions[0].sha256 == sha)
    ));
    assert!(store.blob_visible_to(&del, &sha).unwrap());
    assert!(store.visible_blobs(&del).unwrap().contains(&sha));
    assert!(!store.visible_blobs(&outsider).unwrap().contains(&sha));
    assert!(!sees_meeting(&outsider));
    assert!(!store.blob_visible_to(&outsider, &sha).unwrap());

    // Who may join the meeting's video, and what a guest's page shows.
    assert_eq!(
        store.meeting_role(del.id, m).unwrap(),
        Some(MeetingRole::Member)
    );
    assert_eq!(store.meeting_role(outsider.id, m).unwrap(), None);
    assert_eq!(store.meeting_role(del.id, Id::now_v7()).unwrap(), None);
    let brief = store.meeting_brief(m).unwrap().unwrap();
    assert_eq!(
        (brief.title.as_str(), brief.agenda.clone()),
        ("Phiên họp thường kỳ", vec!["Báo cáo".to_owned()])
    );
    assert!(store.meeting_brief(Id::now_v7()).unwrap().is_none());
    let inv = VideoInvitation {
        token_hash: "invite-hash".into(),
        meeting_id: m,
        name: "Ông Nguyễn Văn Khách".into(),
        created_by: sec.id,
        expires_at: phonghop_domain::Timestamp::from(datetime!(2026-12-02 08:00 +07:00)),
    };
    store.create_video_invitation(&inv).unwrap();
    assert_eq!(
        store.video_invitation("invite-hash").unwrap(),
        Some(inv.clone())
    );
    assert!(store.video_invitation("other").unwrap().is_none());
    assert!(matches!(
        store.create_video_invitation(&VideoInvitation {
            token_hash: "x".into(),
            meeting_id: Id::now_v7(),
            ..inv
        }),
        Err(StoreError::NotFound(_))
    ));

    // At most once per op id.
    let env = OpEnvelope {
        id: Id::now_v7(),
        op: Op::ItemMove {
            item_id: item,
            position: 1,
        },
    };
    let first = store.apply_ops(&sec, std::slice::from_ref(&env)).unwrap();
    let cursor = store.cursor().unwrap();
    let second = store.apply_ops(&sec, &[env]).unwrap();
    assert_eq!(first[0].outcome, OpOutcome::Accepted);
    assert_eq!(second[0].outcome, OpOutcome::Duplicate);
    assert_eq!(store.cursor().unwrap(), cursor);

    // Rejections change nothing and say why.
    let out = apply(store, &del, vec![Op::MeetingPublish { meeting_id: m }]);
    assert!(matches!(
        &out[0],
        OpOutcome::Rejected {
            code: phonghop_domain::ErrorCode::Forbidden,
            ..
        }
    ));
    assert_eq!(store.cursor().unwrap(), cursor);

    // Removal revokes.
    let before = store.changes(&del, 0, 5000).unwrap().cursor;
    assert_eq!(
        apply(
            store,
            &sec,
            vec![Op::MemberRemove {
                meeting_id: m,
                user_id: del.id
            }]
        ),
        [OpOutcome::Accepted]
    );
    let page = store.changes(&del, before, 5000).unwrap();
    assert!(
        page.changes
            .iter()
            .any(|c| matches!(c, Change::MeetingRevoked { meeting_id } if *meeting_id == m))
    );
    assert_eq!(
        store.meeting_role(del.id, m).unwrap(),
        None,
        "a removed member keeps no video access"
    );
    assert!(!store.blob_visible_to(&del, &sha).unwrap());

    // The audit chain holds every change.
    store
        .record_login("daibieu01", "127.0.0.1", false, "bad credentials")
        .unwrap();
    let entries = store.audit_entries().unwrap();
    assert!(entries.len() >= 10);
    let head = store.audit_head().unwrap();
    assert_eq!(head.as_ref().map(|(s, _)| *s), Some(entries.len() as u64));
    assert_eq!(
        phonghop_server::audit::verify(&entries, head.as_ref().map(|(s, h)| (*s, h.as_str()))),
        Ok(entries.len() as u64)
    );
}

#[test]
fn sqlite_passes_the_conformance_suite() {
    run_suite(&|dir| Box::new(SqliteStore::open(&dir.join("phonghop.db")).unwrap()));
}

#[test]
fn sqlite_refuses_a_newer_database_without_touching_it() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("phonghop.db");
    {
        let s = SqliteStore::open(&db).unwrap();
        user(&s, "thuky", Role::Secretary);
    }
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch("PRAGMA user_version = 99;").unwrap();
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }
    let before = std::fs::read(&db).unwrap();
    match SqliteStore::open(&db) {
        Err(StoreError::NewerSchema {
            found: 99,
            supported,
        }) => assert!(supported < 99),
        Err(other) => panic!("wrong error: {other}"),
        Ok(_) => panic!("a newer database was opened"),
    }
    assert_eq!(
        std::fs::read(&db).unwrap(),
        before,
        "the refused database was changed"
    );

    // Reopening the current version keeps the data.
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch(&format!(
        "PRAGMA user_version = {};",
        phonghop_server::store::sqlite::SCHEMA_VERSION
    ))
    .unwrap();
    drop(conn);
    let s = SqliteStore::open(&db).unwrap();
    assert!(s.user_credentials("thuky").unwrap().is_some());
}
