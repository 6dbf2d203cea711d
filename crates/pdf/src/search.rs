//! Vietnamese-friendly search: case- and diacritic-insensitive matching over page text,
//! mapped back to the characters (and so the boxes) it matched.
//!
//! Folding: Unicode canonical decomposition, then combining marks dropped (so "ị" → "i",
//! "ư" → "u", "ế" → "e"), "đ"/"Đ" → "d" (đ has no decomposition), lower case, and any run
//! of whitespace → one space. "nghi quyet" thus finds "Nghị quyết".

use serde::Serialize;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::text::{PageText, Quad};

/// One occurrence of the query: the page (0-based), the page text it covers, and one
/// quad per line it spans.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchHit {
    pub page: u32,
    pub text: String,
    pub quads: Vec<Quad>,
}

/// Folds one character into zero or more search characters.
fn fold_char(c: char, out: &mut impl FnMut(char)) {
    if c.is_whitespace() {
        out(' ');
        return;
    }
    for d in std::iter::once(c).nfd() {
        if is_combining_mark(d) {
            continue;
        }
        let d = match d {
            'đ' | 'Đ' | 'ð' | 'Ð' => 'd',
            _ => d,
        };
        for l in d.to_lowercase() {
            out(l);
        }
    }
}

/// The folded form of a string, as used for queries (whitespace collapsed and trimmed).
pub fn fold(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        fold_char(c, &mut |f| {
            if f == ' ' && (out.is_empty() || out.ends_with(' ')) {
                return;
            }
            out.push(f);
        });
    }
    while out.ends_with(' ') {
        out.pop();
    }
    out
}

/// Finds every non-overlapping occurrence of `query` in a page.
pub fn search_page(page: &PageText, query: &str) -> Vec<SearchHit> {
    let needle: Vec<char> = fold(query).chars().collect();
    if needle.is_empty() {
        return Vec::new();
    }
    // The folded page text, with for each folded char the index of the page char it
    // came from.
    let mut hay: Vec<char> = Vec::with_capacity(page.chars.len());
    let mut origin: Vec<usize> = Vec::with_capacity(page.chars.len());
    for (i, tc) in page.chars.iter().enumerate() {
        fold_char(tc.ch, &mut |f| {
            if f == ' ' && hay.last() == Some(&' ') {
                return;
            }
            hay.push(f);
            origin.push(i);
        });
    }
    let mut hits = Vec::new();
    let mut at = 0;
    while at + needle.len() <= hay.len() {
        if hay[at..at + needle.len()] == needle[..] {
            let first = origin[at];
            let last = origin[at + needle.len() - 1];
            let text: String = page.chars[first..=last].iter().map(|c| c.ch).collect();
            hits.push(SearchHit {
                page: page.page,
                text,
                quads: page.quads(first, last + 1),
            });
            at += needle.len();
        } else {
            at += 1;
        }
    }
    hits
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::{Rect, TextChar};

    fn page(s: &str) -> PageText {
        let chars = s
            .chars()
            .enumerate()
            .map(|(i, ch)| TextChar {
                ch,
                rect: Some(Rect {
                    left: i as f32 * 10.0,
                    bottom: 0.0,
                    right: i as f32 * 10.0 + 9.0,
                    top: 12.0,
                }),
            })
            .collect();
        PageText {
            page: 3,
            text: s.to_owned(),
            chars,
        }
    }

    #[test]
    fn folds_vietnamese_diacritics_and_case() {
        assert_eq!(fold("Nghị quyết"), "nghi quyet");
        assert_eq!(fold("ĐỒNG Ý"), "dong y");
        assert_eq!(fold("Ủy ban nhân dân tỉnh"), "uy ban nhan dan tinh");
        assert_eq!(fold("  Hội   đồng\n nhân dân "), "hoi dong nhan dan");
        assert_eq!(fold("ƯỚC LƯỢNG ơn"), "uoc luong on");
    }

    #[test]
    fn finds_diacritic_free_query_and_maps_back() {
        let p = page("Căn cứ Nghị quyết số 12/NQ-HĐND");
        let hits = search_page(&p, "nghi quyet");
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].text, "Nghị quyết");
        assert_eq!(hits[0].page, 3);
        assert_eq!(hits[0].quads.len(), 1);
        let r = hits[0].quads[0].rect();
        assert_eq!(r.left, 70.0); // "Nghị" starts at char 7
        assert_eq!(r.right, 169.0); // "quyết" ends at char 16
    }

    #[test]
    fn d_finds_d_with_stroke_and_spaces_span_lines() {
        let p = page("HĐND\ntỉnh đề nghị");
        let hits = search_page(&p, "d");
        assert_eq!(
            hits.iter().map(|h| h.text.as_str()).collect::<Vec<_>>(),
            ["Đ", "D", "đ"]
        );
        let hits = search_page(&p, "hdnd tinh");
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].text, "HĐND\ntỉnh");
    }

    #[test]
    fn no_hit_and_empty_query() {
        let p = page("Ủy ban nhân dân");
        assert!(search_page(&p, "quyết").is_empty());
        assert!(search_page(&p, "   ").is_empty());
    }
}
