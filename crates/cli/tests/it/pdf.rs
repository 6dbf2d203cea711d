//! `phonghop pdf …` end to end: the real binary on the PDF fixtures
//! (`cargo xtask fixtures`, `cargo xtask pdfium`).

use std::path::PathBuf;
use std::process::{Command, Output};

fn fixtures() -> PathBuf {
    let dir = std::env::var_os("PHONGHOP_PDF_FIXTURES")
        .map(PathBuf::from)
        .or_else(|| dirs_cache().map(|c| c.join("phonghop/fixtures/pdf")))
        .expect("no cache dir");
    assert!(
        dir.join("manifest.json").is_file(),
        "PDF fixtures missing in {}: run `cargo xtask fixtures`",
        dir.display()
    );
    dir
}

fn dirs_cache() -> Option<PathBuf> {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
}

fn phonghop(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_phonghop"))
        .args(args)
        .current_dir(fixtures())
        .output()
        .expect("run phonghop")
}

fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "phonghop failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

#[test]
fn verify_json_has_the_documented_shape() {
    let v = json(&phonghop(&[
        "pdf",
        "verify",
        "sig/two-signatures.pdf",
        "--trust",
        "trust",
        "--json",
    ]));
    assert_eq!(v["document"], "signed-unmodified");
    let sigs = v["signatures"].as_array().unwrap();
    assert_eq!(sigs.len(), 2);
    for s in sigs {
        for key in [
            "verdict",
            "why",
            "signer",
            "organization",
            "signing_time",
            "reason",
        ] {
            assert!(s.get(key).is_some(), "missing {key} in {s}");
        }
        assert_eq!(s["verdict"], "valid");
        assert!(s["why"].is_null());
    }
    assert_eq!(sigs[0]["signer"], "Nguyễn Văn An");
    assert_eq!(
        sigs[0]["organization"],
        "Sở Thông tin và Truyền thông (test)"
    );
    assert_eq!(sigs[1]["reason"], "Đồng ý");

    let v = json(&phonghop(&[
        "pdf",
        "verify",
        "sig/appended-update.pdf",
        "--trust",
        "trust",
        "--json",
    ]));
    assert_eq!(v["document"], "modified-after-signing");
    let v = json(&phonghop(&[
        "pdf",
        "verify",
        "sig/flipped-byte.pdf",
        "--trust",
        "trust",
        "--json",
    ]));
    assert_eq!(v["signatures"][0]["verdict"], "invalid");
    assert!(
        v["signatures"][0]["why"]
            .as_str()
            .unwrap()
            .contains("digest")
    );
    let v = json(&phonghop(&[
        "pdf",
        "verify",
        "sig/untrusted.pdf",
        "--trust",
        "trust",
        "--json",
    ]));
    assert_eq!(v["signatures"][0]["verdict"], "untrusted");
    let v = json(&phonghop(&[
        "pdf",
        "verify",
        "sig/unsigned.pdf",
        "--trust",
        "trust",
        "--json",
    ]));
    assert_eq!(v["document"], "unsigned");
    assert_eq!(v["signatures"].as_array().unwrap().len(), 0);
}

#[test]
fn verify_text_output_exits_zero_whatever_the_verdict() {
    let out = phonghop(&["pdf", "verify", "sig/expired.pdf", "--trust", "trust"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("invalid"), "{text}");
    assert!(text.contains("Phạm Thị Dung"), "{text}");
}

#[test]
fn search_json_is_an_array_of_page_text_quads() {
    let v = json(&phonghop(&[
        "pdf",
        "search",
        "text.pdf",
        "nghi quyet",
        "--json",
    ]));
    let hits = v.as_array().unwrap();
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[0]["page"], 1, "pages count from 1 on the command line");
    assert_eq!(hits[0]["text"], "Nghị quyết");
    assert_eq!(hits[1]["page"], 2);
    let quad = &hits[0]["quads"][0];
    assert_eq!(quad.as_array().unwrap().len(), 4, "four corners");
    assert!(quad[0][0].as_f64().unwrap() > 0.0);
}

#[test]
fn text_prints_the_page() {
    let out = phonghop(&["pdf", "text", "text.pdf", "--page", "2"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Điều 2. Giao Ủy ban nhân dân tỉnh tổ chức thực hiện nghị quyết này."),
        "{text}"
    );
}

#[test]
fn render_writes_a_png_of_the_right_size() {
    let dir = tempfile::tempdir().unwrap();
    let out_png = dir.path().join("p2.png");
    let out = phonghop(&[
        "pdf",
        "render",
        "doc-3p.pdf",
        "--page",
        "2",
        "--dpi",
        "100",
        "-o",
        out_png.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&out_png).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    // IHDR: width and height, big-endian, at bytes 16..24. A4 at 100 DPI.
    let w = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    assert_eq!((w, h), (827, 1169));
}

#[test]
fn unreadable_files_fail_with_a_message() {
    for args in [
        &["pdf", "verify", "bad/random.pdf"][..],
        &["pdf", "verify", "bad/empty.pdf"][..],
        &["pdf", "text", "bad/encrypted.pdf"][..],
        &["pdf", "render", "bad/truncated.pdf", "-o", "/tmp/never.png"][..],
        &["pdf", "search", "no-such-file.pdf", "x"][..],
        &["pdf", "text", "text.pdf", "--page", "9"][..],
    ] {
        let out = phonghop(args);
        assert!(!out.status.success(), "{args:?} succeeded");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.starts_with("error: "), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?} printed to stdout");
    }
    let err = String::from_utf8_lossy(&phonghop(&["pdf", "text", "bad/encrypted.pdf"]).stderr)
        .into_owned();
    assert!(err.contains("encrypted"), "{err}");
}

#[test]
fn a_missing_or_mismatched_pdfium_is_a_clear_startup_error() {
    let run = |lib: &std::path::Path| {
        Command::new(env!("CARGO_BIN_EXE_phonghop"))
            .args(["pdf", "info", "text.pdf"])
            .current_dir(fixtures())
            .env("PHONGHOP_PDFIUM", lib)
            .output()
            .expect("run phonghop")
    };
    let out = run(std::path::Path::new("/nonexistent/libpdfium.so"));
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("PHONGHOP_PDFIUM points to /nonexistent/libpdfium.so"),
        "{err}"
    );

    // The real library, but described as a build older than the API we bind.
    let real = dirs_cache()
        .unwrap()
        .join("phonghop/pdfium/8149/libpdfium.so");
    assert!(real.is_file(), "run `cargo xtask pdfium`");
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(&real, dir.path().join("libpdfium.so")).unwrap();
    std::fs::write(
        dir.path().join("version.json"),
        r#"{"major": 120, "build": 6000}"#,
    )
    .unwrap();
    let out = run(&dir.path().join("libpdfium.so"));
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("build 6000, older than the API"), "{err}");
    assert!(err.contains("cargo xtask pdfium"), "{err}");

    // Not a library at all.
    let fake = dir.path().join("fake");
    std::fs::create_dir(&fake).unwrap();
    std::fs::write(fake.join("libpdfium.so"), b"not a shared object").unwrap();
    let out = run(&fake);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot bind"), "{err}");
}
