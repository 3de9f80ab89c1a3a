//! The enumeration guard's counts for this server: a table in shared memory
//! that the parent lays out after reading the configuration and every child
//! inherits across `fork`, so counts are exact across all processes with no
//! lock (the counting itself is the engine's `guard::Table`, atomics only).
//!
//! The memory hangs off the process pool, not the configuration pool, so a
//! graceful restart finds the same table again and keeps the counts (unless
//! `PhotoGuardLimitStore shm SIZE` changed the size: then a new, empty table
//! is made, and the old one stays mapped until Apache stops, for the old
//! generation's children that still finish their requests with it).
//!
//! With `PhotoGuardLimitStore socache` (Apache 2.4) the counts of a farm live
//! in a socache provider (src/socache.rs) and this table is the fallback
//! while the store is down, made with the default size.

use std::ffi::{CStr, c_void};
use std::marker::PhantomData;
use std::ptr;
use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize, Ordering};

use photoguard_engine::guard::size::DEFAULT_SHM_SIZE;
use photoguard_engine::guard::{
    ClientKey, Count, Counter, Seed, StoreSpec, Table, slots_for_bytes, words_for_bytes,
};

use super::bindings::*;
use super::log;
use super::request::Request;
#[cfg(apache24)]
use super::socache;

/// The table's words, set by the parent in post_config (before any child is
/// forked, so children read what it wrote), NULL when no scope has limits.
/// A plain pointer into process-pool memory: when Apache unloads the module
/// on a restart this static goes with it, and the reloaded module sets it
/// again; nothing here outlives the module.
static COUNT_WORDS: AtomicPtr<AtomicU64> = AtomicPtr::new(ptr::null_mut());
static COUNT_LEN: AtomicUsize = AtomicUsize::new(0);

/// The pool user-data key of "some scope has limits" (in pconf) and of the
/// shared memory (in the process pool).
const LIMITS_KEY: &CStr = c"photoguard-has-limits";
const SHM_KEY: &CStr = c"photoguard-limit-table";

/// Notes that the configuration has limits, so that post_config makes the table.
///
/// # Safety
/// `pool` is the live configuration pool.
pub unsafe fn note_limits(pool: *mut apr_pool_t) {
    // SAFETY: live pool; the value is a static marker, never freed.
    unsafe {
        apr_pool_userdata_setn(
            LIMITS_KEY.as_ptr().cast::<c_void>(),
            LIMITS_KEY.as_ptr(),
            None,
            pool,
        )
    };
}

/// The table, when the configuration has limits.
pub fn table() -> Option<Table<'static>> {
    let words = COUNT_WORDS.load(Ordering::Acquire);
    if words.is_null() {
        return None;
    }
    let len = COUNT_LEN.load(Ordering::Acquire);
    // SAFETY: post_config stored a pointer to `len` words of shared memory
    // owned by the process pool, which lives until the process ends, and
    // only ever accessed through atomics.
    let words = unsafe { std::slice::from_raw_parts(words, len) };
    Table::open(words).ok()
}

/// What request `r` counts with when the configuration has limits: the
/// table, or (`PhotoGuardLimitStore socache`, Apache 2.4) the socache store
/// falling back to it.
pub fn counter<'r>(r: &Request<'r>) -> Option<LimitCounter<'r>> {
    let table = table()?;
    #[cfg(apache24)]
    if let Some(shared) = socache::counter(table, r) {
        return Some(LimitCounter::Socache(shared));
    }
    let _ = r;
    Some(LimitCounter::Local(table, PhantomData))
}

pub enum LimitCounter<'r> {
    Local(Table<'static>, PhantomData<&'r ()>),
    #[cfg(apache24)]
    Socache(socache::SocacheCounter<'r>),
}

impl Counter for LimitCounter<'_> {
    fn hit(&self, key: &ClientKey, limit_id: u32, window_secs: u64, now_secs: u64) -> Count {
        match self {
            LimitCounter::Local(table, _) => table.hit(key, limit_id, window_secs, now_secs),
            #[cfg(apache24)]
            LimitCounter::Socache(shared) => shared.hit(key, limit_id, window_secs, now_secs),
        }
    }

    fn peek(&self, key: &ClientKey, limit_id: u32, window_secs: u64, now_secs: u64) -> Count {
        match self {
            LimitCounter::Local(table, _) => table.peek(key, limit_id, window_secs, now_secs),
            #[cfg(apache24)]
            LimitCounter::Socache(shared) => shared.peek(key, limit_id, window_secs, now_secs),
        }
    }
}

/// post_config: makes (or, after a graceful restart, finds again) the table
/// when the configuration has limits. `store` is `PhotoGuardLimitStore` as
/// the main server sets it. An error stops Apache from starting.
///
/// # Safety
/// `pconf` is Apache's live configuration pool and `s` its main server.
pub unsafe fn post_config(
    pconf: *mut apr_pool_t,
    s: *mut server_rec,
    store: Option<&StoreSpec>,
) -> Result<(), String> {
    COUNT_WORDS.store(ptr::null_mut(), Ordering::Release);
    #[cfg(apache24)]
    socache::reset();
    // SAFETY: live pool.
    let has_limits = unsafe { userdata(pconf, LIMITS_KEY) }.is_some();
    if !has_limits && store.is_none() {
        return Ok(());
    }
    let size = match store.cloned().unwrap_or_default() {
        StoreSpec::Shm { size } => size,
        StoreSpec::Socache { .. } if cfg!(apache22) => {
            return Err("PhotoGuardLimitStore socache: Apache 2.2 has no shared object cache (socache came with 2.4); use shm".into());
        }
        // The local table a socache store falls back to while it is down.
        StoreSpec::Socache { .. } => DEFAULT_SHM_SIZE,
    };
    let words = words_for_bytes(size);
    let bytes = words * std::mem::size_of::<AtomicU64>();
    // SAFETY: `s` is the live main server; its process record and pool live
    // until the process ends.
    let process_pool = unsafe { (*(*s).process).pool };
    // SAFETY: live pool.
    let (base, reused) = match unsafe { userdata(process_pool, SHM_KEY) } {
        // SAFETY: what we stored under SHM_KEY is a live apr_shm_t.
        Some(shm) if unsafe { apr_shm_size_get(shm.cast()) } == bytes as apr_size_t => {
            // SAFETY: as above.
            (unsafe { apr_shm_baseaddr_get(shm.cast()) }, true)
        }
        _ => {
            let mut shm: *mut apr_shm_t = ptr::null_mut();
            // SAFETY: live pool; anonymous shared memory (no file name),
            // which children share across fork.
            let status =
                unsafe { apr_shm_create(&mut shm, bytes as apr_size_t, ptr::null(), process_pool) };
            if status != APR_SUCCESS as apr_status_t || shm.is_null() {
                return Err(format!(
                    "cannot create {bytes} bytes of shared memory for the limit counts (APR error {status})"
                ));
            }
            // SAFETY: live pool; the shm lives as long as it. `set` copies
            // the key into the pool: the module (and the static key text)
            // is unloaded and loaded again while the process pool lives on.
            unsafe {
                apr_pool_userdata_set(shm.cast::<c_void>(), SHM_KEY.as_ptr(), None, process_pool)
            };
            // SAFETY: a live apr_shm_t.
            (unsafe { apr_shm_baseaddr_get(shm) }, false)
        }
    };
    // SAFETY: `bytes` of shared memory at `base`, aligned for any type
    // (mmap), accessed only through atomics from here on.
    let slice = unsafe { std::slice::from_raw_parts(base.cast::<AtomicU64>(), words) };
    let table = if reused {
        Table::open(slice)?
    } else {
        Table::create(slice, Seed::random())?
    };
    COUNT_LEN.store(words, Ordering::Release);
    COUNT_WORDS.store(base.cast::<AtomicU64>(), Ordering::Release);
    // SAFETY: live main server.
    unsafe {
        log::for_server(
            s,
            log::NOTICE,
            &format!(
                "photoguard: limit counts in {} of shared memory: {} client windows ({}; {} slots for {size} bytes)",
                human_bytes(bytes as u64),
                table.capacity(),
                if reused {
                    "kept across the restart"
                } else {
                    "new"
                },
                slots_for_bytes(size),
            ),
        )
    };
    #[cfg(apache24)]
    if let Some(StoreSpec::Socache { provider, args }) = store {
        // SAFETY: live pool and main server, in the parent before any fork.
        let spec = unsafe { socache::post_config(pconf, s, provider, args.as_deref()) }?;
        // SAFETY: live main server.
        unsafe {
            log::for_server(
                s,
                log::NOTICE,
                &format!(
                    "photoguard: limit counts shared through socache {spec}; this server's shared memory counts while it is down"
                ),
            )
        };
    }
    Ok(())
}

/// # Safety
/// `pool` is live.
unsafe fn userdata(pool: *mut apr_pool_t, key: &CStr) -> Option<*mut c_void> {
    let mut data: *mut c_void = ptr::null_mut();
    // SAFETY: live pool.
    unsafe { apr_pool_userdata_get(&mut data, key.as_ptr(), pool) };
    (!data.is_null()).then_some(data)
}

fn human_bytes(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    }
}
