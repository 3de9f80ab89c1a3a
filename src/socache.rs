//! `PhotoGuardLimitStore socache PROVIDER[:ARGS]` (Apache 2.4): the limit
//! counts of a farm in one of Apache's shared object cache providers
//! (`mod_socache_memcache`, `mod_socache_redis`), so that every server of the
//! farm counts a client's requests together. The counting itself (keys,
//! read-modify-write, the fallback to this server's table) is the engine's
//! `hit_shared` / `peek_shared`; this file only turns the provider's `store`
//! and `retrieve` into the engine's `Store`.
//!
//! **Life cycle.** post_config, in the parent, looks the provider up, then
//! `create`s and `init`s one instance in the configuration pool (a graceful
//! restart makes a new one; a pool cleanup calls the provider's `destroy`).
//! The children inherit it across `fork`. No child_init is needed:
//! memcache and redis (`apr_memcache`, `apr_redis`) make a connection pool
//! per server in `init` with no connection in it, and connect on first use,
//! so each child opens its own sockets; the parent never calls `store` or
//! `retrieve`. A provider flagged `AP_SOCACHE_FLAG_NOTMPSAFE` (shmcb, dbm)
//! would need a global mutex around every call; it is refused at startup:
//! one server's counts are better in `shm`, with no lock at all.
//!
//! **Per counted request.** One subpool of the request pool holds what the
//! provider allocates (`apr_memcache_getp` copies the value there) and is
//! destroyed before the count returns; keys and values are on the stack.
//!
//! **Failures.** While the store fails, the engine counts on this server's
//! table and says so at most once a minute (the state lives in the table's
//! header, shared by every child); this file writes that line to the error
//! log. The providers would also log every failed call themselves (at crit),
//! so they are handed a copy of the main server whose log level is `emerg`:
//! the error they saw is in our line (`Connection refused`, ...).

use std::ffi::{CStr, c_char, c_uint, c_void};
use std::marker::PhantomData;
use std::mem::{MaybeUninit, size_of};
use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};

use photoguard_engine::guard::store_key::{MAX_KEY_LEN, MAX_VALUE_LEN};
use photoguard_engine::guard::{
    ClientKey, Count, SharedCount, Source, Store, Table, hit_shared, peek_shared,
};

use super::apr::pool_str;
use super::bindings::*;
use super::log;
use super::request::Request;

/// The consumer name given to `init`; memcache and redis prefix every key
/// with it (`photoguard:` and the key in hex). The socache API allows 14
/// characters.
const CONSUMER: &CStr = c"photoguard";

/// `AP_SOCACHE_PROVIDER_GROUP` and `AP_SOCACHE_PROVIDER_VERSION`.
const PROVIDER_GROUP: &CStr = c"socache";
const PROVIDER_VERSION: &CStr = c"0";

const NOT_FOUND: apr_status_t = APR_NOTFOUND as apr_status_t;
const SUCCESS: apr_status_t = APR_SUCCESS as apr_status_t;

/// Hints for `init` (memcache and redis ignore them).
static HINTS: ap_socache_hints = ap_socache_hints {
    avg_id_len: MAX_KEY_LEN as apr_size_t,
    avg_obj_size: MAX_VALUE_LEN as apr_size_t,
    expiry_interval: 60 * 1_000_000,
};

/// The provider instance the children use, in the configuration pool.
struct Instance {
    provider: *const ap_socache_provider_t,
    instance: *mut ap_socache_instance_t,
    /// The main server, for `destroy` and our own log lines.
    server: *mut server_rec,
    /// A copy of the main server that logs nothing below `emerg`, for
    /// `store` and `retrieve` (see the module comment).
    quiet: *mut server_rec,
    /// `PROVIDER:ARGS` as configured, NUL-terminated, for log lines.
    spec: *const c_char,
}

/// Set by the parent in post_config, before any child is forked; NULL when
/// the store is not socache. Like `limits::COUNT_WORDS`, it goes with the
/// module when Apache unloads it on a restart.
static INSTANCE: AtomicPtr<Instance> = AtomicPtr::new(ptr::null_mut());

/// Forgets the instance (post_config starts with this: a restart may have
/// changed the store to `shm`).
pub fn reset() {
    INSTANCE.store(ptr::null_mut(), Ordering::Release);
}

/// post_config: looks `provider` up, creates and initialises an instance
/// with `args`, and keeps it for the children. Returns `PROVIDER:ARGS` for
/// the startup notice; an error stops Apache from starting.
///
/// # Safety
/// `pconf` is Apache's live configuration pool and `s` its main server;
/// called in the parent, before children are forked.
pub unsafe fn post_config(
    pconf: *mut apr_pool_t,
    s: *mut server_rec,
    provider_name: &str,
    args: Option<&str>,
) -> Result<String, String> {
    reset();
    let spec = match args {
        Some(args) => format!("{provider_name}:{args}"),
        None => provider_name.to_string(),
    };
    // SAFETY: live pool; the copy is NUL-terminated.
    let c_name = unsafe { pool_str(pconf, provider_name.as_bytes()) };
    // SAFETY: NUL-terminated strings; Apache's provider registry is
    // complete by post_config (providers register in register_hooks).
    let provider =
        unsafe { ap_lookup_provider(PROVIDER_GROUP.as_ptr(), c_name, PROVIDER_VERSION.as_ptr()) }
            .cast::<ap_socache_provider_t>()
            .cast_const();
    // SAFETY: a provider registered in the "socache" group, version "0", is
    // an ap_socache_provider_t that lives as long as its module.
    let Some(p) = (unsafe { provider.as_ref() }) else {
        return Err(format!(
            "PhotoGuardLimitStore socache {spec}: no socache provider '{provider_name}' is loaded; \
             add LoadModule socache_{provider_name}_module modules/mod_socache_{provider_name}.so"
        ));
    };
    if p.flags & AP_SOCACHE_FLAG_NOTMPSAFE != 0 {
        return Err(format!(
            "PhotoGuardLimitStore socache {spec}: the {provider_name} provider needs a global lock around every call \
             (AP_SOCACHE_FLAG_NOTMPSAFE); for one server's counts use shm, which needs none, and for a farm memcache or redis"
        ));
    }
    let (Some(create), Some(init), Some(_), Some(_)) = (p.create, p.init, p.store, p.retrieve)
    else {
        return Err(format!(
            "PhotoGuardLimitStore socache {spec}: the {provider_name} provider lacks create, init, store or retrieve"
        ));
    };
    let c_args = match args {
        // SAFETY: live pool.
        Some(args) => unsafe { pool_str(pconf, args.as_bytes()) },
        None => ptr::null(),
    };
    let mut instance: *mut ap_socache_instance_t = ptr::null_mut();
    // SAFETY: the provider's create with a NUL-terminated (or NULL)
    // argument; both pools are live, and pconf outlives the instance's use
    // (the children's copy of it lives until they exit).
    let error = unsafe { create(&mut instance, c_args, pconf, pconf) };
    if !error.is_null() {
        // SAFETY: create returns NULL or a NUL-terminated message.
        let why = unsafe { CStr::from_ptr(error) }.to_string_lossy();
        return Err(format!("PhotoGuardLimitStore socache {spec}: {why}"));
    }
    if instance.is_null() {
        return Err(format!(
            "PhotoGuardLimitStore socache {spec}: the provider made no instance"
        ));
    }
    // SAFETY: the instance create made; static hints; live main server and
    // pool.
    let status = unsafe { init(instance, CONSUMER.as_ptr(), &HINTS, s, pconf) };
    if status != SUCCESS {
        return Err(format!(
            "PhotoGuardLimitStore socache {spec}: the provider failed to start: {}",
            apr_error(status)
        ));
    }
    // SAFETY: live pool; apr_palloc returns memory aligned for any type
    // (8 bytes) that lives as long as the pool, and `s` is a live server_rec
    // whose bytes are copied as they are (a plain C struct).
    let quiet = unsafe {
        let quiet = apr_palloc(pconf, size_of::<server_rec>() as apr_size_t).cast::<server_rec>();
        ptr::copy_nonoverlapping(s, quiet, 1);
        (*quiet).log.module_levels = ptr::null_mut();
        (*quiet).log.level = APLOG_EMERG as i32;
        quiet
    };
    let kept = Instance {
        provider,
        instance,
        server: s,
        quiet,
        // SAFETY: live pool.
        spec: unsafe { pool_str(pconf, spec.as_bytes()) },
    };
    // SAFETY: as for `quiet`; Instance is plain pointers (no Drop).
    let kept = unsafe {
        let slot = apr_palloc(pconf, size_of::<Instance>() as apr_size_t).cast::<Instance>();
        slot.write(kept);
        slot
    };
    // SAFETY: live pool; `kept` lives as long as it, and the cleanup runs
    // once, when the pool is cleared (restart) or destroyed (stop), in the
    // parent only (children never clear pconf; apr_pool_cleanup_null for
    // exec'd children).
    unsafe {
        apr_pool_cleanup_register(
            pconf,
            kept.cast::<c_void>(),
            Some(destroy),
            Some(apr_pool_cleanup_null),
        )
    };
    INSTANCE.store(kept, Ordering::Release);
    Ok(spec)
}

/// The pool cleanup of an instance: forgets it and lets the provider free
/// what it holds.
unsafe extern "C" fn destroy(data: *mut c_void) -> apr_status_t {
    let kept = data.cast::<Instance>();
    let _ = INSTANCE.compare_exchange(kept, ptr::null_mut(), Ordering::AcqRel, Ordering::Acquire);
    // SAFETY: `data` is the Instance registered with this cleanup, still in
    // the pool being cleaned; its provider and main server are live until
    // the pool's cleanups have run.
    unsafe {
        let kept = &*kept;
        if let Some(destroy) = (*kept.provider).destroy {
            destroy(kept.instance, kept.server);
        }
    }
    SUCCESS
}

fn instance() -> Option<&'static Instance> {
    // SAFETY: NULL or the Instance post_config wrote into the configuration
    // pool, which outlives every request of this process (children never
    // clear it; the parent nulls the pointer in the pool's cleanup).
    unsafe { INSTANCE.load(Ordering::Acquire).as_ref() }
}

/// Counts for request `r` in the socache store, falling back to `table`;
/// `None` when the store is not socache.
pub fn counter<'r>(table: Table<'static>, r: &Request<'r>) -> Option<SocacheCounter<'r>> {
    Some(SocacheCounter {
        instance: instance()?,
        table,
        request: r.as_ptr(),
        _request: PhantomData,
    })
}

/// The socache counter of one request. Holds the request only as a pointer
/// for its pool ('r: no longer than the request lives).
pub struct SocacheCounter<'r> {
    instance: &'static Instance,
    table: Table<'static>,
    request: *const request_rec,
    _request: PhantomData<&'r request_rec>,
}

impl SocacheCounter<'_> {
    pub fn hit(&self, key: &ClientKey, limit_id: u32, window_secs: u64, now_secs: u64) -> Count {
        self.with_store(false, |store, table| {
            hit_shared(store, table, key, limit_id, window_secs, now_secs)
        })
    }

    pub fn peek(&self, key: &ClientKey, limit_id: u32, window_secs: u64, now_secs: u64) -> Count {
        self.with_store(true, |store, table| {
            peek_shared(store, table, key, limit_id, window_secs, now_secs)
        })
    }

    fn with_store(
        &self,
        peek: bool,
        count: impl FnOnce(&mut RequestStore, &Table<'static>) -> SharedCount,
    ) -> Count {
        // SAFETY: `request` is the live request of this hook call ('r).
        let request_pool = unsafe { (*self.request).pool };
        let mut pool: *mut apr_pool_t = ptr::null_mut();
        // SAFETY: a subpool of the live request pool, destroyed below.
        let created = unsafe { apr_pool_create_ex(&mut pool, request_pool, None, ptr::null_mut()) };
        let subpool = (created == SUCCESS && !pool.is_null()).then_some(pool);
        let mut store = RequestStore {
            instance: self.instance,
            pool: subpool.unwrap_or(request_pool),
            // memcache and redis answer "not found" when every server is
            // marked down: while the store is failing a missing value proves
            // nothing. A hit still finds out (its store fails or succeeds).
            missing_is_failure: peek && self.table.fallback().is_falling_back(),
        };
        let counted = count(&mut store, &self.table);
        if let Some(pool) = subpool {
            // SAFETY: the subpool made above; nothing allocated in it is
            // used after this (values were copied out).
            unsafe { apr_pool_destroy(pool) };
        }
        if let Some(line) = &counted.log {
            let level = match counted.source {
                Source::Local => log::ERR,
                Source::Store => log::WARNING,
            };
            // SAFETY: the main server, live as long as the configuration
            // pool the instance lives in.
            unsafe { log::for_server(self.instance.server, level, &self.tagged(line)) };
        }
        counted.count
    }

    /// The engine's line with the store named.
    fn tagged(&self, line: &str) -> String {
        // SAFETY: NUL-terminated, in the configuration pool.
        let spec = unsafe { CStr::from_ptr(self.instance.spec) }.to_string_lossy();
        line.replacen(
            "the limit store",
            &format!("the limit store (socache {spec})"),
            1,
        )
    }
}

/// The provider's `store` and `retrieve` for one count of one request.
struct RequestStore {
    instance: &'static Instance,
    pool: *mut apr_pool_t,
    missing_is_failure: bool,
}

impl RequestStore {
    fn provider(&self) -> &ap_socache_provider_t {
        // SAFETY: a registered provider lives as long as its module, which
        // Apache keeps loaded as long as the configuration.
        unsafe { &*self.instance.provider }
    }
}

impl Store for RequestStore {
    fn retrieve(&mut self, key: &[u8], value: &mut [u8]) -> Result<Option<usize>, String> {
        let retrieve = self.provider().retrieve.ok_or("no retrieve")?;
        let key_len = c_uint::try_from(key.len()).map_err(|_| "key too long")?;
        let mut len = c_uint::try_from(value.len()).unwrap_or(c_uint::MAX);
        // SAFETY: the live instance; `key` and `value` are valid for the
        // lengths given, and the provider writes at most `len` bytes into
        // `value`; the pool is live until after this call.
        let status = unsafe {
            retrieve(
                self.instance.instance,
                self.instance.quiet,
                key.as_ptr(),
                key_len,
                value.as_mut_ptr(),
                &mut len,
                self.pool,
            )
        };
        match status {
            SUCCESS => Ok(Some((len as usize).min(value.len()))),
            NOT_FOUND if !self.missing_is_failure => Ok(None),
            NOT_FOUND => Err(
                "no answer yet (not found, which is also what a store with every server down says)"
                    .into(),
            ),
            status => Err(format!("retrieve: {}", apr_error(status))),
        }
    }

    fn store(&mut self, key: &[u8], value: &[u8], expires_at: u64) -> Result<(), String> {
        let store = self.provider().store.ok_or("no store")?;
        let key_len = c_uint::try_from(key.len()).map_err(|_| "key too long")?;
        // The provider takes a mutable pointer (it does not write): a copy.
        let mut data = [0u8; MAX_VALUE_LEN];
        let data = data.get_mut(..value.len()).ok_or("value too long")?;
        data.copy_from_slice(value);
        let expiry: apr_time_t = i64::try_from(expires_at)
            .ok()
            .and_then(|secs| secs.checked_mul(1_000_000))
            .unwrap_or(i64::MAX);
        // SAFETY: the live instance; `key` and `data` are valid for the
        // lengths given; the pool is live until after this call.
        let status = unsafe {
            store(
                self.instance.instance,
                self.instance.quiet,
                key.as_ptr(),
                key_len,
                expiry,
                data.as_mut_ptr(),
                data.len() as c_uint,
                self.pool,
            )
        };
        match status {
            SUCCESS => Ok(()),
            NOT_FOUND => Err("store: no server is up".into()),
            status => Err(format!("store: {}", apr_error(status))),
        }
    }
}

/// APR's text for `status`, with the number.
fn apr_error(status: apr_status_t) -> String {
    if status == APR_EGENERAL as apr_status_t {
        // What apr_memcache and apr_redis return when the server closed the
        // connection or answered nothing they could read.
        return format!(
            "no usable answer, e.g. the server closed the connection (APR error {status})"
        );
    }
    let mut buf = [MaybeUninit::<c_char>::uninit(); 160];
    // SAFETY: apr_strerror writes a NUL-terminated message of at most
    // `len` bytes into `buf` and returns a pointer to it.
    let text = unsafe {
        CStr::from_ptr(apr_strerror(
            status,
            buf.as_mut_ptr().cast::<c_char>(),
            buf.len() as apr_size_t,
        ))
    };
    format!("{} (APR error {status})", text.to_string_lossy())
}
