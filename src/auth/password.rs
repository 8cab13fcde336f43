//! Password hashing with argon2id (OWASP parameters), off the async threads, and generation of
//! initial passwords that are easy to type from a printed slip.

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, PasswordHash, Version};
use rand::Rng;

fn argon2() -> Argon2<'static> {
    // m = 19 MiB, t = 2, p = 1: the OWASP recommendation for argon2id.
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password (blocking; see `hash_async`).
pub fn hash(password: &str) -> anyhow::Result<String> {
    let hash = argon2()
        .hash_password(password.as_bytes())
        .map_err(|e| anyhow::anyhow!("cannot hash a password: {e}"))?;
    Ok(hash.to_string())
}

/// Checks a password against a stored hash (blocking; see `verify_async`).
pub fn verify(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// How many passwords are hashed at once. Each argon2id hash holds 19 MiB while it runs, and the
/// work is all CPU: hashing more at once than there are cores makes nobody faster, and 200
/// logins at once would otherwise hold 3.8 GB. The others wait their turn.
fn hashing_slots() -> &'static tokio::sync::Semaphore {
    static SLOTS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    SLOTS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        tokio::sync::Semaphore::new(cores.clamp(1, 8))
    })
}

pub async fn hash_async(password: String) -> anyhow::Result<String> {
    let _slot = hashing_slots().acquire().await?;
    tokio::task::spawn_blocking(move || hash(&password)).await?
}

pub async fn verify_async(password: String, stored: String) -> bool {
    let Ok(_slot) = hashing_slots().acquire().await else {
        return false;
    };
    tokio::task::spawn_blocking(move || verify(&password, &stored))
        .await
        .unwrap_or(false)
}

/// A stored hash of a password nobody knows: verified against when the login does not exist,
/// so that the answer takes as long either way.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash("no such account, no such password").expect("hash"))
}

/// A new initial password: 10 characters from an alphabet without look-alikes (no 0/O, 1/l/I).
pub fn generate() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..10)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Why a new password is refused, in Russian.
pub fn weakness(password: &str, login: &str) -> Option<&'static str> {
    let len = password.chars().count();
    if len < 8 {
        Some("Пароль должен быть не короче 8 символов.")
    } else if len > 200 {
        Some("Пароль слишком длинный (не больше 200 символов).")
    } else if password.to_lowercase().contains(&login.to_lowercase()) {
        Some("Пароль не должен содержать логин.")
    } else if password.chars().all(|c| c.is_ascii_digit()) {
        Some("Пароль не должен состоять из одних цифр.")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_is_argon2id_and_verifies_only_its_password() {
        let h = hash("верный пароль").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("верный пароль", &h));
        assert!(!verify("неверный пароль", &h));
        assert!(!verify("x", "not a hash"));
    }

    #[test]
    fn generated_passwords_are_ten_unambiguous_characters_and_differ() {
        let a = generate();
        assert_eq!(a.len(), 10);
        assert!(!a.contains(['0', 'O', '1', 'l', 'I']));
        assert_ne!(a, generate());
    }

    #[test]
    fn weak_passwords_are_refused_with_a_reason() {
        assert!(weakness("short", "ivanov").is_some());
        assert!(weakness("12345678901", "ivanov").is_some());
        assert!(weakness("my-ivanov-pass", "ivanov").is_some());
        assert!(weakness("длинный пароль", "ivanov").is_none());
    }
}
