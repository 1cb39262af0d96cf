//! Makes DPoP proofs (RFC 9449) for the load benchmark: wrk cannot sign, so each proof a
//! DPoP run sends is made beforehand, one per line, each with its own `jti` and the current
//! `iat` (the server accepts a proof for 60 s, so make them just before the run).
//!
//! Usage: `dpopgen KEY_FILE METHOD URL COUNT [ACCESS_TOKEN]`. KEY_FILE holds the client's
//! ES256 key as PKCS#8 PEM; it is created when missing, so that the proofs of a token
//! request and those of the requests with the token it returns use one key. With
//! ACCESS_TOKEN each proof carries its `ath` (for `/userinfo`).

use std::io::{BufWriter, Write};

use tessera_jose::{Algorithm, SigningKey, dpop};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, key_file, method, url, count, rest @ ..] = args.as_slice() else {
        return Err("usage: dpopgen KEY_FILE METHOD URL COUNT [ACCESS_TOKEN]".into());
    };
    let count: u64 = count.parse()?;
    let key = match std::fs::read_to_string(key_file) {
        Ok(pem) => SigningKey::from_pem(&pem, Some(Algorithm::ES256))?,
        Err(_) => {
            let key = SigningKey::generate(Algorithm::ES256)?;
            std::fs::write(key_file, key.to_pem()?.as_bytes())?;
            key
        }
    };
    let token = rest.first();
    let mut out = BufWriter::new(std::io::stdout().lock());
    for _ in 0..count {
        let mut proof = dpop::proof(&key, method, url);
        if let Some(token) = token {
            proof = proof.access_token(token);
        }
        writeln!(out, "{}", proof.sign()?)?;
    }
    out.flush()?;
    Ok(())
}
