use std::collections::HashSet;

use phonghop_testkit::{Api, TestServer};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{next_week_meeting, of_type, today_meeting};

fn key(c: &Value) -> String {
    // The identity of an entity in the feed, to compare pagings.
    let id = ["id", "item_id", "note_id", "document_id"]
        .iter()
        .find_map(|k| c[k].as_str())
        .unwrap_or("");
    format!("{}:{}:{}:{}", c["type"], id, c["meeting_id"], c["user_id"])
}

#[tokio::test]
async fn small_pages_deliver_exactly_what_one_big_page_does() {
    let server = TestServer::demo().await;
    let api = server.login("daibieu01").await;
    let (big, cursor_big, pages_big) = api.pull(0, 5000).await;
    let (small, cursor_small, pages_small) = api.pull(0, 7).await;
    assert_eq!(pages_big, 1);
    assert!(pages_small > 5, "only {pages_small} pages of 7");
    assert_eq!(cursor_big, cursor_small);
    let a: HashSet<String> = big.iter().map(key).collect();
    let b: HashSet<String> = small.iter().map(key).collect();
    assert_eq!(a, b);
    assert_eq!(
        of_type(&big, "meeting").len(),
        3,
        "daibieu01 is in all three demo meetings"
    );
    assert!(of_type(&big, "agenda_item").len() >= 15);
    assert!(!of_type(&big, "document").is_empty());
    // Pulling from the end gives nothing new.
    let (rest, cursor, _) = api.pull(cursor_big, 100).await;
    assert!(rest.is_empty(), "{rest:?}");
    assert_eq!(cursor, cursor_big);
}

#[tokio::test]
async fn a_delegate_sees_nothing_of_a_meeting_they_are_not_in() {
    let server = TestServer::demo().await;
    let secretary = server.login("thuky").await;
    let hidden = next_week_meeting(&secretary).await;
    let hidden_id = hidden["id"].as_str().unwrap();

    let api = server.login("daibieu15").await;
    let (changes, _, _) = api.pull(0, 50).await;
    assert_eq!(of_type(&changes, "meeting").len(), 2);
    for c in &changes {
        assert_ne!(c["meeting_id"].as_str(), Some(hidden_id), "leaked: {c}");
        assert_ne!(c["id"].as_str(), Some(hidden_id), "leaked: {c}");
    }
    // Nor its files.
    let (all, _, _) = secretary.pull(0, 5000).await;
    let hidden_doc = all
        .iter()
        .find(|c| c["type"] == "document" && c["meeting_id"] == hidden["id"])
        .expect("the hidden meeting has documents");
    let sha = hidden_doc["versions"][0]["sha256"].as_str().unwrap();
    let (status, body) = api.get(&format!("/api/v1/blobs/{sha}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
}

#[tokio::test]
async fn drafts_show_only_to_secretaries_until_published_then_members_get_everything() {
    let server = TestServer::demo().await;
    let secretary = server.login("thuky").await;
    let delegate = server.login("daibieu05").await;
    let (_, start, _) = delegate.pull(0, 5000).await;

    let meeting_id = uuid::Uuid::now_v7();
    let item_id = uuid::Uuid::now_v7();
    let results = secretary
        .ops(vec![
            json!({"type": "meeting.create", "meeting_id": meeting_id, "title": "Họp bất thường về phòng chống bão lũ",
                   "kind": "thematic", "room": "Phòng họp số 2", "starts_at": "2026-12-01T14:00:00+07:00",
                   "ends_at": "2026-12-01T16:00:00+07:00"}),
            json!({"type": "item.add", "item_id": item_id, "meeting_id": meeting_id, "title": "Phương án ứng phó",
                   "presenter": "Sở Nông nghiệp và Phát triển nông thôn", "planned_minutes": 45}),
            json!({"type": "member.add", "meeting_id": meeting_id, "user_id": delegate.user_id(), "role": "member",
                   "attendance": "remote"}),
        ])
        .await;
    assert!(
        results.iter().all(|r| r["status"] == "accepted"),
        "{results:?}"
    );

    let (changes, after_draft, _) = delegate.pull(start, 100).await;
    assert!(
        changes
            .iter()
            .all(|c| c["meeting_id"] != json!(meeting_id) && c["id"] != json!(meeting_id)),
        "a draft leaked: {changes:?}"
    );
    let (sec_changes, _, _) = secretary.pull(0, 5000).await;
    assert!(
        sec_changes
            .iter()
            .any(|c| c["type"] == "meeting" && c["id"] == json!(meeting_id))
    );

    let r = secretary
        .ops(vec![
            json!({"type": "meeting.publish", "meeting_id": meeting_id}),
        ])
        .await;
    assert_eq!(r[0]["status"], "accepted");
    // Published: the delegate gets the meeting AND what was added before, though those
    // rows changed before the delegate's cursor.
    let (changes, _, _) = delegate.pull(after_draft, 100).await;
    assert!(changes.iter().any(|c| c["type"] == "meeting"
        && c["id"] == json!(meeting_id)
        && c["status"] == "published"));
    assert!(
        changes
            .iter()
            .any(|c| c["type"] == "agenda_item" && c["id"] == json!(item_id))
    );
    assert!(
        changes
            .iter()
            .any(|c| c["type"] == "member" && c["user_id"] == json!(delegate.user_id()))
    );
}

#[tokio::test]
async fn removing_a_member_revokes_the_meeting_in_their_feed() {
    let server = TestServer::demo().await;
    let secretary = server.login("thuky").await;
    let delegate = server.login("daibieu07").await;
    let other = server.login("daibieu08").await;
    let today = today_meeting(&secretary).await;
    let (changes, cursor, _) = delegate.pull(0, 5000).await;
    let doc = changes
        .iter()
        .find(|c| {
            c["type"] == "document"
                && c["meeting_id"] == today["id"]
                && c["classification"] == "public"
        })
        .expect("today's meeting has a public document");
    let sha = doc["versions"][0]["sha256"].as_str().unwrap().to_owned();
    assert_eq!(
        delegate.get(&format!("/api/v1/blobs/{sha}")).await.0,
        StatusCode::OK
    );
    let (_, other_cursor, _) = other.pull(0, 5000).await;

    let r = secretary
        .ops(vec![json!({"type": "member.remove", "meeting_id": today["id"], "user_id": delegate.user_id()})])
        .await;
    assert_eq!(r[0]["status"], "accepted", "{r:?}");

    let (changes, _, _) = delegate.pull(cursor, 100).await;
    assert!(
        changes
            .iter()
            .any(|c| c["type"] == "meeting_revoked" && c["meeting_id"] == today["id"]),
        "no revocation in {changes:?}"
    );
    assert_eq!(
        delegate.get(&format!("/api/v1/blobs/{sha}")).await.0,
        StatusCode::NOT_FOUND
    );
    // The other members learn who left.
    let (changes, _, _) = other.pull(other_cursor, 100).await;
    assert!(
        changes
            .iter()
            .any(|c| c["type"] == "member_removed" && c["user_id"] == json!(delegate.user_id()))
    );

    // Added back: the whole meeting comes again.
    let (_, cursor, _) = delegate.pull(0, 5000).await;
    let r = secretary
        .ops(vec![
            json!({"type": "member.add", "meeting_id": today["id"], "user_id": delegate.user_id(),
                         "role": "member", "attendance": "in_room"}),
        ])
        .await;
    assert_eq!(r[0]["status"], "accepted");
    let (changes, _, _) = delegate.pull(cursor, 500).await;
    assert!(
        changes
            .iter()
            .any(|c| c["type"] == "meeting" && c["id"] == today["id"])
    );
    assert!(
        changes
            .iter()
            .filter(|c| c["type"] == "agenda_item")
            .count()
            >= 5
    );
}

#[tokio::test]
async fn confidential_documents_reach_members_only() {
    let server = TestServer::demo().await;
    let secretary = server.login("thuky").await;
    let (all, _, _) = secretary.pull(0, 5000).await;
    let conf = all
        .iter()
        .find(|c| c["type"] == "document" && c["classification"] == "confidential")
        .expect("the demo has a confidential document")
        .clone();
    let member = server.login("daibieu01").await;
    let (changes, _, _) = member.pull(0, 5000).await;
    assert!(
        changes
            .iter()
            .any(|c| c["type"] == "document" && c["id"] == conf["id"])
    );

    // The admin sees every meeting but is no member of this one.
    let admin = server.login("admin").await;
    let (changes, _, _) = admin.pull(0, 5000).await;
    assert!(
        changes
            .iter()
            .any(|c| c["type"] == "meeting" && c["id"] == conf["meeting_id"])
    );
    assert!(
        !changes
            .iter()
            .any(|c| c["type"] == "document" && c["id"] == conf["id"])
    );
    let sha = conf["versions"][0]["sha256"].as_str().unwrap();
    assert_eq!(
        admin.get(&format!("/api/v1/blobs/{sha}")).await.0,
        StatusCode::NOT_FOUND
    );
}

fn has(changes: &[Value], kind: &str, key: &str, id: &Value) -> bool {
    changes.iter().any(|c| c["type"] == kind && &c[key] == id)
}

#[tokio::test]
async fn a_secretary_removed_from_a_meeting_drops_its_confidential_documents() {
    let server = TestServer::demo().await;
    let secretary = server.login("thuky").await;
    let admin = server.login("admin").await;
    let author = server.login("daibieu01").await;
    let (all, _, _) = secretary.pull(0, 5000).await;
    let conf = all
        .iter()
        .find(|c| c["type"] == "document" && c["classification"] == "confidential")
        .expect("the secretary is a member where the demo has a confidential document")
        .clone();
    let public = all
        .iter()
        .find(|c| {
            c["type"] == "document"
                && c["meeting_id"] == conf["meeting_id"]
                && c["classification"] == "public"
        })
        .expect("the same meeting has a public document")
        .clone();
    // A delegate shares a note on each; the secretary, a member, sees both.
    let mut shared = Vec::new();
    for doc in [&conf, &public] {
        let id = uuid::Uuid::now_v7();
        let r = author
            .ops(vec![json!({"type": "annotation.put", "annotation_id": id, "document_id": doc["id"],
                "version": 1, "page": 0, "shared": true, "updated_at": "2026-11-27T08:00:00Z",
                "body": {"kind": "sticky", "color": "#f1c40f", "at": [100.0, 700.0], "text": "Đề nghị làm rõ số liệu"}})])
            .await;
        assert_eq!(r[0]["status"], "accepted", "{r:?}");
        shared.push(json!(id));
    }
    let (changes, cursor, _) = secretary.pull(0, 5000).await;
    for id in &shared {
        assert!(has(&changes, "annotation", "id", id), "{id} not shared");
    }
    let r = admin
        .ops(vec![json!({"type": "member.remove", "meeting_id": conf["meeting_id"], "user_id": secretary.user_id()})])
        .await;
    assert_eq!(r[0]["status"], "accepted", "{r:?}");

    // Still sees the meeting (a secretary sees every meeting), so no revocation: the
    // confidential document and the delegate's notes go one by one.
    let (changes, cursor, _) = secretary.pull(cursor, 100).await;
    assert!(
        has(&changes, "document_removed", "document_id", &conf["id"]),
        "no tombstone for the confidential document in {changes:?}"
    );
    for id in &shared {
        assert!(
            has(&changes, "annotation_deleted", "annotation_id", id),
            "{id} stays in {changes:?}"
        );
    }
    assert!(!has(
        &changes,
        "meeting_revoked",
        "meeting_id",
        &conf["meeting_id"]
    ));
    assert!(!has(
        &changes,
        "document_removed",
        "document_id",
        &public["id"]
    ));
    let (fresh, _, _) = secretary.pull(0, 5000).await;
    assert!(has(&fresh, "meeting", "id", &conf["meeting_id"]));
    assert!(has(&fresh, "document", "id", &public["id"]));
    assert!(!has(&fresh, "document", "id", &conf["id"]));
    // Knowing a file's hash gets no one a copy: the admin (no member, not the uploader)
    // attaching it to a meeting of its own is refused, as for a file never uploaded.
    let sha = conf["versions"][0]["sha256"].as_str().unwrap();
    let mine = uuid::Uuid::now_v7();
    let item = uuid::Uuid::now_v7();
    let r = admin
        .ops(vec![
            json!({"type": "meeting.create", "meeting_id": mine, "title": "Họp rà soát hồ sơ",
                   "kind": "thematic", "room": "Phòng họp số 2", "starts_at": "2026-12-10T08:00:00+07:00",
                   "ends_at": "2026-12-10T10:00:00+07:00"}),
            json!({"type": "item.add", "item_id": item, "meeting_id": mine, "title": "Hồ sơ",
                   "presenter": "Văn phòng", "planned_minutes": 10}),
        ])
        .await;
    assert!(r.iter().all(|r| r["status"] == "accepted"), "{r:?}");
    let r = admin
        .ops(vec![
            json!({"type": "document.attach", "document_id": uuid::Uuid::now_v7(),
            "item_id": item, "title": "Bản sao", "kind": "report", "classification": "public",
            "sha256": sha}),
        ])
        .await;
    assert_eq!(r[0]["status"], "rejected", "{r:?}");
    assert_eq!(r[0]["code"], "not_found");
    assert_eq!(
        admin.get(&format!("/api/v1/blobs/{sha}")).await.0,
        StatusCode::NOT_FOUND
    );

    // Added back: the document and the notes come again, after their tombstones.
    let r = admin
        .ops(vec![json!({"type": "member.add", "meeting_id": conf["meeting_id"], "user_id": secretary.user_id(),
                "role": "secretary", "attendance": "in_room"})])
        .await;
    assert_eq!(r[0]["status"], "accepted", "{r:?}");
    let (changes, _, _) = secretary.pull(cursor, 500).await;
    assert!(has(&changes, "document", "id", &conf["id"]), "{changes:?}");
    assert!(!has(
        &changes,
        "document_removed",
        "document_id",
        &conf["id"]
    ));
    for id in &shared {
        assert!(has(&changes, "annotation", "id", id));
    }
}

/// The secretary, the admin (who is no member of next week's meeting), that meeting, a
/// public document of it as the admin sees it, and the admin's cursor.
async fn public_document_next_week(server: &TestServer) -> (Api, Api, Value, Value, u64) {
    let secretary = server.login("thuky").await;
    let admin = server.login("admin").await;
    let meeting = next_week_meeting(&secretary).await;
    let (all, cursor, _) = admin.pull(0, 5000).await;
    let doc = all
        .iter()
        .find(|c| {
            c["type"] == "document"
                && c["meeting_id"] == meeting["id"]
                && c["classification"] == "public"
        })
        .expect("the admin sees next week's public documents")
        .clone();
    (secretary, admin, meeting, doc, cursor)
}

/// Uploads a new file (`seed` makes it unique) and attaches it as `doc`'s next version.
async fn new_version(secretary: &Api, doc: &Value, classification: &str, seed: u64) -> String {
    let pdf = phonghop_testkit::big_pdf(40_000, seed);
    let sha = phonghop_testkit::sha256_hex(&pdf);
    let resp = secretary
        .request(reqwest::Method::PUT, &format!("/api/v1/blobs/{sha}"))
        .body(pdf)
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    let r = secretary
        .ops(vec![json!({"type": "document.attach", "document_id": doc["id"], "item_id": doc["item_id"],
            "title": doc["title"], "kind": doc["kind"], "classification": classification, "sha256": sha})])
        .await;
    assert_eq!(r[0]["status"], "accepted", "{r:?}");
    sha
}

#[tokio::test]
async fn a_document_made_confidential_leaves_a_non_member_secretary() {
    let server = TestServer::demo().await;
    let (secretary, admin, _, doc, cursor) = public_document_next_week(&server).await;
    new_version(&secretary, &doc, "confidential", 7).await;

    let (changes, _, _) = admin.pull(cursor, 100).await;
    assert!(
        has(&changes, "document_removed", "document_id", &doc["id"]),
        "the admin keeps the document in {changes:?}"
    );
    // Its members get the new version, confidential.
    let member = server.login("daibieu01").await;
    let (changes, _, _) = member.pull(0, 5000).await;
    let now = changes
        .iter()
        .find(|c| c["type"] == "document" && c["id"] == doc["id"])
        .expect("members keep it");
    assert_eq!(now["classification"], "confidential");
    assert_eq!(now["versions"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_confidential_version_stays_hidden_after_the_document_is_made_public() {
    let server = TestServer::demo().await;
    let (secretary, admin, meeting, doc, _) = public_document_next_week(&server).await;
    let draft = new_version(&secretary, &doc, "confidential", 8).await;
    let published = new_version(&secretary, &doc, "public", 9).await;

    // The admin (no member) sees the document again, without its confidential draft.
    let (changes, cursor, _) = admin.pull(0, 5000).await;
    let seen = changes
        .iter()
        .find(|c| c["type"] == "document" && c["id"] == doc["id"])
        .expect("the public document is back");
    let shas: Vec<&str> = seen["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["sha256"].as_str().unwrap())
        .collect();
    assert_eq!(shas.len(), 2, "{seen}");
    assert!(!shas.contains(&draft.as_str()), "{seen}");
    assert_eq!(shas[1], published);
    let blob = |sha: &str| format!("/api/v1/blobs/{sha}");
    assert_eq!(admin.get(&blob(&draft)).await.0, StatusCode::NOT_FOUND);
    assert_eq!(admin.get(&blob(&published)).await.0, StatusCode::OK);
    // Nor may the admin annotate the draft (which would also tell its page count).
    let note_on = |version: u32| {
        json!({"type": "annotation.put", "annotation_id": uuid::Uuid::now_v7(), "document_id": doc["id"],
            "version": version, "page": 0, "shared": true, "updated_at": "2026-11-27T08:00:00Z",
            "body": {"kind": "sticky", "color": "#f1c40f", "at": [100.0, 700.0], "text": "Xem lại"}})
    };
    let r = admin.ops(vec![note_on(2), note_on(3)]).await;
    assert_eq!(
        (r[0]["status"].as_str(), r[0]["code"].as_str()),
        (Some("rejected"), Some("forbidden")),
        "{r:?}"
    );
    assert_eq!(r[1]["status"], "accepted", "{r:?}");

    // Made a member, the admin gets the document again with every version.
    let r = secretary
        .ops(vec![
            json!({"type": "member.add", "meeting_id": meeting["id"], "user_id": admin.user_id(),
            "role": "member", "attendance": "in_room"}),
        ])
        .await;
    assert_eq!(r[0]["status"], "accepted", "{r:?}");
    let versions_sent = async |since: u64, to: &str| {
        let (changes, _, _) = admin.pull(since, 5000).await;
        let seen = changes
            .iter()
            .find(|c| c["type"] == "document" && c["id"] == doc["id"])
            .unwrap_or_else(|| panic!("the document does not come again to the {to}"));
        seen["versions"].as_array().unwrap().len()
    };
    assert_eq!(versions_sent(cursor, "new member").await, 3);
    assert_eq!(admin.get(&blob(&draft)).await.0, StatusCode::OK);

    // Removed again, the admin gets it once more, without the draft.
    let (_, cursor, _) = admin.pull(0, 5000).await;
    let r = secretary
        .ops(vec![json!({"type": "member.remove", "meeting_id": meeting["id"], "user_id": admin.user_id()})])
        .await;
    assert_eq!(r[0]["status"], "accepted", "{r:?}");
    assert_eq!(versions_sent(cursor, "removed member").await, 2);
    assert_eq!(admin.get(&blob(&draft)).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_feed_queries_are_refused() {
    let server = TestServer::demo().await;
    let api = server.login("daibieu01").await;
    let (status, body) = api.get("/api/v1/changes?since=abc").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "bad_request");
    let (status, body) = api.get("/api/v1/changes?limit=0").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "validation");
    let (status, _) = api.get("/api/v1/changes?since=-1").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn demo_documents_are_checked_as_validly_signed_on_upload() {
    let server = TestServer::demo().await;
    let api = server.login("thuky").await;
    let (changes, _, _) = api.pull(0, 5000).await;
    let docs: Vec<&Value> = changes.iter().filter(|c| c["type"] == "document").collect();
    assert!(docs.len() >= 30);
    for d in docs {
        let sig = &d["versions"][0]["signature"];
        assert_eq!(sig["status"], "valid", "{}: {sig}", d["title"]);
        assert_eq!(sig["signer"], "Hoàng Minh Tuấn");
        assert!(sig["signing_time"].is_string());
    }
    // Clients fetch the roots to check again on arrival.
    let (status, roots) = api.get("/api/v1/trust").await;
    assert_eq!(status, StatusCode::OK);
    assert!(roots[0].as_str().unwrap().contains("BEGIN CERTIFICATE"));
    assert_eq!(
        phonghop_testkit::Api::anonymous(&server.url())
            .get("/api/v1/trust")
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
}
