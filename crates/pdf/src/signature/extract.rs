//! Finding signature dictionaries: every field of /FT /Sig under the AcroForm with a
//! value, as pyHanko and PDFium enumerate them.

use lopdf::{Dictionary, Document, Object};

/// What a signature dictionary says, before any checking.
#[derive(Debug, Clone)]
pub(crate) struct SigDict {
    pub field: Option<String>,
    pub byte_range: Option<Vec<i64>>,
    pub contents: Option<Vec<u8>>,
    pub sub_filter: Option<String>,
    pub doc_timestamp: bool,
    pub time: Option<String>,
    pub reason: Option<String>,
    pub location: Option<String>,
    /// /Contents is larger than [`MAX_CONTENTS`] (and not kept).
    pub contents_too_large: bool,
}

/// The largest /Contents read: a CMS with its chain, revocation data and a timestamp
/// fits in a few hundred KB.
pub(crate) const MAX_CONTENTS: usize = 4 << 20;

pub(crate) fn signature_dicts(doc: &Document) -> Vec<SigDict> {
    let mut out = Vec::new();
    let Ok(catalog) = doc.catalog() else {
        return out;
    };
    let Some(form) = catalog
        .get(b"AcroForm")
        .ok()
        .and_then(|o| deref_dict(doc, o))
    else {
        return out;
    };
    let Some(fields) = form
        .get(b"Fields")
        .ok()
        .and_then(|o| doc.dereference(o).ok())
        .and_then(|(_, o)| o.as_array().ok())
    else {
        return out;
    };
    let mut seen = std::collections::HashSet::new();
    for f in fields {
        walk(doc, f, None, None, 0, &mut seen, &mut out);
    }
    out
}

fn deref_dict<'a>(doc: &'a Document, o: &'a Object) -> Option<&'a Dictionary> {
    doc.dereference(o).ok().and_then(|(_, o)| o.as_dict().ok())
}

fn walk(
    doc: &Document,
    field: &Object,
    parent_name: Option<&str>,
    inherited_ft: Option<&[u8]>,
    depth: usize,
    seen: &mut std::collections::HashSet<lopdf::ObjectId>,
    out: &mut Vec<SigDict>,
) {
    // Field trees are shallow; a deep or cyclic one is hostile.
    if depth > 32 {
        return;
    }
    if let Object::Reference(id) = field
        && !seen.insert(*id)
    {
        return;
    }
    let Some(dict) = deref_dict(doc, field) else {
        return;
    };
    let partial = dict
        .get(b"T")
        .ok()
        .and_then(|o| o.as_str().ok())
        .map(text_string);
    let name = match (parent_name, partial) {
        (Some(p), Some(t)) => Some(format!("{p}.{t}")),
        (None, Some(t)) => Some(t),
        (p, None) => p.map(str::to_owned),
    };
    let ft = dict
        .get(b"FT")
        .ok()
        .and_then(|o| o.as_name().ok())
        .or(inherited_ft);
    // Many fields may point at one signature dictionary: it is read once.
    let v_seen = |seen: &mut std::collections::HashSet<lopdf::ObjectId>| match dict.get(b"V") {
        Ok(Object::Reference(id)) => !seen.insert(*id),
        _ => false,
    };
    if ft == Some(b"Sig".as_slice())
        && !v_seen(seen)
        && let Some(v) = dict.get(b"V").ok().and_then(|o| deref_dict(doc, o))
    {
        out.push(read_sig(doc, v, name.clone()));
    }
    if let Some(kids) = dict
        .get(b"Kids")
        .ok()
        .and_then(|o| doc.dereference(o).ok())
        .and_then(|(_, o)| o.as_array().ok())
    {
        for k in kids {
            walk(doc, k, name.as_deref(), ft, depth + 1, seen, out);
        }
    }
}

fn read_sig(doc: &Document, v: &Dictionary, field: Option<String>) -> SigDict {
    let get = |key: &[u8]| {
        v.get(key)
            .ok()
            .and_then(|o| doc.dereference(o).ok())
            .map(|(_, o)| o)
    };
    let string = |key: &[u8]| get(key).and_then(|o| o.as_str().ok()).map(text_string);
    let name = |key: &[u8]| {
        get(key)
            .and_then(|o| o.as_name().ok())
            .map(|n| String::from_utf8_lossy(n).into_owned())
    };
    let byte_range = get(b"ByteRange").and_then(|o| o.as_array().ok()).map(|a| {
        a.iter()
            .map(|x| x.as_i64().unwrap_or(-1))
            .collect::<Vec<_>>()
    });
    let contents = get(b"Contents").and_then(|o| o.as_str().ok());
    let contents_too_large = contents.is_some_and(|c| c.len() > MAX_CONTENTS);
    SigDict {
        field,
        byte_range,
        contents: contents.filter(|_| !contents_too_large).map(<[u8]>::to_vec),
        contents_too_large,
        sub_filter: name(b"SubFilter"),
        doc_timestamp: name(b"Type").as_deref() == Some("DocTimeStamp"),
        time: string(b"M"),
        reason: string(b"Reason"),
        location: string(b"Location"),
    }
}

/// Decodes a PDF text string: UTF-16BE with BOM, UTF-8 with BOM (PDF 2.0), else
/// PDFDocEncoding (Latin-1 for the characters that matter here).
pub(crate) fn text_string(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        return String::from_utf16_lossy(&units);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return String::from_utf8_lossy(rest).into_owned();
    }
    bytes.iter().map(|&b| b as char).collect()
}

/// Parses a PDF date (`D:YYYYMMDDHHmmSS+HH'mm'`, every part after the year optional).
pub(crate) fn pdf_date(s: &str) -> Option<time::OffsetDateTime> {
    let s = s.strip_prefix("D:").unwrap_or(s);
    let digits = |from: usize, len: usize, default: u32| -> Option<u32> {
        match s.get(from..from + len) {
            Some(d) if d.bytes().all(|b| b.is_ascii_digit()) => d.parse().ok(),
            Some(_) => None,
            None => Some(default),
        }
    };
    let year = i32::try_from(digits(0, 4, 0)?).ok()?;
    if s.len() < 4 {
        return None;
    }
    let month = time::Month::try_from(u8::try_from(digits(4, 2, 1)?).ok()?).ok()?;
    let day = u8::try_from(digits(6, 2, 1)?).ok()?;
    let hour = u8::try_from(digits(8, 2, 0)?).ok()?;
    let minute = u8::try_from(digits(10, 2, 0)?).ok()?;
    let second = u8::try_from(digits(12, 2, 0)?).ok()?;
    let date = time::Date::from_calendar_date(year, month, day).ok()?;
    let t = time::Time::from_hms(hour, minute, second).ok()?;
    let rest = s.get(14..).unwrap_or("");
    let offset = match rest.chars().next() {
        Some(sign @ ('+' | '-')) => {
            let tz: String = rest[1..].chars().filter(char::is_ascii_digit).collect();
            let h: i8 = tz.get(0..2)?.parse().ok()?;
            let m: i8 = tz.get(2..4).and_then(|m| m.parse().ok()).unwrap_or(0);
            let (h, m) = if sign == '-' { (-h, -m) } else { (h, m) };
            time::UtcOffset::from_hms(h, m, 0).ok()?
        }
        _ => time::UtcOffset::UTC,
    };
    Some(time::PrimitiveDateTime::new(date, t).assume_offset(offset))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_dates() {
        let d = pdf_date("D:20250314093000+07'00'").map(|d| d.unix_timestamp());
        assert_eq!(d, Some(1_741_919_400));
        assert_eq!(
            pdf_date("D:20250314023000Z").map(|d| d.unix_timestamp()),
            Some(1_741_919_400)
        );
        assert!(pdf_date("garbage").is_none());
    }

    #[test]
    fn text_strings() {
        assert_eq!(text_string(b"\xFE\xFF\x00N\x1E\xCB"), "Nị");
        assert_eq!(text_string(b"Approved"), "Approved");
    }
}
