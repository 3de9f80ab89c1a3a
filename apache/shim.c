/* See shim.h. The only place in C where Apache 2.2 and 2.4 differ. */
#include "shim.h"

#include <string.h>

#include <http_log.h>

#ifdef APLOG_USE_MODULE
/* Apache 2.4: tag our messages with the module, so that they read
 * "[photoguard:error]" and obey "LogLevel photoguard:debug". The module
 * struct itself is defined in Rust (src/module.rs). */
APLOG_USE_MODULE(photoguard);
#define PG_MARK(file, line) file, line, APLOG_MODULE_INDEX
#define PG_HAVE_MODULE_LOGLEVEL 1
#else
/* Apache 2.2: APLOG_MARK is just __FILE__, __LINE__. */
#define PG_MARK(file, line) file, line
#endif

void pg_log_rerror(const char *file, int line, const request_rec *r, int level, apr_status_t status, const char *msg)
{
    ap_log_rerror(PG_MARK(file, line), level, status, r, "%s", msg);
}

void pg_log_error(const char *file, int line, const server_rec *s, int level, apr_status_t status, const char *msg)
{
    ap_log_error(PG_MARK(file, line), level, status, s, "%s", msg);
}

int pg_log_enabled(const request_rec *r, int level)
{
#ifdef PG_HAVE_MODULE_LOGLEVEL
    return APLOG_R_IS_LEVEL(r, level);
#else
    return r->server != NULL && r->server->loglevel >= level;
#endif
}

void *pg_dir_config(const request_rec *r, const module *m)
{
    if (r->per_dir_config == NULL || m->module_index < 0) {
        return NULL;
    }
    return ap_get_module_config(r->per_dir_config, m);
}

#if AP_MODULE_MAGIC_AT_LEAST(20120211, 0)
#include <mod_status.h>
#include <http_protocol.h>

static const char *(*pg_status_summary)(request_rec *r);

static int pg_status_hook(request_rec *r, int flags)
{
    const char *text = pg_status_summary != NULL ? pg_status_summary(r) : NULL;
    if (text == NULL) {
        return OK;
    }
    if (flags & AP_STATUS_SHORT) {
        ap_rprintf(r, "%s\n", text);
    } else {
        ap_rputs("<hr />\n<h2>photoguard</h2>\n<p>", r);
        ap_rputs(ap_escape_html(r->pool, text), r);
        ap_rputs("</p>\n", r);
    }
    return OK;
}

void pg_register_status_hook(const char *(*summary)(request_rec *r))
{
    pg_status_summary = summary;
    APR_OPTIONAL_HOOK(ap, status_hook, pg_status_hook, NULL, NULL, APR_HOOK_MIDDLE);
}
#else
void pg_register_status_hook(const char *(*summary)(request_rec *r))
{
    (void)summary; /* Apache 2.2: mod_status has no hook this module uses. */
}
#endif

/* The module struct, defined in Rust (src/module.rs). */
extern module AP_MODULE_DECLARE_DATA photoguard_module;

void pg_mark_denied(request_rec *r)
{
    if (r->request_config != NULL && photoguard_module.module_index >= 0) {
        ap_set_module_config(r->request_config, &photoguard_module, &photoguard_module);
    }
}

int pg_was_denied(const request_rec *r)
{
    return r->request_config != NULL && photoguard_module.module_index >= 0
        && ap_get_module_config(r->request_config, &photoguard_module) != NULL;
}

void *pg_server_dir_config(const server_rec *s, const module *m)
{
    if (s == NULL || s->lookup_defaults == NULL || m->module_index < 0) {
        return NULL;
    }
    return ap_get_module_config(s->lookup_defaults, m);
}

int pg_client_address(const request_rec *r, unsigned char out[16])
{
#if AP_MODULE_MAGIC_AT_LEAST(20111130, 0)
    const apr_sockaddr_t *addr = r->useragent_addr;
#else
    const apr_sockaddr_t *addr = r->connection != NULL ? r->connection->remote_addr : NULL;
#endif
    if (addr == NULL || addr->ipaddr_ptr == NULL) {
        return 0;
    }
    if (addr->ipaddr_len != 4 && addr->ipaddr_len != 16) {
        return 0;
    }
    memcpy(out, addr->ipaddr_ptr, (size_t)addr->ipaddr_len);
    return addr->ipaddr_len;
}
