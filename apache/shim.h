/* The little C that bindgen cannot express: Apache's logging calls are
 * variadic macros whose arguments differ between 2.2 and 2.4 (2.4 adds the
 * module index through APLOG_MARK/APLOG_MODULE_INDEX). The Rust side formats
 * its own message and hands it over as one string, with the Rust source
 * file and line that logged it (shown by Apache at debug level). */
#ifndef PHOTOGUARD_SHIM_H
#define PHOTOGUARD_SHIM_H

#include <httpd.h>

/* Logs `msg` (printed as "%s", never as a format) for request `r`. */
void pg_log_rerror(const char *file, int line, const request_rec *r, int level, apr_status_t status, const char *msg);

/* Logs `msg` for server `s` (NULL: the main server) outside a request. */
void pg_log_error(const char *file, int line, const server_rec *s, int level, apr_status_t status, const char *msg);

/* Whether a message at `level` for `r` would be written, so that the caller
 * formats nothing when it would not (2.4: honours `LogLevel photoguard:debug`). */
int pg_log_enabled(const request_rec *r, int level);

#endif
