//! PDF signature (ký số) verification.
//!
//! For each signature field: the ByteRange is sane (starts at 0, its gap is exactly the
//! /Contents hex string, it stays inside the file); the CMS messageDigest equals the
//! digest of the signed ranges; the signature over the signed attributes verifies with
//! the signer's certificate; the certificate chains to a root of the [`TrustStore`] and
//! every certificate on the path was valid at the signing time. The document is
//! modified-after-signing when a digest does not match or bytes follow the last
//! signature's range.
//!
//! The revisions after a signature may only add signatures (see [`diff`]); anything else
//! they change makes the document modified-after-signing too.
//!
//! Not checked (yet): revocation (CRL/OCSP), RFC 3161 timestamps (the claimed signing
//! time is used), DocMDP permissions.

mod crypto;
mod diff;
mod extract;
mod trust;

use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier, SignerInfo};
use const_oid::ObjectIdentifier;
use const_oid::db::{rfc4519, rfc5911, rfc5912};
use der::asn1::{AnyRef, OctetString};
use der::{Decode, Encode, Reader, SliceReader, Tag, TagNumber, Tagged};
use serde::Serialize;
use x509_cert::Certificate;
use x509_cert::time::Time;

use self::crypto::{DigestAlg, SigError, oid_name, verify_signature};
use self::extract::SigDict;
pub use self::trust::TrustStore;
use self::trust::{Path_, build_path, display_name, key_usage, name_attr};
use crate::PdfError;

/// The verdict on one signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Intact, cryptographically correct, chained to a trusted root, valid at signing time.
    Valid,
    /// Broken: the signed bytes changed, the signature is wrong, the structure is bad, or
    /// a certificate was not valid at signing time.
    Invalid,
    /// Correct, but the signer's certificate does not chain to the trust store.
    Untrusted,
    /// Uses a format or algorithm we cannot check.
    Unsupported,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Valid => "valid",
            Verdict::Invalid => "invalid",
            Verdict::Untrusted => "untrusted",
            Verdict::Unsupported => "unsupported",
        }
    }
}

/// The verdict on the document as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DocumentVerdict {
    SignedUnmodified,
    ModifiedAfterSigning,
    Unsigned,
}

impl DocumentVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentVerdict::SignedUnmodified => "signed-unmodified",
            DocumentVerdict::ModifiedAfterSigning => "modified-after-signing",
            DocumentVerdict::Unsigned => "unsigned",
        }
    }
}

/// What we found about one signature.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SignatureReport {
    pub verdict: Verdict,
    /// Why the verdict is not `valid`; `None` when it is.
    pub why: Option<String>,
    /// Signer's common name (CN).
    pub signer: Option<String>,
    /// Signer's organisation (O).
    pub organization: Option<String>,
    /// RFC 3339 in UTC, as the signer claims it: the CMS signingTime attribute, else the
    /// signature dictionary's /M.
    pub signing_time: Option<String>,
    pub reason: Option<String>,
    pub location: Option<String>,
    /// The signature field's full name.
    pub field: Option<String>,
    pub sub_filter: Option<String>,
    /// e.g. "sha256 / RSA PKCS#1 v1.5".
    pub algorithm: Option<String>,
    /// Whether the signed ranges' digest matched (`None` when it could not be computed).
    pub intact: Option<bool>,
    /// Bytes in the file after this signature's signed range (later revisions).
    pub bytes_after: u64,
    /// What those later revisions changed beyond adding signatures, if anything.
    pub changed_after: Option<String>,
}

/// The result of verifying a document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VerifyReport {
    pub document: DocumentVerdict,
    /// In signing order.
    pub signatures: Vec<SignatureReport>,
}

/// Verifies every signature of the PDF in `bytes` against `trust`.
/// An error means the file could not be examined at all; any verdict is `Ok`.
pub fn verify_pdf(bytes: &[u8], trust: &TrustStore) -> Result<VerifyReport, PdfError> {
    let _span = tracing::debug_span!("verify_pdf", len = bytes.len()).entered();
    let doc = load(bytes)?;
    let dicts = extract::signature_dicts(&doc);
    if dicts.len() > MAX_SIGNATURES {
        return Err(PdfError::Malformed(format!(
            "{} signatures (at most {MAX_SIGNATURES} are checked)",
            dicts.len()
        )));
    }
    let mut sigs: Vec<(u64, SignatureReport)> = dicts
        .iter()
        .map(|d| {
            let r = verify_one(bytes, d, trust);
            // Signing order: by where each checked signed range ends.
            let end = (bytes.len() as u64).saturating_sub(r.report.bytes_after);
            (if r.why_range.is_some() { 0 } else { end }, r.report)
        })
        .collect();
    sigs.sort_by_key(|(end, _)| *end);
    // What the revisions after each signature changed, one comparison per revision.
    let mut revisions: std::collections::HashMap<u64, Option<String>> = Default::default();
    for (end, s) in &mut sigs {
        if *end == 0 || s.bytes_after == 0 {
            continue;
        }
        s.changed_after = revisions
            .entry(*end)
            .or_insert_with(|| match parse(&bytes[..*end as usize]) {
                Ok(signed) => diff::changes_beyond_signing(&signed, &doc),
                Err(e) => Some(format!("the signed revision does not parse: {e}")),
            })
            .clone();
    }
    let signatures: Vec<SignatureReport> = sigs.into_iter().map(|(_, s)| s).collect();
    let document = if signatures.is_empty() {
        DocumentVerdict::Unsigned
    } else if signatures
        .iter()
        .any(|s| s.intact == Some(false) || s.changed_after.is_some())
        || signatures.last().is_some_and(|s| s.bytes_after > 0)
    {
        DocumentVerdict::ModifiedAfterSigning
    } else {
        DocumentVerdict::SignedUnmodified
    };
    Ok(VerifyReport {
        document,
        signatures,
    })
}

/// Parses the PDF structure (shared with [`crate::inspect_pdf`]).
pub(crate) fn load(bytes: &[u8]) -> Result<lopdf::Document, PdfError> {
    if bytes.is_empty() {
        return Err(PdfError::Empty);
    }
    if !bytes.windows(5).take(1024).any(|w| w == b"%PDF-") {
        return Err(PdfError::Malformed("no %PDF- header".into()));
    }
    let doc = parse(bytes)?;
    if doc.trailer.get(b"Encrypt").is_ok() {
        return Err(PdfError::Encrypted);
    }
    Ok(doc)
}

/// lopdf's parse, with nesting and each stream's decompressed size bounded (lopdf's own
/// limits), refusing a file whose cross-reference data had to be rebuilt by scanning:
/// its objects may come from an older revision than the one signed.
fn parse(bytes: &[u8]) -> Result<lopdf::Document, PdfError> {
    let options = lopdf::LoadOptions {
        max_decompressed_size: Some(64 << 20),
        ..Default::default()
    };
    let doc = lopdf::Document::load_mem_with_options(bytes, options)
        .map_err(|e| PdfError::Malformed(e.to_string()))?;
    if doc.xref_recovery == Some(lopdf::xref::XrefRecovery::Reconstructed) {
        return Err(PdfError::Malformed(
            "the cross-reference table is damaged".into(),
        ));
    }
    Ok(doc)
}

/// Signature fields checked per document; more is a hostile file.
const MAX_SIGNATURES: usize = 64;
/// Certificates carried in one signature; real ones carry a chain of a few.
const MAX_CERTIFICATES: usize = 64;

struct Checked {
    report: SignatureReport,
    /// Why the /ByteRange is unusable, when it is.
    why_range: Option<String>,
}

/// Everything about one signature, checked in order; the first failure decides.
fn verify_one(file: &[u8], d: &SigDict, trust: &TrustStore) -> Checked {
    let mut r = SignatureReport {
        verdict: Verdict::Invalid,
        why: None,
        signer: None,
        organization: None,
        signing_time: d
            .time
            .as_deref()
            .and_then(extract::pdf_date)
            .map(|t| rfc3339_unix(t.unix_timestamp())),
        reason: d.reason.clone(),
        location: d.location.clone(),
        field: d.field.clone(),
        sub_filter: d.sub_filter.clone(),
        algorithm: None,
        intact: None,
        bytes_after: 0,
        changed_after: None,
    };
    // 1. ByteRange, for every kind of signature: even one we cannot check tells which
    // revision it closes.
    let (ranges, gap) = match byte_range(file, d) {
        Ok(x) => x,
        Err((verdict, why)) => {
            r.verdict = verdict;
            r.why = Some(why.clone());
            return Checked {
                report: r,
                why_range: Some(why),
            };
        }
    };
    r.bytes_after = (file.len() - ranges[1].1) as u64;
    match check(file, d, &ranges, gap, trust, &mut r) {
        Ok(()) => {
            r.verdict = Verdict::Valid;
            r.why = None;
        }
        Err((verdict, why)) => {
            r.verdict = verdict;
            r.why = Some(why);
        }
    }
    Checked {
        report: r,
        why_range: None,
    }
}

type Fail = (Verdict, String);

fn invalid(why: impl Into<String>) -> Fail {
    (Verdict::Invalid, why.into())
}

fn check(
    file: &[u8],
    d: &SigDict,
    ranges: &[(usize, usize); 2],
    gap: Vec<u8>,
    trust: &TrustStore,
    r: &mut SignatureReport,
) -> Result<(), Fail> {
    if d.doc_timestamp || d.sub_filter.as_deref() == Some("ETSI.RFC3161") {
        return Err((
            Verdict::Unsupported,
            "document timestamps (ETSI.RFC3161) are not verified".into(),
        ));
    }
    match d.sub_filter.as_deref() {
        Some("adbe.pkcs7.detached" | "ETSI.CAdES.detached") => {}
        Some(other) => {
            return Err((Verdict::Unsupported, format!("signature format {other}")));
        }
        None => return Err(invalid("signature dictionary has no /SubFilter")),
    }

    // 2. CMS structure.
    let cms = gap;
    let mut reader = SliceReader::new(&cms).map_err(|e| invalid(format!("CMS: {e}")))?;
    let ci = ContentInfo::decode(&mut reader)
        .map_err(|e| invalid(format!("CMS does not parse: {e}")))?;
    let _ = reader.remaining_len();
    if ci.content_type != rfc5911::ID_SIGNED_DATA {
        return Err(invalid(format!(
            "CMS content is {}, not signed data",
            oid_name(&ci.content_type)
        )));
    }
    let sd: SignedData = ci
        .content
        .decode_as()
        .map_err(|e| invalid(format!("CMS SignedData does not parse: {e}")))?;
    if sd.encap_content_info.econtent.is_some() {
        return Err((
            Verdict::Unsupported,
            "CMS with encapsulated content (not detached)".into(),
        ));
    }
    let certs: Vec<Certificate> = sd
        .certificates
        .as_ref()
        .map(|set| {
            set.0
                .iter()
                .filter_map(|c| match c {
                    cms::cert::CertificateChoices::Certificate(c) => Some(c.clone()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    if certs.len() > MAX_CERTIFICATES {
        return Err(invalid(format!(
            "the CMS carries {} certificates (at most {MAX_CERTIFICATES})",
            certs.len()
        )));
    }
    let si: &SignerInfo = match sd.signer_infos.0.as_slice() {
        [one] => one,
        [] => return Err(invalid("CMS has no signer")),
        _ => return Err((Verdict::Unsupported, "CMS with more than one signer".into())),
    };
    let signer_cert = certs
        .iter()
        .find(|c| identifies(&si.sid, c))
        .ok_or_else(|| invalid("the signer's certificate is not in the CMS"))?
        .clone();
    let subject = &signer_cert.tbs_certificate.subject;
    r.signer = name_attr(subject, rfc4519::CN);
    // A key for encryption or TLS only does not sign documents.
    if key_usage(&signer_cert).is_some_and(|ku| !ku.digital_signature() && !ku.non_repudiation()) {
        return Err(invalid(format!(
            "the certificate of \"{}\" is not for signing (its key usage allows neither digitalSignature nor nonRepudiation)",
            display_name(subject)
        )));
    }
    r.organization = name_attr(subject, rfc4519::O);

    // 3. Digest of the signed ranges against messageDigest.
    let digest = DigestAlg::from_oid(&si.digest_alg.oid).ok_or_else(|| {
        (
            Verdict::Unsupported,
            format!("digest algorithm {}", oid_name(&si.digest_alg.oid)),
        )
    })?;
    let content_digest = digest.digest(&[
        &file[ranges[0].0..ranges[0].1],
        &file[ranges[1].0..ranges[1].1],
    ]);
    let signed_attrs = si
        .signed_attrs
        .as_ref()
        .ok_or_else(|| (Verdict::Unsupported, "CMS without signed attributes".into()))?;
    let attr = |oid: ObjectIdentifier| {
        signed_attrs
            .iter()
            .find(|a| a.oid == oid)
            .and_then(|a| a.values.iter().next())
    };
    let md = attr(rfc5911::ID_MESSAGE_DIGEST)
        .ok_or_else(|| invalid("CMS has no messageDigest attribute"))?
        .decode_as::<OctetString>()
        .map_err(|e| invalid(format!("messageDigest: {e}")))?;
    if let Some(t) = attr(rfc5911::ID_SIGNING_TIME)
        .and_then(|v| v.to_der().ok())
        .and_then(|d| Time::from_der(&d).ok())
    {
        r.signing_time = rfc3339(t);
    }
    let intact = md.as_bytes() == content_digest.as_slice();
    r.intact = Some(intact);
    if !intact {
        return Err(invalid(
            "the signed bytes were changed: their digest does not match the signature's messageDigest",
        ));
    }

    // 4. The signature over the signed attributes, as the signer sent them.
    let signed = match signed_attrs_as_sent(ci.content.value()) {
        Some(bytes) => bytes,
        None => signed_attrs
            .to_der()
            .map_err(|e| invalid(format!("signed attributes: {e}")))?,
    };
    let alg_name = match verify_signature(
        &signer_cert.tbs_certificate.subject_public_key_info,
        &si.signature_algorithm,
        Some(digest),
        &signed,
        si.signature.as_bytes(),
    ) {
        Ok(name) => name,
        Err(SigError::Unsupported(why)) => return Err((Verdict::Unsupported, why)),
        Err(SigError::Bad(why)) => {
            return Err(invalid(format!("the CMS signature is wrong: {why}")));
        }
    };
    r.algorithm = Some(format!("{} / {alg_name}", digest.name()));

    // 5. Path to a trusted root, then validity at the signing time.
    let path = match build_path(
        &signer_cert,
        &certs,
        trust,
        &tbs_as_sent(ci.content.value()),
    ) {
        Path_::Trusted(p) => p,
        Path_::Untrusted(why) => return Err((Verdict::Untrusted, why)),
        Path_::Unsupported(why) => return Err((Verdict::Unsupported, why)),
        Path_::Forged(why) => return Err((Verdict::Invalid, why)),
    };
    let at = r
        .signing_time
        .as_deref()
        .and_then(|s| {
            time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
        })
        .unwrap_or_else(time::OffsetDateTime::now_utc);
    for cert in &path {
        let v = &cert.tbs_certificate.validity;
        let nb = unix(v.not_before);
        let na = unix(v.not_after);
        let t = at.unix_timestamp();
        if t < nb || t > na {
            return Err(invalid(format!(
                "certificate \"{}\" was not valid at the signing time {} (valid {} to {})",
                display_name(&cert.tbs_certificate.subject),
                rfc3339_unix(t),
                rfc3339_unix(nb),
                rfc3339_unix(na),
            )));
        }
    }
    Ok(())
}

/// The signed attributes exactly as the signer sent them, tagged as the SET OF they were
/// signed as (RFC 5652 §5.4), from the SignedData's content octets. The decoded
/// `SetOfVec` sorts its elements, so its re-encoding differs from what was signed
/// whenever a signer did not send DER's order; pyHanko checks the bytes as sent too.
fn signed_attrs_as_sent(signed_data: &[u8]) -> Option<Vec<u8>> {
    // SignedData ::= SEQUENCE { version, digestAlgorithms, encapContentInfo,
    //   certificates [0] OPTIONAL, crls [1] OPTIONAL, signerInfos SET OF SignerInfo }
    let signer_infos = *elements(signed_data)?.last()?;
    let [signer_info] = elements(signer_infos.value())?[..] else {
        return None;
    };
    // SignerInfo ::= SEQUENCE { version, sid, digestAlgorithm,
    //   signedAttrs [0] IMPLICIT SET OF Attribute OPTIONAL, ... }
    let attrs = *elements(signer_info.value())?.get(3)?;
    let tagged = Tag::ContextSpecific {
        constructed: true,
        number: TagNumber::N0,
    };
    if attrs.tag() != tagged {
        return None;
    }
    AnyRef::new(Tag::Set, attrs.value()).ok()?.to_der().ok()
}

/// The TLVs in some content octets, in order.
fn elements(content: &[u8]) -> Option<Vec<AnyRef<'_>>> {
    let mut r = SliceReader::new(content).ok()?;
    let mut out = Vec::new();
    while !r.is_finished() {
        out.push(AnyRef::decode(&mut r).ok()?);
    }
    Some(out)
}

/// The to-be-signed part of each certificate the CMS carries, as sent, by the
/// certificate's signature value. Decoding sorts the SET OF in names (multi-valued name
/// parts), so re-encoding a certificate can change the bytes its issuer signed.
fn tbs_as_sent(signed_data: &[u8]) -> trust::RawTbs {
    let mut out = trust::RawTbs::new();
    let Some(fields) = elements(signed_data) else {
        return out;
    };
    let certificates = Tag::ContextSpecific {
        constructed: true,
        number: TagNumber::N0,
    };
    // version, digestAlgorithms, encapContentInfo, then certificates [0] if present.
    let Some(set) = fields.get(3).filter(|f| f.tag() == certificates) else {
        return out;
    };
    for cert in elements(set.value()).unwrap_or_default() {
        if cert.tag() != Tag::Sequence {
            continue;
        }
        if let Some([tbs, _alg, sig]) = elements(cert.value()).as_deref()
            && sig.tag() == Tag::BitString
            && let (Some(bits), Ok(tbs)) = (sig.value().get(1..), tbs.to_der())
        {
            out.entry(bits.to_vec()).or_default().push(tbs);
        }
    }
    out
}

/// Checks the ByteRange and returns the two signed ranges and the decoded gap (/Contents).
#[allow(clippy::type_complexity)]
fn byte_range(file: &[u8], d: &SigDict) -> Result<([(usize, usize); 2], Vec<u8>), Fail> {
    let br = d
        .byte_range
        .as_deref()
        .ok_or_else(|| invalid("signature has no /ByteRange"))?;
    let [a, b, c, l] = match br {
        [a, b, c, l] if br.iter().all(|x| *x >= 0) => [*a as u64, *b as u64, *c as u64, *l as u64],
        _ => return Err(invalid(format!("malformed /ByteRange {br:?}"))),
    };
    if a != 0 {
        return Err(invalid(format!(
            "/ByteRange starts at {a}, not at the start of the file"
        )));
    }
    let len = file.len() as u64;
    if c <= b || c.checked_add(l).is_none_or(|end| end > len) {
        return Err(invalid(format!(
            "/ByteRange {br:?} does not fit the file of {len} bytes"
        )));
    }
    let (b, c, end) = (b as usize, c as usize, (c + l) as usize);
    let gap = &file[b..c];
    if gap.len() < 2 || gap[0] != b'<' || gap[gap.len() - 1] != b'>' {
        return Err(invalid("the /ByteRange gap is not a hex string"));
    }
    let hex: Vec<u8> = gap[1..gap.len() - 1]
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    if !hex.len().is_multiple_of(2) || !hex.iter().all(u8::is_ascii_hexdigit) {
        return Err(invalid("the /ByteRange gap is not a hex string"));
    }
    let decoded: Vec<u8> = hex
        .chunks_exact(2)
        .map(|p| (hex_val(p[0]) << 4) | hex_val(p[1]))
        .collect();
    if d.contents_too_large {
        return Err(invalid(format!(
            "the signature's /Contents is larger than {} MiB",
            extract::MAX_CONTENTS >> 20
        )));
    }
    let contents = d
        .contents
        .as_deref()
        .ok_or_else(|| invalid("signature has no /Contents"))?;
    if trim_zeros(contents) != trim_zeros(&decoded) {
        return Err(invalid(
            "the /ByteRange gap is not this signature's /Contents",
        ));
    }
    Ok(([(0, b), (c, end)], decoded))
}

fn hex_val(h: u8) -> u8 {
    match h {
        b'0'..=b'9' => h - b'0',
        b'a'..=b'f' => h - b'a' + 10,
        _ => h - b'A' + 10,
    }
}

fn trim_zeros(b: &[u8]) -> &[u8] {
    let end = b.iter().rposition(|&x| x != 0).map_or(0, |i| i + 1);
    &b[..end]
}

fn identifies(sid: &SignerIdentifier, cert: &Certificate) -> bool {
    match sid {
        SignerIdentifier::IssuerAndSerialNumber(ias) => {
            ias.issuer == cert.tbs_certificate.issuer
                && ias.serial_number == cert.tbs_certificate.serial_number
        }
        SignerIdentifier::SubjectKeyIdentifier(ski) => cert
            .tbs_certificate
            .extensions
            .as_ref()
            .and_then(|exts| {
                exts.iter()
                    .find(|e| e.extn_id == rfc5912::ID_CE_SUBJECT_KEY_IDENTIFIER)
            })
            .and_then(|e| OctetString::from_der(e.extn_value.as_bytes()).ok())
            .is_some_and(|v| v.as_bytes() == ski.0.as_bytes()),
    }
}

fn unix(t: Time) -> i64 {
    i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX)
}

fn rfc3339(t: Time) -> Option<String> {
    Some(rfc3339_unix(unix(t)))
}

fn rfc3339_unix(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| t.to_string())
}

/// The first signer of a report, for the upload check.
pub(crate) fn first_signer(report: &VerifyReport) -> Option<(Option<String>, Option<String>)> {
    report
        .signatures
        .first()
        .map(|s| (s.signer.clone(), s.organization.clone()))
}
