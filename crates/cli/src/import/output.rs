//! The text `import-rewrite` prints, line by line, with its count of
//! warnings and untranslated parts: every note, warning and untranslated
//! line is a `#` comment, so the whole output pastes into a config.

use photoguard_engine::{DirectiveContext, Origin, ScopeConfig};

/// The text being built and its counters.
pub(super) struct Output {
    source: String,
    pub(super) lines: Vec<String>,
    pub(super) warnings: usize,
    pub(super) untranslated: usize,
}

impl Output {
    pub(super) fn new(source: &str) -> Output {
        Output {
            source: source.to_string(),
            lines: Vec::new(),
            warnings: 0,
            untranslated: 0,
        }
    }

    pub(super) fn push(&mut self, line: String) {
        self.lines.push(line);
    }

    pub(super) fn note(&mut self, text: impl AsRef<str>) {
        self.push(format!("# note: {}", text.as_ref()));
    }

    pub(super) fn warn(&mut self, text: impl AsRef<str>) {
        self.warnings += 1;
        self.push(format!("# warning: {}", text.as_ref()));
    }

    pub(super) fn untranslated_text(&mut self, why: &str) {
        self.untranslated += 1;
        self.push(format!("# NOT TRANSLATED: {why}"));
    }

    pub(super) fn untranslated(&mut self, line: u32, raw: &str, why: &str) {
        self.untranslated += 1;
        self.push(format!("# NOT TRANSLATED {}:{line}: {raw}", self.source));
        self.push(format!("#   {why}"));
    }

    pub(super) fn origin_comment(&mut self, line: u32, raw: &str) {
        self.push(String::new());
        self.push(format!("# {}:{line}: {raw}", self.source));
    }

    /// Prints a directive once the engine has accepted it (applied to a
    /// fresh scope each time: a scope that kept growing would rebuild its
    /// network index on every line).
    pub(super) fn directive(&mut self, line: u32, raw: &str, name: &str, args: &str) -> bool {
        let ctx = DirectiveContext {
            origin: Origin::new(self.source.as_str(), line),
            server_root: None,
        };
        match ScopeConfig::new().apply(name, args, &ctx) {
            Ok(()) => {
                self.push(format!("{name} {args}"));
                true
            }
            Err(e) => {
                self.untranslated(
                    line,
                    raw,
                    &format!("photoguard would refuse the translation: {e}"),
                );
                false
            }
        }
    }
}
