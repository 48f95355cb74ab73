//! Provider keys at rest: the master key's life cycle and the AEAD that seals each key.
//!
//! Owns the stored format (`v1:` + base64(nonce || ciphertext || tag), ChaCha20-Poly1305 with
//! a random 96-bit nonce per value and a fixed AAD) and where the 32-byte master key comes
//! from: `security.master_key` (`MASTER_KEY`, base64) wins; otherwise the key file
//! `security.master_key_file` holds it as one line of base64 (the same text `MASTER_KEY`
//! takes, so an operator can move it between the two), and is created with mode 0600 on the
//! first start. Which rows hold ciphertext, and masking for display, belong to the catalog.
//!
//! A random nonce per value is safe here: 96 bits make a collision negligible for the number of
//! provider keys any installation will ever encrypt under one master key.

use std::fmt;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};

use crate::config::SecurityConfig;

/// Marks the format version, so a later change of algorithm can tell old values apart.
const STORED_PREFIX: &str = "v1:";

/// Binds every ciphertext to its purpose: a value sealed for something else under the same
/// master key does not open as a provider key.
const AAD: &[u8] = b"llm-orchestrator/provider-key/v1";

const TAG_LEN: usize = 16;

/// How long a process that lost the race to create the key file waits for the winner to have
/// written it (the winner writes one short line right after creating the file).
const WAIT_FOR_WINNER: Duration = Duration::from_millis(1000);

/// Encrypts and decrypts provider keys with the master key. Cheap to clone.
#[derive(Clone)]
pub struct Secrets {
    key: Arc<LessSafeKey>,
    rng: SystemRandom,
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secrets(***)")
    }
}

/// Where the master key in use came from (`serve` logs it; the key itself never is).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MasterKeySource {
    /// `security.master_key` / `MASTER_KEY`.
    Configured,
    /// An existing key file.
    File(PathBuf),
    /// This call created the key file.
    Generated(PathBuf),
}

#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    /// Authentication failed: another master key sealed this value, or it was altered.
    #[error(
        "cannot decrypt a stored provider key: the master key does not match the one it was \
         encrypted with (or the stored value was altered)"
    )]
    KeyMismatch,
    /// Not something `encrypt` produced.
    #[error("a stored provider key is malformed: {0}")]
    Malformed(String),
    #[error("security.master_key: {0}")]
    BadConfiguredKey(String),
    #[error("master key file {}: {problem}", path.display())]
    BadKeyFile { path: PathBuf, problem: String },
    #[error(
        "master key file {} is readable by group or others (mode {mode:03o}); \
         run `chmod 600 {}` and start again",
        path.display(),
        path.display()
    )]
    Permissions { path: PathBuf, mode: u32 },
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Decodes a master key written as base64 of 32 bytes; the error says what is wrong without
/// repeating the value. Used by config validation too.
pub fn decode_master_key(text: &str) -> Result<[u8; 32], String> {
    let bytes = STANDARD.decode(text.trim()).map_err(|_| {
        "expected base64 of 32 random bytes (e.g. `openssl rand -base64 32`)".to_string()
    })?;
    <[u8; 32]>::try_from(bytes.as_slice())
        .map_err(|_| format!("decodes to {} bytes, expected 32", bytes.len()))
}

/// The text form of a master key (what `decode_master_key` reads).
pub fn encode_master_key(key: &[u8; 32]) -> String {
    STANDARD.encode(key)
}

impl Secrets {
    pub fn new(master_key: [u8; 32]) -> Secrets {
        let unbound = UnboundKey::new(&CHACHA20_POLY1305, &master_key)
            .expect("a 32-byte key is valid for ChaCha20-Poly1305");
        Secrets {
            key: Arc::new(LessSafeKey::new(unbound)),
            rng: SystemRandom::new(),
        }
    }

    /// A fresh random master key (tests and tools; servers use `load_or_create`).
    pub fn random() -> Secrets {
        Secrets::new(random_key_bytes())
    }

    /// The configured key, else the key file, else a new key file.
    ///
    /// Blocking file I/O: call it at start-up, before serving. Two processes starting at once
    /// on a missing file agree on one key: the file is created with `create_new`, and the
    /// process that loses reads the winner's key.
    pub fn load_or_create(
        cfg: &SecurityConfig,
    ) -> Result<(Secrets, MasterKeySource), SecretsError> {
        if let Some(configured) = &cfg.master_key {
            let key =
                decode_master_key(configured.expose()).map_err(SecretsError::BadConfiguredKey)?;
            return Ok((Secrets::new(key), MasterKeySource::Configured));
        }
        let path = cfg.master_key_file.as_path();
        if let Some(key) = read_key_file(path)? {
            return Ok((Secrets::new(key), MasterKeySource::File(path.to_path_buf())));
        }
        match create_key_file(path)? {
            Some(key) => Ok((
                Secrets::new(key),
                MasterKeySource::Generated(path.to_path_buf()),
            )),
            None => {
                let key = wait_for_key_file(path)?;
                Ok((Secrets::new(key), MasterKeySource::File(path.to_path_buf())))
            }
        }
    }

    /// Seals `plain`; every call uses a new random nonce, so equal inputs give different
    /// outputs.
    pub fn encrypt(&self, plain: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng
            .fill(&mut nonce)
            .expect("the operating system's random generator failed");
        let mut sealed = plain.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(AAD),
                &mut sealed,
            )
            .expect("sealing fails only for inputs of more than 256 GiB");
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        format!("{STORED_PREFIX}{}", STANDARD.encode(out))
    }

    /// Opens what `encrypt` produced. A different master key and an altered value both fail
    /// with `KeyMismatch` (an AEAD cannot tell the two apart).
    pub fn decrypt(&self, stored: &str) -> Result<String, SecretsError> {
        let body = stored.strip_prefix(STORED_PREFIX).ok_or_else(|| {
            SecretsError::Malformed(format!("unknown format (expected `{STORED_PREFIX}...`)"))
        })?;
        let mut raw = STANDARD
            .decode(body)
            .map_err(|_| SecretsError::Malformed("not valid base64".into()))?;
        if raw.len() < NONCE_LEN + TAG_LEN {
            return Err(SecretsError::Malformed("too short".into()));
        }
        let mut sealed = raw.split_off(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(&raw).expect("the length was checked");
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(AAD), &mut sealed)
            .map_err(|_| SecretsError::KeyMismatch)?;
        String::from_utf8(plain.to_vec())
            .map_err(|_| SecretsError::Malformed("the plaintext is not UTF-8".into()))
    }
}

fn random_key_bytes() -> [u8; 32] {
    let mut key = [0u8; 32];
    SystemRandom::new()
        .fill(&mut key)
        .expect("the operating system's random generator failed");
    key
}

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> SecretsError {
    let path = path.to_path_buf();
    move |source| SecretsError::Io {
        action,
        path,
        source,
    }
}

/// The key in `path`, `None` when the file does not exist.
fn read_key_file(path: &Path) -> Result<Option<[u8; 32]>, SecretsError> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error("read", path)(e)),
    };
    check_private(path, &meta)?;
    let text = std::fs::read_to_string(path).map_err(io_error("read", path))?;
    if text.trim().is_empty() {
        return Err(SecretsError::BadKeyFile {
            path: path.to_path_buf(),
            problem: "the file is empty".into(),
        });
    }
    decode_master_key(&text)
        .map(Some)
        .map_err(|problem| SecretsError::BadKeyFile {
            path: path.to_path_buf(),
            problem,
        })
}

/// A key file anyone but its owner can read leaks every provider key: refuse it rather than
/// warn, because a warning in a log is easy to miss.
#[cfg(unix)]
fn check_private(path: &Path, meta: &std::fs::Metadata) -> Result<(), SecretsError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(SecretsError::Permissions {
            path: path.to_path_buf(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path, _meta: &std::fs::Metadata) -> Result<(), SecretsError> {
    Ok(())
}

/// Creates the key file with a new key; `None` when another process created it first.
fn create_key_file(path: &Path) -> Result<Option<[u8; 32]>, SecretsError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io_error("create the directory", dir))?;
    }
    let key = random_key_bytes();
    let line = format!("{}\n", encode_master_key(&key));
    // Write the whole file under a private temporary name, then link it into place: the link
    // either creates `path` with its full content or fails because another process won, so
    // nobody ever reads a half-written key file.
    let tmp = path.with_file_name(format!(
        ".{}.{}-{}.tmp",
        path.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("master.key"),
        std::process::id(),
        hex_suffix()
    ));
    write_private(&tmp, line.as_bytes())?;
    let linked = std::fs::hard_link(&tmp, path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok(Some(key)),
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(None),
        // A filesystem without hard links: fall back to create-new, where a reader may
        // briefly see an empty file (`wait_for_key_file` covers that).
        Err(_) => match write_private(path, line.as_bytes()) {
            Ok(()) => Ok(Some(key)),
            Err(SecretsError::Io { source, .. }) if source.kind() == ErrorKind::AlreadyExists => {
                Ok(None)
            }
            Err(e) => Err(e),
        },
    }
}

/// Creates `path` (which must not exist) with mode 0600 and `content`, synced to disk.
fn write_private(path: &Path, content: &[u8]) -> Result<(), SecretsError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(io_error("create", path))?;
    file.write_all(content)
        .and_then(|()| file.sync_all())
        .map_err(io_error("write", path))
}

fn hex_suffix() -> String {
    let mut b = [0u8; 6];
    SystemRandom::new()
        .fill(&mut b)
        .expect("the operating system's random generator failed");
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Reads the key another process is creating: an empty file means it has not written yet.
fn wait_for_key_file(path: &Path) -> Result<[u8; 32], SecretsError> {
    let step = Duration::from_millis(20);
    let mut waited = Duration::ZERO;
    loop {
        match read_key_file(path) {
            Ok(Some(key)) => return Ok(key),
            Err(SecretsError::BadKeyFile { .. }) | Ok(None) if waited < WAIT_FOR_WINNER => {
                std::thread::sleep(step);
                waited += step;
            }
            Ok(None) => {
                return Err(SecretsError::BadKeyFile {
                    path: path.to_path_buf(),
                    problem: "the file disappeared while another process was creating it".into(),
                })
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    fn cfg(file: &Path, configured: Option<&str>) -> SecurityConfig {
        SecurityConfig {
            admin_key: None,
            master_key: configured.map(Secret::new),
            master_key_file: file.to_path_buf(),
        }
    }

    #[cfg(unix)]
    fn chmod(path: &Path, mode: u32) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn values_round_trip_and_each_encryption_uses_a_new_nonce() {
        let s = Secrets::random();
        let a = s.encrypt("sk-LEAKCHECK-123");
        let b = s.encrypt("sk-LEAKCHECK-123");
        assert_ne!(a, b);
        assert!(a.starts_with("v1:") && !a.contains("LEAKCHECK"));
        assert_eq!(s.decrypt(&a).unwrap(), "sk-LEAKCHECK-123");
        assert_eq!(s.decrypt(&s.encrypt("")).unwrap(), "");
    }

    #[test]
    fn a_different_master_key_fails_with_a_message_that_says_so() {
        let stored = Secrets::random().encrypt("sk-secret");
        let e = Secrets::random().decrypt(&stored).unwrap_err();
        assert!(matches!(e, SecretsError::KeyMismatch));
        assert!(e.to_string().contains("master key does not match"), "{e}");
    }

    #[test]
    fn any_altered_byte_is_detected() {
        let s = Secrets::random();
        let stored = s.encrypt("sk-secret");
        let raw = STANDARD.decode(&stored[3..]).unwrap();
        for i in 0..raw.len() {
            let mut bad = raw.clone();
            bad[i] ^= 0x01;
            let tampered = format!("v1:{}", STANDARD.encode(&bad));
            assert!(
                matches!(s.decrypt(&tampered), Err(SecretsError::KeyMismatch)),
                "byte {i}"
            );
        }
        assert!(matches!(
            s.decrypt("sk-plain"),
            Err(SecretsError::Malformed(_))
        ));
        assert!(matches!(
            s.decrypt("v1:AAAA"),
            Err(SecretsError::Malformed(_))
        ));
    }

    #[test]
    fn a_configured_key_wins_over_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("master.key");
        let key = [7u8; 32];
        let (s, source) =
            Secrets::load_or_create(&cfg(&file, Some(&encode_master_key(&key)))).unwrap();
        assert_eq!(source, MasterKeySource::Configured);
        assert!(!file.exists(), "a configured key must not create the file");
        assert_eq!(
            Secrets::new(key).decrypt(&s.encrypt("x")).unwrap(),
            "x",
            "the configured key is the one in use"
        );
        let e = Secrets::load_or_create(&cfg(&file, Some("c2hvcnQ="))).unwrap_err();
        assert_eq!(
            e.to_string(),
            "security.master_key: decodes to 5 bytes, expected 32"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_missing_file_is_generated_private_and_reused_next_time() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("data").join("master.key");
        let (first, source) = Secrets::load_or_create(&cfg(&file, None)).unwrap();
        assert_eq!(source, MasterKeySource::Generated(file.clone()));
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(decode_master_key(&text).is_ok(), "one line of base64");

        let (second, source) = Secrets::load_or_create(&cfg(&file, None)).unwrap();
        assert_eq!(source, MasterKeySource::File(file.clone()));
        assert_eq!(second.decrypt(&first.encrypt("k")).unwrap(), "k");
    }

    #[cfg(unix)]
    #[test]
    fn an_existing_file_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("master.key");
        let key = [42u8; 32];
        std::fs::write(&file, format!("{}\n", encode_master_key(&key))).unwrap();
        chmod(&file, 0o600);
        let (s, source) = Secrets::load_or_create(&cfg(&file, None)).unwrap();
        assert_eq!(source, MasterKeySource::File(file.clone()));
        assert_eq!(Secrets::new(key).decrypt(&s.encrypt("k")).unwrap(), "k");
    }

    #[cfg(unix)]
    #[test]
    fn a_file_others_can_read_is_refused_with_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("master.key");
        std::fs::write(&file, encode_master_key(&[1u8; 32])).unwrap();
        chmod(&file, 0o644);
        let e = Secrets::load_or_create(&cfg(&file, None)).unwrap_err();
        let msg = e.to_string();
        assert!(matches!(e, SecretsError::Permissions { mode: 0o644, .. }));
        assert!(
            msg.contains("readable by group or others") && msg.contains("chmod 600"),
            "{msg}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_file_with_the_wrong_content_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("master.key");
        std::fs::write(&file, "not base64 at all!").unwrap();
        chmod(&file, 0o600);
        let e = Secrets::load_or_create(&cfg(&file, None)).unwrap_err();
        assert!(
            e.to_string().starts_with(&format!(
                "master key file {}: expected base64",
                file.display()
            )),
            "{e}"
        );
    }

    #[test]
    fn processes_starting_together_agree_on_one_generated_key() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("master.key");
        let handles: Vec<_> = (0..6)
            .map(|_| {
                let c = cfg(&file, None);
                std::thread::spawn(move || Secrets::load_or_create(&c).unwrap())
            })
            .collect();
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let generated = results
            .iter()
            .filter(|(_, s)| matches!(s, MasterKeySource::Generated(_)))
            .count();
        assert_eq!(generated, 1, "exactly one process creates the file");
        let sealed = results[0].0.encrypt("shared");
        for (s, _) in &results {
            assert_eq!(s.decrypt(&sealed).unwrap(), "shared");
        }
    }
}
