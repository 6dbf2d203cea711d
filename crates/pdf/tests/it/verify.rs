//! Signature verification against the fixtures, with pyHanko as the reference.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use phonghop_pdf::{
    DocumentVerdict, PdfSource, TrustStore, Verdict, VerifyReport, inspect_pdf, inspect_pdf_with,
    verify_pdf,
};

use crate::{fixtures, python};

fn trust() -> TrustStore {
    TrustStore::from_dir(&fixtures().join("trust")).expect("trust store")
}

fn verify(name: &str) -> VerifyReport {
    let bytes = std::fs::read(fixtures().join("sig").join(name)).expect("fixture");
    verify_pdf(&bytes, &trust()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn signed_fixtures() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixtures().join("sig"))
        .expect("sig dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "pdf"))
        .collect();
    files.sort();
    files
}

/// pyHanko's verdicts, mapped to ours by `tests/fixtures/pyhanko_verdict.py`.
fn pyhanko(files: &[PathBuf]) -> BTreeMap<String, serde_json::Value> {
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pyhanko_verdict.py");
    let out = Command::new(python())
        .arg(script)
        .arg(fixtures().join("trust.pem"))
        .args(files)
        .output()
        .expect("run pyHanko");
    assert!(
        out.status.success(),
        "pyHanko script failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("pyHanko JSON")
}

#[test]
fn every_verdict_equals_pyhankos() {
    let files = signed_fixtures();
    assert!(
        files.len() >= 13,
        "expected the full fixture set, got {}",
        files.len()
    );
    let reference = pyhanko(&files);
    let trust = trust();
    let mut checked = 0;
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let theirs = &reference[&file.to_string_lossy().into_owned()];
        assert!(
            theirs.get("error").is_none(),
            "pyHanko could not read {name}: {theirs}"
        );
        let ours = verify_pdf(&std::fs::read(file).unwrap(), &trust).unwrap();
        assert_eq!(
            ours.document.as_str(),
            theirs["document"].as_str().unwrap(),
            "{name}: document verdict (ours {ours:#?}, pyHanko {theirs:#})"
        );
        let their_sigs = theirs["signatures"].as_array().unwrap();
        assert_eq!(
            ours.signatures.len(),
            their_sigs.len(),
            "{name}: signature count"
        );
        for (i, (o, t)) in ours.signatures.iter().zip(their_sigs).enumerate() {
            assert_eq!(
                o.verdict.as_str(),
                t["verdict"].as_str().unwrap(),
                "{name} #{i}: ours {o:#?}, pyHanko {t:#}"
            );
            if let Some(cn) = t["signer"].as_str() {
                assert_eq!(o.signer.as_deref(), Some(cn), "{name} #{i}: signer");
                assert_eq!(
                    o.organization.as_deref(),
                    t["organization"].as_str(),
                    "{name} #{i}: organization"
                );
            }
            if let Some(intact) = t["intact"].as_bool() {
                assert_eq!(o.intact, Some(intact), "{name} #{i}: intact");
            }
        }
        checked += 1;
    }
    assert_eq!(checked, files.len());
}

#[test]
fn valid_pades_reports_signer_time_reason_location() {
    let r = verify("pades-rsa.pdf");
    assert_eq!(r.document, DocumentVerdict::SignedUnmodified);
    let s = &r.signatures[0];
    assert_eq!(s.verdict, Verdict::Valid, "{s:#?}");
    assert_eq!(s.why, None);
    assert_eq!(s.signer.as_deref(), Some("Nguyễn Văn An"));
    assert_eq!(
        s.organization.as_deref(),
        Some("Sở Thông tin và Truyền thông (test)")
    );
    assert_eq!(s.reason.as_deref(), Some("Phê duyệt"));
    assert_eq!(s.location.as_deref(), Some("Đồng Hới, Quảng Bình"));
    assert_eq!(s.sub_filter.as_deref(), Some("ETSI.CAdES.detached"));
    assert_eq!(s.algorithm.as_deref(), Some("sha256 / RSA PKCS#1 v1.5"));
    assert_eq!(s.bytes_after, 0);
    let t = s.signing_time.as_deref().expect("signing time");
    assert!(t.ends_with('Z'), "signing times are given in UTC: {t}");
    let t = time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).unwrap();
    let signed_at = crate::manifest()["signed_at"].as_i64().unwrap();
    assert_eq!(
        t.unix_timestamp(),
        signed_at,
        "the /M the fixture was signed with"
    );
}

#[test]
fn every_algorithm_verifies() {
    for (file, alg) in [
        ("pades-rsa.pdf", "sha256 / RSA PKCS#1 v1.5"),
        ("pkcs7-rsa-pss.pdf", "sha256 / RSA-PSS"),
        ("pkcs7-ec256.pdf", "sha256 / ECDSA P-256"),
        ("pades-ec384.pdf", "sha384 / ECDSA P-384"),
    ] {
        let r = verify(file);
        assert_eq!(r.signatures[0].verdict, Verdict::Valid, "{file}: {r:#?}");
        assert_eq!(r.signatures[0].algorithm.as_deref(), Some(alg), "{file}");
    }
}

#[test]
fn tampering_is_reported_with_reasons() {
    let r = verify("flipped-byte.pdf");
    assert_eq!(r.document, DocumentVerdict::ModifiedAfterSigning);
    assert_eq!(r.signatures[0].verdict, Verdict::Invalid);
    assert_eq!(r.signatures[0].intact, Some(false));
    assert!(r.signatures[0].why.as_deref().unwrap().contains("digest"));

    let r = verify("appended-update.pdf");
    assert_eq!(r.document, DocumentVerdict::ModifiedAfterSigning);
    assert_eq!(r.signatures[0].verdict, Verdict::Valid);
    assert!(r.signatures[0].bytes_after > 0);

    // A second signature over a content change does not cover up the change: the first
    // signer did not sign what the pages now show.
    let r = verify("signed-after-change.pdf");
    assert_eq!(r.document, DocumentVerdict::ModifiedAfterSigning);
    assert!(r.signatures.iter().all(|s| s.verdict == Verdict::Valid));
    let why = r.signatures[0].changed_after.as_deref().unwrap();
    assert!(why.contains("page 1"), "{why}");
    assert_eq!(r.signatures[1].changed_after, None);
    assert_eq!(
        phonghop_pdf::summarize(&r),
        phonghop_domain::SignatureSummary::ModifiedAfterSigning {
            signer: Some("Nguyễn Văn An".into())
        }
    );

    let r = verify("broken-signature-value.pdf");
    assert_eq!(r.signatures[0].verdict, Verdict::Invalid);
    assert_eq!(r.signatures[0].intact, Some(true));
    assert!(
        r.signatures[0]
            .why
            .as_deref()
            .unwrap()
            .contains("signature")
    );

    let r = verify("garbage-cms.pdf");
    assert_eq!(r.signatures[0].verdict, Verdict::Invalid);
    assert!(r.signatures[0].why.as_deref().unwrap().contains("CMS"));
}

#[test]
fn signed_attributes_are_checked_as_sent_not_in_der_order() {
    // The signer sent (and signed) its attributes unsorted; re-encoding them sorted
    // would call a genuine signature invalid.
    let r = verify("unsorted-attributes.pdf");
    assert_eq!(
        r.signatures[0].verdict,
        Verdict::Valid,
        "{:?}",
        r.signatures[0].why
    );
    assert_eq!(r.document, DocumentVerdict::SignedUnmodified);
}

#[test]
fn an_issuer_signature_is_checked_over_the_certificate_as_sent() {
    // An intermediate CA whose multi-valued name part is not in DER order: re-encoding it
    // sorted would break the root's signature and call a genuine chain untrusted.
    let r = verify("unsorted-name-ca.pdf");
    assert_eq!(
        r.signatures[0].verdict,
        Verdict::Valid,
        "{:?}",
        r.signatures[0].why
    );
}

#[test]
fn trust_problems() {
    let r = verify("untrusted.pdf");
    assert_eq!(r.signatures[0].verdict, Verdict::Untrusted);
    assert_eq!(r.document, DocumentVerdict::SignedUnmodified);
    assert!(
        r.signatures[0]
            .why
            .as_deref()
            .unwrap()
            .contains("Untrusted Test Root CA")
    );

    let r = verify("expired.pdf");
    assert_eq!(r.signatures[0].verdict, Verdict::Invalid);
    assert!(
        r.signatures[0]
            .why
            .as_deref()
            .unwrap()
            .contains("not valid at the signing time")
    );

    // A certificate that copies a trusted root's serial, issuer and signature bytes
    // under its own name and key is not that root: a forgery.
    let r = verify("forged-anchor.pdf");
    invalid_because(&r, "but that root did not sign it");
    assert_eq!(r.signatures[0].signer.as_deref(), Some("Nguyễn Văn Giả"));

    // A root with a trusted root's name and another key (carried in the signature) is
    // not that root: invalid, as pyHanko judges it too, whether forged or re-keyed.
    invalid_because(&verify("rekeyed-root.pdf"), "did not sign it");

    // Nothing trusted: a good signature is only untrusted.
    let bytes = std::fs::read(fixtures().join("sig/pades-rsa.pdf")).unwrap();
    let r = verify_pdf(&bytes, &TrustStore::default()).unwrap();
    assert_eq!(r.signatures[0].verdict, Verdict::Untrusted);
}

#[test]
fn two_signatures_in_signing_order() {
    let r = verify("two-signatures.pdf");
    assert_eq!(r.document, DocumentVerdict::SignedUnmodified);
    let names: Vec<_> = r
        .signatures
        .iter()
        .map(|s| s.signer.as_deref().unwrap())
        .collect();
    assert_eq!(names, ["Nguyễn Văn An", "Trần Thị Bình"]);
    assert!(r.signatures.iter().all(|s| s.verdict == Verdict::Valid));
    assert!(r.signatures[0].bytes_after > 0);
    // The second signature's revision only adds a signature.
    assert_eq!(r.signatures[0].changed_after, None);
    assert_eq!(r.signatures[1].bytes_after, 0);
}

/// The first signature is invalid, for a reason that says `why`.
fn invalid_because(r: &VerifyReport, why: &str) {
    assert_eq!(r.signatures[0].verdict, Verdict::Invalid, "{r:#?}");
    let said = r.signatures[0].why.as_deref().unwrap_or_default();
    assert!(said.contains(why), "{said}");
}

#[test]
fn hostile_signed_files() {
    let hostile = |name: &str| {
        let bytes = std::fs::read(fixtures().join("sig-hostile").join(name)).unwrap();
        verify_pdf(&bytes, &trust()).unwrap()
    };
    // A signature we cannot check still closes its revision: it does not cover up the
    // content change before it.
    let r = hostile("unsupported-after-change.pdf");
    assert_eq!(r.document, DocumentVerdict::ModifiedAfterSigning, "{r:#?}");
    assert_eq!(r.signatures[0].verdict, Verdict::Valid);
    assert!(r.signatures[0].changed_after.is_some(), "{r:#?}");
    assert_eq!(r.signatures[1].verdict, Verdict::Unsupported);
    assert_eq!(r.signatures[1].bytes_after, 0);
    assert_eq!(r.signatures[1].signer, None);

    // Later revisions that change what a page shows while looking like allowed changes:
    // the content stream named as the information dictionary; the page's annotations
    // pointed at a new list holding a text box.
    for (name, what) in [
        ("info-hijack.pdf", "a stream"),
        ("overlay-new-annots.pdf", "page 1"),
    ] {
        let r = hostile(name);
        assert_eq!(
            r.document,
            DocumentVerdict::ModifiedAfterSigning,
            "{name}: {r:#?}"
        );
        assert!(
            r.signatures.iter().all(|s| s.verdict == Verdict::Valid),
            "{name}"
        );
        let why = r.signatures[0].changed_after.as_deref().unwrap_or_default();
        assert!(why.contains(what), "{name}: {why}");
    }

    // A certificate for encryption only, even under a trusted root, does not sign.
    invalid_because(&hostile("encryption-key.pdf"), "not for signing");

    // A fake CA carried beside a genuine one with its name and signature value: the
    // root's signature is checked over the fake's own bytes, and fails.
    let r = hostile("forged-sibling.pdf");
    assert_ne!(r.signatures[0].verdict, Verdict::Valid, "{r:#?}");

    // Thousands of fields with one signature as their value: one signature, read once.
    let t0 = std::time::Instant::now();
    let r = hostile("many-fields.pdf");
    assert_eq!(r.signatures.len(), 1, "{r:#?}");
    assert_eq!(r.signatures[0].verdict, Verdict::Valid);
    assert!(t0.elapsed() < std::time::Duration::from_secs(20));
}

#[test]
fn validation_data_between_signatures_is_no_modification() {
    // Long-term validation adds and updates the document security store between
    // signatures: nothing a page shows.
    let r = verify("dss-between-signatures.pdf");
    assert_eq!(r.signatures.len(), 3);
    assert!(
        r.signatures.iter().all(|s| s.verdict == Verdict::Valid),
        "{r:#?}"
    );
    assert!(
        r.signatures.iter().all(|s| s.changed_after.is_none()),
        "{r:#?}"
    );
    assert_eq!(r.document, DocumentVerdict::SignedUnmodified);
}

#[test]
fn trust_store_reads_pem_and_der() {
    assert_eq!(trust().len(), 2);
    // Only the EC root (DER): the RSA signer is untrusted, the EC one valid.
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixtures().join("trust/root-ec.der"),
        dir.path().join("root-ec.der"),
    )
    .unwrap();
    std::fs::write(dir.path().join("README"), "not a certificate").unwrap();
    let store = TrustStore::from_dir(dir.path()).unwrap();
    assert_eq!(store.len(), 1);
    let rsa = verify_pdf(
        &std::fs::read(fixtures().join("sig/pades-rsa.pdf")).unwrap(),
        &store,
    )
    .unwrap();
    assert_eq!(rsa.signatures[0].verdict, Verdict::Untrusted);
    let ec = verify_pdf(
        &std::fs::read(fixtures().join("sig/pkcs7-ec256.pdf")).unwrap(),
        &store,
    )
    .unwrap();
    assert_eq!(ec.signatures[0].verdict, Verdict::Valid);
    // A broken PEM is an error, not an empty store.
    std::fs::write(
        dir.path().join("bad.pem"),
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    assert!(TrustStore::from_dir(dir.path()).is_err());
}

#[test]
fn inspect_for_upload() {
    let fx = fixtures();
    let i = inspect_pdf(
        PdfSource::Path(&fx.join("sig/pades-rsa.pdf")),
        Some(&fx.join("trust")),
    )
    .unwrap();
    assert_eq!(i.pages, 3);
    assert_eq!(i.document, DocumentVerdict::SignedUnmodified);
    assert_eq!(i.first_verdict, Some(Verdict::Valid));
    assert_eq!(i.signer.as_deref(), Some("Nguyễn Văn An"));
    assert_eq!(
        i.organization.as_deref(),
        Some("Sở Thông tin và Truyền thông (test)")
    );

    let bytes = std::fs::read(fx.join("bench-50p.pdf")).unwrap();
    let i = inspect_pdf_with(PdfSource::Bytes(&bytes), &trust()).unwrap();
    assert_eq!(i.pages, 50);
    assert_eq!(i.document, DocumentVerdict::Unsigned);
    assert_eq!(i.first_verdict, None);
}
