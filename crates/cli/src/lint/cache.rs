//! mod_cache enabled for a gated path while its quick handler is on (the
//! default): `CacheQuickHandler On` answers from the cache before any access
//! check, so photoguard never sees those requests.

use std::collections::HashSet;

use super::layout::{Layout, Place, Prefix, regex_prefix};
use super::{Finding, warning};
use crate::httpd::lines::first_word;
use crate::httpd::{Directive, SectionKind, SectionPattern};

pub(super) fn quick_handler(layout: &Layout, findings: &mut Vec<Finding>) {
    let policy = layout.policy;
    let gates: Vec<usize> = (0..policy.sections.len())
        .filter(|&i| policy.sections[i].scope.enabled_setting() == Some(true))
        .collect();
    let mut reported = HashSet::new();
    for &host in layout.hosts() {
        let quick = layout.server_setting(host, "CacheQuickHandler");
        if quick.is_some_and(|d| first_word(&d.args).is_some_and(|w| w.eq_ignore_ascii_case("off")))
        {
            continue;
        }
        let disabled = cache_urls(layout, host, "CacheDisable");
        for (enable, cached) in cache_urls(layout, host, "CacheEnable") {
            if reported.contains(&(enable.origin.file(), enable.origin.line())) {
                continue;
            }
            let hit = gates
                .iter()
                .filter(|&&g| layout.hosts_of(g).contains(&host))
                .find_map(|&g| {
                    let gated = match layout.place(g) {
                        Place::Everywhere => vec![Prefix::everything()],
                        Place::Urls(urls) => vec![urls],
                        // No route to files known at all (no DocumentRoot,
                        // no Alias): only a cache of every URL surely holds
                        // them.
                        Place::Files(_) if layout.routes(host).is_empty() => {
                            if cached.path == "/" {
                                vec![Prefix::everything()]
                            } else {
                                Vec::new()
                            }
                        }
                        Place::Files(files) => layout.urls_of_files(host, &files),
                    };
                    gated
                        .into_iter()
                        .filter(|urls| urls.overlaps(&cached))
                        // The narrower of the two is what is cached and gated.
                        .map(|urls| {
                            if cached.holds(&urls.path) {
                                urls
                            } else {
                                cached.clone()
                            }
                        })
                        .find(|both| !disabled.iter().any(|(_, off)| off.holds(&both.path)))
                        .map(|both| (g, both))
                });
            let Some((gate, url)) = hit else {
                continue;
            };
            reported.insert((enable.origin.file(), enable.origin.line()));
            let quick = match quick {
                Some(d) => format!("set at {}", d.origin),
                None => "the default".to_string(),
            };
            findings.push(warning(
                &enable.origin,
                format!(
                    "CacheEnable {} caches {url}, gated by {}, while CacheQuickHandler is On ({quick}): mod_cache's quick handler answers from the cache before any access check, so photoguard never sees those requests; photoguard marks gated responses no_cache and Cache-Control: private so none is stored, but a response stored before photoguard was turned on, or through another route, is served to anyone; set CacheQuickHandler Off, or exclude the path with CacheDisable {url}",
                    enable.args.trim(),
                    policy.sections[gate].section,
                ),
            ));
        }
    }
}

/// The URL prefixes `CacheEnable TYPE URL` or `CacheDisable URL` name for a
/// host, in the server config and the virtual host, and those of the
/// one-argument forms inside a plain `<Location>` (`CacheEnable disk`,
/// `CacheDisable on`).
fn cache_urls<'c>(
    layout: &Layout<'_, 'c>,
    host: Option<usize>,
    name: &str,
) -> Vec<(&'c Directive, Prefix)> {
    let url_at = usize::from(name.eq_ignore_ascii_case("CacheEnable"));
    let mut urls: Vec<(&Directive, Prefix)> = layout
        .server_directives(host, &[name])
        .into_iter()
        .filter_map(|d| {
            let words = photoguard_engine::tokenize::split_words(&d.args).ok()?;
            Some((d, url_prefix(words.get(url_at)?)?))
        })
        .collect();
    let policy = layout.policy;
    for level in std::iter::once(0).chain(host) {
        for child in policy.children_of(level) {
            let section = policy.sections[child].section;
            if section.kind != SectionKind::Location {
                continue;
            }
            let location = match &section.pattern {
                Some(SectionPattern::Literal(p)) => Prefix::segment(p),
                Some(SectionPattern::Regex(re)) => regex_prefix(re),
                _ => continue,
            };
            for d in section.directives.iter() {
                let words = photoguard_engine::tokenize::split_words(&d.args).unwrap_or_default();
                if d.name.eq_ignore_ascii_case(name) && words.len() == url_at + 1 {
                    urls.push((d, location.clone()));
                }
            }
        }
    }
    urls
}

/// `/photos` (which also holds `/photosX`), or the path of `http://host/photos` (`http://` alone: every
/// path); `None` for forms the tool does not know.
fn url_prefix(url: &str) -> Option<Prefix> {
    // mod_cache compares paths as strings, not on segment boundaries.
    if url.starts_with('/') {
        return Some(Prefix::text(url));
    }
    let (_, rest) = url.split_once("://")?;
    Some(match rest.find('/') {
        Some(at) => Prefix::text(&rest[at..]),
        None => Prefix::everything(),
    })
}
