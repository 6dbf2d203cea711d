use phonghop_testkit::TestServer;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::today_meeting;

fn items_of(changes: &[Value], meeting: &Value) -> Vec<Value> {
    let mut items: Vec<Value> = changes
        .iter()
        .filter(|c| c["type"] == "agenda_item" && c["meeting_id"] == meeting["id"])
        .cloned()
        .collect();
    items.sort_by_key(|i| i["position"].as_u64());
    items
}

#[tokio::test]
async fn the_same_op_twice_applies_once() {
    let server = TestServer::demo().await;
    let secretary = server.login("thuky").await;
    let meeting = today_meeting(&secretary).await;
    let (before, _, _) = secretary.pull(0, 5000).await;
    let n = items_of(&before, &meeting).len();

    let op = json!({"id": Uuid::now_v7(), "op": {"type": "item.add", "item_id": Uuid::now_v7(),
        "meeting_id": meeting["id"], "title": "Các vấn đề phát sinh", "presenter": "Văn phòng UBND tỉnh",
        "planned_minutes": 15}});
    let (s1, r1) = secretary
        .post("/api/v1/ops", json!({"ops": [op.clone()]}))
        .await;
    let (s2, r2) = secretary
        .post("/api/v1/ops", json!({"ops": [op.clone(), op]}))
        .await;
    assert_eq!((s1, s2), (StatusCode::OK, StatusCode::OK));
    assert_eq!(r1["results"][0]["status"], "accepted");
    assert_eq!(r2["results"][0]["status"], "duplicate");
    assert_eq!(r2["results"][1]["status"], "duplicate");
    assert_eq!(r1["cursor"], r2["cursor"], "a duplicate moved the feed");

    let (after, _, _) = secretary.pull(0, 5000).await;
    let items = items_of(&after, &meeting);
    assert_eq!(items.len(), n + 1);
    assert_eq!(items.last().unwrap()["title"], "Các vấn đề phát sinh");
}

async fn unchanged(server: &TestServer, f: impl std::future::Future<Output = ()>) {
    let cursor = server.store().cursor().unwrap();
    let audit = server.store().audit_entries().unwrap().len();
    f.await;
    assert_eq!(server.store().cursor().unwrap(), cursor, "the feed moved");
    assert_eq!(
        server.store().audit_entries().unwrap().len(),
        audit,
        "something was audited"
    );
}

#[tokio::test]
async fn malformed_batches_are_refused_whole() {
    let server = TestServer::demo().await;
    let secretary = server.login("thuky").await;
    let meeting = today_meeting(&secretary).await;
    let good = json!({"id": Uuid::now_v7(), "op": {"type": "item.add", "item_id": Uuid::now_v7(),
        "meeting_id": meeting["id"], "title": "Hợp lệ"}});

    unchanged(&server, async {
        let raw = |body: &'static str| {
            secretary.request(Method::POST, "/api/v1/ops").header("content-type", "application/json").body(body).send()
        };
        let r = raw("{\"ops\": [").await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert_eq!(r.json::<Value>().await.unwrap()["code"], "bad_json");

        // An unknown kind beside a good op: nothing is applied.
        let (status, body) = secretary
            .post("/api/v1/ops", json!({"ops": [good.clone(), {"id": Uuid::now_v7(), "op": {"type": "meeting.explode"}}]}))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["code"], "bad_op");
        assert!(body["message"].as_str().unwrap().contains("op #1"), "{body}");

        // Wrong types.
        let (status, body) = secretary
            .post("/api/v1/ops", json!({"ops": [{"id": Uuid::now_v7(), "op": {"type": "item.move", "item_id": "x", "position": "first"}}]}))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["code"], "bad_op");
        let (status, body) = secretary.post("/api/v1/ops", json!({"ops": "all of them"})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["code"], "bad_json");
        let (status, body) = secretary.post("/api/v1/ops", json!({"ops": [{"op": {"type": "note.delete"}}]})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

        // Oversized body.
        let huge = "ạ".repeat(1_500_000);
        let (status, body) = secretary.post("/api/v1/ops", json!({"ops": [], "padding": huge})).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(body["code"], "payload_too_large");

        // Too many ops.
        let many: Vec<Value> = (0..501).map(|_| good.clone()).collect();
        let (status, body) = secretary.post("/api/v1/ops", json!({"ops": many})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["code"], "validation");
    })
    .await;
}

#[tokio::test]
async fn rejected_ops_say_why_and_change_nothing() {
    let server = TestServer::demo().await;
    let secretary = server.login("thuky").await;
    let delegate = server.login("daibieu01").await;
    let meeting = today_meeting(&secretary).await;
    let cursor = server.store().cursor().unwrap();

    let r = delegate
        .ops(vec![json!({"type": "meeting.create", "meeting_id": Uuid::now_v7(), "title": "Họp riêng", "kind": "working",
                         "room": "", "starts_at": "2026-12-01T08:00:00+07:00", "ends_at": "2026-12-01T09:00:00+07:00"})])
        .await;
    assert_eq!(r[0]["status"], "rejected");
    assert_eq!(r[0]["code"], "forbidden");

    let r = secretary
        .ops(vec![
            json!({"type": "item.add", "item_id": Uuid::now_v7(), "meeting_id": Uuid::now_v7(), "title": "Mồ côi"}),
            json!({"type": "item.add", "item_id": Uuid::now_v7(), "meeting_id": meeting["id"], "title": "   "}),
            json!({"type": "meeting.update", "meeting_id": meeting["id"], "ends_at": "2000-01-01T00:00:00+07:00"}),
            json!({"type": "document.attach", "document_id": Uuid::now_v7(), "item_id": Uuid::now_v7(),
                   "title": "Tờ trình", "kind": "proposal", "classification": "public", "sha256": "0".repeat(64)}),
            json!({"type": "meeting.publish", "meeting_id": meeting["id"]}),
        ])
        .await;
    let codes: Vec<&str> = r
        .iter()
        .map(|x| x["code"].as_str().unwrap_or("accepted"))
        .collect();
    assert_eq!(
        codes,
        [
            "not_found",
            "validation",
            "validation",
            "not_found",
            "conflict"
        ]
    );
    assert!(r.iter().all(|x| !x["message"].as_str().unwrap().is_empty()));
    assert_eq!(
        server.store().cursor().unwrap(),
        cursor,
        "a rejected op changed the feed"
    );
}

#[tokio::test]
async fn agenda_items_move_and_stay_numbered_without_gaps() {
    let server = TestServer::demo().await;
    let secretary = server.login("thuky").await;
    let meeting = today_meeting(&secretary).await;
    let (changes, _, _) = secretary.pull(0, 5000).await;
    let items = items_of(&changes, &meeting);
    let last = items.last().unwrap().clone();

    let r = secretary
        .ops(vec![
            json!({"type": "item.move", "item_id": last["id"], "position": 1}),
        ])
        .await;
    assert_eq!(r[0]["status"], "accepted");
    let (changes, _, _) = secretary.pull(0, 5000).await;
    let moved = items_of(&changes, &meeting);
    assert_eq!(moved[0]["id"], last["id"]);
    assert_eq!(moved[1]["id"], items[0]["id"]);
    let positions: Vec<u64> = moved
        .iter()
        .map(|i| i["position"].as_u64().unwrap())
        .collect();
    assert_eq!(positions, (1..=items.len() as u64).collect::<Vec<_>>());

    let r = secretary
        .ops(vec![
            json!({"type": "item.remove", "item_id": moved[1]["id"]}),
        ])
        .await;
    assert_eq!(r[0]["status"], "accepted");
    let (changes, _, _) = secretary.pull(0, 5000).await;
    let left = items_of(&changes, &meeting);
    let positions: Vec<u64> = left
        .iter()
        .map(|i| i["position"].as_u64().unwrap())
        .collect();
    assert_eq!(positions, (1..items.len() as u64).collect::<Vec<_>>());
    assert!(
        changes
            .iter()
            .any(|c| c["type"] == "agenda_item_removed" && c["item_id"] == moved[1]["id"])
    );
}

#[tokio::test]
async fn notes_are_private_and_the_latest_edit_wins() {
    let server = TestServer::demo().await;
    let me = server.login("daibieu02").await;
    let other = server.login("daibieu03").await;
    let note_id = Uuid::now_v7();
    let r = me
        .ops(vec![
            json!({"type": "note.put", "note_id": note_id, "text": "Đề nghị làm rõ kinh phí", "updated_at": "2026-11-27T08:00:00Z"}),
            json!({"type": "note.put", "note_id": note_id, "text": "bản cũ hơn", "updated_at": "2026-11-27T07:00:00Z"}),
        ])
        .await;
    assert!(r.iter().all(|x| x["status"] == "accepted"), "{r:?}");
    let (changes, cursor, _) = me.pull(0, 5000).await;
    let notes: Vec<&Value> = changes.iter().filter(|c| c["type"] == "note").collect();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0]["text"], "Đề nghị làm rõ kinh phí");

    let (theirs, _, _) = other.pull(0, 5000).await;
    assert!(
        !theirs.iter().any(|c| c["type"] == "note"),
        "someone else's note leaked"
    );
    let r = other
        .ops(vec![json!({"type": "note.delete", "note_id": note_id})])
        .await;
    assert_eq!(r[0]["code"], "forbidden");

    let r = me
        .ops(vec![json!({"type": "note.delete", "note_id": note_id})])
        .await;
    assert_eq!(r[0]["status"], "accepted");
    let (changes, _, _) = me.pull(cursor, 100).await;
    assert!(
        changes
            .iter()
            .any(|c| c["type"] == "note_deleted" && c["note_id"] == json!(note_id))
    );
}

/// A time stamp the store could not write back as RFC 3339 (year 0 in UTC) is refused;
/// accepted, it broke every feed that reached its row (a 500 on each pull).
#[tokio::test]
async fn a_time_stamp_out_of_range_is_refused_and_the_feeds_keep_working() {
    let server = TestServer::demo().await;
    let secretary = server.login("thuky").await;
    let delegate = server.login("daibieu01").await;
    let meeting = today_meeting(&secretary).await;
    let ballot = Uuid::now_v7();
    let r = secretary
        .ops(vec![
            json!({"type": "opinion.create", "ballot_id": ballot, "meeting_id": meeting["id"],
            "question": "Ý kiến về kế hoạch năm 2027", "days": 3}),
        ])
        .await;
    assert_eq!(r[0]["status"], "accepted", "{r:?}");
    let year_zero = time::macros::datetime!(0000-01-01 0:00 +1);
    let r = delegate
        .ops(vec![
            delegate.opinion_op(ballot, phonghop_domain::OpinionChoice::Agree, "", year_zero),
            json!({"type": "note.put", "note_id": Uuid::now_v7(), "text": "Ghi chú",
                   "updated_at": "0000-01-01T00:00:00+01:00"}),
        ])
        .await;
    for r in &r {
        assert_eq!(r["status"], "rejected", "{r}");
        assert_eq!(r["code"], "validation", "{r}");
        assert!(r["message"].as_str().unwrap().contains("year"), "{r}");
    }
    for api in [&delegate, &secretary] {
        let (status, body) = api.get("/api/v1/changes?since=0&limit=5000").await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
}

/// An op naming an organisation unit that does not exist is refused by itself; the ops
/// after it in the batch still apply (it was a storage error, a 500 for the whole batch).
#[tokio::test]
async fn an_unknown_organisation_unit_is_refused_alone() {
    let server = TestServer::demo().await;
    let secretary = server.login("thuky").await;
    let note = Uuid::now_v7();
    let (status, body) = secretary
        .post(
            "/api/v1/ops",
            json!({"ops": [
                {"id": Uuid::now_v7(), "op": {"type": "meeting.create", "meeting_id": Uuid::now_v7(),
                    "title": "Họp giao ban", "kind": "working", "room": "Phòng 1",
                    "starts_at": "2026-12-01T08:00:00+07:00", "ends_at": "2026-12-01T09:00:00+07:00",
                    "org_unit_id": Uuid::now_v7()}},
                {"id": Uuid::now_v7(), "op": {"type": "note.put", "note_id": note, "text": "Ghi chú",
                    "updated_at": "2026-11-27T08:00:00Z"}},
            ]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["results"][0]["status"], "rejected", "{body}");
    assert_eq!(body["results"][0]["code"], "not_found", "{body}");
    assert_eq!(body["results"][1]["status"], "accepted", "{body}");
}
