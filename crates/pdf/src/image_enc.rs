//! Encoding rendered pages for display or files.

use std::io::Cursor;

use image::{ExtendedColorType, ImageEncoder};

use crate::PdfError;

/// Output formats for a rendered page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    Png,
    /// Lossless WebP (the pure-Rust encoder has no lossy mode).
    WebP,
}

impl ImageFormat {
    /// From a file extension (`png`, `webp`), case-insensitive.
    pub fn from_extension(ext: &str) -> Option<ImageFormat> {
        match ext.to_ascii_lowercase().as_str() {
            "png" => Some(ImageFormat::Png),
            "webp" => Some(ImageFormat::WebP),
            _ => None,
        }
    }
}

pub(crate) fn encode(
    rgba: &[u8],
    width: u32,
    height: u32,
    format: ImageFormat,
) -> Result<Vec<u8>, PdfError> {
    let mut out = Cursor::new(Vec::new());
    let res =
        match format {
            ImageFormat::Png => image::codecs::png::PngEncoder::new_with_quality(
                &mut out,
                image::codecs::png::CompressionType::Fast,
                image::codecs::png::FilterType::Adaptive,
            )
            .write_image(rgba, width, height, ExtendedColorType::Rgba8),
            ImageFormat::WebP => image::codecs::webp::WebPEncoder::new_lossless(&mut out)
                .write_image(rgba, width, height, ExtendedColorType::Rgba8),
        };
    res.map_err(|e| PdfError::Encode(e.to_string()))?;
    Ok(out.into_inner())
}
