//! Annotations: private by default, shared with the meeting's members on request, one
//! author, last writer wins, tombstones for deletes and for unsharing.

use phonghop_testkit::{Api, TestServer};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{next_week_meeting, of_type};

/// A public document of a meeting, as the caller sees it.
async fn public_document_of(api: &Api, meeting: &Value) -> Value {
    let (changes, _, _) = api.pull(0, 5000).await;
    changes
        .into_iter()
        .find(|c| {
            c["type"] == "document"
                && c["meeting_id"] == meeting["id"]
                && c["classification"] == "public"
        })
        .expect("a public document")
}

fn ink(id: Uuid, doc: &Value, shared: bool, at: &str) -> Value {
    json!({"type": "annotation.put", "annotation_id": id, "document_id": doc["id"], "version": 1,
        "page": 0, "shared": shared, "updated_at": at,
        "body": {"kind": "ink", "color": "#c0392b", "width": 2.0,
                 "strokes": [{"points": [[100.0, 700.0, 0.5], [140.0, 690.0, 0.7]]}]}})
}

#[tokio::test]
async fn annotations_are_private_until_shared_and_unsharing_reaches_others() {
    let server = TestServer::demo().await;
    let secretary = server.login("thuky").await;
    let meeting = next_week_meeting(&secretary).await;
    let author = server.login("daibieu01").await;
    let colleague = server.login("daibieu02").await;
    let outsider = server.login("daibieu15").await;
    let doc = public_document_of(&author, &meeting).await;
    let id = Uuid::now_v7();

    let r = author
        .ops(vec![ink(id, &doc, false, "2026-11-27T08:00:00Z")])
        .await;
    assert_eq!(r[0]["status"], "accepted", "{r:?}");
    let (mine, _, _) = author.pull(0, 5000).await;
    let a = of_type(&mine, "annotation");
    assert_eq!(a.len(), 1);
    assert_eq!(a[0]["body"]["kind"], "ink");
    assert_eq!(a[0]["meeting_id"], meeting["id"]);
    let (theirs, cursor, _) = colleague.pull(0, 5000).await;
    assert!(
        of_type(&theirs, "annotation").is_empty(),
        "a private annotation leaked"
    );

    // Shared: members see it, a non-member does not.
    let r = author
        .ops(vec![ink(id, &doc, true, "2026-11-27T08:01:00Z")])
        .await;
    assert_eq!(r[0]["status"], "accepted", "{r:?}");
    let (theirs, cursor, _) = colleague.pull(cursor, 5000).await;
    assert_eq!(of_type(&theirs, "annotation").len(), 1);
    let (outside, _, _) = outsider.pull(0, 5000).await;
    assert!(of_type(&outside, "annotation").is_empty());

    // Only the author may change or delete it.
    let r = colleague
        .ops(vec![
            ink(id, &doc, true, "2026-11-27T09:00:00Z"),
            json!({"type": "annotation.delete", "annotation_id": id}),
        ])
        .await;
    assert_eq!(r[0]["code"], "forbidden");
    assert_eq!(r[1]["code"], "forbidden");

    // An older edit loses; unsharing reaches the colleague as a tombstone.
    let r = author
        .ops(vec![
            ink(id, &doc, false, "2026-11-27T08:02:00Z"),
            ink(id, &doc, true, "2026-11-27T07:00:00Z"),
        ])
        .await;
    assert!(r.iter().all(|x| x["status"] == "accepted"), "{r:?}");
    let (theirs, cursor, _) = colleague.pull(cursor, 5000).await;
    assert!(
        theirs
            .iter()
            .any(|c| c["type"] == "annotation_deleted" && c["annotation_id"] == json!(id)),
        "{theirs:?}"
    );
    let (mine, mine_cursor, _) = author.pull(0, 5000).await;
    assert_eq!(of_type(&mine, "annotation")[0]["shared"], false);

    // Deleted stays deleted.
    let r = author
        .ops(vec![
            json!({"type": "annotation.delete", "annotation_id": id}),
            ink(id, &doc, true, "2026-11-27T10:00:00Z"),
        ])
        .await;
    assert!(r.iter().all(|x| x["status"] == "accepted"), "{r:?}");
    let (mine, _, _) = author.pull(mine_cursor, 5000).await;
    assert!(of_type(&mine, "annotation").is_empty());
    assert_eq!(of_type(&mine, "annotation_deleted").len(), 1);
    let (theirs, _, _) = colleague.pull(cursor, 5000).await;
    assert!(of_type(&theirs, "annotation").is_empty());
}

#[tokio::test]
async fn annotations_are_checked_against_the_document() {
    let server = TestServer::demo().await;
    let secretary = server.login("thuky").await;
    let meeting = next_week_meeting(&secretary).await;
    let member = server.login("daibieu01").await;
    let outsider = server.login("daibieu15").await;
    let doc = public_document_of(&member, &meeting).await;
    let pages = doc["versions"][0]["pages"].as_u64().unwrap();

    let mut past_end = ink(Uuid::now_v7(), &doc, false, "2026-11-27T08:00:00Z");
    past_end["page"] = json!(pages);
    let mut no_version = ink(Uuid::now_v7(), &doc, false, "2026-11-27T08:00:00Z");
    no_version["version"] = json!(9);
    let mut bad_colour = ink(Uuid::now_v7(), &doc, false, "2026-11-27T08:00:00Z");
    bad_colour["body"]["color"] = json!("red");
    let r = member.ops(vec![past_end, no_version, bad_colour]).await;
    assert_eq!(r[0]["code"], "validation", "{r:?}");
    assert_eq!(r[1]["code"], "not_found", "{r:?}");
    assert_eq!(r[2]["code"], "validation", "{r:?}");

    // Not a member of next week's meeting: may not annotate its documents.
    let r = outsider
        .ops(vec![ink(
            Uuid::now_v7(),
            &doc,
            false,
            "2026-11-27T08:00:00Z",
        )])
        .await;
    assert_eq!(r[0]["code"], "forbidden", "{r:?}");
}

/// A device that edits what its other device deleted replays the edit over the pulled
/// tombstone; the server ignores the edit (deleted stays deleted) and sends the tombstone
/// again, so that device drops its "ghost" on its next pull instead of keeping it.
#[tokio::test]
async fn an_edit_that_loses_to_a_deletion_brings_the_tombstone_again() {
    let server = TestServer::demo().await;
    let secretary = server.login("thuky").await;
    let meeting = next_week_meeting(&secretary).await;
    let author = server.login("daibieu01").await;
    let doc = public_document_of(&author, &meeting).await;
    let annotation = Uuid::now_v7();
    let note = Uuid::now_v7();
    let put_note = |at: &str| {
        json!({"type": "note.put", "note_id": note, "meeting_id": meeting["id"],
               "text": "Chuẩn bị ý kiến về dự toán", "updated_at": at})
    };
    let r = author
        .ops(vec![
            ink(annotation, &doc, false, "2026-11-27T08:00:00Z"),
            put_note("2026-11-27T08:00:00Z"),
        ])
        .await;
    assert!(r.iter().all(|r| r["status"] == "accepted"), "{r:?}");
    let r = author
        .ops(vec![
            json!({"type": "annotation.delete", "annotation_id": annotation}),
            json!({"type": "note.delete", "note_id": note}),
        ])
        .await;
    assert!(r.iter().all(|r| r["status"] == "accepted"), "{r:?}");
    let (changes, cursor, _) = author.pull(0, 5000).await;
    assert!(
        changes
            .iter()
            .any(|c| c["type"] == "annotation_deleted" && c["annotation_id"] == json!(annotation))
    );
    assert!(
        changes
            .iter()
            .any(|c| c["type"] == "note_deleted" && c["note_id"] == json!(note))
    );

    // The other device's later edits, pushed after it pulled the tombstones.
    let r = author
        .ops(vec![
            ink(annotation, &doc, true, "2026-11-27T09:00:00Z"),
            put_note("2026-11-27T09:00:00Z"),
        ])
        .await;
    assert!(r.iter().all(|r| r["status"] == "accepted"), "{r:?}");
    let (changes, _, _) = author.pull(cursor, 100).await;
    assert!(
        changes
            .iter()
            .any(|c| c["type"] == "annotation_deleted" && c["annotation_id"] == json!(annotation)),
        "no second tombstone in {changes:?}"
    );
    assert!(
        changes
            .iter()
            .any(|c| c["type"] == "note_deleted" && c["note_id"] == json!(note)),
        "no second tombstone in {changes:?}"
    );
    // Deleted stays deleted.
    assert!(
        !changes
            .iter()
            .any(|c| c["type"] == "annotation" || c["type"] == "note")
    );
    let colleague = server.login("daibieu02").await;
    let (changes, _, _) = colleague.pull(0, 5000).await;
    assert!(
        !changes
            .iter()
            .any(|c| c["type"] == "annotation" && c["id"] == json!(annotation))
    );
}

/// Every op the rules allow fits in one request: the largest ink annotation (all its
/// points, each number at its longest), sent as the client engine sends it, is taken,
/// not refused for its size.
#[tokio::test]
async fn the_largest_valid_ink_annotation_fits_in_one_request() {
    use phonghop_domain::annotation::{MAX_INK_POINTS, MAX_STROKES};
    use phonghop_domain::{AnnotationBody, InkStroke, Op, OpEnvelope, OpsRequest};
    let server = TestServer::demo().await;
    let secretary = server.login("thuky").await;
    let meeting = next_week_meeting(&secretary).await;
    let author = server.login("daibieu01").await;
    let doc = public_document_of(&author, &meeting).await;
    let point = [19999.998_f32, -19999.998, 0.733_333_35];
    let body = AnnotationBody::Ink {
        color: "#c0392b".into(),
        width: 2.0,
        strokes: vec![
            InkStroke {
                points: vec![point; MAX_INK_POINTS / MAX_STROKES]
            };
            MAX_STROKES
        ],
    };
    assert_eq!(body.validate(), Ok(()));
    let request = OpsRequest {
        ops: vec![OpEnvelope {
            id: Uuid::now_v7(),
            op: Op::AnnotationPut {
                annotation_id: Uuid::now_v7(),
                document_id: doc["id"].as_str().unwrap().parse().unwrap(),
                version: 1,
                page: 0,
                shared: false,
                body,
                updated_at: phonghop_domain::Timestamp::now_utc(),
            },
        }],
    };
    let bytes = serde_json::to_vec(&request).unwrap();
    assert!(
        bytes.len() > 3_000_000,
        "not the worst case: {}",
        bytes.len()
    );
    let resp = author
        .request(reqwest::Method::POST, "/api/v1/ops")
        .header("content-type", "application/json")
        .body(bytes.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{} bytes", bytes.len());
    let answer: Value = resp.json().await.unwrap();
    assert_eq!(answer["results"][0]["status"], "accepted", "{answer}");
}

/// Comments shared on a document that was then withdrawn do not reach someone who joins
/// the meeting afterwards.
#[tokio::test]
async fn shared_annotations_on_a_withdrawn_document_do_not_reach_later_members() {
    let server = TestServer::demo().await;
    let secretary = server.login("thuky").await;
    let meeting = next_week_meeting(&secretary).await;
    let author = server.login("daibieu01").await;
    let newcomer = server.login("daibieu15").await;
    let doc = public_document_of(&author, &meeting).await;
    let id = Uuid::now_v7();
    let r = author
        .ops(vec![ink(id, &doc, true, "2026-11-27T08:00:00Z")])
        .await;
    assert_eq!(r[0]["status"], "accepted", "{r:?}");
    let colleague = server.login("daibieu02").await;
    let (_, cursor, _) = colleague.pull(0, 5000).await;

    let r = secretary
        .ops(vec![
            json!({"type": "item.remove", "item_id": doc["item_id"]}),
        ])
        .await;
    assert_eq!(r[0]["status"], "accepted", "{r:?}");
    let r = secretary
        .ops(vec![
            json!({"type": "member.add", "meeting_id": meeting["id"],
            "user_id": newcomer.user_id(), "role": "member", "attendance": "in_room"}),
        ])
        .await;
    assert_eq!(r[0]["status"], "accepted", "{r:?}");

    let (changes, _, _) = newcomer.pull(0, 5000).await;
    assert!(
        !changes
            .iter()
            .any(|c| c["type"] == "annotation" && c["id"] == json!(id)),
        "a comment on the withdrawn document reached a new member"
    );
    // Those who had it drop it (with the document).
    let (changes, _, _) = colleague.pull(cursor, 500).await;
    assert!(
        changes
            .iter()
            .any(|c| c["type"] == "document_removed" && c["document_id"] == doc["id"])
    );
    assert!(
        !changes
            .iter()
            .any(|c| c["type"] == "annotation" && c["id"] == json!(id))
    );
}
