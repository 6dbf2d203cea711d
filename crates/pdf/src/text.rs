//! Page geometry and text as the engine hands them out, in PDF page coordinates
//! (points, origin bottom-left) so they stay right at any zoom.

use pdfium_render::prelude::PdfPage;
use serde::Serialize;

/// Width and height of a page in points (1/72 inch), after its /Rotate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PageSize {
    pub width: f32,
    pub height: f32,
}

/// An axis-aligned rectangle in page points.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Rect {
    pub left: f32,
    pub bottom: f32,
    pub right: f32,
    pub top: f32,
}

impl Rect {
    fn union(self, o: Rect) -> Rect {
        Rect {
            left: self.left.min(o.left),
            bottom: self.bottom.min(o.bottom),
            right: self.right.max(o.right),
            top: self.top.max(o.top),
        }
    }

    fn is_empty(&self) -> bool {
        self.right <= self.left || self.top <= self.bottom
    }
}

/// A highlight quadrilateral in the order of a PDF /QuadPoints entry:
/// upper-left, upper-right, lower-left, lower-right, each `[x, y]` in page points.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Quad(pub [[f32; 2]; 4]);

impl Quad {
    pub fn from_rect(r: Rect) -> Quad {
        Quad([
            [r.left, r.top],
            [r.right, r.top],
            [r.left, r.bottom],
            [r.right, r.bottom],
        ])
    }

    /// The bounding rectangle.
    pub fn rect(&self) -> Rect {
        let xs = self.0.map(|p| p[0]);
        let ys = self.0.map(|p| p[1]);
        Rect {
            left: xs.iter().copied().fold(f32::INFINITY, f32::min),
            right: xs.iter().copied().fold(f32::NEG_INFINITY, f32::max),
            bottom: ys.iter().copied().fold(f32::INFINITY, f32::min),
            top: ys.iter().copied().fold(f32::NEG_INFINITY, f32::max),
        }
    }
}

/// One character of page text and its box; `rect` is `None` for characters PDFium
/// generated (spaces and line breaks between text runs).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TextChar {
    pub ch: char,
    pub rect: Option<Rect>,
}

/// The text of one page: `text` is exactly the `ch` of `chars`, in order, with line
/// breaks as `\n`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PageText {
    pub page: u32,
    pub text: String,
    pub chars: Vec<TextChar>,
}

impl PageText {
    /// Groups the boxes of `chars[start..end]` into one quad per line, for highlights.
    pub fn quads(&self, start: usize, end: usize) -> Vec<Quad> {
        let mut lines: Vec<Rect> = Vec::new();
        for c in self.chars.get(start..end).unwrap_or(&[]) {
            let Some(r) = c.rect else { continue };
            if c.ch.is_whitespace() || r.is_empty() {
                continue;
            }
            match lines.last_mut() {
                // Same line when the vertical extents overlap by more than half the
                // smaller height.
                Some(last) if same_line(last, &r) => *last = last.union(r),
                _ => lines.push(r),
            }
        }
        lines.into_iter().map(Quad::from_rect).collect()
    }
}

fn same_line(a: &Rect, b: &Rect) -> bool {
    let overlap = a.top.min(b.top) - a.bottom.max(b.bottom);
    let smaller = (a.top - a.bottom).min(b.top - b.bottom);
    overlap > 0.5 * smaller
}

/// Reads a page's text through PDFium. Runs on the engine thread.
pub(crate) fn extract(page: &PdfPage<'_>, index: u32) -> Result<PageText, crate::PdfError> {
    let text = page
        .text()
        .map_err(|e| crate::PdfError::Pdfium(format!("text of page {}: {e}", index + 1)))?;
    // Boxes as the page is shown (rotated, from its crop box), as the app draws over it.
    let geom = crate::geom::PageGeom::of(page);
    let mut chars = Vec::new();
    for c in text.chars().iter() {
        let Some(ch) = c.unicode_char() else { continue };
        // PDFium marks line ends with "\r\n" and soft hyphens with U+0002; keep one '\n'
        // and drop the other control characters.
        if ch == '\r' {
            continue;
        }
        if ch.is_control() && ch != '\n' {
            continue;
        }
        let generated = c.is_generated().unwrap_or(false);
        let rect = if generated {
            None
        } else {
            c.loose_bounds().ok().map(|r| {
                let [left, bottom, right, top] = geom.rect_to_shown([
                    r.left().value,
                    r.bottom().value,
                    r.right().value,
                    r.top().value,
                ]);
                Rect {
                    left,
                    bottom,
                    right,
                    top,
                }
            })
        };
        chars.push(TextChar { ch, rect });
    }
    let text = chars.iter().map(|c| c.ch).collect();
    Ok(PageText {
        page: index,
        text,
        chars,
    })
}
