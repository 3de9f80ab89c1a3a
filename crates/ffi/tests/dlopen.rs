//! libphotoguard.so is loadable by any C host: it leaves no httpd or APR
//! symbol undefined, and a C program that only `dlopen`s it (linked with
//! nothing but -ldl: no library, no httpd, no APR) gets real decisions
//! through it.
//!
//! The shared library tested is the one Cargo built for this test run,
//! target/<profile>/libphotoguard.so (the crate's cdylib, built in the same
//! rustc run as the rlib this test links, so never stale).

use std::path::{Path, PathBuf};
use std::process::Command;

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// target/<profile>/libphotoguard.so, found from this test's own executable
/// (target/<profile>/deps/dlopen-<hash>), so that any target dir or profile
/// works.
fn shared_library() -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable's path");
    let deps = exe.parent().expect("target/<profile>/deps");
    let candidates = [
        deps.parent().map(|p| p.join("libphotoguard.so")),
        Some(deps.join("libphotoguard.so")),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "libphotoguard.so not found next to {}; Cargo.toml's [lib] crate-type must include \"cdylib\"",
                deps.display()
            )
        })
}

/// The library's undefined dynamic symbols, as `nm -D --undefined-only`
/// lists them (version suffixes such as `@GLIBC_2.2.5` removed).
fn undefined_dynamic_symbols(library: &Path) -> Vec<String> {
    let output = Command::new("nm")
        .args(["-D", "--undefined-only"])
        .arg(library)
        .output()
        .unwrap_or_else(|e| panic!("cannot run nm ({e}); install binutils"));
    assert!(
        output.status.success(),
        "nm -D --undefined-only {} failed:\n{}",
        library.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        // "                 U memcpy@GLIBC_2.14", "                 w __gmon_start__"
        .filter_map(|line| line.split_whitespace().last())
        .map(|symbol| symbol.split('@').next().unwrap_or(symbol).to_string())
        .collect()
}

#[test]
fn the_shared_library_needs_no_httpd_or_apr_symbol() {
    let library = shared_library();
    let undefined = undefined_dynamic_symbols(&library);
    // The list is never empty (libc at least): an empty one means nm's
    // output was not understood.
    assert!(
        undefined.iter().any(|s| s == "malloc" || s == "memcpy"),
        "no libc symbol among the undefined ones of {}: {undefined:?}",
        library.display()
    );
    let from_httpd: Vec<&String> = undefined
        .iter()
        .filter(|s| s.starts_with("ap_") || s.starts_with("apr_"))
        .collect();
    assert!(
        from_httpd.is_empty(),
        "{} needs httpd/APR symbols, so only httpd could load it: {from_httpd:?}",
        library.display()
    );
}

/// Compiles tests/c/dlopen_test.c into target/<profile>/c_abi/dlopen_test:
/// the header for types and constants, -ldl, and nothing of photoguard's.
fn compile_dlopen_test(library: &Path) -> PathBuf {
    let out_dir = library.parent().expect("target/<profile>").join("c_abi");
    std::fs::create_dir_all(&out_dir).expect("target/<profile>/c_abi");
    let program = out_dir.join("dlopen_test");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let output = Command::new(&cc)
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-g"])
        .arg("-I")
        .arg(manifest_dir().join("../../include"))
        .arg(manifest_dir().join("tests/c/dlopen_test.c"))
        .args(["-ldl", "-o"])
        .arg(&program)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run the C compiler `{cc}` ({e}); install one (apt-get install gcc) or set CC")
        });
    assert!(
        output.status.success(),
        "compiling tests/c/dlopen_test.c failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    program
}

#[test]
fn a_c_program_that_dlopens_the_library_gets_real_decisions() {
    let library = shared_library();
    let program = compile_dlopen_test(&library);

    // The program must not have been linked against the library (nor httpd,
    // nor APR): it reaches photoguard through dlopen alone.
    let needed = Command::new("readelf")
        .args(["-d"])
        .arg(&program)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    for library_name in ["photoguard", "apr", "httpd"] {
        assert!(
            !needed
                .lines()
                .any(|l| l.contains("(NEEDED)") && l.contains(library_name)),
            "dlopen_test is linked against {library_name}:\n{needed}"
        );
    }

    let output = Command::new(&program)
        .arg(&library)
        .arg(env!("CARGO_PKG_VERSION"))
        // No LD_LIBRARY_PATH or LD_PRELOAD help: the path given is all it has.
        .env_remove("LD_LIBRARY_PATH")
        .env_remove("LD_PRELOAD")
        .output()
        .expect("run dlopen_test");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stdout.contains("not ok"),
        "failed checks in the C program:\n{stdout}\n{stderr}"
    );
    assert!(
        output.status.success(),
        "dlopen_test exited with {}:\n{stdout}\n{stderr}",
        output.status
    );
    for section in [
        "# dlopen",
        "# a policy from directives",
        "# allow by network",
        "# allow by cookie",
        "# deny with its reason",
        "# fail closed on a bad address",
    ] {
        assert!(
            stdout.contains(section),
            "section `{section}` did not run:\n{stdout}"
        );
    }
    let last = stdout.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("checks=") && last.ends_with(" failures=0"),
        "no clean summary line:\n{stdout}"
    );
    let checks: usize = last
        .trim_start_matches("checks=")
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(checks >= 40, "only {checks} checks ran:\n{stdout}");
}
