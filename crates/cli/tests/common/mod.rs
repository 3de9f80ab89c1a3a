//! What every test of the built binary needs: the fixtures, a way to run
//! the binary, and a scratch directory.

use std::path::PathBuf;
use std::process::Command;

pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

/// Runs the binary; returns (exit status, stdout, stderr).
pub fn photoguard(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_photoguard"))
        .args(args)
        .output()
        .expect("the photoguard binary runs");
    (
        output.status.code().expect("exited normally"),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

/// An empty directory of its own for one test, named after the test file
/// too: the test binaries run at the same time.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "photoguard-{}-{name}-{}",
        env!("CARGO_CRATE_NAME"),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
