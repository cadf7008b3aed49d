//! Where to send someone after they sign in (`next`): only ever a path of this site.
//!
//! A browser resolves `Location` leniently: it drops tabs and newlines, reads `\` as `/`, and
//! takes `//host` (or `/\host`, or `/<TAB>/host`) as another host. Some proxies and clients
//! decode the value again. So a `next` is followed only when, as sent and after every round
//! of percent-decoding until nothing changes, it is one leading `/` not followed by `/` or
//! `\`, made only of printable ASCII (no control, space, backslash or look-alike Unicode
//! slash such as U+FF0F, U+2215, U+2044, U+29F8), and has no `:` in its path (no scheme, no
//! `javascript:`). Anything else goes to the home page; nothing here can fail.

use std::borrow::Cow;

/// The longest `next` followed (a page path with a query is far shorter).
const MAX_NEXT: usize = 2048;

/// Rounds of percent-decoding tried; a value still changing after them is refused.
const MAX_DECODES: usize = 4;

/// `next` when it is a path of this site, otherwise `/`.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if is_local_path(n) => n.to_owned(),
        _ => "/".to_owned(),
    }
}

fn is_local_path(next: &str) -> bool {
    if next.len() > MAX_NEXT {
        return false;
    }
    let mut current: Cow<'_, str> = Cow::Borrowed(next);
    for _ in 0..=MAX_DECODES {
        if !looks_local(&current) {
            return false;
        }
        let Ok(decoded) = percent_encoding::percent_decode_str(&current).decode_utf8() else {
            // Bytes that are not UTF-8 once decoded: nothing of ours looks like that.
            return false;
        };
        if decoded == current {
            return true;
        }
        current = Cow::Owned(decoded.into_owned());
    }
    false
}

/// One form of the value: `/` then not `/` or `\`; printable ASCII only; no backslash
/// anywhere; no `:` before the query.
fn looks_local(s: &str) -> bool {
    let bytes = s.as_bytes();
    let Some((&b'/', rest)) = bytes.split_first() else {
        return false;
    };
    if matches!(rest.first(), Some(b'/' | b'\\')) {
        return false;
    }
    if !bytes.iter().all(|b| b.is_ascii_graphic()) || bytes.contains(&b'\\') {
        return false;
    }
    let path = s.split(['?', '#']).next().unwrap_or("");
    !path.contains(':')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hostile values: each must send the person home.
    const HOSTILE: &[&str] = &[
        "",
        "evil.example",
        "//evil.example",
        "///evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "\\/evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "/\r/evil.example",
        "/\r\nSet-Cookie: x=y",
        "/\x0b/evil.example",
        "/\x0c/evil.example",
        "/\0/evil.example",
        "/ /evil.example",
        "\t//evil.example",
        " /evil",
        "/%09/evil.example",
        "/%0a/evil.example",
        "/%0d/evil.example",
        "/%0D%0ASet-Cookie:%20x=y",
        "/%0b/evil.example",
        "/%2f/evil.example",
        "/%2F%2Fevil.example",
        "%2F%2Fevil.example",
        "/%5cevil.example",
        "/%5C%5Cevil.example",
        "/%252f/evil.example",
        "/%252F%252Fevil.example",
        "/%25252f%25252fevil.example",
        "/%2525252f%2525252fevil.example",
        "/%255cevil.example",
        "/%2509/evil.example",
        "/%20/evil.example",
        "https://evil.example",
        "http:evil.example",
        "https:/evil.example",
        "/https://evil.example",
        "javascript:alert(1)",
        "/javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "/%6a%61%76%61%73%63%72%69%70%74%3aalert(1)",
        "/\u{ff0f}evil.example",
        "/\u{2215}evil.example",
        "/\u{2044}evil.example",
        "/\u{29f8}evil.example",
        "/\u{ff3c}evil.example",
        "/\u{fe68}evil.example",
        "\u{ff0f}\u{ff0f}evil.example",
        "/%EF%BC%8Fevil.example",
        "/%E2%88%95evil.example",
        "/%E2%81%84evil.example",
        "/%E2%A7%B8evil.example",
        "/%25EF%25BC%258Fevil.example",
        "/%C0%AFevil.example",
        "/%ff",
        "/\u{200b}/evil.example",
        "/\u{a0}/evil.example",
        "/\u{2028}/evil.example",
        "/\u{85}/evil.example",
        "/my-work\u{3000}",
    ];

    #[test]
    fn hostile_values_send_people_home() {
        assert!(HOSTILE.len() >= 30);
        for value in HOSTILE {
            assert_eq!(safe_next(Some(value)), "/", "{value:?} was followed");
        }
        assert_eq!(safe_next(None), "/");
        assert_eq!(safe_next(Some(&format!("/{}", "a".repeat(MAX_NEXT)))), "/");
    }

    #[test]
    fn paths_of_this_site_are_followed() {
        for value in [
            "/",
            "/my-work",
            "/escalations/0190a3c4-1234-7abc-8def-0123456789ab",
            "/escalations/DOR-2026-0001/record",
            "/partnership?stage=2&status=open",
            "/my-work?q=abc",
            "/procedure#stage-2",
            "/partnership?from=2026-01-01T10:00",
        ] {
            assert_eq!(safe_next(Some(value)), value);
        }
    }

    #[test]
    fn what_is_followed_is_always_a_valid_header_value() {
        for value in HOSTILE {
            let next = safe_next(Some(value));
            assert!(
                axum::http::HeaderValue::from_str(&next).is_ok(),
                "{value:?}"
            );
        }
    }
}
