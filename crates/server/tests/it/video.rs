//! Video through the real server: native participants signal over the live WebSocket,
//! media flows over real ICE/DTLS/SRTP on 127.0.0.1.

use std::time::Duration;

use phonghop_rtc::participant::ParticipantError;
use phonghop_rtc::ws::connect_live;
use phonghop_rtc::{ClientSignal, NativeParticipant, ParticipantOptions, SignalErrorCode, Source};
use phonghop_testkit::{Api, TestServer};
use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

use crate::{next_week_meeting, today_meeting};

const T: Duration = Duration::from_secs(20);

async fn join(
    server: &TestServer,
    api: &Api,
    meeting: Uuid,
    opts: ParticipantOptions,
) -> Result<NativeParticipant, ParticipantError> {
    let link = connect_live(&server.url(), api.token.as_deref(), None)
        .await
        .expect("live socket");
    NativeParticipant::join(link, meeting, None, opts).await
}

fn id_of(m: &serde_json::Value) -> Uuid {
    m["id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("meeting id")
}

fn track(p: &NativeParticipant, source: Source) -> String {
    format!("{}:{}", p.id().expect("joined"), source.as_str())
}

async fn room_size(api: &Api, meeting: Uuid) -> usize {
    let (status, body) = api.get(&format!("/api/v1/meetings/{meeting}/video")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["participants"].as_array().map(Vec::len).unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_see_and_hear_each_other_through_the_server() {
    let server = TestServer::demo().await;
    let chair = server.login("chutoa").await;
    let delegate = server.login("daibieu01").await;
    let meeting = id_of(&today_meeting(&chair).await);

    let a = join(&server, &chair, meeting, ParticipantOptions::default())
        .await
        .expect("the chair joins");
    let b = join(&server, &delegate, meeting, ParticipantOptions::default())
        .await
        .expect("a delegate joins");
    let (a_cam, b_cam, b_mic) = (
        track(&a, Source::Camera),
        track(&b, Source::Camera),
        track(&b, Source::Microphone),
    );
    b.wait_received("the chair's camera", T, |t| {
        t.track == a_cam && t.frames > 15 && t.keyframes > 0
    })
    .await
    .expect("B decodes A");
    a.wait_received("B's camera", T, |t| {
        t.track == b_cam && t.frames > 15 && t.keyframes > 0
    })
    .await
    .expect("A decodes B");
    a.wait_received("B's microphone", T, |t| t.track == b_mic && t.packets > 15)
        .await
        .expect("A hears B");

    let v = a.view();
    let b_info = &v.participants[&b.id().expect("joined")];
    assert_eq!(
        b_info.name,
        delegate.user.as_ref().expect("user").full_name,
        "members appear by their account name"
    );
    assert_eq!(room_size(&delegate, meeting).await, 2);

    a.leave().await.expect("leave");
    b.leave().await.expect("leave");
    assert_eq!(room_size(&delegate, meeting).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_member_is_refused_and_a_stray_message_is_answered() {
    let server = TestServer::demo().await;
    let secretary = server.login("thuky").await;
    let outsider = server.login("daibieu15").await;
    let meeting = id_of(&next_week_meeting(&secretary).await);

    match join(&server, &outsider, meeting, ParticipantOptions::default()).await {
        Err(ParticipantError::Refused(SignalErrorCode::Forbidden, _)) => {}
        Err(e) => panic!("expected forbidden, got {e}"),
        Ok(_) => panic!("daibieu15 joined a meeting they are not a member of"),
    }
    // Nor may they look into the room.
    let (status, _) = outsider
        .get(&format!("/api/v1/meetings/{meeting}/video"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Signaling before joining is refused, not ignored.
    let mut link = connect_live(&server.url(), outsider.token.as_deref(), None)
        .await
        .expect("socket");
    link.tx
        .send(ClientSignal::Offer {
            pc: phonghop_rtc::signal::Pc::Publish,
            sdp: "v=0".into(),
        })
        .expect("send");
    let reply = tokio::time::timeout(T, link.rx.recv())
        .await
        .expect("an answer in time")
        .expect("open");
    assert!(
        matches!(
            reply,
            phonghop_rtc::ServerSignal::Error {
                code: SignalErrorCode::NotJoined,
                ..
            }
        ),
        "{reply:?}"
    );
}

/// The chair (audio only) and a delegate who keeps sending whatever the chair says,
/// both in today's meeting, the delegate heard by the chair.
async fn chair_and_stubborn_delegate(
    server: &TestServer,
    delegate: &str,
    delegate_opts: ParticipantOptions,
) -> (NativeParticipant, NativeParticipant) {
    let chair_api = server.login("chutoa").await;
    let delegate_api = server.login(delegate).await;
    let meeting = id_of(&today_meeting(&chair_api).await);
    let chair = join(
        server,
        &chair_api,
        meeting,
        ParticipantOptions {
            video: false,
            ..Default::default()
        },
    )
    .await
    .expect("chair");
    let b = join(
        server,
        &delegate_api,
        meeting,
        ParticipantOptions {
            obey_moderation: false,
            ..delegate_opts
        },
    )
    .await
    .expect("delegate");
    let b_mic = track(&b, Source::Microphone);
    chair
        .wait_received("B's microphone", T, |t| t.track == b_mic && t.packets > 10)
        .await
        .expect("B is heard, as a microphone");
    (chair, b)
}

/// The chair mutes B's microphone: B is told, keeps sending, and the SFU drops it.
async fn chair_mutes_and_the_sfu_drops(chair: &NativeParticipant, b: &NativeParticipant) {
    let b_mic = track(b, Source::Microphone);
    chair.send(ClientSignal::Mute {
        participant: b.id().expect("joined"),
        source: Source::Microphone,
        muted: true,
    });
    b.wait_for("the notice", T, |v| {
        v.muted_by_chair.get("microphone") == Some(&true)
    })
    .await
    .expect("B is told");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = chair.received()[&b_mic].packets;
    let sent = b.sent_packets();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(b.sent_packets() > sent + 20, "B keeps sending");
    assert_eq!(
        chair.received()[&b_mic].packets,
        before,
        "the SFU drops a muted microphone"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chairs_mute_takes_effect_and_members_cannot_mute() {
    let server = TestServer::demo().await;
    let (chair, b) =
        chair_and_stubborn_delegate(&server, "daibieu02", ParticipantOptions::default()).await;
    b.send(ClientSignal::Mute {
        participant: chair.id().expect("joined"),
        source: Source::Microphone,
        muted: true,
    });
    b.wait_for("a refusal", T, |v| {
        v.errors
            .iter()
            .any(|(c, _)| *c == SignalErrorCode::NotModerator)
    })
    .await
    .expect("refused");
    chair_mutes_and_the_sfu_drops(&chair, &b).await;

    // Leaving and joining again (a new connection, a new microphone track) does not
    // undo the chair's mute; the chair's unmute does.
    b.leave().await.expect("leave");
    let meeting = id_of(&today_meeting(&server.login("chutoa").await).await);
    let again = join(
        &server,
        &server.login("daibieu02").await,
        meeting,
        ParticipantOptions {
            obey_moderation: false,
            ..Default::default()
        },
    )
    .await
    .expect("rejoins");
    again
        .wait_for("the notice on joining", T, |v| {
            v.muted_by_chair.get("microphone") == Some(&true)
        })
        .await
        .expect("told at once");
    let (cam, mic) = (
        track(&again, Source::Camera),
        track(&again, Source::Microphone),
    );
    chair
        .wait_received("the camera after rejoining", T, |t| {
            t.track == cam && t.frames > 10
        })
        .await
        .expect("the chair sees B again");
    assert!(
        again.sent_packets_of(Source::Microphone) > 20,
        "B keeps sending"
    );
    assert_eq!(
        chair.received().get(&mic).map_or(0, |t| t.packets),
        0,
        "rejoining undid the chair's mute"
    );
    chair.send(ClientSignal::Mute {
        participant: again.id().expect("joined"),
        source: Source::Microphone,
        muted: false,
    });
    chair
        .wait_received("the microphone, unmuted", T, |t| {
            t.track == mic && t.packets > 10
        })
        .await
        .expect("unmuted");
    chair.leave().await.expect("leave");
    again.leave().await.expect("leave");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_joins_from_an_invitation_link_and_only_that_meeting() {
    let server = TestServer::demo().await;
    let secretary = server.login("thuky").await;
    let delegate = server.login("daibieu01").await;
    let today = id_of(&today_meeting(&secretary).await);
    let next = id_of(&next_week_meeting(&secretary).await);

    // Only the chair or secretary of the meeting invites.
    let (status, _) = delegate
        .post(
            &format!("/api/v1/meetings/{today}/video/invitations"),
            json!({"name": "Khách"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = secretary
        .post(
            &format!("/api/v1/meetings/{today}/video/invitations"),
            json!({"name": "  "}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("validation"))
    );
    let (status, inv) = secretary
        .post(
            &format!("/api/v1/meetings/{today}/video/invitations"),
            json!({"name": "Ông Trần Văn Khách — UBND huyện Lệ Thủy"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{inv}");
    let token = inv["token"].as_str().expect("token").to_owned();
    assert_eq!(inv["url"], format!("/video/join/{token}"));

    // The page and what it shows.
    let anon = Api::anonymous(&server.url());
    let (status, view) = anon
        .get(&format!("/api/v1/video/invitations/{token}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(view["meeting"]["id"], today.to_string());
    assert!(
        !view["meeting"]["agenda"]
            .as_array()
            .expect("agenda")
            .is_empty()
    );
    let (status, _) = anon.get("/api/v1/video/invitations/not-a-token").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let page = anon
        .http
        .get(format!("{}/video/join/{token}", server.url()))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), StatusCode::OK);
    // Nothing from elsewhere, no framing by another site.
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .expect("csp")
        .to_owned();
    for part in [
        "default-src 'none'",
        "script-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(part), "{part} not in {csp}");
    }
    assert_eq!(page.headers()["x-content-type-options"], "nosniff");
    let html = page.text().await.expect("html");
    assert!(html.contains("Tham gia cuộc họp") && html.contains("/video/guest.js"));
    let js = anon
        .http
        .get(format!("{}/video/guest.js", server.url()))
        .send()
        .await
        .expect("js");
    assert!(js.text().await.expect("js").contains("video.join"));

    // The guest joins today's meeting under the invited name, and nothing else.
    let member = join(&server, &delegate, today, ParticipantOptions::default())
        .await
        .expect("member");
    let link = connect_live(&server.url(), None, Some(&token))
        .await
        .expect("guest socket");
    let guest = NativeParticipant::join(link, today, None, ParticipantOptions::default())
        .await
        .expect("guest joins");
    let g_cam = track(&guest, Source::Camera);
    member
        .wait_received("the guest's camera", T, |t| {
            t.track == g_cam && t.frames > 10
        })
        .await
        .expect("seen");
    let v = member.view();
    let g = &v.participants[&guest.id().expect("joined")];
    assert_eq!(
        (g.name.as_str(), g.user_id),
        ("Ông Trần Văn Khách — UBND huyện Lệ Thủy", None)
    );
    assert_eq!(g.role, phonghop_rtc::PeerRole::Guest);

    let link = connect_live(&server.url(), None, Some(&token))
        .await
        .expect("guest socket");
    match NativeParticipant::join(link, next, None, ParticipantOptions::default()).await {
        Err(ParticipantError::Refused(SignalErrorCode::Forbidden, _)) => {}
        Err(e) => panic!("expected forbidden, got {e}"),
        Ok(_) => panic!("an invitation opened another meeting"),
    }
    // A bad invitation gets no socket.
    assert!(
        connect_live(&server.url(), None, Some("bad"))
            .await
            .is_err()
    );
    guest.leave().await.expect("leave");
    member.leave().await.expect("leave");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_socket_leaves_the_room() {
    let server = TestServer::demo().await;
    let chair = server.login("chutoa").await;
    let delegate = server.login("daibieu03").await;
    let meeting = id_of(&today_meeting(&chair).await);
    let a = join(&server, &chair, meeting, ParticipantOptions::default())
        .await
        .expect("a");
    let b = join(&server, &delegate, meeting, ParticipantOptions::default())
        .await
        .expect("b");
    let b_id = b.id().expect("joined");
    a.wait_received("B", T, |t| {
        t.track.starts_with(&b_id.to_string()) && t.frames > 5
    })
    .await
    .expect("flowing");
    assert_eq!(room_size(&chair, meeting).await, 2);
    b.close().await; // no goodbye: the socket just closes
    a.wait_for("B gone", T, |v| !v.participants.contains_key(&b_id))
        .await
        .expect("A is told");
    assert_eq!(room_size(&chair, meeting).await, 1);
    a.leave().await.expect("leave");
}

/// A guest's live socket, from an invitation `by` makes to `meeting`.
async fn guest_link(
    server: &TestServer,
    by: &Api,
    meeting: Uuid,
    name: &str,
) -> phonghop_rtc::SignalLink {
    let (status, inv) = by
        .post(
            &format!("/api/v1/meetings/{meeting}/video/invitations"),
            json!({ "name": name }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{inv}");
    let token = inv["token"].as_str().expect("token");
    connect_live(&server.url(), None, Some(token))
        .await
        .expect("guest socket")
}

async fn until_room_size(api: &Api, meeting: Uuid, n: usize) {
    let deadline = std::time::Instant::now() + T;
    while room_size(api, meeting).await != n {
        assert!(
            std::time::Instant::now() < deadline,
            "the room did not come to {n} participants"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Video without media: what the room-membership tests need.
fn quiet() -> ParticipantOptions {
    ParticipantOptions {
        video: false,
        audio: false,
        ..Default::default()
    }
}

/// Today's meeting with a member (daibieu04) and a guest in its video room.
struct Seated {
    secretary: Api,
    delegate: Api,
    today: Uuid,
    _member: NativeParticipant,
    _guest: NativeParticipant,
}

impl Seated {
    async fn member_and_guest(server: &TestServer, guest: &str) -> Seated {
        let secretary = server.login("thuky").await;
        let delegate = server.login("daibieu04").await;
        let today = id_of(&today_meeting(&secretary).await);
        let member = join(server, &delegate, today, quiet())
            .await
            .expect("member joins");
        let link = guest_link(server, &secretary, today, guest).await;
        let guest = NativeParticipant::join(link, today, None, quiet())
            .await
            .expect("guest joins");
        until_room_size(&secretary, today, 2).await;
        Seated {
            secretary,
            delegate,
            today,
            _member: member,
            _guest: guest,
        }
    }
}

/// Being in a room is rechecked as the meeting changes: a member removed from the
/// meeting, or a guest whose invitation expired, is out of its video within a heartbeat.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_member_and_an_expired_guest_leave_the_room() {
    let server = TestServer::demo_with(|c| c.heartbeat = Duration::from_millis(300)).await;
    let room = Seated::member_and_guest(&server, "Bà Lê Thị Khách").await;
    let (secretary, delegate, today, quiet) =
        (&room.secretary, &room.delegate, room.today, quiet());

    let r = secretary
        .ops(vec![
            json!({"type": "member.remove", "meeting_id": today, "user_id": delegate.user_id()}),
        ])
        .await;
    assert_eq!(r[0]["status"], "accepted", "{r:?}");
    until_room_size(secretary, today, 1).await;
    match join(&server, delegate, today, quiet).await {
        Err(ParticipantError::Refused(SignalErrorCode::Forbidden, _)) => {}
        Err(e) => panic!("expected forbidden, got {e}"),
        Ok(_) => panic!("a removed member joined again"),
    }

    let db = rusqlite::Connection::open(server.data_dir().join("phonghop.db")).unwrap();
    db.busy_timeout(Duration::from_secs(5)).unwrap();
    db.execute(
        "UPDATE video_invitations SET expires_at = '2020-01-01T00:00:00Z'",
        [],
    )
    .unwrap();
    until_room_size(secretary, today, 0).await;
}

/// Removal takes effect in the video room at once, not at the next heartbeat.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_member_leaves_the_room_at_once() {
    let server = TestServer::demo_with(|c| c.heartbeat = Duration::from_secs(120)).await;
    let secretary = server.login("thuky").await;
    let delegate = server.login("daibieu05").await;
    let today = id_of(&today_meeting(&secretary).await);
    let _member = join(&server, &delegate, today, quiet())
        .await
        .expect("member joins");
    until_room_size(&secretary, today, 1).await;
    let r = secretary
        .ops(vec![
            json!({"type": "member.remove", "meeting_id": today, "user_id": delegate.user_id()}),
        ])
        .await;
    assert_eq!(r[0]["status"], "accepted", "{r:?}");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while room_size(&secretary, today).await != 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the removed member stayed in the room"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A guest link lasts only while whoever made it may still invite: a chair removed from
/// the meeting can neither come back through a link made earlier nor keep a guest in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_link_ends_with_its_makers_place_in_the_meeting() {
    let server = TestServer::demo_with(|c| c.heartbeat = Duration::from_millis(300)).await;
    let secretary = server.login("thuky").await;
    let chair = server.login("chutoa").await;
    let today = id_of(&today_meeting(&secretary).await);
    let (status, inv) = chair
        .post(
            &format!("/api/v1/meetings/{today}/video/invitations"),
            json!({ "name": "Khách của chủ tọa", "valid_hours": 720 }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{inv}");
    let token = inv["token"].as_str().expect("token").to_owned();
    let link = connect_live(&server.url(), None, Some(&token))
        .await
        .expect("guest socket");
    let _guest = NativeParticipant::join(link, today, None, quiet())
        .await
        .expect("the guest joins");
    until_room_size(&secretary, today, 1).await;

    let r = secretary
        .ops(vec![
            json!({"type": "member.remove", "meeting_id": today, "user_id": chair.user_id()}),
        ])
        .await;
    assert_eq!(r[0]["status"], "accepted", "{r:?}");
    until_room_size(&secretary, today, 0).await;
    if let Ok(link) = connect_live(&server.url(), None, Some(&token)).await {
        assert!(
            NativeParticipant::join(link, today, None, quiet())
                .await
                .is_err(),
            "the removed chair's guest link still opens the room"
        );
    }
}

/// Once the meeting has ended its room closes: those in it leave within a heartbeat and
/// nobody joins again, member or guest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ended_meeting_closes_its_video_room() {
    let server = TestServer::demo_with(|c| c.heartbeat = Duration::from_millis(300)).await;
    let room = Seated::member_and_guest(&server, "Ông Trần Văn Khách").await;
    let (secretary, delegate, today, quiet) =
        (&room.secretary, &room.delegate, room.today, quiet());
    let late_link = guest_link(&server, secretary, today, "Bà Lê Thị Khách").await;

    let r = secretary
        .ops(vec![
            json!({"type": "meeting.status", "meeting_id": today, "status": "ended"}),
        ])
        .await;
    assert_eq!(r[0]["status"], "accepted", "{r:?}");
    until_room_size(secretary, today, 0).await;
    for attempt in [
        join(&server, delegate, today, quiet.clone()).await,
        NativeParticipant::join(late_link, today, None, quiet).await,
    ] {
        match attempt {
            Err(ParticipantError::Refused(SignalErrorCode::MeetingEnded, _)) => {}
            Err(e) => panic!("expected meeting_ended, got {e}"),
            Ok(_) => panic!("joined the video of an ended meeting"),
        }
    }
    let (status, body) = secretary
        .post(
            &format!("/api/v1/meetings/{today}/video/invitations"),
            json!({ "name": "Ông Khách Muộn" }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
}

/// A participant cannot dodge the chair's mute by declaring its microphone as another
/// source: an audio track is a microphone, whatever the client says.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_microphone_declared_as_a_screen_is_still_muted() {
    let server = TestServer::demo().await;
    let sly = ParticipantOptions {
        video: false,
        declare_microphone_as: Source::Screen,
        ..Default::default()
    };
    let (chair, b) = chair_and_stubborn_delegate(&server, "daibieu05", sly).await;
    chair_mutes_and_the_sfu_drops(&chair, &b).await;
    chair.leave().await.expect("leave");
    b.leave().await.expect("leave");
}

/// A participant cannot flood the SFU with ICE candidates or source declarations.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn floods_of_candidates_and_declarations_are_refused() {
    use phonghop_rtc::signal::{Candidate, Pc};
    let server = TestServer::demo().await;
    let delegate = server.login("daibieu06").await;
    let meeting = id_of(&today_meeting(&delegate).await);
    let p = join(&server, &delegate, meeting, ParticipantOptions::default())
        .await
        .expect("joins");
    let limit = phonghop_rtc::sfu::MAX_REMOTE_CANDIDATES;
    for i in 0..limit + 5 {
        p.send(ClientSignal::Candidate {
            pc: Pc::Subscribe,
            candidate: Candidate {
                candidate: format!(
                    "candidate:{i} 1 udp 2130706431 192.0.2.{} 9 typ host",
                    i % 250
                ),
                sdp_mid: Some("0".into()),
                sdp_mline_index: Some(0),
            },
        });
    }
    p.wait_for("the refusal", T, |v| {
        v.errors
            .iter()
            .any(|(c, m)| *c == SignalErrorCode::BadRequest && m.contains("ICE candidates"))
    })
    .await
    .expect("refused");
    let many: std::collections::BTreeMap<String, Source> = (0..100)
        .map(|i| (format!("track-{i}"), Source::Camera))
        .collect();
    p.send(ClientSignal::Sources { sources: many });
    p.wait_for("the refusal", T, |v| {
        v.errors
            .iter()
            .any(|(c, m)| *c == SignalErrorCode::BadRequest && m.contains("declared"))
    })
    .await
    .expect("refused");
    p.leave().await.expect("leave");
}

/// A guest link to a meeting that is still a draft opens no room.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_link_to_a_draft_meeting_opens_no_room() {
    let server = TestServer::demo().await;
    let admin = server.login("admin").await;
    let draft = Uuid::now_v7();
    let r = admin
        .ops(vec![
            json!({"type": "meeting.create", "meeting_id": draft, "title": "Họp chuẩn bị (nháp)",
            "kind": "working", "room": "Phòng 3", "starts_at": "2026-12-15T08:00:00+07:00",
            "ends_at": "2026-12-15T09:00:00+07:00"}),
        ])
        .await;
    assert_eq!(r[0]["status"], "accepted", "{r:?}");
    let link = guest_link(&server, &admin, draft, "Khách sớm").await;
    match NativeParticipant::join(link, draft, None, ParticipantOptions::default()).await {
        Err(ParticipantError::Refused(SignalErrorCode::Forbidden, _)) => {}
        Err(e) => panic!("expected forbidden, got {e}"),
        Ok(_) => panic!("a guest entered a draft meeting's room"),
    }
}

/// Waits until the link's socket has been closed by the server.
async fn closed(link: &mut phonghop_rtc::SignalLink) {
    let end = tokio::time::timeout(T, async { while link.rx.recv().await.is_some() {} }).await;
    assert!(end.is_ok(), "the socket stayed open");
}

#[tokio::test]
async fn a_guest_link_seats_one_connection_and_can_be_withdrawn() {
    let server = TestServer::demo().await;
    let secretary = server.login("thuky").await;
    let today = id_of(&today_meeting(&secretary).await);
    let (status, inv) = secretary
        .post(
            &format!("/api/v1/meetings/{today}/video/invitations"),
            json!({ "name": "Ông Trần Văn Khách" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{inv}");
    let (id, token) = (inv["id"].as_str().unwrap(), inv["token"].as_str().unwrap());
    let list = format!("/api/v1/meetings/{today}/video/invitations");
    let connected = async |api: &Api| {
        let (status, body) = api.get(&list).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body.as_array()
            .unwrap()
            .iter()
            .any(|i| i["id"] == id && i["connected"] == true)
    };

    let mut first = connect_live(&server.url(), None, Some(token))
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + T;
    while !connected(&secretary).await {
        assert!(
            std::time::Instant::now() < deadline,
            "the guest never showed as connected"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The link passed on: the newer connection takes the seat.
    let mut second = connect_live(&server.url(), None, Some(token))
        .await
        .unwrap();
    closed(&mut first).await;

    // Only the meeting's chair, secretary or an admin see or withdraw its links.
    let delegate = server.login("daibieu08").await;
    assert_eq!(delegate.get(&list).await.0, StatusCode::FORBIDDEN);
    let revoke = format!("{list}/{id}");
    assert_eq!(
        delegate
            .call(reqwest::Method::DELETE, &revoke, None)
            .await
            .0,
        StatusCode::FORBIDDEN
    );

    let (status, _) = secretary.call(reqwest::Method::DELETE, &revoke, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    closed(&mut second).await;
    assert_eq!(
        Api::anonymous(&server.url())
            .get(&format!("/api/v1/video/invitations/{token}"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert!(
        connect_live(&server.url(), None, Some(token))
            .await
            .is_err()
    );
    assert_eq!(
        secretary
            .call(reqwest::Method::DELETE, &revoke, None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
}
