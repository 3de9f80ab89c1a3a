/*
 * photoguard.h - the C ABI of photoguard's policy engine.
 *
 * photoguard decides whether a client may fetch a file, from its network
 * address (allowed CIDR networks, IPv4 and IPv6) or its cookies (LtpaToken,
 * LtpaToken2, STPluginActivePage=stMeetingroom, ...), and says why. This
 * header lets any C host embed that decision:
 *
 *     photoguard_policy *policy = photoguard_policy_new();
 *     char err[256];
 *     if (photoguard_policy_apply(policy, "PhotoGuard", "On", "photos.conf", 12,
 *                                 err, sizeof err, NULL) != PHOTOGUARD_OK)
 *         fprintf(stderr, "%s\n", err);
 *     ... more directives ...
 *     photoguard_decision d;
 *     photoguard_policy_evaluate(policy, "10.20.16.5", cookie, cookie_len,
 *                                NULL, 0, &d);
 *     if (!d.passes) answer d.http_status (redirecting to d.redirect_url);
 *     log d.reason;
 *     photoguard_policy_free(policy);
 *
 * Conventions (as in rustls-ffi):
 * - Objects are opaque pointers with a _new/_free pair; _free accepts NULL.
 * - Fallible functions return a photoguard_result (PHOTOGUARD_OK is 0) and
 *   write human-readable text into a buffer the caller owns.
 * - Every function catches internal panics; none ever unwinds into C.
 * - FAIL CLOSED: whenever photoguard_policy_evaluate cannot decide (a NULL
 *   argument, a peer address that is not an IP address, a poisoned policy,
 *   an internal panic) it still fills the decision with a deny (verdict
 *   PHOTOGUARD_VERDICT_DENY, passes 0, http_status 403, reason saying why)
 *   and returns an error code. An error never allows a request.
 * - Text passed in is NUL-terminated UTF-8. Text written into a caller's
 *   buffer is always NUL-terminated when the buffer has room for at least
 *   one byte, and truncated (never inside a UTF-8 sequence) when it does
 *   not fit.
 *
 * Thread-safety: a policy is immutable once configured. Any number of
 * threads may call photoguard_policy_evaluate, photoguard_policy_merge and
 * photoguard_policy_client_ip_header on the same policy at once.
 * photoguard_policy_apply and photoguard_policy_free need exclusive access:
 * no other call may use that policy at the same time. Configure first,
 * then share.
 */
#ifndef PHOTOGUARD_H
#define PHOTOGUARD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------- */
/* Result codes                                                            */
/* ---------------------------------------------------------------------- */

/* What a fallible photoguard function returns; 0 is success. The type is a
 * uint32_t so that the ABI does not depend on the compiler's enum size. */
typedef uint32_t photoguard_result;
enum {
  PHOTOGUARD_OK = 0,
  /* A required pointer argument was NULL. */
  PHOTOGUARD_ERROR_NULL_ARGUMENT = 1,
  /* A text argument (directive, args, file) is not valid UTF-8. */
  PHOTOGUARD_ERROR_INVALID_UTF8 = 2,
  /* The directive was refused; the error buffer holds the reason, e.g.
   * "PhotoGuardAllowNetwork: '10.20.16.7/20': host bits are set for a /20;
   * did you mean 10.20.16.0/20?". The policy is unchanged. */
  PHOTOGUARD_ERROR_CONFIG = 3,
  /* The peer address is not an IPv4 or IPv6 address (the request was
   * denied). */
  PHOTOGUARD_ERROR_BAD_ADDRESS = 4,
  /* An internal panic was caught (the request was denied). */
  PHOTOGUARD_ERROR_PANIC = 5,
  /* A length is larger than any buffer can be (the request was denied). */
  PHOTOGUARD_ERROR_INVALID_ARGUMENT = 6,
  /* The policy was left unusable by a panic during photoguard_policy_apply:
   * every later call on it fails (closed). Free it and build a new one. */
  PHOTOGUARD_ERROR_POISONED = 7
};

/* A static, NUL-terminated description of a result code; never NULL (an
 * unknown code gets "unknown photoguard_result code"). Do not free. */
const char *photoguard_result_text(photoguard_result result);

/* The library version, e.g. "0.1.0": a static string; do not free. */
const char *photoguard_version(void);

/* ---------------------------------------------------------------------- */
/* Policies                                                                */
/* ---------------------------------------------------------------------- */

/* A policy: the configuration of one scope (server, virtual host,
 * directory, location, ...). Opaque. */
typedef struct photoguard_policy photoguard_policy;

/* A new, empty policy with photoguard's defaults: the gate off (everything
 * allowed with the reason "PhotoGuard is off"), deny with 403, enforce mode,
 * client-IP header X-Forwarded-For.
 * Returns NULL only if an internal panic was caught.
 * Ownership: the caller owns the policy and frees it with
 * photoguard_policy_free. */
photoguard_policy *photoguard_policy_new(void);

/* Frees a policy from photoguard_policy_new or photoguard_policy_merge.
 * NULL is accepted and ignored. After this call, pointers obtained from the
 * policy (redirect_url in a decision, photoguard_policy_client_ip_header)
 * are invalid. Needs exclusive access. */
void photoguard_policy_free(photoguard_policy *policy);

/* Applies one directive to the policy, exactly as Apache would pass it:
 * its name (case-insensitive, e.g. "PhotoGuardAllowNetwork") and its raw
 * argument string (e.g. "10.20.16.0/20 192.0.2.10"; quotes group words).
 * Directives: PhotoGuard On|Off; PhotoGuardAllowNetwork CIDR...;
 * PhotoGuardAllowNetworkFile path (relative paths are relative to the
 * process's working directory); PhotoGuardAllowCookie NAME|NAME=VALUE...;
 * PhotoGuardTrustedProxy CIDR...; PhotoGuardClientIPHeader name;
 * PhotoGuardDenyAction 403|404|redirect URL; PhotoGuardMode enforce|report.
 * Repeated list directives add up.
 *
 * policy, directive, args: required (PHOTOGUARD_ERROR_NULL_ARGUMENT).
 * file, line: where the directive was written; they appear in decision
 *   reasons ("network 10.20.16.0/20 (photos.conf:14)"). file may be NULL,
 *   meaning "(inline)". Copied; the caller keeps ownership of all strings.
 * err_buf, err_len: a caller-owned buffer for the error text. On success it
 *   holds ""; on failure the message, truncated to err_len - 1 bytes and
 *   NUL-terminated. err_buf may be NULL or err_len 0 (no text is written).
 * err_written: if not NULL, receives the number of bytes written to err_buf
 *   before the NUL (0 on success).
 *
 * Returns PHOTOGUARD_OK, or PHOTOGUARD_ERROR_CONFIG (the policy is
 * unchanged), _NULL_ARGUMENT, _INVALID_UTF8, _POISONED, or _PANIC (the
 * policy is then poisoned: free it).
 * Thread-safety: needs exclusive access to the policy. */
photoguard_result photoguard_policy_apply(photoguard_policy *policy, const char *directive, const char *args,
                                          const char *file, unsigned int line, char *err_buf, size_t err_len,
                                          size_t *err_written);

/* The policy of a child scope inside its parent: every setting the child
 * leaves unset is inherited; a list (networks, cookies, trusted proxies) set
 * in the child replaces the parent's list of that kind. Cheap: the lists are
 * shared, not copied.
 * Returns a new policy that the caller owns and frees (independent of the
 * lifetime of parent and child), or NULL if either argument is NULL or
 * poisoned, or an internal panic was caught. Neither argument is changed;
 * safe to call while other threads evaluate them. */
photoguard_policy *photoguard_policy_merge(const photoguard_policy *parent, const photoguard_policy *child);

/* The name of the header that carries the client address from trusted
 * proxies ("X-Forwarded-For" unless PhotoGuardClientIPHeader says
 * otherwise): the header whose value a host passes as forwarded_for.
 * The string lives inside the policy: valid until the policy is freed or
 * changed by photoguard_policy_apply; do not free it.
 * Returns NULL if policy is NULL or poisoned. */
const char *photoguard_policy_client_ip_header(const photoguard_policy *policy);

/* ---------------------------------------------------------------------- */
/* Decisions                                                               */
/* ---------------------------------------------------------------------- */

/* Sizes of the text fields of photoguard_decision, NUL included. */
#define PHOTOGUARD_REASON_MAX 256
#define PHOTOGUARD_CLIENT_MAX 46 /* INET6_ADDRSTRLEN */

/* The verdict. DENY is 0, so a decision that was never written (zeroed)
 * reads as a deny. */
typedef uint32_t photoguard_verdict;
enum {
  /* Blocked: answer with the deny action. */
  PHOTOGUARD_VERDICT_DENY = 0,
  /* A rule allowed the request (or the gate is off). */
  PHOTOGUARD_VERDICT_ALLOW = 1,
  /* Report mode: no rule allowed it and enforce mode would deny it, but the
   * request passes. Log it; do not block it. */
  PHOTOGUARD_VERDICT_WOULD_DENY = 2
};

/* What a denied client gets (PhotoGuardDenyAction). */
typedef uint32_t photoguard_deny_action;
enum {
  PHOTOGUARD_DENY_FORBIDDEN = 0, /* 403 */
  PHOTOGUARD_DENY_NOT_FOUND = 1, /* 404 */
  PHOTOGUARD_DENY_REDIRECT = 2   /* 302 to redirect_url */
};

/* One decision. The caller owns the struct (usually on its stack); it may
 * be uninitialised before the call. photoguard_policy_evaluate writes every
 * field whenever `out` is not NULL. */
typedef struct photoguard_decision {
  photoguard_verdict verdict;
  /* 1 when the request may proceed (ALLOW, or WOULD_DENY in report mode);
   * 0 when it must be answered with the deny action. The one field a host
   * has to act on. */
  int passes;
  /* 1 only for PHOTOGUARD_VERDICT_ALLOW: a rule allowed the request (or
   * the gate is off). 0 for DENY and WOULD_DENY. */
  int allowed;
  /* The policy's deny action, and the HTTP status that goes with it (403,
   * 404 or 302). Filled for every verdict: for DENY it is what to answer,
   * for WOULD_DENY what enforce mode would have answered, for ALLOW it just
   * describes the policy. A fail-closed deny uses FORBIDDEN and 403. */
  photoguard_deny_action deny_action;
  int http_status;
  /* 1 when the policy is in report mode (PhotoGuardMode report). */
  int report_mode;
  /* The redirect target (NUL-terminated) when deny_action is
   * PHOTOGUARD_DENY_REDIRECT, else NULL. Points into the policy: valid until
   * the policy is freed or changed by photoguard_policy_apply; do not free
   * it. */
  const char *redirect_url;
  /* The address the rules were checked against (after a trusted proxy's
   * forwarded-for header was followed; an IPv4-mapped IPv6 peer appears as
   * IPv4), NUL-terminated. "" when the peer address could not be used. */
  char client[PHOTOGUARD_CLIENT_MAX];
  /* Why, NUL-terminated and truncated to fit: the rule that allowed and
   * where it was written ("network 10.20.16.0/20 (photos.conf:14)",
   * "cookie LtpaToken2 (photos.conf:17)"), "no rule matched",
   * "PhotoGuard is off", or what went wrong for a fail-closed deny. */
  char reason[PHOTOGUARD_REASON_MAX];
} photoguard_decision;

/* Decides one request.
 *
 * policy: required.
 * peer_ip: required; the client's address as Apache sees it, as text
 *   ("10.20.16.5", "2001:db8::1", "::ffff:10.20.16.5"). Surrounding spaces
 *   and tabs are ignored; anything else that is not an address fails closed
 *   with PHOTOGUARD_ERROR_BAD_ADDRESS.
 * cookie, cookie_len: the Cookie header's bytes (not NUL-terminated; any
 *   bytes). NULL means the request has no Cookie header (cookie_len is then
 *   ignored).
 * forwarded_for, forwarded_for_len: the value of the header named by
 *   photoguard_policy_client_ip_header; believed only when the peer is a
 *   trusted proxy. NULL means absent.
 * out: required; receives the decision.
 * Nothing is retained after the call; the caller keeps ownership of all
 * arguments.
 *
 * Returns PHOTOGUARD_OK for every decision, allow or deny. Any other code
 * (_NULL_ARGUMENT, _BAD_ADDRESS, _INVALID_ARGUMENT, _POISONED, _PANIC) comes
 * with a fail-closed deny in *out (if out is not NULL): verdict DENY,
 * passes 0, allowed 0, deny_action FORBIDDEN, http_status 403, report_mode
 * 0, redirect_url NULL, client "", reason saying what went wrong.
 * Thread-safety: any number of threads may evaluate one policy at once.
 * The first evaluation after the policy changed builds its network lookup
 * index (once, thread-safely); every later one allocates nothing on the
 * success path. */
photoguard_result photoguard_policy_evaluate(const photoguard_policy *policy, const char *peer_ip,
                                             const uint8_t *cookie, size_t cookie_len,
                                             const uint8_t *forwarded_for, size_t forwarded_for_len,
                                             photoguard_decision *out);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* PHOTOGUARD_H */
