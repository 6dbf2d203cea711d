//! Document files on disk, named by SHA-256 (`blobs/ab/abcdef…`). A download grows in
//! `name.part`, is hashed, fsynced and only then renamed: a blob is never visible
//! half-written, and a cut download resumes from the `.part` file.

use std::collections::HashSet;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use phonghop_domain::Sha256;
use sha2::Digest;

#[derive(Clone)]
pub struct BlobStore {
    root: PathBuf,
}

/// The SHA-256 of bytes already in memory.
pub fn sha256_of_bytes(bytes: &[u8]) -> Sha256 {
    Sha256::from_digest(&sha2::Sha256::digest(bytes).into())
}

pub fn sha256_of_file(path: &Path) -> io::Result<Sha256> {
    let mut f = std::fs::File::open(path)?;
    let mut h = sha2::Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(Sha256::from_digest(&h.finalize().into()))
}

pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

impl BlobStore {
    pub fn open(root: PathBuf) -> io::Result<BlobStore> {
        std::fs::create_dir_all(&root)?;
        Ok(BlobStore { root })
    }

    pub fn path(&self, sha: &Sha256) -> PathBuf {
        self.root.join(&sha.as_str()[..2]).join(sha.as_str())
    }

    pub fn part_path(&self, sha: &Sha256) -> PathBuf {
        self.root
            .join(&sha.as_str()[..2])
            .join(format!("{}.part", sha.as_str()))
    }

    pub fn has(&self, sha: &Sha256) -> bool {
        self.path(sha).is_file()
    }

    /// Bytes of a partial download already on disk.
    pub fn part_len(&self, sha: &Sha256) -> u64 {
        std::fs::metadata(self.part_path(sha))
            .map(|m| m.len())
            .unwrap_or(0)
    }

    pub fn open_part(&self, sha: &Sha256, resume: bool) -> io::Result<std::fs::File> {
        let p = self.part_path(sha);
        if let Some(dir) = p.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut o = std::fs::OpenOptions::new();
        o.create(true).write(true);
        if resume {
            o.append(true);
        } else {
            o.truncate(true);
        }
        o.open(p)
    }

    pub fn discard_part(&self, sha: &Sha256) {
        let _ = std::fs::remove_file(self.part_path(sha));
    }

    /// Checks the finished `.part` against its name and moves it into place.
    /// On a mismatch the part is deleted and the actual hash returned as the error.
    pub fn finish_part(&self, sha: &Sha256) -> io::Result<Result<(), Sha256>> {
        let part = self.part_path(sha);
        std::fs::File::open(&part)?.sync_all()?;
        let got = sha256_of_file(&part)?;
        if &got != sha {
            let _ = std::fs::remove_file(&part);
            return Ok(Err(got));
        }
        let dest = self.path(sha);
        std::fs::rename(&part, &dest)?;
        if let Some(dir) = dest.parent() {
            sync_dir(dir)?;
        }
        Ok(Ok(()))
    }

    /// Renames a verified part into place. The caller has made the part durable first
    /// and flushes the directory after ([`sync_dir`]).
    pub fn publish_part(&self, sha: &Sha256) -> io::Result<()> {
        std::fs::rename(self.part_path(sha), self.path(sha))
    }

    /// Copies a local file in (the secretary attaching a document); returns its hash.
    pub fn import(&self, file: &Path) -> io::Result<(Sha256, u64)> {
        let sha = sha256_of_file(file)?;
        let size = std::fs::metadata(file)?.len();
        if !self.has(&sha) {
            let mut src = std::fs::File::open(file)?;
            let mut part = self.open_part(&sha, false)?;
            io::copy(&mut src, &mut part)?;
            part.flush()?;
            drop(part);
            if let Err(got) = self.finish_part(&sha)? {
                return Err(io::Error::other(format!(
                    "{} changed while it was copied (now {got})",
                    file.display()
                )));
            }
        }
        Ok((sha, size))
    }

    /// Every complete blob on disk.
    pub fn list(&self) -> io::Result<Vec<Sha256>> {
        let mut out = Vec::new();
        for dir in std::fs::read_dir(&self.root)?.flatten() {
            if !dir.path().is_dir() {
                continue;
            }
            for f in std::fs::read_dir(dir.path())?.flatten() {
                if let Some(sha) = f.file_name().to_str().and_then(|n| Sha256::parse(n).ok()) {
                    out.push(sha);
                }
            }
        }
        Ok(out)
    }

    /// Deletes every blob (and stale part) nothing refers to; returns how many blobs went.
    pub fn collect_garbage(&self, keep: &HashSet<Sha256>) -> io::Result<usize> {
        let mut removed = 0;
        for dir in std::fs::read_dir(&self.root)?.flatten() {
            if !dir.path().is_dir() {
                continue;
            }
            for f in std::fs::read_dir(dir.path())?.flatten() {
                let name = f.file_name().to_string_lossy().into_owned();
                let base = name.strip_suffix(".part").unwrap_or(&name);
                let Ok(sha) = Sha256::parse(base) else {
                    continue;
                };
                if !keep.contains(&sha) {
                    std::fs::remove_file(f.path())?;
                    if !name.ends_with(".part") {
                        removed += 1;
                    }
                }
            }
        }
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_part_becomes_a_blob_only_when_its_hash_matches() {
        let tmp = tempfile::tempdir().unwrap();
        let store = BlobStore::open(tmp.path().to_path_buf()).unwrap();
        let data = "Nghị quyết về chính quyền điện tử".as_bytes();
        let sha = Sha256::from_digest(&sha2::Sha256::digest(data).into());

        let mut f = store.open_part(&sha, false).unwrap();
        f.write_all(&data[..10]).unwrap();
        drop(f);
        assert!(!store.has(&sha));
        assert_eq!(store.part_len(&sha), 10);
        let mut f = store.open_part(&sha, true).unwrap();
        f.write_all(&data[10..]).unwrap();
        drop(f);
        assert_eq!(store.finish_part(&sha).unwrap(), Ok(()));
        assert!(store.has(&sha));
        assert_eq!(std::fs::read(store.path(&sha)).unwrap(), data);

        let wrong = Sha256::from_digest(&[9; 32]);
        let mut f = store.open_part(&wrong, false).unwrap();
        f.write_all(data).unwrap();
        drop(f);
        assert_eq!(store.finish_part(&wrong).unwrap(), Err(sha.clone()));
        assert!(!store.has(&wrong) && store.part_len(&wrong) == 0);

        assert_eq!(store.list().unwrap(), vec![sha.clone()]);
        assert_eq!(
            store
                .collect_garbage(&HashSet::from([sha.clone()]))
                .unwrap(),
            0
        );
        assert_eq!(store.collect_garbage(&HashSet::new()).unwrap(), 1);
        assert!(!store.has(&sha));
    }
}
