//! The selective forwarding unit: one room per meeting. Each participant publishes on
//! one peer connection and receives on another (see [`crate::signal`]); every published
//! track fans out to its subscribers through a bounded queue per subscriber, so one slow
//! receiver loses its own packets (and gets a fresh keyframe) without holding back the
//! room.
//!
//! Media is never decoded: the SFU reads the audio-level header extension for the active
//! speaker, the VP8 frame tag to switch simulcast layers on a keyframe, and rewrites SSRC,
//! payload type, sequence number and timestamp for each subscriber.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::{Duration, Instant};

use rtc::media_stream::MediaStreamTrack;
use rtc::peer_connection::sdp::RTCSessionDescription;
use rtc::peer_connection::transport::RTCIceCandidateInit;
use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtc::rtp;
use rtc::rtp_transceiver::rtp_sender::{
    RTCRtpCodec, RTCRtpCodingParameters, RTCRtpEncodingParameters, RtpCodecKind,
};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use uuid::Uuid;
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;
use webrtc::media_stream::track_local::{TrackLocal, TrackLocalEvent};
use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};
use webrtc::peer_connection::{
    PeerConnection, PeerConnectionEventHandler, RTCIceGatheringState, RTCPeerConnectionIceEvent,
    RTCPeerConnectionState,
};
use webrtc::rtp_transceiver::RtpSender;

use crate::config::{AUDIO_LEVEL_URI, NetConfig, extmap_id, is_keyframe_request};
use crate::media::vp8_is_keyframe;
use crate::signal::{
    Candidate, ClientSignal, ParticipantInfo, Pc, PeerRole, ServerSignal, SignalErrorCode, Source,
    Subscription, TrackInfo,
};

/// Who is asking to join.
#[derive(Debug, Clone)]
pub struct Identity {
    /// The account; `None` for a guest from an invitation link.
    pub user_id: Option<Uuid>,
    pub name: String,
    /// For a guest: the meeting their invitation is for.
    pub invited_to: Option<Uuid>,
}

/// Decides who may enter a meeting's room, and in which role (the membership hook:
/// the server answers from its store; tests may admit everyone). A refusal says why,
/// in words for the participant.
#[async_trait::async_trait]
pub trait Admission: Send + Sync + 'static {
    async fn admit(&self, who: &Identity, meeting: Uuid) -> SignalResult<PeerRole>;
}

/// The refusal of someone who is neither a member nor an invited guest.
pub fn not_admitted() -> (SignalErrorCode, String) {
    (
        SignalErrorCode::Forbidden,
        "only members of this meeting and invited guests may join its video".into(),
    )
}

/// Admits everyone, in one role (native tests, the benchmark).
pub struct AdmitAll(pub PeerRole);

#[async_trait::async_trait]
impl Admission for AdmitAll {
    async fn admit(&self, _who: &Identity, _meeting: Uuid) -> SignalResult<PeerRole> {
        Ok(self.0)
    }
}

#[derive(Debug, Clone)]
pub struct SfuConfig {
    pub net: NetConfig,
    /// Packets queued per subscriber per track before the oldest new ones are dropped.
    pub queue_len: usize,
    /// How often the active speaker is re-evaluated.
    pub speaker_interval: Duration,
    /// Louder than this (in −dBov, lower is louder) counts as speaking.
    pub speaker_threshold: u8,
}

impl Default for SfuConfig {
    fn default() -> Self {
        SfuConfig {
            net: NetConfig::default(),
            queue_len: 512,
            speaker_interval: Duration::from_millis(300),
            speaker_threshold: 60,
        }
    }
}

/// Counters over the SFU's life, for tests and the benchmark.
#[derive(Debug, Default)]
pub struct SfuStats {
    /// RTP packets handed to a subscriber's connection.
    pub forwarded: AtomicU64,
    /// RTP packets dropped because a subscriber's queue was full.
    pub dropped: AtomicU64,
    /// Keyframe requests (PLI) sent to publishers.
    pub keyframe_requests: AtomicU64,
    /// Peer connections open right now.
    pub peer_connections: AtomicU64,
}

pub type SignalResult<T> = Result<T, (SignalErrorCode, String)>;

/// Remote ICE candidates one participant may send (browsers send a handful per
/// connection; renegotiations reuse them).
pub const MAX_REMOTE_CANDIDATES: u32 = 200;
/// Tracks one participant may declare sources for.
pub const MAX_DECLARED_SOURCES: usize = 32;
/// Media sections a publish offer may hold: a microphone, a camera and a screen, and the
/// sections browsers keep for tracks they stopped (each share started anew adds one).
/// Each new track makes the whole room renegotiate.
pub const MAX_PUBLISH_SECTIONS: usize = 16;
/// A publish offer's size: a browser's, with simulcast and every codec, is 5–15 KiB.
pub const MAX_PUBLISH_OFFER: usize = 64 * 1024;
/// Layer wishes one participant may hold (one per track it watches; a room shows a
/// few dozen), and the longest track name or layer id one may name.
pub const MAX_LAYER_WISHES: usize = 256;
const MAX_TRACK_NAME: usize = 128;
const MAX_RID: usize = 16;

/// Refuses a publish offer too large, or with more media than a participant sends,
/// before it costs a connection (and a port from the media range).
pub fn check_publish_offer(sdp: &str) -> SignalResult<()> {
    if sdp.len() > MAX_PUBLISH_OFFER {
        return Err((
            SignalErrorCode::BadRequest,
            format!("the offer is larger than {} KiB", MAX_PUBLISH_OFFER / 1024),
        ));
    }
    let sections = sdp.lines().filter(|l| l.starts_with("m=")).count();
    if sections == 0 || sections > MAX_PUBLISH_SECTIONS {
        return Err((
            SignalErrorCode::BadRequest,
            format!(
                "the offer has {sections} media sections; 1 to {MAX_PUBLISH_SECTIONS} are taken"
            ),
        ));
    }
    Ok(())
}

fn neg_err(e: impl std::fmt::Display) -> (SignalErrorCode, String) {
    (SignalErrorCode::Negotiation, e.to_string())
}

pub struct Sfu {
    config: SfuConfig,
    admission: Arc<dyn Admission>,
    rooms: Mutex<HashMap<Uuid, Arc<Room>>>,
    pub stats: Arc<SfuStats>,
}

impl Sfu {
    pub fn new(config: SfuConfig, admission: Arc<dyn Admission>) -> Arc<Sfu> {
        Arc::new(Sfu {
            config,
            admission,
            rooms: Mutex::new(HashMap::new()),
            stats: Arc::new(SfuStats::default()),
        })
    }

    pub fn config(&self) -> &SfuConfig {
        &self.config
    }

    /// Meetings with a room open, and how many are in each.
    pub fn rooms(&self) -> Vec<(Uuid, usize)> {
        let rooms = self.rooms.lock().unwrap_or_else(|e| e.into_inner());
        rooms.iter().map(|(id, r)| (*id, r.len())).collect()
    }

    /// The participants of a meeting's room, as they would be announced.
    pub fn participants(&self, meeting: Uuid) -> Vec<ParticipantInfo> {
        let room = self
            .rooms
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&meeting)
            .cloned();
        room.map(|r| r.peers().iter().map(|p| p.info()).collect())
            .unwrap_or_default()
    }

    /// Enters `meeting`'s room after the admission check. Server signals for this
    /// participant go to `out` (first `video.joined`).
    pub async fn join(
        self: &Arc<Self>,
        who: Identity,
        meeting: Uuid,
        out: mpsc::UnboundedSender<ServerSignal>,
    ) -> SignalResult<Session> {
        let role = self.admission.admit(&who, meeting).await?;
        // The room is found (or opened) and the newcomer put in it under one lock: a
        // last participant leaving meanwhile would otherwise close a room the newcomer
        // then sits in alone, while the next joiner opens another.
        let (room, others, peer) = {
            let mut rooms = self.rooms.lock().unwrap_or_else(|e| e.into_inner());
            let room = rooms
                .entry(meeting)
                .or_insert_with(|| Room::open(meeting, Arc::downgrade(self)))
                .clone();
            let peer = Arc::new(Peer {
                id: Uuid::now_v7(),
                who,
                role,
                out,
                room: Arc::downgrade(&room),
                sfu: Arc::downgrade(self),
                publish: tokio::sync::Mutex::new(None),
                subscribe: tokio::sync::Mutex::new(SubscribeSide::default()),
                published: Mutex::new(Vec::new()),
                declared_sources: Mutex::new(BTreeMap::new()),
                candidates: AtomicU32::new(0),
                audio_level_ext: AtomicU8::new(0),
                subscription: Mutex::new(Subscription::All),
                layer_wishes: Mutex::new(HashMap::new()),
                receiving: Arc::new(AtomicBool::new(false)),
                closed: AtomicBool::new(false),
            });
            let others = room.peers();
            room.insert(peer.clone());
            (room, others, peer)
        };
        // One seat per account in a room: the same person joining again (another
        // device, a reload) takes the place of the earlier connection, which is told
        // and closed. Without this, one account could open connection after connection,
        // each with its own ports from the media range, until no meeting had any left.
        let (earlier, others): (Vec<Arc<Peer>>, Vec<Arc<Peer>>) = others
            .into_iter()
            .partition(|p| p.who.user_id.is_some() && p.who.user_id == peer.who.user_id);
        let _ = peer.out.send(ServerSignal::Joined {
            meeting_id: meeting,
            you: peer.info(),
            participants: others.iter().map(|p| p.info()).collect(),
            ice_servers: self.config.net.ice_servers.clone(),
        });
        // Still muted by the chair from an earlier connection: say so at once.
        for (source, by) in room.muted_for(&peer.who) {
            let _ = peer.out.send(ServerSignal::Muted {
                source,
                muted: true,
                by,
            });
        }
        room.broadcast_except(
            peer.id,
            ServerSignal::ParticipantJoined {
                participant: peer.info(),
            },
        );
        tracing::info!(meeting = %meeting, participant = %peer.id, name = %peer.who.name, "joined video");
        // The earlier seat goes once the newcomer has heard it joined.
        for old in earlier {
            let _ = old.out.send(ServerSignal::error(
                SignalErrorCode::JoinedElsewhere,
                "you joined this meeting's video again elsewhere; this connection left",
            ));
            let stale = Session {
                sfu: self.clone(),
                room: room.clone(),
                peer: old,
            };
            stale.leave().await;
        }
        // Whatever is already published reaches the newcomer.
        tokio::spawn(peer.clone().sync_subscriptions());
        Ok(Session {
            sfu: self.clone(),
            room,
            peer,
        })
    }

    /// What admission says now about `who` in `meeting` (Err: no longer admitted, and why).
    pub async fn admits(&self, who: &Identity, meeting: Uuid) -> SignalResult<PeerRole> {
        self.admission.admit(who, meeting).await
    }

    fn close_room_if_empty(&self, room: &Room) {
        let mut rooms = self.rooms.lock().unwrap_or_else(|e| e.into_inner());
        // Only this room: a late leaver of a room closed already must not close the
        // one opened since for the same meeting.
        let same = rooms
            .get(&room.meeting)
            .is_some_and(|r| std::ptr::eq(Arc::as_ptr(r), room));
        if same && room.len() == 0 {
            rooms.remove(&room.meeting);
            tracing::info!(meeting = %room.meeting, "video room closed");
        }
    }
}

/// One participant's handle; dropping it does not leave — call [`Session::leave`].
pub struct Session {
    sfu: Arc<Sfu>,
    room: Arc<Room>,
    peer: Arc<Peer>,
}

impl Session {
    pub fn participant_id(&self) -> Uuid {
        self.peer.id
    }

    pub fn meeting_id(&self) -> Uuid {
        self.room.meeting
    }

    pub fn role(&self) -> PeerRole {
        self.peer.role
    }

    /// Out of the room already (its seat taken by a newer connection, or its media
    /// connection failed).
    pub fn is_closed(&self) -> bool {
        self.peer.closed.load(Ordering::SeqCst)
    }

    /// Applies one client message. `Join` and `Leave` belong to the caller (the socket
    /// loop), which owns the session's life.
    pub async fn handle(&self, msg: ClientSignal) -> SignalResult<()> {
        // Out of the room (its place taken by a newer connection of the same person):
        // nothing more is done for this one.
        if self.peer.closed.load(Ordering::SeqCst) && !matches!(msg, ClientSignal::Leave) {
            return Err((
                SignalErrorCode::NotJoined,
                "this connection is no longer in the video room".into(),
            ));
        }
        match msg {
            ClientSignal::Join { .. } => Err((
                SignalErrorCode::AlreadyJoined,
                "already in a video room on this connection".into(),
            )),
            ClientSignal::Leave => {
                self.leave().await;
                Ok(())
            }
            ClientSignal::Offer {
                pc: Pc::Publish,
                sdp,
            } => self.peer.publish_offer(sdp).await,
            ClientSignal::Offer {
                pc: Pc::Subscribe, ..
            } => Err((
                SignalErrorCode::BadRequest,
                "the SFU makes the offers on the subscribe connection".into(),
            )),
            ClientSignal::Answer {
                pc: Pc::Subscribe,
                sdp,
            } => self.peer.subscribe_answer(sdp).await,
            ClientSignal::Answer {
                pc: Pc::Publish, ..
            } => Err((
                SignalErrorCode::BadRequest,
                "the publish connection is offered by the participant".into(),
            )),
            ClientSignal::Candidate { pc, candidate } => {
                self.peer.add_candidate(pc, candidate).await
            }
            ClientSignal::Sources { sources } => {
                let mut declared = self
                    .peer
                    .declared_sources
                    .lock()
                    .unwrap_or_else(|e| e.into_inner());
                declared.extend(sources);
                if declared.len() > MAX_DECLARED_SOURCES {
                    declared.clear();
                    return Err((
                        SignalErrorCode::BadRequest,
                        format!("at most {MAX_DECLARED_SOURCES} tracks may be declared"),
                    ));
                }
                Ok(())
            }
            ClientSignal::Subscribe { subscription } => {
                *self
                    .peer
                    .subscription
                    .lock()
                    .unwrap_or_else(|e| e.into_inner()) = subscription;
                tokio::spawn(self.peer.clone().sync_subscriptions());
                Ok(())
            }
            ClientSignal::Layer { track, rid } => {
                if track.len() > MAX_TRACK_NAME || rid.len() > MAX_RID {
                    return Err((
                        SignalErrorCode::BadRequest,
                        "track name or layer id too long".into(),
                    ));
                }
                {
                    let mut wishes = self
                        .peer
                        .layer_wishes
                        .lock()
                        .unwrap_or_else(|e| e.into_inner());
                    if wishes.len() >= MAX_LAYER_WISHES && !wishes.contains_key(&track) {
                        return Err((
                            SignalErrorCode::BadRequest,
                            format!("at most {MAX_LAYER_WISHES} layer choices"),
                        ));
                    }
                    wishes.insert(track.clone(), rid.clone());
                }
                let sub = self.peer.subscribe.lock().await;
                match sub.downstreams.get(&track) {
                    Some(d) => {
                        d.want_rid(Some(rid));
                        Ok(())
                    }
                    None => Err((
                        SignalErrorCode::NotFound,
                        format!("not subscribed to {track}"),
                    )),
                }
            }
            ClientSignal::Mute {
                participant,
                source,
                muted,
            } => {
                self.moderator()?;
                let target = self.room.peer(participant).ok_or_else(|| {
                    (
                        SignalErrorCode::NotFound,
                        "no such participant in this room".to_owned(),
                    )
                })?;
                target.set_muted(source, muted, &self.peer.who.name);
                Ok(())
            }
            ClientSignal::StopShare { participant } => {
                self.moderator()?;
                let target = self.room.peer(participant).ok_or_else(|| {
                    (
                        SignalErrorCode::NotFound,
                        "no such participant in this room".to_owned(),
                    )
                })?;
                target.stop_share(&self.peer.who.name).await;
                Ok(())
            }
        }
    }

    fn moderator(&self) -> SignalResult<()> {
        if self.peer.role.moderates() {
            Ok(())
        } else {
            Err((
                SignalErrorCode::NotModerator,
                "only the chair or the secretary may do that".into(),
            ))
        }
    }

    /// Leaves the room: stops forwarding to and from this participant, closes both
    /// peer connections, tells the others. Idempotent.
    pub async fn leave(&self) {
        if self.peer.closed.swap(true, Ordering::SeqCst) {
            return;
        }
        self.room.remove(self.peer.id);
        let published: Vec<Arc<Published>> = std::mem::take(
            &mut *self
                .peer
                .published
                .lock()
                .unwrap_or_else(|e| e.into_inner()),
        );
        for p in &published {
            p.close();
        }
        {
            let mut sub = self.peer.subscribe.lock().await;
            for (_, d) in sub.downstreams.drain() {
                d.detach();
            }
            if let Some(pc) = sub.pc.take() {
                let _ = pc.close().await;
                self.sfu
                    .stats
                    .peer_connections
                    .fetch_sub(1, Ordering::Relaxed);
            }
        }
        let publish = self.peer.publish.lock().await.take();
        if let Some((pc, _)) = publish {
            let _ = pc.close().await;
            self.sfu
                .stats
                .peer_connections
                .fetch_sub(1, Ordering::Relaxed);
        }
        self.room.broadcast_except(
            self.peer.id,
            ServerSignal::ParticipantLeft {
                participant: self.peer.id,
            },
        );
        for other in self.room.peers() {
            tokio::spawn(other.sync_subscriptions());
        }
        let _ = self.peer.out.send(ServerSignal::Left);
        self.sfu.close_room_if_empty(&self.room);
        tracing::info!(meeting = %self.room.meeting, participant = %self.peer.id, "left video");
    }
}

struct Room {
    meeting: Uuid,
    peers: Mutex<HashMap<Uuid, Arc<Peer>>>,
    /// Smoothed loudness (0 silent … 127 loudest) and when it was last heard.
    levels: Mutex<HashMap<Uuid, (f32, Instant)>>,
    speaker: Mutex<Option<Uuid>>,
    /// The chair's mutes, by who (not by connection): leaving and joining again, or
    /// publishing the microphone anew, does not undo them. Source → the chair's name.
    chair_muted: Mutex<HashMap<String, HashMap<Source, String>>>,
}

/// Whom the chair's mute sticks to: the account, or a guest's invitation and name.
fn mute_key(who: &Identity) -> String {
    match (who.user_id, who.invited_to) {
        (Some(user), _) => format!("user:{user}"),
        (None, Some(meeting)) => format!("guest:{meeting}:{}", who.name),
        (None, None) => format!("anonymous:{}", who.name),
    }
}

impl Room {
    fn open(meeting: Uuid, sfu: Weak<Sfu>) -> Arc<Room> {
        let room = Arc::new(Room {
            meeting,
            peers: Mutex::new(HashMap::new()),
            levels: Mutex::new(HashMap::new()),
            speaker: Mutex::new(None),
            chair_muted: Mutex::new(HashMap::new()),
        });
        let weak = Arc::downgrade(&room);
        tokio::spawn(async move {
            let (interval, threshold) = match sfu.upgrade() {
                Some(s) => (s.config.speaker_interval, s.config.speaker_threshold),
                None => return,
            };
            let mut tick = tokio::time::interval(interval);
            loop {
                tick.tick().await;
                // Sessions hold the room; when the last has left, it is gone.
                let Some(room) = weak.upgrade() else { return };
                room.pick_speaker(threshold);
            }
        });
        room
    }

    fn len(&self) -> usize {
        self.peers.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// The sources the chair has muted for `who`, with the chair's name.
    fn muted_for(&self, who: &Identity) -> HashMap<Source, String> {
        self.chair_muted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&mute_key(who))
            .cloned()
            .unwrap_or_default()
    }

    fn peers(&self) -> Vec<Arc<Peer>> {
        self.peers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect()
    }

    fn peer(&self, id: Uuid) -> Option<Arc<Peer>> {
        self.peers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&id)
            .cloned()
    }

    fn insert(&self, peer: Arc<Peer>) {
        self.peers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(peer.id, peer);
    }

    fn remove(&self, id: Uuid) {
        self.peers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id);
        self.levels
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id);
    }

    fn broadcast_except(&self, except: Uuid, msg: ServerSignal) {
        for p in self.peers() {
            if p.id != except {
                let _ = p.out.send(msg.clone());
            }
        }
    }

    fn observe_level(&self, participant: Uuid, level_dbov: u8) {
        let loudness = f32::from(127u8.saturating_sub(level_dbov.min(127)));
        let mut levels = self.levels.lock().unwrap_or_else(|e| e.into_inner());
        let e = levels.entry(participant).or_insert((0.0, Instant::now()));
        e.0 = e.0 * 0.8 + loudness * 0.2;
        e.1 = Instant::now();
    }

    fn pick_speaker(&self, threshold_dbov: u8) {
        let min_loudness = f32::from(127 - threshold_dbov.min(127));
        let now = Instant::now();
        let loudest = {
            let levels = self.levels.lock().unwrap_or_else(|e| e.into_inner());
            levels
                .iter()
                .filter(|(_, (l, at))| {
                    *l >= min_loudness && now.duration_since(*at) < Duration::from_secs(1)
                })
                .max_by(|a, b| a.1.0.total_cmp(&b.1.0))
                .map(|(id, _)| *id)
        };
        let mut current = self.speaker.lock().unwrap_or_else(|e| e.into_inner());
        // A silence keeps the last speaker on screen; only someone louder replaces them.
        if loudest.is_some() && loudest != *current {
            *current = loudest;
            drop(current);
            for p in self.peers() {
                let _ = p.out.send(ServerSignal::ActiveSpeaker {
                    participant: loudest,
                });
            }
        } else if let Some(cur) = *current
            && self.peer(cur).is_none()
        {
            *current = None;
            drop(current);
            for p in self.peers() {
                let _ = p
                    .out
                    .send(ServerSignal::ActiveSpeaker { participant: None });
            }
        }
    }

    /// Every open published track of everyone but `except`.
    fn published_except(&self, except: Uuid) -> Vec<Arc<Published>> {
        self.peers()
            .iter()
            .filter(|p| p.id != except)
            .flat_map(|p| {
                p.published
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .clone()
            })
            .filter(|t| t.is_open())
            .collect()
    }
}

#[derive(Default)]
struct SubscribeSide {
    pc: Option<Arc<dyn PeerConnection>>,
    gathered: Option<Arc<tokio::sync::Notify>>,
    downstreams: HashMap<String, Arc<Downstream>>,
    /// An offer is out and its answer has not come back.
    awaiting_answer: bool,
    /// Something changed while an offer was out: offer again after the answer.
    dirty: bool,
}

/// A peer connection and the signal that its ICE gathering completed.
type PcAndGathered = (Arc<dyn PeerConnection>, Arc<tokio::sync::Notify>);

struct Peer {
    id: Uuid,
    who: Identity,
    role: PeerRole,
    out: mpsc::UnboundedSender<ServerSignal>,
    room: Weak<Room>,
    sfu: Weak<Sfu>,
    publish: tokio::sync::Mutex<Option<PcAndGathered>>,
    subscribe: tokio::sync::Mutex<SubscribeSide>,
    published: Mutex<Vec<Arc<Published>>>,
    /// Track id → source, as the participant declared them with its offer.
    declared_sources: Mutex<BTreeMap<String, Source>>,
    /// Remote ICE candidates taken so far (both connections), against a flood.
    candidates: AtomicU32,
    audio_level_ext: AtomicU8,
    subscription: Mutex<Subscription>,
    layer_wishes: Mutex<HashMap<String, String>>,
    /// The subscribe connection is up (ICE and DTLS): until then forwarding to it would
    /// only be dropped (no SRTP keys yet), each drop logged.
    receiving: Arc<AtomicBool>,
    closed: AtomicBool,
}

/// Forwards a peer connection's events to the peer.
struct PcEvents {
    peer: Weak<Peer>,
    pc: Pc,
    gathered: Arc<tokio::sync::Notify>,
}

#[async_trait::async_trait]
impl PeerConnectionEventHandler for PcEvents {
    async fn on_ice_candidate(&self, event: RTCPeerConnectionIceEvent) {
        let Some(peer) = self.peer.upgrade() else {
            return;
        };
        if let Ok(init) = event.candidate.to_json() {
            let _ = peer.out.send(ServerSignal::Candidate {
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
            self.gathered.notify_waiters();
            self.gathered.notify_one();
        }
    }

    async fn on_connection_state_change(&self, state: RTCPeerConnectionState) {
        let Some(peer) = self.peer.upgrade() else {
            return;
        };
        tracing::debug!(participant = %peer.id, pc = ?self.pc, %state, "connection state");
        if self.pc == Pc::Subscribe && state == RTCPeerConnectionState::Connected {
            // Media queued before the transport was up is gone: every track this
            // subscriber receives starts again from a fresh keyframe, and nothing before
            // it is forwarded (the receiver could not decode it).
            let sub = peer.subscribe.lock().await;
            for d in sub.downstreams.values() {
                d.current.store(0, Ordering::SeqCst);
            }
            peer.receiving.store(true, Ordering::SeqCst);
            for d in sub.downstreams.values() {
                *d.source.last_pli.lock().unwrap_or_else(|e| e.into_inner()) = None;
                d.source.request_keyframe(d.target.load(Ordering::SeqCst));
            }
        } else if self.pc == Pc::Subscribe
            && matches!(
                state,
                RTCPeerConnectionState::Disconnected
                    | RTCPeerConnectionState::Failed
                    | RTCPeerConnectionState::Closed
            )
        {
            peer.receiving.store(false, Ordering::SeqCst);
        }
        // The connection is gone for good (no answer to ICE consent checks for ~30 s: a
        // network that dropped without a word): the participant leaves the room and is
        // told, instead of holding its ports and its place until the socket times out.
        if state == RTCPeerConnectionState::Failed
            && !peer.closed.load(Ordering::SeqCst)
            && let (Some(sfu), Some(room)) = (peer.sfu.upgrade(), peer.room.upgrade())
        {
            tracing::info!(participant = %peer.id, pc = ?self.pc, "media connection failed: leaving");
            let _ = peer.out.send(ServerSignal::error(
                SignalErrorCode::MediaFailed,
                "the media connection was lost; join again",
            ));
            let session = Session { sfu, room, peer };
            tokio::spawn(async move { session.leave().await });
        }
    }

    async fn on_track(&self, track: Arc<dyn TrackRemote>) {
        if self.pc != Pc::Publish {
            return;
        }
        let Some(peer) = self.peer.upgrade() else {
            return;
        };
        peer.accept_track(track).await;
    }
}

async fn wait_gathered(notify: &tokio::sync::Notify) {
    // Host candidates on an explicit address gather at once; STUN/TURN may take longer,
    // and those trickle afterwards anyway.
    let _ = tokio::time::timeout(Duration::from_millis(1500), notify.notified()).await;
}

impl Peer {
    fn info(&self) -> ParticipantInfo {
        ParticipantInfo {
            id: self.id,
            user_id: self.who.user_id,
            name: self.who.name.clone(),
            role: self.role,
            tracks: self
                .published
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .filter(|t| t.is_open())
                .map(|t| t.info())
                .collect(),
        }
    }

    fn announce_update(&self) {
        if let Some(room) = self.room.upgrade() {
            let info = self.info();
            for p in room.peers() {
                let _ = p.out.send(ServerSignal::ParticipantUpdated {
                    participant: info.clone(),
                });
            }
        }
    }

    async fn new_pc(self: &Arc<Self>, pc: Pc) -> SignalResult<PcAndGathered> {
        let sfu = self
            .sfu
            .upgrade()
            .ok_or((SignalErrorCode::Internal, "the SFU stopped".to_owned()))?;
        let gathered = Arc::new(tokio::sync::Notify::new());
        let handler = Arc::new(PcEvents {
            peer: Arc::downgrade(self),
            pc,
            gathered: gathered.clone(),
        });
        let conn = sfu
            .config
            .net
            .peer_connection(handler)
            .await
            .map_err(|e| (SignalErrorCode::Internal, e.to_string()))?;
        sfu.stats.peer_connections.fetch_add(1, Ordering::Relaxed);
        Ok((conn, gathered))
    }

    async fn publish_offer(self: &Arc<Self>, sdp: String) -> SignalResult<()> {
        check_publish_offer(&sdp)?;
        if let Some(id) = extmap_id(&sdp, "audio", AUDIO_LEVEL_URI) {
            self.audio_level_ext.store(id, Ordering::Relaxed);
        }
        let mut slot = self.publish.lock().await;
        // `leave` marks the peer closed before it takes this lock to close the
        // connection: checked under the lock, no connection outlives the peer.
        if self.closed.load(Ordering::SeqCst) {
            return Err((
                SignalErrorCode::NotJoined,
                "this connection is no longer in the video room".into(),
            ));
        }
        if slot.is_none() {
            *slot = Some(self.new_pc(Pc::Publish).await?);
        }
        let Some((pc, gathered)) = slot.clone() else {
            return Err((SignalErrorCode::Internal, "no publish connection".into()));
        };
        drop(slot);
        let offer = RTCSessionDescription::offer(sdp).map_err(neg_err)?;
        pc.set_remote_description(offer).await.map_err(neg_err)?;
        let answer = pc.create_answer(None).await.map_err(neg_err)?;
        let first = pc.current_local_description().await.is_none();
        pc.set_local_description(answer).await.map_err(neg_err)?;
        if first {
            wait_gathered(&gathered).await;
        }
        let local = pc.local_description().await.ok_or((
            SignalErrorCode::Negotiation,
            "no local description".to_owned(),
        ))?;
        let _ = self.out.send(ServerSignal::Answer {
            pc: Pc::Publish,
            sdp: local.sdp,
        });
        // Sources the new offer no longer sends are gone.
        let remote_sdp = pc
            .remote_description()
            .await
            .map(|d| d.sdp)
            .unwrap_or_default();
        let gone: Vec<Arc<Published>> = {
            let published = self.published.lock().unwrap_or_else(|e| e.into_inner());
            published
                .iter()
                .filter(|p| !sdp_sends_track(&remote_sdp, &p.remote_track_id))
                .cloned()
                .collect()
        };
        if !gone.is_empty() {
            for p in &gone {
                self.unpublish(p);
            }
            self.announce_update();
            self.resync_room();
        }
        Ok(())
    }

    async fn accept_track(self: &Arc<Self>, track: Arc<dyn TrackRemote>) {
        let track_id = track.track_id().await;
        let kind = track.kind().await;
        let audio = kind == RtpCodecKind::Audio;
        // A declaration must fit the track's kind: an audio track declared as a camera
        // or a screen would be out of reach of the chair's microphone mute.
        let source = self
            .declared_sources
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&track_id)
            .copied()
            .filter(|s| s.is_audio() == audio)
            .unwrap_or_else(|| Source::from_track_id(&track_id, audio));
        let muted = self
            .room
            .upgrade()
            .is_some_and(|room| room.muted_for(&self.who).contains_key(&source));
        let published = Arc::new(Published {
            id: format!("{}:{}", self.id, source.as_str()),
            owner: self.id,
            source,
            kind,
            remote_track_id: track_id,
            remote: track.clone(),
            codec: Mutex::new(None),
            layers: Mutex::new(Vec::new()),
            downstreams: RwLock::new(Vec::new()),
            muted: AtomicBool::new(muted),
            closed: AtomicBool::new(false),
            last_pli: Mutex::new(None),
            stats: self
                .sfu
                .upgrade()
                .map(|s| s.stats.clone())
                .unwrap_or_default(),
        });
        {
            let mut list = self.published.lock().unwrap_or_else(|e| e.into_inner());
            // A renegotiated source replaces the old one of the same kind.
            if let Some(old) = list.iter().position(|p| p.source == source) {
                let old = list.remove(old);
                old.close();
            }
            list.push(published.clone());
        }
        let peer = Arc::downgrade(self);
        tokio::spawn(async move {
            forward(peer, published, track).await;
        });
    }

    fn unpublish(&self, p: &Arc<Published>) {
        p.close();
        self.published
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|x| !Arc::ptr_eq(x, p));
    }

    fn resync_room(&self) {
        if let Some(room) = self.room.upgrade() {
            for other in room.peers() {
                if other.id != self.id {
                    tokio::spawn(other.sync_subscriptions());
                }
            }
        }
    }

    fn set_muted(&self, source: Source, muted: bool, by: &str) {
        if let Some(room) = self.room.upgrade() {
            let mut all = room.chair_muted.lock().unwrap_or_else(|e| e.into_inner());
            let mine = all.entry(mute_key(&self.who)).or_default();
            if muted {
                mine.insert(source, by.to_owned());
            } else {
                mine.remove(&source);
            }
        }
        let tracks: Vec<Arc<Published>> = self
            .published
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|p| p.source == source)
            .cloned()
            .collect();
        for t in &tracks {
            t.muted.store(muted, Ordering::SeqCst);
            if !muted {
                t.request_keyframe_all();
            }
        }
        if source.is_audio()
            && muted
            && let Some(room) = self.room.upgrade()
        {
            room.levels
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&self.id);
        }
        let _ = self.out.send(ServerSignal::Muted {
            source,
            muted,
            by: by.to_owned(),
        });
        self.announce_update();
    }

    async fn stop_share(self: &Arc<Self>, by: &str) {
        let shares: Vec<Arc<Published>> = self
            .published
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|p| p.source == Source::Screen)
            .cloned()
            .collect();
        for s in &shares {
            self.unpublish(s);
        }
        let _ = self
            .out
            .send(ServerSignal::ShareStopped { by: by.to_owned() });
        self.announce_update();
        self.resync_room();
    }

    async fn add_candidate(&self, pc: Pc, c: Candidate) -> SignalResult<()> {
        if c.candidate.is_empty() {
            return Ok(()); // end of candidates
        }
        // Each candidate is kept and probed with STUN checks: a flood would make the SFU
        // spend its CPU (and probe whatever addresses it is given).
        if self.candidates.fetch_add(1, Ordering::Relaxed) >= MAX_REMOTE_CANDIDATES {
            return Err((
                SignalErrorCode::BadRequest,
                format!("at most {MAX_REMOTE_CANDIDATES} ICE candidates per participant"),
            ));
        }
        let conn = match pc {
            Pc::Publish => self.publish.lock().await.as_ref().map(|(c, _)| c.clone()),
            Pc::Subscribe => self.subscribe.lock().await.pc.clone(),
        };
        let Some(conn) = conn else {
            return Err((
                SignalErrorCode::Negotiation,
                "no such connection yet".into(),
            ));
        };
        conn.add_ice_candidate(RTCIceCandidateInit {
            candidate: c.candidate,
            sdp_mid: c.sdp_mid,
            sdp_mline_index: c.sdp_mline_index,
            ..Default::default()
        })
        .await
        .map_err(neg_err)
    }

    fn wanted(&self, t: &Published) -> bool {
        match &*self.subscription.lock().unwrap_or_else(|e| e.into_inner()) {
            Subscription::All => true,
            Subscription::Tracks { tracks } => tracks.contains(&t.id),
        }
    }

    /// Brings the subscribe connection in line with what is published and wanted, and
    /// offers when that changed.
    async fn sync_subscriptions(self: Arc<Self>) {
        if let Err((code, message)) = self.try_sync().await {
            tracing::warn!(participant = %self.id, ?code, %message, "subscription update failed");
            let _ = self.out.send(ServerSignal::error(code, message));
        }
    }

    async fn try_sync(self: &Arc<Self>) -> SignalResult<()> {
        if self.closed.load(Ordering::SeqCst) {
            return Ok(());
        }
        let Some(room) = self.room.upgrade() else {
            return Ok(());
        };
        let desired: Vec<Arc<Published>> = room
            .published_except(self.id)
            .into_iter()
            .filter(|t| self.wanted(t))
            .collect();
        let mut sub = self.subscribe.lock().await;
        if self.closed.load(Ordering::SeqCst) {
            return Ok(());
        }
        let mut changed = false;
        // Drop what is no longer published or wanted.
        let stale: Vec<String> = sub
            .downstreams
            .iter()
            .filter(|(id, d)| {
                !desired
                    .iter()
                    .any(|t| &t.id == *id && Arc::ptr_eq(t, &d.source))
            })
            .map(|(id, _)| id.clone())
            .collect();
        for id in stale {
            if let Some(d) = sub.downstreams.remove(&id) {
                d.detach();
                let sender = d.sender.lock().unwrap_or_else(|e| e.into_inner()).take();
                if let (Some(pc), Some(sender)) = (sub.pc.clone(), sender) {
                    let _ = pc.remove_track(&sender).await;
                }
                changed = true;
            }
        }
        let new: Vec<Arc<Published>> = desired
            .into_iter()
            .filter(|t| !sub.downstreams.contains_key(&t.id))
            .collect();
        if !new.is_empty() && sub.pc.is_none() {
            let (pc, gathered) = self.new_pc(Pc::Subscribe).await?;
            sub.pc = Some(pc);
            sub.gathered = Some(gathered);
        }
        let queue_len = self
            .sfu
            .upgrade()
            .map(|s| s.config.queue_len)
            .unwrap_or(512);
        for t in new {
            let Some(codec) = t.codec.lock().unwrap_or_else(|e| e.into_inner()).clone() else {
                continue;
            };
            let Some(pc) = sub.pc.clone() else { break };
            let wish = self
                .layer_wishes
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(&t.id)
                .cloned();
            let d = Downstream::new(&t, codec, queue_len, wish, self.receiving.clone());
            let sender = pc
                .add_track(d.local.clone() as Arc<dyn TrackLocal>)
                .await
                .map_err(neg_err)?;
            *d.sender.lock().unwrap_or_else(|e| e.into_inner()) = Some(sender);
            sub.downstreams.insert(t.id.clone(), d);
            changed = true;
        }
        if changed || sub.dirty {
            if sub.awaiting_answer {
                sub.dirty = true;
            } else if let Some(pc) = sub.pc.clone() {
                sub.dirty = false;
                let offer = pc.create_offer(None).await.map_err(neg_err)?;
                let first = pc.current_local_description().await.is_none();
                pc.set_local_description(offer).await.map_err(neg_err)?;
                if first && let Some(g) = sub.gathered.clone() {
                    wait_gathered(&g).await;
                }
                let local = pc.local_description().await.ok_or((
                    SignalErrorCode::Negotiation,
                    "no local description".to_owned(),
                ))?;
                sub.awaiting_answer = true;
                let _ = self.out.send(ServerSignal::Offer {
                    pc: Pc::Subscribe,
                    sdp: local.sdp,
                });
            }
        }
        Ok(())
    }

    async fn subscribe_answer(self: &Arc<Self>, sdp: String) -> SignalResult<()> {
        let mut sub = self.subscribe.lock().await;
        let Some(pc) = sub.pc.clone() else {
            return Err((SignalErrorCode::Negotiation, "no offer was made".into()));
        };
        if !sub.awaiting_answer {
            return Err((
                SignalErrorCode::Negotiation,
                "no offer is waiting for an answer".into(),
            ));
        }
        let answer = RTCSessionDescription::answer(sdp).map_err(neg_err)?;
        pc.set_remote_description(answer).await.map_err(neg_err)?;
        sub.awaiting_answer = false;
        for d in sub.downstreams.values() {
            d.start().await;
        }
        let again = sub.dirty;
        drop(sub);
        if again {
            tokio::spawn(self.clone().sync_subscriptions());
        }
        Ok(())
    }
}

/// True when the SDP still has a sending m-section for `track_id` (its msid).
fn sdp_sends_track(sdp: &str, track_id: &str) -> bool {
    let mut found = false;
    let mut section_sends = true;
    let mut section_has = false;
    for line in sdp.lines().chain(std::iter::once("m=end")) {
        if line.starts_with("m=") {
            if section_has && section_sends {
                found = true;
            }
            section_has = false;
            section_sends = line
                .split_whitespace()
                .nth(1)
                .is_none_or(|port| port != "0");
        } else if line == "a=inactive" || line == "a=recvonly" {
            section_sends = false;
        } else if line.starts_with("a=msid:") && line.split_whitespace().nth(1) == Some(track_id) {
            section_has = true;
        }
    }
    found
}

/// One simulcast layer (or the only stream) of a published track.
#[derive(Debug, Clone)]
struct Layer {
    rid: String,
    ssrc: u32,
}

struct Published {
    /// `{participant}:{source}`.
    id: String,
    owner: Uuid,
    source: Source,
    kind: RtpCodecKind,
    remote_track_id: String,
    remote: Arc<dyn TrackRemote>,
    codec: Mutex<Option<RTCRtpCodec>>,
    layers: Mutex<Vec<Layer>>,
    downstreams: RwLock<Vec<Arc<Downstream>>>,
    muted: AtomicBool,
    closed: AtomicBool,
    last_pli: Mutex<Option<Instant>>,
    stats: Arc<SfuStats>,
}

impl Published {
    fn is_open(&self) -> bool {
        !self.closed.load(Ordering::SeqCst)
            && self
                .codec
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .is_some()
    }

    fn info(&self) -> TrackInfo {
        TrackInfo {
            id: self.id.clone(),
            source: self.source,
            layers: self
                .layers
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .filter(|l| !l.rid.is_empty())
                .map(|l| l.rid.clone())
                .collect(),
            muted: self.muted.load(Ordering::SeqCst),
        }
    }

    fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        let ds = std::mem::take(&mut *self.downstreams.write().unwrap_or_else(|e| e.into_inner()));
        for d in ds {
            d.stop_writer();
        }
    }

    /// The SSRC of the layer a subscriber wants: its wish, else the best offered.
    fn layer_ssrc(&self, rid: Option<&str>) -> u32 {
        let layers = self.layers.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(rid) = rid
            && let Some(l) = layers.iter().find(|l| l.rid == rid)
        {
            return l.ssrc;
        }
        const BEST_FIRST: [&str; 6] = ["f", "h", "q", "2", "1", "0"];
        BEST_FIRST
            .iter()
            .find_map(|r| layers.iter().find(|l| l.rid == *r))
            .or(layers.last())
            .map(|l| l.ssrc)
            .unwrap_or(0)
    }

    fn request_keyframe(&self, ssrc: u32) {
        if self.kind != RtpCodecKind::Video || ssrc == 0 {
            return;
        }
        {
            let mut last = self.last_pli.lock().unwrap_or_else(|e| e.into_inner());
            if last.is_some_and(|t| t.elapsed() < Duration::from_millis(300)) {
                return;
            }
            *last = Some(Instant::now());
        }
        self.stats.keyframe_requests.fetch_add(1, Ordering::Relaxed);
        let remote = self.remote.clone();
        tokio::spawn(async move {
            let _ = remote
                .write_rtcp(vec![Box::new(PictureLossIndication {
                    sender_ssrc: 0,
                    media_ssrc: ssrc,
                })])
                .await;
        });
    }

    fn request_keyframe_all(&self) {
        let ssrcs: Vec<u32> = self
            .layers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|l| l.ssrc)
            .collect();
        for s in ssrcs {
            *self.last_pli.lock().unwrap_or_else(|e| e.into_inner()) = None;
            self.request_keyframe(s);
        }
    }
}

/// Reads a published track and fans each packet out to its subscribers' queues.
async fn forward(peer: Weak<Peer>, published: Arc<Published>, track: Arc<dyn TrackRemote>) {
    let level_ext = peer
        .upgrade()
        .map(|p| p.audio_level_ext.load(Ordering::Relaxed))
        .unwrap_or(0);
    let room = peer.upgrade().and_then(|p| p.room.upgrade());
    let owner = published.owner;
    while let Some(event) = track.poll().await {
        if published.closed.load(Ordering::Relaxed) {
            // Stopped by the chair or replaced, but the client may still be sending: keep
            // reading until the track ends, since one nobody reads makes the connection
            // log an error for every packet that arrives.
            if matches!(event, TrackRemoteEvent::OnEnded) {
                break;
            }
            continue;
        }
        match event {
            TrackRemoteEvent::OnOpen(init) => {
                let codec = track.codec(init.ssrc).await;
                let first = {
                    let mut c = published.codec.lock().unwrap_or_else(|e| e.into_inner());
                    let first = c.is_none();
                    if first {
                        *c = codec;
                    }
                    first
                };
                published
                    .layers
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(Layer {
                        rid: init.rid.clone().unwrap_or_default(),
                        ssrc: init.ssrc,
                    });
                for d in published
                    .downstreams
                    .read()
                    .unwrap_or_else(|e| e.into_inner())
                    .iter()
                {
                    d.retarget(&published);
                }
                // The packet that opened the track does not reach us; start clean.
                published.request_keyframe(init.ssrc);
                if let Some(p) = peer.upgrade() {
                    p.announce_update();
                    if first {
                        p.resync_room();
                    }
                }
            }
            TrackRemoteEvent::OnRtpPacket(mut pkt) => {
                if level_ext != 0
                    && let Some(room) = &room
                    && !published.muted.load(Ordering::Relaxed)
                    && let Some(v) = pkt.header.get_extension(level_ext)
                    && let Some(b) = v.first()
                {
                    room.observe_level(owner, b & 0x7f);
                }
                if published.muted.load(Ordering::Relaxed) || pkt.payload.is_empty() {
                    continue;
                }
                // Extension ids are per connection; the subscriber's sender adds its own.
                pkt.header.extension = false;
                pkt.header.extensions.clear();
                pkt.header.extensions_padding = 0;
                pkt.header.padding = false;
                let ds = published
                    .downstreams
                    .read()
                    .unwrap_or_else(|e| e.into_inner());
                for d in ds.iter() {
                    d.offer(&pkt, &published);
                }
            }
            TrackRemoteEvent::OnEnded => break,
            _ => {}
        }
    }
    if let Some(p) = peer.upgrade()
        && !published.closed.load(Ordering::SeqCst)
    {
        p.unpublish(&published);
        p.announce_update();
        p.resync_room();
    }
}

/// One subscriber's copy of one published track.
struct Downstream {
    source: Arc<Published>,
    local: Arc<TrackLocalStaticRTP>,
    ssrc: u32,
    clock_rate: u32,
    sender: Mutex<Option<Arc<dyn RtpSender>>>,
    /// Payload type negotiated on the subscriber's connection (0 until answered).
    pt: AtomicU8,
    wish: Mutex<Option<String>>,
    /// The layer (publisher SSRC) being forwarded, and the one to switch to.
    current: AtomicU32,
    target: AtomicU32,
    tx: Mutex<Option<mpsc::Sender<rtp::Packet>>>,
    rx: Mutex<Option<mpsc::Receiver<rtp::Packet>>>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    attached: AtomicBool,
    /// The subscriber's connection is up (shared by all its downstreams).
    receiving: Arc<AtomicBool>,
}

impl Downstream {
    fn new(
        source: &Arc<Published>,
        codec: RTCRtpCodec,
        queue_len: usize,
        wish: Option<String>,
        receiving: Arc<AtomicBool>,
    ) -> Arc<Downstream> {
        let ssrc = rand::random::<u32>() | 1;
        let clock_rate = codec.clock_rate.max(1);
        let local = Arc::new(TrackLocalStaticRTP::new(MediaStreamTrack::new(
            source.id.clone(),
            source.id.clone(),
            source.id.clone(),
            source.kind,
            vec![RTCRtpEncodingParameters {
                rtp_coding_parameters: RTCRtpCodingParameters {
                    ssrc: Some(ssrc),
                    ..Default::default()
                },
                codec,
                ..Default::default()
            }],
        )));
        let (tx, rx) = mpsc::channel(queue_len.max(8));
        Arc::new(Downstream {
            source: source.clone(),
            local,
            ssrc,
            clock_rate,
            sender: Mutex::new(None),
            pt: AtomicU8::new(0),
            wish: Mutex::new(wish),
            current: AtomicU32::new(0),
            target: AtomicU32::new(0),
            tx: Mutex::new(Some(tx)),
            rx: Mutex::new(Some(rx)),
            tasks: Mutex::new(Vec::new()),
            attached: AtomicBool::new(false),
            receiving,
        })
    }

    fn want_rid(self: &Arc<Self>, rid: Option<String>) {
        *self.wish.lock().unwrap_or_else(|e| e.into_inner()) = rid;
        self.retarget(&self.source.clone());
    }

    fn retarget(&self, published: &Published) {
        let wish = self.wish.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let ssrc = published.layer_ssrc(wish.as_deref());
        let before = self.target.swap(ssrc, Ordering::SeqCst);
        if before != ssrc && self.attached.load(Ordering::SeqCst) {
            published.request_keyframe(ssrc);
        }
    }

    /// The fan-out's hot path: queue a packet if it belongs to the layer this
    /// subscriber receives (switching layers only on a keyframe).
    fn offer(&self, pkt: &rtp::Packet, published: &Published) {
        if !self.receiving.load(Ordering::Relaxed) {
            return;
        }
        let ssrc = pkt.header.ssrc;
        if ssrc != self.current.load(Ordering::Relaxed) {
            if ssrc != self.target.load(Ordering::Relaxed) {
                return;
            }
            let video = published.kind == RtpCodecKind::Video;
            if video && !vp8_is_keyframe(&pkt.payload) && !self.non_vp8() {
                // Still waiting for a keyframe: keep asking (throttled per track), since
                // a request can be lost and encoders send none on their own.
                published.request_keyframe(ssrc);
                return;
            }
            self.current.store(ssrc, Ordering::Relaxed);
        }
        let tx = self.tx.lock().unwrap_or_else(|e| e.into_inner());
        let Some(tx) = tx.as_ref() else { return };
        match tx.try_send(pkt.clone()) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                published.stats.dropped.fetch_add(1, Ordering::Relaxed);
                published.request_keyframe(ssrc);
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {}
        }
    }

    fn non_vp8(&self) -> bool {
        !self
            .source
            .codec
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .is_some_and(|c| c.mime_type.eq_ignore_ascii_case("video/VP8"))
    }

    /// After the subscriber's answer: learn the payload type, start the writer and the
    /// RTCP reader, join the fan-out, and ask the publisher for a keyframe.
    async fn start(self: &Arc<Self>) {
        if self.attached.load(Ordering::SeqCst) {
            return;
        }
        let sender = self
            .sender
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let Some(sender) = sender else { return };
        let mime = self
            .source
            .codec
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map(|c| c.mime_type.clone())
            .unwrap_or_default();
        let Ok(params) = sender.get_parameters().await else {
            return;
        };
        let Some(pt) = params
            .rtp_parameters
            .codecs
            .iter()
            .find(|c| c.rtp_codec.mime_type.eq_ignore_ascii_case(&mime))
            .map(|c| c.payload_type)
        else {
            tracing::warn!(track = %self.source.id, %mime, "the subscriber did not accept the codec");
            return;
        };
        self.pt.store(pt, Ordering::SeqCst);
        let Some(rx) = self.rx.lock().unwrap_or_else(|e| e.into_inner()).take() else {
            return;
        };
        let writer = tokio::spawn(write_loop(self.clone(), rx));
        let me = Arc::downgrade(self);
        let local = self.local.clone();
        let rtcp = tokio::spawn(async move {
            while let Some(TrackLocalEvent::OnRtcpPacket(packets)) = local.poll().await {
                let Some(d) = me.upgrade() else { return };
                if packets.iter().any(|p| is_keyframe_request(p.as_ref())) {
                    d.source.request_keyframe(
                        d.current
                            .load(Ordering::Relaxed)
                            .max(d.target.load(Ordering::Relaxed)),
                    );
                }
            }
        });
        self.tasks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend([writer, rtcp]);
        self.attached.store(true, Ordering::SeqCst);
        // Join the fan-out before choosing the layer: a layer that opens in between is
        // then either seen here or retargets this downstream itself.
        if !self.source.closed.load(Ordering::SeqCst) {
            self.source
                .downstreams
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .push(self.clone());
        }
        self.retarget(&self.source.clone());
        *self
            .source
            .last_pli
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = None;
        self.source
            .request_keyframe(self.target.load(Ordering::SeqCst));
    }

    fn stop_writer(&self) {
        self.tx.lock().unwrap_or_else(|e| e.into_inner()).take();
        for t in self
            .tasks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain(..)
        {
            t.abort();
        }
    }

    /// Leaves the fan-out and stops its tasks.
    fn detach(self: &Arc<Self>) {
        self.source
            .downstreams
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|d| !Arc::ptr_eq(d, self));
        self.stop_writer();
    }
}

/// Makes one continuous stream out of whatever layers a subscriber is forwarded: its own
/// SSRC and payload type, and sequence numbers and timestamps that carry on across layer
/// switches so the receiver sees no jump.
struct Rewriter {
    ssrc: u32,
    pt: u8,
    /// How far the timestamp moves at a switch: one frame at 30 fps.
    frame_ticks: u32,
    /// The publisher SSRC being forwarded; `None` before the first packet.
    src: Option<u32>,
    seq_off: u16,
    ts_off: u32,
    /// The newest sequence number and timestamp sent.
    last_seq: u16,
    last_ts: u32,
}

impl Rewriter {
    fn new(ssrc: u32, pt: u8, clock_rate: u32) -> Rewriter {
        Rewriter {
            ssrc,
            pt,
            frame_ticks: clock_rate / 30,
            src: None,
            seq_off: 0,
            ts_off: 0,
            last_seq: 0,
            last_ts: 0,
        }
    }

    fn rewrite(&mut self, h: &mut rtp::Header) {
        match self.src {
            Some(src) if src == h.ssrc => {}
            Some(_) => {
                self.seq_off = self
                    .last_seq
                    .wrapping_add(1)
                    .wrapping_sub(h.sequence_number);
                self.ts_off = self
                    .last_ts
                    .wrapping_add(self.frame_ticks)
                    .wrapping_sub(h.timestamp);
                self.src = Some(h.ssrc);
            }
            None => {
                // The first packet is where the stream starts, whatever its numbers.
                self.last_seq = h.sequence_number;
                self.last_ts = h.timestamp;
                self.src = Some(h.ssrc);
            }
        }
        let seq = h.sequence_number.wrapping_add(self.seq_off);
        let ts = h.timestamp.wrapping_add(self.ts_off);
        if seq.wrapping_sub(self.last_seq) < 0x8000 {
            self.last_seq = seq;
            self.last_ts = ts;
        }
        h.sequence_number = seq;
        h.timestamp = ts;
        h.ssrc = self.ssrc;
        h.payload_type = self.pt;
    }
}

/// Drains one subscriber's queue into its connection through its [`Rewriter`].
async fn write_loop(d: Arc<Downstream>, mut rx: mpsc::Receiver<rtp::Packet>) {
    let stats = d.source.stats.clone();
    let mut rewriter = Rewriter::new(d.ssrc, d.pt.load(Ordering::SeqCst), d.clock_rate);
    while let Some(mut pkt) = rx.recv().await {
        rewriter.rewrite(&mut pkt.header);
        if d.local.write_rtp(pkt).await.is_err() {
            break;
        }
        stats.forwarded.fetch_add(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_removed_or_inactive_section_no_longer_sends() {
        let sdp = "v=0\r\nm=audio 9 UDP 111\r\na=sendonly\r\na=msid:s mic\r\nm=video 9 UDP 96\r\na=inactive\r\na=msid:s cam\r\nm=video 0 UDP 96\r\na=msid:s screen\r\n";
        assert!(sdp_sends_track(sdp, "mic"));
        assert!(!sdp_sends_track(sdp, "cam"));
        assert!(!sdp_sends_track(sdp, "screen"));
        assert!(!sdp_sends_track(sdp, "other"));
    }

    fn header(ssrc: u32, sequence_number: u16, timestamp: u32) -> rtp::Header {
        rtp::Header {
            ssrc,
            sequence_number,
            timestamp,
            payload_type: 100,
            ..Default::default()
        }
    }

    #[test]
    fn a_layer_switch_continues_the_sequence_and_the_clock() {
        let mut r = Rewriter::new(7, 96, 90_000);
        let mut send = |ssrc, seq, ts| {
            let mut h = header(ssrc, seq, ts);
            r.rewrite(&mut h);
            assert_eq!((h.ssrc, h.payload_type), (7, 96));
            (h.sequence_number, h.timestamp)
        };
        // The first layer passes through unchanged, wherever in the sequence space its
        // random start lies.
        assert_eq!(send(1, 0x9000, 4_000_000_000), (0x9000, 4_000_000_000));
        assert_eq!(send(1, 0x9001, 4_000_003_000), (0x9001, 4_000_003_000));
        // Another layer, with numbers of its own, carries on one frame later.
        assert_eq!(send(2, 500, 77), (0x9002, 4_000_006_000));
        assert_eq!(send(2, 501, 3_077), (0x9003, 4_000_009_000));
        // A late packet does not move the point of reference.
        assert_eq!(send(2, 499, 77), (0x9001, 4_000_006_000));
        // And back, across the wrap of both counters.
        assert_eq!(send(1, 0xffff, 4_294_967_000), (0x9004, 4_000_012_000));
        assert_eq!(send(1, 0, 2_704), (0x9005, 4_000_015_000));
    }
}
