//! The policy of a configuration: every section's own `PhotoGuard*`
//! directives applied with the engine, the questions lint asks about a
//! section's surroundings, and the choice of a virtual host. The merge for
//! one request is in [`super::merge`].

use photoguard_engine::{DirectiveContext, ScopeConfig};

use super::fnmatch::fnmatch;
use super::tree::{Diagnostic, HttpdConfig, Section, SectionKind};

/// One section with its own directives applied.
#[derive(Debug, Clone)]
pub struct BuiltSection<'c> {
    pub section: &'c Section,
    /// Index of the enclosing section (`None` for the server config).
    pub parent: Option<usize>,
    /// Only this section's directives, not merged with anything.
    pub scope: ScopeConfig,
}

/// Every section of a config, in the order written (the server first).
#[derive(Debug, Clone)]
pub struct Policy<'c> {
    pub config: &'c HttpdConfig,
    pub sections: Vec<BuiltSection<'c>>,
    /// The engine's errors, each with the directive's file and line.
    pub errors: Vec<Diagnostic>,
    /// The engine's warnings (a key file anyone may read), each with the
    /// directive's file and line: what httpd logs at startup.
    pub warnings: Vec<Diagnostic>,
}

impl<'c> Policy<'c> {
    /// Applies every section's `PhotoGuard*` directives, collecting errors.
    pub fn build(config: &'c HttpdConfig) -> Policy<'c> {
        let mut policy = Policy {
            config,
            sections: Vec::new(),
            errors: Vec::new(),
            warnings: Vec::new(),
        };
        policy.add(&config.root, None);
        policy
    }

    fn add(&mut self, section: &'c Section, parent: Option<usize>) {
        let mut scope = ScopeConfig::new();
        for directive in section.photoguard_directives() {
            let ctx = DirectiveContext {
                origin: directive.origin.clone(),
                server_root: Some(&self.config.server_root),
            };
            if let Err(e) = scope.apply(&directive.name, &directive.args, &ctx) {
                self.errors
                    .push(Diagnostic::at(&directive.origin, e.to_string()));
            }
            // The engine puts `NAME (file:line): ` before a warning, for a
            // log line; the diagnostic carries the place already.
            let place = format!(" ({}): ", directive.origin);
            for warning in scope.take_warnings() {
                let message = match warning.split_once(&place) {
                    Some((name, rest)) => format!("{name}: {rest}"),
                    None => warning,
                };
                self.warnings
                    .push(Diagnostic::at(&directive.origin, message));
            }
        }
        let index = self.sections.len();
        self.sections.push(BuiltSection {
            section,
            parent,
            scope,
        });
        for child in &section.children {
            self.add(child, Some(index));
        }
    }

    /// The section and its enclosing ones, outermost first.
    pub fn chain(&self, index: usize) -> Vec<usize> {
        let mut chain = vec![index];
        while let Some(parent) = self.sections[*chain.last().expect("non-empty")].parent {
            chain.push(parent);
        }
        chain.reverse();
        chain
    }

    /// The section's scope merged with its enclosing sections' (what it sees
    /// when no other section applies to the request).
    pub fn enclosed_scope(&self, index: usize) -> ScopeConfig {
        self.merged_scope(&self.chain(index))
    }

    /// The scopes of `sections` merged in that order, each over the last.
    pub fn merged_scope(&self, sections: &[usize]) -> ScopeConfig {
        sections.iter().fold(ScopeConfig::new(), |acc, &i| {
            ScopeConfig::merge(&acc, &self.sections[i].scope)
        })
    }

    /// Every error that would stop httpd: the reader's, then the engine's.
    pub fn all_errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.config.errors.iter().chain(&self.errors)
    }

    /// The `<VirtualHost>` a section is in, if any.
    pub fn vhost_of(&self, index: usize) -> Option<usize> {
        self.chain(index)
            .into_iter()
            .find(|&i| self.sections[i].section.kind == SectionKind::VirtualHost)
    }

    pub fn vhosts(&self) -> Vec<usize> {
        self.children_of(0)
            .filter(|&i| self.sections[i].section.kind == SectionKind::VirtualHost)
            .collect()
    }

    /// The sections directly inside section `parent`.
    pub fn children_of(&self, parent: usize) -> impl Iterator<Item = usize> + '_ {
        (0..self.sections.len()).filter(move |&i| self.sections[i].parent == Some(parent))
    }

    pub(super) fn has_photoguard_directives_below(&self, index: usize) -> bool {
        self.sections[index]
            .section
            .photoguard_directives()
            .next()
            .is_some()
            || self
                .children_of(index)
                .any(|child| self.has_photoguard_directives_below(child))
    }

    /// `--vhost NAME` by ServerName or ServerAlias (wildcards allowed), or
    /// the first virtual host, which is where httpd sends a request whose
    /// Host header names none of them.
    pub(super) fn choose_vhost(&self, wanted: Option<&str>) -> Result<Option<usize>, String> {
        let vhosts = self.vhosts();
        let Some(wanted) = wanted else {
            return Ok(vhosts.first().copied());
        };
        let wanted = wanted.to_ascii_lowercase();
        let mut known = Vec::new();
        for &i in &vhosts {
            let section = self.sections[i].section;
            let mut names: Vec<String> = section
                .last_value("ServerName")
                .map(|n| server_name_host(&n))
                .into_iter()
                .collect();
            names.extend(
                section
                    .all_values("ServerAlias")
                    .iter()
                    .map(|n| n.to_ascii_lowercase()),
            );
            if names.iter().any(|name| fnmatch(name, &wanted, false)) {
                return Ok(Some(i));
            }
            known.extend(names);
        }
        if known.is_empty() {
            return Err(format!(
                "--vhost {wanted}: the config has no <VirtualHost> with a ServerName"
            ));
        }
        Err(format!(
            "--vhost {wanted}: no <VirtualHost> has that ServerName or ServerAlias (known: {})",
            known.join(", ")
        ))
    }
}

/// `https://photos.example.com:443` → `photos.example.com`.
fn server_name_host(name: &str) -> String {
    let name = name.split_once("://").map_or(name, |(_, rest)| rest);
    let host = if name.starts_with('[') {
        name.split(']')
            .next()
            .map(|h| format!("{h}]"))
            .unwrap_or_default()
    } else {
        name.split(':').next().unwrap_or("").to_string()
    };
    host.to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::super::reader::load;
    use super::super::testing::write_config;
    use super::*;

    #[test]
    fn engine_errors_carry_file_and_line() {
        let conf = write_config(
            "errors",
            "PhotoGuard On\n<Location />\nPhotoGuardAllowNetwork 10.20.16.7/20\n</Location>\n",
        );
        let config = load(&conf, None);
        let policy = Policy::build(&config);
        let errors: Vec<String> = policy.errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(
            errors,
            [format!(
                "{}:3: PhotoGuardAllowNetwork: '10.20.16.7/20': host bits are set for a /20; did you mean 10.20.16.0/20?",
                conf.display()
            )]
        );
    }
}
