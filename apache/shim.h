/* The little C that bindgen cannot express, so that the Rust side needs no
 * pointer casts of its own:
 * - Apache's logging calls are variadic macros whose arguments differ between
 *   2.2 and 2.4 (2.4 adds the module index through APLOG_MARK). The Rust side
 *   formats its own message and hands it over as one string, with the Rust
 *   source file and line that logged it (shown by Apache at debug level).
 * - ap_get_module_config is a macro over the config vector.
 * - The client's binary address sits in a different place on 2.2 and 2.4. */
#ifndef PHOTOGUARD_SHIM_H
#define PHOTOGUARD_SHIM_H

#include <httpd.h>
#include <http_config.h>

/* Logs `msg` (printed as "%s", never as a format) for request `r`. */
void pg_log_rerror(const char *file, int line, const request_rec *r, int level, apr_status_t status, const char *msg);

/* Logs `msg` for server `s` (NULL: the main server) outside a request. */
void pg_log_error(const char *file, int line, const server_rec *s, int level, apr_status_t status, const char *msg);

/* Whether a message at `level` for `r` would be written, so that the caller
 * formats nothing when it would not (2.4: honours `LogLevel photoguard:debug`). */
int pg_log_enabled(const request_rec *r, int level);

/* This module's entry in a per-directory config vector (ap_get_module_config);
 * NULL when there is none. */
void *pg_dir_config(const request_rec *r, const module *m);

/* Marks the request as denied by photoguard, and asks whether it is: a
 * flag in this module's slot of r->request_config (an array index, cheaper
 * than a notes table look-up on every request's fixups). */
void pg_mark_denied(request_rec *r);
int pg_was_denied(const request_rec *r);

/* This module's entry in a server's own per-directory defaults (its main
 * config and <VirtualHost> body, outside any section); NULL when none. */
void *pg_server_dir_config(const server_rec *s, const module *m);

/* Copies the client's address into `out` in network byte order and returns
 * its length (4 for IPv4, 16 for IPv6), or 0 when Apache has none. 2.4:
 * r->useragent_addr (so it composes with mod_remoteip); 2.2: the
 * connection's remote_addr. */
int pg_client_address(const request_rec *r, unsigned char out[16]);

/* On 2.4, adds a short section to mod_status's page (if mod_status is
 * loaded): `summary` returns the text, in r's pool, or NULL for none. */
void pg_register_status_hook(const char *(*summary)(request_rec *r));

#endif
