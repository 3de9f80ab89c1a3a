//! Parsing the values of single-value directives and adding to lists.

use std::ffi::CString;
use std::sync::Arc;

use crate::decision::DenyAction;
use crate::directive::quoted;
use crate::network::{NetRule, NetworkSet, parse_network};
use crate::origin::Origin;
use crate::tokenize::is_token_byte;

/// The name of the header trusted proxies put the client address in. Not
/// one that the client (or its browser) writes, nor one that carries
/// credentials: its value decides who the client is.
pub(super) fn check_client_ip_header(header: &str) -> Result<CString, String> {
    const SET_BY_THE_CLIENT: &[(&str, &str)] = &[
        (
            "Host",
            "the client writes it (it names the site asked for) and proxies pass it on",
        ),
        (
            "Cookie",
            "the browser sends it and the client controls what it holds",
        ),
        ("Authorization", "it carries the client's credentials"),
        ("Proxy-Authorization", "it carries the client's credentials"),
    ];
    let advice = "name the header your trusted proxies set, e.g. X-Forwarded-For";
    if header.is_empty() {
        return Err(format!("the header name is empty; {advice}"));
    }
    if !header.bytes().all(is_token_byte) {
        return Err(format!("{} is not a header name", quoted(header)));
    }
    if let Some((_, why)) = SET_BY_THE_CLIENT
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(header))
    {
        return Err(format!(
            "{} cannot hold the client address: {why}; {advice}",
            quoted(header)
        ));
    }
    CString::new(header).map_err(|_| format!("{} is not a header name", quoted(header)))
}

pub(super) fn parse_on_off(word: &str) -> Option<bool> {
    match word.to_ascii_lowercase().as_str() {
        "on" => Some(true),
        "off" => Some(false),
        _ => None,
    }
}

pub(super) fn add_networks(list: &mut Option<Arc<NetworkSet>>, rules: Vec<NetRule>) {
    Arc::make_mut(list.get_or_insert_with(Default::default)).extend(rules);
}

pub(super) fn parse_network_words(
    words: &[String],
    origin: &Origin,
) -> Result<Vec<NetRule>, String> {
    words
        .iter()
        .map(|w| {
            parse_network(w)
                .map(|net| NetRule::new(net, w, origin.clone()))
                .map_err(|e| e.to_string())
        })
        .collect()
}

pub(super) fn parse_deny_action(words: &[String]) -> Result<DenyAction, String> {
    match words {
        [code] if code == "403" => Ok(DenyAction::Forbidden),
        [code] if code == "404" => Ok(DenyAction::NotFound),
        [kw] if kw.eq_ignore_ascii_case("redirect") => Err("'redirect' needs a URL".into()),
        [kw, url] if kw.eq_ignore_ascii_case("redirect") => {
            check_redirect_target(url)?;
            Ok(DenyAction::Redirect(url.as_str().into()))
        }
        _ => Err(format!(
            "{}: expected 403, 404 or redirect URL",
            quoted(words.join(" "))
        )),
    }
}

/// A redirect goes to an absolute `http`/`https` URL with a host, or to a
/// path on this site starting with a single `/`. Browsers read `//host/`
/// and `/\host/` as another host, and a backslash as a slash.
fn check_redirect_target(url: &str) -> Result<(), String> {
    let shown = quoted(url);
    if url.bytes().any(|b| b.is_ascii_control() || b == b' ') {
        return Err(format!(
            "{shown}: a redirect URL cannot contain spaces or control characters"
        ));
    }
    if url.contains('\\') {
        return Err(format!(
            "{shown}: a redirect URL cannot contain a backslash (browsers read it as /); write %5C"
        ));
    }
    let scheme_end = url.find("://");
    let absolute = scheme_end.is_some_and(|end| {
        url[..end].eq_ignore_ascii_case("http") || url[..end].eq_ignore_ascii_case("https")
    });
    if let (true, Some(end)) = (absolute, scheme_end) {
        let rest = &url[end + 3..];
        let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
        let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        let host = match host_port.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or(""),
            None => host_port.split(':').next().unwrap_or(""),
        };
        if host.is_empty() {
            return Err(format!(
                "{shown}: a redirect URL needs a host, e.g. https://www.example.com/"
            ));
        }
        return Ok(());
    }
    match url.as_bytes() {
        [b'/', b'/', ..] => Err(format!(
            "{shown}: browsers read a target starting with // as another host; write https://host/... or a path with a single /"
        )),
        [b'/', ..] => Ok(()),
        _ => Err(format!(
            "{shown}: a redirect goes to an http(s):// URL or a /path"
        )),
    }
}
