//! Secrets: hashing and constant-time comparison of keys, and the admin key's life cycle.
//!
//! Keys we hand out (admin, later client keys) are long random strings, so a single SHA-256
//! is the right hash: fast on the request path, and brute force is not a concern at this
//! entropy. Provider keys must be sent upstream, so they are encrypted, not hashed
//! (`secrets`).

pub mod admin_key;
pub mod secrets;

use rand::RngExt;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// SHA-256 of a key.
pub fn sha256(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// Compares two digests in constant time.
pub fn digest_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.ct_eq(b).into()
}

/// A random key: `prefix` followed by 40 characters of base62 (about 238 bits).
pub fn random_key(prefix: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    let body: String = (0..40)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    format!("{prefix}{body}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_keys_are_distinct_and_carry_their_prefix() {
        let a = random_key("llmo-admin-");
        let b = random_key("llmo-admin-");
        assert_ne!(a, b);
        assert!(a.starts_with("llmo-admin-") && a.len() == 51);
    }

    #[test]
    fn digests_compare_equal_only_for_the_same_key() {
        assert!(digest_eq(&sha256("k1"), &sha256("k1")));
        assert!(!digest_eq(&sha256("k1"), &sha256("k2")));
    }
}
