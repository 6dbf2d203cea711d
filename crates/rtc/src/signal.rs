//! The video signaling messages, as they travel on the live WebSocket (JSON text frames,
//! tagged by `type`, every video message prefixed `video.`). The server, the browser
//! guest page, the native participant and the future desktop client all speak these.
//!
//! Each participant has two peer connections to the SFU, so offers never collide:
//! - **publish** (`Pc::Publish`): the participant offers its camera, microphone and
//!   screen; the SFU answers. Adding or removing a source is a new offer.
//! - **subscribe** (`Pc::Subscribe`): the SFU offers the tracks the participant
//!   subscribed to; the participant answers. When tracks come and go the SFU offers
//!   again (one offer in flight at a time).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Which of a participant's two peer connections a message is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pc {
    Publish,
    Subscribe,
}

/// What a published track carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Camera,
    Microphone,
    /// Chia sẻ màn hình.
    Screen,
}

impl Source {
    pub fn is_audio(self) -> bool {
        matches!(self, Source::Microphone)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Source::Camera => "camera",
            Source::Microphone => "microphone",
            Source::Screen => "screen",
        }
    }

    /// The name a publisher gives the track (MediaStreamTrack id / SDP msid) so the
    /// SFU can tell camera from screen; anything unrecognised is taken by its kind.
    pub fn from_track_id(track_id: &str, audio: bool) -> Source {
        if audio {
            Source::Microphone
        } else if track_id.starts_with("screen") {
            Source::Screen
        } else {
            Source::Camera
        }
    }
}

/// The participant's part in the meeting, as the SFU sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeerRole {
    /// Chủ tọa: may mute others and stop their share.
    Chair,
    /// Thư ký: runs the meeting with the chair; the same powers.
    Secretary,
    Member,
    /// Khách mời (an account) or a guest from an invitation link.
    Guest,
}

impl PeerRole {
    pub fn moderates(self) -> bool {
        matches!(self, PeerRole::Chair | PeerRole::Secretary)
    }
}

/// An ICE candidate as browsers write it (`RTCIceCandidateInit`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    pub candidate: String,
    #[serde(rename = "sdpMid", default, skip_serializing_if = "Option::is_none")]
    pub sdp_mid: Option<String>,
    #[serde(
        rename = "sdpMLineIndex",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub sdp_mline_index: Option<u16>,
}

/// An ICE server a participant should use (STUN/TURN for NAT).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IceServer {
    pub urls: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

/// A published track as others see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackInfo {
    /// `{participant}:{source}`; the stream id and track id in the subscribe offer.
    pub id: String,
    pub source: Source,
    /// Simulcast layers offered (RIDs), empty without simulcast.
    #[serde(default)]
    pub layers: Vec<String>,
    /// Muted by the chair.
    #[serde(default)]
    pub muted: bool,
}

/// Someone in the room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParticipantInfo {
    pub id: Uuid,
    /// The account, or `None` for a guest from an invitation link.
    pub user_id: Option<Uuid>,
    pub name: String,
    pub role: PeerRole,
    pub tracks: Vec<TrackInfo>,
}

/// Which tracks to receive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "mode")]
pub enum Subscription {
    /// Everything everyone publishes, now and later (the default after joining).
    All,
    /// Only these track ids.
    Tracks { tracks: Vec<String> },
}

/// Client → server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ClientSignal {
    /// Enter the meeting's room. The server checks membership (or the invitation).
    #[serde(rename = "video.join")]
    Join {
        meeting_id: Uuid,
        /// A display name for guests; members are shown by their account's name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
    /// An SDP offer on the publish connection (first publish or renegotiation).
    #[serde(rename = "video.offer")]
    Offer { pc: Pc, sdp: String },
    /// The answer to the SFU's subscribe offer.
    #[serde(rename = "video.answer")]
    Answer { pc: Pc, sdp: String },
    /// Trickle ICE.
    #[serde(rename = "video.candidate")]
    Candidate { pc: Pc, candidate: Candidate },
    /// Which published track (by its MediaStreamTrack id, the SDP msid) is which source;
    /// sent before the offer that adds them. Undeclared audio is the microphone,
    /// undeclared video the camera.
    #[serde(rename = "video.sources")]
    Sources { sources: BTreeMap<String, Source> },
    #[serde(rename = "video.subscribe")]
    Subscribe { subscription: Subscription },
    /// Pick a simulcast layer of a video track (`rid`), e.g. "q" for thumbnails.
    #[serde(rename = "video.layer")]
    Layer { track: String, rid: String },
    /// Chair or secretary: silence someone's microphone (or camera).
    #[serde(rename = "video.mute")]
    Mute {
        participant: Uuid,
        source: Source,
        muted: bool,
    },
    /// Chair or secretary: end someone's screen share.
    #[serde(rename = "video.stop_share")]
    StopShare { participant: Uuid },
    #[serde(rename = "video.leave")]
    Leave,
}

/// Server → client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ServerSignal {
    #[serde(rename = "video.joined")]
    Joined {
        meeting_id: Uuid,
        you: ParticipantInfo,
        participants: Vec<ParticipantInfo>,
        ice_servers: Vec<IceServer>,
    },
    /// The SFU's offer on the subscribe connection.
    #[serde(rename = "video.offer")]
    Offer { pc: Pc, sdp: String },
    /// The SFU's answer on the publish connection.
    #[serde(rename = "video.answer")]
    Answer { pc: Pc, sdp: String },
    #[serde(rename = "video.candidate")]
    Candidate { pc: Pc, candidate: Candidate },
    #[serde(rename = "video.participant_joined")]
    ParticipantJoined { participant: ParticipantInfo },
    /// Someone's published tracks changed (a share started, a track was muted…).
    #[serde(rename = "video.participant_updated")]
    ParticipantUpdated { participant: ParticipantInfo },
    #[serde(rename = "video.participant_left")]
    ParticipantLeft { participant: Uuid },
    /// The loudest speaker right now, from the audio levels publishers send.
    #[serde(rename = "video.active_speaker")]
    ActiveSpeaker { participant: Option<Uuid> },
    /// The chair muted (or unmuted) one of your sources: stop sending it.
    #[serde(rename = "video.muted")]
    Muted {
        source: Source,
        muted: bool,
        by: String,
    },
    /// The chair ended your screen share.
    #[serde(rename = "video.share_stopped")]
    ShareStopped { by: String },
    #[serde(rename = "video.left")]
    Left,
    #[serde(rename = "video.error")]
    Error {
        code: SignalErrorCode,
        message: String,
    },
}

/// Why a signaling request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalErrorCode {
    /// Not a member of this meeting, nor invited to it.
    Forbidden,
    /// Only the chair or secretary may do that.
    NotModerator,
    /// Join first.
    NotJoined,
    AlreadyJoined,
    NotFound,
    /// The meeting has ended: its room is closed.
    MeetingEnded,
    /// The same account joined the room again (another device, a reload): this
    /// connection's place went to the newer one.
    JoinedElsewhere,
    /// The media connection failed (the network dropped): out of the room; join again.
    MediaFailed,
    BadRequest,
    /// The SDP or candidate could not be applied.
    Negotiation,
    Internal,
}

impl ServerSignal {
    pub fn error(code: SignalErrorCode, message: impl Into<String>) -> ServerSignal {
        ServerSignal::Error {
            code,
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_use_the_documented_wire_names() {
        let m = ClientSignal::Mute {
            participant: Uuid::nil(),
            source: Source::Microphone,
            muted: true,
        };
        let v = serde_json::to_value(&m).unwrap_or_default();
        assert_eq!(v["type"], "video.mute");
        assert_eq!(v["source"], "microphone");
        let back: ClientSignal = serde_json::from_value(v).unwrap_or(ClientSignal::Leave);
        assert_eq!(back, m);

        let c: ClientSignal = serde_json::from_str(
            r#"{"type":"video.candidate","pc":"publish","candidate":{"candidate":"candidate:1 1 udp 1 127.0.0.1 9 typ host","sdpMid":"0","sdpMLineIndex":0}}"#,
        )
        .unwrap_or(ClientSignal::Leave);
        assert!(matches!(
            c,
            ClientSignal::Candidate {
                pc: Pc::Publish,
                ..
            }
        ));

        let s = serde_json::to_value(ServerSignal::ActiveSpeaker { participant: None })
            .unwrap_or_default();
        assert_eq!(s["type"], "video.active_speaker");
        let sub: ClientSignal = serde_json::from_str(
            r#"{"type":"video.subscribe","subscription":{"mode":"tracks","tracks":["a:camera"]}}"#,
        )
        .unwrap_or(ClientSignal::Leave);
        assert_eq!(
            sub,
            ClientSignal::Subscribe {
                subscription: Subscription::Tracks {
                    tracks: vec!["a:camera".into()]
                }
            }
        );
    }

    #[test]
    fn the_live_channels_own_messages_are_not_video_signals() {
        assert!(serde_json::from_str::<ServerSignal>(r#"{"type":"heartbeat","at":"x"}"#).is_err());
        assert!(serde_json::from_str::<ClientSignal>(r#"{"type":"hello"}"#).is_err());
    }
}
