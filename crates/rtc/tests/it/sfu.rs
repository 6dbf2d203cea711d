use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use phonghop_rtc::link::{in_process, member};
use phonghop_rtc::participant::ParticipantError;
use phonghop_rtc::signal::Subscription;
use phonghop_rtc::{
    Admission, ClientSignal, Identity, NativeParticipant, ParticipantOptions, PeerRole, RoomView,
    Sfu, SfuConfig, SignalErrorCode, Source, TrackStats,
};
use uuid::Uuid;

/// "chu-toa…" is the chair, "khach-la…" is nobody, everyone else a member.
struct ByName;

#[async_trait::async_trait]
impl Admission for ByName {
    async fn admit(
        &self,
        who: &Identity,
        _meeting: Uuid,
    ) -> phonghop_rtc::sfu::SignalResult<PeerRole> {
        if who.name.starts_with("khach-la") {
            Err(phonghop_rtc::sfu::not_admitted())
        } else if who.name.starts_with("chu-toa") {
            Ok(PeerRole::Chair)
        } else {
            Ok(PeerRole::Member)
        }
    }
}

const T: Duration = Duration::from_secs(20);

fn sfu() -> Arc<Sfu> {
    Sfu::new(SfuConfig::default(), Arc::new(ByName))
}

async fn join(
    sfu: &Arc<Sfu>,
    meeting: Uuid,
    name: &str,
    opts: ParticipantOptions,
) -> NativeParticipant {
    NativeParticipant::join(in_process(sfu.clone(), member(name)), meeting, None, opts)
        .await
        .unwrap_or_else(|e| panic!("{name} joins: {e}"))
}

fn track_of(p: &NativeParticipant, source: Source) -> String {
    format!("{}:{}", p.id().expect("joined"), source.as_str())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_participants_receive_each_others_video_and_audio() {
    let sfu = sfu();
    let meeting = Uuid::now_v7();
    let a = join(&sfu, meeting, "dai-bieu-a", ParticipantOptions::default()).await;
    let b = join(&sfu, meeting, "dai-bieu-b", ParticipantOptions::default()).await;
    let (a_cam, b_cam) = (track_of(&a, Source::Camera), track_of(&b, Source::Camera));
    let b_mic = track_of(&b, Source::Microphone);

    let at_b = b
        .wait_received("A's camera at B", T, |t| t.track == a_cam && t.frames > 20)
        .await
        .expect("B decodes A");
    let at_a = a
        .wait_received("B's camera at A", T, |t| t.track == b_cam && t.frames > 20)
        .await
        .expect("A decodes B");
    a.wait_received("B's microphone at A", T, |t| {
        t.track == b_mic && t.packets > 20
    })
    .await
    .expect("A hears B");
    assert!(
        at_b.keyframes >= 1 && at_a.keyframes >= 1,
        "each starts from a keyframe"
    );
    assert!(at_b.video && !at_b.latency_us.is_empty());
    // Nobody receives their own tracks back.
    assert!(!a.received().contains_key(&track_of(&a, Source::Camera)));
    assert!(sfu.stats.forwarded.load(Ordering::Relaxed) > 40);
    assert_eq!(sfu.participants(meeting).len(), 2);

    a.leave().await.expect("a leaves");
    b.leave().await.expect("b leaves");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn someone_not_admitted_is_refused() {
    let sfu = sfu();
    let meeting = Uuid::now_v7();
    let r = NativeParticipant::join(
        in_process(sfu.clone(), member("khach-la")),
        meeting,
        None,
        ParticipantOptions::default(),
    )
    .await;
    match r {
        Err(ParticipantError::Refused(SignalErrorCode::Forbidden, _)) => {}
        Err(e) => panic!("expected a refusal, got {e}"),
        Ok(_) => panic!("a stranger got in"),
    }
    assert!(sfu.rooms().is_empty(), "a refusal opens no room");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chairs_mute_stops_the_audio_even_when_the_client_ignores_it() {
    let sfu = sfu();
    let meeting = Uuid::now_v7();
    let chair = join(
        &sfu,
        meeting,
        "chu-toa",
        ParticipantOptions {
            video: false,
            ..Default::default()
        },
    )
    .await;
    let stubborn = ParticipantOptions {
        obey_moderation: false,
        ..Default::default()
    };
    let b = join(&sfu, meeting, "dai-bieu-b", stubborn).await;
    let listener = join(
        &sfu,
        meeting,
        "dai-bieu-c",
        ParticipantOptions {
            video: false,
            audio: false,
            ..Default::default()
        },
    )
    .await;
    let b_mic = track_of(&b, Source::Microphone);
    let b_id = b.id().expect("joined");
    listener
        .wait_received("B's microphone", T, |t| t.track == b_mic && t.packets > 10)
        .await
        .expect("B is heard");

    // A member may not mute others.
    listener.send(ClientSignal::Mute {
        participant: b_id,
        source: Source::Microphone,
        muted: true,
    });
    listener
        .wait_for("a refusal", T, |v| {
            v.errors
                .iter()
                .any(|(c, _)| *c == SignalErrorCode::NotModerator)
        })
        .await
        .expect("members cannot mute");

    chair.send(ClientSignal::Mute {
        participant: b_id,
        source: Source::Microphone,
        muted: true,
    });
    b.wait_for("the mute notice", T, |v| {
        v.muted_by_chair.get("microphone") == Some(&true)
    })
    .await
    .expect("B is told");
    listener
        .wait_for("B shown muted", T, |v| {
            v.participants.get(&b_id).is_some_and(|p| {
                p.tracks
                    .iter()
                    .any(|t| t.source == Source::Microphone && t.muted)
            })
        })
        .await
        .expect("the room is told");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = listener.received()[&b_mic].packets;
    let sent_before = b.sent_packets();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(b.sent_packets() > sent_before + 20, "B keeps sending");
    assert_eq!(
        listener.received()[&b_mic].packets,
        before,
        "the SFU forwards none of it"
    );
    // Video is untouched.
    let b_cam = track_of(&b, Source::Camera);
    let cam = listener
        .received()
        .get(&b_cam)
        .map(|t| t.frames)
        .unwrap_or(0);
    listener
        .wait_received("B's camera still", T, |t| {
            t.track == b_cam && t.frames > cam + 5
        })
        .await
        .expect("video flows");

    chair.send(ClientSignal::Mute {
        participant: b_id,
        source: Source::Microphone,
        muted: false,
    });
    listener
        .wait_received("B's microphone again", T, |t| {
            t.track == b_mic && t.packets > before + 10
        })
        .await
        .expect("unmuted");
    for p in [chair, b, listener] {
        p.leave().await.expect("leave");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaving_cleans_up_the_room_and_its_connections() {
    let sfu = sfu();
    let meeting = Uuid::now_v7();
    let a = join(&sfu, meeting, "dai-bieu-a", ParticipantOptions::default()).await;
    let b = join(&sfu, meeting, "dai-bieu-b", ParticipantOptions::default()).await;
    let b_id = b.id().expect("joined");
    let a_cam = track_of(&a, Source::Camera);
    b.wait_received("A at B", T, |t| t.track == a_cam && t.frames > 5)
        .await
        .expect("flowing");
    assert_eq!(sfu.stats.peer_connections.load(Ordering::Relaxed), 4);

    b.leave().await.expect("b leaves");
    a.wait_for("B gone", T, |v| !v.participants.contains_key(&b_id))
        .await
        .expect("A is told");
    assert_eq!(sfu.rooms(), vec![(meeting, 1)]);
    // B's publish and subscribe connections are closed; A's stay.
    assert_eq!(sfu.stats.peer_connections.load(Ordering::Relaxed), 2);

    // A crash (no goodbye) is the socket closing: the link's end leaves for it.
    a.close().await;
    let deadline = tokio::time::Instant::now() + T;
    while !sfu.rooms().is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the room outlived its last participant"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(sfu.stats.peer_connections.load(Ordering::Relaxed), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_loudest_participant_is_the_active_speaker() {
    let sfu = sfu();
    let meeting = Uuid::now_v7();
    let quiet = ParticipantOptions {
        video: false,
        audio_level: 120,
        ..Default::default()
    };
    let loud = ParticipantOptions {
        video: false,
        audio_level: 20,
        ..Default::default()
    };
    let a = join(&sfu, meeting, "dai-bieu-a", quiet).await;
    let b = join(&sfu, meeting, "dai-bieu-b", loud).await;
    let b_id = b.id();
    let v = a
        .wait_for("an active speaker", T, |v| v.active_speaker.is_some())
        .await
        .expect("someone speaks");
    assert_eq!(v.active_speaker, b_id);
    a.leave().await.expect("leave");
    b.leave().await.expect("leave");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_subscriber_gets_a_keyframe_at_once_and_only_what_it_chose() {
    let sfu = sfu();
    let meeting = Uuid::now_v7();
    // Keyframes only on request: whatever keyframe the late joiner sees came from a PLI.
    let rare = ParticipantOptions {
        keyframe_interval: 1_000_000,
        ..Default::default()
    };
    let a = join(&sfu, meeting, "dai-bieu-a", rare.clone()).await;
    let b = join(&sfu, meeting, "dai-bieu-b", rare).await;
    let a_cam = track_of(&a, Source::Camera);
    b.wait_received("A at B", T, |t| t.track == a_cam && t.frames > 30)
        .await
        .expect("flowing");
    let pli_before = sfu.stats.keyframe_requests.load(Ordering::Relaxed);

    let c = NativeParticipant::join(
        in_process(sfu.clone(), member("dai-bieu-c")),
        meeting,
        None,
        ParticipantOptions {
            video: false,
            audio: false,
            ..Default::default()
        },
    )
    .await
    .expect("c joins");
    c.send(ClientSignal::Subscribe {
        subscription: Subscription::Tracks {
            tracks: vec![a_cam.clone()],
        },
    });
    let got = c
        .wait_received("A's camera at C", T, |t| t.track == a_cam && t.frames > 10)
        .await
        .expect("C sees A");
    assert!(got.keyframes >= 1, "C started from a keyframe it asked for");
    assert!(sfu.stats.keyframe_requests.load(Ordering::Relaxed) > pli_before);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let tracks: Vec<String> = c.received().into_keys().collect();
    assert_eq!(tracks, vec![a_cam], "only the chosen track arrives");
    for p in [a, b, c] {
        p.leave().await.expect("leave");
    }
}

fn shows(v: &RoomView, who: Uuid, source: Source) -> bool {
    v.participants
        .get(&who)
        .is_some_and(|p| p.tracks.iter().any(|t| t.source == source))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chair_stops_a_share_even_when_the_client_ignores_it_and_nobody_else_may() {
    let sfu = sfu();
    let meeting = Uuid::now_v7();
    let nothing = ParticipantOptions {
        video: false,
        audio: false,
        ..Default::default()
    };
    let chair = join(&sfu, meeting, "chu-toa", nothing.clone()).await;
    // Shares its screen besides the camera, and keeps sending it whatever it is told.
    let sharer = join(
        &sfu,
        meeting,
        "dai-bieu-a",
        ParticipantOptions {
            screen: true,
            obey_moderation: false,
            ..Default::default()
        },
    )
    .await;
    let viewer = join(&sfu, meeting, "dai-bieu-b", nothing).await;
    let sharer_id = sharer.id().expect("joined");
    let (screen, camera) = (
        track_of(&sharer, Source::Screen),
        track_of(&sharer, Source::Camera),
    );
    viewer
        .wait_received("A's screen at B", T, |t| t.track == screen && t.frames > 10)
        .await
        .expect("the share is seen");
    viewer
        .wait_received("A's camera at B", T, |t| t.track == camera && t.frames > 10)
        .await
        .expect("the camera is seen");
    viewer
        .wait_for("A shown sharing", T, |v| {
            shows(v, sharer_id, Source::Screen)
        })
        .await
        .expect("the room knows of the share");

    // A member may not end someone else's share: refused, and nothing changes.
    viewer.send(ClientSignal::StopShare {
        participant: sharer_id,
    });
    viewer
        .wait_for("a refusal", T, |v| {
            v.errors
                .iter()
                .any(|(c, _)| *c == SignalErrorCode::NotModerator)
        })
        .await
        .expect("members cannot stop a share");
    let frames = viewer.received()[&screen].frames;
    viewer
        .wait_received("A's screen still", T, |t| {
            t.track == screen && t.frames > frames + 10
        })
        .await
        .expect("the share goes on after the refusal");
    assert_eq!(sharer.view().share_stopped, None, "the sharer was not told");
    assert!(shows(&viewer.view(), sharer_id, Source::Screen));

    chair.send(ClientSignal::StopShare {
        participant: sharer_id,
    });
    let told = sharer
        .wait_for("the stop notice", T, |v| v.share_stopped.is_some())
        .await
        .expect("the sharer is told");
    assert_eq!(told.share_stopped.as_deref(), Some("chu-toa"));
    viewer
        .wait_for("A shown not sharing", T, |v| {
            !shows(v, sharer_id, Source::Screen) && shows(v, sharer_id, Source::Camera)
        })
        .await
        .expect("the room is told");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stopped_at = viewer.received()[&screen].packets;
    let sent = sharer.sent_packets_of(Source::Screen);
    let camera_frames = viewer.received()[&camera].frames;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(
        sharer.sent_packets_of(Source::Screen) > sent + 20,
        "A keeps sending its screen"
    );
    assert_eq!(
        viewer.received()[&screen].packets,
        stopped_at,
        "the SFU forwards none of the share"
    );
    assert!(
        viewer.received()[&camera].frames > camera_frames + 10,
        "the camera keeps flowing"
    );
    for p in [chair, sharer, viewer] {
        p.leave().await.expect("leave");
    }
}

fn layer_count(t: &TrackStats, layer: char) -> u64 {
    t.layer_packets.get(&layer).copied().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_gets_the_best_simulcast_layer_then_the_one_it_asks_for_from_a_keyframe() {
    let sfu = sfu();
    let meeting = Uuid::now_v7();
    // Keyframes only on request, and some frames late as from a real encoder: a layer
    // can only start on a keyframe the SFU asked for and then waited for.
    let publisher = join(
        &sfu,
        meeting,
        "dai-bieu-a",
        ParticipantOptions {
            audio: false,
            simulcast: vec!["q".into(), "h".into(), "f".into()],
            keyframe_interval: 1_000_000,
            keyframe_delay: Duration::from_millis(300),
            ..Default::default()
        },
    )
    .await;
    let viewer = join(
        &sfu,
        meeting,
        "dai-bieu-b",
        ParticipantOptions {
            video: false,
            audio: false,
            ..Default::default()
        },
    )
    .await;
    let publisher_id = publisher.id().expect("joined");
    let cam = track_of(&publisher, Source::Camera);
    viewer
        .wait_for("A's three layers", T, |v| {
            v.participants.get(&publisher_id).is_some_and(|p| {
                p.tracks.iter().any(|t| {
                    let mut l = t.layers.clone();
                    l.sort();
                    t.id == cam && l == ["f", "h", "q"]
                })
            })
        })
        .await
        .expect("the room is told of the layers");

    // Unasked, the best layer.
    viewer
        .wait_received("the full layer", T, |t| {
            t.track == cam && layer_count(t, 'f') > 30
        })
        .await
        .expect("the full layer arrives");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let on_full = viewer.received()[&cam].clone();
    assert_eq!(
        on_full.layer_switches.last(),
        Some(&('f', true)),
        "settled on the full layer, from a keyframe: {:?}",
        on_full.layer_switches
    );
    assert!(
        on_full.layer_switches.iter().all(|(_, key)| *key),
        "every layer started on a keyframe: {:?}",
        on_full.layer_switches
    );

    viewer.send(ClientSignal::Layer {
        track: cam.clone(),
        rid: "q".into(),
    });
    viewer
        .wait_received("the quarter layer", T, |t| {
            t.track == cam && layer_count(t, 'q') > layer_count(&on_full, 'q') + 10
        })
        .await
        .expect("the chosen layer arrives");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let switched = viewer.received()[&cam].clone();
    assert_eq!(
        &switched.layer_switches[on_full.layer_switches.len()..],
        &[('q', true)],
        "one switch, onto a keyframe of the chosen layer"
    );
    assert!(
        layer_count(&switched, 'f') > layer_count(&on_full, 'f') + 6,
        "the full layer went on while the SFU waited for that keyframe"
    );
    assert!(
        switched.lost < on_full.lost + 50,
        "the switch leaves no hole in the sequence numbers ({} then {} lost)",
        on_full.lost,
        switched.lost
    );
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let later = viewer.received()[&cam].clone();
    assert!(
        layer_count(&later, 'q') > layer_count(&switched, 'q') + 30,
        "the chosen layer flows"
    );
    for other in ['h', 'f'] {
        assert_eq!(
            layer_count(&later, other),
            layer_count(&switched, other),
            "nothing of layer {other} after the switch"
        );
    }
    assert_eq!(later.layer_switches, switched.layer_switches);
    for p in [publisher, viewer] {
        p.leave().await.expect("leave");
    }
}

/// What one participant may ask of the SFU is bounded: a publish offer too large or with
/// more media than a person sends is refused before it takes a connection (and a port
/// from the media range), and layer choices for made-up tracks cannot grow without end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_participant_cannot_make_the_sfu_hold_without_limit() {
    use phonghop_rtc::ServerSignal;
    use phonghop_rtc::signal::Pc;
    let sfu = sfu();
    let meeting = Uuid::now_v7();
    let mut link = in_process(sfu.clone(), member("dai-bieu-x"));
    link.tx
        .send(ClientSignal::Join {
            meeting_id: meeting,
            name: None,
        })
        .unwrap();
    let mut next_error = async || loop {
        match tokio::time::timeout(T, link.rx.recv()).await {
            Ok(Some(ServerSignal::Error { code, .. })) => return code,
            Ok(Some(_)) => continue,
            other => panic!("no answer: {other:?}"),
        }
    };
    let many = format!(
        "v=0\r\n{}",
        "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n".repeat(50)
    );
    for sdp in ["x".to_owned(), many, "m=video 9\r\n".repeat(20_000)] {
        link.tx
            .send(ClientSignal::Offer {
                pc: Pc::Publish,
                sdp,
            })
            .unwrap();
        assert_eq!(next_error().await, SignalErrorCode::BadRequest);
    }
    assert_eq!(sfu.stats.peer_connections.load(Ordering::Relaxed), 0);

    let mut refused = 0;
    for i in 0..300 {
        link.tx
            .send(ClientSignal::Layer {
                track: format!("{}:camera-{i}", Uuid::now_v7()),
                rid: "h".into(),
            })
            .unwrap();
        if next_error().await == SignalErrorCode::BadRequest {
            refused += 1;
        }
    }
    assert_eq!(refused, 300 - phonghop_rtc::sfu::MAX_LAYER_WISHES);
    link.tx
        .send(ClientSignal::Layer {
            track: "t".repeat(10_000),
            rid: "h".into(),
        })
        .unwrap();
    assert_eq!(next_error().await, SignalErrorCode::BadRequest);
}

/// One seat per person in a room: the same account joining again (a second device, a
/// reload) takes the place of its earlier connection, which is told and whose
/// connections close — one account cannot pile up connections and media ports.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_person_joining_again_takes_the_earlier_place() {
    let sfu = sfu();
    let meeting = Uuid::now_v7();
    let other = join(&sfu, meeting, "dai-bieu-b", ParticipantOptions::default()).await;
    let me = member("dai-bieu-a");
    let first = NativeParticipant::join(
        in_process(sfu.clone(), me.clone()),
        meeting,
        None,
        ParticipantOptions::default(),
    )
    .await
    .expect("first device joins");
    let b_cam = track_of(&other, Source::Camera);
    first
        .wait_received("B at the first device", T, |t| {
            t.track == b_cam && t.frames > 5
        })
        .await
        .expect("flowing");
    assert_eq!(sfu.stats.peer_connections.load(Ordering::Relaxed), 4);
    let second = NativeParticipant::join(
        in_process(sfu.clone(), me),
        meeting,
        None,
        ParticipantOptions::default(),
    )
    .await
    .expect("second device joins");
    second
        .wait_received("B at the second device", T, |t| {
            t.track == b_cam && t.frames > 5
        })
        .await
        .expect("flowing");
    assert_eq!(sfu.rooms(), vec![(meeting, 2)]);
    let deadline = tokio::time::Instant::now() + T;
    while sfu.stats.peer_connections.load(Ordering::Relaxed) != 4 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} connections: the first device's stayed open",
            sfu.stats.peer_connections.load(Ordering::Relaxed)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    first
        .wait_for("the first device told", T, |v| {
            v.errors
                .iter()
                .any(|(code, _)| *code == SignalErrorCode::JoinedElsewhere)
        })
        .await
        .expect("the first device is told its place was taken");
}
