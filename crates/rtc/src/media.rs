//! Just enough of the payload formats for an SFU: VP8 keyframe detection (to switch
//! simulcast layers on a keyframe), and the synthetic VP8/Opus-like payloads native
//! participants send, each carrying a probe (send time, frame number, simulcast layer) at
//! its tail so receivers can measure loss and latency through the SFU and tell layers
//! apart.

use std::time::{SystemTime, UNIX_EPOCH};

/// Where the VP8 payload (after the RTP payload descriptor, RFC 7741 §4.2) starts, and
/// whether this packet starts a partition.
fn vp8_descriptor(payload: &[u8]) -> Option<(usize, bool)> {
    let b0 = *payload.first()?;
    let start = b0 & 0x10 != 0 && b0 & 0x07 == 0;
    let mut i = 1;
    if b0 & 0x80 != 0 {
        let x = *payload.get(i)?;
        i += 1;
        if x & 0x80 != 0 {
            // PictureID, 7 or 15 bits.
            let m = *payload.get(i)?;
            i += if m & 0x80 != 0 { 2 } else { 1 };
        }
        if x & 0x40 != 0 {
            i += 1; // TL0PICIDX
        }
        if x & 0x30 != 0 {
            i += 1; // TID/Y/KEYIDX
        }
    }
    (i < payload.len()).then_some((i, start))
}

/// The first packet of a VP8 keyframe (the P bit of the frame tag is 0).
pub fn vp8_is_keyframe(payload: &[u8]) -> bool {
    match vp8_descriptor(payload) {
        Some((at, true)) => payload[at] & 0x01 == 0,
        _ => false,
    }
}

const PROBE_MAGIC: [u8; 3] = *b"PHv";
/// The probe's fourth byte on a stream that is not a simulcast layer (a RID never starts
/// with it: RFC 8851 allows only letters, digits, `-` and `_`).
const NO_LAYER: u8 = 0;
/// Bytes the probe adds at the end of a synthetic payload.
pub const PROBE_LEN: usize = 16;

/// Microseconds since the Unix epoch: sender and receiver share the clock on one host.
pub fn now_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

/// What a synthetic payload says about itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probe {
    pub sent_micros: u64,
    pub frame: u32,
    /// The first character of the simulcast layer's RID, for a layer.
    pub layer: Option<char>,
}

pub fn read_probe(payload: &[u8]) -> Option<Probe> {
    let tail = payload.get(payload.len().checked_sub(PROBE_LEN)?..)?;
    if tail[..3] != PROBE_MAGIC {
        return None;
    }
    let layer = (tail[3] != NO_LAYER).then_some(char::from(tail[3]));
    let mut t = [0u8; 8];
    t.copy_from_slice(&tail[4..12]);
    let mut f = [0u8; 4];
    f.copy_from_slice(&tail[12..16]);
    Some(Probe {
        sent_micros: u64::from_be_bytes(t),
        frame: u32::from_be_bytes(f),
        layer,
    })
}

fn push_probe(out: &mut Vec<u8>, frame: u32, layer: u8) {
    out.extend_from_slice(&PROBE_MAGIC);
    out.push(layer);
    out.extend_from_slice(&now_micros().to_be_bytes());
    out.extend_from_slice(&frame.to_be_bytes());
}

/// The payloads of one synthetic VP8 frame split into `packets` RTP payloads of about
/// `size` bytes each: a real payload descriptor, a real frame tag (keyframes also with
/// the start code and dimensions), filler, and the probe.
pub fn synthetic_vp8_frame(
    frame: u32,
    keyframe: bool,
    packets: usize,
    size: usize,
) -> Vec<Vec<u8>> {
    vp8_frame(frame, keyframe, packets, size, NO_LAYER)
}

/// [`synthetic_vp8_frame`] of one simulcast layer: its probe names the layer by the
/// first character of `rid` (so a sender's RIDs must differ in their first character).
pub fn synthetic_vp8_layer_frame(
    frame: u32,
    keyframe: bool,
    packets: usize,
    size: usize,
    rid: &str,
) -> Vec<Vec<u8>> {
    let layer = rid.bytes().next().unwrap_or(NO_LAYER);
    vp8_frame(frame, keyframe, packets, size, layer)
}

fn vp8_frame(frame: u32, keyframe: bool, packets: usize, size: usize, layer: u8) -> Vec<Vec<u8>> {
    let size = size.max(PROBE_LEN + 12);
    (0..packets.max(1))
        .map(|i| {
            let mut p = Vec::with_capacity(size);
            p.push(if i == 0 { 0x10 } else { 0x00 });
            if i == 0 {
                // Frame tag: P bit clear on keyframes; show_frame set.
                p.push(if keyframe { 0x10 } else { 0x11 });
                p.extend_from_slice(&[0x02, 0x00]);
                if keyframe {
                    p.extend_from_slice(&[0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01]);
                }
            }
            let filler = (frame as u8).wrapping_add(i as u8);
            p.resize(size - PROBE_LEN, filler);
            push_probe(&mut p, frame, layer);
            p
        })
        .collect()
}

/// One 20 ms Opus-like audio payload: a TOC byte (CELT FB 20 ms), filler, the probe.
pub fn synthetic_opus_frame(frame: u32, size: usize) -> Vec<u8> {
    let size = size.max(PROBE_LEN + 1);
    let mut p = Vec::with_capacity(size);
    p.push(0xfc);
    p.resize(size - PROBE_LEN, frame as u8);
    push_probe(&mut p, frame, NO_LAYER);
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyframes_are_told_from_interframes() {
        let key = synthetic_vp8_frame(7, true, 3, 1000);
        let delta = synthetic_vp8_frame(8, false, 3, 1000);
        assert!(vp8_is_keyframe(&key[0]));
        assert!(
            !vp8_is_keyframe(&key[1]),
            "a continuation packet is not a frame start"
        );
        assert!(!vp8_is_keyframe(&delta[0]));
        assert_eq!(key[0].len(), 1000);
        // A descriptor with the extension byte and a 15-bit picture id (as Chrome sends).
        let chrome_key = [0x90, 0x80, 0x81, 0x23, 0x50, 0x2a, 0x01, 0x9d, 0x01, 0x2a];
        assert!(vp8_is_keyframe(&chrome_key));
        let chrome_delta = [0x90, 0x80, 0x81, 0x23, 0x51, 0x2a, 0x01];
        assert!(!vp8_is_keyframe(&chrome_delta));
        assert!(!vp8_is_keyframe(&[]));
    }

    #[test]
    fn probes_round_trip() {
        let before = now_micros();
        let nothing = Probe {
            sent_micros: 0,
            frame: 0,
            layer: Some('?'),
        };
        let p = read_probe(&synthetic_opus_frame(42, 80)).unwrap_or(nothing);
        assert_eq!(p.frame, 42);
        assert!(p.sent_micros >= before);
        assert_eq!(p.layer, None);
        let plain = synthetic_vp8_frame(3, true, 2, 300);
        assert_eq!(read_probe(&plain[1]).unwrap_or(nothing).layer, None);
        let half = synthetic_vp8_layer_frame(3, true, 2, 300, "h");
        let p = read_probe(&half[0]).unwrap_or(nothing);
        assert_eq!((p.frame, p.layer), (3, Some('h')));
        assert!(vp8_is_keyframe(&half[0]));
        assert_eq!(read_probe(b"short"), None);
        assert_eq!(read_probe(&[0u8; 40]), None);
    }
}
