//! What the revisions after a signature changed.
//!
//! A signature covers the file as it was when it was made (its revision). Later
//! incremental updates are normal when more people sign — the signer, then the office's
//! seal (văn thư) — or when validation data is added, but an update may also change what
//! the earlier signer signed: a page's content, an annotation drawn over it. Compared
//! object by object with the signed revision, the final document may only have:
//! - the catalog changed in /AcroForm, /DSS, /Extensions, /Version or /Metadata only;
//! - the form's /Fields grown by signature fields, and its /SigFlags, /DR, /DA;
//! - pages changed in /Annots only, grown by signature widgets;
//! - an empty signature field filled in (/V, /AP), or its separate widget given an
//!   appearance;
//! - the document information dictionary, XMP metadata, the document security store
//!   (/DSS: certificates and revocation data), and xref / object streams (containers);
//! - new objects, reachable only through the changes above (a list or a form that a
//!   changed entry points to anew is checked as that entry would be).
//!
//! Every object's role (form, field list, annotation list, information dictionary, DSS)
//! is read from the signed revision, never from the later one, which could otherwise
//! name a page's content stream as its "information dictionary". Anything else is a
//! change the earlier signer did not sign. (A simplified form of pyHanko's difference
//! analysis; DocMDP permissions are not read.)

use std::collections::HashSet;

use lopdf::{Dictionary, Document, Object, ObjectId};

/// The roles objects of the signed revision play.
struct Roles {
    root: ObjectId,
    info: Option<ObjectId>,
    form: Option<ObjectId>,
    fields: Option<ObjectId>,
    /// Annotation arrays held as their own objects, by the signed revision's pages.
    annots: HashSet<ObjectId>,
    dss: Option<ObjectId>,
    /// The DSS's arrays and VRI dictionary held as their own objects.
    dss_parts: HashSet<ObjectId>,
    /// Widgets of signature fields (annotations whose parent is a signature field).
    sig_widgets: HashSet<ObjectId>,
}

fn reference(d: &Dictionary, key: &[u8]) -> Option<ObjectId> {
    d.get(key).ok()?.as_reference().ok()
}

impl Roles {
    fn of(signed: &Document) -> Option<Roles> {
        let root = signed.trailer.get(b"Root").ok()?.as_reference().ok()?;
        let catalog = signed.get_dictionary(root).ok()?;
        // The information dictionary: a plain dictionary, nothing a page draws.
        let info = signed
            .trailer
            .get(b"Info")
            .and_then(Object::as_reference)
            .ok()
            .filter(|id| {
                matches!(signed.objects.get(id), Some(Object::Dictionary(d))
                    if !d.has_type(b"Page") && !d.has_type(b"Pages") && !d.has_type(b"Catalog"))
            });
        let form = reference(catalog, b"AcroForm");
        let form_dict = match form {
            Some(id) => signed.get_dictionary(id).ok(),
            None => catalog.get(b"AcroForm").and_then(Object::as_dict).ok(),
        };
        let fields = form_dict.and_then(|f| reference(f, b"Fields"));
        let pages = signed.get_pages();
        let annots = pages
            .values()
            .filter_map(|id| reference(signed.get_dictionary(*id).ok()?, b"Annots"))
            .collect();
        let dss = reference(catalog, b"DSS");
        let dss_parts = dss
            .and_then(|id| signed.get_dictionary(id).ok())
            .map(|d| {
                [b"Certs".as_slice(), b"OCSPs", b"CRLs", b"VRI"]
                    .iter()
                    .filter_map(|k| reference(d, k))
                    .collect()
            })
            .unwrap_or_default();
        let sig_widgets = signed
            .objects
            .iter()
            .filter(|(_, o)| {
                dict(o).is_some_and(|d| {
                    d.get(b"Subtype").and_then(Object::as_name).ok() == Some(b"Widget".as_slice())
                        && d.get(b"Parent").is_ok_and(|p| is_sig_field(signed, p))
                })
            })
            .map(|(id, _)| *id)
            .collect();
        Some(Roles {
            root,
            info,
            form,
            fields,
            annots,
            dss,
            dss_parts,
            sig_widgets,
        })
    }
}

/// Why the final document differs from the revision `signed` beyond adding signatures,
/// or `None` when it does not.
pub(crate) fn changes_beyond_signing(signed: &Document, fin: &Document) -> Option<String> {
    let Some(roles) = Roles::of(signed) else {
        return Some("the signed revision has no catalog".into());
    };
    if fin.trailer.get(b"Root").and_then(Object::as_reference).ok() != Some(roles.root) {
        return Some("a later revision replaced the document catalog".into());
    }

    for (id, new) in &fin.objects {
        let Some(old) = signed.objects.get(id) else {
            continue;
        };
        if same(old, new) || container(old) {
            continue;
        }
        let what = |role: &str| {
            let keys = match (old, new) {
                (Object::Dictionary(o), Object::Dictionary(n)) => changed_keys(o, n)
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
        let ok = if *id == roles.root {
            catalog_change_ok(signed, fin, &roles, old, new)
        } else if Some(*id) == roles.form {
            form_ok(signed, fin, old, new)
        } else if Some(*id) == roles.fields || roles.annots.contains(id) {
            list_grew_by_signatures(
                fin,
                old.as_array().ok(),
                new.as_array().ok(),
                roles.annots.contains(id),
            )
        } else if Some(*id) == roles.info {
            matches!(new, Object::Dictionary(_))
        } else if Some(*id) == roles.dss {
            only_keys_differ(old, new, &[b"Type", b"Certs", b"OCSPs", b"CRLs", b"VRI"])
        } else if roles.dss_parts.contains(id) {
            // Certificates and revocation data: lists and a dictionary of them.
            matches!(
                (old, new),
                (Object::Array(_), Object::Array(_))
                    | (Object::Dictionary(_), Object::Dictionary(_))
            )
        } else if is_page(old) {
            page_change_ok(signed, fin, old, new)
        } else if roles.sig_widgets.contains(id) {
            only_keys_differ(old, new, &[b"AP", b"AS"])
        } else if dict(old).is_some_and(|d| d.has_type(b"Metadata")) {
            // XMP: nothing a reader sees on the pages.
            matches!(new, Object::Stream(_))
        } else {
            signature_field_filled(old, new)
        };
        if !ok {
            let role = if *id == roles.root {
                "the document catalog".to_owned()
            } else if Some(*id) == roles.form {
                "the form".to_owned()
            } else if is_page(old) {
                format!("page {}", page_number(fin, *id))
            } else {
                format!("a {}", kind(old))
            };
            return what(&role);
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

/// Both plain dictionaries (not streams), differing in `keys` at most.
fn only_keys_differ(old: &Object, new: &Object, keys: &[&[u8]]) -> bool {
    let (Object::Dictionary(o), Object::Dictionary(n)) = (old, new) else {
        return false;
    };
    changed_keys(o, n)
        .iter()
        .all(|k| keys.contains(&k.as_slice()))
}

/// An array, directly or through a reference, in `doc`.
fn array_in<'a>(doc: &'a Document, o: Option<&'a Object>) -> Option<&'a Vec<Object>> {
    match o? {
        Object::Array(a) => Some(a),
        Object::Reference(id) => doc.objects.get(id)?.as_array().ok(),
        _ => None,
    }
}

/// The catalog changed only in what signing and validation data may change; a form it
/// now holds (inline, or as a new object) is checked as the form.
fn catalog_change_ok(
    signed: &Document,
    fin: &Document,
    roles: &Roles,
    old: &Object,
    new: &Object,
) -> bool {
    if !only_keys_differ(
        old,
        new,
        &[b"AcroForm", b"DSS", b"Extensions", b"Version", b"Metadata"],
    ) {
        return false;
    }
    let (Object::Dictionary(o), Object::Dictionary(n)) = (old, new) else {
        return false;
    };
    let (old_form, new_form) = (o.get(b"AcroForm").ok(), n.get(b"AcroForm").ok());
    if old_form == new_form {
        return true;
    }
    match (old_form, new_form) {
        // The signed revision's form object, kept: checked as its own object.
        (_, Some(Object::Reference(id))) if Some(*id) == roles.form => true,
        // A form added or replaced: it may only hold signature fields.
        (old_form, Some(new_form)) => {
            let old_form = old_form
                .and_then(|f| resolve(signed, f))
                .cloned()
                .unwrap_or(Object::Dictionary(Dictionary::new()));
            match resolve(fin, new_form) {
                Some(new_form) => form_ok(signed, fin, &old_form, new_form),
                None => false,
            }
        }
        (Some(_), None) => false,
        (None, None) => true,
    }
}

fn resolve<'a>(doc: &'a Document, o: &'a Object) -> Option<&'a Object> {
    match o {
        Object::Reference(id) => doc.objects.get(id),
        other => Some(other),
    }
}

/// The form dictionary changed only by new signature fields and the entries signing
/// sets.
fn form_ok(signed: &Document, fin: &Document, old: &Object, new: &Object) -> bool {
    if !only_keys_differ(old, new, &[b"Fields", b"SigFlags", b"DR", b"DA"]) {
        return false;
    }
    let (Object::Dictionary(o), Object::Dictionary(n)) = (old, new) else {
        return false;
    };
    let (old_fields, new_fields) = (o.get(b"Fields").ok(), n.get(b"Fields").ok());
    if old_fields == new_fields {
        // The same inline list, or the same list object (checked as its own object).
        return true;
    }
    list_grew_by_signatures(
        fin,
        array_in(signed, old_fields),
        array_in(fin, new_fields),
        false,
    )
}

/// A page changed only by signature widgets added to its annotations.
fn page_change_ok(signed: &Document, fin: &Document, old: &Object, new: &Object) -> bool {
    if !only_keys_differ(old, new, &[b"Annots"]) {
        return false;
    }
    let annots = |o: &Object| dict(o).and_then(|d| d.get(b"Annots").ok()).cloned();
    let (old_annots, new_annots) = (annots(old), annots(new));
    if old_annots == new_annots {
        return true;
    }
    list_grew_by_signatures(
        fin,
        array_in(signed, old_annots.as_ref()),
        array_in(fin, new_annots.as_ref()),
        true,
    )
}

/// `new` keeps every entry of `old` and adds only signature fields — as `widgets`,
/// signature widgets (annotations of subtype /Widget).
fn list_grew_by_signatures(
    fin: &Document,
    old: Option<&Vec<Object>>,
    new: Option<&Vec<Object>>,
    widgets: bool,
) -> bool {
    let (old, Some(new)) = (old.map(Vec::as_slice).unwrap_or_default(), new) else {
        return false;
    };
    // References by id (sets: lists can be long), anything else by value.
    let ids = |l: &[Object]| -> HashSet<ObjectId> {
        l.iter().filter_map(|o| o.as_reference().ok()).collect()
    };
    let (old_ids, new_ids) = (ids(old), ids(new));
    let kept = old.iter().all(|o| match o {
        Object::Reference(id) => new_ids.contains(id),
        other => new.contains(other),
    });
    kept && new
        .iter()
        .filter(|o| match o {
            Object::Reference(id) => !old_ids.contains(id),
            other => !old.contains(other),
        })
        .all(|o| {
            if widgets {
                is_sig_widget(fin, o)
            } else {
                is_sig_field(fin, o)
            }
        })
}

fn field_type(d: &Dictionary) -> Option<&[u8]> {
    d.get(b"FT").and_then(Object::as_name).ok()
}

/// A signature field (a dictionary of /FT /Sig).
fn is_sig_field(doc: &Document, o: &Object) -> bool {
    matches!(resolve(doc, o), Some(Object::Dictionary(d)) if field_type(d) == Some(b"Sig".as_slice()))
}

/// A widget annotation of a signature field: merged with it, or its kid.
fn is_sig_widget(doc: &Document, o: &Object) -> bool {
    let Some(Object::Dictionary(d)) = resolve(doc, o) else {
        return false;
    };
    d.get(b"Subtype").and_then(Object::as_name).ok() == Some(b"Widget".as_slice())
        && (field_type(d) == Some(b"Sig".as_slice())
            || d.get(b"Parent").is_ok_and(|p| is_sig_field(doc, p)))
}

/// An empty signature field (its widget merged in or not) given its value and appearance.
fn signature_field_filled(old: &Object, new: &Object) -> bool {
    let Object::Dictionary(o) = old else {
        return false;
    };
    field_type(o) == Some(b"Sig".as_slice())
        && o.get(b"V").is_err()
        && only_keys_differ(old, new, &[b"V", b"AP", b"AS"])
}
