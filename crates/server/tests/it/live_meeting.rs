//! The live meeting over the real server: live events to the meeting's members only,
//! attendance with proxies and quorum, the speaker queue, agenda progress and "follow
//! the presenter", written-opinion ballots with statistics and exports, and catching up
//! through the feed when events were missed.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use phonghop_testkit::{Api, TestServer};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use uuid::Uuid;

use crate::votes::{close_poll, motion, open_poll, poll_in_feed, today};

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub async fn connect(server: &TestServer, api: &Api) -> Ws {
    let mut req = format!("ws://{}/api/v1/live", server.addr)
        .into_client_request()
        .unwrap();
    req.headers_mut().insert(
        "authorization",
        format!("Bearer {}", api.token.as_ref().unwrap())
            .parse()
            .unwrap(),
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    let hello = next(&mut ws, Duration::from_secs(5)).await.unwrap();
    assert_eq!(hello["type"], "hello");
    ws
}

pub async fn next(ws: &mut Ws, within: Duration) -> Option<Value> {
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.checked_duration_since(Instant::now())?;
        match tokio::time::timeout(left, ws.next()).await {
            Ok(Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t)))) => {
                return Some(serde_json::from_str(&t).unwrap());
            }
            Ok(Some(Ok(_))) => {}
            _ => return None,
        }
    }
}

/// The first live-meeting change matching `pred`, within a few seconds.
pub async fn wait_for(ws: &mut Ws, pred: impl Fn(&Value) -> bool) -> Value {
    collect_until(ws, pred).await.pop().expect("the match")
}

/// Every live-meeting change up to the first matching `pred`, which comes last.
pub async fn collect_until(ws: &mut Ws, pred: impl Fn(&Value) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut seen = Vec::new();
    while let Some(m) = next(ws, deadline.saturating_duration_since(Instant::now())).await {
        for c in m["changes"].as_array().into_iter().flatten() {
            if m["type"] == "meeting" {
                seen.push(c.clone());
                if pred(c) {
                    return seen;
                }
            }
        }
    }
    panic!("no such live change arrived; saw {seen:?}");
}

/// A document of an agenda item, as the feed carries it.
async fn document_on(api: &phonghop_testkit::Api, item: &Value) -> Value {
    let (changes, _, _) = api.pull(0, 5000).await;
    changes
        .into_iter()
        .find(|c| c["type"] == "document" && c["item_id"] == item["id"])
        .expect("the agenda item has a document")
}

fn status(r: &Value) -> (&str, &str) {
    (
        r["status"].as_str().unwrap_or_default(),
        r["code"].as_str().unwrap_or_default(),
    )
}

async fn outsider(server: &TestServer) -> Api {
    server
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
    server.login("daibieu99").await
}

#[tokio::test]
async fn tallies_reach_the_members_live_and_no_one_else() {
    let server = TestServer::demo().await;
    let (secretary, meeting) = today(&server).await;
    let member = server.login("daibieu05").await;
    let stranger = outsider(&server).await;
    let mut member_ws = connect(&server, &member).await;
    let mut stranger_ws = connect(&server, &stranger).await;
    let mut secretary_ws = connect(&server, &secretary).await;

    let poll = open_poll(&secretary, &meeting, motion("Biểu quyết trực tiếp", "open")).await;
    let opened = wait_for(&mut member_ws, |c| {
        c["type"] == "poll" && c["status"] == "open"
    })
    .await;
    assert_eq!(opened["id"], json!(poll));
    for name in ["daibieu01", "daibieu02", "daibieu03"] {
        let v = server.login(name).await;
        assert_eq!(v.vote(poll, &[0]).await["status"], "accepted");
    }
    let seen = collect_until(&mut member_ws, |c| {
        c["type"] == "poll" && c["tally"]["cast"] == 3
    })
    .await;
    assert_eq!(seen.last().unwrap()["tally"]["votes"], json!([3, 0, 0]));
    // Casting checked them in: attendance moves live too.
    assert!(seen.iter().any(|c| c["type"] == "presence"), "{seen:?}");
    wait_for(&mut secretary_ws, |c| {
        c["type"] == "poll" && c["tally"]["cast"] == 3
    })
    .await;

    // Someone outside the meeting hears that the feed moved, and nothing of the meeting.
    let deadline = Instant::now() + Duration::from_millis(800);
    while let Some(m) = next(
        &mut stranger_ws,
        deadline.saturating_duration_since(Instant::now()),
    )
    .await
    {
        assert_ne!(m["type"], "meeting", "an outsider got {m}");
    }
    // Added to the meeting, they start hearing it.
    let r = secretary
        .ops(vec![json!({"type": "member.add", "meeting_id": meeting["id"], "user_id": stranger.user_id(), "role": "member", "attendance": "remote"})])
        .await;
    assert_eq!(r[0]["status"], "accepted");
    close_poll(&secretary, poll).await;
    let closed = wait_for(&mut stranger_ws, |c| {
        c["type"] == "poll" && c["status"] == "closed"
    })
    .await;
    assert_eq!(closed["result"]["count"]["members"], 17);
}

#[tokio::test]
async fn a_member_hears_of_each_cursor_once_and_an_outsider_hears_the_feed_moved() {
    let server = TestServer::demo().await;
    let (secretary, meeting) = today(&server).await;
    let poll = open_poll(&secretary, &meeting, motion("Biểu quyết một lần", "open")).await;
    let member = server.login("daibieu05").await;
    let stranger = outsider(&server).await;
    // Connected after the poll opened and quiet since: the ballot is the only news.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut member_ws = connect(&server, &member).await;
    let mut stranger_ws = connect(&server, &stranger).await;
    let voter = server.login("daibieu01").await;
    assert_eq!(voter.vote(poll, &[0]).await["status"], "accepted");

    let mut heard = Vec::new();
    let deadline = Instant::now() + Duration::from_millis(1200);
    while let Some(m) = next(
        &mut member_ws,
        deadline.saturating_duration_since(Instant::now()),
    )
    .await
    {
        if m["type"] != "heartbeat" {
            heard.push(m);
        }
    }
    let event_cursor = heard
        .iter()
        .filter(|m| m["type"] == "meeting")
        .filter_map(|m| m["cursor"].as_u64())
        .max()
        .unwrap_or_else(|| panic!("no meeting event for the ballot: {heard:?}"));
    // The event carried the cursor: no second send saying the feed moved to it.
    for m in &heard {
        if m["type"] == "changed" {
            assert!(
                m["cursor"].as_u64().unwrap() > event_cursor,
                "a `changed` repeated the event's cursor: {heard:?}"
            );
        }
    }
    // Someone outside the meeting hears only that the feed moved.
    let changed = loop {
        let m = next(&mut stranger_ws, Duration::from_secs(2))
            .await
            .expect("the outsider hears that the feed moved");
        assert_ne!(m["type"], "meeting", "an outsider got {m}");
        if m["type"] == "changed" {
            break m;
        }
    };
    assert!(changed["cursor"].as_u64().unwrap() >= event_cursor);
}

#[tokio::test]
async fn attendance_proxies_count_once_and_do_not_chain() {
    let server = TestServer::demo().await;
    let (secretary, meeting) = today(&server).await;
    let m = &meeting["id"];
    let d = crate::votes::delegates(&server, 6).await;
    let set = |user: &Api, state: Value| json!({"type": "attendance.set", "meeting_id": m, "user_id": user.user_id(), "state": state});

    // An absence needs its reason; members record only their own attendance.
    let r = secretary
        .ops(vec![set(&d[1], json!({"status": "absent", "reason": " "}))])
        .await;
    assert_eq!(status(&r[0]), ("rejected", "validation"));
    let r = d[0]
        .ops(vec![set(&d[1], json!({"status": "in_room"}))])
        .await;
    assert_eq!(status(&r[0]), ("rejected", "forbidden"));
    let r = secretary
        .ops(vec![set(
            &d[1],
            json!({"status": "absent", "reason": "Đi công tác tại Hà Nội"}),
        )])
        .await;
    assert_eq!(r[0]["status"], "accepted", "{r:?}");

    // daibieu03 gives their proxy to daibieu04, who is in the room.
    let proxy = json!({"status": "proxy", "to": d[3].user_id(), "reason": "Bận việc đột xuất"});
    assert_eq!(
        d[2].ops(vec![set(&d[2], proxy)]).await[0]["status"],
        "accepted"
    );
    assert_eq!(
        d[3].ops(vec![set(&d[3], json!({"status": "in_room"}))])
            .await[0]["status"],
        "accepted"
    );
    // No chains: not to someone who gave theirs away, not from someone holding others'.
    let r = d[4]
        .ops(vec![set(
            &d[4],
            json!({"status": "proxy", "to": d[2].user_id()}),
        )])
        .await;
    assert_eq!(status(&r[0]), ("rejected", "conflict"));
    let r = d[3]
        .ops(vec![set(
            &d[3],
            json!({"status": "proxy", "to": d[5].user_id()}),
        )])
        .await;
    assert_eq!(status(&r[0]), ("rejected", "conflict"));
    assert!(r[0]["message"].as_str().unwrap().contains("chain"), "{r:?}");
    // The chair records attendance but cannot take a member's proxy for themselves.
    let chair = server.login("chutoa").await;
    let d7 = server.login("daibieu07").await;
    let take = set(&d7, json!({"status": "proxy", "to": chair.user_id()}));
    let r = chair.ops(vec![take.clone()]).await;
    assert_eq!(status(&r[0]), ("rejected", "forbidden"));
    let r = chair
        .ops(vec![set(
            &d7,
            json!({"status": "proxy", "to": d[4].user_id()}),
        )])
        .await;
    assert_eq!(status(&r[0]), ("accepted", ""), "{r:?}");
    let r = secretary.ops(vec![take]).await;
    assert_eq!(status(&r[0]), ("accepted", ""), "{r:?}");
    let away = set(&d7, json!({"status": "absent", "reason": "Ốm"}));
    assert_eq!(
        status(&secretary.ops(vec![away]).await[0]),
        ("accepted", "")
    );

    let poll = open_poll(
        &secretary,
        &meeting,
        motion("Biểu quyết có ủy quyền", "open"),
    )
    .await;
    let now = phonghop_domain::Timestamp::now_utc;
    // The holder votes for themselves and for the principal; each vote counts once.
    assert_eq!(d[3].vote(poll, &[0]).await["status"], "accepted");
    let for_principal = d[3].ballot_op(poll, d[2].user_id(), &[1], now());
    assert_eq!(d[3].ops(vec![for_principal]).await[0]["status"], "accepted");
    let again = d[3].ballot_op(poll, d[2].user_id(), &[0], now());
    assert_eq!(
        status(&d[3].ops(vec![again]).await[0]),
        ("rejected", "conflict")
    );
    // The principal cannot vote too; the absent member cannot vote at all.
    let r = d[2].vote(poll, &[0]).await;
    assert_eq!(status(&r), ("rejected", "forbidden"));
    assert!(r["message"].as_str().unwrap().contains("proxy"), "{r}");
    assert_eq!(
        status(&d[1].vote(poll, &[0]).await),
        ("rejected", "forbidden")
    );
    // Someone else cannot use the proxy.
    let stolen = d[0].ballot_op(poll, d[2].user_id(), &[0], now());
    assert_eq!(
        status(&d[0].ops(vec![stolen]).await[0]),
        ("rejected", "forbidden")
    );

    close_poll(&secretary, poll).await;
    let p = poll_in_feed(&secretary, poll).await;
    let count = &p["result"]["count"];
    assert_eq!(count["cast"], 2);
    assert_eq!(count["votes"], json!([1, 1, 0]));
    assert_eq!(count["present"], 2, "one in the room + one represented");
    assert_eq!(p["result"]["quorum"]["met"], false);
    assert_eq!(p["result"]["passed"], false);

    // The feed carries each member's attendance.
    let (changes, _, _) = d[0].pull(0, 5000).await;
    let presence: Vec<&Value> = changes
        .iter()
        .filter(|c| c["type"] == "presence" && c["meeting_id"] == *m)
        .collect();
    let of = |u: &Api| {
        presence
            .iter()
            .find(|p| p["user_id"] == json!(u.user_id()))
            .map(|p| p["state"].clone())
    };
    assert_eq!(of(&d[1]).unwrap()["status"], "absent");
    assert_eq!(of(&d[2]).unwrap()["to"], json!(d[3].user_id()));
    assert_eq!(of(&d[3]).unwrap()["status"], "in_room");
}

#[tokio::test]
async fn the_speaker_queue_the_floor_and_its_history() {
    let server = TestServer::demo().await;
    let (_secretary, meeting) = today(&server).await;
    let m = &meeting["id"];
    let chair = server.login("chutoa").await;
    let d = crate::votes::delegates(&server, 3).await;
    let mut watcher = connect(&server, &d[2]).await;
    let ask = |kind: &str| {
        let id = Uuid::now_v7();
        (
            id,
            json!({"type": "speak.request", "request_id": id, "meeting_id": m, "kind": kind}),
        )
    };
    let (r1, op1) = ask("speak");
    let (r2, op2) = ask("question");
    assert_eq!(d[0].ops(vec![op1]).await[0]["status"], "accepted");
    assert_eq!(d[1].ops(vec![op2]).await[0]["status"], "accepted");
    let (_, dup) = ask("question");
    assert_eq!(
        status(&d[0].ops(vec![dup]).await[0]),
        ("rejected", "conflict")
    );
    let queued = wait_for(&mut watcher, |c| {
        c["type"] == "speak_request" && c["id"] == json!(r2)
    })
    .await;
    assert_eq!(queued["status"], "waiting");
    assert_eq!(queued["kind"], "question");

    // Only the chair gives the floor.
    let grant = |id: Uuid, secs: u32| json!({"type": "speak.grant", "request_id": id, "limit_seconds": secs});
    assert_eq!(
        status(&d[1].ops(vec![grant(r2, 60)]).await[0]),
        ("rejected", "forbidden")
    );
    assert_eq!(
        chair.ops(vec![grant(r1, 180)]).await[0]["status"],
        "accepted"
    );
    let speaking = wait_for(&mut watcher, |c| {
        c["id"] == json!(r1) && c["status"] == "speaking"
    })
    .await;
    assert_eq!(speaking["limit_seconds"], 180);
    assert!(speaking["granted_at"].is_string());
    // Giving the floor to the next ends the current turn.
    assert_eq!(
        chair.ops(vec![grant(r2, 120)]).await[0]["status"],
        "accepted"
    );
    let ended = wait_for(&mut watcher, |c| {
        c["id"] == json!(r1) && c["status"] == "done"
    })
    .await;
    assert!(ended["ended_at"].is_string());
    // The speaker may end their own turn.
    assert_eq!(
        d[1].ops(vec![json!({"type": "speak.end", "request_id": r2})])
            .await[0]["status"],
        "accepted"
    );
    // Withdrawing a waiting request; not someone else's.
    let (r3, op3) = ask("speak");
    assert_eq!(d[2].ops(vec![op3]).await[0]["status"], "accepted");
    let w = json!({"type": "speak.withdraw", "request_id": r3});
    assert_eq!(
        status(&d[0].ops(vec![w.clone()]).await[0]),
        ("rejected", "forbidden")
    );
    assert_eq!(d[2].ops(vec![w]).await[0]["status"], "accepted");

    let (changes, _, _) = d[0].pull(0, 5000).await;
    let requests: Vec<phonghop_domain::SpeakRequest> = changes
        .into_iter()
        .filter(|c| c["type"] == "speak_request")
        .map(|c| serde_json::from_value(c).unwrap())
        .collect();
    let history = phonghop_domain::speaker::history(&requests);
    assert_eq!(
        history.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![r1, r2],
        "history in the order the floor was given"
    );
    assert!(phonghop_domain::speaker::queue(&requests).is_empty());
    assert!(phonghop_domain::speaker::current_speaker(&requests).is_none());
}

#[tokio::test]
async fn the_chair_moves_the_agenda_and_followers_jump_to_the_presenters_page() {
    let server = TestServer::demo().await;
    let (secretary, meeting) = today(&server).await;
    let m = &meeting["id"];
    let chair = server.login("chutoa").await;
    let member = server.login("daibieu07").await;
    let mut follower = connect(&server, &member).await;
    let items = secretary.items_of(&meeting).await;
    let doc = document_on(&secretary, &items[1]).await;
    let pages = doc["versions"][0]["pages"].as_u64().unwrap();
    assert!(pages >= 2, "the demo PDFs have several pages");

    let r = chair
        .ops(vec![
            json!({"type": "agenda.current", "meeting_id": m, "item_id": items[1]["id"]}),
        ])
        .await;
    assert_eq!(r[0]["status"], "accepted", "{r:?}");
    let progress = wait_for(&mut follower, |c| c["type"] == "progress").await;
    assert_eq!(progress["current_item"], items[1]["id"]);
    assert!(progress["item_started_at"].is_string());

    let page = |n: u64| json!({"type": "present.page", "meeting_id": m, "document_id": doc["id"], "page": n});
    assert_eq!(chair.ops(vec![page(2)]).await[0]["status"], "accepted");
    let shown = wait_for(&mut follower, |c| {
        c["type"] == "progress" && c["presentation"]["page"] == 2
    })
    .await;
    assert_eq!(shown["presentation"]["document_id"], doc["id"]);
    assert_eq!(
        shown["presentation"]["presenter_id"],
        json!(chair.user_id())
    );
    assert_eq!(
        shown["current_item"], items[1]["id"],
        "presenting keeps the item"
    );
    assert_eq!(
        status(&chair.ops(vec![page(pages + 1)]).await[0]),
        ("rejected", "validation")
    );

    // A member presents only with the floor.
    assert_eq!(
        status(&member.ops(vec![page(1)]).await[0]),
        ("rejected", "forbidden")
    );
    let req = Uuid::now_v7();
    member
        .ops(vec![
            json!({"type": "speak.request", "request_id": req, "meeting_id": m, "kind": "speak"}),
        ])
        .await;
    chair
        .ops(vec![json!({"type": "speak.grant", "request_id": req})])
        .await;
    assert_eq!(member.ops(vec![page(1)]).await[0]["status"], "accepted");
    let r = member
        .ops(vec![json!({"type": "present.stop", "meeting_id": m})])
        .await;
    assert_eq!(r[0]["status"], "accepted");
    let stopped = wait_for(&mut follower, |c| {
        c["type"] == "progress" && c["presentation"].is_null()
    })
    .await;
    assert_eq!(stopped["current_item"], items[1]["id"]);

    // Presenting again, the member's turn ends: so does the presentation.
    assert_eq!(member.ops(vec![page(2)]).await[0]["status"], "accepted");
    wait_for(&mut follower, |c| {
        c["type"] == "progress" && c["presentation"]["page"] == 2
    })
    .await;
    let r = chair
        .ops(vec![json!({"type": "speak.end", "request_id": req})])
        .await;
    assert_eq!(r[0]["status"], "accepted", "{r:?}");
    wait_for(&mut follower, |c| {
        c["type"] == "progress" && c["presentation"].is_null()
    })
    .await;
}

#[tokio::test]
async fn written_opinion_ballots_with_statistics_and_exports() {
    let server = TestServer::demo().await;
    let (secretary, meeting) = today(&server).await;
    let (changes, _, _) = secretary.pull(0, 5000).await;
    let draft = changes
        .iter()
        .find(|c| {
            c["type"] == "document"
                && c["meeting_id"] == meeting["id"]
                && c["kind"] == "draft_resolution"
        })
        .expect("a draft resolution")
        .clone();
    let ballot = Uuid::now_v7();
    let r = secretary
        .ops(vec![json!({"type": "opinion.create", "ballot_id": ballot, "meeting_id": meeting["id"],
            "document_id": draft["id"], "question": "Ý kiến về Dự thảo Nghị quyết chính quyền điện tử", "days": 3})])
        .await;
    assert_eq!(r[0]["status"], "accepted", "{r:?}");
    let d = crate::votes::delegates(&server, 3).await;
    let now = phonghop_domain::Timestamp::now_utc;
    use phonghop_domain::OpinionChoice::*;
    let answer = |a: &Api, c, comment: &str| a.opinion_op(ballot, c, comment, now());
    // "Ý kiến khác" needs the opinion itself.
    let (status_code, body) = d[2]
        .post(
            "/api/v1/ops",
            json!({"ops": [{"id": Uuid::now_v7(), "op": answer(&d[2], Other, "")}]}),
        )
        .await;
    assert_eq!(status_code, StatusCode::OK);
    assert_eq!(status(&body["results"][0]), ("rejected", "validation"));
    assert_eq!(
        d[0].ops(vec![answer(&d[0], Disagree, "")]).await[0]["status"],
        "accepted"
    );
    tokio::time::sleep(Duration::from_millis(5)).await;
    // Changing one's mind before the deadline: the latest answer counts.
    assert_eq!(
        d[0].ops(vec![answer(&d[0], Agree, "")]).await[0]["status"],
        "accepted"
    );
    assert_eq!(
        d[1].ops(vec![answer(&d[1], Disagree, "Chưa rõ nguồn kinh phí")])
            .await[0]["status"],
        "accepted"
    );
    let comment = "Đề nghị bổ sung \"Điều 5\", ví dụ: =SUM(A1)";
    assert_eq!(
        d[2].ops(vec![answer(&d[2], Other, comment)]).await[0]["status"],
        "accepted"
    );
    // Guests are not asked; the signature must match.
    let guest = server.login("khach01").await;
    assert_eq!(
        status(&guest.ops(vec![answer(&guest, Agree, "")]).await[0]),
        ("rejected", "forbidden")
    );

    let (code, stats) = secretary
        .get(&format!("/api/v1/opinions/{ballot}/stats"))
        .await;
    assert_eq!(code, StatusCode::OK, "{stats}");
    assert_eq!(
        (
            &stats["asked"],
            &stats["answered"],
            &stats["not_answered"],
            &stats["agree"],
            &stats["disagree"],
            &stats["other"]
        ),
        (
            &json!(16),
            &json!(3),
            &json!(13),
            &json!(1),
            &json!(1),
            &json!(1)
        )
    );
    // A delegate may not read the others' answers.
    let (code, _) = d[0].get(&format!("/api/v1/opinions/{ballot}/stats")).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    let (changes, cursor, _) = d[0].pull(0, 5000).await;
    let answers: Vec<&Value> = changes
        .iter()
        .filter(|c| c["type"] == "opinion_answer")
        .collect();
    assert_eq!(answers.len(), 1, "only their own answer");
    assert_eq!(answers[0]["choice"], "agree");

    let resp = secretary
        .request(
            reqwest::Method::GET,
            &format!("/api/v1/opinions/{ballot}/export.csv"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains(".csv")
    );
    let csv = resp.text().await.unwrap();
    assert!(csv.starts_with('\u{feff}'));
    assert_eq!(
        csv.lines().count(),
        17,
        "a header and one row per member asked"
    );
    assert!(
        csv.contains("\"Không đồng ý\",\"Chưa rõ nguồn kinh phí\""),
        "{csv}"
    );
    assert!(
        csv.contains("\"Đề nghị bổ sung \"\"Điều 5\"\", ví dụ: =SUM(A1)\""),
        "{csv}"
    );

    let resp = secretary
        .request(
            reqwest::Method::GET,
            &format!("/api/v1/opinions/{ballot}/export.xlsx"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let bytes = resp.bytes().await.unwrap();
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    assert_eq!(wb.sheet_names(), ["Tổng hợp", "Chi tiết"]);
    let sum = wb.worksheet_range("Tổng hợp").unwrap();
    let cell = |r: &calamine::Range<calamine::Data>, row: u32, col: u32| {
        r.get_value((row, col))
            .map(|v| v.to_string())
            .unwrap_or_default()
    };
    assert_eq!(
        cell(&sum, 1, 1),
        "Ý kiến về Dự thảo Nghị quyết chính quyền điện tử"
    );
    assert_eq!(cell(&sum, 5, 0), "Đã trả lời");
    assert_eq!(cell(&sum, 5, 1), "3");
    let det = wb.worksheet_range("Chi tiết").unwrap();
    assert_eq!(det.height(), 17);
    let rows: Vec<String> = (1..17)
        .map(|r| format!("{}|{}", cell(&det, r, 4), cell(&det, r, 5)))
        .collect();
    assert!(rows.contains(&format!("Ý kiến khác|{comment}")), "{rows:?}");
    assert_eq!(
        rows.iter()
            .filter(|r| r.starts_with("Chưa trả lời"))
            .count(),
        13
    );

    // After the deadline the server refuses, with the reason.
    let db = rusqlite::Connection::open(server.data_dir().join("phonghop.db")).unwrap();
    db.busy_timeout(Duration::from_secs(5)).unwrap();
    db.execute(
        "UPDATE opinion_ballots SET deadline = '2020-01-01T00:00:00Z' WHERE id = ?1",
        [ballot.to_string()],
    )
    .unwrap();
    let late = server.login("daibieu04").await;
    let r = late.ops(vec![answer(&late, Agree, "")]).await;
    assert_eq!(status(&r[0]), ("rejected", "deadline_passed"));
    assert!(
        r[0]["message"]
            .as_str()
            .unwrap()
            .contains("after the deadline"),
        "{r:?}"
    );

    // Made the meeting's secretary, the delegate learns the answers given before.
    let r = secretary
        .ops(vec![
            json!({"type": "member.add", "meeting_id": meeting["id"],
            "user_id": d[0].user_id(), "role": "secretary", "attendance": "in_room"}),
        ])
        .await;
    assert_eq!(r[0]["status"], "accepted", "{r:?}");
    let (changes, _, _) = d[0].pull(cursor, 500).await;
    assert_eq!(
        changes
            .iter()
            .filter(|c| c["type"] == "opinion_answer")
            .count(),
        3,
        "the answers given before the promotion did not arrive"
    );
}

#[tokio::test]
async fn a_client_that_missed_the_events_catches_up_from_the_feed() {
    let server = TestServer::demo().await;
    let (secretary, meeting) = today(&server).await;
    let late = server.login("daibieu09").await;
    let (_, cursor, _) = late.pull(0, 5000).await;
    // Everything happens while daibieu09 has no live channel.
    let items = secretary.items_of(&meeting).await;
    secretary
        .ops(vec![json!({"type": "agenda.current", "meeting_id": meeting["id"], "item_id": items[2]["id"]})])
        .await;
    let req = Uuid::now_v7();
    let asker = server.login("daibieu01").await;
    asker
        .ops(vec![json!({"type": "speak.request", "request_id": req, "meeting_id": meeting["id"], "kind": "question"})])
        .await;
    let poll = open_poll(
        &secretary,
        &meeting,
        motion("Biểu quyết khi vắng kết nối", "open"),
    )
    .await;
    assert_eq!(asker.vote(poll, &[0]).await["status"], "accepted");
    close_poll(&secretary, poll).await;

    let (changes, _, _) = late.pull(cursor, 5000).await;
    let kinds: std::collections::HashSet<&str> =
        changes.iter().filter_map(|c| c["type"].as_str()).collect();
    for k in ["progress", "speak_request", "poll", "presence"] {
        assert!(kinds.contains(k), "{k} missing from the feed: {kinds:?}");
    }
    let p = changes.iter().rfind(|c| c["type"] == "poll").unwrap();
    assert_eq!(p["status"], "closed");
    assert_eq!(p["result"]["count"]["cast"], 1);
    // The same state as everyone else's, whenever pulled.
    assert_eq!(*p, poll_in_feed(&secretary, poll).await);
}

#[tokio::test]
async fn the_openapi_document_describes_the_vote_routes() {
    let server = TestServer::empty().await;
    let (code, doc) = Api::anonymous(&server.url())
        .get("/api/v1/openapi.json")
        .await;
    assert_eq!(code, StatusCode::OK);
    for path in [
        "/opinions/{id}/stats",
        "/opinions/{id}/export.csv",
        "/opinions/{id}/export.xlsx",
    ] {
        assert!(
            doc["paths"][path]["get"].is_object(),
            "{path} is not described"
        );
    }
    let ops: Vec<&str> = doc["components"]["schemas"]["Op"]["properties"]["type"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for kind in [
        "ballot.cast",
        "poll.create",
        "attendance.set",
        "speak.grant",
        "opinion.answer",
    ] {
        assert!(ops.contains(&kind), "{kind} is not described");
    }
}

/// The secretary's app sends an op and hangs up at once (the network drops): the op is
/// committed, and the live events still go out.
#[tokio::test]
async fn ops_whose_sender_hangs_up_still_reach_the_room() {
    use tokio::io::AsyncWriteExt;
    let server = TestServer::demo().await;
    let (secretary, meeting) = today(&server).await;
    let delegate = server.login("daibieu03").await;
    let mut ws = connect(&server, &delegate).await;
    let items = secretary.items_of(&meeting).await;
    let body = json!({"ops": [{"id": Uuid::now_v7(), "op":
        {"type": "agenda.current", "meeting_id": meeting["id"], "item_id": items[4]["id"]}}]})
    .to_string();
    let request = format!(
        "POST /api/v1/ops HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        server.addr,
        secretary.token.as_ref().unwrap(),
        body.len()
    );
    let mut tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    tcp.write_all(request.as_bytes()).await.unwrap();
    drop(tcp);
    let item = items[4]["id"].clone();
    wait_for(&mut ws, |c| {
        c["type"] == "progress" && c["current_item"] == item
    })
    .await;
}

/// An agenda item the meeting is using cannot be removed: the current item, or one
/// whose document is on screen, would point at nothing.
#[tokio::test]
async fn an_agenda_item_in_use_is_not_removed() {
    let server = TestServer::demo().await;
    let (secretary, meeting) = today(&server).await;
    let m = &meeting["id"];
    let chair = server.login("chutoa").await;
    let items = secretary.items_of(&meeting).await;
    let doc = document_on(&secretary, &items[1]).await;
    let remove = |i: usize| json!({"type": "item.remove", "item_id": items[i]["id"]});
    let current =
        |i: usize| json!({"type": "agenda.current", "meeting_id": m, "item_id": items[i]["id"]});

    assert_eq!(chair.ops(vec![current(1)]).await[0]["status"], "accepted");
    let r = secretary.ops(vec![remove(1)]).await;
    assert_eq!(status(&r[0]), ("rejected", "conflict"), "{r:?}");
    assert!(
        r[0]["message"].as_str().unwrap().contains("current item"),
        "{r:?}"
    );

    // Another item now, with item 2's document shown to the room.
    assert_eq!(chair.ops(vec![current(2)]).await[0]["status"], "accepted");
    let page =
        json!({"type": "present.page", "meeting_id": m, "document_id": doc["id"], "page": 1});
    assert_eq!(chair.ops(vec![page]).await[0]["status"], "accepted");
    let (_, cursor, _) = secretary.pull(0, 5000).await;
    let r = secretary.ops(vec![remove(1)]).await;
    assert_eq!(status(&r[0]), ("rejected", "conflict"), "{r:?}");
    assert!(
        r[0]["message"].as_str().unwrap().contains("presented"),
        "{r:?}"
    );
    let (_, after, _) = secretary.pull(0, 5000).await;
    assert_eq!(after, cursor, "a refused removal changed something");
    let stop = json!({"type": "present.stop", "meeting_id": m});
    assert_eq!(chair.ops(vec![stop]).await[0]["status"], "accepted");
    assert_eq!(
        secretary.ops(vec![remove(1)]).await[0]["status"],
        "accepted"
    );

    // A vote held on an item keeps it; one only prepared moves off it with the item.
    let poll_on = |i: usize| {
        let id = Uuid::now_v7();
        (
            id,
            json!({"type": "poll.create", "poll_id": id, "meeting_id": m, "item_id": items[i]["id"],
                "spec": crate::votes::motion("Thông qua nội dung", "open")}),
        )
    };
    let (held, create) = poll_on(3);
    let open = json!({"type": "poll.open", "poll_id": held});
    let r = secretary.ops(vec![create, open]).await;
    assert!(r.iter().all(|r| r["status"] == "accepted"), "{r:?}");
    let r = secretary.ops(vec![remove(3)]).await;
    assert_eq!(status(&r[0]), ("rejected", "conflict"), "{r:?}");
    let (draft, create) = poll_on(4);
    assert_eq!(secretary.ops(vec![create]).await[0]["status"], "accepted");
    assert_eq!(
        secretary.ops(vec![remove(4)]).await[0]["status"],
        "accepted"
    );
    let (changes, _, _) = secretary.pull(0, 5000).await;
    let prepared = changes
        .iter()
        .find(|c| c["type"] == "poll" && c["id"] == json!(draft))
        .expect("the prepared vote stays");
    assert!(prepared["item_id"].is_null(), "{prepared}");
}

/// A member removed from the meeting leaves the list of speakers: a waiting request is
/// withdrawn, the floor ends, and the presentation with it (they could no longer end
/// them themselves).
#[tokio::test]
async fn a_removed_member_leaves_the_floor_and_the_screen() {
    let server = TestServer::demo().await;
    let (secretary, meeting) = today(&server).await;
    let m = &meeting["id"];
    let chair = server.login("chutoa").await;
    let d = crate::votes::delegates(&server, 2).await;
    let watcher = server.login("daibieu09").await;
    let mut follower = connect(&server, &watcher).await;
    let (changes, _, _) = secretary.pull(0, 5000).await;
    let doc = changes
        .iter()
        .find(|c| c["type"] == "document" && c["meeting_id"] == *m)
        .expect("today's meeting has documents")
        .clone();
    let ask = |who: &phonghop_testkit::Api| {
        let id = Uuid::now_v7();
        (
            id,
            who.user_id(),
            json!({"type": "speak.request", "request_id": id, "meeting_id": m, "kind": "speak"}),
        )
    };
    let (speaking, speaker, op) = ask(&d[0]);
    assert_eq!(d[0].ops(vec![op]).await[0]["status"], "accepted");
    let (waiting, waiter, op) = ask(&d[1]);
    assert_eq!(d[1].ops(vec![op]).await[0]["status"], "accepted");
    let grant = json!({"type": "speak.grant", "request_id": speaking});
    assert_eq!(chair.ops(vec![grant]).await[0]["status"], "accepted");
    let page =
        json!({"type": "present.page", "meeting_id": m, "document_id": doc["id"], "page": 1});
    assert_eq!(d[0].ops(vec![page]).await[0]["status"], "accepted");
    wait_for(&mut follower, |c| {
        c["type"] == "progress" && c["presentation"]["presenter_id"] == json!(speaker)
    })
    .await;

    for who in [speaker, waiter] {
        let remove = json!({"type": "member.remove", "meeting_id": m, "user_id": who});
        assert_eq!(secretary.ops(vec![remove]).await[0]["status"], "accepted");
    }
    wait_for(&mut follower, |c| {
        c["type"] == "progress" && c["presentation"].is_null()
    })
    .await;
    let (changes, _, _) = secretary.pull(0, 5000).await;
    let state_of = |id: Uuid| {
        changes
            .iter()
            .find(|c| c["type"] == "speak_request" && c["id"] == json!(id))
            .map(|c| c["status"].clone())
    };
    assert_eq!(state_of(speaking), Some(json!("done")));
    assert_eq!(state_of(waiting), Some(json!("withdrawn")));
}
