//! The module struct Apache finds with `LoadModule photoguard_module ...`,
//! and the directive table, built from the engine's `DIRECTIVES`.

use std::ffi::c_void;
use std::ptr;

use photoguard_engine::DIRECTIVES;

use super::bindings::*;
use super::{access, compat, config, prepare};

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
    create_dir_config: Some(config::create_dir_config),
    merge_dir_config: Some(config::merge_dir_config),
    create_server_config: None,
    merge_server_config: None,
    cmds: COMMANDS.0.as_ptr(),
    register_hooks: Some(register_hooks),
    // SAFETY: every field of the C struct is an integer or a nullable
    // pointer, for which all-zero bytes are valid.
    ..unsafe { std::mem::zeroed() }
};

/// Our slot in Apache's per-module config vectors, once Apache has loaded us.
pub fn module_index() -> Option<usize> {
    // SAFETY: Apache writes module_index while loading the module, before
    // any hook runs, and only reads it afterwards; a plain read through a raw
    // pointer (no reference to the static mut) is sound.
    let index = unsafe { (*ptr::addr_of!(photoguard_module)).module_index };
    usize::try_from(index).ok()
}

/// Where a directive may appear: the server config and `<VirtualHost>`
/// (RSRC_CONF), `<Directory>`, `<Location>`, `<Files>` (ACCESS_CONF), and
/// `.htaccess` under `AllowOverride AuthConfig` (OR_AUTHCFG).
const DIRECTIVE_SCOPE: i32 = (RSRC_CONF | ACCESS_CONF | OR_AUTHCFG) as i32;

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
                raw_args: Some(config::set_directive),
            },
            cmd_data: ptr::null_mut::<c_void>(),
            req_override: DIRECTIVE_SCOPE,
            args_how: cmd_how_RAW_ARGS,
            errmsg: DIRECTIVES[i].usage.as_ptr(),
        };
        i += 1;
    }
    table
}

unsafe extern "C" fn register_hooks(_pool: *mut apr_pool_t) {
    compat::register_access_hook(access::check_access);
    // SAFETY: called by Apache while it builds its hook tables; null
    // predecessor/successor lists are allowed.
    unsafe {
        ap_hook_post_config(
            Some(prepare::post_config),
            ptr::null(),
            ptr::null(),
            APR_HOOK_MIDDLE as i32,
        )
    };
}
