//! Trusted roots and certificate paths.

use std::path::Path;

use const_oid::db::rfc4519;
use der::{Decode, DecodePem, Encode};
use x509_cert::Certificate;
use x509_cert::ext::pkix::name::DirectoryString;
use x509_cert::ext::pkix::{BasicConstraints, KeyUsage};
use x509_cert::name::Name;

use super::crypto::{SigError, verify_signature};
use crate::PdfError;

/// The certificates a signature must chain to: in production the Vietnamese national
/// CAs, in tests the fixture PKI's roots.
#[derive(Debug, Clone, Default)]
pub struct TrustStore {
    roots: Vec<Certificate>,
}

impl TrustStore {
    /// Loads every certificate in `dir` (files in PEM, possibly several per file, or DER).
    /// Files that hold no certificate are skipped; a file that looks like one and fails to
    /// parse is an error, so a broken store is noticed.
    pub fn from_dir(dir: &Path) -> Result<TrustStore, PdfError> {
        let err = |why: String| PdfError::TrustStore {
            path: dir.to_path_buf(),
            why,
        };
        let entries = std::fs::read_dir(dir).map_err(|e| err(e.to_string()))?;
        let mut roots = Vec::new();
        let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for path in paths {
            if !path.is_file() {
                continue;
            }
            let bytes =
                std::fs::read(&path).map_err(|e| err(format!("{}: {e}", path.display())))?;
            let found =
                parse_certificates(&bytes).map_err(|e| err(format!("{}: {e}", path.display())))?;
            roots.extend(found);
        }
        Ok(TrustStore { roots })
    }

    /// A store holding exactly these roots.
    pub fn from_certificates(roots: Vec<Certificate>) -> TrustStore {
        TrustStore { roots }
    }

    pub fn len(&self) -> usize {
        self.roots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.roots.is_empty()
    }

    pub(crate) fn roots(&self) -> &[Certificate] {
        &self.roots
    }
}

fn parse_certificates(bytes: &[u8]) -> Result<Vec<Certificate>, String> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    if let Ok(text) = std::str::from_utf8(bytes) {
        let mut out = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find(BEGIN) {
            let after = &rest[start..];
            let end = after.find(END).ok_or("unterminated PEM certificate")? + END.len();
            let cert =
                Certificate::from_pem(&after.as_bytes()[..end]).map_err(|e| e.to_string())?;
            out.push(cert);
            rest = &after[end..];
        }
        return Ok(out);
    }
    // Binary: a DER certificate starts with a SEQUENCE.
    if bytes.first() == Some(&0x30) {
        return Certificate::from_der(bytes)
            .map(|c| vec![c])
            .map_err(|e| e.to_string());
    }
    Ok(Vec::new())
}

/// The outcome of building a path from a signer certificate to a trusted root.
pub(crate) enum Path_ {
    /// Signer first, root last.
    Trusted(Vec<Certificate>),
    /// No path to a trusted root; the text names where the path ended.
    Untrusted(String),
    /// A certificate on the way is signed with something we cannot check.
    Unsupported(String),
    /// A certificate names a trusted root as its issuer, but that root's key did not
    /// sign it: a forgery (or a root re-keyed under the same name, not in the store).
    Forged(String),
}

/// Certificates' to-be-signed bytes as sent, by their signature value (several
/// certificates may claim one signature value).
pub(crate) type RawTbs = std::collections::HashMap<Vec<u8>, Vec<Vec<u8>>>;

/// The bytes `cert`'s issuer signed: as sent when known, else re-encoded. Bytes as sent
/// count only when they decode to this very certificate's contents: a forger could
/// carry a genuine certificate beside a fake one with the same signature value.
fn signed_part(cert: &Certificate, raw: &RawTbs) -> Option<Vec<u8>> {
    raw.get(cert.signature.raw_bytes())
        .into_iter()
        .flatten()
        .find(|bytes| {
            x509_cert::TbsCertificate::from_der(bytes).is_ok_and(|t| t == cert.tbs_certificate)
        })
        .cloned()
        .or_else(|| cert.tbs_certificate.to_der().ok())
}

pub(crate) fn build_path(
    signer: &Certificate,
    pool: &[Certificate],
    store: &TrustStore,
    raw: &RawTbs,
) -> Path_ {
    let mut chain = vec![signer.clone()];
    let mut current = signer.clone();
    for _ in 0..16 {
        if store.roots().iter().any(|r| same_cert(r, &current)) {
            return Path_::Trusted(chain);
        }
        let issuer_name = &current.tbs_certificate.issuer;
        let mut unsupported = None;
        let mut refused_by_root = None;
        // Roots first: a path that reaches the store is the one we want.
        let mut next = None;
        for cand in store.roots().iter().chain(pool.iter()) {
            if cand.tbs_certificate.subject != *issuer_name || same_cert(cand, &current) {
                continue;
            }
            if !is_ca(cand, store) {
                continue;
            }
            match verify_signature(
                &cand.tbs_certificate.subject_public_key_info,
                &current.signature_algorithm,
                None,
                &match signed_part(&current, raw) {
                    Some(d) => d,
                    None => continue,
                },
                current.signature.raw_bytes(),
            ) {
                Ok(_) => {
                    next = Some(cand.clone());
                    break;
                }
                Err(SigError::Unsupported(why)) => unsupported = Some(why),
                Err(SigError::Bad(_)) => {
                    if store.roots().iter().any(|r| same_cert(r, cand)) {
                        refused_by_root = Some(display_name(&cand.tbs_certificate.subject));
                    }
                }
            }
        }
        match next {
            Some(n) => {
                let trusted = store.roots().iter().any(|r| same_cert(r, &n));
                chain.push(n.clone());
                if trusted {
                    return Path_::Trusted(chain);
                }
                current = n;
            }
            None => {
                if let Some(why) = unsupported {
                    return Path_::Unsupported(format!("certificate chain: {why}"));
                }
                if let Some(root) = refused_by_root {
                    return Path_::Forged(format!(
                        "the certificate of \"{}\" claims to be issued by the trusted root \"{root}\", but that root did not sign it",
                        display_name(&current.tbs_certificate.subject)
                    ));
                }
                let top = display_name(&current.tbs_certificate.subject);
                return Path_::Untrusted(
                    if current.tbs_certificate.subject == current.tbs_certificate.issuer {
                        format!(
                            "the certificate chain ends at root \"{top}\", which is not in the trust store"
                        )
                    } else {
                        format!(
                            "no issuer found for \"{top}\" (issued by \"{}\") in the signature or the trust store",
                            display_name(&current.tbs_certificate.issuer)
                        )
                    },
                );
            }
        }
    }
    Path_::Untrusted("certificate chain too long".into())
}

/// The same certificate, every field of it. (Serial, issuer and signature bytes alone are
/// public: a certificate that copies them from a root with its own subject and key is
/// not that root.)
fn same_cert(a: &Certificate, b: &Certificate) -> bool {
    a == b
}

/// A certificate may issue others when it says cA=TRUE and, when it lists its key's
/// uses, keyCertSign among them. A v1 certificate (no extensions) issues only when it is
/// a trusted root itself, as old roots are.
fn is_ca(cert: &Certificate, store: &TrustStore) -> bool {
    let Some(exts) = &cert.tbs_certificate.extensions else {
        return store.roots().iter().any(|r| same_cert(r, cert));
    };
    let ca = match exts
        .iter()
        .find(|e| e.extn_id == const_oid::db::rfc5280::ID_CE_BASIC_CONSTRAINTS)
    {
        Some(e) => BasicConstraints::from_der(e.extn_value.as_bytes())
            .map(|bc| bc.ca)
            .unwrap_or(false),
        None => false,
    };
    ca && key_usage(cert).is_none_or(|ku| ku.key_cert_sign())
}

/// The certificate's key usage extension, when it has one (a broken one allows nothing).
pub(crate) fn key_usage(cert: &Certificate) -> Option<KeyUsage> {
    let e = cert
        .tbs_certificate
        .extensions
        .as_ref()?
        .iter()
        .find(|e| e.extn_id == const_oid::db::rfc5280::ID_CE_KEY_USAGE)?;
    Some(KeyUsage::from_der(e.extn_value.as_bytes()).unwrap_or(KeyUsage(Default::default())))
}

/// Value of the first attribute `oid` in a name (CN, O …).
pub(crate) fn name_attr(name: &Name, oid: const_oid::ObjectIdentifier) -> Option<String> {
    for rdn in name.0.iter() {
        for atv in rdn.0.iter() {
            if atv.oid != oid {
                continue;
            }
            if let Ok(ds) = atv
                .value
                .to_der()
                .and_then(|d| DirectoryString::from_der(&d))
            {
                return Some(match ds {
                    DirectoryString::PrintableString(s) => s.to_string(),
                    DirectoryString::TeletexString(s) => s.to_string(),
                    DirectoryString::Utf8String(s) => s,
                });
            }
            if let Ok(s) = atv.value.decode_as::<der::asn1::Ia5String>() {
                return Some(s.to_string());
            }
            if let Ok(s) = atv.value.decode_as::<der::asn1::BmpString>() {
                return Some(s.to_string());
            }
        }
    }
    None
}

pub(crate) fn display_name(name: &Name) -> String {
    name_attr(name, rfc4519::CN)
        .or_else(|| name_attr(name, rfc4519::O))
        .unwrap_or_else(|| name.to_string())
}
