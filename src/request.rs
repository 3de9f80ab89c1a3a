//! A request as the access check needs it: a safe wrapper over Apache's
//! `request_rec`, so that the code deciding about a request holds no raw
//! pointer and has no `unsafe` of its own.
//!
//! Every method reads or writes the live request Apache handed to a hook.
//! `'r` is the life of the request's pool: what a method returns borrows
//! from the request for that long, and what lives that long may be put into
//! the request's tables without a copy.

use std::ffi::{CStr, c_char};
use std::marker::PhantomData;
use std::net::IpAddr;
use std::ptr::NonNull;

use photoguard_engine::Peer;

use super::apr::{pool_str, table_get, table_setn};
use super::bindings::*;
use super::log;

/// The live request of one hook call.
pub struct Request<'r> {
    raw: NonNull<request_rec>,
    _request: PhantomData<&'r mut request_rec>,
}

impl<'r> Request<'r> {
    /// Wraps the request Apache passed to a hook; `None` for NULL.
    ///
    /// # Safety
    /// `r` is NULL or the live request of the current hook call, not used
    /// through another path while the wrapper lives; `'r` does not outlive
    /// the request's pool.
    pub unsafe fn from_raw(r: *mut request_rec) -> Option<Request<'r>> {
        NonNull::new(r).map(|raw| Request {
            raw,
            _request: PhantomData,
        })
    }

    fn rec(&self) -> &request_rec {
        // SAFETY: `raw` is the live request (from_raw's contract).
        unsafe { self.raw.as_ref() }
    }

    fn rec_mut(&mut self) -> &mut request_rec {
        // SAFETY: as above; the wrapper is the only path to it meanwhile.
        unsafe { self.raw.as_mut() }
    }

    pub(crate) fn as_ptr(&self) -> *const request_rec {
        self.raw.as_ptr()
    }

    /// This module's per-directory configuration for the request, as Apache
    /// merged it for the request's scope.
    pub fn dir_config<T>(&self, module: *const module) -> Option<&'r T> {
        // SAFETY: live request; `module` is our module struct, loaded; the
        // entry at our index is NULL or a `T` we made in create/merge, which
        // lives in a pool that outlives the request.
        unsafe { pg_dir_config(self.as_ptr(), module).cast::<T>().as_ref() }
    }

    /// The client's address as Apache holds it in binary (2.4:
    /// `useragent_addr`, mod_remoteip's result when it is loaded; 2.2: the
    /// connection's peer), or `None`.
    pub fn client_address(&self) -> Option<IpAddr> {
        let mut octets = [0u8; 16];
        // SAFETY: live request; the shim writes at most 16 bytes.
        let len = unsafe { pg_client_address(self.as_ptr(), octets.as_mut_ptr()) };
        let len = usize::try_from(len).ok()?;
        Peer::Octets(octets.get(..len)?).address()
    }

    /// A request header's value (repeated lines joined by `, `).
    pub fn header(&self, name: &CStr) -> Option<&'r [u8]> {
        // SAFETY: headers_in is the live request's table; its values live
        // in the request pool.
        unsafe { table_get(self.rec().headers_in, name) }
    }

    /// The decoded path of the request, for log lines.
    pub fn uri(&self) -> &'r [u8] {
        let uri = self.rec().uri;
        if uri.is_null() {
            return b"";
        }
        // SAFETY: uri is NUL-terminated and lives in the request pool.
        unsafe { CStr::from_ptr(uri) }.to_bytes()
    }

    /// Whether this is a subrequest (SSI include, mod_dir, mod_autoindex,
    /// mod_negotiation), not what the client asked for itself.
    pub fn is_subrequest(&self) -> bool {
        !self.rec().main.is_null()
    }

    /// Sets an environment variable to a static value (not copied).
    pub fn set_env(&mut self, key: &'static CStr, value: &'static CStr) {
        // SAFETY: live table; the value is static.
        unsafe { table_setn(self.rec().subprocess_env, key, value.as_ptr()) }
    }

    /// Sets an environment variable to a value that lives as long as the
    /// request (e.g. a reason text of its configuration), without a copy.
    pub fn set_env_borrowed(&mut self, key: &'static CStr, value: &'r CStr) {
        // SAFETY: live table; the value outlives the request's pool ('r).
        unsafe { table_setn(self.rec().subprocess_env, key, value.as_ptr()) }
    }

    /// Sets an environment variable to a copy of `value` in the request pool.
    pub fn set_env_copy(&mut self, key: &'static CStr, value: &[u8]) {
        let value = self.pool_copy(value);
        // SAFETY: live table; the copy lives as long as the request pool.
        unsafe { table_setn(self.rec().subprocess_env, key, value) }
    }

    /// Sets a header of the error response Apache will send (kept when the
    /// response is an error, unlike `headers_out`), to a copy of `value`.
    pub fn set_err_header(&mut self, key: &'static CStr, value: &[u8]) {
        let value = self.pool_copy(value);
        // SAFETY: live table; the copy lives as long as the request pool.
        unsafe { table_setn(self.rec().err_headers_out, key, value) }
    }

    /// When the request arrived, in milliseconds since the epoch.
    pub fn time_millis(&self) -> u64 {
        u64::try_from(self.rec().request_time / 1_000).unwrap_or(0)
    }

    /// The response status so far (final in log_transaction).
    pub fn status(&self) -> i32 {
        self.rec().status
    }

    /// The handler Apache chose for the request (`SetHandler`).
    pub fn handler(&self) -> Option<&'r [u8]> {
        let handler = self.rec().handler;
        // SAFETY: NULL or a NUL-terminated string that lives as long as the
        // request (configuration or request pool).
        (!handler.is_null()).then(|| unsafe { CStr::from_ptr(handler) }.to_bytes())
    }

    /// The value of `name` in the query string (`?format=json`), undecoded.
    pub fn query_param(&self, name: &[u8]) -> Option<&'r [u8]> {
        let args = self.rec().args;
        if args.is_null() {
            return None;
        }
        // SAFETY: NUL-terminated, in the request pool.
        let args = unsafe { CStr::from_ptr(args) }.to_bytes();
        args.split(|&b| b == b'&').find_map(|pair| {
            let (key, value) =
                pair.split_at(pair.iter().position(|&b| b == b'=').unwrap_or(pair.len()));
            (key == name).then(|| value.get(1..).unwrap_or_default())
        })
    }

    /// Sets the response's content type (a static string).
    pub fn set_content_type(&mut self, content_type: &'static CStr) {
        // SAFETY: live request; the type is static, as Apache requires.
        unsafe { ap_set_content_type(self.raw.as_ptr(), content_type.as_ptr()) }
    }

    /// Writes the response body (in chunks Apache takes as `int`).
    pub fn write(&mut self, body: &[u8]) {
        for chunk in body.chunks(1 << 20) {
            // SAFETY: live request; `chunk` is readable for its length.
            unsafe { ap_rwrite(chunk.as_ptr().cast(), chunk.len() as i32, self.raw.as_ptr()) };
        }
    }

    /// Sets a response header to a copy of `value`.
    pub fn set_header_out(&mut self, key: &'static CStr, value: &[u8]) {
        let value = self.pool_copy(value);
        // SAFETY: as above.
        unsafe { table_setn(self.rec().headers_out, key, value) }
    }

    /// Sets a response header to a static value unless it is set already
    /// (an admin's own `Header set` runs later and wins anyway).
    pub fn default_header_out(&mut self, key: &'static CStr, value: &'static CStr) {
        let headers = self.rec().headers_out;
        // SAFETY: live table; the value is static.
        unsafe {
            if table_get(headers, key).is_none() {
                table_setn(headers, key, value.as_ptr());
            }
        }
    }

    /// Marks the request as denied by photoguard, for its later hooks
    /// (fixups, log_transaction). An internal redirect (ErrorDocument) is a
    /// new request, without the mark.
    pub fn mark_denied(&mut self) {
        // SAFETY: live request.
        unsafe { pg_mark_denied(self.raw.as_ptr()) }
    }

    /// Whether [`Request::mark_denied`] was called for this request.
    pub fn was_denied(&self) -> bool {
        // SAFETY: live request.
        unsafe { pg_was_denied(self.as_ptr()) != 0 }
    }

    /// Keeps mod_cache from storing the response. On 2.4 through the
    /// `no-cache` environment variable mod_cache honours, not `r->no_cache`:
    /// for that flag Apache's header filter also adds `Expires: <now>`, which
    /// would make every allowed photo stale in the browser at once (and costs
    /// a date formatting per request). Apache 2.2 before 2.2.12 (IHS 8's
    /// 2.2.8) knows only the flag, so there both are set.
    pub fn forbid_caching(&mut self) {
        self.set_env(c"no-cache", c"1");
        if cfg!(apache22) {
            self.rec_mut().no_cache = 1;
        }
    }

    /// Whether a message at `level` would be written.
    pub fn log_enabled(&self, level: i32) -> bool {
        // SAFETY: live request.
        unsafe { log::enabled(self.as_ptr(), level) }
    }

    /// Logs `message` for this request.
    #[track_caller]
    pub fn log(&self, level: i32, message: &str) {
        // SAFETY: live request.
        unsafe { log::request(self.as_ptr(), level, message) }
    }

    fn pool_copy(&self, bytes: &[u8]) -> *const c_char {
        // SAFETY: the request pool is live as long as the request.
        unsafe { pool_str(self.rec().pool, bytes) }
    }
}
