/* The Apache and APR declarations photoguard's Rust code uses; build.rs runs
 * bindgen on this file against the headers `apxs` points at (Apache 2.4 or
 * Apache 2.2 / IBM HTTP Server 8.x). */
#include <httpd.h>
#include <http_config.h>
#include <http_core.h>
#include <http_log.h>
#include <http_main.h>
#include <http_protocol.h>
#include <http_request.h>
#include <ap_mmn.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include <apr_shm.h>
#include <apr_errno.h>

/* The shared object cache (PhotoGuardLimitStore socache): Apache 2.4 only. */
#if AP_MODULE_MAGIC_AT_LEAST(20120211, 0)
#include <ap_socache.h>
#endif

#include "shim.h"
