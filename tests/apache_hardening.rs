//! Attacks on the gate through Apache itself: settings and modules that
//! could serve a gated photo after photoguard denied it (`Satisfy Any`,
//! mod_cache, subrequests from mod_autoindex and SSI, `Alias`, mod_rewrite).
//! Each test is the attack as an outsider would try it; each failed before
//! the fix it names.
//!
//! Needs Apache: see tests/support/mod.rs (PHOTOGUARD_HTTPD etc. for 2.2).

mod support;

use support::{JANE, SEED_POLICY, Server, Version, flavor};

/// An outsider: in no allowed range, no cookie.
const OUTSIDER: &str = "127.9.9.9";
/// An office client.
const OFFICE: &str = "127.0.16.5";

fn assert_refused(server: &Server, path: &str, what: &str) {
    let response = server.get(path).from(OUTSIDER).send();
    assert!(
        !response.body.contains("JPEG"),
        "{what}: the outsider got the photo ({} {:?})",
        response.status,
        response.headers
    );
    assert_ne!(response.status, 200, "{what}");
}

/// `Satisfy Any` with an `Allow from all` (mod_access_compat on 2.4): Apache
/// lets the access phase's grant stand and skips the other access hooks;
/// photoguard's denial must hold anyway.
#[test]
fn satisfy_any_does_not_undo_a_denial() {
    let f = flavor();
    let compat = match f.version {
        Version::V24 => f.load("access_compat_module", "mod_access_compat.so"),
        Version::V22 => String::new(),
    };
    // In the photo directory itself, and inherited from a parent.
    for (parent, own) in [
        ("", "Order allow,deny\n    Allow from all\n    Satisfy Any"),
        ("Order allow,deny\n    Allow from all\n    Satisfy Any", ""),
    ] {
        let server = Server::start(&format!(
            "{compat}<Directory \"{{dir}}\">\n    {parent}\n</Directory>\n<Directory \"{{docs}}\">\n    {SEED_POLICY}\n    {own}\n</Directory>\n"
        ));
        assert_refused(&server, JANE, "Satisfy Any");
        let office = server.get(JANE).from(OFFICE).send();
        assert_eq!(office.status, 200, "an allowed client still gets the photo");
        let entry = server.access_log(2).into_iter().next().unwrap();
        assert_eq!(entry.decision, "deny", "{entry:?}");
    }
}

/// With `Satisfy Any`, `Require all granted` (2.4) must not grant what
/// photoguard denied either.
#[test]
fn satisfy_any_with_require_all_granted_does_not_undo_a_denial() {
    let f = flavor();
    if f.version != Version::V24 {
        return;
    }
    let compat = f.load("access_compat_module", "mod_access_compat.so");
    let server = Server::start(&format!(
        "{compat}<Directory \"{{docs}}\">\n    {SEED_POLICY}\n    Require all granted\n    Satisfy Any\n</Directory>\n"
    ));
    assert_refused(&server, JANE, "Satisfy Any + Require all granted");
}

/// mod_cache with its quick handler: one allowed fetch must not put the
/// photo where the quick handler, which runs before any access check, can
/// hand it to an outsider.
#[test]
fn shared_caches_never_keep_a_gated_photo() {
    let f = flavor();
    let modules = match f.version {
        Version::V24 => {
            f.load("cache_module", "mod_cache.so")
                + &f.load("cache_disk_module", "mod_cache_disk.so")
        }
        Version::V22 => {
            f.load("cache_module", "mod_cache.so")
                + &f.load("disk_cache_module", "mod_disk_cache.so")
        }
    };
    let server = Server::start(&format!(
        "{modules}CacheRoot \"{{dir}}/cache\"\nCacheEnable disk /\nCacheIgnoreNoLastMod On\nCacheDefaultExpire 3600\n\
         <Directory \"{{docs}}/photos\">\n    {SEED_POLICY}\n</Directory>\n"
    ));
    server.write_file("docs/photos/jane.jpg", "JPEG jane\n");
    std::fs::create_dir_all(server.path("cache")).unwrap();
    support::make_world_writable(&server.path("cache"));
    for _ in 0..2 {
        let office = server.get("/photos/jane.jpg").from(OFFICE).send();
        assert_eq!(office.status, 200);
        assert_eq!(office.header("Cache-Control"), Some("private"));
        if f.version == Version::V24 {
            // Not r->no_cache, for which Apache would add `Expires: now` and
            // make the photo stale in the browser at once.
            assert_eq!(office.header("Expires"), None);
        }
    }
    assert_refused(&server, "/photos/jane.jpg", "mod_cache");
    // A response of an ungated page is still cacheable as before.
    let open = server.get("/index.html").from(OUTSIDER).send();
    assert_eq!(open.status, 200);
    assert_eq!(open.header("Cache-Control"), None);
}

/// The admin's own Cache-Control wins over photoguard's default.
#[test]
fn an_admins_cache_control_is_kept() {
    let f = flavor();
    let server = Server::start(&format!(
        "{}<Directory \"{{docs}}\">\n    {SEED_POLICY}\n    Header set Cache-Control \"private, max-age=60\"\n</Directory>\n",
        f.load("headers_module", "mod_headers.so")
    ));
    let office = server.get(JANE).from(OFFICE).send();
    assert_eq!(office.header("Cache-Control"), Some("private, max-age=60"));
}

/// mod_autoindex hides entries whose subrequest fails, but kept those that
/// answered with the deny action's redirect: a denied subrequest gets 403.
#[test]
fn directory_listings_hide_gated_names() {
    let f = flavor();
    // mod_mime marks a directory as one (on 2.2 the listing needs it).
    let mut modules = f.load("autoindex_module", "mod_autoindex.so");
    if !f.is_builtin("mod_mime.c") {
        modules += &f.load("mime_module", "mod_mime.so");
    }
    let server = Server::start(&format!(
        "{modules}TypesConfig /dev/null\n<Directory \"{{docs}}/photos\">\n    Options +Indexes\n    <Files \"*.jpg\">\n    {SEED_POLICY}\n    </Files>\n</Directory>\n"
    ));
    server.write_file("docs/photos/jane.doe@example.com.jpg", "JPEG jane\n");
    server.write_file("docs/photos/readme.txt", "open\n");
    let listing = server.get("/photos/").from(OUTSIDER).send();
    assert_eq!(listing.status, 200);
    assert!(listing.body.contains("readme.txt"), "{}", listing.body);
    assert!(
        !listing.body.contains("jane.doe"),
        "the listing shows a gated name: {}",
        listing.body
    );
    let office = server.get("/photos/").from(OFFICE).send();
    assert!(office.body.contains("jane.doe"), "{}", office.body);
}

/// An open page cannot pull a gated file in through an SSI include.
#[test]
fn ssi_includes_of_gated_files_include_nothing() {
    let f = flavor();
    let mut modules = f.load("include_module", "mod_include.so");
    if !f.is_builtin("mod_mime.c") {
        modules += &f.load("mime_module", "mod_mime.so");
    }
    let server = Server::start(&format!(
        "{modules}TypesConfig /dev/null\n<Directory \"{{docs}}\">\n    Options +Includes\n    AddOutputFilter INCLUDES .shtml\n</Directory>\n\
         <Directory \"{{docs}}/photos\">\n    {SEED_POLICY}\n</Directory>\n"
    ));
    server.write_file("docs/photos/jane.txt", "JPEG jane\n");
    server.write_file(
        "docs/open.shtml",
        "before <!--#include virtual=\"/photos/jane.txt\" --> after\n",
    );
    let page = server.get("/open.shtml").from(OUTSIDER).send();
    assert_eq!(page.status, 200);
    assert!(page.body.contains("before"), "{}", page.body);
    assert!(
        !page.body.contains("JPEG"),
        "SSI pulled the file in: {}",
        page.body
    );
    let office = server.get("/open.shtml").from(OFFICE).send();
    assert!(office.body.contains("JPEG jane"), "{}", office.body);
}

/// A `<Directory>` gate holds for every URL that reaches its files: an
/// Alias and a mod_rewrite rule to the file path are gated too.
#[test]
fn a_directory_gate_covers_aliases_and_rewrites() {
    let f = flavor();
    let mut modules = f.load("rewrite_module", "mod_rewrite.so");
    if !f.is_builtin("mod_alias.c") {
        modules += &f.load("alias_module", "mod_alias.so");
    }
    let server = Server::start(&format!(
        "{modules}Alias /staff \"{{docs}}/photos\"\nRewriteEngine On\nRewriteRule ^/people/(.*)$ {{docs}}/photos/$1\n\
         <Directory \"{{docs}}/photos\">\n    {SEED_POLICY}\n</Directory>\n"
    ));
    server.write_file("docs/photos/jane.jpg", "JPEG jane\n");
    for path in ["/photos/jane.jpg", "/staff/jane.jpg", "/people/jane.jpg"] {
        assert_refused(&server, path, path);
        assert_eq!(server.get(path).from(OFFICE).send().status, 200, "{path}");
    }
}
