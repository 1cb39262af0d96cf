//! Foreign tokens: access tokens and public keys made at test time by PyJWT/cryptography or by
//! the `jose` package, in the layout interop/README.md describes. Any verifier (the CLI here,
//! the guard later) loads them through [`ForeignTokens`].

use std::path::PathBuf;

use serde_json::Value;
use tempfile::TempDir;

use crate::tools::Runtime;

/// The algorithms every generator covers.
pub(crate) const ALGS: [&str; 5] = ["RS256", "PS256", "ES256", "ES384", "EdDSA"];

/// Which outside library made the tokens.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Generator {
    /// interop/python/make_tokens.py: PyJWT and cryptography.
    PyJwt,
    /// interop/node/make-tokens.mjs: the `jose` package.
    Jose,
}

impl Generator {
    fn runtime_and_script(self) -> (Runtime, &'static str) {
        match self {
            Self::PyJwt => (Runtime::Python, "make_tokens.py"),
            Self::Jose => (Runtime::Node, "make-tokens.mjs"),
        }
    }
}

/// A copy of a token altered after signing.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Tampered {
    /// Claims changed (`sub`), header and signature kept.
    Payload,
    /// One bit of the signature flipped.
    Signature,
}

/// One generator's output in a temporary directory (removed on drop).
pub(crate) struct ForeignTokens {
    dir: TempDir,
    manifest: Value,
}

impl ForeignTokens {
    /// Runs `generator` for every algorithm of [`ALGS`].
    pub(crate) fn generate(generator: Generator) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let (runtime, script) = generator.runtime_and_script();
        let out = dir.path().display().to_string();
        let output = runtime.run(script, &[out.as_str()], "");
        assert!(
            output.status.success(),
            "{script}: exit {:?}\n{}",
            output.status.code(),
            String::from_utf8_lossy(&output.stderr)
        );
        let manifest = read_json(dir.path().join("manifest.json"));
        Self { dir, manifest }
    }

    /// A member of manifest.json (`generator`, `issuer`, `audience`, `typ`).
    pub(crate) fn manifest(&self, key: &str) -> &str {
        self.manifest[key]
            .as_str()
            .unwrap_or_else(|| panic!("manifest.json lacks {key}"))
    }

    /// The algorithms the manifest lists, in order.
    pub(crate) fn algs(&self) -> Vec<&str> {
        let algs = self.manifest["algs"].as_array().expect("manifest algs");
        algs.iter().filter_map(Value::as_str).collect()
    }

    /// jwks.json: the public keys of every algorithm, each with `kid`, `alg` and `use`.
    pub(crate) fn jwks(&self) -> PathBuf {
        self.dir.path().join("jwks.json")
    }

    /// `<alg>/public.pem`: the SPKI public key.
    pub(crate) fn pem(&self, alg: &str) -> PathBuf {
        self.dir.path().join(alg).join("public.pem")
    }

    /// `<alg>/token.jwt`, or a tampered copy of it.
    pub(crate) fn token(&self, alg: &str, tampered: Option<Tampered>) -> PathBuf {
        let name = match tampered {
            None => "token.jwt",
            Some(Tampered::Payload) => "tampered-payload.jwt",
            Some(Tampered::Signature) => "tampered-signature.jwt",
        };
        self.dir.path().join(alg).join(name)
    }

    /// `<alg>/claims.json`: exactly the claims the token carries.
    pub(crate) fn claims(&self, alg: &str) -> Value {
        read_json(self.dir.path().join(alg).join("claims.json"))
    }
}

fn read_json(path: PathBuf) -> Value {
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|err| panic!("read {}: {err}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}
