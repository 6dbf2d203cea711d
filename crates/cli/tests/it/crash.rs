//! Kill `phonghop sync` with SIGKILL at random moments of a large sync; every restart
//! must find a sound cache, no wrong bytes under a blob's name, and the end state must
//! equal a clean sync.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use phonghop_testkit::TestServer;
use rand::Rng;

use crate::{Phonghop, blobs_verified, open_cache};

const KILLS: usize = 24;

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_during_sync_never_corrupts_and_converges() {
    let server = TestServer::demo().await;
    let secretary = server.login("thuky").await;
    let today = secretary.meetings_by_date().await[1].clone();
    let items = secretary.items_of(&today).await;
    // A large pack: 24 extra documents of 1.5 MB.
    for i in 0..24u64 {
        let item = &items[i as usize % items.len()];
        secretary
            .attach_pdf(
                item,
                phonghop_testkit::big_pdf(1_500_000, 100 + i),
                &format!("Phụ lục số {i}"),
                None,
            )
            .await;
    }

    // The reference: one clean sync, timed.
    let clean = Phonghop::login(&server, "daibieu02");
    let start = Instant::now();
    clean.ok(&["sync"]);
    let full = start.elapsed();
    assert!(clean.blob_files().len() > 50);

    let victim = Phonghop::login(&server, "daibieu02");
    let mut rng = rand::thread_rng();
    let mut killed_mid_sync = 0;
    let rate = disk_bytes(&clean) as f64 / full.as_secs_f64();
    let mut wanted = disk_bytes(&clean);
    let mut k = 0;
    while killed_mid_sync < KILLS && k < KILLS * 4 {
        k += 1;
        // Keep every round large: new documents keep arriving on the server.
        let item = &items[k % items.len()];
        let pdf = phonghop_testkit::big_pdf(1_500_000, 1000 + k as u64);
        wanted += pdf.len() as u64;
        secretary
            .attach_pdf(item, pdf, &format!("Tài liệu bổ sung {k}"), None)
            .await;

        // Kill somewhere within the time the remaining work should take.
        let remaining = wanted.saturating_sub(disk_bytes(&victim)) as f64;
        let estimate = Duration::from_millis(100) + Duration::from_secs_f64(remaining / rate);
        let at = Duration::from_micros(rng.gen_range(0..estimate.as_micros() as u64));
        let mut child = victim
            .command(&["sync"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(at);
        if child.try_wait().unwrap().is_none() {
            killed_mid_sync += 1;
        }
        child.kill().unwrap();
        child.wait().unwrap();

        let cache = open_cache(&victim.profile_dir());
        assert!(
            cache.integrity_ok().unwrap(),
            "integrity_check failed after a kill at {at:?}"
        );
        drop(cache);
        blobs_verified(&victim.blob_files());
    }
    assert_eq!(
        killed_mid_sync, KILLS,
        "only {killed_mid_sync} of {k} kills landed during a sync"
    );

    clean.ok(&["sync"]);
    let clean_blobs: BTreeSet<String> = clean
        .blob_files()
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    victim.ok(&["sync"]);
    let files: BTreeSet<String> = victim
        .blob_files()
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        files, clean_blobs,
        "the blob store differs from a clean sync (or .part files were left)"
    );
    assert_eq!(blobs_verified(&victim.blob_files()), clean_blobs.len());
    assert_eq!(
        open_cache(&victim.profile_dir()).snapshot().unwrap(),
        open_cache(&clean.profile_dir()).snapshot().unwrap(),
        "the cache differs from a clean sync"
    );
}

/// Bytes of complete document files on disk.
fn disk_bytes(p: &Phonghop) -> u64 {
    p.blob_files()
        .iter()
        .filter(|f| !f.to_string_lossy().ends_with(".part"))
        .map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0))
        .sum()
}
