/*
 * abi_test.c - checks photoguard's C ABI from C: real decisions with the
 * seed policy of the IHS photo host, every configuration error path, and
 * that NULLs, bad addresses and the like fail closed.
 *
 * Usage: abi_test SCRATCH_DIR EXPECTED_VERSION
 * Prints one "not ok" line per failed check, a "layout" line (offsets of
 * photoguard_decision as this compiler sees them, which tests/c_abi.rs
 * compares with Rust's) and a final "checks=N failures=M" line; exits 0
 * only if every check passed.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "photoguard.h"

static int checks;
static int failures;

#define CHECK(cond, ...)                                      \
  do {                                                        \
    checks++;                                                 \
    if (!(cond)) {                                            \
      failures++;                                             \
      printf("not ok - %s:%d: (%s) ", __FILE__, __LINE__, #cond); \
      printf(__VA_ARGS__);                                    \
      printf("\n");                                           \
    }                                                         \
  } while (0)

static void check_str(const char *actual, const char *expected, const char *file, int line, const char *what) {
  checks++;
  if (actual == NULL || strcmp(actual, expected) != 0) {
    failures++;
    printf("not ok - %s:%d: %s: got \"%s\", want \"%s\"\n", file, line, what, actual ? actual : "(null)", expected);
  }
}

#define CHECK_STR(actual, expected) check_str((actual), (expected), __FILE__, __LINE__, #actual)

static const char *const CONF = "/etc/apache2/sites-available/photos.conf";

/* ---- configuration helpers -------------------------------------------- */

static photoguard_result apply_at(photoguard_policy *policy, const char *directive, const char *args,
                                  unsigned int line, char *err, size_t err_len) {
  size_t written = 12345;
  photoguard_result rc = photoguard_policy_apply(policy, directive, args, CONF, line, err, err_len, &written);
  if (err_len > 0) {
    CHECK(written == strlen(err), "err_written %zu vs strlen %zu for %s %s", written, strlen(err), directive, args);
  }
  return rc;
}

static void must_apply(photoguard_policy *policy, const char *directive, const char *args, unsigned int line) {
  char err[512];
  photoguard_result rc = apply_at(policy, directive, args, line, err, sizeof err);
  CHECK(rc == PHOTOGUARD_OK, "%s %s: rc %u: %s", directive, args, (unsigned)rc, err);
  CHECK_STR(err, "");
}

/* The directive must be refused with exactly this message. */
static void must_refuse(photoguard_policy *policy, const char *directive, const char *args, const char *message) {
  char err[512];
  photoguard_result rc = apply_at(policy, directive, args, 99, err, sizeof err);
  CHECK(rc == PHOTOGUARD_ERROR_CONFIG, "%s %s: rc %u", directive, args, (unsigned)rc);
  CHECK_STR(err, message);
}

/* The seed policy, as the admins of the photo host would write it. */
static photoguard_policy *seed_policy(void) {
  photoguard_policy *policy = photoguard_policy_new();
  CHECK(policy != NULL, "photoguard_policy_new returned NULL");
  must_apply(policy, "PhotoGuard", "On", 10);
  must_apply(policy, "PhotoGuardAllowNetwork", "10.20.16.0/20 10.30.64.0/21 172.16.128.0/22", 11);
  must_apply(policy, "PhotoGuardAllowNetwork", "192.0.2.10", 12);
  must_apply(policy, "PhotoGuardAllowCookie", "LtpaToken2 LtpaToken STPluginActivePage=stMeetingroom", 13);
  must_apply(policy, "PhotoGuardDenyAction", "redirect https://www.example.com/", 14);
  return policy;
}

/* ---- decision helpers -------------------------------------------------- */

static photoguard_result evaluate_bytes(const photoguard_policy *policy, const char *peer, const void *cookie,
                                        size_t cookie_len, const char *xff, photoguard_decision *out) {
  /* Garbage first: every field must be written by the call. */
  memset(out, 0xA5, sizeof *out);
  return photoguard_policy_evaluate(policy, peer, (const uint8_t *)cookie, cookie_len, (const uint8_t *)xff,
                                    xff ? strlen(xff) : 0, out);
}

static photoguard_result evaluate(const photoguard_policy *policy, const char *peer, const char *cookie,
                                  const char *xff, photoguard_decision *out) {
  return evaluate_bytes(policy, peer, cookie, cookie ? strlen(cookie) : 0, xff, out);
}

static int is_terminated(const char *field, size_t size) { return memchr(field, '\0', size) != NULL; }

static void expect_allow(const photoguard_policy *policy, const char *peer, const char *cookie, const char *xff,
                         const char *reason, const char *client) {
  photoguard_decision d;
  photoguard_result rc = evaluate(policy, peer, cookie, xff, &d);
  CHECK(rc == PHOTOGUARD_OK, "peer %s: rc %u", peer, (unsigned)rc);
  CHECK(d.verdict == PHOTOGUARD_VERDICT_ALLOW && d.passes == 1 && d.allowed == 1,
        "peer %s cookie %s: verdict %u passes %d allowed %d (%s)", peer, cookie ? cookie : "-", (unsigned)d.verdict,
        d.passes, d.allowed, d.reason);
  CHECK(is_terminated(d.reason, sizeof d.reason) && is_terminated(d.client, sizeof d.client), "unterminated text");
  CHECK_STR(d.reason, reason);
  CHECK_STR(d.client, client);
}

/* Denied by the seed policy's redirect. */
static void expect_redirect(const photoguard_policy *policy, const char *peer, const char *cookie, const char *xff,
                            const char *client) {
  photoguard_decision d;
  photoguard_result rc = evaluate(policy, peer, cookie, xff, &d);
  CHECK(rc == PHOTOGUARD_OK, "peer %s: rc %u", peer, (unsigned)rc);
  CHECK(d.verdict == PHOTOGUARD_VERDICT_DENY && d.passes == 0 && d.allowed == 0,
        "peer %s cookie %s: verdict %u passes %d allowed %d (%s)", peer, cookie ? cookie : "-", (unsigned)d.verdict,
        d.passes, d.allowed, d.reason);
  CHECK(d.deny_action == PHOTOGUARD_DENY_REDIRECT && d.http_status == 302, "action %u status %d",
        (unsigned)d.deny_action, d.http_status);
  CHECK_STR(d.redirect_url, "https://www.example.com/");
  CHECK(d.report_mode == 0, "report_mode %d", d.report_mode);
  CHECK_STR(d.reason, "no rule matched");
  CHECK_STR(d.client, client);
}

/* Could not decide: a 403 deny with this code and reason. */
static void expect_fail_closed(const photoguard_decision *d, photoguard_result rc, photoguard_result want_rc,
                               const char *reason) {
  CHECK(rc == want_rc, "rc %u (%s), want %u", (unsigned)rc, photoguard_result_text(rc), (unsigned)want_rc);
  CHECK(d->verdict == PHOTOGUARD_VERDICT_DENY && d->passes == 0 && d->allowed == 0, "not a deny: verdict %u passes %d",
        (unsigned)d->verdict, d->passes);
  CHECK(d->deny_action == PHOTOGUARD_DENY_FORBIDDEN && d->http_status == 403 && d->redirect_url == NULL &&
            d->report_mode == 0,
        "action %u status %d", (unsigned)d->deny_action, d->http_status);
  CHECK_STR(d->client, "");
  CHECK_STR(d->reason, reason);
}

/* ---- the checks -------------------------------------------------------- */

static void test_version_and_result_texts(const char *expected_version) {
  puts("# version and result texts");
  CHECK_STR(photoguard_version(), expected_version);
  CHECK_STR(photoguard_result_text(PHOTOGUARD_OK), "success");
  CHECK_STR(photoguard_result_text(PHOTOGUARD_ERROR_NULL_ARGUMENT), "a required pointer argument is NULL");
  CHECK_STR(photoguard_result_text(PHOTOGUARD_ERROR_INVALID_UTF8), "a text argument is not valid UTF-8");
  CHECK_STR(photoguard_result_text(PHOTOGUARD_ERROR_CONFIG), "the directive cannot be applied (the error buffer says why)");
  CHECK_STR(photoguard_result_text(PHOTOGUARD_ERROR_BAD_ADDRESS), "the peer address is not an IPv4 or IPv6 address");
  CHECK_STR(photoguard_result_text(PHOTOGUARD_ERROR_PANIC), "internal error: a panic was caught at the C boundary");
  CHECK_STR(photoguard_result_text(PHOTOGUARD_ERROR_INVALID_ARGUMENT), "an argument is out of range");
  CHECK_STR(photoguard_result_text(PHOTOGUARD_ERROR_POISONED),
            "the policy is unusable after an internal error; free it and build a new one");
  CHECK_STR(photoguard_result_text(8), "unknown photoguard_result code");
  CHECK_STR(photoguard_result_text(0xFFFFFFFFu), "unknown photoguard_result code");
}

static void test_allow_by_network(const photoguard_policy *seed) {
  puts("# allow by network, at the edges of every range");
  expect_allow(seed, "10.20.16.5", NULL, NULL, "network 10.20.16.0/20 (photos.conf:11)", "10.20.16.5");
  expect_allow(seed, "10.20.16.0", NULL, NULL, "network 10.20.16.0/20 (photos.conf:11)", "10.20.16.0");
  expect_allow(seed, "10.20.31.255", NULL, NULL, "network 10.20.16.0/20 (photos.conf:11)", "10.20.31.255");
  expect_redirect(seed, "10.20.32.0", NULL, NULL, "10.20.32.0");
  expect_redirect(seed, "10.20.15.255", NULL, NULL, "10.20.15.255");
  expect_allow(seed, "10.30.64.1", NULL, NULL, "network 10.30.64.0/21 (photos.conf:11)", "10.30.64.1");
  expect_allow(seed, "10.30.71.255", NULL, NULL, "network 10.30.64.0/21 (photos.conf:11)", "10.30.71.255");
  expect_redirect(seed, "10.30.72.0", NULL, NULL, "10.30.72.0");
  expect_allow(seed, "172.16.131.200", NULL, NULL, "network 172.16.128.0/22 (photos.conf:11)", "172.16.131.200");
  expect_redirect(seed, "172.16.132.0", NULL, NULL, "172.16.132.0");
  expect_allow(seed, "192.0.2.10", NULL, NULL, "network 192.0.2.10 (photos.conf:12)", "192.0.2.10");
  expect_redirect(seed, "192.0.2.11", NULL, NULL, "192.0.2.11");
  /* Spaces around the address, as some hosts hand it over, are ignored. */
  expect_allow(seed, " 10.20.16.5\t", NULL, NULL, "network 10.20.16.0/20 (photos.conf:11)", "10.20.16.5");
}

static void test_allow_by_cookie(const photoguard_policy *seed) {
  puts("# allow by cookie");
  expect_allow(seed, "203.0.113.9", "LtpaToken2=AAECAzU2", NULL, "cookie LtpaToken2 (photos.conf:13)", "203.0.113.9");
  expect_allow(seed, "203.0.113.9", "theme=dark; LtpaToken=AAEC", NULL, "cookie LtpaToken (photos.conf:13)",
               "203.0.113.9");
  expect_allow(seed, "2001:db8::7", "JSESSIONID=x;STPluginActivePage=stMeetingroom", NULL,
               "cookie STPluginActivePage=stMeetingroom (photos.conf:13)", "2001:db8::7");
  /* Apache joins repeated Cookie lines with ", ". */
  expect_allow(seed, "203.0.113.9", "a=1, LtpaToken2=\"quoted\"", NULL, "cookie LtpaToken2 (photos.conf:13)",
               "203.0.113.9");

  /* The header is length-delimited: bytes that are not UTF-8, even a NUL,
   * do not stop the scan. */
  static const char binary[] = "junk=\xff\xfe\x00x; LtpaToken2=abc";
  photoguard_decision d;
  photoguard_result rc = evaluate_bytes(seed, "203.0.113.9", binary, sizeof binary - 1, NULL, &d);
  CHECK(rc == PHOTOGUARD_OK && d.verdict == PHOTOGUARD_VERDICT_ALLOW, "binary cookie: rc %u verdict %u (%s)",
        (unsigned)rc, (unsigned)d.verdict, d.reason);
  /* ...and only cookie_len bytes are read: the allowing pair lies beyond. */
  rc = evaluate_bytes(seed, "203.0.113.9", binary, 9, NULL, &d);
  CHECK(rc == PHOTOGUARD_OK && d.verdict == PHOTOGUARD_VERDICT_DENY, "cut cookie: verdict %u", (unsigned)d.verdict);
  /* NULL cookie means no Cookie header, whatever the length says. */
  rc = evaluate_bytes(seed, "203.0.113.9", NULL, 42, NULL, &d);
  CHECK(rc == PHOTOGUARD_OK && d.verdict == PHOTOGUARD_VERDICT_DENY, "NULL cookie: verdict %u", (unsigned)d.verdict);
}

static void test_deny_and_bypasses(const photoguard_policy *seed) {
  puts("# deny with redirect; cookie bypasses are denied");
  expect_redirect(seed, "203.0.113.9", NULL, NULL, "203.0.113.9");
  expect_redirect(seed, "203.0.113.9", "", NULL, "203.0.113.9");
  expect_redirect(seed, "203.0.113.9", "XLtpaToken2=1", NULL, "203.0.113.9");
  expect_redirect(seed, "203.0.113.9", "ltpatoken2=1; LTPATOKEN=1", NULL, "203.0.113.9");
  expect_redirect(seed, "203.0.113.9", "LtpaToken2=; LtpaToken=", NULL, "203.0.113.9");
  expect_redirect(seed, "203.0.113.9", "LtpaToken2", NULL, "203.0.113.9");
  expect_redirect(seed, "203.0.113.9", "STPluginActivePage=stmeetingroom", NULL, "203.0.113.9");
  expect_redirect(seed, "203.0.113.9", "STPluginActivePage=stMeetingroomX", NULL, "203.0.113.9");
  expect_redirect(seed, "203.0.113.9", "xSTPluginActivePage=stMeetingroom", NULL, "203.0.113.9");
  expect_redirect(seed, "203.0.113.9", "foo=LtpaToken2=1", NULL, "203.0.113.9");
  expect_redirect(seed, "2001:db8::1", NULL, NULL, "2001:db8::1");
}

static void test_ipv6_mapped(const photoguard_policy *seed) {
  puts("# IPv4-mapped IPv6 peers match IPv4 rules");
  expect_allow(seed, "::ffff:10.20.16.5", NULL, NULL, "network 10.20.16.0/20 (photos.conf:11)", "10.20.16.5");
  expect_allow(seed, "::FFFF:192.0.2.10", NULL, NULL, "network 192.0.2.10 (photos.conf:12)", "192.0.2.10");
  expect_redirect(seed, "::ffff:10.20.32.1", NULL, NULL, "10.20.32.1");
  /* A long IPv6 address fits the client field whole. */
  expect_redirect(seed, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", NULL, NULL, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe");
}

static void test_trusted_proxy(const photoguard_policy *seed) {
  puts("# trusted proxy with X-Forwarded-For");
  photoguard_policy *vhost = photoguard_policy_new();
  must_apply(vhost, "PhotoGuardTrustedProxy", "198.51.100.0/24 2001:db8:ff::/48", 20);
  photoguard_policy *policy = photoguard_policy_merge(seed, vhost);
  CHECK(policy != NULL, "merge returned NULL");
  CHECK_STR(photoguard_policy_client_ip_header(policy), "X-Forwarded-For");

  /* The right-most address that is not a trusted proxy is the client. */
  expect_allow(policy, "198.51.100.7", NULL, "203.0.113.5, 10.30.64.9", "network 10.30.64.0/21 (photos.conf:11)",
               "10.30.64.9");
  expect_allow(policy, "198.51.100.7", NULL, "10.20.16.1, 198.51.100.8", "network 10.20.16.0/20 (photos.conf:11)",
               "10.20.16.1");
  expect_allow(policy, "2001:db8:ff::1", NULL, "10.20.16.1", "network 10.20.16.0/20 (photos.conf:11)", "10.20.16.1");
  expect_redirect(policy, "198.51.100.7", NULL, "10.30.64.9, 203.0.113.5", "203.0.113.5");
  /* A malformed entry stops the walk at the last good address. */
  expect_redirect(policy, "198.51.100.7", NULL, "10.20.16.1, junk, 198.51.100.9", "198.51.100.9");
  /* From an untrusted peer the header is ignored. */
  expect_redirect(policy, "203.0.113.7", NULL, "10.20.16.1", "203.0.113.7");
  /* The seed policy trusts no proxy at all. */
  expect_redirect(seed, "198.51.100.7", NULL, "10.20.16.1", "198.51.100.7");

  must_apply(vhost, "PhotoGuardClientIPHeader", "X-Real-IP", 21);
  photoguard_policy *renamed = photoguard_policy_merge(seed, vhost);
  CHECK_STR(photoguard_policy_client_ip_header(renamed), "X-Real-IP");
  photoguard_policy_free(renamed);
  photoguard_policy_free(policy);
  photoguard_policy_free(vhost);
}

static void test_report_mode_and_merge(const photoguard_policy *seed) {
  puts("# report mode, other deny actions, merge, gate off");
  photoguard_policy *dry_run = photoguard_policy_new();
  must_apply(dry_run, "PhotoGuardMode", "report", 30);
  photoguard_policy *policy = photoguard_policy_merge(seed, dry_run);
  photoguard_decision d;
  photoguard_result rc = evaluate(policy, "203.0.113.9", "XLtpaToken2=1", NULL, &d);
  CHECK(rc == PHOTOGUARD_OK, "rc %u", (unsigned)rc);
  CHECK(d.verdict == PHOTOGUARD_VERDICT_WOULD_DENY && d.passes == 1 && d.allowed == 0 && d.report_mode == 1,
        "verdict %u passes %d allowed %d report %d", (unsigned)d.verdict, d.passes, d.allowed, d.report_mode);
  CHECK(d.deny_action == PHOTOGUARD_DENY_REDIRECT && d.http_status == 302, "status %d", d.http_status);
  CHECK_STR(d.redirect_url, "https://www.example.com/");
  CHECK_STR(d.reason, "no rule matched");
  rc = evaluate(policy, "10.20.16.5", NULL, NULL, &d);
  CHECK(d.verdict == PHOTOGUARD_VERDICT_ALLOW && d.allowed == 1 && d.report_mode == 1, "report-mode allow: %u",
        (unsigned)d.verdict);
  photoguard_policy_free(policy);
  photoguard_policy_free(dry_run);

  photoguard_policy *not_found = photoguard_policy_new();
  must_apply(not_found, "PhotoGuardDenyAction", "404", 31);
  policy = photoguard_policy_merge(seed, not_found);
  rc = evaluate(policy, "203.0.113.9", NULL, NULL, &d);
  CHECK(rc == PHOTOGUARD_OK && d.verdict == PHOTOGUARD_VERDICT_DENY && d.deny_action == PHOTOGUARD_DENY_NOT_FOUND &&
            d.http_status == 404 && d.redirect_url == NULL,
        "404: verdict %u action %u status %d", (unsigned)d.verdict, (unsigned)d.deny_action, d.http_status);
  photoguard_policy_free(policy);

  /* A child list replaces the parent's list of that kind. */
  must_apply(not_found, "PhotoGuardAllowNetwork", "203.0.113.0/24", 32);
  policy = photoguard_policy_merge(seed, not_found);
  expect_allow(policy, "203.0.113.9", NULL, NULL, "network 203.0.113.0/24 (photos.conf:32)", "203.0.113.9");
  rc = evaluate(policy, "10.20.16.5", NULL, NULL, &d);
  CHECK(d.verdict == PHOTOGUARD_VERDICT_DENY && d.http_status == 404, "parent networks replaced: %u",
        (unsigned)d.verdict);
  expect_allow(policy, "10.20.16.5", "LtpaToken=x", NULL, "cookie LtpaToken (photos.conf:13)", "10.20.16.5");
  photoguard_policy_free(policy);
  photoguard_policy_free(not_found);

  photoguard_policy *off = photoguard_policy_new();
  expect_allow(off, "203.0.113.9", NULL, NULL, "PhotoGuard is off", "203.0.113.9");
  must_apply(off, "PhotoGuard", "Off", 33);
  policy = photoguard_policy_merge(seed, off);
  expect_allow(policy, "203.0.113.9", NULL, NULL, "PhotoGuard is off", "203.0.113.9");
  photoguard_policy_free(policy);
  photoguard_policy_free(off);

  CHECK(photoguard_policy_merge(NULL, seed) == NULL, "merge(NULL, seed)");
  CHECK(photoguard_policy_merge(seed, NULL) == NULL, "merge(seed, NULL)");
}

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  CHECK(f != NULL, "cannot write %s", path);
  if (f) {
    fputs(text, f);
    fclose(f);
  }
}

static void test_network_file(const char *scratch) {
  puts("# PhotoGuardAllowNetworkFile");
  char good[1024], bad[1024], empty[1024], two[1024], missing[1024], message[2048];
  snprintf(good, sizeof good, "%s/offices.txt", scratch);
  snprintf(bad, sizeof bad, "%s/typo.txt", scratch);
  snprintf(empty, sizeof empty, "%s/empty.txt", scratch);
  snprintf(two, sizeof two, "%s/two.txt", scratch);
  snprintf(missing, sizeof missing, "%s/missing.txt", scratch);
  write_file(good, "# offices\n10.20.16.0/20\n\n  172.16.128.0/22   # VPN\n2001:db8:10::/48\n");
  write_file(bad, "10.20.16.0/20\n# comment\n\n10.30.64.7/21\n");
  write_file(empty, "# nothing yet\n\n");
  write_file(two, "10.20.16.0/20 10.30.64.0/21\n");

  photoguard_policy *policy = photoguard_policy_new();
  must_apply(policy, "PhotoGuard", "On", 40);
  must_apply(policy, "PhotoGuardAllowNetworkFile", good, 41);
  expect_allow(policy, "172.16.130.1", NULL, NULL, "network 172.16.128.0/22 (offices.txt:4)", "172.16.130.1");
  expect_allow(policy, "2001:db8:10:ff::1", NULL, NULL, "network 2001:db8:10::/48 (offices.txt:5)",
               "2001:db8:10:ff::1");

  snprintf(message, sizeof message,
           "PhotoGuardAllowNetworkFile: %s:4: '10.30.64.7/21': host bits are set for a /21; did you mean 10.30.64.0/21?",
           bad);
  must_refuse(policy, "PhotoGuardAllowNetworkFile", bad, message);
  snprintf(message, sizeof message, "PhotoGuardAllowNetworkFile: %s: no networks in the file", empty);
  must_refuse(policy, "PhotoGuardAllowNetworkFile", empty, message);
  snprintf(message, sizeof message, "PhotoGuardAllowNetworkFile: %s:1: one entry a line, but '10.30.64.0/21' follows '10.20.16.0/20'",
           two);
  must_refuse(policy, "PhotoGuardAllowNetworkFile", two, message);
  snprintf(message, sizeof message, "PhotoGuardAllowNetworkFile: cannot read %s: No such file or directory (os error 2)",
           missing);
  must_refuse(policy, "PhotoGuardAllowNetworkFile", missing, message);
  /* The refused files changed nothing. */
  photoguard_decision d;
  evaluate(policy, "10.30.64.7", NULL, NULL, &d);
  CHECK(d.verdict == PHOTOGUARD_VERDICT_DENY && d.http_status == 403, "after refused files: %u", (unsigned)d.verdict);
  photoguard_policy_free(policy);
}

static void test_config_errors(void) {
  puts("# every configuration error, with its exact message");
  photoguard_policy *p = photoguard_policy_new();
  must_refuse(p, "PhotoGuardAllowHost", "10.0.0.1", "PhotoGuardAllowHost: not a photoguard directive");
  must_refuse(p, "PhotoGuard", "", "PhotoGuard: needs an argument (On|Off - enable the photoguard gate for this scope)");
  must_refuse(p, "PhotoGuard", "On Off", "PhotoGuard: takes one argument, got 2");
  must_refuse(p, "PhotoGuard", "yes", "PhotoGuard: 'yes': expected On or Off");
  must_refuse(p, "PhotoGuardAllowNetwork", "   ",
              "PhotoGuardAllowNetwork: needs an argument (one or more CIDRs or addresses (IPv4, IPv6) whose clients are "
              "allowed)");
  must_refuse(p, "PhotoGuardAllowNetwork", "10.20.16.7/20",
              "PhotoGuardAllowNetwork: '10.20.16.7/20': host bits are set for a /20; did you mean 10.20.16.0/20?");
  must_refuse(p, "PhotoGuardAllowNetwork", "10.20.16.0/20 10.1",
              "PhotoGuardAllowNetwork: '10.1': partial addresses are not accepted; write 10.1.0.0/16");
  must_refuse(p, "PhotoGuardAllowNetwork", "10.0.0.0/33",
              "PhotoGuardAllowNetwork: '10.0.0.0/33': prefix length /33 is out of range (0-32)");
  must_refuse(p, "PhotoGuardAllowNetwork", "2001:db8::/129",
              "PhotoGuardAllowNetwork: '2001:db8::/129': prefix length /129 is out of range (0-128)");
  must_refuse(p, "PhotoGuardAllowNetwork", "10.20.0.0/255.255.0.0",
              "PhotoGuardAllowNetwork: '10.20.0.0/255.255.0.0': dotted netmasks are not accepted; write 10.20.0.0/16");
  must_refuse(p, "PhotoGuardAllowNetwork", "10.020.16.0/20",
              "PhotoGuardAllowNetwork: '10.020.16.0/20': octets with leading zeros are ambiguous (octal in some tools); "
              "write 10.20.16.0");
  must_refuse(p, "PhotoGuardAllowNetwork", "10.20.16.0/x",
              "PhotoGuardAllowNetwork: '10.20.16.0/x': '/x' is not a prefix length");
  must_refuse(p, "PhotoGuardAllowNetwork", "photos.example.com",
              "PhotoGuardAllowNetwork: 'photos.example.com': not an IPv4 or IPv6 address");
  must_refuse(p, "PhotoGuardAllowNetwork", "/24", "PhotoGuardAllowNetwork: '/24': no address");
  must_refuse(p, "PhotoGuardAllowNetworkFile", "a.txt b.txt", "PhotoGuardAllowNetworkFile: takes one argument, got 2");
  must_refuse(p, "PhotoGuardAllowCookie", "\"LtpaToken2", "PhotoGuardAllowCookie: unterminated quote in the arguments");
  must_refuse(p, "PhotoGuardAllowCookie", "=abc", "PhotoGuardAllowCookie: '=abc': no cookie name");
  must_refuse(p, "PhotoGuardAllowCookie", "LtpaToken2=",
              "PhotoGuardAllowCookie: 'LtpaToken2=': empty value: write the name alone to allow any non-empty value");
  must_refuse(p, "PhotoGuardAllowCookie", "Ltpa;Token2", "PhotoGuardAllowCookie: 'Ltpa;Token2': cookie names cannot contain ';'");
  must_refuse(p, "PhotoGuardAllowCookie", "STPluginActivePage=st;Meetingroom",
              "PhotoGuardAllowCookie: 'STPluginActivePage=st;Meetingroom': cookie values cannot contain ';'");
  must_refuse(p, "PhotoGuardTrustedProxy", "192.0.2.1/24",
              "PhotoGuardTrustedProxy: '192.0.2.1/24': host bits are set for a /24; did you mean 192.0.2.0/24?");
  must_refuse(p, "PhotoGuardClientIPHeader", "X-Forwarded-For:", "PhotoGuardClientIPHeader: 'X-Forwarded-For:' is not a header name");
  must_refuse(p, "PhotoGuardClientIPHeader", "X-Real-IP X-Forwarded-For", "PhotoGuardClientIPHeader: takes one argument, got 2");
  must_refuse(p, "PhotoGuardDenyAction", "500", "PhotoGuardDenyAction: '500': expected 403, 404 or redirect URL");
  must_refuse(p, "PhotoGuardDenyAction", "redirect", "PhotoGuardDenyAction: 'redirect' needs a URL");
  must_refuse(p, "PhotoGuardDenyAction", "redirect ftp://www.example.com/",
              "PhotoGuardDenyAction: 'ftp://www.example.com/': a redirect goes to an http(s):// URL or a /path");
  must_refuse(p, "PhotoGuardDenyAction", "redirect https://www.example.com/ now",
              "PhotoGuardDenyAction: 'redirect https://www.example.com/ now': expected 403, 404 or redirect URL");
  must_refuse(p, "PhotoGuardMode", "dry-run", "PhotoGuardMode: 'dry-run': expected enforce or report");

  /* None of the refused directives changed the policy: still all defaults. */
  photoguard_decision d;
  evaluate(p, "203.0.113.9", NULL, NULL, &d);
  CHECK(d.verdict == PHOTOGUARD_VERDICT_ALLOW && d.report_mode == 0 && d.http_status == 403, "defaults changed");
  CHECK_STR(d.reason, "PhotoGuard is off");
  CHECK_STR(photoguard_policy_client_ip_header(p), "X-Forwarded-For");
  photoguard_policy_free(p);
}

static void test_error_buffers(void) {
  puts("# error buffers: truncation, NUL termination, absent buffers");
  static const char *const full =
      "PhotoGuardAllowNetwork: '10.20.16.7/20': host bits are set for a /20; did you mean 10.20.16.0/20?";
  photoguard_policy *p = photoguard_policy_new();
  char buf[16];
  size_t written = 999;

  memset(buf, 'Z', sizeof buf);
  photoguard_result rc = photoguard_policy_apply(p, "PhotoGuardAllowNetwork", "10.20.16.7/20", NULL, 0, buf, 8, &written);
  CHECK(rc == PHOTOGUARD_ERROR_CONFIG, "rc %u", (unsigned)rc);
  CHECK(written == 7 && buf[7] == '\0' && memcmp(buf, full, 7) == 0, "truncated to 8: written %zu \"%.8s\"", written, buf);
  CHECK(buf[8] == 'Z' && buf[15] == 'Z', "wrote past err_len");

  memset(buf, 'Z', sizeof buf);
  rc = photoguard_policy_apply(p, "PhotoGuardAllowNetwork", "10.20.16.7/20", NULL, 0, buf, 1, &written);
  CHECK(rc == PHOTOGUARD_ERROR_CONFIG && written == 0 && buf[0] == '\0' && buf[1] == 'Z', "err_len 1");

  memset(buf, 'Z', sizeof buf);
  rc = photoguard_policy_apply(p, "PhotoGuardAllowNetwork", "10.20.16.7/20", NULL, 0, buf, 0, &written);
  CHECK(rc == PHOTOGUARD_ERROR_CONFIG && written == 0 && buf[0] == 'Z', "err_len 0 must not write");

  rc = photoguard_policy_apply(p, "PhotoGuardAllowNetwork", "10.20.16.7/20", NULL, 0, NULL, 100, NULL);
  CHECK(rc == PHOTOGUARD_ERROR_CONFIG, "NULL err_buf: rc %u", (unsigned)rc);

  /* Messages quote what the admin wrote escaped: non-ASCII bytes read
   * \xNN, so a message is ASCII and a cut can split no UTF-8 sequence (the
   * cut itself is tested in Rust, text.rs). 19 bytes: 18 fit. */
  char utf8[64];
  rc = photoguard_policy_apply(p, "PhotoGuardMode", "\xc3\xa9t\xc3\xa9", NULL, 0, utf8, 19, &written);
  CHECK(rc == PHOTOGUARD_ERROR_CONFIG && written == 18 && strcmp(utf8, "PhotoGuardMode: '\\") == 0,
        "escaped cut: written %zu \"%s\"", written, utf8);

  /* A success clears a stale message. */
  memset(buf, 'Z', sizeof buf);
  written = 999;
  rc = photoguard_policy_apply(p, "PhotoGuard", "On", NULL, 0, buf, sizeof buf, &written);
  CHECK(rc == PHOTOGUARD_OK && buf[0] == '\0' && written == 0, "success must clear the buffer");

  /* NULL arguments and text that is not UTF-8. */
  char err[128];
  rc = photoguard_policy_apply(NULL, "PhotoGuard", "On", NULL, 0, err, sizeof err, NULL);
  CHECK(rc == PHOTOGUARD_ERROR_NULL_ARGUMENT, "NULL policy: rc %u", (unsigned)rc);
  CHECK_STR(err, "policy is NULL");
  rc = photoguard_policy_apply(p, NULL, "On", NULL, 0, err, sizeof err, NULL);
  CHECK(rc == PHOTOGUARD_ERROR_NULL_ARGUMENT, "NULL directive: rc %u", (unsigned)rc);
  CHECK_STR(err, "directive is NULL");
  rc = photoguard_policy_apply(p, "PhotoGuard", NULL, NULL, 0, err, sizeof err, NULL);
  CHECK(rc == PHOTOGUARD_ERROR_NULL_ARGUMENT, "NULL args: rc %u", (unsigned)rc);
  CHECK_STR(err, "args is NULL");
  rc = photoguard_policy_apply(p, "PhotoGuard\xff", "On", NULL, 0, err, sizeof err, NULL);
  CHECK(rc == PHOTOGUARD_ERROR_INVALID_UTF8, "bad directive: rc %u", (unsigned)rc);
  CHECK_STR(err, "directive is not valid UTF-8");
  rc = photoguard_policy_apply(p, "PhotoGuardAllowCookie", "LtpaToken\xc3", NULL, 0, err, sizeof err, NULL);
  CHECK(rc == PHOTOGUARD_ERROR_INVALID_UTF8, "bad args: rc %u", (unsigned)rc);
  CHECK_STR(err, "args is not valid UTF-8");
  rc = photoguard_policy_apply(p, "PhotoGuard", "On", "photos\xff.conf", 1, err, sizeof err, NULL);
  CHECK(rc == PHOTOGUARD_ERROR_INVALID_UTF8, "bad file: rc %u", (unsigned)rc);
  CHECK_STR(err, "file is not valid UTF-8");

  /* A NULL file is "(inline)" in reasons. */
  must_apply(p, "PhotoGuardAllowCookie", "LtpaToken2", 0);
  rc = photoguard_policy_apply(p, "PhotoGuardAllowNetwork", "10.20.16.0/20", NULL, 7, NULL, 0, NULL);
  CHECK(rc == PHOTOGUARD_OK, "inline apply: rc %u", (unsigned)rc);
  expect_allow(p, "10.20.16.5", NULL, NULL, "network 10.20.16.0/20 ((inline):7)", "10.20.16.5");
  photoguard_policy_free(p);
}

static void test_fail_closed(const photoguard_policy *seed) {
  puts("# NULL arguments and bad peer addresses fail closed");
  photoguard_decision d;
  /* Each of these would be allowed by its cookie if the error were ignored. */
  photoguard_result rc = evaluate(NULL, "10.20.16.5", "LtpaToken2=x", NULL, &d);
  expect_fail_closed(&d, rc, PHOTOGUARD_ERROR_NULL_ARGUMENT, "policy is NULL");
  rc = evaluate(seed, NULL, "LtpaToken2=x", NULL, &d);
  expect_fail_closed(&d, rc, PHOTOGUARD_ERROR_NULL_ARGUMENT, "peer_ip is NULL");
  rc = photoguard_policy_evaluate(seed, "10.20.16.5", NULL, 0, NULL, 0, NULL);
  CHECK(rc == PHOTOGUARD_ERROR_NULL_ARGUMENT, "NULL out: rc %u", (unsigned)rc);

  static const char *const bad_peers[] = {"", "10.20.16", "10.20.16.5/32", "localhost", "10.20.16.5 x",
                                          "[::1]", "::ffff:10.20.16.256", "10.20.16.5:80"};
  for (size_t i = 0; i < sizeof bad_peers / sizeof bad_peers[0]; i++) {
    char reason[PHOTOGUARD_REASON_MAX];
    snprintf(reason, sizeof reason, "peer address '%s' is not an IPv4 or IPv6 address", bad_peers[i]);
    rc = evaluate(seed, bad_peers[i], "LtpaToken2=x", NULL, &d);
    expect_fail_closed(&d, rc, PHOTOGUARD_ERROR_BAD_ADDRESS, reason);
  }
  rc = evaluate(seed, "10.20.16.5\xff", NULL, NULL, &d);
  expect_fail_closed(&d, rc, PHOTOGUARD_ERROR_BAD_ADDRESS, "peer address '10.20.16.5\xef\xbf\xbd' is not an IPv4 or IPv6 address");

  /* A very long bad address: the reason is truncated and terminated. */
  char long_peer[600];
  memset(long_peer, '9', sizeof long_peer - 1);
  long_peer[sizeof long_peer - 1] = '\0';
  rc = evaluate(seed, long_peer, NULL, NULL, &d);
  CHECK(rc == PHOTOGUARD_ERROR_BAD_ADDRESS && d.verdict == PHOTOGUARD_VERDICT_DENY, "long peer");
  CHECK(strlen(d.reason) == PHOTOGUARD_REASON_MAX - 1, "long reason: %zu bytes", strlen(d.reason));

  /* A length no buffer can have. */
  rc = photoguard_policy_evaluate(seed, "10.20.16.5", (const uint8_t *)"x", (size_t)-1, NULL, 0, &d);
  expect_fail_closed(&d, rc, PHOTOGUARD_ERROR_INVALID_ARGUMENT, "cookie_len is larger than any buffer can be");

  CHECK(photoguard_policy_client_ip_header(NULL) == NULL, "client_ip_header(NULL)");
  photoguard_policy_free(NULL);
}

/* Many threads evaluating one policy at once. */
struct worker {
  const photoguard_policy *policy;
  int index;
  int wrong;
};

static void *evaluate_many(void *arg) {
  struct worker *w = arg;
  char peer[32];
  for (int i = 0; i < 2000; i++) {
    photoguard_decision d;
    int inside = (i % 2) == 0;
    snprintf(peer, sizeof peer, "10.20.%d.%d", inside ? 16 + w->index : 40 + w->index, i % 256);
    photoguard_policy_evaluate(w->policy, peer, NULL, 0, NULL, 0, &d);
    if (d.passes != inside || (inside && strcmp(d.reason, "network 10.20.16.0/20 (photos.conf:11)") != 0))
      w->wrong++;
  }
  return NULL;
}

static void test_threads(const photoguard_policy *seed) {
  puts("# evaluating from several threads at once");
  pthread_t threads[4];
  struct worker workers[4];
  for (int i = 0; i < 4; i++) {
    workers[i] = (struct worker){seed, i, 0};
    CHECK(pthread_create(&threads[i], NULL, evaluate_many, &workers[i]) == 0, "pthread_create");
  }
  for (int i = 0; i < 4; i++) {
    pthread_join(threads[i], NULL);
    CHECK(workers[i].wrong == 0, "thread %d: %d wrong decisions", i, workers[i].wrong);
  }
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s SCRATCH_DIR EXPECTED_VERSION\n", argv[0]);
    return 2;
  }
  photoguard_policy *seed = seed_policy();

  test_version_and_result_texts(argv[2]);
  test_allow_by_network(seed);
  test_allow_by_cookie(seed);
  test_deny_and_bypasses(seed);
  test_ipv6_mapped(seed);
  test_trusted_proxy(seed);
  test_report_mode_and_merge(seed);
  test_network_file(argv[1]);
  test_config_errors();
  test_error_buffers();
  test_fail_closed(seed);
  test_threads(seed);
  photoguard_policy_free(seed);

  printf("layout size=%zu verdict=%zu passes=%zu allowed=%zu deny_action=%zu http_status=%zu report_mode=%zu "
         "redirect_url=%zu client=%zu reason=%zu\n",
         sizeof(photoguard_decision), offsetof(photoguard_decision, verdict), offsetof(photoguard_decision, passes),
         offsetof(photoguard_decision, allowed), offsetof(photoguard_decision, deny_action),
         offsetof(photoguard_decision, http_status), offsetof(photoguard_decision, report_mode),
         offsetof(photoguard_decision, redirect_url), offsetof(photoguard_decision, client),
         offsetof(photoguard_decision, reason));
  printf("checks=%d failures=%d\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
