//! Annotations through the client engine: applied locally at once (offline too), pushed
//! on sync, shown on the author's other devices and, once shared, to other members.

use phonghop_client::Client;
use phonghop_domain::{AnnotationBody, InkStroke};
use phonghop_testkit::{DEMO_PASSWORD, TestServer};

async fn login(server: &TestServer, user: &str) -> (tempfile::TempDir, Client) {
    let dir = tempfile::tempdir().unwrap();
    let c = Client::login(dir.path(), &server.url(), user, DEMO_PASSWORD)
        .await
        .unwrap();
    c.sync(None).await.unwrap();
    (dir, c)
}

fn stroke() -> AnnotationBody {
    AnnotationBody::Ink {
        color: "#c0392b".into(),
        width: 2.0,
        strokes: vec![InkStroke {
            points: vec![[72.0, 720.0, 0.4], [144.0, 700.0, 0.9], [200.0, 650.0, 0.6]],
        }],
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_offline_stroke_reaches_other_devices_and_sharing_reaches_members() {
    let mut server = TestServer::demo().await;
    let (_d1, laptop) = login(&server, "daibieu04").await;
    let (_d2, tablet) = login(&server, "daibieu04").await;
    let (_d3, colleague) = login(&server, "daibieu05").await;
    let today = laptop.meetings().unwrap()[1].clone();
    let doc = laptop.cache.documents(today.id).unwrap()[0].clone();
    let version = doc.current().unwrap().version;

    server.stop().await;
    let id = laptop
        .annotation_put(None, doc.id, version, 0, false, stroke())
        .unwrap();
    let local = laptop.cache.annotations(doc.id).unwrap();
    assert_eq!(local.len(), 1, "not applied locally at once");
    assert_eq!(local[0].id, id);
    assert_eq!(laptop.cache.outbox_len().unwrap(), 1);
    assert!(laptop.sync(None).await.is_err());

    server.restart().await;
    laptop.sync(None).await.unwrap();
    assert_eq!(laptop.cache.outbox_len().unwrap(), 0);
    tablet.sync(None).await.unwrap();
    let theirs = tablet.cache.annotations(doc.id).unwrap();
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0].body, stroke());
    colleague.sync(None).await.unwrap();
    assert!(colleague.cache.annotations(doc.id).unwrap().is_empty());

    // Shared: the colleague sees it; the colleague may not delete it.
    laptop
        .annotation_put(Some(id), doc.id, version, 0, true, stroke())
        .unwrap();
    laptop.sync(None).await.unwrap();
    colleague.sync(None).await.unwrap();
    assert_eq!(colleague.cache.annotations(doc.id).unwrap().len(), 1);
    assert!(colleague.annotation_delete(id).is_err());

    // Deleted on the tablet: gone everywhere.
    tablet.sync(None).await.unwrap();
    tablet.annotation_delete(id).unwrap();
    tablet.sync(None).await.unwrap();
    laptop.sync(None).await.unwrap();
    colleague.sync(None).await.unwrap();
    assert!(laptop.cache.annotations(doc.id).unwrap().is_empty());
    assert!(colleague.cache.annotations(doc.id).unwrap().is_empty());
    assert!(laptop.status().await.unwrap().rejected.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_annotation_is_refused_locally() {
    let server = TestServer::demo().await;
    let (_d, c) = login(&server, "daibieu06").await;
    let today = c.meetings().unwrap()[1].clone();
    let doc = c.cache.documents(today.id).unwrap()[0].clone();
    let v = doc.current().unwrap();
    assert!(
        c.annotation_put(None, doc.id, v.version, v.pages, false, stroke())
            .is_err(),
        "a page past the end was accepted"
    );
    assert!(
        c.annotation_put(None, doc.id, v.version + 1, 0, false, stroke())
            .is_err()
    );
    assert_eq!(c.cache.outbox_len().unwrap(), 0);
}
