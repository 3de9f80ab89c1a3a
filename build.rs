//! Finds the Apache httpd headers of the target server through `apxs` and,
//! when there are some, generates the Rust bindings for the Apache module
//! (`src/`), compiles its small C shim (`apache/shim.c`) and turns the
//! module on with `cfg(apache22)` or
//! `cfg(apache24)`.
//!
//! `apxs` is taken from the `APXS` variable (e.g.
//! `APXS=/opt/IBM/HTTPServer/bin/apxs`), else `apxs`, then `apxs2` on PATH.
//! With none found the build stops and says how to get one: this package is
//! the module alone (the engine, the C library and the command-line tool are
//! the workspace's other packages and build without Apache).

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The first module magic number of each supported Apache line (ap_mmn.h).
const MMN_APACHE_22: u64 = 20051115;
const MMN_APACHE_24: u64 = 20120211;

fn main() {
    println!("cargo:rustc-check-cfg=cfg(apache22)");
    println!("cargo:rustc-check-cfg=cfg(apache24)");
    println!("cargo:rerun-if-env-changed=APXS");
    println!("cargo:rerun-if-changed=build.rs");
    for file in ["apache/wrapper.h", "apache/shim.h", "apache/shim.c"] {
        println!("cargo:rerun-if-changed={file}");
    }

    let Some(apxs) = find_apxs() else {
        // This package is the Apache module and nothing else: without a
        // server's headers there is nothing to build. The engine, the C
        // library and the command-line tool are other packages of the
        // workspace and never run this script.
        println!("cargo:rerun-if-env-changed=PATH");
        panic!(
            "photoguard: no apxs found (APXS unset, no apxs/apxs2 on PATH), so the Apache module cannot be built. \
             Install the headers (apt-get install apache2-dev) or point at your server's apxs \
             (APXS=/opt/IBM/HTTPServer/bin/apxs). Without Apache, build the other packages: \
             cargo build -p photoguard-engine -p photoguard-ffi -p photoguard-cli"
        );
    };

    let headers = ApacheHeaders::query(&apxs);
    let mmn = headers.magic_number_major();
    let version_cfg = match mmn {
        n if n >= MMN_APACHE_24 => "apache24",
        n if n >= MMN_APACHE_22 => "apache22",
        n => panic!(
            "photoguard: {} has module magic number {n}; photoguard supports Apache 2.2 ({MMN_APACHE_22}) and 2.4 ({MMN_APACHE_24})",
            apxs.display()
        ),
    };

    generate_bindings(&headers);
    compile_shim(&headers);
    println!("cargo:rustc-cfg={version_cfg}");
}

/// `APXS` if set (it must work: the user asked for that server), else the
/// first of `apxs`, `apxs2` that answers.
fn find_apxs() -> Option<PathBuf> {
    if let Some(apxs) = env::var_os("APXS").filter(|v| !v.is_empty()) {
        let apxs = PathBuf::from(apxs);
        if query(&apxs, "INCLUDEDIR").is_none() {
            panic!(
                "photoguard: APXS={} does not answer `-q INCLUDEDIR`; is it the apxs of an Apache httpd installation?",
                apxs.display()
            );
        }
        return Some(apxs);
    }
    ["apxs", "apxs2"]
        .into_iter()
        .map(PathBuf::from)
        .find(|apxs| query(apxs, "INCLUDEDIR").is_some())
}

/// `apxs -q VAR`, trimmed; `None` when apxs cannot run or says nothing.
fn query(apxs: &Path, var: &str) -> Option<String> {
    let out = Command::new(apxs).args(["-q", var]).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !text.is_empty()).then_some(text)
}

/// Where the headers are and which preprocessor flags the server was built with.
struct ApacheHeaders {
    include_dirs: Vec<PathBuf>,
    defines: Vec<String>,
}

impl ApacheHeaders {
    fn query(apxs: &Path) -> ApacheHeaders {
        let mut include_dirs: Vec<PathBuf> = Vec::new();
        let mut add_dir = |dir: PathBuf| {
            if dir.is_dir() && !include_dirs.contains(&dir) {
                include_dirs.push(dir);
            }
        };
        for var in ["INCLUDEDIR", "APR_INCLUDEDIR", "APU_INCLUDEDIR"] {
            if let Some(dir) = query(apxs, var) {
                add_dir(PathBuf::from(dir));
            }
        }
        let mut defines = Vec::new();
        for var in ["EXTRA_INCLUDES", "EXTRA_CPPFLAGS"] {
            for flag in query(apxs, var).unwrap_or_default().split_whitespace() {
                if let Some(dir) = flag.strip_prefix("-I") {
                    // `-I.` means the module's own directory in apxs builds.
                    if dir != "." {
                        add_dir(PathBuf::from(dir));
                    }
                } else if let Some(define) = flag.strip_prefix("-D") {
                    defines.push(define.to_string());
                }
            }
        }
        if !include_dirs.iter().any(|d| d.join("httpd.h").is_file()) {
            panic!(
                "photoguard: {} names no directory with httpd.h (INCLUDEDIR: {:?})",
                apxs.display(),
                query(apxs, "INCLUDEDIR")
            );
        }
        ApacheHeaders {
            include_dirs,
            defines,
        }
    }

    /// MODULE_MAGIC_NUMBER_MAJOR from ap_mmn.h.
    fn magic_number_major(&self) -> u64 {
        let mmn_h = self
            .include_dirs
            .iter()
            .map(|d| d.join("ap_mmn.h"))
            .find(|f| f.is_file())
            .expect("photoguard: ap_mmn.h not found next to httpd.h");
        println!("cargo:rerun-if-changed={}", mmn_h.display());
        let text = std::fs::read_to_string(&mmn_h).expect("ap_mmn.h is readable");
        text.lines()
            .filter_map(|line| line.trim().strip_prefix("#define"))
            .filter_map(|rest| rest.trim().strip_prefix("MODULE_MAGIC_NUMBER_MAJOR"))
            .find_map(|value| value.trim().parse().ok())
            .unwrap_or_else(|| {
                panic!(
                    "photoguard: no MODULE_MAGIC_NUMBER_MAJOR in {}",
                    mmn_h.display()
                )
            })
    }

    fn clang_args(&self) -> Vec<String> {
        let mut args: Vec<String> = self
            .include_dirs
            .iter()
            .map(|d| format!("-I{}", d.display()))
            .collect();
        args.extend(self.defines.iter().map(|d| format!("-D{d}")));
        args.push("-Iapache".into());
        args
    }
}

/// Bindings for exactly what `src/` uses; the allowlist keeps them small.
fn generate_bindings(headers: &ApacheHeaders) {
    let bindings = bindgen::Builder::default()
        .header("apache/wrapper.h")
        .clang_args(headers.clang_args())
        .allowlist_type("module_struct|module|command_rec|cmd_parms|request_rec|conn_rec|server_rec|process_rec")
        .allowlist_type("ap_directive_t|ap_configfile_t|apr_table_entry_t|apr_array_header_t")
        .allowlist_function("ap_hook_check_access|ap_hook_access_checker|ap_hook_fixups|ap_hook_log_transaction|ap_hook_handler|ap_set_content_type|ap_rwrite|ap_hook_post_config")
        .allowlist_function("apr_pool_userdata_get|apr_pool_userdata_set|apr_pool_userdata_setn|apr_shm_create|apr_shm_baseaddr_get|apr_shm_size_get")
        .allowlist_function("apr_table_get|apr_table_setn|apr_pstrmemdup|apr_palloc|apr_pool_cleanup_register|apr_pool_cleanup_null")
        .allowlist_function("pg_log_rerror|pg_log_error|pg_log_enabled|pg_dir_config|pg_server_dir_config|pg_client_address|pg_register_status_hook|pg_mark_denied|pg_was_denied")
        // PhotoGuardLimitStore socache (2.4 only; absent from 2.2's headers).
        .allowlist_type("ap_socache_provider_t|ap_socache_hints")
        .allowlist_function("ap_lookup_provider|apr_pool_create_ex|apr_pool_destroy|apr_strerror")
        .allowlist_var("AP_SOCACHE_FLAG_NOTMPSAFE|APR_NOTFOUND|APR_EGENERAL|APLOG_EMERG")
        .allowlist_var("ap_server_root")
        .allowlist_var("MODULE_MAGIC_NUMBER_MAJOR|MODULE_MAGIC_NUMBER_MINOR|MODULE_MAGIC_COOKIE")
        .allowlist_var("OK|DECLINED|HTTP_FORBIDDEN|HTTP_NOT_FOUND|HTTP_MOVED_TEMPORARILY|HTTP_INTERNAL_SERVER_ERROR|APR_SUCCESS")
        .allowlist_var("RSRC_CONF|ACCESS_CONF|OR_AUTHCFG|APR_HOOK_REALLY_FIRST|APR_HOOK_FIRST|APR_HOOK_MIDDLE|AP_AUTH_INTERNAL_PER_CONF")
        .allowlist_var("APLOG_ERR|APLOG_WARNING|APLOG_NOTICE|APLOG_DEBUG")
        .allowlist_type("cmd_how")
        .layout_tests(false)
        .generate_comments(false)
        .parse_callbacks(Box::new(bindgen::CargoCallbacks::new()))
        .generate()
        .expect("photoguard: bindgen could not read the Apache headers (is libclang installed? apt-get install libclang-dev)");
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("apache_bindings.rs");
    bindings
        .write_to_file(&out)
        .expect("write the Apache bindings");
}

/// The C shim: Apache's variadic logging macros, which differ by version.
fn compile_shim(headers: &ApacheHeaders) {
    let mut build = cc::Build::new();
    build
        .file("apache/shim.c")
        .include("apache")
        .includes(&headers.include_dirs)
        .warnings(true);
    for define in &headers.defines {
        match define.split_once('=') {
            Some((name, value)) => build.define(name, value),
            None => build.define(define, None),
        };
    }
    build.compile("photoguard_apache_shim");
}
