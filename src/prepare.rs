//! Builds the network lookup indexes once the configuration is read, in the
//! parent process (post_config), so that children forked from it share them
//! copy-on-write and no request pays for building one.
//!
//! The engine builds an index lazily, not per directive (a scope with
//! thousands of `PhotoGuardAllowNetwork` lines would rebuild it thousands of
//! times). Every scope that receives a network directive is therefore noted
//! in a list kept in the configuration pool's user data (no global state: a
//! graceful restart gets a new pool and a new list), and post_config prepares
//! them all. Scopes read from `.htaccess` at request time are noted in the
//! request pool, which nobody reads; they build lazily on first use, as they
//! are built per request anyway.

use std::ffi::{c_int, c_void};
use std::ptr;

use photoguard_engine::ScopeConfig;

use super::apr::pool_owned;
use super::bindings::*;
use super::log;

/// The pool user-data key of the list (`setn`: the key is not copied).
const KEY: &std::ffi::CStr = c"photoguard-scopes-to-prepare";

type Pending = Vec<*const ScopeConfig>;

/// Notes `scope` (owned by `pool`) for preparing after the configuration is read.
///
/// # Safety
/// `pool` is live and owns `scope`, which lives as long as the pool.
pub unsafe fn note(pool: *mut apr_pool_t, scope: *const ScopeConfig) {
    // SAFETY: live pool (caller); the list, once made, is owned by the pool.
    unsafe {
        let mut list = pending(pool);
        if list.is_null() {
            list = pool_owned(pool, Pending::new());
            apr_pool_userdata_setn(list.cast::<c_void>(), KEY.as_ptr(), None, pool);
        }
        if (*list).last() != Some(&scope) {
            (*list).push(scope);
        }
    }
}

/// # Safety
/// `pool` is live.
unsafe fn pending(pool: *mut apr_pool_t) -> *mut Pending {
    let mut data: *mut c_void = ptr::null_mut();
    // SAFETY: live pool; a non-NULL result is the list `note` stored.
    unsafe { apr_pool_userdata_get(&mut data, KEY.as_ptr(), pool) };
    data.cast::<Pending>()
}

/// post_config: prepares every noted scope, then forgets them.
///
/// # Safety
/// `pconf` is Apache's live configuration pool and `s` its main server.
pub unsafe fn post_config(pconf: *mut apr_pool_t, s: *mut server_rec) -> c_int {
    // SAFETY: every noted scope is owned by pconf and still alive (configs
    // are freed only when pconf is cleared, after this hook).
    let count = unsafe {
        match pending(pconf).as_mut() {
            None => 0,
            Some(list) => {
                let count = list.len();
                for scope in list.drain(..) {
                    (*scope).prepare();
                }
                count
            }
        }
    };
    // SAFETY: `s` is Apache's live main server.
    unsafe {
        log::for_server(
            s,
            log::DEBUG,
            &format!("photoguard: built the network indexes of {count} configuration scope(s)"),
        )
    };
    OK as c_int
}
