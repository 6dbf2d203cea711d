//! `phonghop` end to end: the real CLI binary against the real server on 127.0.0.1:0.
#![allow(clippy::unwrap_used)]

mod annotations;
mod crash;
mod offline;
mod pdf;
mod sync;
mod votes;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use phonghop_testkit::{DEMO_PASSWORD, TestServer};
use serde_json::Value;

/// A `phonghop` with its own cache dir.
pub struct Phonghop {
    pub cache: tempfile::TempDir,
}

pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", self.stdout, self.stderr))
    }
}

impl Default for Phonghop {
    fn default() -> Self {
        Phonghop::new()
    }
}

impl Phonghop {
    pub fn new() -> Phonghop {
        Phonghop {
            cache: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_phonghop"));
        cmd.arg("--cache").arg(self.cache.path()).args(args);
        cmd
    }

    pub fn run_stdin(&self, args: &[&str], stdin: &str) -> Out {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn phonghop");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(stdin.as_bytes())
            .expect("write stdin");
        let out = child.wait_with_output().expect("phonghop ran");
        Out {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    pub fn run(&self, args: &[&str]) -> Out {
        self.run_stdin(args, "")
    }

    /// Runs and insists on success.
    pub fn ok(&self, args: &[&str]) -> Out {
        let out = self.run(args);
        assert_eq!(
            out.code, 0,
            "phonghop {args:?} failed:\n{}\n{}",
            out.stdout, out.stderr
        );
        out
    }

    pub fn login(server: &TestServer, username: &str) -> Phonghop {
        let p = Phonghop::new();
        let out = p.run_stdin(
            &[
                "login",
                "--server",
                &server.url(),
                "--username",
                username,
                "--password-stdin",
            ],
            DEMO_PASSWORD,
        );
        assert_eq!(out.code, 0, "login failed: {}", out.stderr);
        p
    }

    /// The profile dir of the only profile in this cache.
    pub fn profile_dir(&self) -> PathBuf {
        let servers = self.cache.path().join("profiles");
        let server = std::fs::read_dir(&servers)
            .unwrap()
            .flatten()
            .next()
            .unwrap()
            .path();
        std::fs::read_dir(server)
            .unwrap()
            .flatten()
            .next()
            .unwrap()
            .path()
    }

    pub fn blob_files(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        let root = self.profile_dir().join("blobs");
        for d in std::fs::read_dir(root).unwrap().flatten() {
            for f in std::fs::read_dir(d.path()).unwrap().flatten() {
                out.push(f.path());
            }
        }
        out.sort();
        out
    }
}

/// Every complete blob's bytes match its name.
pub fn blobs_verified(files: &[PathBuf]) -> usize {
    let mut n = 0;
    for f in files {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".part") {
            continue;
        }
        let bytes = std::fs::read(f).unwrap();
        assert_eq!(
            phonghop_testkit::sha256_hex(&bytes),
            name,
            "{} has the wrong bytes",
            f.display()
        );
        n += 1;
    }
    n
}

pub fn open_cache(dir: &Path) -> phonghop_client::Cache {
    phonghop_client::Cache::open(&dir.join("cache.db")).expect("the cache opens")
}
