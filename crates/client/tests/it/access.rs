//! Losing and regaining access to a meeting's documents, as the cache sees it.

use phonghop_client::Client;
use phonghop_domain::{AnnotationBody, Classification};
use phonghop_testkit::{DEMO_PASSWORD, TestServer};
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn a_secretary_added_back_finds_its_own_annotations_on_a_confidential_document() {
    let server = TestServer::demo().await;
    let (_root, c) = crate::client(&server, "thuky").await;
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

/// An op the server refuses to take at all (here: larger than its request limit) is set
/// aside as refused, with the reason, and the ops queued after it still go.
#[tokio::test(flavor = "multi_thread")]
async fn an_op_the_server_cannot_take_does_not_hold_up_the_rest() {
    let server = TestServer::demo_with(|c| c.max_json_bytes = 64 * 1024).await;
    let (_root, c) = crate::client(&server, "daibieu01").await;
    let meeting = c.meetings().unwrap().last().unwrap().id;
    let doc = c.cache.documents(meeting).unwrap()[0].clone();
    let huge = AnnotationBody::Ink {
        color: "#c0392b".into(),
        width: 2.0,
        strokes: vec![phonghop_domain::InkStroke {
            points: (0..6000)
                .map(|i| [100.0 + i as f32 / 7.0, 700.0 - i as f32 / 11.0, 0.5])
                .collect(),
        }],
    };
    c.annotation_put(None, doc.id, 1, 0, false, huge).unwrap();
    let text = "Ý kiến gửi sau nét vẽ lớn";
    let note = c.note_add(Some(meeting), text).unwrap();

    let report = c.sync(None).await.expect("the sync went through");
    assert_eq!(report.rejected, 1);
    let refused = c.cache.rejected().unwrap();
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].kind, "annotation.put");
    assert_eq!(refused[0].code, "payload_too_large");
    assert_eq!(c.cache.outbox_len().unwrap(), 0);
    let api = server.login("daibieu01").await;
    let (changes, _, _) = api.pull(0, 5000).await;
    assert!(
        changes
            .iter()
            .any(|ch| ch["type"] == "note" && ch["id"] == json!(note) && ch["text"] == text),
        "the note queued after it did not reach the server"
    );
    assert!(
        c.cache.annotations(doc.id).unwrap().is_empty(),
        "the refused annotation still shows"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn the_cache_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let server = TestServer::demo().await;
    let root = tempfile::tempdir().unwrap();
    let cache = root.path().join("app");
    // A data root made by hand with the usual umask is tightened at login.
    std::fs::create_dir_all(&cache).unwrap();
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o755)).unwrap();
    let c = Client::login(&cache, &server.url(), "daibieu01", DEMO_PASSWORD)
        .await
        .unwrap();
    c.sync(None).await.unwrap();
    let mode = std::fs::metadata(&cache).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "the cache root is {mode:o}");
}

/// One file the server cannot give is that file's problem: the others arrive, the round
/// ends, and the status says which file and why.
#[tokio::test(flavor = "multi_thread")]
async fn one_missing_file_on_the_server_does_not_hold_up_the_others() {
    let server = TestServer::demo().await;
    let root = tempfile::tempdir().unwrap();
    let c = Client::login(root.path(), &server.url(), "daibieu01", DEMO_PASSWORD)
        .await
        .unwrap();
    // Learn which files there are without fetching them, then lose one on the server.
    let (page, _) = c.api.changes(0, 5000).await.unwrap();
    assert!(!page.more);
    c.cache.apply_page(&page).unwrap();
    let wanted: Vec<_> = c.cache.wanted_blobs().unwrap();
    assert!(wanted.len() > 2, "the demo gives daibieu01 several files");
    let lost = &wanted[0].0;
    let on_server = server
        .data_dir()
        .join("blobs")
        .join(&lost.as_str()[..2])
        .join(lost.as_str());
    std::fs::remove_file(&on_server).unwrap();

    let report = c.sync(None).await.expect("the round ends");
    assert_eq!(report.failed, 1, "{report:?}");
    for (sha, _) in &wanted[1..] {
        assert!(c.blobs.has(sha), "{sha} did not arrive");
    }
    assert!(!c.blobs.has(lost));
    let errors = c.cache.blob_errors().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(c.cache.meta("last_sync").unwrap().is_some());
}

/// A lost tablet: the administrator revokes it, and at its next contact with the server
/// everything it holds of that server's users goes — documents, notes, outboxes,
/// sessions — and it cannot sign in there again. What it holds of another server is
/// not the revoking server's to take.
#[tokio::test(flavor = "multi_thread")]
async fn a_revoked_device_wipes_its_cache_at_the_next_contact() {
    let server = TestServer::demo().await;
    let other = TestServer::demo().await;
    let root = tempfile::tempdir().unwrap();
    let elsewhere = Client::login(root.path(), &other.url(), "daibieu03", DEMO_PASSWORD)
        .await
        .unwrap();
    elsewhere.sync(None).await.unwrap();
    let elsewhere_dir = elsewhere.dir.clone();
    drop(elsewhere);
    // Two delegates used this tablet; the second is the current one.
    let first = Client::login(root.path(), &server.url(), "daibieu02", DEMO_PASSWORD)
        .await
        .unwrap();
    first.sync(None).await.unwrap();
    let server_dir = first.dir.parent().unwrap().to_path_buf();
    drop(first);
    let c = Client::login(root.path(), &server.url(), "daibieu01", DEMO_PASSWORD)
        .await
        .unwrap();
    c.sync(None).await.unwrap();
    let meeting = c.cache.meetings().unwrap()[0].id;
    c.note_add(Some(meeting), "Ghi chú riêng: số liệu mật")
        .unwrap();
    let files = |dir: &std::path::Path| {
        walk(dir)
            .into_iter()
            .filter(|p| p.extension().is_none_or(|e| e != "json"))
            .count()
    };
    assert!(files(&server_dir) > 2, "nothing cached");

    // As `phonghop-server device revoke` does it, from another process: the server's
    // session cache hears it within seconds.
    server.store().revoke_device(c.device.id).unwrap();
    let mut answer = c.sync(None).await;
    for _ in 0..40 {
        if answer.is_err() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        answer = c.sync(None).await;
    }
    let e = answer.unwrap_err();
    assert_eq!(e.code(), "device_revoked", "{e}");
    assert!(
        !server_dir.exists(),
        "{} files left on disk",
        walk(&server_dir).len()
    );
    assert!(!root.path().join("current.json").exists());
    assert!(
        files(&elsewhere_dir) > 2,
        "the other server's profile went too"
    );
    assert!(matches!(
        Client::open_current(root.path()),
        Err(phonghop_client::ClientError::NotLoggedIn)
    ));
    drop(c);
    let again = Client::login(root.path(), &server.url(), "daibieu01", DEMO_PASSWORD).await;
    assert_eq!(again.err().map(|e| e.code()), Some("device_revoked"));
    assert!(!server_dir.exists());

    // A wipe cut short (the app closed mid-way) is finished at the next start.
    std::fs::create_dir_all(server_dir.join("daibieu01/blobs")).unwrap();
    std::fs::write(server_dir.join("daibieu01/cache.db"), b"left").unwrap();
    let marker = root
        .path()
        .join("wipe-pending")
        .join(server_dir.file_name().unwrap());
    std::fs::write(&marker, b"").unwrap();
    let _ = Client::open_current(root.path());
    assert!(!server_dir.exists() && !marker.exists());
    assert!(files(&elsewhere_dir) > 2);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
