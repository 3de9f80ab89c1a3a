//! Compiles tests/c/abi_test.c against include/photoguard.h (the generated
//! header), links it with the static library Cargo built for this test run
//! (target/<profile>/libphotoguard.a), runs it and checks what it reports.
//!
//! The shared library is exercised by tests/dlopen.rs, which loads it from C
//! with `dlopen`.

use std::mem::offset_of;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use photoguard::photoguard_decision;

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// target/<profile>/libphotoguard.a, found from this test's own executable
/// (target/<profile>/deps/c_abi-<hash>), so that any target dir or profile
/// works. The library is built in the same rustc run as the rlib this test
/// links, so it is never stale.
fn static_library() -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable's path");
    let deps = exe.parent().expect("target/<profile>/deps");
    let candidates = [
        deps.parent().map(|p| p.join("libphotoguard.a")),
        Some(deps.join("libphotoguard.a")),
    ];
    candidates.into_iter().flatten().find(|p| p.is_file()).unwrap_or_else(|| {
        panic!(
            "libphotoguard.a not found next to {}; Cargo.toml's [lib] crate-type must include \"staticlib\"",
            deps.display()
        )
    })
}

/// A fresh directory for one test's files (the C program writes network
/// files there).
fn scratch_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("photoguard-c-abi-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// The C test program, compiled once per test run into
/// target/<profile>/c_abi/abi_test (left there for running it by hand, e.g.
/// under valgrind).
fn c_test_program() -> &'static Path {
    static PROGRAM: OnceLock<PathBuf> = OnceLock::new();
    PROGRAM.get_or_init(compile_c_test)
}

fn compile_c_test() -> PathBuf {
    let library = static_library();
    let out_dir = library.parent().expect("target/<profile>").join("c_abi");
    std::fs::create_dir_all(&out_dir).expect("target/<profile>/c_abi");
    let program = out_dir.join("abi_test");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let output = Command::new(&cc)
        .args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-g"])
        .arg("-I")
        .arg(manifest_dir().join("../../include"))
        .arg(manifest_dir().join("tests/c/abi_test.c"))
        .arg(&library)
        // The system libraries the Rust standard library needs (as printed
        // by `--print native-static-libs`).
        .args(["-lgcc_s", "-lutil", "-lrt", "-lpthread", "-lm", "-ldl", "-lc", "-Wl,--gc-sections", "-o"])
        .arg(&program)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run the C compiler `{cc}` ({e}); install one (apt-get install gcc) or set CC")
        });
    assert!(
        output.status.success(),
        "compiling tests/c/abi_test.c failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    program
}

/// The `key=value` numbers of the line starting with `prefix` (other words
/// on the line are skipped).
fn numbers(report: &str, prefix: &str) -> Vec<(String, usize)> {
    let line = report
        .lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no `{prefix}` line in:\n{report}"));
    line.split_whitespace()
        .filter(|word| word.contains('='))
        .map(|pair| {
            let (key, value) = pair.split_once('=').expect("key=value");
            (key.to_string(), value.parse().expect("a number"))
        })
        .collect()
}

/// Runs the C program with its own scratch directory and the version it
/// must see.
fn run_c_test(test: &str) -> Output {
    let scratch = scratch_dir(test);
    let output = Command::new(c_test_program())
        .arg(&scratch)
        .arg(env!("CARGO_PKG_VERSION"))
        .output()
        .expect("run abi_test");
    let _ = std::fs::remove_dir_all(&scratch);
    output
}

#[test]
fn the_c_program_gets_real_decisions_through_the_header() {
    let output = run_c_test("decisions");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);

    assert!(
        !stdout.contains("not ok"),
        "failed checks in the C program:\n{stdout}\n{stderr}"
    );
    assert!(
        output.status.success(),
        "abi_test exited with {}:\n{stdout}\n{stderr}",
        output.status
    );

    let totals = numbers(&stdout, "checks=");
    let checks = totals[0].1;
    assert_eq!(totals[1], ("failures".to_string(), 0));
    // Every section ran: a program that stopped early reports far fewer.
    assert!(checks >= 400, "only {checks} checks ran:\n{stdout}");
    for section in [
        "# allow by network",
        "# allow by cookie",
        "# deny with redirect",
        "# IPv4-mapped",
        "# trusted proxy",
        "# report mode",
        "# PhotoGuardAllowNetworkFile",
        "# every configuration error",
        "# error buffers",
        "# NULL arguments",
        "# evaluating from several threads",
    ] {
        assert!(
            stdout.contains(section),
            "section `{section}` did not run:\n{stdout}"
        );
    }
}

#[test]
fn the_header_and_rust_agree_on_the_decision_layout() {
    let output = run_c_test("layout");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let c_layout = numbers(&stdout, "layout ");
    let rust_layout = [
        ("size", size_of::<photoguard_decision>()),
        ("verdict", offset_of!(photoguard_decision, verdict)),
        ("passes", offset_of!(photoguard_decision, passes)),
        ("allowed", offset_of!(photoguard_decision, allowed)),
        ("deny_action", offset_of!(photoguard_decision, deny_action)),
        ("http_status", offset_of!(photoguard_decision, http_status)),
        ("report_mode", offset_of!(photoguard_decision, report_mode)),
        (
            "redirect_url",
            offset_of!(photoguard_decision, redirect_url),
        ),
        ("client", offset_of!(photoguard_decision, client)),
        ("reason", offset_of!(photoguard_decision, reason)),
    ];
    let rust_layout: Vec<(String, usize)> = rust_layout
        .iter()
        .map(|(k, v)| (k.to_string(), *v))
        .collect();
    assert_eq!(c_layout, rust_layout);
}

/// Counts heap allocations made by the current thread, so that the
/// allocation-free claim of `photoguard_policy_evaluate` (in the header) can be
/// checked through the exported functions themselves.
mod counting {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;

    pub struct Counting;

    thread_local! {
        static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
    }

    // SAFETY: every call is forwarded unchanged to the system allocator; the
    // counter is a const-initialised thread-local Cell, which never allocates.
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
            // SAFETY: the caller's contract is passed on as is.
            unsafe { System.alloc(layout) }
        }

        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            // SAFETY: as above.
            unsafe { System.dealloc(ptr, layout) }
        }

        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
            // SAFETY: as above.
            unsafe { System.realloc(ptr, layout, new_size) }
        }
    }

    pub fn on_this_thread() -> usize {
        ALLOCATIONS.with(Cell::get)
    }
}

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;

#[test]
fn evaluating_through_the_abi_allocates_nothing() {
    use photoguard::*;
    use std::ffi::CStr;
    use std::mem::MaybeUninit;

    let policy = photoguard_policy_new();
    for (directive, args) in [
        (c"PhotoGuard", c"On"),
        (
            c"PhotoGuardAllowNetwork",
            c"10.20.16.0/20 10.30.64.0/21 172.16.128.0/22 192.0.2.10",
        ),
        (
            c"PhotoGuardAllowCookie",
            c"LtpaToken2 LtpaToken STPluginActivePage=stMeetingroom",
        ),
        (
            c"PhotoGuardDenyAction",
            c"redirect https://www.example.com/",
        ),
        (c"PhotoGuardTrustedProxy", c"198.51.100.0/24"),
    ] {
        // SAFETY: a live policy and static strings; no error buffer.
        let result = unsafe {
            photoguard_policy_apply(
                policy,
                directive.as_ptr(),
                args.as_ptr(),
                std::ptr::null(),
                0,
                std::ptr::null_mut(),
                0,
                std::ptr::null_mut(),
            )
        };
        assert_eq!(result, photoguard_result::OK);
    }
    // (peer address, Cookie header, forwarded header, expected verdict)
    type Case<'a> = (&'a CStr, &'a [u8], Option<&'a [u8]>, photoguard_verdict);
    let requests: [Case; 4] = [
        (c"10.20.16.5", b"", None, photoguard_verdict::ALLOW),
        (
            c"203.0.113.9",
            b"theme=dark; JSESSIONID=0000abc:1; LtpaToken2=AAECAzU2",
            None,
            photoguard_verdict::ALLOW,
        ),
        (
            c"::ffff:203.0.113.9",
            b"XLtpaToken2=1",
            None,
            photoguard_verdict::DENY,
        ),
        (
            c"198.51.100.7",
            b"",
            Some(b"203.0.113.5, 10.30.64.9"),
            photoguard_verdict::ALLOW,
        ),
    ];
    // The first evaluation after a change builds the network indexes (once);
    // every later one must allocate nothing.
    let mut warm_up = MaybeUninit::<photoguard_decision>::uninit();
    // SAFETY: live policy, a valid string, writable out.
    let warmed = unsafe {
        photoguard_policy_evaluate(
            policy,
            c"192.0.2.1".as_ptr(),
            std::ptr::null(),
            0,
            std::ptr::null(),
            0,
            warm_up.as_mut_ptr(),
        )
    };
    assert_eq!(warmed, photoguard_result::OK);
    for (peer, cookie, xff, verdict) in requests {
        let mut out = MaybeUninit::<photoguard_decision>::uninit();
        let (xff_ptr, xff_len) = xff.map_or((std::ptr::null(), 0), |x| (x.as_ptr(), x.len()));
        let before = counting::on_this_thread();
        // SAFETY: live policy, valid strings and slices, writable out.
        let result = unsafe {
            photoguard_policy_evaluate(
                policy,
                peer.as_ptr(),
                cookie.as_ptr(),
                cookie.len(),
                xff_ptr,
                xff_len,
                out.as_mut_ptr(),
            )
        };
        let allocations = counting::on_this_thread() - before;
        assert_eq!(result, photoguard_result::OK);
        // SAFETY: written by evaluate.
        assert_eq!(unsafe { out.assume_init() }.verdict, verdict, "{peer:?}");
        assert_eq!(allocations, 0, "evaluating {peer:?} allocated");
    }
    // The counter works: the error path formats its reason, and is seen to.
    let mut out = MaybeUninit::<photoguard_decision>::uninit();
    let before = counting::on_this_thread();
    // SAFETY: live policy, a valid string, writable out.
    let result = unsafe {
        photoguard_policy_evaluate(
            policy,
            c"nowhere".as_ptr(),
            std::ptr::null(),
            0,
            std::ptr::null(),
            0,
            out.as_mut_ptr(),
        )
    };
    assert_eq!(result, photoguard_result::ERROR_BAD_ADDRESS);
    assert!(
        counting::on_this_thread() > before,
        "the allocation counter saw nothing"
    );
    // SAFETY: ours, freed once.
    unsafe { photoguard_policy_free(policy) };
}
