//! A native participant: joins a room over any signaling link, publishes a synthetic
//! VP8 camera (optionally a screen share too) and Opus-like microphone (with the
//! audio-level extension), subscribes to everyone, and counts what arrives — packets,
//! frames, keyframes, gaps, latency. Used by tests and by `cargo xtask bench sfu`; the
//! desktop client will reuse its signaling side.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rtc::media_stream::MediaStreamTrack;
use rtc::peer_connection::sdp::RTCSessionDescription;
use rtc::peer_connection::transport::RTCIceCandidateInit;
use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtc::rtp;
use rtc::rtp::extension::HeaderExtension;
use rtc::rtp::extension::audio_level_extension::AudioLevelExtension;
use rtc::rtp_transceiver::rtp_sender::{
    RTCRtpCodec, RTCRtpCodingParameters, RTCRtpEncodingParameters, RtpCodecKind,
};
use tokio::sync::{mpsc, watch};
use uuid::Uuid;
use webrtc::media_stream::Track;
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;
use webrtc::media_stream::track_local::{TrackLocal, TrackLocalEvent};
use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};
use webrtc::peer_connection::{
    PeerConnection, PeerConnectionEventHandler, RTCIceGatheringState, RTCPeerConnectionIceEvent,
};
use webrtc::rtp_transceiver::RtpSender;

use crate::config::{NetConfig, is_keyframe_request};
use crate::link::SignalLink;
use crate::media::{
    now_micros, read_probe, synthetic_opus_frame, synthetic_vp8_frame, synthetic_vp8_layer_frame,
    vp8_is_keyframe,
};
use crate::signal::{
    Candidate, ClientSignal, ParticipantInfo, Pc, ServerSignal, SignalErrorCode, Source,
};

/// What to publish and how.
#[derive(Debug, Clone)]
pub struct ParticipantOptions {
    pub video: bool,
    pub audio: bool,
    /// Also share a screen: a second synthetic VP8 track, declared as [`Source::Screen`].
    pub screen: bool,
    /// Send the camera as simulcast layers with these RIDs, lowest first as browsers
    /// list them (e.g. `q`, `h`, `f`), each its own RTP stream; empty sends one stream.
    /// Each layer's payload probe names it (see [`crate::media::Probe::layer`]).
    pub simulcast: Vec<String>,
    pub fps: u32,
    pub packets_per_frame: usize,
    pub video_packet_size: usize,
    /// A keyframe every this many frames (and whenever a PLI arrives).
    pub keyframe_interval: u32,
    /// How long the encoder takes to answer a keyframe request (browsers take a few
    /// frames); zero answers with the next frame.
    pub keyframe_delay: Duration,
    /// The audio level sent, in −dBov (0 loudest, 127 silence).
    pub audio_level: u8,
    /// Stop sending a source when the chair mutes it, as a real client does. Tests turn
    /// this off to show the SFU enforces the mute by itself.
    pub obey_moderation: bool,
    /// The source the microphone track is declared as (`video.sources`). Only tests
    /// change it, to show the SFU does not let a declaration dodge the chair's mute.
    pub declare_microphone_as: Source,
    pub net: NetConfig,
    /// Keep every latency sample (for percentiles); off keeps only counts.
    pub keep_latency_samples: bool,
}

impl Default for ParticipantOptions {
    fn default() -> Self {
        ParticipantOptions {
            video: true,
            audio: true,
            screen: false,
            simulcast: Vec::new(),
            fps: 30,
            packets_per_frame: 2,
            video_packet_size: 900,
            keyframe_interval: 90,
            keyframe_delay: Duration::ZERO,
            audio_level: 100,
            obey_moderation: true,
            declare_microphone_as: Source::Microphone,
            net: NetConfig::default(),
            keep_latency_samples: true,
        }
    }
}

/// What one received track looked like.
#[derive(Debug, Clone, Default)]
pub struct TrackStats {
    /// The published track id, `{participant}:{source}`.
    pub track: String,
    pub video: bool,
    pub packets: u64,
    pub bytes: u64,
    /// Complete frames (video: marker bit; audio: one per packet).
    pub frames: u64,
    pub keyframes: u64,
    /// Packets missing from the sequence (gaps seen; late arrivals are not subtracted).
    pub lost: u64,
    /// Microseconds from the publisher's send to arrival here.
    pub latency_us: Vec<u32>,
    /// Packets per simulcast layer (the first character of its RID, from the probe).
    pub layer_packets: BTreeMap<char, u64>,
    /// Each time the simulcast layer changed, in sequence order (the first layer too):
    /// the new layer, and whether its first packet began a keyframe.
    pub layer_switches: Vec<(char, bool)>,
}

/// What the participant knows of the room, from the signals it received.
#[derive(Debug, Clone, Default)]
pub struct RoomView {
    pub me: Option<Uuid>,
    pub joined: bool,
    pub left: bool,
    pub participants: BTreeMap<Uuid, ParticipantInfo>,
    pub active_speaker: Option<Uuid>,
    /// Sources the chair has muted on us.
    pub muted_by_chair: BTreeMap<String, bool>,
    /// Who ended our screen share, once the chair has.
    pub share_stopped: Option<String>,
    pub errors: Vec<(SignalErrorCode, String)>,
    /// Subscribe offers answered so far.
    pub offers_answered: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum ParticipantError {
    #[error("the SFU refused: {0:?} {1}")]
    Refused(SignalErrorCode, String),
    #[error("timed out waiting for {0}")]
    Timeout(&'static str),
    #[error("the signaling link closed")]
    Closed,
    #[error("webrtc: {0}")]
    Webrtc(String),
}

type Tracks = Arc<Mutex<BTreeMap<String, TrackStats>>>;

fn sent_slot(source: Source) -> usize {
    match source {
        Source::Camera => 0,
        Source::Microphone => 1,
        Source::Screen => 2,
    }
}

struct Shared {
    link: mpsc::UnboundedSender<ClientSignal>,
    view: watch::Sender<RoomView>,
    tracks: Tracks,
    keep_samples: bool,
    /// RTP packets sent, per source (camera, microphone, screen).
    sent: [AtomicU64; 3],
    stop_video: AtomicBool,
    stop_audio: AtomicBool,
    stop_screen: AtomicBool,
    /// Video SSRCs owed a keyframe (a PLI or FIR asked, or the stream is just
    /// starting), and from when the encoder delivers it.
    keyframe_wanted: Mutex<HashMap<u32, Instant>>,
}

pub struct NativeParticipant {
    shared: Arc<Shared>,
    publish: Option<Arc<dyn PeerConnection>>,
    subscribe: Arc<tokio::sync::Mutex<Option<Arc<dyn PeerConnection>>>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

struct Events {
    shared: Arc<Shared>,
    pc: Pc,
    gathered: Arc<tokio::sync::Notify>,
}

#[async_trait::async_trait]
impl PeerConnectionEventHandler for Events {
    async fn on_ice_candidate(&self, event: RTCPeerConnectionIceEvent) {
        if let Ok(init) = event.candidate.to_json() {
            let _ = self.shared.link.send(ClientSignal::Candidate {
                pc: self.pc,
                candidate: Candidate {
                    candidate: init.candidate,
                    sdp_mid: None,
                    sdp_mline_index: Some(0),
                },
            });
        }
    }

    async fn on_ice_gathering_state_change(&self, state: RTCIceGatheringState) {
        if state == RTCIceGatheringState::Complete {
            self.gathered.notify_one();
        }
    }

    async fn on_track(&self, track: Arc<dyn TrackRemote>) {
        let shared = self.shared.clone();
        tokio::spawn(receive(shared, track));
    }
}

async fn receive(shared: Arc<Shared>, track: Arc<dyn TrackRemote>) {
    let id = track.stream_id().await;
    let video = track.kind().await == RtpCodecKind::Video;
    let mut last_seq: Option<u16> = None;
    let mut last_layer: Option<char> = None;
    while let Some(ev) = track.poll().await {
        if let TrackRemoteEvent::OnOpen(init) = &ev
            && video
        {
            // As a decoder would: until a keyframe arrives, keep asking for one.
            let (t, tracks, id, ssrc) =
                (track.clone(), shared.tracks.clone(), id.clone(), init.ssrc);
            tokio::spawn(async move {
                for _ in 0..20 {
                    tokio::time::sleep(Duration::from_millis(400)).await;
                    let have = tracks
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .get(&id)
                        .is_some_and(|s| s.keyframes > 0);
                    if have {
                        return;
                    }
                    let pli = PictureLossIndication {
                        sender_ssrc: 0,
                        media_ssrc: ssrc,
                    };
                    if t.write_rtcp(vec![Box::new(pli)]).await.is_err() {
                        return;
                    }
                }
            });
        }
        let TrackRemoteEvent::OnRtpPacket(pkt) = ev else {
            if matches!(ev, TrackRemoteEvent::OnEnded) {
                break;
            }
            continue;
        };
        let now = now_micros();
        let mut tracks = shared.tracks.lock().unwrap_or_else(|e| e.into_inner());
        let t = tracks.entry(id.clone()).or_insert_with(|| TrackStats {
            track: id.clone(),
            video,
            ..TrackStats::default()
        });
        t.packets += 1;
        t.bytes += pkt.payload.len() as u64;
        let seq = pkt.header.sequence_number;
        // A retransmission or reordered packet is not where a layer switch happened.
        let mut in_order = true;
        if let Some(prev) = last_seq {
            let gap = seq.wrapping_sub(prev);
            if gap > 1 && gap < 0x8000 {
                t.lost += u64::from(gap - 1);
            }
            in_order = gap != 0 && gap < 0x8000;
            if gap < 0x8000 {
                last_seq = Some(seq);
            }
        } else {
            last_seq = Some(seq);
        }
        let probe = read_probe(&pkt.payload);
        if let Some(layer) = probe.and_then(|p| p.layer) {
            *t.layer_packets.entry(layer).or_default() += 1;
            if in_order && last_layer != Some(layer) {
                t.layer_switches
                    .push((layer, vp8_is_keyframe(&pkt.payload)));
                last_layer = Some(layer);
            }
        }
        if video {
            if pkt.header.marker {
                t.frames += 1;
            }
            if vp8_is_keyframe(&pkt.payload) {
                t.keyframes += 1;
            }
        } else {
            t.frames += 1;
        }
        if shared.keep_samples
            && let Some(p) = probe
        {
            t.latency_us
                .push(now.saturating_sub(p.sent_micros).min(u64::from(u32::MAX)) as u32);
        }
    }
}

fn codec(video: bool) -> RTCRtpCodec {
    if video {
        RTCRtpCodec {
            mime_type: "video/VP8".into(),
            clock_rate: 90_000,
            channels: 0,
            sdp_fmtp_line: String::new(),
            rtcp_feedback: vec![],
        }
    } else {
        RTCRtpCodec {
            mime_type: "audio/opus".into(),
            clock_rate: 48_000,
            channels: 2,
            sdp_fmtp_line: "minptime=10;useinbandfec=1".into(),
            rtcp_feedback: vec![],
        }
    }
}

/// A track sending one RTP stream (its own SSRC) per RID; one stream without a RID when
/// `rids` is empty.
fn local_track(name: &str, video: bool, rids: &[String]) -> Arc<TrackLocalStaticRTP> {
    let single = [String::new()];
    let rids = if rids.is_empty() { &single[..] } else { rids };
    Arc::new(TrackLocalStaticRTP::new(MediaStreamTrack::new(
        "native".into(),
        name.into(),
        name.into(),
        if video {
            RtpCodecKind::Video
        } else {
            RtpCodecKind::Audio
        },
        rids.iter()
            .map(|rid| RTCRtpEncodingParameters {
                rtp_coding_parameters: RTCRtpCodingParameters {
                    rid: rid.clone(),
                    ssrc: Some(rand::random::<u32>() | 1),
                    ..Default::default()
                },
                codec: codec(video),
                ..Default::default()
            })
            .collect(),
    )))
}

/// The `a=mid` of the m-section that sends `track_id` (its msid).
fn sdp_mid_of(sdp: &str, track_id: &str) -> Option<String> {
    let (mut mid, mut found) = (None, false);
    for line in sdp.lines().chain(std::iter::once("m=end")) {
        if line.starts_with("m=") {
            if found {
                return mid;
            }
            mid = None;
        } else if let Some(m) = line.strip_prefix("a=mid:") {
            mid = Some(m.trim().to_owned());
        } else if line.starts_with("a=msid:") && line.split_whitespace().nth(1) == Some(track_id) {
            found = true;
        }
    }
    None
}

const MID_URI: &str = "urn:ietf:params:rtp-hdrext:sdes:mid";
const RID_URI: &str = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id";

async fn ssrc_of(t: &Arc<TrackLocalStaticRTP>) -> u32 {
    t.ssrcs().await.first().copied().unwrap_or(0)
}

async fn payload_type(sender: &Arc<dyn RtpSender>, mime: &str) -> Option<u8> {
    let params = sender.get_parameters().await.ok()?;
    params
        .rtp_parameters
        .codecs
        .iter()
        .find(|c| c.rtp_codec.mime_type.eq_ignore_ascii_case(mime))
        .map(|c| c.payload_type)
}

impl NativeParticipant {
    /// Joins `meeting` over `link` and, as asked, publishes. Returns once joined and the
    /// publish offer is out (media flows as soon as ICE and DTLS complete).
    pub async fn join(
        link: SignalLink,
        meeting: Uuid,
        name: Option<String>,
        opts: ParticipantOptions,
    ) -> Result<NativeParticipant, ParticipantError> {
        let SignalLink { tx, mut rx } = link;
        let (view, _) = watch::channel(RoomView::default());
        let shared = Arc::new(Shared {
            link: tx,
            view,
            tracks: Arc::new(Mutex::new(BTreeMap::new())),
            keep_samples: opts.keep_latency_samples,
            sent: Default::default(),
            stop_video: AtomicBool::new(false),
            stop_audio: AtomicBool::new(false),
            stop_screen: AtomicBool::new(false),
            keyframe_wanted: Mutex::new(HashMap::new()),
        });
        let _ = shared.link.send(ClientSignal::Join {
            meeting_id: meeting,
            name,
        });
        // The first answer decides: joined or refused.
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(10), rx.recv())
                .await
                .map_err(|_| ParticipantError::Timeout("video.joined"))?
                .ok_or(ParticipantError::Closed)?;
            match msg {
                ServerSignal::Joined {
                    you, participants, ..
                } => {
                    shared.view.send_modify(|v| {
                        v.me = Some(you.id);
                        v.joined = true;
                        v.participants = participants.into_iter().map(|p| (p.id, p)).collect();
                        v.participants.insert(you.id, you);
                    });
                    break;
                }
                ServerSignal::Error { code, message } => {
                    return Err(ParticipantError::Refused(code, message));
                }
                _ => {}
            }
        }

        let subscribe: Arc<tokio::sync::Mutex<Option<Arc<dyn PeerConnection>>>> =
            Arc::new(tokio::sync::Mutex::new(None));
        let mut tasks = Vec::new();
        let mut publish = None;
        let (pub_answer_tx, pub_answer_rx) = mpsc::unbounded_channel::<ServerSignal>();
        if opts.video || opts.audio || opts.screen {
            let gathered = Arc::new(tokio::sync::Notify::new());
            let pc = opts
                .net
                .peer_connection(Arc::new(Events {
                    shared: shared.clone(),
                    pc: Pc::Publish,
                    gathered: gathered.clone(),
                }))
                .await
                .map_err(|e| ParticipantError::Webrtc(e.to_string()))?;
            let mut sources = BTreeMap::new();
            let mut video = Vec::new();
            for (source, on) in [(Source::Camera, opts.video), (Source::Screen, opts.screen)] {
                if !on {
                    continue;
                }
                let name = source.as_str();
                let rids: &[String] = match source {
                    Source::Camera => &opts.simulcast,
                    _ => &[],
                };
                let t = local_track(name, true, rids);
                let s = pc
                    .add_track(t.clone() as Arc<dyn TrackLocal>)
                    .await
                    .map_err(|e| ParticipantError::Webrtc(e.to_string()))?;
                sources.insert(name.to_owned(), source);
                video.push((source, t, s));
            }
            let audio = if opts.audio {
                let t = local_track("microphone", false, &[]);
                let s = pc
                    .add_track(t.clone() as Arc<dyn TrackLocal>)
                    .await
                    .map_err(|e| ParticipantError::Webrtc(e.to_string()))?;
                sources.insert("microphone".to_owned(), opts.declare_microphone_as);
                Some((t, s))
            } else {
                None
            };
            let _ = shared.link.send(ClientSignal::Sources { sources });
            let offer = pc
                .create_offer(None)
                .await
                .map_err(|e| ParticipantError::Webrtc(e.to_string()))?;
            pc.set_local_description(offer)
                .await
                .map_err(|e| ParticipantError::Webrtc(e.to_string()))?;
            let _ = tokio::time::timeout(Duration::from_millis(1500), gathered.notified()).await;
            let sdp = pc
                .local_description()
                .await
                .ok_or(ParticipantError::Webrtc("no local description".into()))?
                .sdp;
            let _ = shared.link.send(ClientSignal::Offer {
                pc: Pc::Publish,
                sdp,
            });
            tasks.push(tokio::spawn(publish_loop(
                shared.clone(),
                pc.clone(),
                pub_answer_rx,
                video,
                audio,
                opts.clone(),
            )));
            publish = Some(pc);
        }
        tasks.push(tokio::spawn(signal_loop(
            shared.clone(),
            rx,
            subscribe.clone(),
            publish.clone(),
            pub_answer_tx,
            opts.clone(),
        )));
        Ok(NativeParticipant {
            shared,
            publish,
            subscribe,
            tasks,
        })
    }

    pub fn id(&self) -> Option<Uuid> {
        self.shared.view.borrow().me
    }

    pub fn view(&self) -> RoomView {
        self.shared.view.borrow().clone()
    }

    /// Waits until the room view satisfies `cond`.
    pub async fn wait_for(
        &self,
        what: &'static str,
        timeout: Duration,
        cond: impl Fn(&RoomView) -> bool,
    ) -> Result<RoomView, ParticipantError> {
        let mut rx = self.shared.view.subscribe();
        let r = tokio::time::timeout(timeout, rx.wait_for(|v| cond(v))).await;
        match r {
            Ok(Ok(v)) => Ok(v.clone()),
            Ok(Err(_)) => Err(ParticipantError::Closed),
            Err(_) => Err(ParticipantError::Timeout(what)),
        }
    }

    /// Per received track, by published track id.
    pub fn received(&self) -> BTreeMap<String, TrackStats> {
        self.shared
            .tracks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Waits until a received track matching `pred` satisfies `cond`.
    pub async fn wait_received(
        &self,
        what: &'static str,
        timeout: Duration,
        cond: impl Fn(&TrackStats) -> bool,
    ) -> Result<TrackStats, ParticipantError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(t) = self.received().values().find(|t| cond(t)) {
                return Ok(t.clone());
            }
            if tokio::time::Instant::now() > deadline {
                return Err(ParticipantError::Timeout(what));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// RTP packets written to the publish connection.
    pub fn sent_packets(&self) -> u64 {
        self.shared
            .sent
            .iter()
            .map(|n| n.load(Ordering::Relaxed))
            .sum()
    }

    /// RTP packets of one source written to the publish connection.
    pub fn sent_packets_of(&self, source: Source) -> u64 {
        self.shared.sent[sent_slot(source)].load(Ordering::Relaxed)
    }

    /// Sends a raw signaling message (moderation, subscriptions, layers).
    pub fn send(&self, msg: ClientSignal) {
        let _ = self.shared.link.send(msg);
    }

    /// Stops publishing new media (keeps the connections), e.g. to measure loss.
    pub fn pause_media(&self) {
        self.shared.stop_video.store(true, Ordering::SeqCst);
        self.shared.stop_screen.store(true, Ordering::SeqCst);
        self.shared.stop_audio.store(true, Ordering::SeqCst);
    }

    /// Leaves and waits for the SFU to confirm.
    pub async fn leave(self) -> Result<(), ParticipantError> {
        let _ = self.shared.link.send(ClientSignal::Leave);
        let r = self
            .wait_for("video.left", Duration::from_secs(10), |v| v.left)
            .await
            .map(|_| ());
        self.close().await;
        r
    }

    /// Closes the connections without saying goodbye (a crash, a cut cable).
    pub async fn close(mut self) {
        for t in self.tasks.drain(..) {
            t.abort();
        }
        if let Some(pc) = self.publish.take() {
            let _ = pc.close().await;
        }
        if let Some(pc) = self.subscribe.lock().await.take() {
            let _ = pc.close().await;
        }
    }
}

async fn signal_loop(
    shared: Arc<Shared>,
    mut rx: mpsc::UnboundedReceiver<ServerSignal>,
    subscribe: Arc<tokio::sync::Mutex<Option<Arc<dyn PeerConnection>>>>,
    publish: Option<Arc<dyn PeerConnection>>,
    pub_answer: mpsc::UnboundedSender<ServerSignal>,
    opts: ParticipantOptions,
) {
    while let Some(msg) = rx.recv().await {
        match msg {
            ServerSignal::Offer {
                pc: Pc::Subscribe,
                sdp,
            } => {
                let pc = {
                    let mut slot = subscribe.lock().await;
                    if slot.is_none() {
                        let built = opts
                            .net
                            .peer_connection(Arc::new(Events {
                                shared: shared.clone(),
                                pc: Pc::Subscribe,
                                gathered: Arc::new(tokio::sync::Notify::new()),
                            }))
                            .await;
                        match built {
                            Ok(pc) => *slot = Some(pc),
                            Err(e) => {
                                tracing::warn!("subscribe connection: {e}");
                                continue;
                            }
                        }
                    }
                    slot.clone()
                };
                let Some(pc) = pc else { continue };
                let answered = async {
                    pc.set_remote_description(RTCSessionDescription::offer(sdp)?)
                        .await?;
                    let answer = pc.create_answer(None).await?;
                    pc.set_local_description(answer).await?;
                    Ok::<_, webrtc::error::Error>(pc.local_description().await.map(|d| d.sdp))
                }
                .await;
                match answered {
                    Ok(Some(sdp)) => {
                        let _ = shared.link.send(ClientSignal::Answer {
                            pc: Pc::Subscribe,
                            sdp,
                        });
                        shared.view.send_modify(|v| v.offers_answered += 1);
                    }
                    other => tracing::warn!("answering the SFU's offer failed: {other:?}"),
                }
            }
            ServerSignal::Answer {
                pc: Pc::Publish,
                sdp,
            } => {
                let _ = pub_answer.send(ServerSignal::Answer {
                    pc: Pc::Publish,
                    sdp,
                });
            }
            ServerSignal::Candidate { pc, candidate } => {
                let conn = match pc {
                    Pc::Publish => publish.clone(),
                    Pc::Subscribe => subscribe.lock().await.clone(),
                };
                if let Some(conn) = conn {
                    let _ = conn
                        .add_ice_candidate(RTCIceCandidateInit {
                            candidate: candidate.candidate,
                            sdp_mid: candidate.sdp_mid,
                            sdp_mline_index: candidate.sdp_mline_index,
                            ..Default::default()
                        })
                        .await;
                }
            }
            ServerSignal::ParticipantJoined { participant }
            | ServerSignal::ParticipantUpdated { participant } => {
                shared.view.send_modify(|v| {
                    v.participants.insert(participant.id, participant);
                });
            }
            ServerSignal::ParticipantLeft { participant } => {
                shared.view.send_modify(|v| {
                    v.participants.remove(&participant);
                });
            }
            ServerSignal::ActiveSpeaker { participant } => {
                shared.view.send_modify(|v| v.active_speaker = participant);
            }
            ServerSignal::Muted { source, muted, .. } => {
                if opts.obey_moderation {
                    match source {
                        Source::Microphone => shared.stop_audio.store(muted, Ordering::SeqCst),
                        Source::Camera => shared.stop_video.store(muted, Ordering::SeqCst),
                        Source::Screen => shared.stop_screen.store(muted, Ordering::SeqCst),
                    }
                }
                shared.view.send_modify(|v| {
                    v.muted_by_chair.insert(source.as_str().to_owned(), muted);
                });
            }
            ServerSignal::ShareStopped { by } => {
                if opts.obey_moderation {
                    shared.stop_screen.store(true, Ordering::SeqCst);
                }
                shared.view.send_modify(|v| v.share_stopped = Some(by));
            }
            ServerSignal::Left => {
                shared.view.send_modify(|v| v.left = true);
            }
            ServerSignal::Error { code, message } => {
                shared.view.send_modify(|v| v.errors.push((code, message)));
            }
            _ => {}
        }
    }
    shared.view.send_modify(|v| v.left = true);
}

type Sending = Option<(Arc<TrackLocalStaticRTP>, Arc<dyn RtpSender>)>;

/// One outgoing video RTP stream and where it stands.
struct VideoStream {
    source: Source,
    track: Arc<TrackLocalStaticRTP>,
    pt: u8,
    ssrc: u32,
    /// The simulcast layer; empty for a plain stream.
    rid: String,
    /// What a simulcast layer carries in every packet so the receiver can place it (the
    /// SDP names no SSRC for a layer): (extension id, value) for the MID and the RID.
    extensions: Vec<(u8, bytes::Bytes)>,
    seq: u16,
    ts: u32,
}

async fn publish_loop(
    shared: Arc<Shared>,
    pc: Arc<dyn PeerConnection>,
    mut answers: mpsc::UnboundedReceiver<ServerSignal>,
    video: Vec<(Source, Arc<TrackLocalStaticRTP>, Arc<dyn RtpSender>)>,
    audio: Sending,
    opts: ParticipantOptions,
) {
    let Some(ServerSignal::Answer { sdp, .. }) = answers.recv().await else {
        return;
    };
    let Ok(answer) = RTCSessionDescription::answer(sdp) else {
        return;
    };
    if let Err(e) = pc.set_remote_description(answer).await {
        tracing::warn!("the SFU's answer did not apply: {e}");
        return;
    }
    let mut streams = Vec::new();
    for (source, track, sender) in video {
        let Some(pt) = payload_type(&sender, "video/VP8").await else {
            continue;
        };
        let ssrcs = track.ssrcs().await;
        // Keyframe requests relayed by the SFU, for whichever of our streams they name.
        let (t, s, mine) = (track.clone(), shared.clone(), ssrcs.clone());
        let delay = opts.keyframe_delay;
        tokio::spawn(async move {
            while let Some(TrackLocalEvent::OnRtcpPacket(pkts)) = t.poll().await {
                let due = Instant::now() + delay;
                let mut wanted = s.keyframe_wanted.lock().unwrap_or_else(|e| e.into_inner());
                for p in pkts.iter().filter(|p| is_keyframe_request(p.as_ref())) {
                    let mut named: Vec<u32> = p
                        .destination_ssrc()
                        .into_iter()
                        .filter(|x| mine.contains(x))
                        .collect();
                    if named.is_empty() {
                        named.clone_from(&mine);
                    }
                    // Repeated requests do not postpone the one being prepared.
                    for ssrc in named {
                        wanted.entry(ssrc).or_insert(due);
                    }
                }
            }
        });
        let ext_ids = sender
            .get_parameters()
            .await
            .map(|p| p.rtp_parameters.header_extensions)
            .unwrap_or_default();
        let ext_id = |uri: &str| {
            ext_ids
                .iter()
                .find(|e| e.uri == uri)
                .and_then(|e| u8::try_from(e.id).ok())
        };
        let mid = match pc.local_description().await {
            Some(d) => sdp_mid_of(&d.sdp, &track.track_id().await),
            None => None,
        };
        for ssrc in ssrcs {
            let rid = track.rid(ssrc).await.unwrap_or_default();
            let mut extensions = Vec::new();
            if !rid.is_empty() {
                match (ext_id(MID_URI), &mid, ext_id(RID_URI)) {
                    (Some(mid_id), Some(mid), Some(rid_id)) => {
                        extensions.push((mid_id, bytes::Bytes::from(mid.clone())));
                        extensions.push((rid_id, bytes::Bytes::from(rid.clone())));
                    }
                    _ => {
                        tracing::warn!(%rid, "simulcast without the MID/RID extensions negotiated")
                    }
                }
            }
            streams.push(VideoStream {
                source,
                track: track.clone(),
                pt,
                ssrc,
                rid,
                extensions,
                seq: rand::random(),
                ts: rand::random(),
            });
        }
    }
    // Every stream starts on a keyframe.
    let now = Instant::now();
    shared
        .keyframe_wanted
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .extend(streams.iter().map(|v| (v.ssrc, now)));
    let audio = match audio {
        Some((t, s)) => payload_type(&s, "audio/opus").await.map(|pt| (t, pt)),
        None => None,
    };
    let assrc = match &audio {
        Some((t, _)) => ssrc_of(t).await,
        None => 0,
    };
    let fps = opts.fps.max(1);
    let frame_period = Duration::from_micros(1_000_000 / u64::from(fps));
    let mut video_tick = tokio::time::interval(frame_period);
    let mut audio_tick = tokio::time::interval(Duration::from_millis(20));
    video_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    audio_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut aseq = rand::random::<u16>();
    let mut ats = rand::random::<u32>();
    let (mut frame, mut aframe) = (0u32, 0u32);
    loop {
        tokio::select! {
            _ = video_tick.tick(), if !streams.is_empty() => {
                let periodic = frame % opts.keyframe_interval.max(1) == 0;
                for v in &mut streams {
                    let stopped = match v.source {
                        Source::Screen => &shared.stop_screen,
                        _ => &shared.stop_video,
                    };
                    if stopped.load(Ordering::Relaxed) { continue; }
                    let asked = {
                        let mut wanted = shared.keyframe_wanted.lock().unwrap_or_else(|e| e.into_inner());
                        let due = wanted.get(&v.ssrc).is_some_and(|at| *at <= Instant::now());
                        if due {
                            wanted.remove(&v.ssrc);
                        }
                        due
                    };
                    let key = asked || periodic;
                    let (count, size) = (opts.packets_per_frame, opts.video_packet_size);
                    let payloads = if v.rid.is_empty() {
                        synthetic_vp8_frame(frame, key, count, size)
                    } else {
                        synthetic_vp8_layer_frame(frame, key, count, size, &v.rid)
                    };
                    let n = payloads.len();
                    for (i, p) in payloads.into_iter().enumerate() {
                        let mut pkt = rtp::Packet {
                            header: rtp::Header {
                                version: 2,
                                marker: i + 1 == n,
                                payload_type: v.pt,
                                sequence_number: v.seq,
                                timestamp: v.ts,
                                ssrc: v.ssrc,
                                ..Default::default()
                            },
                            payload: p.into(),
                        };
                        for (id, value) in &v.extensions {
                            if let Err(e) = pkt.header.set_extension(*id, value.clone()) {
                                tracing::warn!("header extension {id}: {e}");
                            }
                        }
                        v.seq = v.seq.wrapping_add(1);
                        if v.track.write_rtp(pkt).await.is_err() { return; }
                        shared.sent[sent_slot(v.source)].fetch_add(1, Ordering::Relaxed);
                    }
                    v.ts = v.ts.wrapping_add(90_000 / fps);
                }
                frame += 1;
            }
            _ = audio_tick.tick(), if audio.is_some() => {
                let Some((t, pt)) = &audio else { continue };
                if shared.stop_audio.load(Ordering::Relaxed) { continue; }
                let pkt = rtp::Packet {
                    header: rtp::Header {
                        version: 2,
                        marker: aframe == 0,
                        payload_type: *pt,
                        sequence_number: aseq,
                        timestamp: ats,
                        ssrc: assrc,
                        ..Default::default()
                    },
                    payload: synthetic_opus_frame(aframe, 80).into(),
                };
                let level = HeaderExtension::AudioLevel(AudioLevelExtension { level: opts.audio_level, voice: opts.audio_level < 127 });
                if t.write_rtp_with_extensions(pkt, &[level]).await.is_err() { return; }
                shared.sent[sent_slot(Source::Microphone)].fetch_add(1, Ordering::Relaxed);
                aseq = aseq.wrapping_add(1);
                ats = ats.wrapping_add(960);
                aframe += 1;
            }
        }
    }
}
