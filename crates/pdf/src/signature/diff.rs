//! What the revisions after a signature changed.
//!
//! A signature covers the file as it was when it was made (its revision). Later
//! incremental updates are normal when more people sign — the signer, then the office's
//! seal (văn thư) — but an update may also change what the earlier signer signed: a page's
//! content, an annotation drawn over it. Compared object by object with the signed
//! revision, the final document may only have:
//! - new objects (reachable only through the changes below);
//! - the catalog changed in /AcroForm, /DSS, /Extensions, /Version or /Metadata only;
//! - the form's /Fields grown by signature fields, and its /SigFlags, /DR, /DA;
//! - pages changed in /Annots only, grown by signature widgets;
//! - an empty signature field filled in (/V, /AP);
//! - the document information dictionary and XMP metadata, and xref / object streams
//!   (containers).
//!
//! Anything else is a change the earlier signer did not sign. (A simplified form of
//! pyHanko's difference analysis; DocMDP permissions are not read.)

use std::collections::HashSet;

use lopdf::{Dictionary, Document, Object, ObjectId};

/// Why the final document differs from the revision `signed` beyond adding signatures,
/// or `None` when it does not.
pub(crate) fn changes_beyond_signing(signed: &Document, fin: &Document) -> Option<String> {
    let root = |d: &Document| d.trailer.get(b"Root").and_then(Object::as_reference).ok();
    let Some(root_id) = root(signed) else {
        return Some("the signed revision has no catalog".into());
    };
    if root(fin) != Some(root_id) {
        return Some("a later revision replaced the document catalog".into());
    }
    let info_id = fin.trailer.get(b"Info").and_then(Object::as_reference).ok();
    let form_ref = |d: &Document| {
        d.get_dictionary(root_id)
            .ok()?
            .get(b"AcroForm")
            .ok()?
            .as_reference()
            .ok()
    };
    let form_id = form_ref(signed).or_else(|| form_ref(fin));
    let fields_ref = |d: &Document| {
        let form = match form_id {
            Some(id) => d.get_dictionary(id).ok()?,
            None => d
                .get_dictionary(root_id)
                .ok()?
                .get(b"AcroForm")
                .ok()?
                .as_dict()
                .ok()?,
        };
        form.get(b"Fields").ok()?.as_reference().ok()
    };
    let fields_id = fields_ref(signed).or_else(|| fields_ref(fin));
    // Arrays of annotations held as their own objects, by the pages that point to them.
    let annots_ids: HashSet<ObjectId> = signed
        .objects
        .values()
        .chain(fin.objects.values())
        .filter_map(|o| o.as_dict().ok())
        .filter(|d| d.has_type(b"Page"))
        .filter_map(|d| d.get(b"Annots").ok()?.as_reference().ok())
        .collect();

    for (id, new) in &fin.objects {
        let Some(old) = signed.objects.get(id) else {
            continue;
        };
        if same(old, new) || container(old) {
            continue;
        }
        let what = |role: &str| {
            let keys = match (dict(old), dict(new)) {
                (Some(o), Some(n)) if !matches!(new, Object::Stream(_)) => changed_keys(o, n)
                    .iter()
                    .map(|k| format!("/{}", String::from_utf8_lossy(k)))
                    .collect::<Vec<_>>()
                    .join(" "),
                _ => String::new(),
            };
            let keys = if keys.is_empty() {
                String::new()
            } else {
                format!(": {keys}")
            };
            Some(format!(
                "a later revision changed {role} (object {}{keys})",
                id.0
            ))
        };
        if *id == root_id {
            if !only_keys_differ(
                old,
                new,
                &[b"AcroForm", b"DSS", b"Extensions", b"Version", b"Metadata"],
            ) {
                return what("the document catalog");
            }
            // An inline form in the catalog: its fields may only grow by signatures.
            if form_id.is_none() && !form_grew_by_signatures(fin, old, new, true) {
                return what("the form");
            }
        } else if Some(*id) == form_id {
            if !form_grew_by_signatures(fin, old, new, false) {
                return what("the form");
            }
        } else if Some(*id) == fields_id || annots_ids.contains(id) {
            if !array_grew_by_signatures(fin, old.as_array().ok(), new.as_array().ok()) {
                return what("a list of form fields or annotations");
            }
        } else if Some(*id) == info_id || dict(old).is_some_and(|d| d.has_type(b"Metadata")) {
            // Title, producer, dates: nothing a reader sees on the pages.
        } else if is_page(old) {
            fn annots(o: &Object) -> Option<&Object> {
                o.as_dict().ok()?.get(b"Annots").ok()
            }
            let grew = match (annots(old), annots(new)) {
                (_, Some(Object::Reference(_))) => true, // checked as its own object
                (None, Some(Object::Array(n))) => array_grew_by_signatures(fin, None, Some(n)),
                (Some(Object::Array(o)), Some(Object::Array(n))) => {
                    array_grew_by_signatures(fin, Some(o), Some(n))
                }
                _ => false,
            };
            if !only_keys_differ(old, new, &[b"Annots"]) || !grew {
                return what(&format!("page {}", page_number(fin, *id)));
            }
        } else if !signature_field_filled(old, new) {
            return what(&format!("a {}", kind(old)));
        }
    }
    for (id, old) in &signed.objects {
        if !fin.objects.contains_key(id) && !container(old) {
            return Some(format!(
                "a later revision removed object {} ({})",
                id.0,
                kind(old)
            ));
        }
    }
    None
}

/// Equal as PDF objects (a stream's position in the file does not count).
fn same(a: &Object, b: &Object) -> bool {
    match (a, b) {
        (Object::Stream(x), Object::Stream(y)) => x.dict == y.dict && x.content == y.content,
        _ => a == b,
    }
}

fn dict(o: &Object) -> Option<&Dictionary> {
    match o {
        Object::Dictionary(d) => Some(d),
        Object::Stream(s) => Some(&s.dict),
        _ => None,
    }
}

/// Cross-reference and object streams only hold other objects.
fn container(o: &Object) -> bool {
    dict(o).is_some_and(|d| d.has_type(b"XRef") || d.has_type(b"ObjStm"))
}

fn is_page(o: &Object) -> bool {
    dict(o).is_some_and(|d| d.has_type(b"Page"))
}

fn kind(o: &Object) -> String {
    match dict(o).and_then(|d| d.get(b"Type").ok()?.as_name().ok()) {
        Some(t) => format!("/{}", String::from_utf8_lossy(t)),
        None if matches!(o, Object::Stream(_)) => "stream".into(),
        None => "object".into(),
    }
}

fn page_number(doc: &Document, id: ObjectId) -> String {
    doc.get_pages()
        .into_iter()
        .find(|(_, p)| *p == id)
        .map_or_else(|| format!("object {}", id.0), |(n, _)| n.to_string())
}

/// Both dictionaries, differing in `keys` at most.
fn only_keys_differ(old: &Object, new: &Object, keys: &[&[u8]]) -> bool {
    if matches!(old, Object::Stream(_)) || matches!(new, Object::Stream(_)) {
        return false;
    }
    let (Some(o), Some(n)) = (dict(old), dict(new)) else {
        return false;
    };
    changed_keys(o, n)
        .iter()
        .all(|k| keys.contains(&k.as_slice()))
}

/// The keys whose values differ between two dictionaries (added and removed ones too).
fn changed_keys(o: &Dictionary, n: &Dictionary) -> Vec<Vec<u8>> {
    let mut keys: Vec<Vec<u8>> = o
        .iter()
        .chain(n.iter())
        .map(|(k, _)| k.clone())
        .filter(|k| match (o.get(k).ok(), n.get(k).ok()) {
            (Some(a), Some(b)) => !same(a, b),
            _ => true,
        })
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// The form dictionary (or, `in_catalog`, the catalog holding it inline) changed only by
/// new signature fields and the entries signing sets.
fn form_grew_by_signatures(fin: &Document, old: &Object, new: &Object, in_catalog: bool) -> bool {
    let form = |o: &Object| -> Option<Dictionary> {
        let d = dict(o)?;
        if in_catalog {
            return match d.get(b"AcroForm").ok()? {
                Object::Dictionary(f) => Some(f.clone()),
                _ => None,
            };
        }
        Some(d.clone())
    };
    let (old_form, new_form) = match (form(old), form(new)) {
        (Some(o), Some(n)) => (o, n),
        (None, Some(n)) if in_catalog => (Dictionary::new(), n),
        (None, None) if in_catalog => return true,
        _ => return false,
    };
    let (o, n) = (
        Object::Dictionary(old_form.clone()),
        Object::Dictionary(new_form.clone()),
    );
    if !only_keys_differ(&o, &n, &[b"Fields", b"SigFlags", b"DR", b"DA"]) {
        return false;
    }
    match (old_form.get(b"Fields").ok(), new_form.get(b"Fields").ok()) {
        (_, Some(Object::Reference(_))) => true, // checked as its own object
        (Some(Object::Array(a)), Some(Object::Array(b))) => {
            array_grew_by_signatures(fin, Some(a), Some(b))
        }
        (None, Some(Object::Array(b))) => array_grew_by_signatures(fin, None, Some(b)),
        (None, None) => true,
        _ => false,
    }
}

/// `new` keeps every entry of `old` and adds only signature fields or widgets.
fn array_grew_by_signatures(
    fin: &Document,
    old: Option<&Vec<Object>>,
    new: Option<&Vec<Object>>,
) -> bool {
    let (old, Some(new)) = (old.map(Vec::as_slice).unwrap_or_default(), new) else {
        return false;
    };
    if !old.iter().all(|o| new.contains(o)) {
        return false;
    }
    new.iter()
        .filter(|o| !old.contains(o))
        .all(|o| is_signature_field(fin, o, 0))
}

/// A signature field, or the widget of one.
fn is_signature_field(doc: &Document, o: &Object, depth: u8) -> bool {
    let Some(d) = doc.dereference(o).ok().and_then(|(_, o)| dict(o)) else {
        return false;
    };
    if d.get(b"FT").and_then(Object::as_name).ok() == Some(b"Sig".as_slice()) {
        return true;
    }
    depth < 4
        && d.get(b"Subtype").and_then(Object::as_name).ok() == Some(b"Widget".as_slice())
        && d.get(b"Parent")
            .is_ok_and(|p| is_signature_field(doc, p, depth + 1))
}

/// An empty signature field (its widget merged in or not) given its value and appearance.
fn signature_field_filled(old: &Object, new: &Object) -> bool {
    let (Some(o), Some(_)) = (dict(old), dict(new)) else {
        return false;
    };
    o.get(b"FT").and_then(Object::as_name).ok() == Some(b"Sig".as_slice())
        && o.get(b"V").is_err()
        && only_keys_differ(old, new, &[b"V", b"AP"])
}
