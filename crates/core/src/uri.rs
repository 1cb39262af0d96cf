//! The URIs a client registers, and how a presented one matches them.
//!
//! Redirect URIs match exactly, character for character (RFC 9700 §4.1.3), with one
//! exception: a native app's loopback redirect (`http://127.0.0.1`, `http://[::1]`,
//! `http://localhost`) matches whatever its port (RFC 8252 §7.3). A redirect URI is `https`,
//! `http` to a loopback host (development, native apps), or a private-use scheme with a dot
//! (`com.example.app:/callback`, RFC 8252 §7.1); never with a fragment.

use url::{Host, Url};

/// The longest URI accepted, in bytes.
pub const MAX_URI_LEN: usize = 2048;

/// Why a URI was refused (the text says what to change).
#[derive(Clone, Debug, Eq, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct UriError(pub &'static str);

/// Checks a redirect URI (or a post-logout redirect URI) for registration.
///
/// # Errors
/// [`UriError`] saying what is wrong.
pub fn check_redirect_uri(uri: &str) -> Result<(), UriError> {
    let url = parse(uri)?;
    if url.fragment().is_some() {
        return Err(UriError("a redirect URI must not have a fragment"));
    }
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(&url) => Ok(()),
        "http" => Err(UriError(
            "a redirect URI must be https (plain http only to 127.0.0.1, [::1] or localhost)",
        )),
        scheme if scheme.contains('.') => Ok(()),
        _ => Err(UriError(
            "a redirect URI must be https, loopback http, or a private-use scheme with a dot \
             (com.example.app:/callback)",
        )),
    }
}

/// Checks a back-channel logout URI: `https`, or `http` to a loopback host.
///
/// # Errors
/// [`UriError`] saying what is wrong.
pub fn check_backchannel_uri(uri: &str) -> Result<(), UriError> {
    let url = parse(uri)?;
    if url.fragment().is_some() {
        return Err(UriError(
            "a back-channel logout URI must not have a fragment",
        ));
    }
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(&url) => Ok(()),
        _ => Err(UriError(
            "a back-channel logout URI must be https (plain http only to a loopback host)",
        )),
    }
}

/// Checks a CORS origin (`scheme://host[:port]`, no path): `https`, or `http` to a loopback
/// host. Returns it in the form browsers send (`https://app.example.com`).
///
/// # Errors
/// [`UriError`] saying what is wrong.
pub fn check_origin(origin: &str) -> Result<String, UriError> {
    let url = parse(origin)?;
    let bare = url.path() == "/" && url.query().is_none() && url.fragment().is_none();
    if !bare || !url.username().is_empty() || url.password().is_some() {
        return Err(UriError(
            "an origin is scheme://host[:port] with no path (https://app.example.com)",
        ));
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        _ => {
            return Err(UriError(
                "an origin must be https (plain http only to a loopback host)",
            ));
        }
    }
    Ok(url.origin().ascii_serialization())
}

/// True when `presented` is one of the `registered` redirect URIs: exactly, or, for a
/// loopback `http` URI, equal in everything but the port.
pub fn redirect_matches(registered: &[String], presented: &str) -> bool {
    if presented.len() > MAX_URI_LEN {
        return false;
    }
    if registered.iter().any(|r| r == presented) {
        return true;
    }
    let Ok(asked) = Url::parse(presented) else {
        return false;
    };
    if asked.scheme() != "http" || !is_loopback(&asked) {
        return false;
    }
    registered.iter().any(|r| {
        Url::parse(r).is_ok_and(|mut known| {
            let mut asked = asked.clone();
            // Loopback ports are chosen by the app at run time (RFC 8252 §7.3).
            known.set_port(None).is_ok()
                && asked.set_port(None).is_ok()
                && known.scheme() == "http"
                && is_loopback(&known)
                && known == asked
        })
    })
}

/// True for an `http(s)` URL whose host is 127.0.0.0/8, `[::1]` or `localhost`.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

fn parse(uri: &str) -> Result<Url, UriError> {
    if uri.is_empty() || uri.len() > MAX_URI_LEN || uri.chars().any(char::is_whitespace) {
        return Err(UriError(
            "a URI is 1 to 2048 characters without white space",
        ));
    }
    Url::parse(uri).map_err(|_| UriError("not an absolute URI"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_are_https_loopback_or_private_use() {
        for ok in [
            "https://app.example.com/cb",
            "http://127.0.0.1:8000/cb",
            "http://localhost/cb",
            "http://[::1]:9/cb",
            "com.example.app:/oauth",
        ] {
            assert_eq!(check_redirect_uri(ok), Ok(()), "{ok}");
        }
        for bad in [
            "http://app.example.com/cb",
            "https://app.example.com/cb#frag",
            "/relative",
            "javascript:alert(1)",
            "",
            "https://a b",
        ] {
            assert!(check_redirect_uri(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn matching_is_exact_except_the_loopback_port() {
        let registered = [
            "https://app.example.com/cb".to_owned(),
            "http://127.0.0.1/callback".to_owned(),
        ];
        assert!(redirect_matches(&registered, "https://app.example.com/cb"));
        assert!(!redirect_matches(
            &registered,
            "https://app.example.com/cb/"
        ));
        assert!(!redirect_matches(
            &registered,
            "https://app.example.com/cb?x=1"
        ));
        assert!(!redirect_matches(&registered, "https://APP.example.com/cb"));
        assert!(!redirect_matches(
            &registered,
            "https://app.example.com:443/cb"
        ));
        assert!(redirect_matches(
            &registered,
            "http://127.0.0.1:51234/callback"
        ));
        assert!(!redirect_matches(
            &registered,
            "http://127.0.0.1:51234/other"
        ));
        assert!(!redirect_matches(
            &registered,
            "http://127.0.0.2:51234/callback"
        ));
        assert!(!redirect_matches(
            &registered,
            "https://127.0.0.1:51234/callback"
        ));
    }

    #[test]
    fn origins_have_no_path() {
        assert_eq!(
            check_origin("https://app.example.com").as_deref(),
            Ok("https://app.example.com")
        );
        assert_eq!(
            check_origin("http://localhost:3000/").as_deref(),
            Ok("http://localhost:3000")
        );
        for bad in [
            "https://app.example.com/x",
            "http://app.example.com",
            "*",
            "null",
        ] {
            assert!(check_origin(bad).is_err(), "{bad}");
        }
    }
}
