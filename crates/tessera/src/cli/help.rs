//! Help texts: what each command is for, how it decides, and examples to copy.
//!
//! Paragraphs are single lines (clap wraps them to the terminal); examples keep their lines.

/// One line for `tessera -h`.
pub(super) const TESSERA_ABOUT: &str = "Tessera: a self-hosted JWT authentication server, and tools to inspect, verify and sign tokens";

/// `tessera --help`.
pub(super) const TESSERA_LONG: &str = "\
Tessera issues short-lived signed JWT access tokens and rotating refresh tokens, and publishes \
its public keys as a JWKS so that services verify tokens on their own.

This binary also carries offline token tools: `token decode` to read what a token claims, \
`token verify` to check it against the issuer's keys, `token sign` to make test tokens, \
`keys generate` to make keys, and `jws verify` for raw JWS test vectors.

Exit codes: 0 success, 1 a token or credential was rejected, 2 bad usage or configuration.";

/// Examples for `tessera --help`.
pub(super) const TESSERA_EXAMPLES: &str = "\
Examples:
  tessera keys generate --alg ES256 > key.jwk
  tessera token sign --key key.jwk --claims '{\"sub\":\"alice\"}' > token.jwt
  tessera token decode < token.jwt
  tessera token verify --key key.jwk < token.jwt";

/// `tessera keys --help`.
pub(super) const KEYS_LONG: &str = "\
Signing keys. `generate` makes a key offline and prints it; nothing is stored. Keys are \
printed as JSON Web Keys (RFC 7517), with an RFC 7638 thumbprint as kid.

`list`, `rotate` and `retire` work on the signing keys in the deployment's store (--data-dir, \
--database-url), whether or not `tessera serve` runs.";

/// Examples for `tessera keys --help`.
pub(super) const KEYS_EXAMPLES: &str = "\
Examples:
  tessera keys generate --alg EdDSA > signing.jwk
  tessera keys list
  tessera keys rotate --alg ES256";

/// `tessera keys generate --help`.
pub(super) const GENERATE_LONG: &str = "\
Generates a new signing key offline and prints it as a JWK with kid (its RFC 7638 thumbprint \
unless --kid is given), alg and \"use\": \"sig\". The output is a private key: keep it secret.

With --public only the public half is printed and the private half is discarded (handy for \
tests); an HMAC key (HS*) is a shared secret with no public half, so --public is refused. \
--format pem prints PKCS#8 (private) or SPKI (public) PEM instead, for RSA, EC and Ed25519 keys.

RSA keys are 2048 bits unless --bits says 3072 or 4096. HMAC secrets are as long as the hash \
(32, 48 or 64 bytes). Algorithms: HS256 HS384 HS512 RS256 RS384 RS512 PS256 PS384 PS512 ES256 \
ES384 ES512 EdDSA.";

/// Examples for `tessera keys generate --help`.
pub(super) const GENERATE_EXAMPLES: &str = "\
Examples:
  tessera keys generate --alg ES256 > signing.jwk
  tessera keys generate --alg RS256 --bits 3072 --format pem > rsa.pem
  tessera keys generate --alg HS256 > hmac.jwk";

/// `tessera token --help`.
pub(super) const TOKEN_LONG: &str = "\
Tools for JSON Web Tokens (RFC 7519) in compact form: `decode` shows what a token says without \
checking it, `verify` checks its signature and claims against keys you trust, and `sign` makes \
one from claims and a private key. Each reads the token from its argument or from stdin.";

/// Examples for `tessera token --help`.
pub(super) const TOKEN_EXAMPLES: &str = "\
Examples:
  tessera token decode \"$TOKEN\"
  tessera token verify --jwks https://auth.example.com/.well-known/jwks.json \"$TOKEN\"
  tessera token sign --key key.jwk --claims '{\"sub\":\"alice\"}'";

/// `tessera token decode --help`.
pub(super) const DECODE_LONG: &str = "\
Shows a token's header and claims as pretty JSON, with its times (exp, nbf, iat) as UTC dates \
and relative text (\"expires in 14 min\"), and warns about risky choices: no exp, a lifetime \
over a day, HMAC or `none` algorithms, keys named in the header (jku, jwk, x5u, x5c), claims \
whose names look sensitive (password, secret, card number, ssn…) and values that look like \
payment card numbers.

Nothing is verified: anyone can write any header and claims, so everything shown is marked \
UNVERIFIED. Decoding works on tokens a verifier refuses (alg none, for one), which is what you \
need when debugging. Use `tessera token verify` before trusting a token.

The token comes from the argument, or from stdin when the argument is `-` or absent. \
Surrounding whitespace and a leading `Bearer ` are ignored.

Exit codes: 0 decoded, 1 the input is not a token, 2 bad usage.";

/// Examples for `tessera token decode --help`.
pub(super) const DECODE_EXAMPLES: &str = "\
Examples:
  tessera token decode eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln
  echo \"$TOKEN\" | tessera token decode
  tessera token decode --json < token.jwt | jq .warnings";

/// `tessera token verify --help`.
pub(super) const VERIFY_LONG: &str = "\
Checks a token's signature with keys you trust, then its claims: exp (required), nbf and iat \
with a clock-skew leeway (60 s unless --leeway), and iss, aud and typ when you ask for them. On \
success the claims are printed as JSON on stdout (exit 0); otherwise one line on stderr says \
what is wrong, with a code such as jwt_expired or signature_invalid (exit 1).

Give exactly one key source:
  --jwks FILE|URL     the issuer's JWK Set, from a file or an https URL; the token's kid picks
                      the key. Plain http is allowed only for 127.0.0.1, ::1 and localhost.
                      Fetching stops after 10 s or 1 MiB.
  --key FILE          one key: a PEM (public or private) or a JWK file.
  --secret-file FILE  a raw HMAC secret (one trailing newline is ignored); HS256 unless
                      --alg says HS384 or HS512.

Each key verifies exactly one algorithm and `none` is never accepted. --alg, repeatable, is an \
allow-list: a key is bound to the listed algorithm that fits it (PS256 for an RSA key, say). \
Keys named by the token itself (jwk, jku, x5u, x5c headers) are never used.

Exit codes: 0 valid, 1 rejected, 2 bad usage or an unusable key source.";

/// Examples for `tessera token verify --help`.
pub(super) const VERIFY_EXAMPLES: &str = "\
Examples:
  tessera token verify --jwks https://auth.example.com/.well-known/jwks.json \\
      --iss https://auth.example.com --aud orders \"$TOKEN\"
  tessera token verify --key public.pem --alg PS256 < token.jwt
  tessera token verify --secret-file hmac.secret --alg HS512 \"$TOKEN\" | jq -r .sub";

/// `tessera token sign --help`.
pub(super) const SIGN_LONG: &str = "\
Signs claims with a private key (PEM or JWK file) and prints the compact JWT. The claims are \
inline JSON, or @FILE to read them from a file (@- for stdin). iat is set to now and exp to now \
plus --ttl (15m by default) unless the claims give them. The header is alg, \"typ\": \"JWT\" \
and kid: from --kid, else the JWK's kid, else the key's RFC 7638 thumbprint.

Meant for tests, scripts and debugging: tokens for users come from `tessera serve`. Claims that \
look sensitive (passwords, card numbers) are signed anyway, with a warning on stderr: JWTs are \
readable by anyone who holds them.";

/// Examples for `tessera token sign --help`.
pub(super) const SIGN_EXAMPLES: &str = "\
Examples:
  tessera keys generate --alg EdDSA > ed.jwk
  tessera token sign --key ed.jwk --claims '{\"sub\":\"alice\",\"aud\":\"orders\"}' --ttl 5m
  tessera token sign --key rsa.pem --alg PS256 --kid 2024-01 --claims @claims.json";

/// `tessera jws --help`.
pub(super) const JWS_LONG: &str = "\
Tools for raw JSON Web Signatures (RFC 7515) whose payload need not be a JWT.";

/// Examples for `tessera jws --help`.
pub(super) const JWS_EXAMPLES: &str = "\
Examples:
  tessera jws verify --jwk key.jwk < message.jws";

/// `tessera jws verify --help`.
pub(super) const JWS_VERIFY_LONG: &str = "\
Verifies the signature of a compact JWS with one key and writes the payload bytes to stdout \
exactly as signed, without reading them as JWT claims: for JWS test vectors such as RFC 7520's, \
whose payloads are not JSON. It checks no expiry or other claim; use `tessera token verify` \
for tokens.

The key (--jwk) is a JWK file (a PEM file works too). The key decides the algorithm (RS256 for \
an RSA key without alg); --alg binds it to another of its family.

Exit codes: 0 valid, 1 rejected, 2 bad usage.";

/// Examples for `tessera jws verify --help`.
pub(super) const JWS_VERIFY_EXAMPLES: &str = "\
Examples:
  tessera jws verify --jwk bilbo.jwk < rfc7520-4.1.jws
  tessera jws verify --jwk key.jwk --alg PS256 \"$JWS\" > payload.bin";

/// `tessera jwe --help`.
pub(super) const JWE_LONG: &str = "\
Tools for JSON Web Encryption (RFC 7516) in compact form: `encrypt` seals a payload to a \
recipient's public key (or a shared secret), `decrypt` opens it with the private key. Keys are \
JWK files; each key serves one algorithm (its JWK alg, else its type's default).

Supported: alg RSA-OAEP-256, RSA-OAEP, ECDH-ES, ECDH-ES+A128KW, ECDH-ES+A256KW (P-256, P-384, \
X25519), A128KW, A256KW, dir; enc A128GCM, A256GCM, A128CBC-HS256, A256CBC-HS512. RSA1_5 and \
compressed (zip) JWEs are refused.

For nested JWTs (signed, then encrypted) use `tessera token sign --jwe-key` and `tessera token \
verify --jwe-key`.";

/// Examples for `tessera jwe --help`.
pub(super) const JWE_EXAMPLES: &str = "\
Examples:
  tessera jwe encrypt --jwk client.jwk --alg RSA-OAEP-256 --enc A256GCM 'hello' > msg.jwe
  tessera jwe decrypt --jwk client-private.jwk < msg.jwe";

/// `tessera jwe encrypt --help`.
pub(super) const JWE_ENCRYPT_LONG: &str = "\
Encrypts the payload bytes (the argument, or stdin when it is `-` or absent) to the recipient's \
key and prints the compact JWE. --jwk names one JWK (public; a private JWK works too, only its \
public half is used). --jwks names a JWK Set, such as a client's jwks: the first key whose use \
is \"enc\" (or absent), whose alg is --alg (or absent) and whose type serves --alg is used.

--alg must fit the key: RSA-OAEP-256 or RSA-OAEP for RSA keys (2048 bits or more), ECDH-ES or \
ECDH-ES+A128KW/A256KW for EC P-256/P-384 and OKP X25519 keys, A128KW or A256KW for 16- or \
32-byte secrets, dir for a secret as long as --enc needs. The header carries alg, enc, the \
key's kid when it has one, and --cty when given.

Exit codes: 0 encrypted, 2 bad usage or an unusable key.";

/// Examples for `tessera jwe encrypt --help`.
pub(super) const JWE_ENCRYPT_EXAMPLES: &str = "\
Examples:
  tessera jwe encrypt --jwk rsa-public.jwk --alg RSA-OAEP-256 --enc A256GCM 'secret' > msg.jwe
  tessera jwe encrypt --jwks client-jwks.json --alg ECDH-ES+A256KW --enc A128CBC-HS256 < doc.txt
  echo -n hi | tessera jwe encrypt --jwk shared.jwk --alg A256KW --enc A256GCM -";

/// `tessera jwe decrypt --help`.
pub(super) const JWE_DECRYPT_LONG: &str = "\
Decrypts a compact JWE (the argument, or stdin when it is `-` or absent) with the private key \
or shared secret in --jwk, and writes the plaintext bytes to stdout exactly as they were \
encrypted.

The key decides the algorithm: a JWK with alg serves only that one; a JWK without alg serves \
the JWE's alg when it fits the key's type. Every failure after the header is read (a wrong key, \
an altered part) is the one error decryption_failed, by design: a decrypter that said which \
step failed would help an attacker.

Exit codes: 0 decrypted, 1 rejected (wrong key, altered, refused algorithm), 2 bad usage or an \
unusable key.";

/// Examples for `tessera jwe decrypt --help`.
pub(super) const JWE_DECRYPT_EXAMPLES: &str = "\
Examples:
  tessera jwe decrypt --jwk rsa-private.jwk < msg.jwe
  tessera jwe decrypt --jwk shared.jwk \"$JWE\" > plaintext.bin";

/// `tessera jwe generate --help`.
pub(super) const JWE_GENERATE_LONG: &str = "\
Generates a new encryption key offline and prints it as a JWK with alg, \"use\": \"enc\" and \
kid (its RFC 7638 thumbprint). The output is a private key or a shared secret: keep it secret, \
and publish only what --public prints (for RSA and ECDH keys).

RSA keys are 2048 bits. ECDH-ES keys are on --curve (P-256 by default, P-384 or X25519). \
A128KW and A256KW secrets are 16 and 32 bytes; a dir secret is as long as --enc needs.";

/// Examples for `tessera jwe generate --help`.
pub(super) const JWE_GENERATE_EXAMPLES: &str = "\
Examples:
  tessera jwe generate --alg RSA-OAEP-256 > client.jwk
  tessera jwe generate --alg ECDH-ES+A256KW --curve X25519 > x25519.jwk
  tessera jwe generate --alg dir --enc A256GCM > shared.jwk";
