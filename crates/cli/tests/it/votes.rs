//! The live meeting from the real `phonghop` binary against the real server: offline
//! votes judged by the deadline (and the rejection shown in `status`), attendance, the
//! floor, the presenter, and written-opinion ballots with their exports.

use std::time::Duration;

use phonghop_testkit::TestServer;
use serde_json::Value;

use crate::Phonghop;

/// Today's meeting id as the CLI lists it.
fn today(p: &Phonghop) -> String {
    let ms = p.ok(&["meetings", "--json"]).json();
    ms[1]["id"].as_str().unwrap().to_owned()
}

fn synced(server: &TestServer, user: &str) -> Phonghop {
    let p = Phonghop::login(server, user);
    p.ok(&["sync"]);
    p
}

#[tokio::test(flavor = "multi_thread")]
async fn an_offline_vote_counts_before_the_deadline_and_status_shows_why_a_late_one_did_not() {
    let server = TestServer::demo().await;
    let chair = synced(&server, "chutoa");
    let meeting = today(&chair);
    let poll = chair
        .ok(&[
            "poll",
            "create",
            &meeting,
            "--question",
            "Thông qua Tờ trình số 15/TTr-UBND",
            "--kind",
            "open",
            "--grace",
            "3",
            "--json",
        ])
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    chair.ok(&["poll", "open", &poll]);
    chair.ok(&["sync"]);

    let early = synced(&server, "daibieu01");
    let late = synced(&server, "daibieu02");
    // Both vote with their laptops offline: the ballots wait, signed, in the outbox.
    early.ok(&["vote", &poll, "Tán thành"]);
    late.ok(&["vote", &poll, "2"]);
    let view = early.ok(&["poll", "results", &poll, "--json"]).json();
    assert_eq!(view["my_ballot"]["choices"], serde_json::json!([0]));
    assert_eq!(view["my_ballot_pending"], true);
    // One ballot per voter, already here.
    let again = early.run(&["vote", &poll, "1"]);
    assert_ne!(again.code, 0);
    assert!(again.stderr.contains("voted already"), "{}", again.stderr);

    chair.ok(&["poll", "close", &poll]);
    chair.ok(&["sync"]);

    // Back online within the grace: counted.
    early.ok(&["sync"]);
    let view = early.ok(&["poll", "results", &poll, "--json"]).json();
    assert_eq!(view["my_ballot_pending"], false);
    assert_eq!(view["poll"]["status"], "closed");
    assert_eq!(view["poll"]["tally"]["votes"], serde_json::json!([1, 0, 0]));
    assert_eq!(view["result"]["count"]["cast"], 1);
    let text = early.ok(&["poll", "results", &poll]).stdout;
    assert!(text.contains("Kết quả"), "{text}");
    assert!(text.contains("KHÔNG THÔNG QUA"), "{text}");

    // Back online after the grace: refused, and `status` says why.
    std::thread::sleep(Duration::from_millis(3200));
    let out = late.run(&["sync"]);
    assert_eq!(
        out.code, 2,
        "a rejected change makes sync exit 2: {}",
        out.stderr
    );
    assert!(out.stderr.contains("ballot.cast"), "{}", out.stderr);
    let status = late.ok(&["status", "--json"]).json();
    let rejected: Vec<&Value> = status["rejected"].as_array().unwrap().iter().collect();
    assert_eq!(rejected.len(), 1, "{status}");
    assert_eq!(rejected[0]["kind"], "ballot.cast");
    assert_eq!(rejected[0]["code"], "deadline_passed");
    let why = rejected[0]["message"].as_str().unwrap();
    assert!(
        why.contains("after the deadline") && why.contains("3 s grace"),
        "{why}"
    );
    let text = late.ok(&["status"]).stdout;
    assert!(text.contains("after the deadline"), "{text}");
    // The rejected ballot left no trace in the local state.
    let view = late.ok(&["poll", "results", &poll, "--json"]).json();
    assert!(view["my_ballot"].is_null(), "{view}");
    assert_eq!(view["poll"]["tally"]["cast"], 1);

    // A client that knows the deadline passed says so at once.
    let third = synced(&server, "daibieu03");
    let out = third.run(&["vote", &poll, "1"]);
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("closed"), "{}", out.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_meeting_run_from_the_terminal() {
    let server = TestServer::demo().await;
    let secretary = synced(&server, "thuky");
    let chair = synced(&server, "chutoa");
    let d1 = synced(&server, "daibieu01");
    let d2 = synced(&server, "daibieu02");
    let meeting = today(&secretary);

    // Attendance: self check-in, a proxy, an absence recorded by the secretary.
    d1.ok(&["checkin", &meeting]);
    d2.ok(&[
        "proxy",
        &meeting,
        "--to",
        "daibieu01",
        "--reason",
        "Họp đột xuất tại huyện",
    ]);
    secretary.ok(&[
        "absent",
        &meeting,
        "--for",
        "daibieu03",
        "--reason",
        "Đi công tác",
    ]);
    for p in [&d1, &d2, &secretary] {
        p.ok(&["sync"]);
    }
    chair.ok(&["sync"]);
    let att = chair.ok(&["attendance", &meeting, "--json"]).json();
    assert_eq!(att["summary"]["in_room"], 1);
    assert_eq!(att["summary"]["represented"], 1);
    assert_eq!(att["summary"]["absent"], 1);
    let text = chair.ok(&["attendance", &meeting]).stdout;
    assert!(text.contains("Đi công tác"), "{text}");

    // The floor.
    let req = d1
        .ok(&["speak", "request", &meeting, "--question", "--json"])
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    d1.ok(&["sync"]);
    chair.ok(&["sync"]);
    let q = chair.ok(&["speak", "queue", &meeting, "--json"]).json();
    assert_eq!(q["queue"][0]["id"], req.as_str());
    chair.ok(&["speak", "grant", &req, "--seconds", "180"]);
    chair.ok(&["sync"]);
    d2.ok(&["sync"]);
    let live = d2.ok(&["live", &meeting, "--json"]).json();
    assert_eq!(live["speaker"]["id"], req.as_str());
    assert!(live["speaker_remaining_seconds"].as_i64().unwrap() <= 180);

    // The chair moves to an item and presents a page; followers see it.
    let items = chair.ok(&["agenda", &meeting, "--json"]).json();
    let item = items[0]["id"].as_str().unwrap().to_owned();
    chair.ok(&["current-item", &item]);
    let docs = chair.ok(&["docs", &meeting, "--json"]).json();
    let doc = docs
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["item_id"] == item.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    chair.ok(&["present", &doc, "--page", "2"]);
    chair.ok(&["sync"]);
    d2.ok(&["sync"]);
    let live = d2.ok(&["live", &meeting, "--json"]).json();
    assert_eq!(live["current_item"]["id"], item.as_str());
    assert_eq!(live["progress"]["presentation"]["page"], 2);
    let text = d2.ok(&["live", &meeting]).stdout;
    assert!(
        text.contains("Đang trình chiếu") && text.contains("trang 2"),
        "{text}"
    );

    // A vote with a proxy: daibieu01 votes for themselves and for daibieu02.
    let poll = chair
        .ok(&[
            "poll",
            "create",
            &meeting,
            "--question",
            "Biểu quyết thông qua",
            "--kind",
            "named",
            "--quorum",
            "none",
            "--json",
        ])
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    chair.ok(&["poll", "open", &poll]);
    chair.ok(&["sync"]);
    d1.ok(&["sync"]);
    d1.ok(&["vote", &poll, "1"]);
    d1.ok(&["vote", &poll, "Không tán thành", "--for", "daibieu02"]);
    d1.ok(&["sync"]);
    chair.ok(&["poll", "close", &poll]);
    chair.ok(&["sync"]);
    let r = chair.ok(&["poll", "results", &poll, "--json"]).json();
    assert_eq!(r["poll"]["tally"]["votes"], serde_json::json!([1, 1, 0]));
    assert_eq!(
        r["result"]["passed"], false,
        "1 of 16 is not more than half"
    );

    // A written-opinion ballot, answered, counted and exported.
    let ballot = secretary
        .ok(&[
            "ballot",
            "create",
            &meeting,
            "--question",
            "Ý kiến về dự thảo Quy chế",
            "--days",
            "5",
            "--document",
            &doc,
            "--json",
        ])
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    secretary.ok(&["sync"]);
    d1.ok(&["sync"]);
    d2.ok(&["sync"]);
    d1.ok(&["ballot", "answer", &ballot, "agree"]);
    let bad = d2.run(&["ballot", "answer", &ballot, "other"]);
    assert_ne!(bad.code, 0, "other needs a comment");
    d2.ok(&[
        "ballot",
        "answer",
        &ballot,
        "other",
        "--comment",
        "Đề nghị làm rõ Điều 3",
    ]);
    d1.ok(&["sync"]);
    d2.ok(&["sync"]);
    let list = d2.ok(&["ballot", "list"]).stdout;
    assert!(list.contains("Ý kiến khác"), "{list}");
    let stats = secretary.ok(&["ballot", "stats", &ballot, "--json"]).json();
    assert_eq!(
        (
            stats["answered"].as_u64(),
            stats["agree"].as_u64(),
            stats["other"].as_u64()
        ),
        (Some(2), Some(1), Some(1))
    );
    let denied = d1.run(&["ballot", "stats", &ballot]);
    assert_ne!(
        denied.code, 0,
        "a delegate does not see the others' answers"
    );
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("y-kien.csv");
    let xlsx = dir.path().join("y-kien.xlsx");
    secretary.ok(&[
        "ballot",
        "export",
        &ballot,
        "--format",
        "csv",
        "--out",
        csv.to_str().unwrap(),
    ]);
    secretary.ok(&[
        "ballot",
        "export",
        &ballot,
        "--format",
        "xlsx",
        "--out",
        xlsx.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.contains("Đề nghị làm rõ Điều 3"), "{text}");
    assert_eq!(text.lines().count(), 17);
    let bytes = std::fs::read(&xlsx).unwrap();
    assert_eq!(&bytes[..2], b"PK", "an XLSX is a zip");
}
