use std::sync::Arc;

use phonghop_pdf::{ImageFormat, PdfError, RenderSize};

use crate::{engine, open};

/// Share of pixels that are not (near) white.
fn ink(rgba: &[u8]) -> f64 {
    let px = rgba.chunks_exact(4);
    let n = px.len();
    let dark = px
        .filter(|p| p[0] < 200 || p[1] < 200 || p[2] < 200)
        .count();
    dark as f64 / n as f64
}

#[tokio::test]
async fn renders_a4_at_150_dpi_with_ink() {
    let (engine, _g) = engine();
    let doc = open(&engine, "doc-3p.pdf").await;
    assert_eq!(doc.page_count(), 3);
    let size = doc.page_size(0).unwrap();
    assert!((size.width - 595.28).abs() < 0.5 && (size.height - 841.89).abs() < 0.5);
    let img = doc.render(0, RenderSize::Dpi(150.0)).await.unwrap();
    assert_eq!((img.width, img.height), (1240, 1754));
    assert_eq!(img.rgba.len(), 1240 * 1754 * 4);
    let ink = ink(&img.rgba);
    assert!(ink > 0.01 && ink < 0.5, "ink share {ink}");
    // Alpha is opaque everywhere (white background, not transparent).
    assert!(img.rgba.chunks_exact(4).all(|p| p[3] == 255));
}

#[tokio::test]
async fn width_scale_and_thumbnail_sizes() {
    let (engine, _g) = engine();
    let doc = open(&engine, "doc-3p.pdf").await;
    let w = doc.render(1, RenderSize::Width(600)).await.unwrap();
    assert_eq!((w.width, w.height), (600, 849));
    let s = doc.render(2, RenderSize::Scale(0.5)).await.unwrap();
    assert_eq!((s.width, s.height), (298, 421));
    let t = doc.thumbnail(0, 200).await.unwrap();
    assert_eq!(t.height, 200);
    assert_eq!(t.width, 141);
    assert!(ink(&t.rgba) > 0.01);
}

#[tokio::test]
async fn text_renders_where_the_text_is() {
    // The first line of text.pdf is at 30 mm from the top, 20 mm from the left: the
    // band around it has ink, the band well below the last line has none.
    let (engine, _g) = engine();
    let doc = open(&engine, "text.pdf").await;
    let img = doc.render(0, RenderSize::Dpi(72.0)).await.unwrap();
    let row = |y: u32| {
        let start = (y * img.width * 4) as usize;
        &img.rgba[start..start + (img.width * 4) as usize]
    };
    let mm = 72.0 / 25.4;
    let line_y = (30.0 * mm) as u32;
    let band_ink: f64 = (line_y..line_y + 12).map(|y| ink(row(y))).sum();
    assert!(band_ink > 0.1, "no ink on the first line: {band_ink}");
    let blank: f64 = (700..720).map(|y| ink(row(y))).sum();
    assert_eq!(blank, 0.0);
}

#[tokio::test]
async fn encodes_png_and_webp_that_decode_back() {
    let (engine, _g) = engine();
    let doc = open(&engine, "doc-3p.pdf").await;
    let img = doc.render(0, RenderSize::Width(300)).await.unwrap();
    for format in [ImageFormat::Png, ImageFormat::WebP] {
        let bytes = img.encode(format).unwrap();
        let decoded = image::load_from_memory(&bytes).unwrap().to_rgba8();
        assert_eq!((decoded.width(), decoded.height()), (img.width, img.height));
        assert_eq!(decoded.as_raw(), &img.rgba, "{format:?} is lossless");
    }
}

#[tokio::test]
async fn second_render_comes_from_the_cache() {
    let (engine, _g) = engine();
    engine.set_cache_budget(64 * 1024 * 1024);
    let doc = open(&engine, "doc-3p.pdf").await;
    let before = engine.stats();
    let a = doc.render(2, RenderSize::Width(400)).await.unwrap();
    let b = doc.render(2, RenderSize::Width(400)).await.unwrap();
    let after = engine.stats();
    assert!(Arc::ptr_eq(&a, &b));
    assert_eq!(after.renders - before.renders, 1);
    assert_eq!(after.cache_hits - before.cache_hits, 1);
    // Another size is another entry.
    let c = doc.render(2, RenderSize::Width(401)).await.unwrap();
    assert_eq!(c.width, 401);
    assert_eq!(engine.stats().renders - before.renders, 2);
    // The same file opened again is the same blob: still cached.
    let again = open(&engine, "doc-3p.pdf").await;
    assert_eq!(again.blob(), doc.blob());
    let d = again.render(2, RenderSize::Width(400)).await.unwrap();
    assert!(Arc::ptr_eq(&a, &d));
}

#[tokio::test]
async fn dropped_requests_never_render() {
    let (engine, _g) = engine();
    engine.set_cache_budget(0);
    let doc = open(&engine, "bench-50p.pdf").await;
    let before = engine.stats();
    // While the PDFium thread is held, 39 pages are requested and then scrolled away
    // (their futures dropped), and one more is requested and kept.
    let hold = engine.hold();
    let scrolled_away: Vec<_> = (1..40)
        .map(|p| doc.render(p, RenderSize::Dpi(150.0)))
        .collect();
    let wanted = doc.render(45, RenderSize::Dpi(150.0));
    drop(scrolled_away);
    drop(hold);
    let wanted = wanted.await.unwrap();
    assert_eq!(wanted.width, 1240);
    let after = engine.stats();
    assert_eq!(
        after.renders - before.renders,
        1,
        "only the awaited page renders"
    );
    assert_eq!(after.jobs_cancelled - before.jobs_cancelled, 39);
    engine.set_cache_budget(256 * 1024 * 1024);
}

#[tokio::test]
async fn bad_requests_are_errors() {
    let (engine, _g) = engine();
    let doc = open(&engine, "doc-3p.pdf").await;
    assert!(matches!(
        doc.render(3, RenderSize::Width(100)).await,
        Err(PdfError::PageOutOfRange { page: 3, count: 3 })
    ));
    assert!(matches!(
        doc.render(0, RenderSize::Scale(0.0)).await,
        Err(PdfError::BadSize(_))
    ));
    assert!(matches!(
        doc.render(0, RenderSize::Dpi(1e6)).await,
        Err(PdfError::BadSize(_))
    ));
    assert!(matches!(
        doc.page_text(9).await,
        Err(PdfError::PageOutOfRange { .. })
    ));
}

#[test]
fn blocking_wait_works_outside_a_runtime() {
    let (engine, _g) = engine();
    let doc = engine
        .open(&crate::fixtures().join("text.pdf"))
        .wait()
        .unwrap();
    let img = doc.render(1, RenderSize::Width(100)).wait().unwrap();
    assert_eq!(img.width, 100);
}
