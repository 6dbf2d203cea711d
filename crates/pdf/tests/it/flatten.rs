//! "Export with annotations": marks drawn into a copy, which renders them; the original
//! document and its cached renders stay as they were.

use phonghop_pdf::{FlatMark, PdfError, RenderSize};

use crate::{engine, fixtures};

/// Pixels that are clearly red (the ink colour used here).
fn red(rgba: &[u8]) -> usize {
    rgba.chunks_exact(4)
        .filter(|p| p[0] > 150 && p[1] < 90 && p[2] < 90)
        .count()
}

#[tokio::test]
async fn ink_highlight_and_notes_land_in_the_copy() {
    let (engine, _g) = engine();
    let bytes = std::fs::read(fixtures().join("doc-3p.pdf")).unwrap();
    let original = engine.open_bytes(bytes.clone()).await.unwrap();
    let before = original.render(1, RenderSize::Width(600)).await.unwrap();
    let marks = vec![
        FlatMark::Ink {
            page: 1,
            color: [0xd0, 0x20, 0x20],
            width: 4.0,
            strokes: vec![vec![
                [100.0, 400.0, 0.5],
                [300.0, 420.0, 0.8],
                [450.0, 380.0, 0.6],
            ]],
        },
        FlatMark::Highlight {
            page: 1,
            color: [0xff, 0xd4, 0x3b],
            quads: vec![[[72.0, 700.0], [300.0, 700.0], [72.0, 686.0], [300.0, 686.0]]],
        },
        FlatMark::Note {
            page: 2,
            at: [500.0, 780.0],
            text: "Đề nghị bổ sung số liệu".into(),
        },
    ];
    let out = engine.flatten(bytes, marks).await.unwrap();
    assert!(out.starts_with(b"%PDF-"));
    let copy = engine.open_bytes(out.clone()).await.unwrap();
    assert_eq!(copy.page_count(), original.page_count());
    let after = copy.render(1, RenderSize::Width(600)).await.unwrap();
    assert!(
        red(&after.rgba) > red(&before.rgba) + 200,
        "the ink stroke is not drawn"
    );
    // The note survives as a PDF text annotation with its Vietnamese text.
    let text = String::from_utf8_lossy(&out);
    assert!(
        text.contains("/Annot") && text.contains("/Text"),
        "no text annotation"
    );
    // The open original is untouched.
    let again = original.render(1, RenderSize::Width(600)).await.unwrap();
    assert_eq!(red(&again.rgba), red(&before.rgba));
}

#[tokio::test]
async fn marks_past_the_last_page_are_refused() {
    let (engine, _g) = engine();
    let bytes = std::fs::read(fixtures().join("doc-3p.pdf")).unwrap();
    let err = engine
        .flatten(
            bytes,
            vec![FlatMark::Note {
                page: 9,
                at: [0.0, 0.0],
                text: "x".into(),
            }],
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, PdfError::PageOutOfRange { page: 9, count: 3 }),
        "{err}"
    );
}

/// Marks are placed as the page is shown: on a page turned a quarter, a dot drawn at the
/// lower left of the screen lands at the lower left of the exported page as shown.
#[tokio::test]
async fn marks_land_where_they_were_drawn_on_a_rotated_page() {
    let (engine, _g) = engine();
    let bytes = crate::rotated(&std::fs::read(fixtures().join("doc-3p.pdf")).unwrap(), 90);
    let dot = FlatMark::Ink {
        page: 0,
        color: [0xd0, 0x20, 0x20],
        width: 16.0,
        strokes: vec![vec![[40.0, 40.0, 0.5], [60.0, 40.0, 0.5]]],
    };
    let out = engine.flatten(bytes, vec![dot]).await.unwrap();
    let copy = engine.open_bytes(out).await.unwrap();
    let img = copy.render(0, RenderSize::Width(600)).await.unwrap();
    assert!(img.width > img.height, "shown in landscape");
    let (w, h) = (img.width as usize, img.height as usize);
    let quarter = |left: bool, bottom: bool| -> usize {
        let mut n = 0;
        for y in 0..h / 4 {
            let y = if bottom { h - 1 - y } else { y };
            for x in 0..w / 4 {
                let x = if left { x } else { w - 1 - x };
                n += red(&img.rgba[(y * w + x) * 4..(y * w + x) * 4 + 4]);
            }
        }
        n
    };
    assert!(quarter(true, true) > 20, "no ink at the lower left");
    assert_eq!(quarter(true, false), 0, "ink at the upper left");
}
