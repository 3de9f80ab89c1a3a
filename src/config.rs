//! Per-directory configuration: the handler every `PhotoGuard*` directive
//! goes through, as safe code over a typed view of Apache's `cmd_parms`.
//!
//! Each scope Apache creates gets a [`DirConfig`] owning its `ScopeConfig`,
//! owned in turn by the APR pool Apache hands to create (pconf for the
//! configuration, the request pool for `.htaccess`): a pool cleanup drops it
//! (see `apr::pool_owned`). Merged configs own nothing and need no cleanup.
//! A NULL config means something went wrong building it; the access check
//! then denies (fails closed).

use std::ffi::{CStr, c_char};
use std::marker::PhantomData;
use std::path::Path;
use std::ptr::NonNull;

use photoguard_engine::guard::StoreSpec;
use photoguard_engine::{
    DirectiveContext, DirectiveInfo, DirectiveKind, Origin, ScopeConfig, ScopeView,
};

use super::apr::pool_owned;
use super::bindings::*;
use super::log;

/// The directive being read: Apache's `cmd_parms`, typed.
pub struct Cmd<'a> {
    raw: NonNull<cmd_parms>,
    _cmd: PhantomData<&'a cmd_parms>,
}

impl<'a> Cmd<'a> {
    /// # Safety
    /// `cmd` is NULL or the live `cmd_parms` of the directive handler call.
    pub unsafe fn from_raw(cmd: *mut cmd_parms) -> Option<Cmd<'a>> {
        NonNull::new(cmd).map(|raw| Cmd {
            raw,
            _cmd: PhantomData,
        })
    }

    fn parms(&self) -> &'a cmd_parms {
        // SAFETY: live for the handler call (from_raw's contract).
        unsafe { self.raw.as_ref() }
    }

    /// The configuration pool that owns the scope being configured.
    pub fn pool(&self) -> *mut apr_pool_t {
        self.parms().pool
    }

    /// The directive's name as Apache matched it (one of our static names).
    pub fn name(&self) -> Option<&'a str> {
        let entry = self.parms().cmd;
        if entry.is_null() {
            return None;
        }
        // SAFETY: cmd->cmd is the live command_rec entry being run; its name
        // is one of our static NUL-terminated directive names.
        unsafe { c_str((*entry).name) }
    }

    /// The section the directive sits in, as written, with its place:
    /// `<Directory /srv/photos> (photos.conf:10)`; the server or virtual
    /// host's own config when it is in none.
    pub fn section(&self) -> String {
        let parms = self.parms();
        // SAFETY: directive and its parent are NULL or live nodes of the
        // config tree; their strings are NUL-terminated.
        unsafe {
            let Some(parent) = parms.directive.as_ref().and_then(|d| d.parent.as_ref()) else {
                return format!("server config ({})", self.origin().short_file());
            };
            let name = c_str(parent.directive).unwrap_or("<?");
            let args = c_str(parent.args)
                .unwrap_or("")
                .trim_end_matches('>')
                .trim_matches('"');
            let file = c_str(parent.filename).map(short_file).unwrap_or("?");
            format!("{name} {args}> ({file}:{})", parent.line_num)
        }
    }

    /// Where the directive was written: its file and line, as Apache tracks
    /// them in the config tree (`.htaccess` included), else the file being
    /// read.
    pub fn origin(&self) -> Origin {
        let parms = self.parms();
        // SAFETY: directive and config_file are NULL or live for the handler
        // call; their names are NUL-terminated.
        unsafe {
            if let Some(directive) = parms.directive.as_ref() {
                if let Some(file) = c_str(directive.filename) {
                    return Origin::new(file, directive.line_num.max(0) as u32);
                }
            }
            if let Some(config_file) = parms.config_file.as_ref() {
                if let Some(file) = c_str(config_file.name) {
                    return Origin::new(file, config_file.line_number);
                }
            }
        }
        Origin::new("(unknown file)", 0)
    }
}

/// Applies one directive with its raw argument text to `scope`; on success,
/// which kind of directive it was.
fn apply(cmd: &Cmd, scope: &mut ScopeConfig, args: Option<&CStr>) -> Result<DirectiveKind, String> {
    let name = cmd.name().ok_or("directive name is not UTF-8")?;
    let args = match args {
        None => "",
        Some(args) => args
            .to_str()
            .map_err(|_| format!("{name}: the arguments are not UTF-8 text"))?,
    };
    let ctx = DirectiveContext {
        origin: cmd.origin(),
        server_root: server_root(),
    };
    scope.apply(name, args, &ctx).map_err(|e| e.to_string())?;
    DirectiveInfo::lookup(name)
        .map(|d| d.kind)
        .ok_or_else(|| format!("{name}: not a photoguard directive"))
}

/// Apache's ServerRoot, which relative file names are resolved against.
fn server_root() -> Option<&'static Path> {
    // SAFETY: ap_server_root is set by Apache before it reads any config and
    // stays valid while the configuration is read.
    unsafe { c_str(ap_server_root) }.map(Path::new)
}

/// A C string as text; `None` for NULL or non-UTF-8.
///
/// # Safety
/// `p` is NULL or NUL-terminated and outlives `'a`.
unsafe fn c_str<'a>(p: *const c_char) -> Option<&'a str> {
    if p.is_null() {
        return None;
    }
    // SAFETY: see the contract.
    unsafe { CStr::from_ptr(p) }.to_str().ok()
}

/// What Apache keeps for each directory scope: the view requests are decided
/// with, and, for a scope Apache created (not merged), the `ScopeConfig` its
/// directives built.
///
/// A merged config owns nothing: its view borrows the created configs it was
/// merged from. So a per-request merge is a few words copied into the
/// request pool, with no Rust heap and no pool cleanup.
///
/// The `'static` in the view is the pool's lifetime, which Rust cannot
/// name. It holds because (1) a created config lives in the pool Apache
/// made it in (pconf, or the request pool for `.htaccess`), which outlives
/// every merge made from it (merges are made in that pool or a shorter-lived
/// one); and (2) Apache reads every directive of a section before it merges
/// that section's config with any other, so a view never outlives the data
/// it copied from a scope that is still being configured.
pub struct DirConfig {
    view: ScopeView<'static>,
    own: Option<Box<ScopeConfig>>,
}

impl DirConfig {
    /// The settings requests in this scope are decided with.
    pub fn view(&self) -> &ScopeView<'_> {
        &self.view
    }

    /// `PhotoGuardLimitStore` as this scope sets it (read from the main
    /// server's own scope: the setting is server-wide).
    pub fn limit_store(&self) -> Option<&StoreSpec> {
        self.own.as_deref().and_then(ScopeConfig::limit_store)
    }

    /// A new, empty scope (it inherits everything), owned by `pool` and
    /// dropped by a cleanup of that pool.
    ///
    /// # Safety
    /// `pool` is a live APR pool.
    pub unsafe fn create(pool: *mut apr_pool_t) -> *mut DirConfig {
        let own = Box::new(ScopeConfig::new());
        let config = DirConfig {
            view: ScopeView::default(),
            own: Some(own),
        };
        // SAFETY: live pool (caller).
        unsafe { pool_owned(pool, config) }
    }

    /// The scope `child` sees inside `parent`, in `pool`, with nothing to
    /// free: `None` from APR means out of memory.
    ///
    /// # Safety
    /// `pool` is a live APR pool that does not outlive the pools owning
    /// `parent` and `child` (Apache merges into the pool of the shorter-lived
    /// scope).
    pub unsafe fn merge(
        pool: *mut apr_pool_t,
        parent: &DirConfig,
        child: &DirConfig,
    ) -> *mut DirConfig {
        let merged = DirConfig {
            view: ScopeView::merge(parent.view, child.view),
            own: None,
        };
        // SAFETY: live pool (caller); apr_palloc returns memory aligned for
        // any type (APR_ALIGN_DEFAULT, 8 bytes), or NULL.
        unsafe {
            let place = apr_palloc(pool, std::mem::size_of::<DirConfig>() as apr_size_t)
                .cast::<DirConfig>();
            if !place.is_null() {
                place.write(merged);
            }
            place
        }
    }

    /// Applies one directive to the scope this config owns, then refreshes
    /// the view. On success, hands back which kind of directive it was and
    /// the scope (to note for building its indexes).
    pub fn apply(
        &mut self,
        cmd: &Cmd,
        args: Option<&CStr>,
    ) -> Result<(DirectiveKind, &ScopeConfig), String> {
        let Some(own) = self.own.as_deref_mut() else {
            return Err("photoguard: a merged configuration takes no directives".into());
        };
        let kind = apply(cmd, own, args)?;
        for warning in own.take_warnings() {
            log::server(log::WARNING, &format!("photoguard: {warning}"));
        }
        // SAFETY: only the lifetime changes. `own` is boxed, so its address
        // is stable for the life of this config, which its pool bounds; see
        // the type's documentation for why no view outlives what it borrows.
        self.view = unsafe { std::mem::transmute::<ScopeView<'_>, ScopeView<'static>>(own.view()) };
        Ok((kind, &*own))
    }
}

/// The last component of a file name, as reasons show it.
fn short_file(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}
