//! Password hashing with Argon2id, parameters per the OWASP password storage cheat sheet.
//!
//! [`Passwords::verify_dummy`] runs the same computation against a fixed hash, so that a login
//! for an unknown username costs as much as one with a wrong password.

use std::cell::RefCell;
use std::fmt;

use argon2::password_hash::{
    Output, PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString,
};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use zeroize::Zeroizing;

use crate::secrets::{RandomError, constant_time_eq, fill_random};

/// The longest password accepted, in bytes.
pub const MAX_PASSWORD_LEN: usize = 1024;

/// A PHC string for the default policy, hashed once from a throwaway password, for
/// [`Passwords::verify_dummy`].
const DEFAULT_DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$dGVzc2VyYS1kdW1teS1zYWx0$\
    33XSxeOo32ueh75wqzdb1xtXVzob4KFhb3wPgXBUGDI";

/// The password that [`DEFAULT_DUMMY_HASH`] and the dummy hashes of other policies were made
/// from. It is never accepted: `verify_dummy` ignores the outcome.
const DUMMY_PASSWORD: &[u8] = b"tessera dummy password";

/// The salt of dummy hashes (the same as in [`DEFAULT_DUMMY_HASH`]).
const DUMMY_SALT: &str = "dGVzc2VyYS1kdW1teS1zYWx0";

/// Argon2id cost parameters.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub struct PasswordPolicy {
    /// Memory in KiB (OWASP: 19456, i.e. 19 MiB).
    pub memory_kib: u32,
    /// Passes over memory (OWASP: 2).
    pub iterations: u32,
    /// Lanes (OWASP: 1).
    pub parallelism: u32,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self::new(19_456, 2, 1)
    }
}

impl PasswordPolicy {
    /// A policy with explicit costs (tests use small ones; production keeps the default).
    pub fn new(memory_kib: u32, iterations: u32, parallelism: u32) -> Self {
        Self {
            memory_kib,
            iterations,
            parallelism,
        }
    }

    fn params(&self) -> Result<Params, PasswordError> {
        Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .map_err(|err| PasswordError::Policy(err.to_string()))
    }
}

/// Why a password could not be hashed.
#[derive(Clone, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub enum PasswordError {
    /// The password is empty.
    Empty,
    /// The password is longer than [`MAX_PASSWORD_LEN`] bytes.
    TooLong,
    /// The password contains a NUL character.
    Nul,
    /// A new password shorter than the minimum (in characters).
    TooShort(usize),
    /// A new password that is among the most common ones, or easily guessed from the
    /// account's own name or email.
    TooCommon,
    /// The policy's parameters are out of Argon2's range.
    Policy(String),
    /// The random source failed (no salt).
    Random,
}

impl fmt::Display for PasswordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("the password is empty"),
            Self::TooLong => write!(f, "the password is longer than {MAX_PASSWORD_LEN} bytes"),
            Self::Nul => f.write_str("the password contains a NUL character"),
            Self::TooShort(min) => write!(
                f,
                "the password is shorter than {min} characters; a passphrase of a few words is \
                 easy to remember"
            ),
            Self::TooCommon => f.write_str(
                "the password is too common or too easy to guess (a known password, a keyboard \
                 pattern, or the account's name); choose a longer passphrase",
            ),
            Self::Policy(why) => write!(f, "bad password hashing parameters: {why}"),
            Self::Random => f.write_str("the system random source failed"),
        }
    }
}

impl std::error::Error for PasswordError {}

impl PasswordError {
    /// True when the password itself is the problem (empty, too long, NUL), not hashing.
    pub fn is_callers(&self) -> bool {
        matches!(
            self,
            Self::Empty | Self::TooLong | Self::Nul | Self::TooShort(_) | Self::TooCommon
        )
    }
}

impl From<RandomError> for PasswordError {
    fn from(_: RandomError) -> Self {
        Self::Random
    }
}

/// The outcome of checking a password against a stored hash.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub struct PasswordCheck {
    /// The password is right.
    pub matches: bool,
    /// The stored hash uses other parameters than the policy: store a new hash.
    pub needs_rehash: bool,
}

thread_local! {
    /// Argon2's working memory, kept by each thread that hashes or verifies passwords (the
    /// server's hashing threads, one per core) and reused by every hash on it.
    static ARGON2_MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Hashes and verifies passwords under one [`PasswordPolicy`].
#[derive(Clone)]
pub struct Passwords {
    policy: PasswordPolicy,
    argon2: Argon2<'static>,
    dummy_hash: String,
}

impl Passwords {
    /// Prepares hashing under `policy` (computing its dummy hash unless it is the default).
    ///
    /// # Errors
    /// [`PasswordError::Policy`] when the parameters are out of Argon2's range.
    pub fn new(policy: PasswordPolicy) -> Result<Self, PasswordError> {
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, policy.params()?);
        let dummy_hash = if policy == PasswordPolicy::default() {
            DEFAULT_DUMMY_HASH.to_owned()
        } else {
            let salt = SaltString::from_b64(DUMMY_SALT)
                .map_err(|err| PasswordError::Policy(err.to_string()))?;
            argon2
                .hash_password(DUMMY_PASSWORD, &salt)
                .map_err(|err| PasswordError::Policy(err.to_string()))?
                .to_string()
        };
        Ok(Self {
            policy,
            argon2,
            dummy_hash,
        })
    }

    /// The policy in force.
    pub fn policy(&self) -> PasswordPolicy {
        self.policy
    }

    /// Hashes `password` with a fresh 128-bit salt into a PHC string, in this thread's
    /// reusable Argon2 memory (as verification does): allocating 19 MiB per hash left glibc's
    /// per-thread arenas holding hundreds of megabytes after a few password changes.
    ///
    /// # Errors
    /// [`PasswordError`] for a password outside the limits, or a failed random source.
    pub fn hash(&self, password: &str) -> Result<String, PasswordError> {
        check_password(password)?;
        let mut salt = [0u8; 16];
        fill_random(&mut salt)?;
        let salt =
            SaltString::encode_b64(&salt).map_err(|err| PasswordError::Policy(err.to_string()))?;
        self.hash_with_salt(password.as_bytes(), &salt)
    }

    /// The PHC string of `password` under `salt`, computed in this thread's Argon2 memory.
    fn hash_with_salt(&self, password: &[u8], salt: &SaltString) -> Result<String, PasswordError> {
        let policy_error = |err: &dyn fmt::Display| PasswordError::Policy(err.to_string());
        let mut salt_buf = [0u8; 64];
        let salt_bytes = salt
            .as_salt()
            .decode_b64(&mut salt_buf)
            .map_err(|err| policy_error(&err))?;
        let blocks = self
            .argon2_block_count()
            .ok_or_else(|| PasswordError::Policy("no block count".into()))?;
        let mut out = Zeroizing::new([0u8; Params::DEFAULT_OUTPUT_LEN]);
        let input = Zeroizing::new(password.to_vec());
        ARGON2_MEMORY
            .with(|memory| {
                let mut memory = memory.borrow_mut();
                if memory.len() < blocks {
                    memory.resize(blocks, Block::default());
                }
                self.argon2.hash_password_into_with_memory(
                    &input,
                    salt_bytes,
                    &mut out[..],
                    &mut memory[..blocks],
                )
            })
            .map_err(|err| policy_error(&err))?;
        let output = Output::new(&out[..]).map_err(|err| policy_error(&err))?;
        let PasswordPolicy {
            memory_kib,
            iterations,
            parallelism,
        } = self.policy;
        Ok(format!(
            "${}$v={}$m={memory_kib},t={iterations},p={parallelism}${}${output}",
            Algorithm::Argon2id.ident(),
            u32::from(Version::V0x13),
            salt.as_str(),
        ))
    }

    /// Checks `password` against the PHC string `stored`. A password outside the limits or an
    /// unreadable hash never matches (and still costs one hash computation).
    pub fn verify(&self, password: &str, stored: &str) -> PasswordCheck {
        let Ok(parsed) = PasswordHash::new(stored) else {
            self.verify_dummy(password);
            return PasswordCheck {
                matches: false,
                needs_rehash: true,
            };
        };
        let acceptable = check_password(password).is_ok();
        let needs_rehash = self.needs_rehash(&parsed);
        // The verification runs even for unacceptable input, so that its cost does not tell.
        let matches = self.verify_parsed(password.as_bytes(), &parsed, needs_rehash) && acceptable;
        PasswordCheck {
            matches,
            needs_rehash,
        }
    }

    /// Verifies `password` against a fixed hash and forgets the answer: the cost of a real
    /// verification, for a username that does not exist.
    pub fn verify_dummy(&self, password: &str) {
        if let Ok(parsed) = PasswordHash::new(&self.dummy_hash) {
            let _ignored = self.verify_parsed(password.as_bytes(), &parsed, false);
        }
    }

    /// A hash made under the current policy is recomputed in this thread's reusable Argon2
    /// memory; any other goes through the general verifier.
    fn verify_parsed(&self, password: &[u8], parsed: &PasswordHash<'_>, foreign: bool) -> bool {
        let input = Zeroizing::new(password.to_vec());
        if !foreign && let Some(matches) = self.verify_in_reused_memory(&input, parsed) {
            return matches;
        }
        self.argon2.verify_password(&input, parsed).is_ok()
    }

    /// Recomputes the hash into this thread's Argon2 memory, kept between calls: allocating
    /// 19 MiB per login left the allocator holding freed blocks, hundreds of megabytes under
    /// a burst of logins. `None` when the stored hash lacks a salt or output of a usable size.
    fn verify_in_reused_memory(&self, password: &[u8], parsed: &PasswordHash<'_>) -> Option<bool> {
        let mut salt_buf = [0u8; 64];
        let salt = parsed.salt?.decode_b64(&mut salt_buf).ok()?;
        let expected = parsed.hash?;
        let mut computed = Zeroizing::new([0u8; 64]);
        let out = computed.get_mut(..expected.len())?;
        let blocks = self.argon2_block_count()?;
        let hashed = ARGON2_MEMORY.with(|memory| {
            let mut memory = memory.borrow_mut();
            if memory.len() < blocks {
                memory.resize(blocks, Block::default());
            }
            self.argon2
                .hash_password_into_with_memory(password, salt, out, &mut memory[..blocks])
        });
        hashed.ok()?;
        Some(constant_time_eq(out, expected.as_bytes()))
    }

    fn argon2_block_count(&self) -> Option<usize> {
        self.policy.params().ok().map(|params| params.block_count())
    }

    fn needs_rehash(&self, parsed: &PasswordHash<'_>) -> bool {
        let current = Params::try_from(parsed).ok();
        parsed.algorithm != Algorithm::Argon2id.ident()
            || parsed.version != Some(Version::V0x13.into())
            || current.is_none_or(|p| {
                p.m_cost() != self.policy.memory_kib
                    || p.t_cost() != self.policy.iterations
                    || p.p_cost() != self.policy.parallelism
                    || p.output_len() != Some(Params::DEFAULT_OUTPUT_LEN)
            })
    }
}

impl fmt::Debug for Passwords {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Passwords")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

/// The shortest new password accepted by default, in characters (NIST SP 800-63B §5.1.1.2).
pub const DEFAULT_MIN_PASSWORD_CHARS: usize = 8;

/// Checks a password being set (account creation, a reset, a change) against the rules for
/// new passwords: the limits of [`check_password`], at least `min_chars` characters, and not
/// among the most common passwords nor easily guessed from `related` (the username, the
/// email). Passwords already set are never re-checked: a login only verifies.
///
/// # Errors
/// [`PasswordError::TooShort`], [`PasswordError::TooCommon`], or those of
/// [`check_password`].
pub fn check_new_password(
    password: &str,
    min_chars: usize,
    related: &[&str],
) -> Result<(), PasswordError> {
    check_password(password)?;
    if password.chars().count() < min_chars {
        return Err(PasswordError::TooShort(min_chars));
    }
    // Scores 0 and 1 of 4: fewer than about 10^6 guesses (a top password, "12345678",
    // "Summer2024", a keyboard walk, the username with digits).
    let guessable = zxcvbn::zxcvbn(password, related).score() < zxcvbn::Score::Two;
    if guessable {
        return Err(PasswordError::TooCommon);
    }
    Ok(())
}

/// Checks a password against the limits: 1 to [`MAX_PASSWORD_LEN`] bytes, no NUL.
///
/// # Errors
/// [`PasswordError::Empty`], [`PasswordError::TooLong`] or [`PasswordError::Nul`].
pub fn check_password(password: &str) -> Result<(), PasswordError> {
    if password.is_empty() {
        Err(PasswordError::Empty)
    } else if password.len() > MAX_PASSWORD_LEN {
        Err(PasswordError::TooLong)
    } else if password.contains('\0') {
        Err(PasswordError::Nul)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_passwords_are_long_enough_and_not_common() {
        let check = |p: &str| {
            check_new_password(
                p,
                DEFAULT_MIN_PASSWORD_CHARS,
                &["alice", "alice@example.com"],
            )
        };
        assert_eq!(check("short"), Err(PasswordError::TooShort(8)));
        assert_eq!(
            check("ça va ça"),
            Ok(()),
            "eight characters, not eight bytes"
        );
        for common in [
            "password",
            "12345678",
            "qwertyuiop",
            "password1",
            "alice123",
            "alicealice",
        ] {
            assert_eq!(check(common), Err(PasswordError::TooCommon), "{common}");
        }
        assert_eq!(check("correct horse battery staple"), Ok(()));
        assert_eq!(check(&"x".repeat(2000)), Err(PasswordError::TooLong));
        assert!(PasswordError::TooCommon.is_callers() && PasswordError::TooShort(8).is_callers());
        assert_eq!(
            check_new_password("abcdefghij", 12, &[]),
            Err(PasswordError::TooShort(12))
        );
    }

    fn cheap() -> Passwords {
        Passwords::new(PasswordPolicy::new(256, 1, 1)).expect("valid policy")
    }

    #[test]
    fn hashes_verify_and_differ_by_salt() {
        let passwords = cheap();
        let one = passwords.hash("correct horse").expect("hash");
        let two = passwords.hash("correct horse").expect("hash");
        assert_ne!(one, two);
        assert!(one.starts_with("$argon2id$v=19$m=256,t=1,p=1$"));
        let check = passwords.verify("correct horse", &one);
        assert!(check.matches && !check.needs_rehash);
        assert!(!passwords.verify("correct horse!", &one).matches);
    }

    #[test]
    fn hashes_of_the_policy_are_verified_in_reused_memory() {
        let passwords = cheap();
        let stored = passwords.hash("right password").expect("hash");
        let parsed = PasswordHash::new(&stored).expect("phc");
        assert_eq!(
            passwords.verify_in_reused_memory(b"right password", &parsed),
            Some(true)
        );
        assert_eq!(
            passwords.verify_in_reused_memory(b"wrong password", &parsed),
            Some(false)
        );
        let blocks = passwords.argon2_block_count().expect("blocks");
        let kept = ARGON2_MEMORY.with(|memory| memory.borrow().len());
        assert_eq!(kept, blocks, "the thread keeps exactly one hash's memory");
        // The general verifier agrees.
        assert!(
            passwords
                .argon2
                .verify_password(b"right password", &parsed)
                .is_ok()
        );
        // A hash under other parameters still verifies, through the general path.
        let other = Passwords::new(PasswordPolicy::new(16, 2, 1)).expect("policy");
        let foreign = other.hash("right password").expect("hash");
        let check = passwords.verify("right password", &foreign);
        assert!(check.matches && check.needs_rehash);
        assert!(!passwords.verify("wrong password", &foreign).matches);
    }

    #[test]
    fn hashing_in_reused_memory_gives_the_phc_string_of_the_general_hasher() {
        for policy in [
            PasswordPolicy::new(256, 1, 1),
            PasswordPolicy::new(64, 3, 2),
        ] {
            let passwords = Passwords::new(policy).expect("policy");
            let salt = SaltString::from_b64(DUMMY_SALT).expect("salt");
            let ours = passwords
                .hash_with_salt(b"correct horse", &salt)
                .expect("hash");
            let general = passwords
                .argon2
                .hash_password(b"correct horse", &salt)
                .expect("hash")
                .to_string();
            assert_eq!(ours, general, "{policy:?}");
        }
        let passwords = cheap();
        ARGON2_MEMORY.with(|memory| memory.borrow_mut().clear());
        passwords.hash("first").expect("hash");
        let kept = ARGON2_MEMORY.with(|memory| memory.borrow().len());
        let blocks = passwords.argon2_block_count().expect("blocks");
        assert_eq!(kept, blocks, "hashing fills the thread's memory, once");
    }

    #[test]
    fn other_parameters_need_a_rehash() {
        let old = cheap().hash("pw").expect("hash");
        let stronger = Passwords::new(PasswordPolicy::new(512, 1, 1)).expect("policy");
        let check = stronger.verify("pw", &old);
        assert!(check.matches && check.needs_rehash);
        let garbage = stronger.verify("pw", "not a phc string");
        assert!(!garbage.matches && garbage.needs_rehash);
    }

    #[test]
    fn limits_are_enforced() {
        let passwords = cheap();
        assert_eq!(passwords.hash(""), Err(PasswordError::Empty));
        assert_eq!(passwords.hash("a\0b"), Err(PasswordError::Nul));
        let long = "x".repeat(MAX_PASSWORD_LEN + 1);
        assert_eq!(passwords.hash(&long), Err(PasswordError::TooLong));
        assert!(passwords.hash(&"x".repeat(MAX_PASSWORD_LEN)).is_ok());
        // A hash of a too-long password (made some other way) never matches.
        assert!(!passwords.verify(&long, &passwords.dummy_hash).matches);
    }

    #[test]
    fn default_policy_is_owasp_and_its_dummy_hash_is_valid() {
        let passwords = Passwords::new(PasswordPolicy::default()).expect("policy");
        assert_eq!(passwords.policy(), PasswordPolicy::new(19_456, 2, 1));
        // The precomputed hash is well-formed, uses the default parameters, and was made
        // from DUMMY_PASSWORD (this runs the full-cost computation once).
        let dummy = std::str::from_utf8(DUMMY_PASSWORD).expect("ascii");
        let check = passwords.verify(dummy, DEFAULT_DUMMY_HASH);
        assert!(
            check.matches,
            "DEFAULT_DUMMY_HASH must match DUMMY_PASSWORD"
        );
        assert!(!check.needs_rehash);
        passwords.verify_dummy("anything");
    }
}
