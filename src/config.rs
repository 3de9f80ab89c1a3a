//! Per-directory configuration: one `ScopeConfig` for each server,
//! `<VirtualHost>`, `<Directory>`, `<Location>`, `<Files>` and `.htaccess`,
//! merged by Apache through [`merge_dir_config`], and the handler every
//! `PhotoGuard*` directive goes through.
//!
//! Each config is boxed and owned by the APR pool Apache hands us (pconf for
//! the configuration, the request pool for `.htaccess` and per-request
//! merges): a pool cleanup drops it. A NULL config means something went
//! wrong building it; the access check then denies (fails closed).

use std::ffi::{CStr, c_char, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::ptr;

use photoguard_engine::{DirectiveContext, DirectiveInfo, DirectiveKind, Origin, ScopeConfig};

use super::apr::{pool_owned, pool_str};
use super::bindings::*;
use super::log;
use super::module::module_index;
use super::prepare;

/// `create_dir_config`: an empty scope (inherits everything).
pub unsafe extern "C" fn create_dir_config(
    pool: *mut apr_pool_t,
    _dir: *mut c_char,
) -> *mut c_void {
    let made = catch_unwind(|| {
        // SAFETY: Apache passes a live pool.
        unsafe { pool_owned(pool, ScopeConfig::new()) }
    });
    made.map(|p| p.cast::<c_void>()).unwrap_or_else(|_| {
        log::server(log::ERR, "photoguard: internal error creating a configuration; requests in its scope will be denied");
        ptr::null_mut()
    })
}

/// `merge_dir_config`: the scope `add` sees inside `base`.
pub unsafe extern "C" fn merge_dir_config(
    pool: *mut apr_pool_t,
    base: *mut c_void,
    add: *mut c_void,
) -> *mut c_void {
    if base.is_null() || add.is_null() {
        return ptr::null_mut();
    }
    let merged = catch_unwind(|| {
        // SAFETY: non-NULL configs Apache hands back are ones we made, live
        // as long as their pools, which outlive `pool`'s use of the result
        // (the merged scope shares their lists through Arc, so it does not
        // borrow them).
        let (parent, child) =
            unsafe { (&*base.cast::<ScopeConfig>(), &*add.cast::<ScopeConfig>()) };
        // SAFETY: Apache passes a live pool.
        unsafe { pool_owned(pool, ScopeConfig::merge(parent, child)) }
    });
    merged.map(|p| p.cast::<c_void>()).unwrap_or_else(|_| {
        log::server(log::ERR, "photoguard: internal error merging configurations; requests in that scope will be denied");
        ptr::null_mut()
    })
}

/// The merged scope for a request, or `None` (deny) if Apache has none.
///
/// # Safety
/// `r` is the live request Apache passed to a hook; the returned scope lives
/// as long as the request's per-dir config vector.
pub unsafe fn for_request<'r>(r: *const request_rec) -> Option<&'r ScopeConfig> {
    let index = module_index()?;
    // SAFETY: live request (caller); per_dir_config is Apache's vector of
    // one config pointer per module, indexed by module_index (this is what
    // ap_get_module_config does).
    let config = unsafe {
        let vector = (*r).per_dir_config.cast::<*mut c_void>();
        if vector.is_null() {
            return None;
        }
        *vector.add(index)
    };
    // SAFETY: a non-NULL entry at our index is a ScopeConfig we made.
    (!config.is_null()).then(|| unsafe { &*config.cast::<ScopeConfig>() })
}

/// The handler of every `PhotoGuard*` directive (RAW_ARGS): the engine
/// parses the raw argument text. Returns NULL, or an error that Apache
/// prints as `Syntax error on line N of FILE: <error>` before refusing to
/// start (or, in `.htaccess`, answers 500 and logs).
pub unsafe extern "C" fn set_directive(
    cmd: *mut cmd_parms,
    mconfig: *mut c_void,
    args: *const c_char,
) -> *const c_char {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: Apache passes the live cmd_parms of this directive, our
        // own per-dir config for the scope, and the NUL-terminated rest of
        // the line.
        unsafe { apply_directive(cmd, mconfig, args) }
    }));
    let message = match outcome {
        Ok(Ok(())) => return ptr::null(),
        Ok(Err(message)) => message,
        Err(_) => "photoguard: internal error while reading this directive".to_string(),
    };
    // SAFETY: cmd->pool is the live configuration pool.
    unsafe { pool_str((*cmd).pool, message.as_bytes()) }
}

/// # Safety
/// As [`set_directive`]'s arguments.
unsafe fn apply_directive(
    cmd: *mut cmd_parms,
    mconfig: *mut c_void,
    args: *const c_char,
) -> Result<(), String> {
    if mconfig.is_null() {
        return Err("photoguard: this scope's configuration could not be created".into());
    }
    // SAFETY: cmd is live, and cmd->cmd is the command_rec entry being run
    // (its name is one of our static directive names).
    let name = unsafe { CStr::from_ptr((*(*cmd).cmd).name) }
        .to_str()
        .map_err(|_| "directive name is not UTF-8")?;
    let args = if args.is_null() {
        ""
    } else {
        // SAFETY: NUL-terminated text owned by the config pool.
        unsafe { CStr::from_ptr(args) }
            .to_str()
            .map_err(|_| format!("{name}: the arguments are not UTF-8 text"))?
    };
    // SAFETY: cmd is live (caller).
    let origin = unsafe { directive_origin(cmd) };
    // SAFETY: ap_server_root is set by Apache before it reads any config.
    let server_root = unsafe { c_str(ap_server_root) }.map(Path::new);
    let ctx = DirectiveContext {
        origin,
        server_root,
    };
    // SAFETY: mconfig is the ScopeConfig we made for this scope; Apache
    // reads configuration single-threaded.
    let scope = unsafe { &mut *mconfig.cast::<ScopeConfig>() };
    scope.apply(name, args, &ctx).map_err(|e| e.to_string())?;
    if matches!(
        DirectiveInfo::lookup(name).map(|d| d.kind),
        Some(
            DirectiveKind::AllowNetwork
                | DirectiveKind::AllowNetworkFile
                | DirectiveKind::TrustedProxy
        )
    ) {
        // SAFETY: cmd->pool is the pool that owns this scope's config.
        unsafe { prepare::note((*cmd).pool, scope) };
    }
    Ok(())
}

/// Where the directive was written: its file and line, as Apache tracks them
/// in the config tree (`.htaccess` included), else the file being read.
///
/// # Safety
/// `cmd` is live.
unsafe fn directive_origin(cmd: *const cmd_parms) -> Origin {
    // SAFETY: directive and config_file are NULL or live for this call; their
    // names are NUL-terminated.
    unsafe {
        let directive = (*cmd).directive;
        if !directive.is_null() {
            if let Some(file) = c_str((*directive).filename) {
                return Origin::new(file, (*directive).line_num.max(0) as u32);
            }
        }
        let config_file = (*cmd).config_file;
        if !config_file.is_null() {
            if let Some(file) = c_str((*config_file).name) {
                return Origin::new(file, (*config_file).line_number);
            }
        }
    }
    Origin::new("(unknown file)", 0)
}

/// A C string as text, `None` for NULL or non-UTF-8.
///
/// # Safety
/// `p` is NULL or NUL-terminated and outlives `'a`.
unsafe fn c_str<'a>(p: *const c_char) -> Option<&'a str> {
    // SAFETY: see the contract.
    (!p.is_null())
        .then(|| unsafe { CStr::from_ptr(p) }.to_str().ok())
        .flatten()
}
