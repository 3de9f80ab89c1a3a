//! Everything Apache calls: the exported `photoguard_module` struct, the
//! directive table (built from the engine's `DIRECTIVES`), and every
//! `extern "C"` entry point, each behind [`guard`], the one panic boundary:
//! a panic never unwinds into C, and where it would leave a request
//! undecided the request is denied.
//!
//! The entry points only turn Apache's raw pointers into typed values
//! (`Request`, `Cmd`) and hand over to safe code: `access` decides,
//! `config` reads directives, `prepare` builds indexes.

use std::ffi::{CStr, c_char, c_int, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr;

use photoguard_engine::{DIRECTIVES, DirectiveKind};

use super::access;
use super::apr::pool_str;
use super::bindings::*;
use super::compat;
use super::config::{Cmd, DirConfig};
use super::limits;
use super::log;
use super::prepare;
use super::request::Request;
use super::status;

/// The module struct. Exported unmangled and writable: Apache fills in
/// `module_index`, `next` and `dynamic_load_handle` when it loads us.
/// Fields not named here (2.4's `flags`) are zero (see compat.rs).
#[allow(non_upper_case_globals)]
// On 2.2 every field is named and the zeroed tail is empty; on 2.4 it is
// `flags`. One initializer for both.
#[allow(clippy::needless_update)]
#[unsafe(no_mangle)]
pub static mut photoguard_module: module = module {
    version: MODULE_MAGIC_NUMBER_MAJOR as _,
    minor_version: MODULE_MAGIC_NUMBER_MINOR as _,
    module_index: -1,
    name: c"mod_photoguard.c".as_ptr(),
    dynamic_load_handle: ptr::null_mut(),
    next: ptr::null_mut(),
    magic: MODULE_MAGIC_COOKIE as _,
    rewrite_args: None,
    create_dir_config: Some(create_dir_config),
    merge_dir_config: Some(merge_dir_config),
    create_server_config: None,
    merge_server_config: None,
    cmds: COMMANDS.0.as_ptr(),
    register_hooks: Some(register_hooks),
    // SAFETY: every field of the C struct is an integer or a nullable
    // pointer, for which all-zero bytes are valid.
    ..unsafe { std::mem::zeroed() }
};

/// Our module struct, for config-vector lookups.
fn this_module() -> *const module {
    ptr::addr_of!(photoguard_module)
}

/// Runs `body`, catching a panic so that nothing unwinds into Apache:
/// `None` when it panicked, and the caller answers in a way that fails
/// closed.
fn guard<T>(body: impl FnOnce() -> T) -> Option<T> {
    catch_unwind(AssertUnwindSafe(body)).ok()
}

/// Where a directive may appear: the server config and `<VirtualHost>`
/// (RSRC_CONF), `<Directory>`, `<Location>`, `<Files>` (ACCESS_CONF), and
/// `.htaccess` under `AllowOverride AuthConfig` (OR_AUTHCFG).
const DIRECTIVE_SCOPE: i32 = (RSRC_CONF | ACCESS_CONF | OR_AUTHCFG) as i32;

/// Key material (`PhotoGuardLtpaKeys`, `PhotoGuardDominoSecret`) only in the
/// server configuration: it is read once, by root, at startup. In
/// `.htaccess` it would be read and decrypted on every request, by the
/// children's user (so the files would have to be readable by it), with a
/// warning per request and no token cache: Apache says "not allowed here".
const fn directive_scope(kind: DirectiveKind) -> i32 {
    match kind {
        DirectiveKind::LtpaKeys | DirectiveKind::DominoSecret => (RSRC_CONF | ACCESS_CONF) as i32,
        _ => DIRECTIVE_SCOPE,
    }
}

const COMMAND_COUNT: usize = DIRECTIVES.len() + 1;

/// A static table of C structs holding raw pointers to static data.
#[repr(transparent)]
pub struct CommandTable([command_rec; COMMAND_COUNT]);

// SAFETY: the table and everything it points to is immutable static data
// (names, usage text, function pointers); Apache only reads it.
unsafe impl Sync for CommandTable {}

/// One RAW_ARGS entry per engine directive, usage text for `apachectl -L`,
/// and the all-zero terminator Apache stops at.
static COMMANDS: CommandTable = CommandTable(command_table());

const fn command_table() -> [command_rec; COMMAND_COUNT] {
    // SAFETY: all-zero is a valid command_rec (NULL pointers, no function),
    // and it is the terminator entry.
    let mut table: [command_rec; COMMAND_COUNT] = unsafe { std::mem::zeroed() };
    let mut i = 0;
    while i < DIRECTIVES.len() {
        table[i] = command_rec {
            name: DIRECTIVES[i].name.as_ptr(),
            func: cmd_func {
                raw_args: Some(set_directive),
            },
            cmd_data: ptr::null_mut::<c_void>(),
            req_override: directive_scope(DIRECTIVES[i].kind),
            args_how: cmd_how_RAW_ARGS,
            errmsg: DIRECTIVES[i].usage.as_ptr(),
        };
        i += 1;
    }
    table
}

unsafe extern "C" fn register_hooks(_pool: *mut apr_pool_t) {
    guard(|| {
        compat::register_access_hooks(check_access, enforce_denial);
        // SAFETY: called by Apache while it builds its hook tables.
        unsafe {
            ap_hook_handler(
                Some(status_handler),
                ptr::null(),
                ptr::null(),
                APR_HOOK_MIDDLE as i32,
            );
            pg_register_status_hook(Some(status_summary));
        };
        // SAFETY: called by Apache while it builds its hook tables.
        unsafe {
            ap_hook_log_transaction(
                Some(count_not_found),
                ptr::null(),
                ptr::null(),
                APR_HOOK_MIDDLE as i32,
            )
        };
        // SAFETY: called by Apache while it builds its hook tables; null
        // predecessor/successor lists are allowed.
        unsafe {
            ap_hook_post_config(
                Some(post_config),
                ptr::null(),
                ptr::null(),
                APR_HOOK_MIDDLE as i32,
            )
        };
    })
    .unwrap_or_else(|| log::server(log::ERR, "photoguard: internal error registering hooks"))
}

/// `create_dir_config`: an empty scope (inherits everything).
unsafe extern "C" fn create_dir_config(pool: *mut apr_pool_t, _dir: *mut c_char) -> *mut c_void {
    // SAFETY: Apache passes a live pool.
    guard(|| unsafe { DirConfig::create(pool) }.cast::<c_void>()).unwrap_or_else(|| {
        log::server(log::ERR, "photoguard: internal error creating a configuration; requests in its scope will be denied");
        ptr::null_mut()
    })
}

/// `merge_dir_config`: the scope `add` sees inside `base`.
unsafe extern "C" fn merge_dir_config(
    pool: *mut apr_pool_t,
    base: *mut c_void,
    add: *mut c_void,
) -> *mut c_void {
    // SAFETY: non-NULL configs Apache hands back are ones we made; they live
    // as long as their pools, which outlive this call.
    let (Some(parent), Some(child)) = (unsafe { base.cast::<DirConfig>().as_ref() }, unsafe {
        add.cast::<DirConfig>().as_ref()
    }) else {
        return ptr::null_mut();
    };
    // SAFETY: Apache passes a live pool, the one of the shorter-lived scope.
    guard(|| unsafe { DirConfig::merge(pool, parent, child) }.cast::<c_void>())
        .unwrap_or_else(|| {
            log::server(log::ERR, "photoguard: internal error merging configurations; requests in that scope will be denied");
            ptr::null_mut()
        })
}

/// The handler of every `PhotoGuard*` directive (RAW_ARGS): the engine
/// parses the raw argument text. Returns NULL, or an error that Apache
/// prints as `Syntax error on line N of FILE: <error>` before refusing to
/// start (or, in `.htaccess`, answers 500 and logs).
unsafe extern "C" fn set_directive(
    cmd: *mut cmd_parms,
    mconfig: *mut c_void,
    args: *const c_char,
) -> *const c_char {
    // SAFETY: Apache passes the live cmd_parms of this directive.
    let Some(cmd) = (unsafe { Cmd::from_raw(cmd) }) else {
        return c"photoguard: no directive context".as_ptr();
    };
    let outcome = guard(|| {
        // SAFETY: mconfig is NULL or the DirConfig we made for this scope;
        // Apache reads configuration single-threaded, so nothing else holds
        // it now.
        let Some(config) = (unsafe { mconfig.cast::<DirConfig>().as_mut() }) else {
            return Err("photoguard: this scope's configuration could not be created".to_string());
        };
        // SAFETY: args is NULL or the NUL-terminated rest of the line, owned
        // by the config pool.
        let args = (!args.is_null()).then(|| unsafe { CStr::from_ptr(args) });
        let (kind, scope) = config.apply(&cmd, args)?;
        if kind.builds_network_index() {
            // SAFETY: cmd->pool owns this scope's config.
            unsafe { prepare::note(cmd.pool(), scope) };
        }
        if kind.counts() {
            // SAFETY: cmd->pool is the live configuration pool.
            unsafe { limits::note_limits(cmd.pool()) };
        }
        // SAFETY: cmd->pool owns this scope's config.
        unsafe { status::note(cmd.pool(), scope, || cmd.section()) };
        Ok(())
    })
    .unwrap_or_else(|| Err("photoguard: internal error while reading this directive".to_string()));
    match outcome {
        Ok(()) => ptr::null(),
        // SAFETY: cmd->pool is the live configuration pool.
        Err(message) => unsafe { pool_str(cmd.pool(), message.as_bytes()) },
    }
}

/// post_config, in the parent: builds the noted scopes' network indexes and
/// the shared table limits count in. A failure to make the table stops
/// Apache from starting: limits without counts would let scrapers through.
unsafe extern "C" fn post_config(
    pconf: *mut apr_pool_t,
    _plog: *mut apr_pool_t,
    _ptemp: *mut apr_pool_t,
    s: *mut server_rec,
) -> c_int {
    // SAFETY: Apache passes its live configuration pool and main server.
    guard(|| unsafe { prepare::post_config(pconf, s) }).unwrap_or_else(|| {
        // The indexes are then built by the first request that needs them.
        log::server(
            log::ERR,
            "photoguard: internal error preparing network indexes; they will be built on first use",
        );
        OK as c_int
    });
    let made = guard(|| {
        // SAFETY: the main server's own config is NULL or a DirConfig we
        // made, owned by pconf.
        let server_scope = unsafe {
            pg_server_dir_config(s, this_module())
                .cast::<DirConfig>()
                .as_ref()
        };
        let store = server_scope.and_then(DirConfig::limit_store);
        // SAFETY: live pool and main server.
        unsafe { limits::post_config(pconf, s, store) }
    })
    .unwrap_or_else(|| Err("internal error".into()));
    // SAFETY: live pool and main server; every noted scope is owned by pconf.
    let counted = guard(|| unsafe { status::post_config(pconf, s) })
        .unwrap_or_else(|| Err("internal error".into()));
    match (made, counted) {
        (Ok(()), Ok(())) => OK as c_int,
        (Err(why), _) | (_, Err(why)) => {
            // SAFETY: live main server.
            unsafe { log::for_server(s, log::ERR, &format!("photoguard: {why}")) };
            HTTP_INTERNAL_SERVER_ERROR as c_int
        }
    }
}

/// The `photoguard-status` handler.
unsafe extern "C" fn status_handler(r: *mut request_rec) -> c_int {
    // SAFETY: Apache passes the live request of this hook call.
    let Some(mut request) = (unsafe { Request::from_raw(r) }) else {
        return DECLINED as c_int;
    };
    guard(|| status::handle(&mut request))
        .unwrap_or(Some(HTTP_INTERNAL_SERVER_ERROR as c_int))
        .unwrap_or(DECLINED as c_int)
}

/// mod_status's section (2.4): the summary line, in the request pool.
unsafe extern "C" fn status_summary(r: *mut request_rec) -> *const c_char {
    let Some(text) = guard(status::summary).flatten() else {
        return ptr::null();
    };
    // SAFETY: Apache passes the live request; the copy lives in its pool.
    unsafe { pool_str((*r).pool, text.as_bytes()) }
}

/// The access check (2.4: check_access per configuration; 2.2:
/// access_checker).
unsafe extern "C" fn check_access(r: *mut request_rec) -> c_int {
    // SAFETY: Apache passes the live request of this hook call.
    let Some(mut request) = (unsafe { Request::from_raw(r) }) else {
        return HTTP_FORBIDDEN as c_int;
    };
    let scope = request
        .dir_config::<DirConfig>(this_module())
        .map(DirConfig::view);
    guard(|| access::check(&mut request, scope)).unwrap_or_else(|| access::panicked(&mut request))
}

/// log_transaction: counts the 404s of scopes with `PhotoGuardLimitNotFound`.
unsafe extern "C" fn count_not_found(r: *mut request_rec) -> c_int {
    // SAFETY: Apache passes the live request of this hook call.
    let Some(request) = (unsafe { Request::from_raw(r) }) else {
        return DECLINED as c_int;
    };
    // Most responses are not 404s: nothing else to look at for them.
    if request.status() != HTTP_NOT_FOUND as c_int {
        return DECLINED as c_int;
    }
    let scope = request
        .dir_config::<DirConfig>(this_module())
        .map(DirConfig::view);
    if let Some(scope) = scope {
        // A panic here loses one count, nothing else.
        let _ = guard(|| access::count_not_found(&request, scope));
    }
    DECLINED as c_int
}

/// Fixups: refuses again a request photoguard denied that another module
/// granted anyway (`Satisfy Any`).
unsafe extern "C" fn enforce_denial(r: *mut request_rec) -> c_int {
    // SAFETY: Apache passes the live request of this hook call.
    let Some(mut request) = (unsafe { Request::from_raw(r) }) else {
        return HTTP_FORBIDDEN as c_int;
    };
    guard(|| access::enforce(&mut request)).unwrap_or(HTTP_FORBIDDEN as c_int)
}
