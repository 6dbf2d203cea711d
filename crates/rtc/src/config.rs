//! Network settings of the SFU and of native participants, and the one place peer
//! connections are built (codecs, header extensions, interceptors, ICE settings).

use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use rtc::interceptor::{Attribute, Interceptor, Packet, Slot, StreamInfo, TaggedPacket};
use rtc::peer_connection::configuration::RTCConfigurationBuilder;
use rtc::peer_connection::configuration::interceptor_registry::{
    Registry, register_default_interceptors,
};
use rtc::peer_connection::configuration::media_engine::MediaEngine;
use rtc::peer_connection::configuration::setting_engine::SettingEngineBuilder;
use rtc::peer_connection::transport::{RTCIceCandidateType, RTCIceServer};
use rtc::rtcp::payload_feedbacks::full_intra_request::FullIntraRequest;
use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtc::rtp_transceiver::rtp_sender::{RTCRtpHeaderExtensionCapability, RtpCodecKind};
use rtc::sansio::Protocol;
use std::collections::VecDeque;
use std::time::Instant;
use webrtc::peer_connection::{PeerConnection, PeerConnectionBuilder, PeerConnectionEventHandler};

use crate::signal::IceServer;

pub const AUDIO_LEVEL_URI: &str = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";

/// Where and how peer connections listen.
#[derive(Debug, Clone)]
pub struct NetConfig {
    /// The address UDP sockets bind to. Never a wildcard by default: `webrtc` expands a
    /// wildcard to every non-loopback interface, which leaves a loopback-only test host
    /// with nothing to connect over.
    pub bind_ip: IpAddr,
    /// Inclusive UDP port range for media (firewalls open exactly this); `None` = any.
    pub port_range: Option<(u16, u16)>,
    /// The address clients should reach, when the server sits behind 1:1 NAT.
    pub public_ip: Option<IpAddr>,
    /// STUN/TURN servers, also handed to clients in `video.joined`.
    pub ice_servers: Vec<IceServer>,
}

impl Default for NetConfig {
    fn default() -> Self {
        NetConfig {
            bind_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port_range: None,
            public_ip: None,
            ice_servers: Vec::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("no free UDP port in {0}-{1}")]
    NoPort(u16, u16),
    #[error("webrtc: {0}")]
    Webrtc(String),
}

impl From<webrtc::error::Error> for BuildError {
    fn from(e: webrtc::error::Error) -> Self {
        BuildError::Webrtc(e.to_string())
    }
}

static NEXT_PORT: AtomicU32 = AtomicU32::new(0);

impl NetConfig {
    /// A port inside the configured range that is free right now (round robin, so
    /// ports recently released are reused last).
    fn pick_port(&self) -> Result<u16, BuildError> {
        let Some((lo, hi)) = self.port_range else {
            return Ok(0);
        };
        let span = u32::from(hi.saturating_sub(lo)) + 1;
        for _ in 0..span {
            let n = NEXT_PORT.fetch_add(1, Ordering::Relaxed) % span;
            let port = lo + n as u16;
            if UdpSocket::bind(SocketAddr::new(self.bind_ip, port)).is_ok() {
                return Ok(port);
            }
        }
        Err(BuildError::NoPort(lo, hi))
    }

    /// Builds a peer connection with our codecs (VP8, Opus, …), the audio-level
    /// extension, simulcast header extensions, NACK/RTCP-report/TWCC interceptors, and
    /// keyframe requests (PLI/FIR) delivered to the application. mDNS is off.
    pub async fn peer_connection(
        &self,
        handler: Arc<dyn PeerConnectionEventHandler>,
    ) -> Result<Arc<dyn PeerConnection>, BuildError> {
        let mut last = None;
        // The chosen port can be taken between the probe and the bind; try again.
        for _ in 0..8 {
            let port = self.pick_port()?;
            match self.build(handler.clone(), port).await {
                Ok(pc) => return Ok(pc),
                Err(e) if self.port_range.is_some() => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or(BuildError::Webrtc("could not bind".into())))
    }

    async fn build(
        &self,
        handler: Arc<dyn PeerConnectionEventHandler>,
        port: u16,
    ) -> Result<Arc<dyn PeerConnection>, BuildError> {
        let mut media = MediaEngine::default();
        media.register_default_codecs()?;
        media.register_header_extension(
            RTCRtpHeaderExtensionCapability {
                uri: AUDIO_LEVEL_URI.to_owned(),
            },
            RtpCodecKind::Audio,
            None,
        )?;
        for uri in [
            "urn:ietf:params:rtp-hdrext:sdes:mid",
            "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
            "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
        ] {
            media.register_header_extension(
                RTCRtpHeaderExtensionCapability {
                    uri: uri.to_owned(),
                },
                RtpCodecKind::Video,
                None,
            )?;
        }
        let registry = register_default_interceptors(Registry::new(), &mut media)?;
        let registry = registry.with(Slot::from(14_000), KeyframeRequestTap::default());

        let mut settings = SettingEngineBuilder::new()
            .with_multicast_dns_mode(rtc::ice::mdns::MulticastDnsMode::Disabled)
            .with_include_loopback_candidate(true);
        if let Some(ip) = self.public_ip {
            settings = settings.with_nat_1to1_ips(vec![ip.to_string()], RTCIceCandidateType::Host);
        }
        let config = RTCConfigurationBuilder::new()
            .with_ice_servers(
                self.ice_servers
                    .iter()
                    .map(|s| RTCIceServer {
                        urls: s.urls.clone(),
                        username: s.username.clone().unwrap_or_default(),
                        credential: s.credential.clone().unwrap_or_default(),
                    })
                    .collect(),
            )
            .build();
        let pc = PeerConnectionBuilder::new()
            .with_configuration(config)
            .with_media_engine(media)
            .with_setting_engine(settings.build())
            .with_interceptor_registry(registry)
            .with_handler(handler)
            .with_udp_addrs(vec![SocketAddr::new(self.bind_ip, port)])
            .build()
            .await?;
        Ok(Arc::new(pc))
    }
}

/// Marks incoming RTCP that carries a keyframe request (PLI, FIR) for the application,
/// so the SFU can relay it to the publisher; everything else goes on unchanged to the
/// interceptors that act on it (NACK responder, reports).
#[derive(Default)]
struct KeyframeRequestTap {
    read: VecDeque<TaggedPacket>,
    write: VecDeque<TaggedPacket>,
}

pub(crate) fn is_keyframe_request(p: &dyn rtc::rtcp::Packet) -> bool {
    let any = p.as_any();
    any.is::<PictureLossIndication>() || any.is::<FullIntraRequest>()
}

impl Protocol<TaggedPacket, TaggedPacket, ()> for KeyframeRequestTap {
    type Rout = TaggedPacket;
    type Wout = TaggedPacket;
    type Eout = ();
    type Error = rtc::shared::error::Error;
    type Time = Instant;

    fn handle_read(&mut self, mut msg: TaggedPacket) -> Result<(), Self::Error> {
        if let Packet::Rtcp(packets) = &msg.message.packet
            && packets.iter().any(|p| is_keyframe_request(p.as_ref()))
        {
            msg.message.add(Attribute::DeliverToApplication);
        }
        self.read.push_back(msg);
        Ok(())
    }

    fn poll_read(&mut self) -> Option<Self::Rout> {
        self.read.pop_front()
    }

    fn handle_write(&mut self, msg: TaggedPacket) -> Result<(), Self::Error> {
        self.write.push_back(msg);
        Ok(())
    }

    fn poll_write(&mut self) -> Option<Self::Wout> {
        self.write.pop_front()
    }
}

impl Interceptor for KeyframeRequestTap {
    fn bind_local_stream(&mut self, _info: &StreamInfo) {}
    fn unbind_local_stream(&mut self, _info: &StreamInfo) {}
    fn bind_remote_stream(&mut self, _info: &StreamInfo) {}
    fn unbind_remote_stream(&mut self, _info: &StreamInfo) {}
}

/// The `a=extmap` id of `uri` in the first m-section of `kind` ("audio"/"video").
pub fn extmap_id(sdp: &str, kind: &str, uri: &str) -> Option<u8> {
    let mut in_kind = false;
    for line in sdp.lines() {
        if let Some(rest) = line.strip_prefix("m=") {
            in_kind = rest.starts_with(kind);
        } else if in_kind && let Some(rest) = line.strip_prefix("a=extmap:") {
            let mut parts = rest.split_whitespace();
            let id = parts.next()?.split('/').next()?;
            if parts.next() == Some(uri) {
                return id.parse().ok();
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extmap_ids_are_found_per_media_kind() {
        let sdp = "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=extmap:4 urn:x\r\na=extmap:7/sendrecv urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n";
        assert_eq!(extmap_id(sdp, "audio", AUDIO_LEVEL_URI), Some(7));
        assert_eq!(extmap_id(sdp, "video", AUDIO_LEVEL_URI), Some(1));
        assert_eq!(extmap_id(sdp, "audio", "urn:none"), None);
    }

    #[test]
    fn a_port_range_is_respected() {
        let net = NetConfig {
            port_range: Some((41000, 41010)),
            ..NetConfig::default()
        };
        for _ in 0..20 {
            let p = net.pick_port().unwrap_or(0);
            assert!((41000..=41010).contains(&p), "{p}");
        }
    }
}
