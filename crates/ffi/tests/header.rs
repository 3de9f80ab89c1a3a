//! `include/photoguard.h` is generated from this crate by cbindgen and
//! checked in (the way rustls-ffi keeps `rustls.h`). This test generates it
//! again and fails when the checked-in file differs: an ABI change without a
//! new header, or a header edited by hand.
//!
//! After an intended change, write the header and commit it:
//!
//! ```text
//! PHOTOGUARD_BLESS_HEADER=1 cargo test -p photoguard-ffi --test header
//! ```

use std::path::{Path, PathBuf};

const BLESS: &str = "PHOTOGUARD_BLESS_HEADER";
/// The crate documentation's heading after which the docs are about the
/// Rust side only; everything before it opens the header.
const RUST_ONLY_HEADING: &str = "# This crate";

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn header_path() -> PathBuf {
    manifest_dir().join("../../include/photoguard.h")
}

/// The header's opening comment: the `//!` documentation at the top of
/// src/lib.rs, up to the Rust-only heading, as a C block comment.
fn opening_comment() -> String {
    let lib = std::fs::read_to_string(manifest_dir().join("src/lib.rs")).expect("src/lib.rs");
    let mut comment = String::from("/*\n");
    let mut found_heading = false;
    let mut in_code = false;
    for line in lib.lines() {
        let Some(doc) = line.strip_prefix("//!") else {
            break;
        };
        let doc = doc.strip_prefix(' ').unwrap_or(doc);
        if doc == RUST_ONLY_HEADING {
            found_heading = true;
            break;
        }
        assert!(
            !doc.contains("*/") && !doc.contains("/*"),
            "src/lib.rs: `/*` or `*/` cannot go into the header's comment: {line}"
        );
        // A fenced example (```c ... ```) becomes an indented one.
        if doc.starts_with("```") {
            in_code = !in_code;
            continue;
        }
        match (doc.is_empty(), in_code) {
            (true, _) => comment.push_str(" *\n"),
            (false, true) => comment.push_str(&format!(" *     {doc}\n")),
            (false, false) => comment.push_str(&format!(" * {doc}\n")),
        }
    }
    assert!(
        found_heading,
        "src/lib.rs: the crate docs must have a `//! {RUST_ONLY_HEADING}` heading \
         (what comes before it opens include/photoguard.h)"
    );
    // No blank comment line before the end.
    while comment.ends_with("\n *\n") {
        comment.truncate(comment.len() - " *\n".len());
    }
    comment.push_str(" */");
    comment
}

/// The header as cbindgen writes it today from src/ and cbindgen.toml.
fn generated_header() -> String {
    let mut config = cbindgen::Config::from_file(manifest_dir().join("cbindgen.toml"))
        .expect("crates/ffi/cbindgen.toml");
    config.header = Some(opening_comment());
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        // Parses src/lib.rs and the modules it declares; unlike with_crate
        // it needs no `cargo metadata`.
        .with_src(manifest_dir().join("src/lib.rs"))
        .generate()
        .expect("cbindgen could not generate the header");
    let mut out = Vec::new();
    bindings.write(&mut out);
    String::from_utf8(out).expect("the generated header is UTF-8")
}

#[test]
fn the_checked_in_header_is_the_generated_one() {
    let generated = generated_header();
    let path = header_path();
    if std::env::var_os(BLESS).is_some_and(|v| v != "0") {
        std::fs::write(&path, &generated)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        eprintln!("wrote {}", path.display());
        return;
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    if checked_in == generated {
        return;
    }
    let first_difference = checked_in
        .lines()
        .zip(generated.lines())
        .enumerate()
        .find(|(_, (old, new))| old != new)
        .map(|(n, (old, new))| {
            format!(
                "first difference at line {}:\n  checked in: {old}\n  generated:  {new}",
                n + 1
            )
        })
        .unwrap_or_else(|| {
            format!(
                "one is a prefix of the other ({} lines checked in, {} generated)",
                checked_in.lines().count(),
                generated.lines().count()
            )
        });
    panic!(
        "include/photoguard.h is not what cbindgen generates from crates/ffi/src \
         (edited by hand, or the ABI or its doc comments changed without regenerating it).\n\
         {first_difference}\n\n\
         The header is generated: change the Rust source (doc comments included), then run\n\
         \n    {BLESS}=1 cargo test -p photoguard-ffi --test header\n\n\
         and commit include/photoguard.h."
    );
}

#[test]
fn the_opening_comment_comes_from_the_crate_docs() {
    let comment = opening_comment();
    assert!(comment.starts_with("/*\n * photoguard.h - the C ABI"));
    assert!(comment.contains(" * - FAIL CLOSED:"));
    assert!(!comment.contains(RUST_ONLY_HEADING));
    assert!(comment.ends_with("then share.\n */"), "{comment}");
}
