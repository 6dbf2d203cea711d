//! "Export with annotations": a copy of a PDF with the reader's marks drawn into the
//! pages as ordinary content (ink as stroked paths, highlights as translucent multiply
//! fills), so any viewer shows them; sticky notes become PDF text annotations, which
//! keep their text. Runs on the PDFium thread over a fresh copy of the file: the open
//! document and the render cache are untouched.

use pdfium_render::prelude::{
    PdfColor, PdfPageAnnotationCommon, PdfPageObjectBlendMode, PdfPageObjectCommon,
    PdfPageObjectLineCap, PdfPageObjectLineJoin, PdfPageObjectsCommon, PdfPagePathObject,
    PdfPoints, Pdfium,
};

use crate::PdfError;

/// One mark to draw, in PDF page coordinates (points, origin bottom-left).
#[derive(Debug, Clone, PartialEq)]
pub enum FlatMark {
    /// Strokes of `[x, y, pressure]`; `width` in points at pressure 0.5.
    Ink {
        page: u32,
        color: [u8; 3],
        width: f32,
        strokes: Vec<Vec<[f32; 3]>>,
    },
    /// Quads as in /QuadPoints: upper-left, upper-right, lower-left, lower-right.
    Highlight {
        page: u32,
        color: [u8; 3],
        quads: Vec<[[f32; 2]; 4]>,
    },
    /// A note icon at `at` that opens `text`.
    Note {
        page: u32,
        at: [f32; 2],
        text: String,
    },
}

impl FlatMark {
    fn page(&self) -> u32 {
        match self {
            FlatMark::Ink { page, .. }
            | FlatMark::Highlight { page, .. }
            | FlatMark::Note { page, .. } => *page,
        }
    }
}

fn pdfium_err(what: &str) -> impl Fn(pdfium_render::prelude::PdfiumError) -> PdfError + '_ {
    move |e| PdfError::Pdfium(format!("{what}: {e:?}"))
}

fn pt(v: f32) -> PdfPoints {
    PdfPoints::new(v)
}

pub(crate) fn flatten(
    pdfium: &Pdfium,
    bytes: Vec<u8>,
    marks: &[FlatMark],
) -> Result<Vec<u8>, PdfError> {
    let doc = pdfium
        .load_pdf_from_byte_vec(bytes, None)
        .map_err(|e| PdfError::Malformed(format!("{e:?}")))?;
    let count = doc.pages().len() as u32;
    let mut pages: Vec<u32> = marks.iter().map(FlatMark::page).collect();
    pages.sort_unstable();
    pages.dedup();
    for index in pages {
        if index >= count {
            return Err(PdfError::PageOutOfRange { page: index, count });
        }
        let mut page = doc.pages().get(index as i32).map_err(pdfium_err("page"))?;
        // Marks come as the page is shown (after /Rotate, from the crop box's corner).
        let geom = crate::geom::PageGeom::of(&page);
        let user = |p: &[f32]| geom.to_user(p[0], p[1]);
        for mark in marks.iter().filter(|m| m.page() == index) {
            match mark {
                FlatMark::Ink {
                    color,
                    width,
                    strokes,
                    ..
                } => {
                    for stroke in strokes {
                        let Some(first) = stroke.first() else {
                            continue;
                        };
                        let mean = stroke.iter().map(|p| p[2]).sum::<f32>() / stroke.len() as f32;
                        let (fx, fy) = user(first);
                        let mut path = PdfPagePathObject::new(
                            &doc,
                            pt(fx),
                            pt(fy),
                            Some(PdfColor::new(color[0], color[1], color[2], 255)),
                            Some(pt(width * (0.5 + mean))),
                            None,
                        )
                        .map_err(pdfium_err("ink path"))?;
                        for p in stroke.iter().skip(1) {
                            let (x, y) = user(p);
                            path.line_to(pt(x), pt(y)).map_err(pdfium_err("ink line"))?;
                        }
                        if stroke.len() == 1 {
                            path.line_to(pt(fx + 0.1), pt(fy))
                                .map_err(pdfium_err("ink dot"))?;
                        }
                        path.set_line_cap(PdfPageObjectLineCap::Round)
                            .map_err(pdfium_err("line cap"))?;
                        path.set_line_join(PdfPageObjectLineJoin::Round)
                            .map_err(pdfium_err("line join"))?;
                        page.objects_mut()
                            .add_path_object(path)
                            .map_err(pdfium_err("add ink"))?;
                    }
                }
                FlatMark::Highlight { color, quads, .. } => {
                    for q in quads {
                        let (qx, qy) = user(&q[0]);
                        let mut path = PdfPagePathObject::new(
                            &doc,
                            pt(qx),
                            pt(qy),
                            None,
                            None,
                            Some(PdfColor::new(color[0], color[1], color[2], 110)),
                        )
                        .map_err(pdfium_err("highlight path"))?;
                        for corner in [q[1], q[3], q[2]] {
                            let (x, y) = user(&corner);
                            path.line_to(pt(x), pt(y))
                                .map_err(pdfium_err("highlight line"))?;
                        }
                        path.close_path().map_err(pdfium_err("highlight close"))?;
                        path.set_blend_mode(PdfPageObjectBlendMode::Multiply)
                            .map_err(pdfium_err("blend"))?;
                        page.objects_mut()
                            .add_path_object(path)
                            .map_err(pdfium_err("add highlight"))?;
                    }
                }
                FlatMark::Note { at, text, .. } => {
                    let mut note = page
                        .annotations_mut()
                        .create_text_annotation(text)
                        .map_err(pdfium_err("note"))?;
                    let (x, y) = user(at);
                    note.set_position(pt(x), pt(y))
                        .map_err(pdfium_err("note position"))?;
                }
            }
        }
    }
    doc.save_to_bytes().map_err(pdfium_err("save"))
}
