//! `PhotoGuard On` in a `<Location>` or `<LocationMatch>` whose files another
//! URL also reaches: an `Alias`/`ScriptAlias` (or `Match` form) into the same
//! directory tree, or a DocumentRoot (of this host or another) holding it.
//! A `<Location>` gate holds for its URLs only; `<Directory>` covers every
//! URL that reaches the files.

use std::collections::HashSet;

use super::layout::{Layout, Place};
use super::{Finding, gate_directive, warning};
use crate::httpd::SectionKind;
use crate::httpd::matching::matches_location;

pub(super) fn location_gates(layout: &Layout, findings: &mut Vec<Finding>) {
    let policy = layout.policy;
    for (gate, built) in policy.sections.iter().enumerate() {
        let section = built.section;
        if section.kind != SectionKind::Location || built.scope.enabled_setting() != Some(true) {
            continue;
        }
        let Place::Urls(urls) = layout.place(gate) else {
            continue;
        };
        let at = gate_directive(section).map_or(&section.origin, |d| &d.origin);
        let gate_hosts = layout.hosts_of(gate);
        let mut reported = HashSet::new();
        for &host in &gate_hosts {
            for files in layout.files_of_urls(host, &urls) {
                for &other in layout.hosts() {
                    for route in layout.routes(other) {
                        let Some(url) = Layout::url_to(route, &files) else {
                            continue;
                        };
                        let same_host = gate_hosts.contains(&other);
                        if same_host && matches_location(section.pattern.as_ref(), &url.path) {
                            continue;
                        }
                        if !reported.insert((
                            route.directive.origin.file(),
                            route.directive.origin.line(),
                            url.path.clone(),
                        )) {
                            continue;
                        }
                        let on_host = if same_host {
                            String::new()
                        } else {
                            format!(" on {}", layout.host_name(other))
                        };
                        findings.push(warning(
                            at,
                            format!(
                                "PhotoGuard On in {section} gates only the URLs that section matches, but its files ({files}) are also reachable as {url}{on_host} through {route}, which this gate does not cover; put the gate on the files with <Directory {files}>, which covers every URL that reaches them"
                            ),
                        ));
                    }
                }
            }
        }
    }
}
