//! `page://localhost/<sha256>/<page>/<width>`: page images straight from the PDF
//! engine's render thread and page cache — not base64 over IPC. The image is an
//! uncompressed BMP: encoding costs a copy, where PNG costs tens of milliseconds a page.
//! The URL names the blob, so a response never changes and may be cached for good.

use std::borrow::Cow;

use phonghop_pdf::{RenderSize, RenderedPage};
use tauri::http::{Request, Response, StatusCode, header};
use tauri::{Manager, Runtime, UriSchemeContext, UriSchemeResponder};
use tracing::Instrument;

use crate::state::App;

pub const SCHEME: &str = "page";
const MAX_WIDTH: u32 = 4096;

/// The parts of a page URL's path.
pub fn parse_path(path: &str) -> Option<(String, u32, u32)> {
    let mut it = path.trim_start_matches('/').split('/');
    let sha = it.next()?;
    let page = it.next()?.parse().ok()?;
    let width: u32 = it.next()?.parse().ok()?;
    if it.next().is_some()
        || sha.len() != 64
        || !sha.bytes().all(|b| b.is_ascii_hexdigit())
        || width == 0
        || width > MAX_WIDTH
    {
        return None;
    }
    Some((sha.to_owned(), page, width))
}

/// A top-down 32-bit BMP (BITMAPV4 header with channel masks, so alpha is kept).
pub fn bmp(page: &RenderedPage) -> Vec<u8> {
    let (w, h) = (page.width, page.height);
    let pixels = (w as usize) * (h as usize) * 4;
    let header = 14 + 108;
    let mut out = Vec::with_capacity(header + pixels);
    out.extend_from_slice(b"BM");
    out.extend_from_slice(&((header + pixels) as u32).to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&(header as u32).to_le_bytes());
    out.extend_from_slice(&108u32.to_le_bytes());
    out.extend_from_slice(&(w as i32).to_le_bytes());
    out.extend_from_slice(&(-(h as i32)).to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&32u16.to_le_bytes());
    out.extend_from_slice(&3u32.to_le_bytes()); // BI_BITFIELDS
    out.extend_from_slice(&(pixels as u32).to_le_bytes());
    out.extend_from_slice(&2835u32.to_le_bytes());
    out.extend_from_slice(&2835u32.to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    // RGBA in memory order, read as a little-endian u32.
    out.extend_from_slice(&0x0000_00ffu32.to_le_bytes());
    out.extend_from_slice(&0x0000_ff00u32.to_le_bytes());
    out.extend_from_slice(&0x00ff_0000u32.to_le_bytes());
    out.extend_from_slice(&0xff00_0000u32.to_le_bytes());
    out.extend_from_slice(b"BGRs");
    out.extend_from_slice(&[0; 48]);
    out.extend_from_slice(&page.rgba);
    out
}

fn respond(status: StatusCode, content_type: &str, body: Vec<u8>) -> Response<Cow<'static, [u8]>> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CACHE_CONTROL, "max-age=31536000, immutable")
        .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")
        .body(Cow::Owned(body))
        .unwrap_or_else(|_| Response::new(Cow::Borrowed(&[][..])))
}

pub fn handle<R: Runtime>(
    ctx: UriSchemeContext<'_, R>,
    request: Request<Vec<u8>>,
    responder: UriSchemeResponder,
) {
    let app = ctx.app_handle().clone();
    let path = request.uri().path().to_owned();
    tauri::async_runtime::spawn(async move {
        let Some((sha, page, width)) = parse_path(&path) else {
            responder.respond(respond(
                StatusCode::BAD_REQUEST,
                "text/plain",
                b"bad page URL".to_vec(),
            ));
            return;
        };
        let state = app.state::<App>();
        let Some(doc) = state.doc_by_blob(&sha) else {
            responder.respond(respond(
                StatusCode::NOT_FOUND,
                "text/plain",
                b"document not open".to_vec(),
            ));
            return;
        };
        let render = doc
            .render(page, RenderSize::Width(width))
            .instrument(tracing::debug_span!("page", page, width));
        match render.await {
            Ok(rendered) => {
                let body = tokio::task::spawn_blocking(move || bmp(&rendered))
                    .await
                    .unwrap_or_default();
                responder.respond(respond(StatusCode::OK, "image/bmp", body));
            }
            Err(e) => {
                tracing::warn!("render page {page} of {sha}: {e}");
                responder.respond(respond(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "text/plain",
                    e.to_string().into_bytes(),
                ));
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_urls_are_checked() {
        let sha = "a".repeat(64);
        assert_eq!(
            parse_path(&format!("/{sha}/3/1200")),
            Some((sha.clone(), 3, 1200))
        );
        assert_eq!(parse_path(&format!("/{sha}/3/0")), None);
        assert_eq!(parse_path(&format!("/{sha}/3/99999")), None);
        assert_eq!(parse_path("/../../etc/passwd/1/1"), None);
        assert_eq!(parse_path(&format!("/{sha}/x/10")), None);
    }

    #[test]
    fn bmp_has_the_right_size() {
        let p = RenderedPage {
            width: 3,
            height: 2,
            rgba: vec![255; 24],
        };
        let b = bmp(&p);
        assert_eq!(&b[..2], b"BM");
        assert_eq!(b.len(), 14 + 108 + 24);
        assert_eq!(
            u32::from_le_bytes([b[2], b[3], b[4], b[5]]) as usize,
            b.len()
        );
    }
}
