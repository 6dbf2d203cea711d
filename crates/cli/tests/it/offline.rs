use phonghop_testkit::TestServer;
use serde_json::json;

use crate::{Phonghop, open_cache};

#[tokio::test(flavor = "multi_thread")]
async fn a_note_written_offline_reaches_the_server_after_it_restarts() {
    let mut server = TestServer::demo().await;
    let p = Phonghop::login(&server, "daibieu03");
    p.ok(&["sync"]);
    let today = p.ok(&["meetings", "--json"]).json()[1]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    server.stop().await;
    let text = "Đề nghị bổ sung kinh phí cho hội nghị trực tuyến cấp xã";
    let added = p
        .ok(&["note", "add", "--meeting", &today, text, "--json"])
        .json();
    let notes = p.ok(&["note", "list", "--json"]).json();
    assert_eq!(notes[0]["id"], added["id"]);
    assert_eq!(notes[0]["text"], text);
    let status = p.ok(&["status", "--json"]).json();
    assert_eq!(status["online"], false);
    assert_eq!(status["outbox"], 1);
    assert_ne!(
        p.run(&["sync"]).code,
        0,
        "sync must fail while the server is down"
    );
    assert_eq!(
        p.ok(&["status", "--json"]).json()["outbox"],
        1,
        "the note left the outbox without an ack"
    );

    server.restart().await;
    p.ok(&["sync"]);
    let status = p.ok(&["status", "--json"]).json();
    assert_eq!(status["online"], true);
    assert_eq!(status["outbox"], 0);
    // On the server, and on the user's other device.
    let api = server.login("daibieu03").await;
    let (changes, _, _) = api.pull(0, 5000).await;
    assert!(
        changes
            .iter()
            .any(|c| c["type"] == "note" && c["text"] == text && c["id"] == added["id"])
    );
    let other_device = Phonghop::login(&server, "daibieu03");
    other_device.ok(&["sync"]);
    let theirs = other_device.ok(&["note", "list", "--json"]).json();
    assert_eq!(theirs[0]["text"], text);

    // Deleting works the same way.
    p.ok(&["note", "rm", added["id"].as_str().unwrap()]);
    p.ok(&["sync"]);
    other_device.ok(&["sync"]);
    assert_eq!(
        other_device.ok(&["note", "list", "--json"]).json(),
        json!([])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rejected_change_is_kept_and_shown_with_its_reason() {
    let server = TestServer::demo().await;
    let p = Phonghop::login(&server, "thuky");
    p.ok(&["sync"]);
    let past = p.ok(&["meetings", "--json"]).json()[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let items_before = p
        .ok(&["agenda", &past, "--json"])
        .json()
        .as_array()
        .unwrap()
        .len();
    // Locally fine; the server knows the meeting has ended.
    p.ok(&[
        "item",
        "add",
        &past,
        "--title",
        "Nội dung bổ sung sau phiên họp",
    ]);
    assert_eq!(
        p.ok(&["agenda", &past, "--json"])
            .json()
            .as_array()
            .unwrap()
            .len(),
        items_before + 1
    );

    let out = p.run(&["sync"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("rejected"), "{}", out.stderr);
    let status = p.ok(&["status", "--json"]).json();
    let rejected = status["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0]["kind"], "item.add");
    assert_eq!(rejected[0]["code"], "conflict");
    assert!(
        rejected[0]["message"].as_str().unwrap().contains("ended"),
        "{rejected:?}"
    );
    assert_eq!(status["outbox"], 0);
    let text = p.ok(&["status"]).stdout;
    assert!(
        text.contains("rejected:") && text.contains("ended"),
        "{text}"
    );
    // The refused item is gone from the local agenda again: server truth.
    assert_eq!(
        p.ok(&["agenda", &past, "--json"])
            .json()
            .as_array()
            .unwrap()
            .len(),
        items_before
    );

    // Kept across syncs until dismissed.
    p.ok(&["sync"]);
    assert_eq!(
        p.ok(&["status", "--json"]).json()["rejected"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    p.ok(&["dismiss", rejected[0]["op_id"].as_str().unwrap()]);
    assert_eq!(p.ok(&["status", "--json"]).json()["rejected"], json!([]));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_secretary_prepares_a_meeting_offline_and_delegates_get_it() {
    let mut server = TestServer::demo().await;
    let sec = Phonghop::login(&server, "thuky");
    sec.ok(&["sync"]);
    server.stop().await;

    let m = sec
        .ok(&[
            "meeting",
            "create",
            "--title",
            "Họp chuyên đề về chuyển đổi số cấp xã",
            "--kind",
            "thematic",
            "--room",
            "Phòng họp số 3",
            "--starts-at",
            "2026-12-10T14:00:00+07:00",
            "--ends-at",
            "2026-12-10T17:00:00+07:00",
            "--json",
        ])
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let i1 = sec
        .ok(&[
            "item",
            "add",
            &m,
            "--title",
            "Báo cáo hiện trạng",
            "--presenter",
            "Sở Thông tin và Truyền thông",
            "--minutes",
            "30",
            "--json",
        ])
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let i2 = sec
        .ok(&[
            "item",
            "add",
            &m,
            "--title",
            "Thảo luận",
            "--minutes",
            "60",
            "--json",
        ])
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    sec.ok(&["item", "move", &i2, "1"]);
    let pdf = sec.cache.path().join("bao-cao.pdf");
    std::fs::write(&pdf, phonghop_testkit::big_pdf(50_000, 3)).unwrap();
    let doc = sec
        .ok(&[
            "doc",
            "attach",
            &i1,
            pdf.to_str().unwrap(),
            "--title",
            "Báo cáo hiện trạng chuyển đổi số",
            "--kind",
            "report",
            "--classification",
            "public",
            "--json",
        ])
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    sec.ok(&[
        "member",
        "add",
        &m,
        "daibieu06",
        "--role",
        "member",
        "--attendance",
        "remote",
    ]);
    sec.ok(&["publish", &m]);
    // Readable offline at once, the document included.
    let agenda = sec.ok(&["agenda", &m, "--json"]).json();
    assert_eq!(agenda[0]["title"], "Thảo luận");
    assert_eq!(agenda[1]["title"], "Báo cáo hiện trạng");
    let path = sec.ok(&["doc-path", &doc]).stdout;
    assert_eq!(
        std::fs::read(path.trim()).unwrap(),
        std::fs::read(&pdf).unwrap()
    );
    assert_eq!(sec.ok(&["status", "--json"]).json()["outbox"], 7);

    // Bad input is refused at once and queues nothing.
    let out = sec.run(&["member", "add", &m, "khong-ton-tai"]);
    assert_ne!(out.code, 0);
    let txt = sec.cache.path().join("not.pdf");
    std::fs::write(&txt, "không phải PDF").unwrap();
    let out = sec.run(&["doc", "attach", &i1, txt.to_str().unwrap()]);
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("not a PDF"), "{}", out.stderr);
    let out = sec.run(&[
        "meeting",
        "create",
        "--title",
        "",
        "--starts-at",
        "2026-12-10T14:00:00+07:00",
        "--ends-at",
        "2026-12-10T13:00:00+07:00",
    ]);
    assert_ne!(out.code, 0);
    assert_eq!(sec.ok(&["status", "--json"]).json()["outbox"], 7);

    server.restart().await;
    sec.ok(&["sync"]);
    assert_eq!(sec.ok(&["status", "--json"]).json()["outbox"], 0);

    let delegate = Phonghop::login(&server, "daibieu06");
    delegate.ok(&["sync"]);
    let agenda = delegate.ok(&["agenda", &m, "--json"]).json();
    assert_eq!(agenda.as_array().unwrap().len(), 2);
    assert_eq!(agenda[0]["title"], "Thảo luận");
    let docs = delegate.ok(&["docs", &m, "--json"]).json();
    assert_eq!(docs[0]["title"], "Báo cáo hiện trạng chuyển đổi số");
    assert_eq!(docs[0]["downloaded"], true);
    let other = Phonghop::login(&server, "daibieu07");
    other.ok(&["sync"]);
    assert!(
        !other
            .ok(&["meetings", "--json"])
            .json()
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"] == m.as_str())
    );

    // A new version keeps the old one.
    std::fs::write(&pdf, phonghop_testkit::big_pdf(50_000, 4)).unwrap();
    sec.ok(&[
        "doc",
        "attach",
        &i1,
        pdf.to_str().unwrap(),
        "--document",
        &doc,
        "--kind",
        "report",
        "--classification",
        "public",
    ]);
    sec.ok(&["sync"]);
    delegate.ok(&["sync"]);
    let cache = open_cache(&delegate.profile_dir());
    let d = cache.document(doc.parse().unwrap()).unwrap().unwrap();
    assert_eq!(d.versions.len(), 2);
    assert_eq!(delegate.ok(&["docs", &m, "--json"]).json()[0]["version"], 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn login_errors_are_one_clear_line() {
    let server = TestServer::demo().await;
    let p = Phonghop::new();
    let out = p.run_stdin(
        &[
            "login",
            "--server",
            &server.url(),
            "--username",
            "daibieu01",
            "--password-stdin",
        ],
        "sai",
    );
    assert_eq!(out.code, 1);
    assert_eq!(out.stderr.trim(), "error: wrong username or password");
    let out = p.run_stdin(
        &[
            "login",
            "--server",
            "http://127.0.0.1:9",
            "--username",
            "daibieu01",
            "--password-stdin",
        ],
        "x",
    );
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("cannot be reached") && out.stderr.lines().count() == 1,
        "{}",
        out.stderr
    );
    let out = p.run(&["meetings"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("not logged in"), "{}", out.stderr);
    let out = p.run_stdin(
        &[
            "login",
            "--server",
            "phonghop.local",
            "--username",
            "a",
            "--password-stdin",
        ],
        "x",
    );
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("not a server address"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_newer_cache_is_refused_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("cache.db");
    drop(phonghop_client::Cache::open(&db).unwrap());
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch("PRAGMA user_version = 42;")
        .unwrap();
    let before = std::fs::read(&db).unwrap();
    match phonghop_client::Cache::open(&db) {
        Err(e) => assert!(e.to_string().contains("newer"), "{e}"),
        Ok(_) => panic!("a newer cache was opened"),
    }
    assert_eq!(std::fs::read(&db).unwrap(), before);
}
