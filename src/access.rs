//! Staff access: roles, API tokens and how they are kept.
//!
//! A token is 32 bytes from the operating system's CSPRNG (`getrandom`), shown once as
//! `cmk_` followed by 64 lowercase hex digits. The database keeps only its SHA-256.
//!
//! Why a fast hash and not a password hash (argon2, bcrypt): those exist to slow down guessing
//! of *low-entropy* secrets chosen by people. A token carries 256 bits chosen by the machine,
//! so an attacker holding the hashes would have to search 2^256 preimages; making each guess
//! slower adds nothing, while it would cost CPU on every authenticated request. SHA-256 also
//! lets the server look a user up by hash (an indexed column) instead of trying every hash.
//! The comparison after the lookup is constant-time anyway (`subtle`), so the check does not
//! depend on timing-sensitive equality at any step.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::domain::utc_text;

/// The printed prefix of every token; lets secret scanners and people recognise it.
pub const TOKEN_PREFIX: &str = "cmk_";
/// Random bytes in a token.
pub const TOKEN_BYTES: usize = 32;
/// Longest user name, in characters.
pub const MAX_USER_NAME_CHARS: usize = 64;

/// What a staff user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Creates, updates, deletes, restores and reverts providers; reads history and the audit log.
    Editor,
    /// Everything an editor may do, plus user management.
    Admin,
    /// A care office's own account (事業所アカウント): reads and confirms the vacancy (空き状況)
    /// of the providers it is bound to, nothing else.
    Provider,
}

impl Role {
    /// The stored and command-line spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Editor => "editor",
            Role::Admin => "admin",
            Role::Provider => "provider",
        }
    }

    /// Parses `editor`, `admin` or `provider`.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "editor" => Some(Role::Editor),
            "admin" => Some(Role::Admin),
            "provider" => Some(Role::Provider),
            _ => None,
        }
    }

    /// Whether this role includes everything `needed` may do. A provider account includes
    /// neither staff role.
    pub fn includes(self, needed: Role) -> bool {
        match needed {
            Role::Provider => true,
            Role::Editor => self != Role::Provider,
            Role::Admin => self == Role::Admin,
        }
    }
}

/// SHA-256 of a token as printed (prefix included).
pub type TokenHash = [u8; 32];

/// Why a token could not be made.
#[derive(Debug, thiserror::Error)]
#[error("the operating system's random source failed: {0}")]
pub struct RandomError(String);

/// A new token as shown to the user once, and the hash to store.
///
/// # Errors
/// [`RandomError`] when the OS random source fails (never silently weaker randomness).
pub fn generate_token() -> Result<(String, TokenHash), RandomError> {
    let mut bytes = [0u8; TOKEN_BYTES];
    getrandom::fill(&mut bytes).map_err(|e| RandomError(e.to_string()))?;
    let mut token = String::with_capacity(TOKEN_PREFIX.len() + 2 * TOKEN_BYTES);
    token.push_str(TOKEN_PREFIX);
    token.push_str(&hex(&bytes));
    let hash = hash_token(&token);
    Ok((token, hash))
}

/// Whether `token` has the shape of a caremap token (prefix and 64 hex digits). Anything else
/// is refused before it is hashed or looked up.
pub fn is_well_formed(token: &str) -> bool {
    token.strip_prefix(TOKEN_PREFIX).is_some_and(|rest| {
        rest.len() == 2 * TOKEN_BYTES && rest.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// SHA-256 of the token text.
pub fn hash_token(token: &str) -> TokenHash {
    Sha256::digest(token.as_bytes()).into()
}

/// Constant-time equality of two token hashes.
pub fn hashes_equal(a: &TokenHash, b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.as_slice().ct_eq(b))
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// Longest token lifetime `--expires-in-days` accepts (ten years).
pub const MAX_TOKEN_DAYS: u32 = 3650;

/// The expiry of a token issued now that lives `days` days.
pub fn expiry_in_days(days: u32) -> String {
    utc_text(time::OffsetDateTime::now_utc() + time::Duration::days(i64::from(days)))
}

/// Checks a user name: 1 to [`MAX_USER_NAME_CHARS`] characters after trimming, no control
/// characters. Returns the trimmed name. Names appear in the audit log as `changed_by`.
///
/// # Errors
/// A sentence saying what is wrong.
pub fn validate_user_name(name: &str) -> Result<&str, String> {
    let name = name.trim();
    if name.is_empty() {
        return Err("the user name must not be empty".into());
    }
    if name.chars().count() > MAX_USER_NAME_CHARS {
        return Err(format!("the user name must be at most {MAX_USER_NAME_CHARS} characters"));
    }
    if name.chars().any(char::is_control) {
        return Err("the user name must not contain control characters".into());
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_token_is_well_formed_unique_and_hashed_from_its_text() {
        let (a, hash_a) = generate_token().unwrap();
        let (b, _) = generate_token().unwrap();
        assert!(is_well_formed(&a) && is_well_formed(&b), "{a} {b}");
        assert_ne!(a, b);
        assert_eq!(hash_token(&a), hash_a);
        assert!(hashes_equal(&hash_a, &hash_token(&a)));
        assert!(!hashes_equal(&hash_a, &hash_token(&b)));
        assert!(!hashes_equal(&hash_a, &hash_a[..31]));
    }

    #[test]
    fn malformed_tokens_are_recognised() {
        assert!(!is_well_formed(""));
        assert!(!is_well_formed("cmk_"));
        assert!(!is_well_formed(&format!("cmk_{}", "A".repeat(64))));
        assert!(!is_well_formed(&format!("xyz_{}", "a".repeat(64))));
        assert!(!is_well_formed(&format!("cmk_{}", "a".repeat(63))));
        assert!(is_well_formed(&format!("cmk_{}", "0a".repeat(32))));
    }

    #[test]
    fn sha256_matches_a_known_vector() {
        assert_eq!(hex(&hash_token("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn admin_includes_editor_but_not_the_reverse() {
        assert!(Role::Admin.includes(Role::Editor));
        assert!(Role::Editor.includes(Role::Editor));
        assert!(!Role::Editor.includes(Role::Admin));
    }

    #[test]
    fn expiry_is_stored_in_utc_whole_seconds_days_ahead() {
        let t = time::macros::datetime!(2026-11-30 14:05:06.7 +09:00);
        assert_eq!(utc_text(t), "2026-11-30T05:05:06Z");
        let in_a_day = expiry_in_days(1);
        let now = utc_text(time::OffsetDateTime::now_utc());
        assert!(in_a_day > now && in_a_day.len() == now.len(), "{in_a_day} {now}");
    }

    #[test]
    fn user_names_are_trimmed_and_checked() {
        assert_eq!(validate_user_name("  yamada "), Ok("yamada"));
        assert_eq!(validate_user_name("山田 太郎"), Ok("山田 太郎"));
        assert!(validate_user_name("  ").is_err());
        assert!(validate_user_name("a\nb").is_err());
        assert!(validate_user_name(&"x".repeat(65)).is_err());
    }
}
