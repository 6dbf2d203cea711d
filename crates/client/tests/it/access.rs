//! Losing and regaining access to a meeting's documents, as the cache sees it.

use phonghop_client::Client;
use phonghop_domain::{AnnotationBody, Classification};
use phonghop_testkit::{DEMO_PASSWORD, TestServer};
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn a_secretary_added_back_finds_its_own_annotations_on_a_confidential_document() {
    let server = TestServer::demo().await;
    let root = tempfile::tempdir().unwrap();
    let c = Client::login(root.path(), &server.url(), "thuky", DEMO_PASSWORD)
        .await
        .unwrap();
    c.sync(None).await.unwrap();
    let conf = c
        .cache
        .all_documents()
        .unwrap()
        .into_iter()
        .find(|d| d.classification == Classification::Confidential)
        .expect("thuky is a member where the demo has a confidential document");
    let body = AnnotationBody::Sticky {
        color: "#f1c40f".into(),
        at: [90.0, 640.0],
        text: "Kiểm tra lại phụ lục mật".into(),
    };
    let mine = c
        .annotation_put(None, conf.id, 1, 0, false, body.clone())
        .unwrap();
    c.sync(None).await.unwrap();

    let admin = server.login("admin").await;
    let me = c.me().unwrap().id;
    let r = admin
        .ops(vec![
            json!({"type": "member.remove", "meeting_id": conf.meeting_id, "user_id": me}),
        ])
        .await;
    assert_eq!(r[0]["status"], "accepted", "{r:?}");
    c.sync(None).await.unwrap();
    assert!(
        c.cache.document(conf.id).unwrap().is_none(),
        "the confidential document stayed"
    );

    let r = admin
        .ops(vec![
            json!({"type": "member.add", "meeting_id": conf.meeting_id, "user_id": me,
                         "role": "secretary", "attendance": "in_room"}),
        ])
        .await;
    assert_eq!(r[0]["status"], "accepted", "{r:?}");
    c.sync(None).await.unwrap();
    assert!(c.cache.document(conf.id).unwrap().is_some());
    let back = c.cache.annotations(conf.id).unwrap();
    assert_eq!(back.len(), 1, "the secretary's own note is gone");
    assert_eq!(back[0].id, mine);
    assert_eq!(back[0].body, body);
}
