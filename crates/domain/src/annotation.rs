//! Annotations (chú thích) on a document version: ink, highlight, sticky note, free text.
//!
//! Geometry is in PDF page coordinates (points, origin bottom-left, after the page's
//! /Rotate), so an annotation stays put at any zoom. An annotation belongs to the
//! version it was made on: a new version of the document starts clean. One author;
//! private unless shared with the meeting; edits resolve last-writer-wins by
//! `updated_at`; a delete is a tombstone that no later edit revives.

use serde::{Deserialize, Serialize};

use crate::{Id, Timestamp};

/// A point of an ink stroke: `[x, y, pressure]`, pressure in 0..=1 (0.5 when the
/// device gives none).
pub type InkPoint = [f32; 3];

/// A highlight quadrilateral as in a PDF /QuadPoints entry: upper-left, upper-right,
/// lower-left, lower-right, each `[x, y]`.
pub type QuadPoints = [[f32; 2]; 4];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InkStroke {
    pub points: Vec<InkPoint>,
}

/// What an annotation draws.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum AnnotationBody {
    /// Nét vẽ tay: pen or mouse strokes; `width` in points at pressure 0.5.
    Ink {
        color: String,
        width: f32,
        strokes: Vec<InkStroke>,
    },
    /// Tô sáng: the quads of the text it covers, and that text.
    Highlight {
        color: String,
        quads: Vec<QuadPoints>,
        #[serde(default)]
        text: String,
    },
    /// Ghi chú dán: an icon at `at` that opens `text`.
    Sticky {
        color: String,
        at: [f32; 2],
        text: String,
    },
    /// Chữ tự do: text in a box `[left, bottom, right, top]`, `size` in points.
    FreeText {
        color: String,
        rect: [f32; 4],
        size: f32,
        text: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Annotation {
    pub id: Id,
    pub owner_id: Id,
    pub meeting_id: Id,
    pub document_id: Id,
    /// The document version it was made on (1, 2, …).
    pub version: u32,
    /// 0-based page.
    pub page: u32,
    /// Visible to the other members of the meeting.
    pub shared: bool,
    pub body: AnnotationBody,
    /// When the author last changed it, on the device where they did; the latest wins.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: Timestamp,
}

pub const MAX_STROKES: usize = 2_000;
pub const MAX_INK_POINTS: usize = 100_000;
pub const MAX_QUADS: usize = 2_000;
pub const MAX_ANNOTATION_TEXT_BYTES: usize = 16 * 1024;
/// Coordinates beyond this many points from the origin are no page's (A0 is 3370 pt).
const MAX_COORD: f32 = 20_000.0;

fn check_color(c: &str) -> Result<(), String> {
    let ok = c.len() == 7 && c.starts_with('#') && c[1..].bytes().all(|b| b.is_ascii_hexdigit());
    if ok {
        Ok(())
    } else {
        Err(format!("colour {c:?} is not #rrggbb"))
    }
}

fn check_coord(v: f32) -> Result<(), String> {
    if v.is_finite() && v.abs() <= MAX_COORD {
        Ok(())
    } else {
        Err(format!("coordinate {v} is outside any page"))
    }
}

fn check_text(t: &str, required: bool) -> Result<(), String> {
    if required && t.trim().is_empty() {
        return Err("the annotation's text must not be empty".into());
    }
    if t.len() > MAX_ANNOTATION_TEXT_BYTES {
        return Err(format!(
            "an annotation's text may be at most {MAX_ANNOTATION_TEXT_BYTES} bytes"
        ));
    }
    Ok(())
}

impl AnnotationBody {
    pub fn kind(&self) -> &'static str {
        match self {
            AnnotationBody::Ink { .. } => "ink",
            AnnotationBody::Highlight { .. } => "highlight",
            AnnotationBody::Sticky { .. } => "sticky",
            AnnotationBody::FreeText { .. } => "free_text",
        }
    }

    /// Checks that need nothing but the body itself.
    pub fn validate(&self) -> Result<(), String> {
        match self {
            AnnotationBody::Ink {
                color,
                width,
                strokes,
            } => {
                check_color(color)?;
                if !(width.is_finite() && *width > 0.0 && *width <= 100.0) {
                    return Err(format!("ink width {width} is not in (0, 100] points"));
                }
                if strokes.is_empty() || strokes.len() > MAX_STROKES {
                    return Err(format!("an ink annotation has 1..={MAX_STROKES} strokes"));
                }
                let points: usize = strokes.iter().map(|s| s.points.len()).sum();
                if points > MAX_INK_POINTS {
                    return Err(format!(
                        "an ink annotation has at most {MAX_INK_POINTS} points"
                    ));
                }
                for s in strokes {
                    if s.points.is_empty() {
                        return Err("an ink stroke has no points".into());
                    }
                    for [x, y, p] in &s.points {
                        check_coord(*x)?;
                        check_coord(*y)?;
                        if !(p.is_finite() && (0.0..=1.0).contains(p)) {
                            return Err(format!("pressure {p} is not in 0..=1"));
                        }
                    }
                }
                Ok(())
            }
            AnnotationBody::Highlight { color, quads, text } => {
                check_color(color)?;
                if quads.is_empty() || quads.len() > MAX_QUADS {
                    return Err(format!("a highlight has 1..={MAX_QUADS} quads"));
                }
                for q in quads {
                    for [x, y] in q {
                        check_coord(*x)?;
                        check_coord(*y)?;
                    }
                }
                check_text(text, false)
            }
            AnnotationBody::Sticky { color, at, text } => {
                check_color(color)?;
                check_coord(at[0])?;
                check_coord(at[1])?;
                check_text(text, true)
            }
            AnnotationBody::FreeText {
                color,
                rect,
                size,
                text,
            } => {
                check_color(color)?;
                for v in rect {
                    check_coord(*v)?;
                }
                if rect[2] <= rect[0] || rect[3] <= rect[1] {
                    return Err("a free-text box must have a positive size".into());
                }
                if !(size.is_finite() && *size >= 4.0 && *size <= 200.0) {
                    return Err(format!("font size {size} is not in 4..=200 points"));
                }
                check_text(text, true)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ink() -> AnnotationBody {
        AnnotationBody::Ink {
            color: "#c0392b".into(),
            width: 2.0,
            strokes: vec![InkStroke {
                points: vec![[100.0, 700.0, 0.5], [120.5, 690.25, 0.8]],
            }],
        }
    }

    #[test]
    fn bodies_round_trip_with_a_kind_tag() {
        let a = Annotation {
            id: Id::now_v7(),
            owner_id: Id::now_v7(),
            meeting_id: Id::now_v7(),
            document_id: Id::now_v7(),
            version: 1,
            page: 2,
            shared: false,
            body: ink(),
            updated_at: time::macros::datetime!(2026-11-27 08:00 UTC),
        };
        let v = serde_json::to_value(&a).unwrap();
        assert_eq!(v["body"]["kind"], "ink");
        assert_eq!(serde_json::from_value::<Annotation>(v).unwrap(), a);
        let sticky = AnnotationBody::Sticky {
            color: "#f1c40f".into(),
            at: [50.0, 60.0],
            text: "Đề nghị bổ sung số liệu".into(),
        };
        let s = serde_json::to_string(&sticky).unwrap();
        assert!(s.contains("\"kind\":\"sticky\""));
        assert_eq!(serde_json::from_str::<AnnotationBody>(&s).unwrap(), sticky);
    }

    #[test]
    fn validation_catches_bad_geometry() {
        assert!(ink().validate().is_ok());
        let bad = [
            AnnotationBody::Ink {
                color: "red".into(),
                width: 2.0,
                strokes: vec![InkStroke {
                    points: vec![[1.0, 1.0, 0.5]],
                }],
            },
            AnnotationBody::Ink {
                color: "#000000".into(),
                width: 2.0,
                strokes: vec![],
            },
            AnnotationBody::Ink {
                color: "#000000".into(),
                width: 2.0,
                strokes: vec![InkStroke {
                    points: vec![[f32::NAN, 1.0, 0.5]],
                }],
            },
            AnnotationBody::Ink {
                color: "#000000".into(),
                width: 2.0,
                strokes: vec![InkStroke {
                    points: vec![[1.0, 1.0, 1.5]],
                }],
            },
            AnnotationBody::Highlight {
                color: "#ffff00".into(),
                quads: vec![],
                text: String::new(),
            },
            AnnotationBody::Sticky {
                color: "#ffff00".into(),
                at: [1.0, 1.0],
                text: "  ".into(),
            },
            AnnotationBody::FreeText {
                color: "#000000".into(),
                rect: [10.0, 10.0, 5.0, 20.0],
                size: 12.0,
                text: "x".into(),
            },
        ];
        for b in bad {
            assert!(b.validate().is_err(), "{b:?} accepted");
        }
    }
}
