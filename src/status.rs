//! The status page: `SetHandler photoguard-status` shows, for each gated
//! scope and each rule, what the gate decided since this configuration was
//! read, across all children: as HTML, `?format=json` or
//! `?format=prometheus`; and a line on mod_status's `/server-status` (2.4).
//!
//! The counters are a slice of atomics in shared memory that the parent makes
//! in post_config, in the configuration pool: every generation (graceful
//! restart) starts at zero, and the page says which generation and since
//! when. The layout (which counter belongs to which scope and rule) is the
//! engine's `StatsLayout`, built from the scopes noted while the
//! configuration was read; `.htaccess` scopes are read later and not counted.

use std::ffi::{CStr, c_void};
use std::ptr;
use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use photoguard_engine::ltpa::Rfc3339;
use photoguard_engine::stats::StatsLayout;
use photoguard_engine::{Decision, ScopeConfig};

use super::apr::pool_owned;
use super::bindings::*;
use super::request::Request;

/// The layout and counters of the current generation, set by the parent in
/// post_config before any child is forked (as in limits.rs: plain pointers
/// into pool memory, gone with the module when Apache unloads it).
static LAYOUT: AtomicPtr<StatsLayout> = AtomicPtr::new(ptr::null_mut());
static COUNTERS: AtomicPtr<AtomicU64> = AtomicPtr::new(ptr::null_mut());
static COUNTER_LEN: AtomicUsize = AtomicUsize::new(0);
static GENERATION: AtomicU64 = AtomicU64::new(0);
static STARTED: AtomicU64 = AtomicU64::new(0);

/// The pool user-data keys: the scopes noted for the page (in pconf), and
/// the generation count (in the process pool).
const SCOPES_KEY: &CStr = c"photoguard-status-scopes";
const GENERATION_KEY: &CStr = c"photoguard-status-generation";

/// The handler name an admin sets.
const HANDLER: &[u8] = b"photoguard-status";

type Noted = Vec<(*const ScopeConfig, String)>;

/// Notes a scope that got a PhotoGuard directive, with its label
/// (`<Directory /srv/photos> (photos.conf:10)`), for the page.
///
/// # Safety
/// `pool` is the live configuration pool, which owns `scope`.
pub unsafe fn note(
    pool: *mut apr_pool_t,
    scope: *const ScopeConfig,
    label: impl FnOnce() -> String,
) {
    // SAFETY: live pool; the list, once made, is owned by the pool.
    unsafe {
        let mut list = userdata(pool, SCOPES_KEY).cast::<Noted>();
        if list.is_null() {
            list = pool_owned(pool, Noted::new());
            apr_pool_userdata_setn(list.cast::<c_void>(), SCOPES_KEY.as_ptr(), None, pool);
        }
        if !(*list).iter().any(|(s, _)| *s == scope) {
            (*list).push((scope, label()));
        }
    }
}

/// post_config: lays out the counters of the noted scopes in new shared
/// memory.
///
/// # Safety
/// `pconf` is the live configuration pool and `s` the main server; every
/// noted scope is owned by pconf.
pub unsafe fn post_config(pconf: *mut apr_pool_t, s: *mut server_rec) -> Result<(), String> {
    LAYOUT.store(ptr::null_mut(), Ordering::Release);
    // SAFETY: live pool; what is stored under SCOPES_KEY is a Noted list.
    let noted = unsafe { userdata(pconf, SCOPES_KEY).cast::<Noted>().as_ref() };
    let Some(noted) = noted else {
        return Ok(());
    };
    // SAFETY: every noted scope is owned by pconf and alive.
    let scopes = noted
        .iter()
        .map(|(scope, label)| (unsafe { &**scope }, label.clone()));
    let layout = StatsLayout::new(scopes);
    let words = layout.words().max(1);
    let bytes = words * std::mem::size_of::<AtomicU64>();
    let mut shm: *mut apr_shm_t = ptr::null_mut();
    // SAFETY: live pool; anonymous shared memory, which children share
    // across fork, freed with the configuration pool.
    let status = unsafe { apr_shm_create(&mut shm, bytes as apr_size_t, ptr::null(), pconf) };
    if status != APR_SUCCESS as apr_status_t || shm.is_null() {
        return Err(format!(
            "cannot create {bytes} bytes of shared memory for the status counters (APR error {status})"
        ));
    }
    // SAFETY: a live apr_shm_t of `bytes` bytes, zero-filled by mmap,
    // aligned for any type; used only through atomics from here on.
    let base = unsafe { apr_shm_baseaddr_get(shm) }.cast::<AtomicU64>();
    // SAFETY: live pool; the layout is dropped by its cleanup.
    let layout = unsafe { pool_owned(pconf, layout) };
    // SAFETY: the main server's process and its pool live until the process ends.
    let generation = unsafe { next_generation((*(*s).process).pool) };
    COUNTER_LEN.store(words, Ordering::Release);
    COUNTERS.store(base, Ordering::Release);
    GENERATION.store(generation, Ordering::Release);
    STARTED.store(now_secs(), Ordering::Release);
    LAYOUT.store(layout, Ordering::Release);
    Ok(())
}

/// The current layout and counters, if the configuration has a gate.
fn current() -> Option<(&'static StatsLayout, &'static [AtomicU64])> {
    let layout = LAYOUT.load(Ordering::Acquire);
    let counters = COUNTERS.load(Ordering::Acquire);
    if layout.is_null() || counters.is_null() {
        return None;
    }
    // SAFETY: post_config stored a layout owned by pconf and `len` counters
    // of shared memory owned by pconf; both live while this configuration
    // (and so this module) is loaded.
    unsafe {
        Some((
            &*layout,
            std::slice::from_raw_parts(counters, COUNTER_LEN.load(Ordering::Acquire)),
        ))
    }
}

/// Counts one decision (a hash lookup or two and an atomic add each).
pub fn record(decision: &Decision, gated_by: Option<&ScopeConfig>) {
    if let Some((layout, counters)) = current() {
        layout.record(counters, decision, gated_by);
    }
}

/// The handler: answers requests whose handler is `photoguard-status`.
pub fn handle(r: &mut Request) -> Option<i32> {
    if r.handler() != Some(HANDLER) {
        return None;
    }
    let header = format!(
        "configuration generation {}, counting since {} ({} Apache server)",
        GENERATION.load(Ordering::Acquire),
        Rfc3339(STARTED.load(Ordering::Acquire)),
        if cfg!(apache24) { "2.4" } else { "2.2" }
    );
    let Some((layout, counters)) = current() else {
        r.set_content_type(c"text/plain; charset=utf-8");
        r.write(b"photoguard: no gated scope in this configuration\n");
        return Some(OK as i32);
    };
    let format = r.query_param(b"format");
    let (content_type, body) = match format {
        Some(b"json") => (
            c"application/json",
            layout.json(
                counters,
                GENERATION.load(Ordering::Acquire),
                &Rfc3339(STARTED.load(Ordering::Acquire)).to_string(),
            ),
        ),
        Some(b"prometheus") => (
            c"text/plain; version=0.0.4; charset=utf-8",
            layout.prometheus(counters, GENERATION.load(Ordering::Acquire)),
        ),
        _ => (c"text/html; charset=utf-8", layout.html(counters, &header)),
    };
    r.set_content_type(content_type);
    r.set_header_out(c"Cache-Control", b"no-store");
    r.write(body.as_bytes());
    Some(OK as i32)
}

/// The line mod_status shows.
pub fn summary() -> Option<String> {
    let (layout, counters) = current()?;
    Some(format!("photoguard: {}", layout.summary(counters)))
}

/// # Safety
/// `pool` is the live process pool.
unsafe fn next_generation(pool: *mut apr_pool_t) -> u64 {
    // SAFETY: live pool; what is stored under GENERATION_KEY is a u64 in
    // that pool (apr_palloc), written only here, single-threaded.
    unsafe {
        let mut counter = userdata(pool, GENERATION_KEY).cast::<u64>();
        if counter.is_null() {
            counter = apr_palloc(pool, std::mem::size_of::<u64>() as apr_size_t).cast::<u64>();
            if counter.is_null() {
                return 0;
            }
            counter.write(0);
            apr_pool_userdata_set(
                counter.cast::<c_void>(),
                GENERATION_KEY.as_ptr(),
                None,
                pool,
            );
        }
        *counter += 1;
        *counter
    }
}

/// # Safety
/// `pool` is live.
unsafe fn userdata(pool: *mut apr_pool_t, key: &CStr) -> *mut c_void {
    let mut data: *mut c_void = ptr::null_mut();
    // SAFETY: live pool.
    unsafe { apr_pool_userdata_get(&mut data, key.as_ptr(), pool) };
    data
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
