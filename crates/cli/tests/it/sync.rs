use phonghop_testkit::TestServer;
use serde_json::json;

use crate::{Phonghop, blobs_verified, open_cache};

#[tokio::test(flavor = "multi_thread")]
async fn a_delegate_syncs_the_whole_province_and_reads_it_offline() {
    let mut server = TestServer::demo().await;
    let p = Phonghop::login(&server, "daibieu01");
    let out = p.ok(&["sync"]);
    assert!(out.stdout.contains("synced"), "{}", out.stdout);

    let meetings = p.ok(&["meetings", "--json"]).json();
    let meetings = meetings.as_array().unwrap();
    assert_eq!(meetings.len(), 3);
    for m in meetings {
        assert!(m["id"].is_string() && m["title"].is_string() && m["starts_at"].is_string());
    }
    let today = meetings[1]["id"].as_str().unwrap().to_owned();
    let docs = p.ok(&["docs", &today, "--json"]).json();
    let docs = docs.as_array().unwrap().clone();
    assert!(docs.len() >= 5);
    for d in &docs {
        assert!(d["id"].is_string() && d["title"].is_string() && d["sha256"].is_string());
        assert_eq!(d["downloaded"], true);
        // Checked again on this device against the roots the server handed over.
        assert_eq!(d["signature"]["status"], "valid", "{d}");
        assert_eq!(d["signature"]["signer"], "Hoàng Minh Tuấn");
    }
    // Every document of every meeting is on disk, verified.
    let total_docs: usize = meetings
        .iter()
        .map(|m| {
            p.ok(&["docs", m["id"].as_str().unwrap(), "--json"])
                .json()
                .as_array()
                .unwrap()
                .len()
        })
        .sum();
    assert_eq!(blobs_verified(&p.blob_files()), total_docs);

    let path = p
        .ok(&["doc-path", docs[0]["id"].as_str().unwrap()])
        .stdout
        .trim()
        .to_owned();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(
        phonghop_testkit::sha256_hex(&bytes),
        docs[0]["sha256"].as_str().unwrap()
    );
    assert!(bytes.starts_with(b"%PDF-"));

    let agenda = p.ok(&["agenda", &today]).stdout;
    assert!(agenda.contains("1. "), "{agenda}");

    // The session and the device key are the owner's only.
    use std::os::unix::fs::PermissionsExt;
    for f in [
        p.profile_dir().join("session.json"),
        p.cache.path().join("device.json"),
    ] {
        assert_eq!(
            std::fs::metadata(&f).unwrap().permissions().mode() & 0o777,
            0o600,
            "{}",
            f.display()
        );
    }

    // Offline, everything still reads from the cache.
    server.stop().await;
    assert_eq!(
        p.ok(&["meetings", "--json"])
            .json()
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(p.ok(&["docs", &today, "--json"]).json(), json!(docs));
    let status = p.ok(&["status", "--json"]).json();
    assert_eq!(status["online"], false);
    let out = p.run(&["sync"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("cannot be reached"), "{}", out.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn daibieu15_gets_only_their_meetings() {
    let server = TestServer::demo().await;
    let p = Phonghop::login(&server, "daibieu15");
    p.ok(&["sync"]);
    let meetings = p.ok(&["meetings", "--json"]).json();
    assert_eq!(meetings.as_array().unwrap().len(), 2);
    let secretary = server.login("thuky").await;
    let hidden = secretary.meetings_by_date().await.pop().unwrap();
    assert!(
        !meetings
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["id"] == hidden["id"])
    );
    let out = p.run(&["docs", hidden["id"].as_str().unwrap()]);
    assert_ne!(out.code, 0);
    assert!(
        out.stderr.contains("not in the local cache"),
        "{}",
        out.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn removal_from_a_meeting_removes_its_documents_from_disk() {
    let server = TestServer::demo().await;
    let p = Phonghop::login(&server, "daibieu09");
    p.ok(&["sync"]);
    let before = p.blob_files().len();
    let secretary = server.login("thuky").await;
    let today = secretary.meetings_by_date().await[1].clone();
    let docs = p
        .ok(&["docs", today["id"].as_str().unwrap(), "--json"])
        .json();
    let shas: Vec<String> = docs
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["sha256"].as_str().unwrap().to_owned())
        .collect();
    assert!(!shas.is_empty());

    let user = server
        .store()
        .user_by_username("daibieu09")
        .unwrap()
        .unwrap();
    let r = secretary
        .ops(vec![
            json!({"type": "member.remove", "meeting_id": today["id"], "user_id": user.id}),
        ])
        .await;
    assert_eq!(r[0]["status"], "accepted");
    let out = p.ok(&["sync", "--json"]).json();
    assert_eq!(out["report"]["revoked"], 1);

    let left: Vec<String> = p
        .blob_files()
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for sha in &shas {
        assert!(
            !left.contains(sha),
            "{sha} of the revoked meeting is still on disk"
        );
    }
    assert_eq!(left.len(), before - shas.len());
    assert_eq!(
        p.ok(&["meetings", "--json"])
            .json()
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let cache = open_cache(&p.profile_dir());
    assert!(
        cache
            .documents(today["id"].as_str().unwrap().parse().unwrap())
            .unwrap()
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_secretary_removed_from_a_meeting_keeps_it_but_not_its_confidential_files() {
    let server = TestServer::demo().await;
    let p = Phonghop::login(&server, "thuky");
    p.ok(&["sync"]);
    let secretary = server.login("thuky").await;
    let (changes, _, _) = secretary.pull(0, 5000).await;
    let conf = changes
        .iter()
        .find(|c| c["type"] == "document" && c["classification"] == "confidential")
        .expect("the demo has a confidential document in one of thuky's meetings")
        .clone();
    let meeting = conf["meeting_id"].as_str().unwrap().to_owned();
    let listed = |p: &Phonghop| -> Vec<(String, String)> {
        p.ok(&["docs", &meeting, "--json"])
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["id"].as_str().unwrap().to_owned(),
                    d["sha256"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let before = listed(&p);
    let conf_sha = conf["versions"][0]["sha256"].as_str().unwrap().to_owned();
    assert!(before.iter().any(|(id, _)| conf["id"] == *id));
    let on_disk = |p: &Phonghop| -> Vec<String> {
        p.blob_files()
            .iter()
            .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
            .collect()
    };
    assert!(on_disk(&p).contains(&conf_sha));

    let admin = server.login("admin").await;
    let r = admin
        .ops(vec![
            json!({"type": "member.remove", "meeting_id": meeting, "user_id": secretary.user_id()}),
        ])
        .await;
    assert_eq!(r[0]["status"], "accepted", "{r:?}");
    let out = p.ok(&["sync", "--json"]).json();
    assert_eq!(
        out["report"]["revoked"], 0,
        "a secretary still sees the meeting"
    );
    assert!(
        out["report"]["removed_files"].as_u64().unwrap() >= 1,
        "{out}"
    );

    assert!(
        !on_disk(&p).contains(&conf_sha),
        "the confidential file is still on disk"
    );
    let after = listed(&p);
    assert!(!after.iter().any(|(id, _)| conf["id"] == *id));
    assert_eq!(
        after.len(),
        before.len() - 1,
        "only the confidential one goes"
    );
    for (_, sha) in &after {
        assert!(on_disk(&p).contains(sha), "{sha} went too");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_that_does_not_match_its_hash_is_refused_and_reported() {
    let server = TestServer::demo().await;
    let secretary = server.login("thuky").await;
    let today = secretary.meetings_by_date().await[1].clone();
    let item = secretary.items_of(&today).await[0].clone();
    let (_, sha) = secretary
        .attach_pdf(
            &item,
            phonghop_testkit::big_pdf(200_000, 7),
            "Báo cáo bổ sung",
            None,
        )
        .await;
    // The file on the server's disk goes bad (disk fault, tampering).
    let on_server = server.data_dir().join("blobs").join(&sha[..2]).join(&sha);
    let mut bytes = std::fs::read(&on_server).unwrap();
    bytes[5000] ^= 0xff;
    std::fs::write(&on_server, bytes).unwrap();

    let p = Phonghop::login(&server, "daibieu01");
    let out = p.run(&["sync"]);
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains(&sha), "{}", out.stderr);
    let status = p.ok(&["status", "--json"]).json();
    let errors = status["blob_errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["sha256"], sha);
    assert!(errors[0]["message"].as_str().unwrap().contains("SHA-256"));
    assert!(
        !p.blob_files()
            .iter()
            .any(|f| f.to_string_lossy().contains(&sha)),
        "a bad file reached the disk"
    );
    // The other documents arrived.
    assert!(blobs_verified(&p.blob_files()) > 30);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cut_download_resumes_from_its_part_file() {
    let server = TestServer::demo().await;
    let p = Phonghop::login(&server, "daibieu01");
    p.ok(&["sync"]);
    let secretary = server.login("thuky").await;
    let today = secretary.meetings_by_date().await[1].clone();
    let item = secretary.items_of(&today).await[0].clone();
    let pdf = phonghop_testkit::big_pdf(3_000_000, 11);
    let (_, sha) = secretary
        .attach_pdf(&item, pdf.clone(), "Báo cáo dài", None)
        .await;

    // A previous run got the first megabyte before the line dropped.
    let dir = p.profile_dir().join("blobs").join(&sha[..2]);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{sha}.part")), &pdf[..1_000_000]).unwrap();
    let report = p.ok(&["sync", "--json"]).json();
    assert_eq!(report["report"]["downloaded"], 1);
    let bytes = report["report"]["bytes"].as_u64().unwrap();
    assert!(
        bytes < pdf.len() as u64 - 1_000_000 + 100_000,
        "{bytes} bytes: the download started over"
    );
    assert_eq!(std::fs::read(dir.join(&sha)).unwrap(), pdf);
    assert!(!dir.join(format!("{sha}.part")).exists());

    // A part with wrong bytes: the result fails its check, is dropped, and the next
    // round fetches it whole.
    let (_, sha2) = secretary
        .attach_pdf(
            &item,
            phonghop_testkit::big_pdf(2_000_000, 12),
            "Phụ lục",
            None,
        )
        .await;
    let dir2 = p.profile_dir().join("blobs").join(&sha2[..2]);
    std::fs::create_dir_all(&dir2).unwrap();
    std::fs::write(dir2.join(format!("{sha2}.part")), vec![0u8; 500_000]).unwrap();
    let out = p.run(&["sync"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(!dir2.join(&sha2).exists());
    p.ok(&["sync"]);
    assert_eq!(
        phonghop_testkit::sha256_hex(&std::fs::read(dir2.join(&sha2)).unwrap()),
        sha2
    );
    assert_eq!(p.ok(&["status", "--json"]).json()["blob_errors"], json!([]));

    // Both are unsigned: the resumed one found so by reading it back, the whole one
    // while it streamed in.
    let docs = p
        .ok(&["docs", today["id"].as_str().unwrap(), "--json"])
        .json();
    for s in [&sha, &sha2] {
        let d = docs
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["sha256"] == json!(s))
            .unwrap_or_else(|| panic!("{s} is not listed: {docs}"));
        assert_eq!(d["signature"]["status"], "unsigned", "{d}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sync_watch_pulls_when_the_server_says_something_changed() {
    let server = TestServer::demo().await;
    let p = Phonghop::login(&server, "daibieu01");
    let mut watch = p
        .command(&["sync", "--watch"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_for("the first sync", || {
        p.run(&["meetings", "--json"])
            .stdout
            .trim_start()
            .starts_with('[')
            && p.run(&["meetings", "--json"])
                .json()
                .as_array()
                .is_some_and(|a| a.len() == 3)
    })
    .await;
    let secretary = server.login("thuky").await;
    let today = secretary.meetings_by_date().await[1].clone();
    let id = today["id"].as_str().unwrap().to_owned();
    let n = p
        .ok(&["agenda", &id, "--json"])
        .json()
        .as_array()
        .unwrap()
        .len();
    let r = secretary
        .ops(vec![
            json!({"type": "item.add", "item_id": uuid::Uuid::now_v7(), "meeting_id": today["id"],
                         "title": "Nội dung phát sinh"}),
        ])
        .await;
    assert_eq!(r[0]["status"], "accepted");
    wait_for("the live channel to trigger a pull", || {
        p.run(&["agenda", &id, "--json"])
            .json()
            .as_array()
            .is_some_and(|a| a.len() == n + 1)
    })
    .await;
    watch.kill().unwrap();
    watch.wait().unwrap();
}

/// Polls without blocking the runtime the in-process server runs on.
async fn wait_for(what: &str, f: impl Fn() -> bool) {
    // Generous: a loaded CI machine is slow to start processes.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    while !f() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}
