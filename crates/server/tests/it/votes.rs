//! Live polls over the real server: one ballot per eligible voter, non-members refused,
//! signatures, secret polls with no voter→choice link in the database, offline ballots
//! judged by the deadline, the timer, and no acknowledged ballot lost to a crash.

use std::collections::HashSet;
use std::time::Duration;

use phonghop_testkit::{Api, TestServer};
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

/// Today's demo meeting (in session) and its secretary.
pub async fn today(server: &TestServer) -> (Api, Value) {
    let secretary = server.login("thuky").await;
    let meeting = secretary.meetings_by_date().await[1].clone();
    assert_eq!(meeting["status"], "in_progress");
    (secretary, meeting)
}

pub fn motion(question: &str, kind: &str) -> Value {
    json!({"question": question, "kind": kind, "mode": "motion",
        "options": ["Tán thành", "Không tán thành", "Không biểu quyết"], "max_choices": 1,
        "rule": {"quorum": {"cmp": "at_least", "num": 2, "den": 3}, "base": "all_members",
                 "threshold": {"cmp": "more_than", "num": 1, "den": 2}},
        "allow_recast": false, "duration_seconds": null, "grace_seconds": 0})
}

/// Creates and opens a poll; returns its id.
pub async fn open_poll(runner: &Api, meeting: &Value, spec: Value) -> Uuid {
    let poll = Uuid::now_v7();
    let r = runner
        .ops(vec![
            json!({"type": "poll.create", "poll_id": poll, "meeting_id": meeting["id"], "spec": spec}),
            json!({"type": "poll.open", "poll_id": poll}),
        ])
        .await;
    assert_eq!(r[0]["status"], "accepted", "{r:?}");
    assert_eq!(r[1]["status"], "accepted", "{r:?}");
    poll
}

pub async fn close_poll(runner: &Api, poll: Uuid) {
    let r = runner
        .ops(vec![json!({"type": "poll.close", "poll_id": poll})])
        .await;
    assert_eq!(r[0]["status"], "accepted", "{r:?}");
}

/// The poll as `api` pulls it from the feed.
pub async fn poll_in_feed(api: &Api, poll: Uuid) -> Value {
    let (changes, _, _) = api.pull(0, 5000).await;
    changes
        .into_iter()
        .rfind(|c| c["type"] == "poll" && c["id"] == json!(poll))
        .unwrap_or_else(|| panic!("poll {poll} is not in the feed"))
}

pub async fn delegates(server: &TestServer, n: usize) -> Vec<Api> {
    let mut out = Vec::new();
    for i in 1..=n {
        out.push(server.login(&format!("daibieu{i:02}")).await);
    }
    out
}

fn rejected(r: &Value, code: &str) -> String {
    assert_eq!(r["status"], "rejected", "{r}");
    assert_eq!(r["code"], code, "{r}");
    r["message"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn logging_in_with_someone_elses_device_id_does_not_void_their_ballots() {
    let server = TestServer::demo().await;
    let (secretary, meeting) = today(&server).await;
    let poll = open_poll(&secretary, &meeting, motion("Thông qua kế hoạch", "open")).await;
    let owner = server.login("daibieu01").await;
    let (device_id, _) = owner.device.clone().unwrap();

    // Another user (a colleague on a shared tablet, or anyone who learnt the id) logs in
    // with the same device id and a key of their own.
    let (mut device, _) = phonghop_testkit::new_signing_device("máy tính bảng dùng chung");
    device.id = device_id;
    let (status, body) = Api::anonymous(&server.url())
        .post(
            "/api/v1/sessions",
            json!({"username": "daibieu02", "password": phonghop_testkit::DEMO_PASSWORD, "device": device}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // The owner's session and signing key still stand.
    assert_eq!(owner.get("/api/v1/me").await.0, StatusCode::OK);
    let r = owner.vote(poll, &[0]).await;
    assert_eq!(r["status"], "accepted", "{r}");
}

#[tokio::test]
async fn one_ballot_per_eligible_voter_and_the_result_shows_its_arithmetic() {
    let server = TestServer::demo().await;
    let (secretary, meeting) = today(&server).await;
    let poll = open_poll(
        &secretary,
        &meeting,
        motion("Thông qua Nghị quyết về chính quyền điện tử", "open"),
    )
    .await;
    let voters = delegates(&server, 12).await;
    // 9 for, 2 against, 1 abstains: 12 of 16 present (quorum 11), 9 > 16/2.
    for (i, v) in voters.iter().enumerate() {
        let choice = match i {
            0..=8 => 0,
            9 | 10 => 1,
            _ => 2,
        };
        let r = v.vote(poll, &[choice]).await;
        assert_eq!(r["status"], "accepted", "{r}");
    }

    // A second ballot is refused.
    let op = voters[0].ballot_op(
        poll,
        voters[0].user_id(),
        &[1],
        phonghop_domain::Timestamp::now_utc(),
    );
    let env = json!({"id": Uuid::now_v7(), "op": op});
    let (_, first) = voters[0]
        .post("/api/v1/ops", json!({"ops": [env.clone()]}))
        .await;
    let why = rejected(&first["results"][0], "conflict");
    assert!(why.contains("already"), "{why}");
    // Sent again (its answer lost, say), the refused op is refused again, for the same
    // reason, and changes nothing.
    let (_, again) = voters[0].post("/api/v1/ops", json!({"ops": [env]})).await;
    assert_eq!(again["results"][0], first["results"][0]);

    // A guest does not vote; someone outside the meeting is refused.
    let guest = server.login("khach01").await;
    let why = rejected(&guest.vote(poll, &[0]).await, "forbidden");
    assert!(why.contains("voting"), "{why}");
    let outsider_user = server
        .store()
        .create_user(&phonghop_server::store::NewUser {
            id: Uuid::now_v7(),
            username: "daibieu99".into(),
            full_name: "Phạm Văn Ngoài".into(),
            role: phonghop_domain::Role::Delegate,
            title: String::new(),
            org_unit_id: None,
            password_hash: phonghop_server::auth::hash_password(phonghop_testkit::DEMO_PASSWORD)
                .unwrap(),
        })
        .unwrap();
    let outsider = server.login(&outsider_user.username).await;
    let why = rejected(&outsider.vote(poll, &[0]).await, "forbidden");
    assert!(why.contains("not a member"), "{why}");
    // Someone else's vote, without their proxy.
    let op = voters[1].ballot_op(
        poll,
        server.login("daibieu13").await.user_id(),
        &[0],
        phonghop_domain::Timestamp::now_utc(),
    );
    rejected(&voters[1].ops(vec![op]).await[0], "forbidden");

    // A ballot whose signature does not match its content counts for nothing.
    let late_voter = server.login("daibieu14").await;
    let mut forged = late_voter.ballot_op(
        poll,
        late_voter.user_id(),
        &[0],
        phonghop_domain::Timestamp::now_utc(),
    );
    forged["choices"] = json!([1]);
    rejected(&late_voter.ops(vec![forged]).await[0], "bad_signature");

    let live = poll_in_feed(&voters[3], poll).await;
    assert_eq!(live["status"], "open");
    assert_eq!(live["tally"]["cast"], 12);
    assert_eq!(live["tally"]["votes"], json!([9, 2, 1]));

    close_poll(&secretary, poll).await;
    let closed = poll_in_feed(&voters[3], poll).await;
    let result = &closed["result"];
    assert_eq!(closed["status"], "closed");
    assert_eq!(result["count"]["members"], 16, "chair + 15 delegates vote");
    assert_eq!(
        result["count"]["present"], 12,
        "casting checked the voters in"
    );
    assert_eq!(result["quorum"]["met"], true);
    assert_eq!(result["base"], 16);
    assert_eq!(result["required"], 9);
    assert_eq!(result["passed"], true);
    let arithmetic: Vec<&str> = result["arithmetic"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        arithmetic.last().unwrap().contains("THÔNG QUA"),
        "{arithmetic:?}"
    );
    assert!(
        arithmetic.iter().any(|l| l.contains("16")),
        "{arithmetic:?}"
    );

    // After the close, no more ballots.
    let why = rejected(&late_voter.vote(poll, &[0]).await, "deadline_passed");
    assert!(why.contains("after the poll closed"), "{why}");
}

#[tokio::test]
async fn the_council_rule_fails_half_of_those_present() {
    let server = TestServer::demo().await;
    let (secretary, meeting) = today(&server).await;
    // Everyone checked in; 8 of 16 approve: half of all members is not more than half.
    let members = secretary.pull(0, 5000).await.0;
    let mut ops = Vec::new();
    for m in members
        .iter()
        .filter(|c| c["type"] == "member" && c["meeting_id"] == meeting["id"])
    {
        if m["role"] == "member" || m["role"] == "chair" {
            ops.push(json!({"type": "attendance.set", "meeting_id": meeting["id"], "user_id": m["user_id"], "state": {"status": "in_room"}}));
        }
    }
    assert_eq!(ops.len(), 16);
    for r in secretary.ops(ops).await {
        assert_eq!(r["status"], "accepted", "{r}");
    }
    let poll = open_poll(&secretary, &meeting, motion("Biểu quyết", "named")).await;
    for (i, v) in delegates(&server, 14).await.iter().enumerate() {
        assert_eq!(
            v.vote(poll, &[u32::from(i >= 8)]).await["status"],
            "accepted"
        );
    }
    close_poll(&secretary, poll).await;
    let p = poll_in_feed(&secretary, poll).await;
    assert_eq!(p["result"]["count"]["present"], 16);
    assert_eq!(p["result"]["options"][0]["votes"], 8);
    assert_eq!(
        p["result"]["passed"], false,
        "{}",
        p["result"]["arithmetic"]
    );

    // A named poll: every member sees who voted what.
    let other = server.login("daibieu15").await;
    let (changes, _, _) = other.pull(0, 5000).await;
    let ballots: Vec<&Value> = changes
        .iter()
        .filter(|c| c["type"] == "ballot" && c["poll_id"] == json!(poll))
        .collect();
    assert_eq!(ballots.len(), 14);
    assert!(ballots.iter().all(|b| b["choices"].is_array()));
}

#[tokio::test]
async fn secret_polls_store_no_link_from_voter_to_choice() {
    let server = TestServer::demo().await;
    let (secretary, meeting) = today(&server).await;
    let poll = open_poll(
        &secretary,
        &meeting,
        motion("Bỏ phiếu kín miễn nhiệm", "secret"),
    )
    .await;
    let voters = delegates(&server, 12).await;
    let mut expected = [0u32; 3];
    for (i, v) in voters.iter().enumerate() {
        let choice = (i % 3) as u32;
        expected[choice as usize] += 1;
        assert_eq!(v.vote(poll, &[choice]).await["status"], "accepted");
    }
    // While open, only the turnout shows: live counts would give each vote away.
    let open = poll_in_feed(&voters[0], poll).await;
    assert_eq!(open["tally"]["cast"], 12);
    assert!(open["tally"]["votes"].is_null(), "{open}");
    // A voter learns their ballot was received, not what the server thinks it says.
    let (mine, _, _) = voters[0].pull(0, 5000).await;
    let own: Vec<&Value> = mine
        .iter()
        .filter(|c| c["type"] == "ballot" && c["poll_id"] == json!(poll))
        .collect();
    assert_eq!(own.len(), 1);
    assert!(own[0]["choices"].is_null() && own[0]["cast_at"].is_null());
    // No second ballot, not even a change of mind.
    rejected(&voters[0].vote(poll, &[1]).await, "conflict");

    close_poll(&secretary, poll).await;
    let closed = poll_in_feed(&voters[0], poll).await;
    assert_eq!(closed["tally"]["votes"], json!(expected));
    assert_eq!(closed["result"]["count"]["votes"], json!(expected));

    // The database file itself: no row that names a voter holds a choice.
    let db = rusqlite::Connection::open(server.data_dir().join("phonghop.db")).unwrap();
    let cols = |table: &str| -> Vec<String> {
        let mut stmt = db.prepare(&format!("PRAGMA table_info({table})")).unwrap();
        stmt.query_map([], |r| r.get::<_, String>(1))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(cols("secret_ballots"), ["poll_id", "ballot_key", "choices"]);
    assert_eq!(
        cols("poll_voters"),
        ["poll_id", "voter_id", "cast_by", "seq"]
    );
    let ids: HashSet<String> = voters.iter().map(|v| v.user_id().to_string()).collect();
    let names: HashSet<String> = (1..=12).map(|i| format!("daibieu{i:02}")).collect();
    let tables: Vec<String> = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut rows_naming_voters = 0;
    for t in &tables {
        let n = cols(t).len();
        let mut stmt = db.prepare(&format!("SELECT * FROM {t}")).unwrap();
        let mut q = stmt.query([]).unwrap();
        while let Some(r) = q.next().unwrap() {
            let cells: Vec<String> = (0..n)
                .map(|i| match r.get_ref(i).unwrap() {
                    rusqlite::types::ValueRef::Text(b) => String::from_utf8_lossy(b).into_owned(),
                    other => format!("{other:?}"),
                })
                .collect();
            let text = cells.join("\u{1}");
            let names_voter = ids.iter().any(|id| text.contains(id.as_str()))
                || cells.iter().any(|c| names.contains(c));
            let names_poll = text.contains(&poll.to_string());
            if names_voter && names_poll {
                rows_naming_voters += 1;
                assert!(
                    !text.contains("choices") && !cells.iter().any(|c| c.starts_with('[')),
                    "{t} links a voter to a choice: {cells:?}"
                );
            }
            if t == "secret_ballots" {
                assert!(!names_voter, "a secret ballot names its voter: {cells:?}");
                assert!(
                    !cells
                        .iter()
                        .any(|c| c.contains("2026-") || c.contains("T0") || c.contains("T1")),
                    "a secret ballot carries a time: {cells:?}"
                );
            }
        }
    }
    assert!(
        rows_naming_voters >= 24,
        "expected the has-voted rows and their audit rows"
    );
    // Stored order is not arrival order (random keys): choices arrived 0,1,2,0,1,2,…
    let stored: Vec<String> = db
        .prepare("SELECT choices FROM secret_ballots WHERE poll_id = ?1")
        .unwrap()
        .query_map([poll.to_string()], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let arrival: Vec<String> = (0..12).map(|i| format!("[{}]", i % 3)).collect();
    assert_eq!(stored.len(), 12);
    assert_ne!(
        stored, arrival,
        "secret ballots are stored in arrival order"
    );
}

#[tokio::test]
async fn an_offline_ballot_counts_until_close_plus_grace_and_is_refused_after_with_its_reason() {
    let server = TestServer::demo().await;
    let (secretary, meeting) = today(&server).await;
    let mut spec = motion("Biểu quyết có thời gian ân hạn", "open");
    spec["grace_seconds"] = json!(2);
    let poll = open_poll(&secretary, &meeting, spec).await;
    let voters = delegates(&server, 3).await;
    // Both cast while the poll is open, while their laptops are offline.
    let cast_at = phonghop_domain::Timestamp::now_utc();
    let in_time = voters[0].ballot_op(poll, voters[0].user_id(), &[0], cast_at);
    let too_late = voters[1].ballot_op(poll, voters[1].user_id(), &[1], cast_at);
    tokio::time::sleep(Duration::from_millis(50)).await;
    close_poll(&secretary, poll).await;
    let closed = poll_in_feed(&secretary, poll).await;
    assert_eq!(closed["result"]["count"]["cast"], 0);

    // Back online within the grace: counted, and the result moves.
    let r = voters[0].ops(vec![in_time]).await;
    assert_eq!(r[0]["status"], "accepted", "{r:?}");
    let p = poll_in_feed(&secretary, poll).await;
    assert_eq!(p["result"]["count"]["cast"], 1);
    assert_eq!(p["tally"]["votes"], json!([1, 0, 0]));

    // A ballot cast after the close is refused even within the grace.
    let after = voters[2].ballot_op(
        poll,
        voters[2].user_id(),
        &[0],
        phonghop_domain::Timestamp::now_utc(),
    );
    let why = rejected(&voters[2].ops(vec![after]).await[0], "deadline_passed");
    assert!(why.contains("after the poll closed"), "{why}");

    // Back online after the grace: refused, and told why.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let why = rejected(&voters[1].ops(vec![too_late]).await[0], "deadline_passed");
    assert!(why.contains("after the deadline"), "{why}");
    assert!(why.contains("2 s grace"), "{why}");
    let p = poll_in_feed(&secretary, poll).await;
    assert_eq!(p["tally"]["cast"], 1);
}

#[tokio::test]
async fn a_late_ballot_is_counted_over_the_attendance_at_the_close() {
    let server = TestServer::demo().await;
    let (secretary, meeting) = today(&server).await;
    let mut spec = motion("Biểu quyết có phiếu đến muộn", "open");
    spec["grace_seconds"] = json!(30);
    let poll = open_poll(&secretary, &meeting, spec).await;
    let voters = delegates(&server, 5).await;
    let set = |v: &Api, state: Value| {
        json!({"type": "attendance.set", "meeting_id": meeting["id"],
        "user_id": v.user_id(), "state": state})
    };
    // Two in the room do not vote.
    for v in &voters[3..] {
        let r = v.ops(vec![set(v, json!({"status": "in_room"}))]).await;
        assert_eq!(r[0]["status"], "accepted", "{r:?}");
    }
    assert_eq!(voters[0].vote(poll, &[0]).await["status"], "accepted");
    assert_eq!(voters[1].vote(poll, &[0]).await["status"], "accepted");
    let offline = voters[2].ballot_op(
        poll,
        voters[2].user_id(),
        &[1],
        phonghop_domain::Timestamp::now_utc(),
    );
    tokio::time::sleep(Duration::from_millis(50)).await;
    close_poll(&secretary, poll).await;
    let at_close = poll_in_feed(&secretary, poll).await["result"]["count"].clone();

    assert!(at_close["present"].as_u64().unwrap() >= 4, "{at_close}");

    // After the close, the two who did not vote are recorded as gone; then the late
    // ballot arrives.
    for v in &voters[3..] {
        let gone = set(v, json!({"status": "absent", "reason": "Về sớm"}));
        let r = secretary.ops(vec![gone]).await;
        assert_eq!(r[0]["status"], "accepted", "{r:?}");
    }
    assert_eq!(voters[2].ops(vec![offline]).await[0]["status"], "accepted");
    let count = poll_in_feed(&secretary, poll).await["result"]["count"].clone();
    assert_eq!(count["cast"], 3);
    assert_eq!(count["votes"], json!([2, 1, 0]));
    assert_eq!(count["members"], at_close["members"]);
    // The late voter had not checked in: they join those present at the close.
    let present = at_close["present"].as_u64().unwrap() + 1;
    assert_eq!(count["present"], present, "at the close: {at_close}");
}

/// While a closed poll still takes late ballots, nobody becomes a voter: a member added
/// then could send a ballot dated before the close, counted over members they were not
/// among.
#[tokio::test]
async fn nobody_becomes_a_voter_while_a_closed_poll_takes_late_ballots() {
    let server = TestServer::demo().await;
    let (secretary, meeting) = today(&server).await;
    let mut spec = motion("Biểu quyết còn nhận phiếu muộn", "open");
    spec["grace_seconds"] = json!(30);
    let poll = open_poll(&secretary, &meeting, spec).await;
    let voters = delegates(&server, 2).await;
    let m = &meeting["id"];
    let newcomer = voters[1].user_id();
    let remove = json!({"type": "member.remove", "meeting_id": m, "user_id": newcomer});
    assert_eq!(secretary.ops(vec![remove]).await[0]["status"], "accepted");
    let late = voters[1].ballot_op(poll, newcomer, &[1], phonghop_domain::Timestamp::now_utc());
    assert_eq!(voters[0].vote(poll, &[0]).await["status"], "accepted");
    close_poll(&secretary, poll).await;
    let at_close = poll_in_feed(&secretary, poll).await["result"]["count"].clone();

    let add = json!({"type": "member.add", "meeting_id": m, "user_id": newcomer, "role": "member",
        "attendance": "in_room"});
    let why = rejected(&secretary.ops(vec![add]).await[0], "conflict");
    assert!(why.contains("late ballots"), "{why}");
    // So their ballot dated before the close is not theirs to cast.
    rejected(&voters[1].ops(vec![late]).await[0], "forbidden");
    let count = poll_in_feed(&secretary, poll).await["result"]["count"].clone();
    assert_eq!(count, at_close);
    // Making a member a guest (no new voter) is not held up.
    let demote = json!({"type": "member.add", "meeting_id": m, "user_id": voters[0].user_id(),
        "role": "guest", "attendance": "in_room"});
    assert_eq!(secretary.ops(vec![demote]).await[0]["status"], "accepted");
}

#[tokio::test]
async fn a_voter_keeps_their_place_while_their_poll_is_open() {
    let server = TestServer::demo().await;
    let (secretary, meeting) = today(&server).await;
    let poll = open_poll(&secretary, &meeting, motion("Biểu quyết đang mở", "secret")).await;
    let voters = delegates(&server, 2).await;
    assert_eq!(voters[0].vote(poll, &[0]).await["status"], "accepted");
    let m = &meeting["id"];
    let voted = voters[0].user_id();
    let remove = json!({"type": "member.remove", "meeting_id": m, "user_id": voted});
    let why = rejected(&secretary.ops(vec![remove.clone()]).await[0], "conflict");
    assert!(why.contains("poll still open"), "{why}");
    let demote = json!({"type": "member.add", "meeting_id": m, "user_id": voted, "role": "guest",
        "attendance": "in_room"});
    rejected(&secretary.ops(vec![demote]).await[0], "conflict");
    // Someone who has not voted may still be removed.
    let other = json!({"type": "member.remove", "meeting_id": m, "user_id": voters[1].user_id()});
    assert_eq!(secretary.ops(vec![other]).await[0]["status"], "accepted");

    close_poll(&secretary, poll).await;
    assert_eq!(secretary.ops(vec![remove]).await[0]["status"], "accepted");
    let count = &poll_in_feed(&secretary, poll).await["result"]["count"];
    assert_eq!(count["cast"], 1);
    assert!(
        count["cast"].as_u64() <= count["members"].as_u64(),
        "{count}"
    );
}

#[tokio::test]
async fn ending_the_meeting_closes_its_open_polls() {
    let server = TestServer::demo().await;
    let (secretary, meeting) = today(&server).await;
    let poll = open_poll(&secretary, &meeting, motion("Biểu quyết còn mở", "open")).await;
    let voters = delegates(&server, 2).await;
    assert_eq!(voters[0].vote(poll, &[0]).await["status"], "accepted");
    let r = secretary
        .ops(vec![
            json!({"type": "meeting.status", "meeting_id": meeting["id"], "status": "ended"}),
        ])
        .await;
    assert_eq!(r[0]["status"], "accepted", "{r:?}");
    let p = poll_in_feed(&secretary, poll).await;
    assert_eq!(p["status"], "closed");
    assert_eq!(p["result"]["count"]["cast"], 1);
    // Days later, nobody votes in it.
    rejected(&voters[1].vote(poll, &[1]).await, "deadline_passed");
    assert_eq!(poll_in_feed(&secretary, poll).await["tally"]["cast"], 1);
}

#[tokio::test]
async fn a_poll_with_a_duration_closes_by_itself() {
    let server = TestServer::demo().await;
    let (secretary, meeting) = today(&server).await;
    let mut spec = motion("Biểu quyết trong 1 giây", "open");
    spec["duration_seconds"] = json!(1);
    let poll = open_poll(&secretary, &meeting, spec).await;
    let voter = server.login("daibieu01").await;
    assert_eq!(voter.vote(poll, &[0]).await["status"], "accepted");
    let opened = poll_in_feed(&voter, poll).await;
    assert!(opened["closes_at"].is_string());
    let mut closed = Value::Null;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        closed = poll_in_feed(&voter, poll).await;
        if closed["status"] == "closed" {
            break;
        }
    }
    assert_eq!(closed["status"], "closed", "the timer did not close it");
    assert_eq!(closed["closed_at"], opened["closes_at"]);
    assert_eq!(closed["result"]["count"]["cast"], 1);
    // Ballots after the time ran out are refused even before anyone closes it.
    let late = server.login("daibieu02").await;
    rejected(&late.vote(poll, &[0]).await, "deadline_passed");
}

#[tokio::test]
async fn only_the_chair_and_the_secretary_run_polls() {
    let server = TestServer::demo().await;
    let (secretary, meeting) = today(&server).await;
    let delegate = server.login("daibieu01").await;
    let poll = Uuid::now_v7();
    let r = delegate
        .ops(vec![json!({"type": "poll.create", "poll_id": poll, "meeting_id": meeting["id"], "spec": motion("Q", "open")})])
        .await;
    rejected(&r[0], "forbidden");
    // The chair (a chair's account, chair of this meeting) may.
    let chair = server.login("chutoa").await;
    let poll = open_poll(&chair, &meeting, motion("Chủ tọa mở biểu quyết", "open")).await;
    rejected(
        &delegate
            .ops(vec![json!({"type": "poll.close", "poll_id": poll})])
            .await[0],
        "forbidden",
    );
    close_poll(&chair, poll).await;
    // A meeting not yet in session takes no votes.
    let next = secretary.meetings_by_date().await[2].clone();
    let p2 = Uuid::now_v7();
    let r = secretary
        .ops(vec![
            json!({"type": "poll.create", "poll_id": p2, "meeting_id": next["id"], "spec": motion("Q", "open")}),
            json!({"type": "poll.open", "poll_id": p2}),
        ])
        .await;
    assert_eq!(r[0]["status"], "accepted");
    rejected(&r[1], "conflict");
    // Bad specs are refused before anything is stored.
    let mut bad = motion("Q", "secret");
    bad["allow_recast"] = json!(true);
    let (status, body) = secretary
        .post(
            "/api/v1/ops",
            json!({"ops": [{"id": Uuid::now_v7(), "op": {"type": "poll.create", "poll_id": Uuid::now_v7(), "meeting_id": meeting["id"], "spec": bad}}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let why = rejected(&body["results"][0], "validation");
    assert!(why.contains("secret"), "{why}");
}

#[tokio::test]
async fn recasting_is_allowed_only_when_the_poll_says_so() {
    let server = TestServer::demo().await;
    let (secretary, meeting) = today(&server).await;
    let mut spec = motion("Có thể đổi ý", "open");
    spec["allow_recast"] = json!(true);
    let poll = open_poll(&secretary, &meeting, spec).await;
    let v = server.login("daibieu01").await;
    assert_eq!(v.vote(poll, &[1]).await["status"], "accepted");
    assert_eq!(v.vote(poll, &[0]).await["status"], "accepted");
    let p = poll_in_feed(&v, poll).await;
    assert_eq!(p["tally"]["cast"], 1);
    assert_eq!(p["tally"]["votes"], json!([1, 0, 0]));
    let (changes, _, _) = v.pull(0, 5000).await;
    let own: Vec<&Value> = changes
        .iter()
        .filter(|c| c["type"] == "ballot" && c["poll_id"] == json!(poll))
        .collect();
    assert_eq!(own.len(), 1);
    assert_eq!(own[0]["choices"], json!([0]));

    // A ballot cast earlier (queued offline on another device) arrives last: it does not
    // undo the later choice.
    let earlier = phonghop_domain::Timestamp::now_utc() - time::Duration::minutes(1);
    let stale = v.ballot_op(poll, v.user_id(), &[2], earlier);
    rejected(&v.ops(vec![stale]).await[0], "conflict");
    assert_eq!(
        poll_in_feed(&v, poll).await["tally"]["votes"],
        json!([1, 0, 0])
    );
}

/// Kill -9 the real server binary while ballots fly; every acknowledged ballot is there
/// after the restart, and resending the rest (same op ids) completes the count exactly.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_server_killed_mid_poll_loses_no_acknowledged_ballot() {
    let data = phonghop_testkit::demo_data_dir();
    let port = crate::free_port();
    let spawn = || {
        crate::serve(data.path(), port, "warn")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let wait_up = || async {
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("the server did not come up");
    };
    let mut child = spawn();
    wait_up().await;
    let base = format!("http://127.0.0.1:{port}");
    let anon = Api::anonymous(&base);
    let secretary = anon
        .login("thuky", phonghop_testkit::DEMO_PASSWORD)
        .await
        .unwrap();
    let meeting = secretary.meetings_by_date().await[1].clone();
    let poll = open_poll(
        &secretary,
        &meeting,
        motion("Biểu quyết khi máy chủ gặp sự cố", "secret"),
    )
    .await;
    let mut voters = Vec::new();
    for name in
        std::iter::once("chutoa".to_owned()).chain((1..=15).map(|i| format!("daibieu{i:02}")))
    {
        voters.push(
            anon.login(&name, phonghop_testkit::DEMO_PASSWORD)
                .await
                .unwrap(),
        );
    }
    // Each voter's ballot op, with its id, made once: resending it is idempotent.
    let envelopes: Vec<Value> = voters
        .iter()
        .map(|v| {
            json!({"id": Uuid::now_v7(), "op": v.ballot_op(poll, v.user_id(), &[0], phonghop_domain::Timestamp::now_utc())})
        })
        .collect();
    let mut tasks = Vec::new();
    for (i, (v, env)) in voters.iter().zip(&envelopes).enumerate() {
        let (v, env) = (v.clone(), env.clone());
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(i as u64 * 15)).await;
            let resp = v
                .request(reqwest::Method::POST, "/api/v1/ops")
                .json(&json!({"ops": [env]}))
                .send()
                .await;
            match resp {
                Ok(r) if r.status() == StatusCode::OK => {
                    let body: Value = r.json().await.ok()?;
                    (body["results"][0]["status"] == "accepted").then_some(i)
                }
                _ => None,
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(110)).await;
    child.kill().unwrap();
    child.wait().unwrap();
    let mut acked = Vec::new();
    for t in tasks {
        if let Some(i) = t.await.unwrap() {
            acked.push(i);
        }
    }
    assert!(
        !acked.is_empty() && acked.len() < voters.len(),
        "the kill should land mid-poll (acked {})",
        acked.len()
    );

    let mut child = spawn();
    wait_up().await;
    let after = poll_in_feed(&secretary, poll).await;
    let cast = after["tally"]["cast"].as_u64().unwrap() as usize;
    assert!(
        cast >= acked.len(),
        "{} ballots were acknowledged but only {cast} survived",
        acked.len()
    );
    for &i in &acked {
        let (changes, _, _) = voters[i].pull(0, 5000).await;
        assert!(
            changes
                .iter()
                .any(|c| c["type"] == "ballot" && c["poll_id"] == json!(poll)),
            "voter {i}'s acknowledged ballot is gone"
        );
    }
    // Every outbox resends what it has not seen acknowledged: nothing counts twice.
    for (v, env) in voters.iter().zip(&envelopes) {
        let (status, body) = v.post("/api/v1/ops", json!({"ops": [env]})).await;
        assert_eq!(status, StatusCode::OK);
        let s = body["results"][0]["status"].as_str().unwrap().to_owned();
        assert!(s == "accepted" || s == "duplicate", "{body}");
    }
    close_poll(&secretary, poll).await;
    let done = poll_in_feed(&secretary, poll).await;
    assert_eq!(done["tally"]["cast"], 16);
    assert_eq!(done["result"]["count"]["votes"], json!([16, 0, 0]));
    let _ = child.kill();
    let _ = child.wait();
}
