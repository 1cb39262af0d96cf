//! The `for=` parameters of an RFC 7239 `Forwarded` header, strictly parsed.
//!
//! ```text
//! Forwarded         = 1#forwarded-element
//! forwarded-element = [ forwarded-pair ] *( ";" [ forwarded-pair ] )
//! forwarded-pair    = token "=" value
//! value             = token / quoted-string
//! ```
//!
//! A `for=` node is an IPv4 address, a bracketed IPv6 address (which, like any node with a
//! port, must be quoted), `unknown`, or an obfuscated identifier (`_hidden`), optionally
//! followed by `:port`.

use std::net::{IpAddr, Ipv6Addr};

/// The header does not follow RFC 7239's grammar.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub(super) struct Malformed;

/// The `for=` address of each element, left to right, across all the header's values
/// (`None` for an element without `for=`, or whose node is `unknown`, obfuscated or not an
/// address).
pub(super) fn for_nodes<'a>(
    values: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<Option<IpAddr>>, Malformed> {
    let mut nodes = Vec::new();
    for value in values {
        let mut rest = value;
        loop {
            let (node, after) = element(rest)?;
            nodes.push(node);
            match after.strip_prefix(',') {
                Some(next) => rest = next,
                None if after.trim().is_empty() => break,
                None => return Err(Malformed),
            }
        }
    }
    Ok(nodes)
}

/// One element up to the next top-level `,` (or the end): its `for=` address, and the rest.
fn element(text: &str) -> Result<(Option<IpAddr>, &str), Malformed> {
    let mut rest = text.trim_start();
    let mut node = None;
    let mut seen_for = false;
    loop {
        if !(rest.starts_with(';') || rest.starts_with(',') || rest.trim().is_empty()) {
            let (name, value, after) = pair(rest)?;
            if name.eq_ignore_ascii_case("for") {
                if seen_for {
                    return Err(Malformed);
                }
                seen_for = true;
                node = parse_node(&value)?;
            }
            rest = after.trim_start();
        }
        match rest.strip_prefix(';') {
            Some(next) => rest = next.trim_start(),
            None => return Ok((node, rest)),
        }
    }
}

/// `token "=" value`, and what follows it.
fn pair(text: &str) -> Result<(&str, String, &str), Malformed> {
    let end = text.find(|c| !is_tchar(c)).unwrap_or(text.len());
    let (name, rest) = text.split_at(end);
    let rest = rest.strip_prefix('=').ok_or(Malformed)?;
    if name.is_empty() {
        return Err(Malformed);
    }
    let (value, after) = match rest.strip_prefix('"') {
        Some(quoted) => quoted_string(quoted)?,
        None => {
            let end = rest.find(|c| !is_tchar(c)).unwrap_or(rest.len());
            let (token, after) = rest.split_at(end);
            if token.is_empty() {
                return Err(Malformed);
            }
            (token.to_owned(), after)
        }
    };
    let after_trimmed = after.trim_start();
    let ends_well = after_trimmed.is_empty() || after_trimmed.starts_with([';', ',']);
    if ends_well {
        Ok((name, value, after_trimmed))
    } else {
        Err(Malformed)
    }
}

/// The content of a quoted string whose opening quote is gone, and what follows it.
fn quoted_string(text: &str) -> Result<(String, &str), Malformed> {
    let mut value = String::new();
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((value, &text[i + 1..])),
            '\\' => match chars.next() {
                Some((_, escaped)) if is_text(escaped) => value.push(escaped),
                _ => return Err(Malformed),
            },
            c if is_text(c) => value.push(c),
            _ => return Err(Malformed),
        }
    }
    Err(Malformed)
}

/// A `for=` node: its address, or `None` for `unknown` and obfuscated identifiers.
fn parse_node(node: &str) -> Result<Option<IpAddr>, Malformed> {
    let (name, port) = split_port(node)?;
    if let Some(port) = port {
        port_ok(port)?;
    }
    if let Some(v6) = name.strip_prefix('[') {
        let v6 = v6.strip_suffix(']').ok_or(Malformed)?;
        let ip: Ipv6Addr = v6.parse().map_err(|_| Malformed)?;
        return Ok(Some(IpAddr::V6(ip).to_canonical()));
    }
    if name.eq_ignore_ascii_case("unknown") {
        return Ok(None);
    }
    if let Some(obfuscated) = name.strip_prefix('_') {
        return obf(obfuscated).map(|()| None);
    }
    name.parse::<std::net::Ipv4Addr>()
        .map(|ip| Some(IpAddr::V4(ip)))
        .map_err(|_| Malformed)
}

/// `nodename [":" node-port]`; the colon of a port comes after a `]` for IPv6.
fn split_port(node: &str) -> Result<(&str, Option<&str>), Malformed> {
    let tail_from = if node.starts_with('[') {
        node.find(']').ok_or(Malformed)? + 1
    } else {
        0
    };
    match node[tail_from..].find(':') {
        Some(colon) => {
            let at = tail_from + colon;
            Ok((&node[..at], Some(&node[at + 1..])))
        }
        None => Ok((node, None)),
    }
}

/// `node-port = port / obfport`: 1 to 5 digits, or `_` and identifier characters.
fn port_ok(port: &str) -> Result<(), Malformed> {
    if let Some(obfuscated) = port.strip_prefix('_') {
        return obf(obfuscated);
    }
    let digits = !port.is_empty() && port.len() <= 5 && port.bytes().all(|b| b.is_ascii_digit());
    if digits && port.parse::<u16>().is_ok() {
        Ok(())
    } else {
        Err(Malformed)
    }
}

/// The part of an obfuscated identifier after its `_`: ALPHA, DIGIT, `.`, `_`, `-`.
fn obf(text: &str) -> Result<(), Malformed> {
    let ok = !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok { Ok(()) } else { Err(Malformed) }
}

/// RFC 9110 `tchar`.
fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

/// What a quoted string may hold: visible ASCII, space and tab (obs-text is refused).
fn is_text(c: char) -> bool {
    c == '\t' || c == ' ' || c.is_ascii_graphic()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().expect("ip"))
    }

    fn nodes(values: &[&str]) -> Result<Vec<Option<IpAddr>>, Malformed> {
        for_nodes(values.iter().copied())
    }

    #[test]
    fn plain_and_quoted_ipv4_with_other_parameters() {
        let got = nodes(&["for=192.0.2.60;proto=http;by=203.0.113.43"]);
        assert_eq!(got, Ok(vec![ip("192.0.2.60")]));
        let got = nodes(&[r#"For="192.0.2.61:8080" ; proto=https"#]);
        assert_eq!(got, Ok(vec![ip("192.0.2.61")]));
    }

    #[test]
    fn ipv6_is_bracketed_quoted_and_may_carry_a_port() {
        let got = nodes(&[r#"for="[2001:db8:cafe::17]:4711""#]);
        assert_eq!(got, Ok(vec![ip("2001:db8:cafe::17")]));
        let got = nodes(&[r#"for="[::ffff:192.0.2.1]""#]);
        assert_eq!(got, Ok(vec![ip("192.0.2.1")]), "mapped IPv4 is IPv4");
    }

    #[test]
    fn elements_and_header_values_come_in_order() {
        let got = nodes(&[
            r#"for=198.51.100.17, for="[2001:db8::1]""#,
            "for=10.0.0.2;proto=https",
        ]);
        assert_eq!(
            got,
            Ok(vec![ip("198.51.100.17"), ip("2001:db8::1"), ip("10.0.0.2")])
        );
    }

    #[test]
    fn unknown_obfuscated_and_missing_nodes_are_not_addresses() {
        let got = nodes(&[r#"for=unknown, for=_hidden, for="_SEVKISEK:_p0rt", proto=https"#]);
        assert_eq!(got, Ok(vec![None, None, None, None]));
        let got = nodes(&[r#"for="unknown:8080""#]);
        assert_eq!(got, Ok(vec![None]));
    }

    #[test]
    fn quoted_strings_may_hold_separators_and_escapes() {
        let got = nodes(&[r#"for=192.0.2.1;ext="a,b;c\"d", for=192.0.2.2"#]);
        assert_eq!(got, Ok(vec![ip("192.0.2.1"), ip("192.0.2.2")]));
    }

    #[test]
    fn malformed_headers_are_refused() {
        for bad in [
            "for=[2001:db8::1]",           // IPv6 must be quoted
            "for=192.0.2.1:80",            // so must a port
            r#"for="[2001:db8::1"#,        // unterminated quote
            r#"for="[2001:db8::1""#,       // no closing bracket
            r#"for="192.0.2.1:99999""#,    // port out of range
            r#"for="192.0.2.1:""#,         // empty port
            "for=192.0.2.1;for=192.0.2.2", // for twice in one element
            "for=",                        // no value
            "=192.0.2.1",                  // no name
            "for 192.0.2.1",               // no =
            "for=192.0.2.1 junk",          // trailing garbage
            "for=300.1.1.1",               // not an address
            "for=_",                       // empty obfuscated identifier
            r#"for="_a b""#,               // space in an identifier
            "for=example.com",             // host names are not nodes
            r#"for="[fe80::1%eth0]""#,     // zone ids are not nodes
            "for=\"192.0.2.1\u{e9}\"",     // obs-text
        ] {
            assert_eq!(nodes(&[bad]), Err(Malformed), "{bad}");
        }
    }

    #[test]
    fn empty_elements_are_allowed() {
        assert_eq!(
            nodes(&["for=192.0.2.1;;proto=http"]),
            Ok(vec![ip("192.0.2.1")])
        );
        assert_eq!(nodes(&[""]), Ok(vec![None]));
    }
}
