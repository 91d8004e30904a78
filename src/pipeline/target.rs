//! Where a request goes: the generated code formats each request's URL as the base URL
//! followed by the operation's path; the base part is parsed once per client instead of once
//! per request (parsing a host is most of the cost of parsing a URL).

use std::sync::OnceLock;

use reqwest::Url;

/// The base URL a client's requests start with, parsed when its first request is built.
#[derive(Clone, Default)]
pub(crate) struct BaseUrl(OnceLock<(String, Option<Url>)>);

impl std::fmt::Debug for BaseUrl {
    // A base URL may carry credentials: it is not shown (the client shows its base URL).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BaseUrl")
    }
}

impl BaseUrl {
    /// `url` (which starts with `base`) parsed, the way `Url::parse(url)` would, from the
    /// parsed `base`; `None` when that cannot be done (`url` does not start with `base`, or
    /// `base` is not in the form a URL serialises to), for the caller to parse `url` whole.
    pub(crate) fn join(&self, base: &str, url: &str) -> Option<Url> {
        let (text, parsed) = self.0.get_or_init(|| (base.to_owned(), parse_base(base)));
        // The pipeline of another client (it was cloned): parse `url` whole.
        if text != base {
            return None;
        }
        let rest = url.strip_prefix(base)?.strip_prefix('/')?;
        // `rest` is relative to `base/`: it must not start a scheme, an authority or a path
        // of its own, nor begin or end with what a parser trims from its input.
        let trimmed = |c: Option<char>| c.is_some_and(|c| c <= ' ');
        if rest.starts_with(['/', '\\'])
            || trimmed(rest.chars().next())
            || trimmed(rest.chars().next_back())
            || rest.split(['/', '?', '#']).next().is_some_and(|first| first.contains(':'))
        {
            return None;
        }
        parsed.as_ref()?.join(rest).ok()
    }

    /// The parsed base URL, once a request has been built from it.
    pub(crate) fn parsed(&self) -> Option<&Url> {
        self.0.get().and_then(|(_, parsed)| parsed.as_ref())
    }
}

/// `base` followed by `/`, parsed, when the text is exactly what the parsed URL serialises
/// to: then appending to the text and appending to the parsed path are the same thing.
fn parse_base(base: &str) -> Option<Url> {
    let with_slash = format!("{base}/");
    let parsed = Url::parse(&with_slash).ok()?;
    let plain = parsed.as_str() == with_slash
        && !parsed.cannot_be_a_base()
        && parsed.query().is_none()
        && parsed.fragment().is_none();
    plain.then_some(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn joined(base: &str, rest: &str) -> Option<Url> {
        BaseUrl::default().join(base, &format!("{base}{rest}"))
    }

    #[test]
    fn a_path_after_the_base_parses_as_the_whole_url_would() {
        for base in [
            "http://127.0.0.1:8787",
            "https://api.credits.dev",
            "https://api.credits.dev/prefix",
            "https://api.credits.dev/prefix/",
            "http://[::1]:3000/a/b",
            "http://localhost",
        ] {
            for rest in ["/v1/accounts", "/v1/reservations/confirm", "/v1/a%20b", "/v1/./x/../y", "/v1/é"] {
                let whole = format!("{base}{rest}");
                assert_eq!(joined(base, rest), Some(Url::parse(&whole).unwrap()), "{whole}");
            }
        }
    }

    #[test]
    fn what_cannot_be_joined_is_left_to_a_whole_parse() {
        // Not in serialised form (upper case, default port, a query or no path separator).
        for base in ["HTTP://Example.com", "https://api.credits.dev:443", "https://h/?q=1", "not a url", ""] {
            assert_eq!(joined(base, "/v1/accounts"), None, "{base}");
        }
        let cache = BaseUrl::default();
        assert!(cache.join("http://127.0.0.1:1", "http://127.0.0.1:1/v1/x").is_some());
        // Another base, or a URL that does not start with it.
        assert_eq!(cache.join("http://127.0.0.1:2", "http://127.0.0.1:2/v1/x"), None);
        assert_eq!(cache.join("http://127.0.0.1:1", "http://127.0.0.2:1/v1/x"), None);
        assert_eq!(cache.join("http://127.0.0.1:1", "http://127.0.0.1:1v1/x"), None);
        assert_eq!(cache.join("http://127.0.0.1:1", "http://127.0.0.1:1//evil.example/x"), None);
        assert_eq!(cache.join("http://127.0.0.1:1", "http://127.0.0.1:1/javascript:x"), None);
    }

    #[test]
    fn the_base_url_is_not_shown() {
        let cache = BaseUrl::default();
        let _ = cache.join("https://user:secret@h", "https://user:secret@h/v1/x");
        assert_eq!(format!("{cache:?}"), "BaseUrl");
    }

    proptest! {
        #[test]
        fn any_path_joins_as_the_whole_url_parses(
            base in prop::sample::select(vec!["http://127.0.0.1:8787", "https://api.credits.dev/p", "http://[::1]:1/a/"]),
            rest in "/[a-zA-Z0-9%./?#:@!$&'()*+,;=~_ \\\\\t\né-]{0,24}",
        ) {
            let whole = format!("{base}{rest}");
            if let Some(joined) = joined(base, &rest) {
                prop_assert_eq!(Some(joined), Url::parse(&whole).ok(), "{}", whole);
            }
        }
    }
}
