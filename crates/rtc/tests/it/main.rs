//! The SFU with native participants over in-process signaling: real peer connections,
//! real ICE/DTLS/SRTP on 127.0.0.1.

mod sfu;
