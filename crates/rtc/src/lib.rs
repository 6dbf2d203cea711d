//! PhòngHọp video: the SFU the provincial server hosts (one room per meeting), the
//! signaling messages every client speaks over the live WebSocket, and a native
//! participant for tests and load. Kept free of server types so the desktop client (which
//! carries its own WebRTC stack, WebKitGTK having none) reuses the signaling and media
//! code.

pub mod config;
pub mod link;
pub mod media;
pub mod participant;
pub mod sfu;
pub mod signal;
pub mod ws;

pub use config::NetConfig;
pub use link::{SignalLink, Signaling, in_process};
pub use participant::{NativeParticipant, ParticipantOptions, RoomView, TrackStats};
pub use sfu::{Admission, AdmitAll, Identity, Session, Sfu, SfuConfig, SfuStats};
pub use signal::{ClientSignal, PeerRole, ServerSignal, SignalErrorCode, Source};
