//! Prints the claims set and the token sizes used by the benchmarks.

use tessera_bench::{ALGORITHMS, Fixture};

fn main() {
    for alg in ALGORITHMS {
        let f = Fixture::new(alg);
        if alg == ALGORITHMS[0] {
            let payload = f.payload_json();
            println!("claims ({} bytes): {payload}", payload.len());
        }
        let header = f.token.split('.').next().unwrap_or_default();
        let header = tessera_jose::b64::decode(header.as_bytes()).unwrap_or_default();
        println!(
            "{alg}: token {} bytes, signing input {} bytes, signature {} bytes, header {}",
            f.token.len(),
            f.signing_input.len(),
            f.signature.len(),
            String::from_utf8_lossy(&header)
        );
    }
}
