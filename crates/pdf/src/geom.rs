//! The page as shown — after its /Rotate, origin at the lower left of its crop box, y up,
//! in points — is what the app stores annotations in and draws over. PDFium reports text
//! boxes, and takes new content, in the page's own user space. This maps between them.

use pdfium_render::prelude::{PdfPage, PdfPageRenderRotation};

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct PageGeom {
    /// Clockwise quarter turns when shown: 0..=3.
    turns: u8,
    /// The crop box (else the media box) in user space.
    x0: f32,
    y0: f32,
    w: f32,
    h: f32,
}

impl PageGeom {
    pub(crate) fn of(page: &PdfPage<'_>) -> PageGeom {
        let turns = match page.rotation() {
            Ok(PdfPageRenderRotation::Degrees90) => 1,
            Ok(PdfPageRenderRotation::Degrees180) => 2,
            Ok(PdfPageRenderRotation::Degrees270) => 3,
            _ => 0,
        };
        let b = page.boundaries();
        // FPDF_GetPageBoundingBox: the media box cut by the crop box, inherited ones
        // included (FPDFPage_GetCropBox/MediaBox read only the page's own entries).
        match b.bounding().or_else(|_| b.crop()).or_else(|_| b.media()) {
            Ok(bx) => PageGeom::new(
                turns,
                [
                    bx.bounds.left().value,
                    bx.bounds.bottom().value,
                    bx.bounds.right().value,
                    bx.bounds.top().value,
                ],
            ),
            Err(_) => {
                // The size as shown: turned back for a page on its side.
                let (w, h) = (page.width().value, page.height().value);
                let (w, h) = if turns % 2 == 1 { (h, w) } else { (w, h) };
                PageGeom::new(turns, [0.0, 0.0, w, h])
            }
        }
    }

    /// `bx`: left, bottom, right, top in user space (either order).
    pub(crate) fn new(turns: u8, bx: [f32; 4]) -> PageGeom {
        PageGeom {
            turns: turns % 4,
            x0: bx[0].min(bx[2]),
            y0: bx[1].min(bx[3]),
            w: (bx[2] - bx[0]).abs(),
            h: (bx[3] - bx[1]).abs(),
        }
    }

    /// A point of the page as shown, in user space.
    pub(crate) fn to_user(self, u: f32, v: f32) -> (f32, f32) {
        let (x, y) = match self.turns {
            1 => (self.w - v, u),
            2 => (self.w - u, self.h - v),
            3 => (v, self.h - u),
            _ => (u, v),
        };
        (x + self.x0, y + self.y0)
    }

    /// A user-space point on the page as shown.
    pub(crate) fn to_shown(self, x: f32, y: f32) -> (f32, f32) {
        let (x, y) = (x - self.x0, y - self.y0);
        match self.turns {
            1 => (y, self.w - x),
            2 => (self.w - x, self.h - y),
            3 => (self.h - y, x),
            _ => (x, y),
        }
    }

    /// A user-space rectangle (left, bottom, right, top) as shown.
    pub(crate) fn rect_to_shown(self, r: [f32; 4]) -> [f32; 4] {
        let (a, b) = self.to_shown(r[0], r[1]);
        let (c, d) = self.to_shown(r[2], r[3]);
        [a.min(c), b.min(d), a.max(c), b.max(d)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_and_user_space_are_inverse_for_every_rotation() {
        for turns in 0..4 {
            let g = PageGeom::new(turns, [10.0, 20.0, 605.0, 862.0]);
            for (x, y) in [(10.0, 20.0), (100.0, 700.0), (605.0, 862.0)] {
                let (u, v) = g.to_shown(x, y);
                let (x2, y2) = g.to_user(u, v);
                assert!(
                    (x - x2).abs() < 1e-3 && (y - y2).abs() < 1e-3,
                    "{turns}: {x},{y}"
                );
            }
        }
        // Turned a quarter clockwise, the page's lower left shows at the top left.
        let g = PageGeom::new(1, [0.0, 0.0, 595.0, 842.0]);
        assert_eq!(g.to_shown(0.0, 0.0), (0.0, 595.0));
        assert_eq!(g.to_shown(0.0, 842.0), (842.0, 595.0));
        // A crop box's corner is the origin as shown.
        let g = PageGeom::new(0, [50.0, 40.0, 550.0, 800.0]);
        assert_eq!(g.to_shown(50.0, 40.0), (0.0, 0.0));
    }
}
