//! The storage conformance suite, live-meeting part: every backend of `Store` must pass
//! `run_live_suite` too (the live events an op yields, the poll timer, who hears which
//! meeting, written-opinion statistics). SQLite runs it here.

use std::path::Path;

use base64::Engine;
use ed25519_dalek::Signer;
use phonghop_domain::{
    Attendance, Change, Id, MeetingKind, MeetingRole, MeetingStatus, Op, OpEnvelope, OpOutcome,
    OpinionChoice, PollKind, PollSpec, PollStatus, Role, Timestamp, User,
};
use phonghop_server::store::{NewUser, SqliteStore, Store, StoreError};

fn user(store: &dyn Store, username: &str, role: Role) -> User {
    store
        .create_user(&NewUser {
            id: Id::now_v7(),
            username: username.into(),
            full_name: format!("Người dùng {username}"),
            role,
            title: String::new(),
            org_unit_id: None,
            password_hash: "x".into(),
        })
        .unwrap()
}

fn env(op: Op) -> OpEnvelope {
    OpEnvelope {
        id: Id::now_v7(),
        op,
    }
}

pub fn run_live_suite(open: &dyn Fn(&Path) -> Box<dyn Store>) {
    let tmp = tempfile::tempdir().unwrap();
    let store = open(tmp.path());
    let store = store.as_ref();
    let sec = user(store, "thuky", Role::Secretary);
    let chair = user(store, "chutoa", Role::Chair);
    let voter = user(store, "daibieu01", Role::Delegate);
    let outsider = user(store, "daibieu15", Role::Delegate);
    let (device, key) = phonghop_testkit::new_signing_device("laptop");
    store.create_session("h", voter.id, &device, "x").unwrap();

    let m = Id::now_v7();
    let now = Timestamp::now_utc();
    let mut setup = vec![env(Op::MeetingCreate {
        meeting_id: m,
        title: "Kỳ họp".into(),
        kind: MeetingKind::Regular,
        room: "Hội trường".into(),
        starts_at: now,
        ends_at: now + time::Duration::hours(3),
        org_unit_id: None,
    })];
    for (u, role) in [(&chair, MeetingRole::Chair), (&voter, MeetingRole::Member)] {
        setup.push(env(Op::MemberAdd {
            meeting_id: m,
            user_id: u.id,
            role,
            attendance: Attendance::InRoom,
        }));
    }
    setup.push(env(Op::MeetingPublish { meeting_id: m }));
    setup.push(env(Op::MeetingSetStatus {
        meeting_id: m,
        status: MeetingStatus::InProgress,
    }));
    let applied = store.apply_ops_live(&sec, &setup).unwrap();
    assert!(applied.audience_changed);
    assert!(
        applied
            .results
            .iter()
            .all(|r| r.outcome == OpOutcome::Accepted)
    );

    // Who hears which meeting.
    assert_eq!(
        store.live_audience(&sec).unwrap(),
        None,
        "secretaries hear all"
    );
    assert!(store.live_audience(&voter).unwrap().unwrap().contains(&m));
    assert!(store.live_audience(&outsider).unwrap().unwrap().is_empty());

    // A secret poll with a duration: opening it yields its new state.
    let poll = Id::now_v7();
    let spec = PollSpec {
        duration_seconds: Some(1),
        ..PollSpec::motion("Bỏ phiếu kín", PollKind::Secret)
    };
    let applied = store
        .apply_ops_live(
            &chair,
            &[
                env(Op::PollCreate {
                    poll_id: poll,
                    meeting_id: m,
                    item_id: None,
                    spec,
                }),
                env(Op::PollOpen { poll_id: poll }),
            ],
        )
        .unwrap();
    assert!(!applied.audience_changed);
    let opened = applied
        .live
        .iter()
        .find_map(|l| match &l.change {
            Change::Poll(p) if p.id == poll => Some(p.clone()),
            _ => None,
        })
        .expect("the poll's state");
    assert_eq!(opened.status, PollStatus::Open);
    assert_eq!(applied.live[0].meeting_id, m);
    let closes_at = store.next_poll_close().unwrap().expect("a timer");
    assert_eq!(Some(closes_at), opened.closes_at);

    // A signed ballot: the live state counts it but, secret, shows no choice.
    let cast_at = Timestamp::now_utc();
    let sig = key.sign(&phonghop_domain::poll::ballot_signing_bytes(
        poll,
        voter.id,
        &[1],
        cast_at,
    ));
    let applied = store
        .apply_ops_live(
            &voter,
            &[env(Op::BallotCast {
                poll_id: poll,
                voter_id: voter.id,
                choices: vec![1],
                cast_at,
                device_id: device.id,
                signature: base64::engine::general_purpose::STANDARD.encode(sig.to_bytes()),
            })],
        )
        .unwrap();
    assert_eq!(applied.results[0].outcome, OpOutcome::Accepted);
    let tally = applied
        .live
        .iter()
        .find_map(|l| match &l.change {
            Change::Poll(p) => Some(p.tally.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!((tally.cast, tally.votes), (1, None));
    assert!(
        applied
            .live
            .iter()
            .any(|l| matches!(&l.change, Change::Presence(p) if p.user_id == voter.id)),
        "voting checked the voter in"
    );
    assert!(
        !applied
            .live
            .iter()
            .any(|l| matches!(l.change, Change::Ballot(_))),
        "a secret ballot is never broadcast"
    );

    // The timer closes it when its time is up, not before.
    assert!(store.close_due_polls(cast_at).unwrap().is_empty());
    let closed = store
        .close_due_polls(closes_at + time::Duration::seconds(1))
        .unwrap();
    let p = match &closed[..] {
        [l] => match &l.change {
            Change::Poll(p) => p.clone(),
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    };
    assert_eq!(p.status, PollStatus::Closed);
    assert_eq!(p.closed_at, Some(closes_at));
    assert_eq!(p.tally.votes, Some(vec![0, 1, 0]));
    assert_eq!(p.result.unwrap().count.members, 2);
    assert_eq!(store.next_poll_close().unwrap(), None);

    // Written opinions: statistics for those who run the meeting only.
    let ballot = Id::now_v7();
    let r = store
        .apply_ops(
            &sec,
            &[env(Op::OpinionCreate {
                ballot_id: ballot,
                meeting_id: m,
                document_id: None,
                question: "Ý kiến về dự thảo".into(),
                days: 2,
            })],
        )
        .unwrap();
    assert_eq!(r[0].outcome, OpOutcome::Accepted);
    let answered_at = Timestamp::now_utc();
    let sig = key.sign(&phonghop_domain::opinion::opinion_signing_bytes(
        ballot,
        voter.id,
        OpinionChoice::Agree,
        "",
        answered_at,
    ));
    let r = store
        .apply_ops(
            &voter,
            &[env(Op::OpinionAnswer {
                ballot_id: ballot,
                choice: OpinionChoice::Agree,
                comment: String::new(),
                answered_at,
                device_id: device.id,
                signature: base64::engine::general_purpose::STANDARD.encode(sig.to_bytes()),
            })],
        )
        .unwrap();
    assert_eq!(r[0].outcome, OpOutcome::Accepted);
    let stats = store.opinion_stats(&chair, ballot).unwrap();
    assert_eq!((stats.asked, stats.answered, stats.agree), (2, 1, 1));
    assert!(matches!(
        store.opinion_stats(&voter, ballot),
        Err(StoreError::NotFound(_))
    ));

    // Many callers at once (a vote's rush): each is answered for its own ops, nothing is
    // lost or applied twice, and the audit chain stays whole.
    let before = store.cursor().unwrap();
    let audited = store.audit_entries().unwrap().len();
    let results: Vec<Vec<OpOutcome>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..24)
            .map(|t| {
                let voter = &voter;
                s.spawn(move || {
                    let ops: Vec<OpEnvelope> = (0..5)
                        .map(|i| {
                            env(Op::NotePut {
                                note_id: Id::now_v7(),
                                meeting_id: None,
                                text: format!("Ghi chú {t}-{i}"),
                                updated_at: Timestamp::now_utc(),
                            })
                        })
                        .collect();
                    let applied = store.apply_ops_live(voter, &ops).unwrap();
                    assert_eq!(
                        applied.results.iter().map(|r| r.id).collect::<Vec<_>>(),
                        ops.iter().map(|e| e.id).collect::<Vec<_>>(),
                        "answered for its own ops, in order"
                    );
                    applied.results.into_iter().map(|r| r.outcome).collect()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(results.iter().flatten().all(|o| *o == OpOutcome::Accepted));
    assert_eq!(store.cursor().unwrap(), before + 120);
    let entries = store.audit_entries().unwrap();
    assert_eq!(entries.len(), audited + 120);
    let head = store.audit_head().unwrap();
    assert_eq!(
        phonghop_server::audit::verify(&entries, head.as_ref().map(|(s, h)| (*s, h.as_str()))),
        Ok(entries.len() as u64)
    );
}

#[test]
fn sqlite_passes_the_live_meeting_conformance_suite() {
    run_live_suite(&|dir| Box::new(SqliteStore::open(&dir.join("phonghop.db")).unwrap()));
}
