//! The archive's seal: the school's Ed25519 key, `manifest.json` (every file with its SHA-256,
//! size and retention date) signed into `manifest.sig`, and the check of a directory against
//! them (`zhurnal archive verify DIR`).
//!
//! The private key is a file under the data directory, `keys/school-<id>.ed25519` (mode 0600,
//! the 32-byte seed in hex), made on first use. It is not in the database: whoever can write
//! rows (the application's role, a database owner, anyone holding a dump or a backup) cannot
//! sign; forging a manifest needs the server's files. The public key is printed from the
//! school's settings page and kept on paper, so a key replaced later does not verify against it.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

pub use ed25519_dalek::SigningKey;
use ed25519_dalek::{Signature, Signer, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const MANIFEST: &str = "manifest.json";
pub const SIGNATURE: &str = "manifest.sig";
pub const FORMAT: &str = "zhurnal-archive-1";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The key file of a school under the data directory.
pub fn key_path(data_dir: &Path, school_id: i64) -> PathBuf {
    data_dir
        .join("keys")
        .join(format!("school-{school_id}.ed25519"))
}

/// The school's signing key, made (and written with mode 0600) on first use.
pub fn signing_key(data_dir: &Path, school_id: i64) -> anyhow::Result<SigningKey> {
    let path = key_path(data_dir, school_id);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let seed: [u8; 32] = unhex(&text)
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| anyhow::anyhow!("ключ школы повреждён: {}", path.display()))?;
            Ok(SigningKey::from_bytes(&seed))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let dir = path.parent().expect("a key file has a directory");
            std::fs::create_dir_all(dir)?;
            let seed: [u8; 32] = rand::random();
            let key = SigningKey::from_bytes(&seed);
            let tmp = path.with_extension("new");
            {
                use std::os::unix::fs::OpenOptionsExt;
                let mut file = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(&tmp)?;
                file.write_all(hex(&seed).as_bytes())?;
                file.sync_all()?;
            }
            // Two first uses at once: the first key written wins, the other is read back.
            match std::fs::hard_link(&tmp, &path) {
                Ok(()) => {
                    std::fs::remove_file(&tmp)?;
                    Ok(key)
                }
                Err(_) => {
                    std::fs::remove_file(&tmp)?;
                    signing_key(data_dir, school_id)
                }
            }
        }
        Err(e) => Err(e.into()),
    }
}

/// The public key as it is printed: hex, and a short fingerprint to compare by eye.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    pub hex: String,
    /// The first 16 bytes of the key's SHA-256, in groups of four hex digits.
    pub fingerprint: String,
}

impl PublicKey {
    /// The key as printed with its fingerprint: «hex (отпечаток …)»; the text as given if it is
    /// not a key.
    pub fn of_hex(text: &str) -> String {
        match unhex(text)
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .and_then(|b| VerifyingKey::from_bytes(&b).ok())
        {
            Some(key) => {
                let k = PublicKey::of(&key);
                format!("{} (отпечаток {})", k.hex, k.fingerprint)
            }
            None => text.to_string(),
        }
    }

    pub fn of(key: &VerifyingKey) -> PublicKey {
        let digest = Sha256::digest(key.as_bytes());
        let fingerprint = hex(&digest[..16])
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(":");
        PublicKey {
            hex: hex(key.as_bytes()),
            fingerprint,
        }
    }
}

/// One file of the archive as the manifest lists it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Entry {
    /// Relative to the archive's directory, `/`-separated.
    pub path: String,
    /// «journal», «attendance», «summary».
    pub kind: String,
    pub sha256: String,
    pub size: u64,
    /// Kept at least until this day (ISO date).
    pub retain_until: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Manifest {
    pub format: String,
    pub school_id: i64,
    pub school: String,
    pub year: String,
    pub year_ends_on: String,
    /// Made before the year's end: the last day of the records it holds (the end of the study
    /// periods over by then); absent for the whole year.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub covers_until: Option<String>,
    /// RFC 3339.
    pub made_at: String,
    /// The head of the school's audit hash chain when the archive was made (`None` until the
    /// chain exists).
    pub audit_chain_head: Option<String>,
    /// Hex of the school's Ed25519 public key.
    pub public_key: String,
    pub files: Vec<Entry>,
}

/// SHA-256 and size of a file, read in pieces.
pub fn digest_file(path: &Path) -> std::io::Result<(String, u64)> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        size += n as u64;
        hasher.update(&buf[..n]);
    }
    Ok((hex(&hasher.finalize()), size))
}

/// Writes `manifest.json` and `manifest.sig` (the signature of the manifest's exact bytes, hex)
/// into `dir`; returns the manifest's SHA-256.
pub fn seal(dir: &Path, manifest: &Manifest, key: &SigningKey) -> anyhow::Result<String> {
    let bytes = serde_json::to_vec_pretty(manifest)?;
    let signature = key.sign(&bytes);
    std::fs::write(dir.join(MANIFEST), &bytes)?;
    std::fs::write(
        dir.join(SIGNATURE),
        format!("{}\n", hex(&signature.to_bytes())),
    )?;
    Ok(hex(&Sha256::digest(&bytes)))
}

/// What differs between a directory and its manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    NoManifest,
    BadManifest(String),
    BadSignature,
    /// The manifest's key is not the one given (`--key`, the printed one).
    OtherKey,
    Missing(String),
    Changed(String),
    Extra(String),
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::NoManifest => write!(f, "нет файла {MANIFEST} или {SIGNATURE}"),
            Problem::BadManifest(e) => write!(f, "{MANIFEST} не читается: {e}"),
            Problem::BadSignature => write!(
                f,
                "подпись {MANIFEST} неверна: опись изменена или подписана другим ключом"
            ),
            Problem::OtherKey => write!(
                f,
                "опись подписана не тем ключом, что указан (--key): ключ в описи другой"
            ),
            Problem::Missing(p) => write!(f, "файла нет: {p}"),
            Problem::Changed(p) => write!(f, "файл изменён (SHA-256 не совпадает): {p}"),
            Problem::Extra(p) => write!(f, "лишний файл, которого нет в описи: {p}"),
        }
    }
}

/// Every file under `dir` (relative, `/`-separated), sorted.
fn files_under(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let entry = entry?;
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                stack.push(path);
            } else if let Ok(rel) = path.strip_prefix(dir) {
                found.push(
                    rel.components()
                        .map(|c| c.as_os_str().to_string_lossy())
                        .collect::<Vec<_>>()
                        .join("/"),
                );
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Checks `dir`: the manifest's signature against its own key (and against `key_hex` when
/// given), every listed file's SHA-256 and size, and files the manifest does not list. Empty:
/// the archive is intact.
pub fn verify(dir: &Path, key_hex: Option<&str>) -> (Option<Manifest>, Vec<Problem>) {
    let (Ok(bytes), Ok(sig_text)) = (
        std::fs::read(dir.join(MANIFEST)),
        std::fs::read_to_string(dir.join(SIGNATURE)),
    ) else {
        return (None, vec![Problem::NoManifest]);
    };
    let mut problems = Vec::new();
    let manifest: Manifest = match serde_json::from_slice(&bytes) {
        Ok(m) => m,
        Err(e) => return (None, vec![Problem::BadManifest(e.to_string())]),
    };
    let key = unhex(&manifest.public_key)
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .and_then(|b| VerifyingKey::from_bytes(&b).ok());
    let signature = unhex(&sig_text)
        .and_then(|b| <[u8; 64]>::try_from(b).ok())
        .map(|b| Signature::from_bytes(&b));
    match (key, signature) {
        (Some(key), Some(signature)) if key.verify(&bytes, &signature).is_ok() => {}
        _ => problems.push(Problem::BadSignature),
    }
    if let Some(given) = key_hex
        && !given.trim().eq_ignore_ascii_case(&manifest.public_key)
    {
        problems.push(Problem::OtherKey);
    }
    let listed: BTreeMap<&str, &Entry> = manifest
        .files
        .iter()
        .map(|e| (e.path.as_str(), e))
        .collect();
    for entry in &manifest.files {
        // A path may not leave the directory.
        if entry.path.split('/').any(|p| p == ".." || p.is_empty()) {
            problems.push(Problem::Changed(entry.path.clone()));
            continue;
        }
        match digest_file(&dir.join(&entry.path)) {
            Ok((sha, size)) if sha == entry.sha256 && size == entry.size => {}
            Ok(_) => problems.push(Problem::Changed(entry.path.clone())),
            Err(_) => problems.push(Problem::Missing(entry.path.clone())),
        }
    }
    match files_under(dir) {
        Ok(found) => {
            for path in found {
                if path != MANIFEST && path != SIGNATURE && !listed.contains_key(path.as_str()) {
                    problems.push(Problem::Extra(path));
                }
            }
        }
        Err(e) => problems.push(Problem::BadManifest(e.to_string())),
    }
    (Some(manifest), problems)
}

/// What `zhurnal archive verify` prints: the archive's description, then «Архив цел» or each
/// difference and their count. `true` when the archive is intact.
pub fn report(dir: &Path, key_hex: Option<&str>) -> (bool, String) {
    use std::fmt::Write as _;
    let (manifest, problems) = verify(dir, key_hex);
    let mut out = String::new();
    if let Some(m) = &manifest {
        let _ = writeln!(
            out,
            "Архив: {}, учебный год {}, создан {}; файлов в описи: {}.",
            m.school,
            m.year,
            m.made_at,
            m.files.len()
        );
        let _ = writeln!(out, "Открытый ключ: {}", PublicKey::of_hex(&m.public_key));
        if let Some(head) = &m.audit_chain_head {
            let _ = writeln!(out, "Вершина цепочки журнала изменений: {head}");
        }
    }
    if problems.is_empty() {
        out.push_str("Архив цел: все файлы совпадают с описью, подпись верна.\n");
        (true, out)
    } else {
        for p in &problems {
            let _ = writeln!(out, "{p}");
        }
        let _ = writeln!(
            out,
            "Архив не прошёл проверку: расхождений — {}.",
            problems.len()
        );
        (false, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(dir: &Path, key: &SigningKey) -> Manifest {
        std::fs::create_dir_all(dir.join("5Б")).unwrap();
        std::fs::write(dir.join("5Б/journal.pdf"), b"%PDF-1.7 journal").unwrap();
        let (sha256, size) = digest_file(&dir.join("5Б/journal.pdf")).unwrap();
        let manifest = Manifest {
            format: FORMAT.into(),
            school_id: 1,
            school: "Школа № 1".into(),
            year: "2026/2027".into(),
            year_ends_on: "2027-08-31".into(),
            made_at: "2027-06-01T10:00:00+03:00".into(),
            audit_chain_head: None,
            covers_until: None,
            public_key: PublicKey::of(&key.verifying_key()).hex,
            files: vec![Entry {
                path: "5Б/journal.pdf".into(),
                kind: "journal".into(),
                sha256,
                size,
                retain_until: "2032-08-31".into(),
            }],
        };
        seal(dir, &manifest, key).unwrap();
        manifest
    }

    #[test]
    fn s6_a_sealed_directory_verifies_and_each_change_is_named() {
        let tmp = tempfile::tempdir().unwrap();
        let key = signing_key(tmp.path(), 1).unwrap();
        // The key is kept: the second use reads the same one, the file is the owner's only.
        assert_eq!(
            signing_key(tmp.path(), 1).unwrap().to_bytes(),
            key.to_bytes()
        );
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(key_path(tmp.path(), 1))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);

        let dir = tmp.path().join("a");
        let manifest = sample(&dir, &key);
        let printed = PublicKey::of(&key.verifying_key());
        assert_eq!(verify(&dir, Some(&printed.hex)).1, vec![]);
        assert_eq!(printed.fingerprint.len(), 39);

        let other = SigningKey::from_bytes(&[7; 32]);
        assert_eq!(
            verify(&dir, Some(&PublicKey::of(&other.verifying_key()).hex)).1,
            vec![Problem::OtherKey]
        );

        std::fs::write(dir.join("5Б/journal.pdf"), b"%PDF-1.7 journaL").unwrap();
        std::fs::write(dir.join("extra.txt"), b"x").unwrap();
        assert_eq!(
            verify(&dir, None).1,
            vec![
                Problem::Changed("5Б/journal.pdf".into()),
                Problem::Extra("extra.txt".into())
            ]
        );
        std::fs::remove_file(dir.join("5Б/journal.pdf")).unwrap();
        assert!(
            verify(&dir, None)
                .1
                .contains(&Problem::Missing("5Б/journal.pdf".into()))
        );

        // A manifest re-signed with another key verifies only without the printed key.
        seal(&dir, &manifest, &other).unwrap();
        let tampered = std::fs::read_to_string(dir.join(MANIFEST))
            .unwrap()
            .replace("Школа № 1", "Школа № 2");
        std::fs::write(dir.join(MANIFEST), tampered).unwrap();
        assert!(verify(&dir, None).1.contains(&Problem::BadSignature));
    }
}
