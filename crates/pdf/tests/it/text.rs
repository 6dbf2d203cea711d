use crate::{engine, manifest, open};

#[tokio::test]
async fn vietnamese_text_is_extracted_exactly() {
    let (engine, _g) = engine();
    let doc = open(&engine, "text.pdf").await;
    let m = manifest();
    let pages = m["text"]["pages"].as_array().unwrap();
    assert_eq!(doc.page_count() as usize, pages.len());
    for (i, lines) in pages.iter().enumerate() {
        let want: Vec<&str> = lines
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap())
            .collect();
        let text = doc.page_text(i as u32).await.unwrap();
        let got: Vec<&str> = text.text.lines().map(str::trim_end).collect();
        assert_eq!(got, want, "page {i}");
        // Every visible character has a box inside the page.
        let size = doc.page_size(i as u32).unwrap();
        for c in text.chars.iter().filter(|c| !c.ch.is_whitespace()) {
            let r = c.rect.unwrap_or_else(|| panic!("no box for {:?}", c.ch));
            assert!(
                r.left >= 0.0 && r.right <= size.width && r.bottom >= 0.0 && r.top <= size.height
            );
            assert!(r.right > r.left && r.top > r.bottom);
        }
        assert_eq!(
            text.text,
            text.chars.iter().map(|c| c.ch).collect::<String>()
        );
    }
}

#[tokio::test]
async fn diacritic_free_queries_find_vietnamese() {
    let (engine, _g) = engine();
    let doc = open(&engine, "text.pdf").await;

    let hits = doc.search("nghi quyet").await.unwrap();
    let found: Vec<(u32, &str)> = hits.iter().map(|h| (h.page, h.text.as_str())).collect();
    assert_eq!(found, [(0, "Nghị quyết"), (1, "nghị quyết")]);

    let hits = doc.search("UY BAN NHAN DAN").await.unwrap();
    assert_eq!(hits.len(), 2);
    assert!(hits.iter().all(|h| h.text == "Ủy ban nhân dân"));

    let hits = doc.search("dieu").await.unwrap();
    assert_eq!(
        hits.iter().map(|h| h.text.as_str()).collect::<Vec<_>>(),
        ["Điều", "Điều"]
    );

    // "d" finds đ and Đ as well as d.
    let hits = doc.search("d").await.unwrap();
    let texts: std::collections::BTreeSet<&str> = hits.iter().map(|h| h.text.as_str()).collect();
    assert!(
        texts.contains("đ") && texts.contains("Đ") && texts.contains("d"),
        "{texts:?}"
    );

    assert!(
        doc.search("không có trong văn bản")
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn hit_quads_cover_the_matched_characters() {
    let (engine, _g) = engine();
    let doc = open(&engine, "text.pdf").await;
    let hits = doc.search("phe duyet de an").await.unwrap();
    assert_eq!(hits.len(), 1);
    let hit = &hits[0];
    assert_eq!(hit.text, "phê duyệt đề án");
    assert_eq!(hit.quads.len(), 1, "one line, one quad");
    let q = hit.quads[0].rect();
    let text = doc.page_text(0).await.unwrap();
    // The quad spans from the box of "p" to the box of "n" of this occurrence.
    let chars: Vec<_> = text.chars.iter().collect();
    let line: String = chars.iter().map(|c| c.ch).collect();
    let byte_at = line.find("phê duyệt đề án").unwrap();
    let first = line[..byte_at].chars().count();
    let last = first + "phê duyệt đề án".chars().count() - 1;
    let (a, b) = (chars[first].rect.unwrap(), chars[last].rect.unwrap());
    assert!((q.left - a.left).abs() < 0.01 && (q.right - b.right).abs() < 0.01);
    assert!(q.top >= a.top.max(b.top) - 0.01 && q.bottom <= a.bottom.min(b.bottom) + 0.01);
    // PDF space has its origin bottom-left: the third line, set at 54 mm from the top
    // edge, has its top edge close to there.
    let size = doc.page_size(0).unwrap();
    let from_top_mm = (size.height - q.top) / 72.0 * 25.4;
    assert!((50.0..58.0).contains(&from_top_mm), "{from_top_mm} mm");
}

#[tokio::test]
async fn search_spans_an_official_document() {
    let (engine, _g) = engine();
    let doc = open(&engine, "doc-3p.pdf").await;
    let hits = doc
        .search("cong hoa xa hoi chu nghia viet nam")
        .await
        .unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].page, 0);
    assert_eq!(hits[0].text, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM");
    // And a word from later pages.
    let pages: std::collections::BTreeSet<u32> = doc
        .search("tinh")
        .await
        .unwrap()
        .iter()
        .map(|h| h.page)
        .collect();
    assert_eq!(pages.len(), 3, "'tỉnh' on every page: {pages:?}");
}

/// On a page turned a quarter (a landscape appendix), text boxes are where the text is
/// shown: what search highlights and highlight marks are drawn over.
#[tokio::test]
async fn text_boxes_follow_a_rotated_page() {
    let (engine, _g) = engine();
    let bytes = std::fs::read(crate::fixtures().join("text.pdf")).unwrap();
    let doc = engine.open_bytes(crate::rotated(&bytes, 90)).await.unwrap();
    let size = doc.page_size(0).unwrap();
    assert!(size.width > size.height, "shown in landscape: {size:?}");
    let text = doc.page_text(0).await.unwrap();
    let boxes: Vec<_> = text
        .chars
        .iter()
        .filter(|c| !c.ch.is_whitespace())
        .map(|c| c.rect.unwrap())
        .collect();
    for r in &boxes {
        assert!(
            r.left >= 0.0 && r.right <= size.width && r.bottom >= 0.0 && r.top <= size.height,
            "{r:?} outside {size:?}"
        );
    }
    // The first line, at the top left of the upright page, shows at the top right.
    let first = boxes[0];
    assert!(
        first.left > size.width / 2.0 && first.top > size.height / 2.0,
        "{first:?} in {size:?}"
    );
}
