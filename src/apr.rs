//! Small helpers over APR pools and tables, so that the rest of the module
//! reads as Rust.

use std::ffi::{CStr, c_char, c_void};

use super::bindings::*;

/// Moves `value` to the heap and ties its lifetime to `pool`: a pool cleanup
/// drops it when Apache clears or destroys the pool (end of a request,
/// graceful restart), so configs never leak across restarts.
///
/// # Safety
/// `pool` is a live APR pool.
pub unsafe fn pool_owned<T>(pool: *mut apr_pool_t, value: T) -> *mut T {
    unsafe extern "C" fn drop_boxed<T>(data: *mut c_void) -> apr_status_t {
        // A panicking Drop must not unwind into APR; there is nothing better
        // to do with one than to leak.
        let _ = std::panic::catch_unwind(|| {
            // SAFETY: `data` is the pointer Box::into_raw gave below,
            // registered once, and APR runs a cleanup exactly once.
            drop(unsafe { Box::from_raw(data.cast::<T>()) });
        });
        APR_SUCCESS as apr_status_t
    }
    let raw = Box::into_raw(Box::new(value));
    // SAFETY: `pool` is live (caller); `raw` stays valid until the cleanup
    // runs; apr_pool_cleanup_null is APR's no-op for child processes (a
    // forked CGI must not free the parent's configs).
    unsafe {
        apr_pool_cleanup_register(
            pool,
            raw.cast::<c_void>(),
            Some(drop_boxed::<T>),
            Some(apr_pool_cleanup_null),
        );
    }
    raw
}

/// A copy of `bytes`, NUL-terminated, in `pool`.
///
/// # Safety
/// `pool` is a live APR pool.
pub unsafe fn pool_str(pool: *mut apr_pool_t, bytes: &[u8]) -> *const c_char {
    // SAFETY: `pool` is live (caller); apr_pstrmemdup copies exactly `len`
    // bytes and appends a NUL.
    unsafe {
        apr_pstrmemdup(
            pool,
            bytes.as_ptr().cast::<c_char>(),
            bytes.len() as apr_size_t,
        )
    }
}

/// The value of header `name` (Apache joins repeated lines with ", ").
///
/// # Safety
/// `table` is a live APR table whose values outlive `'t`.
pub unsafe fn table_get<'t>(table: *const apr_table_t, name: &CStr) -> Option<&'t [u8]> {
    if table.is_null() {
        return None;
    }
    // SAFETY: live table (caller); the result is NULL or a NUL-terminated
    // value owned by the table.
    let value = unsafe { apr_table_get(table, name.as_ptr()) };
    // SAFETY: non-NULL and NUL-terminated (above).
    (!value.is_null()).then(|| unsafe { CStr::from_ptr(value) }.to_bytes())
}

/// Sets `key` to `value` without copying either: both must outlive the
/// table (`key` is static; `value` is pool memory of the table's pool or a
/// static string).
///
/// # Safety
/// `table` is live; `value` is NUL-terminated and outlives the table.
pub unsafe fn table_setn(table: *mut apr_table_t, key: &'static CStr, value: *const c_char) {
    if table.is_null() || value.is_null() {
        return;
    }
    // SAFETY: see the function's contract.
    unsafe { apr_table_setn(table, key.as_ptr(), value) }
}
