//! The `htu` comparison of RFC 9449 §4.3: both URIs are normalized as RFC 3986 §6.2.2 and
//! §6.2.3 say (scheme and host in lower case, the scheme's default port dropped, an empty
//! path as `/`, percent-encoding in one form, dot segments removed), without query and
//! fragment, and then compared byte for byte.

/// The normalized form of `uri` without its query and fragment; `None` when it is not an
/// absolute `scheme://authority…` URI or holds a bad percent-encoding.
pub(crate) fn normalize(uri: &str) -> Option<String> {
    let (scheme, rest) = without_query(uri).split_once("://")?;
    let valid_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !valid_scheme {
        return None;
    }
    let scheme = scheme.to_ascii_lowercase();
    let (authority, path) = match rest.find('/') {
        Some(at) => rest.split_at(at),
        None => (rest, ""),
    };
    let authority = normalize_authority(&scheme, authority)?;
    let path = remove_dot_segments(&normalize_percent(path)?);
    let path = if path.is_empty() { "/".into() } else { path };
    Some(format!("{scheme}://{authority}{path}"))
}

/// `uri` without its query and fragment: what `htu` holds (RFC 9449 §4.2).
pub(crate) fn without_query(uri: &str) -> &str {
    uri.split(['?', '#']).next().unwrap_or_default()
}

fn normalize_authority(scheme: &str, authority: &str) -> Option<String> {
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    // The port follows the last colon, unless that colon is inside an IPv6 literal.
    let (host, port) = match authority.rfind(':') {
        Some(at) if !authority[at..].contains(']') => (&authority[..at], &authority[at + 1..]),
        _ => (authority, ""),
    };
    if host.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let host = normalize_percent(host)?.to_ascii_lowercase();
    let default = matches!((scheme, port), ("http", "80") | ("https", "443"));
    let port = port.trim_start_matches('0');
    if port.is_empty() || default {
        Some(host)
    } else {
        Some(format!("{host}:{port}"))
    }
}

/// Percent-encodings in upper case, and those of unreserved characters decoded.
fn normalize_percent(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'%' {
            out.push(char::from(bytes[i]));
            i += 1;
            continue;
        }
        let hex = text.get(i + 1..i + 3)?;
        let value = u8::from_str_radix(hex, 16).ok()?;
        if value.is_ascii_alphanumeric() || matches!(value, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(value));
        } else {
            out.push('%');
            out.push_str(&hex.to_ascii_uppercase());
        }
        i += 3;
    }
    // Non-ASCII input went through `char::from(u8)` byte by byte; refuse it instead.
    text.is_ascii().then_some(out)
}

/// RFC 3986 §5.2.4.
fn remove_dot_segments(path: &str) -> String {
    let mut output: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').collect();
    let last = segments.len().saturating_sub(1);
    for (index, segment) in segments.iter().enumerate().skip(1) {
        match *segment {
            "." => {}
            ".." => {
                output.pop();
            }
            other => output.push(other),
        }
        // A trailing "." or ".." leaves the path ending in a slash.
        if index == last && matches!(*segment, "." | "..") {
            output.push("");
        }
    }
    if path.is_empty() {
        return String::new();
    }
    format!("/{}", output.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equivalent_uris_normalize_alike() {
        let same = [
            (
                "https://server.example.com/token",
                "https://server.example.com/token",
            ),
            (
                "HTTPS://Server.Example.COM:443/token",
                "https://server.example.com/token",
            ),
            (
                "https://server.example.com/token?x=1#f",
                "https://server.example.com/token",
            ),
            ("http://h:80", "http://h/"),
            ("https://h/a/./b/../c", "https://h/a/c"),
            ("https://h/%7euser/%2f", "https://h/~user/%2F"),
            ("https://h:8443/x", "https://h:8443/x"),
            ("https://[::1]:443/x", "https://[::1]/x"),
            ("https://h/a/..", "https://h/"),
        ];
        for (input, expected) in same {
            assert_eq!(normalize(input).as_deref(), Some(expected), "{input}");
        }
    }

    #[test]
    fn distinct_or_broken_uris_stay_apart() {
        assert_ne!(normalize("https://h/token"), normalize("https://h/Token"));
        assert_ne!(normalize("https://h/token"), normalize("http://h/token"));
        assert_ne!(normalize("https://h:8443/"), normalize("https://h/"));
        for bad in [
            "/token",
            "h/token",
            "https://",
            "https://u@h/",
            "https://h:x/",
            "https://h/%zz",
            "https://h/%4",
            "1ttp://h/",
            "https://h/é",
        ] {
            assert_eq!(normalize(bad), None, "{bad}");
        }
    }
}
