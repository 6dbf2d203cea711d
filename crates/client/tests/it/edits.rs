//! Edits are last writer wins by time stamp. A device whose clock is behind must still
//! win with an edit it makes after seeing another device's.

use phonghop_client::Client;
use phonghop_domain::AnnotationBody;
use phonghop_testkit::{DEMO_PASSWORD, TestServer};
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn an_edit_after_a_fast_clock_devices_edit_is_kept() {
    let server = TestServer::demo().await;
    let api = server.login("daibieu04").await;
    let (_root, c) = crate::client(&server, "daibieu04").await;
    let meeting = c.meetings().unwrap().last().unwrap().id;
    let doc = c
        .cache
        .documents(meeting)
        .unwrap()
        .into_iter()
        .next()
        .expect("a document in the meeting");

    // The user's other device, its clock an hour fast, wrote a note and a sticky note.
    let ahead = (time::OffsetDateTime::now_utc() + time::Duration::hours(1))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let (note, sticky) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
    let r = api
        .ops(vec![
            json!({"type": "note.put", "note_id": note, "meeting_id": meeting,
                   "text": "Ghi chú từ máy tính bảng", "updated_at": ahead}),
            json!({"type": "annotation.put", "annotation_id": sticky, "document_id": doc.id,
                   "version": 1, "page": 0, "shared": false, "updated_at": ahead,
                   "body": {"kind": "sticky", "color": "#f1c40f", "at": [80.0, 600.0],
                            "text": "Bản nháp"}}),
        ])
        .await;
    assert!(r.iter().all(|r| r["status"] == "accepted"), "{r:?}");
    c.sync(None).await.unwrap();

    // This device edits both after seeing them: its edits show at once and stay.
    let text = "Ghi chú đã sửa trên máy tính xách tay";
    c.note_edit(note, text).unwrap();
    let body = AnnotationBody::Sticky {
        color: "#f1c40f".into(),
        at: [80.0, 600.0],
        text: "Đề nghị bổ sung số liệu quý III".into(),
    };
    c.annotation_put(Some(sticky), doc.id, 1, 0, false, body.clone())
        .unwrap();
    let local_note = |c: &Client| {
        c.cache
            .notes(Some(meeting))
            .unwrap()
            .into_iter()
            .find(|n| n.id == note)
            .unwrap()
            .text
    };
    assert_eq!(local_note(&c), text);
    assert_eq!(c.cache.annotation(sticky).unwrap().unwrap().body, body);

    c.sync(None).await.unwrap();
    assert_eq!(local_note(&c), text);
    assert_eq!(c.cache.annotation(sticky).unwrap().unwrap().body, body);
    let (changes, _, _) = api.pull(0, 5000).await;
    let on_server = |id: uuid::Uuid| {
        changes
            .iter()
            .find(|c| c["id"] == json!(id))
            .cloned()
            .unwrap()
    };
    assert_eq!(on_server(note)["text"], text);
    assert_eq!(
        on_server(sticky)["body"]["text"],
        "Đề nghị bổ sung số liệu quý III"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_changed_opinion_answer_wins_over_one_from_a_fast_clock() {
    use base64::Engine as _;
    use ed25519_dalek::Signer as _;
    use phonghop_domain::{Op, OpinionChoice, opinion::opinion_signing_bytes};

    let server = TestServer::demo().await;
    let login = |user: &'static str| {
        let url = server.url();
        async move {
            let root = tempfile::tempdir().unwrap();
            let c = Client::login(root.path(), &url, user, DEMO_PASSWORD)
                .await
                .unwrap();
            c.sync(None).await.unwrap();
            (root, c)
        }
    };
    let (_r0, chair) = login("chutoa").await;
    let meeting = chair.meetings().unwrap()[1].id;
    let ballot = chair
        .opinion_create(meeting, None, "Ý kiến về dự thảo quy chế làm việc", 7)
        .unwrap();
    chair.sync(None).await.unwrap();
    let (_r1, tablet) = login("daibieu05").await;
    let (_r2, laptop) = login("daibieu05").await;

    // The tablet's clock is 100 s ahead (the server allows 120 s): it answers "agree".
    let me = tablet.me().unwrap().id;
    let at = time::OffsetDateTime::now_utc() + time::Duration::seconds(100);
    let signature = base64::engine::general_purpose::STANDARD.encode(
        tablet
            .device
            .key
            .sign(&opinion_signing_bytes(
                ballot,
                me,
                OpinionChoice::Agree,
                "",
                at,
            ))
            .to_bytes(),
    );
    tablet
        .cache
        .local_op(Op::OpinionAnswer {
            ballot_id: ballot,
            choice: OpinionChoice::Agree,
            comment: String::new(),
            answered_at: at,
            device_id: tablet.device.id,
            signature,
        })
        .unwrap();
    tablet.sync(None).await.unwrap();

    // A minute later the delegate changes the answer on the laptop: that one counts.
    laptop.sync(None).await.unwrap();
    laptop
        .opinion_answer(ballot, OpinionChoice::Disagree, "Cần bổ sung điều 5")
        .unwrap();
    laptop.sync(None).await.unwrap();
    tablet.sync(None).await.unwrap();
    for (device, c) in [("laptop", &laptop), ("tablet", &tablet)] {
        let a = c.my_opinion_answer(ballot).unwrap().unwrap();
        assert_eq!(a.choice, OpinionChoice::Disagree, "{device}");
        assert_eq!(a.comment, "Cần bổ sung điều 5", "{device}");
    }
    chair.sync(None).await.unwrap();
    let stats = chair.opinion_stats(ballot).await.unwrap();
    assert_eq!((stats.agree, stats.disagree), (0, 1), "{stats:?}");
}

/// A file the server will not take (here: it starts like a PDF and is not one) refuses
/// its attachment with the server's reason; it does not hold up the changes queued after.
#[tokio::test(flavor = "multi_thread")]
async fn a_refused_upload_does_not_block_the_outbox() {
    let server = TestServer::demo().await;
    let (root, c) = crate::client(&server, "thuky").await;
    let meeting = c.meetings().unwrap().last().unwrap().id;
    let item = c.cache.agenda(meeting).unwrap()[0].id;
    let file = root.path().join("to-trinh.pdf");
    std::fs::write(&file, b"%PDF-1.7 this is not a PDF after all").unwrap();
    c.doc_attach(
        item,
        &file,
        "Tờ trình (bản lỗi)",
        phonghop_domain::DocumentKind::Proposal,
        phonghop_domain::Classification::Public,
        None,
    )
    .unwrap();
    let note = c.note_add(Some(meeting), "Ghi chú sau tệp lỗi").unwrap();

    let report = c.sync(None).await.expect("the round goes on");
    assert_eq!(report.rejected, 1, "{report:?}");
    assert_eq!(c.cache.outbox_len().unwrap(), 0);
    let refused = c.cache.rejected().unwrap();
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].kind, "document.attach");
    assert_eq!(refused[0].code, "not_pdf", "{refused:?}");
    // The note behind it reached the server.
    let api = server.login("thuky").await;
    let (changes, _, _) = api.pull(0, 5000).await;
    assert!(
        changes
            .iter()
            .any(|ch| ch["type"] == "note" && ch["id"] == json!(note)),
        "the note did not reach the server"
    );
}

/// Meetings come in the order they happen, whatever offset their times were written with.
#[tokio::test(flavor = "multi_thread")]
async fn meetings_are_listed_by_the_instant_they_start() {
    let server = TestServer::demo().await;
    let api = server.login("thuky").await;
    let (early, late) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
    let create = |id: uuid::Uuid, title: &str, start: &str, end: &str| {
        json!({"type": "meeting.create", "meeting_id": id, "title": title, "kind": "thematic",
               "room": "Phòng họp số 3", "starts_at": start, "ends_at": end})
    };
    let r = api
        .ops(vec![
            // 01:00 UTC, written in Vietnam's time.
            create(
                early,
                "Giao ban sớm",
                "2026-12-01T08:00:00+07:00",
                "2026-12-01T09:00:00+07:00",
            ),
            // 03:00 UTC (10:00 in Vietnam): its text sorts first.
            create(
                late,
                "Họp chuyên đề",
                "2026-12-01T03:00:00Z",
                "2026-12-01T04:00:00Z",
            ),
        ])
        .await;
    assert!(r.iter().all(|x| x["status"] == "accepted"), "{r:?}");
    let (_root, c) = crate::client(&server, "thuky").await;
    let order: Vec<_> = c
        .meetings()
        .unwrap()
        .into_iter()
        .map(|m| m.id)
        .filter(|id| *id == early || *id == late)
        .collect();
    assert_eq!(order, vec![early, late]);
}
