//! `page://localhost/<sha256>/<page>/<width>`: page images straight from the PDF
//! engine's render thread and page cache — not base64 over IPC. The image is a PNG made
//! for speed (RGB, Sub filter, fastest deflate): a page is mostly white, so it shrinks
//! ~10× for a few milliseconds, and the bytes cross from the app to the webview's
//! process — an uncompressed bitmap costs more there (measured: 6.7 MB a page at
//! 1088 px took ~150 ms to arrive) than the encoding does. The URL names the blob, so a
//! response never changes and may be cached for good.

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

/// A PNG of the page, encoded for speed over size.
pub fn png(page: &RenderedPage) -> Result<Vec<u8>, image::ImageError> {
    use image::ImageEncoder;
    // Pages render opaque: drop alpha, a quarter less to compress and to send.
    let rgb: Vec<u8> = page
        .rgba
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect();
    let mut out = Vec::with_capacity(rgb.len() / 8);
    image::codecs::png::PngEncoder::new_with_quality(
        &mut out,
        image::codecs::png::CompressionType::Fast,
        image::codecs::png::FilterType::Sub,
    )
    .write_image(
        &rgb,
        page.width,
        page.height,
        image::ExtendedColorType::Rgb8,
    )?;
    Ok(out)
}

fn respond(status: StatusCode, content_type: &str, body: Vec<u8>) -> Response<Cow<'static, [u8]>> {
    // A page image never changes; an error may not last (the document opens later).
    let cache = if status == StatusCode::OK {
        "max-age=31536000, immutable"
    } else {
        "no-store"
    };
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CACHE_CONTROL, cache)
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
            Ok(rendered) => match tokio::task::spawn_blocking(move || png(&rendered)).await {
                Ok(Ok(body)) => responder.respond(respond(StatusCode::OK, "image/png", body)),
                other => {
                    tracing::warn!("encode page {page} of {sha}: {other:?}");
                    responder.respond(respond(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "text/plain",
                        b"cannot encode the page".to_vec(),
                    ));
                }
            },
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
    fn png_decodes_back_to_the_page() {
        let p = RenderedPage {
            width: 3,
            height: 2,
            rgba: [[255u8, 0, 0, 255], [0, 255, 0, 255], [0, 0, 255, 255]]
                .repeat(2)
                .concat(),
        };
        let bytes = png(&p).unwrap();
        let back = image::load_from_memory(&bytes).unwrap().to_rgba8();
        assert_eq!(back.dimensions(), (3, 2));
        assert_eq!(back.into_raw(), p.rgba);
    }
}
