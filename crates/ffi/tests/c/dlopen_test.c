/*
 * dlopen_test.c - loads libphotoguard.so at run time, as a C host outside
 * httpd would: the program is not linked against the library, nor against
 * httpd or APR (only -ldl). It looks the functions up with dlsym, builds a
 * policy from directives and checks real decisions.
 *
 * Usage: dlopen_test PATH/TO/libphotoguard.so EXPECTED_VERSION
 * Prints one "not ok" line per failed check and a final
 * "checks=N failures=M" line; exits 0 only if every check passed.
 *
 * photoguard.h is included for its types and constants only.
 */
#define _POSIX_C_SOURCE 200809L

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "photoguard.h"

static int checks;
static int failures;

#define CHECK(cond, ...)                                          \
  do {                                                            \
    checks++;                                                     \
    if (!(cond)) {                                                \
      failures++;                                                 \
      printf("not ok - %s:%d: (%s) ", __FILE__, __LINE__, #cond); \
      printf(__VA_ARGS__);                                        \
      printf("\n");                                               \
    }                                                             \
  } while (0)

static void check_str(const char *actual, const char *expected, int line, const char *what) {
  checks++;
  if (actual == NULL || strcmp(actual, expected) != 0) {
    failures++;
    printf("not ok - %s:%d: %s: got \"%s\", want \"%s\"\n", __FILE__, line, what, actual ? actual : "(null)",
           expected);
  }
}

#define CHECK_STR(actual, expected) check_str((actual), (expected), __LINE__, #actual)

/* The types of the functions this program looks up. */
typedef const char *(*version_fn)(void);
typedef const char *(*result_text_fn)(uint32_t result);
typedef photoguard_policy *(*policy_new_fn)(void);
typedef void (*policy_free_fn)(photoguard_policy *policy);
typedef photoguard_result (*policy_apply_fn)(photoguard_policy *policy, const char *directive, const char *args,
                                             const char *file, unsigned int line, char *err_buf, size_t err_len,
                                             size_t *err_written);
typedef photoguard_result (*policy_evaluate_fn)(const photoguard_policy *policy, const char *peer_ip,
                                                const uint8_t *cookie, size_t cookie_len,
                                                const uint8_t *forwarded_for, size_t forwarded_for_len,
                                                photoguard_decision *out);

/* Each type must be that of the header's prototype. _Generic does not
 * evaluate its operand, so no symbol of the library is referenced. */
#define SAME_TYPE(function, type) _Static_assert(_Generic(&function, type: 1, default: 0), #function " is not " #type)
SAME_TYPE(photoguard_version, version_fn);
SAME_TYPE(photoguard_result_text, result_text_fn);
SAME_TYPE(photoguard_policy_new, policy_new_fn);
SAME_TYPE(photoguard_policy_free, policy_free_fn);
SAME_TYPE(photoguard_policy_apply, policy_apply_fn);
SAME_TYPE(photoguard_policy_evaluate, policy_evaluate_fn);

static void *library;
static version_fn version;
static result_text_fn result_text;
static policy_new_fn policy_new;
static policy_free_fn policy_free;
static policy_apply_fn policy_apply;
static policy_evaluate_fn policy_evaluate;

/* dlsym returns a void *; POSIX guarantees it converts to the function's
 * pointer type. memcpy does that conversion without the cast ISO C does not
 * define. */
static int look_up(void *slot, size_t size, const char *name) {
  void *symbol = dlsym(library, name);
  CHECK(symbol != NULL, "dlsym(%s): %s", name, dlerror());
  if (symbol == NULL || size != sizeof symbol) return 0;
  memcpy(slot, &symbol, size);
  return 1;
}

#define LOOK_UP(var, name) look_up(&(var), sizeof(var), (name))

static const char *const CONF = "dlopen.conf";

static void must_apply(photoguard_policy *policy, const char *directive, const char *args, unsigned int line) {
  char err[256];
  size_t written = 99;
  photoguard_result rc = policy_apply(policy, directive, args, CONF, line, err, sizeof err, &written);
  CHECK(rc == PHOTOGUARD_OK, "%s %s: rc %u (%s): %s", directive, args, (unsigned)rc, result_text(rc), err);
  CHECK(written == 0 && err[0] == '\0', "%s: error text on success: %s", directive, err);
}

static photoguard_result evaluate(const photoguard_policy *policy, const char *peer, const char *cookie,
                                  photoguard_decision *d) {
  /* Garbage first: the library must write every field. */
  memset(d, 0xA5, sizeof *d);
  return policy_evaluate(policy, peer, (const uint8_t *)cookie, cookie ? strlen(cookie) : 0, NULL, 0, d);
}

static void expect_allow(const photoguard_policy *policy, const char *peer, const char *cookie,
                         const char *reason) {
  photoguard_decision d;
  photoguard_result rc = evaluate(policy, peer, cookie, &d);
  CHECK(rc == PHOTOGUARD_OK, "peer %s: rc %u", peer, (unsigned)rc);
  CHECK(d.verdict == PHOTOGUARD_VERDICT_ALLOW && d.passes == 1 && d.allowed == 1, "peer %s: verdict %u passes %d",
        peer, (unsigned)d.verdict, d.passes);
  CHECK_STR(d.reason, reason);
  CHECK_STR(d.client, peer);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s PATH/TO/libphotoguard.so EXPECTED_VERSION\n", argv[0]);
    return 2;
  }

  puts("# dlopen");
  /* RTLD_NOW: every undefined symbol of the library must resolve now, from
   * what this process has (libc and friends), or dlopen fails naming it. */
  library = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  CHECK(library != NULL, "dlopen(%s): %s", argv[1], dlerror());
  if (library == NULL) {
    printf("checks=%d failures=%d\n", checks, failures);
    return 1;
  }
  /* The C library is not the Apache module. */
  CHECK(dlsym(library, "photoguard_module") == NULL, "libphotoguard.so exports photoguard_module");
  if (!(LOOK_UP(version, "photoguard_version") && LOOK_UP(result_text, "photoguard_result_text") &&
        LOOK_UP(policy_new, "photoguard_policy_new") && LOOK_UP(policy_free, "photoguard_policy_free") &&
        LOOK_UP(policy_apply, "photoguard_policy_apply") &&
        LOOK_UP(policy_evaluate, "photoguard_policy_evaluate"))) {
    printf("checks=%d failures=%d\n", checks, failures);
    return 1;
  }
  CHECK_STR(version(), argv[2]);
  CHECK_STR(result_text(PHOTOGUARD_OK), "success");

  puts("# a policy from directives");
  photoguard_policy *policy = policy_new();
  CHECK(policy != NULL, "photoguard_policy_new returned NULL");
  if (policy == NULL) {
    printf("checks=%d failures=%d\n", checks, failures);
    return 1;
  }
  must_apply(policy, "PhotoGuard", "On", 1);
  must_apply(policy, "PhotoGuardAllowNetwork", "10.20.16.0/20 2001:db8:10::/48", 2);
  must_apply(policy, "PhotoGuardAllowCookie", "LtpaToken2 STPluginActivePage=stMeetingroom", 3);
  must_apply(policy, "PhotoGuardDenyAction", "404", 4);
  {
    char err[256];
    photoguard_result rc = policy_apply(policy, "PhotoGuardAllowNetwork", "10.20.16.7/20", CONF, 5, err,
                                        sizeof err, NULL);
    CHECK(rc == PHOTOGUARD_ERROR_CONFIG, "a bad network: rc %u", (unsigned)rc);
    CHECK_STR(err, "PhotoGuardAllowNetwork: '10.20.16.7/20': host bits are set for a /20; did you mean 10.20.16.0/20?");
  }

  puts("# allow by network");
  expect_allow(policy, "10.20.16.5", NULL, "network 10.20.16.0/20 (dlopen.conf:2)");
  expect_allow(policy, "2001:db8:10::7", NULL, "network 2001:db8:10::/48 (dlopen.conf:2)");

  puts("# allow by cookie");
  expect_allow(policy, "203.0.113.9", "theme=dark; LtpaToken2=AAECAzU2", "cookie LtpaToken2 (dlopen.conf:3)");

  puts("# deny with its reason");
  {
    photoguard_decision d;
    photoguard_result rc = evaluate(policy, "203.0.113.9", "XLtpaToken2=1; STPluginActivePage=other", &d);
    CHECK(rc == PHOTOGUARD_OK, "rc %u", (unsigned)rc);
    CHECK(d.verdict == PHOTOGUARD_VERDICT_DENY && d.passes == 0 && d.allowed == 0, "verdict %u passes %d",
          (unsigned)d.verdict, d.passes);
    CHECK(d.deny_action == PHOTOGUARD_DENY_NOT_FOUND && d.http_status == 404 && d.redirect_url == NULL,
          "action %u status %d", (unsigned)d.deny_action, d.http_status);
    CHECK_STR(d.reason, "no rule matched");
    CHECK_STR(d.client, "203.0.113.9");
  }

  puts("# fail closed on a bad address");
  {
    photoguard_decision d;
    photoguard_result rc = evaluate(policy, "photos.example.com", "LtpaToken2=AAECAzU2", &d);
    CHECK(rc == PHOTOGUARD_ERROR_BAD_ADDRESS, "rc %u (%s)", (unsigned)rc, result_text(rc));
    CHECK(d.verdict == PHOTOGUARD_VERDICT_DENY && d.passes == 0 && d.allowed == 0, "verdict %u passes %d",
          (unsigned)d.verdict, d.passes);
    CHECK(d.deny_action == PHOTOGUARD_DENY_FORBIDDEN && d.http_status == 403 && d.redirect_url == NULL,
          "action %u status %d", (unsigned)d.deny_action, d.http_status);
    CHECK_STR(d.reason, "peer address 'photos.example.com' is not an IPv4 or IPv6 address");
    CHECK_STR(d.client, "");
  }

  policy_free(policy);
  CHECK(dlclose(library) == 0, "dlclose: %s", dlerror());

  printf("checks=%d failures=%d\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
