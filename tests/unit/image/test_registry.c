/* The registry client's parsers (src/image/registry.c): WWW-Authenticate challenges as registries
 * send them (Docker Hub, distribution's token and htpasswd modes, quay's), malformed ones refused,
 * and credentials from containers-auth.json / docker config.json files. */
#include "image/registry.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "unit.h"

#include <errno.h>

static struct registry_challenge parse_ok(const char *value)
{
	struct registry_challenge c;
	struct cc_error err = { 0 };
	if (registry_parse_challenge(value, &c, &err) < 0)
		fail_msg("`%s`: %s", value, cc_error_message(&err));
	return c;
}

#define assert_str_or_null(got, want)                                                                                  \
	do {                                                                                                           \
		if (want)                                                                                              \
			assert_string_equal(got, want);                                                                \
		else                                                                                                   \
			assert_null(got);                                                                              \
	} while (0)

static void assert_challenge(const char *value, const char *scheme, const char *realm, const char *service,
			     const char *scope, const char *error)
{
	struct registry_challenge c = parse_ok(value);
	assert_string_equal(c.scheme, scheme);
	assert_str_or_null(c.realm, realm);
	assert_str_or_null(c.service, service);
	assert_str_or_null(c.scope, scope);
	assert_str_or_null(c.error, error);
	registry_challenge_clear(&c);
}

static void test_bearer(void **state)
{
	/* Docker Hub's. */
	assert_challenge("Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
			 "scope=\"repository:library/busybox:pull\"",
			 "Bearer", "https://auth.docker.io/token", "registry.docker.io",
			 "repository:library/busybox:pull", NULL);
	/* The version check's: no scope. Blanks around `=` and `,`, names in any case. */
	assert_challenge("Bearer  realm = \"https://r/t\" ,  Service=\"r\"", "Bearer", "https://r/t", "r", NULL, NULL);
	/* An expired or too narrow token: error and the scope wanted. */
	assert_challenge("Bearer realm=\"https://r/t\",service=\"r\",scope=\"repository:a:pull,push\",error="
			 "\"insufficient_scope\"",
			 "Bearer", "https://r/t", "r", "repository:a:pull,push", "insufficient_scope");
	/* Unknown parameters are skipped; a quoted-string's escapes; token values unquoted. */
	assert_challenge("Bearer realm=\"https://r/t?a=\\\"b\\\"\",x-extra=1,service=reg.example", "Bearer",
			 "https://r/t?a=\"b\"", "reg.example", NULL, NULL);
	/* Only the first of several challenges. */
	assert_challenge("Bearer realm=\"https://r/t\", Basic realm=\"r\"", "Bearer", "https://r/t", NULL, NULL, NULL);
	/* The first value wins when a parameter is repeated. */
	assert_challenge("Bearer realm=\"https://one\",realm=\"https://two\"", "Bearer", "https://one", NULL, NULL,
			 NULL);
}

static void test_basic(void **state)
{
	assert_challenge("Basic realm=\"basic-realm\"", "Basic", "basic-realm", NULL, NULL, NULL);
	assert_challenge("Basic", "Basic", NULL, NULL, NULL, NULL);
	assert_challenge("  Basic  ", "Basic", NULL, NULL, NULL, NULL);
}

static void assert_malformed(const char *value)
{
	struct registry_challenge c = { 0 };
	struct cc_error err = { 0 };
	if (registry_parse_challenge(value, &c, &err) == 0)
		fail_msg("`%s` was taken", value ? value : "(null)");
	assert_int_equal(err.code, EINVAL);
	assert_null(c.scheme);
}

static void test_malformed(void **state)
{
	assert_malformed(NULL);
	assert_malformed("");
	assert_malformed("   ");
	assert_malformed("=x");
	assert_malformed("Bearer realm=\"https://unterminated");
	assert_malformed("Bearer realm=");
	assert_malformed("Bearer realm=\"a\" service=\"b\""); /* no comma */
	assert_malformed("Bearer ,realm=\"a\"");
	assert_malformed("Bea(rer realm=\"a\"");
	char *big = cc_xcalloc(1, 9000);
	memcpy(big, "Bearer realm=\"", 14);
	memset(big + 14, 'a', 8900);
	assert_malformed(big);
	free(big);
}

static char *write_auth(const char *dir, const char *json)
{
	char *path = cc_xasprintf("%s/auth.json", dir);
	assert_int_equal(cc_write_file_atomic(path, json, strlen(json), 0600, NULL), 0);
	return path;
}

static void test_auth_file(void **state)
{
	char *dir = unit_tmpdir();
	/* "alice:s3cret" and "bob:pw:with:colons" in base64, as podman login writes them. */
	char *path = write_auth(dir, "{\"auths\": {"
				     "\"reg.example:5000\": {\"auth\": \"YWxpY2U6czNjcmV0\"},"
				     "\"https://other.example\": {\"auth\": \"Ym9iOnB3OndpdGg6Y29sb25z\"},"
				     "\"third.example/ns\": {\"username\": \"carol\", \"password\": \"pw\"},"
				     "\"broken.example\": {\"auth\": \"bm9jb2xvbg==\"}}}");
	struct cc_error err = { 0 };
	char *creds = registry_auth_lookup(path, "reg.example:5000", &err);
	assert_string_equal(creds, "alice:s3cret");
	free(creds);
	creds = registry_auth_lookup(path, "other.example", &err);
	assert_string_equal(creds, "bob:pw:with:colons");
	free(creds);
	creds = registry_auth_lookup(path, "third.example", &err);
	assert_string_equal(creds, "carol:pw");
	free(creds);
	/* Not a prefix of another host; an `auth` without a colon is no credential. */
	assert_null(registry_auth_lookup(path, "reg.example", &err));
	assert_null(registry_auth_lookup(path, "reg.example:500", &err));
	assert_null(registry_auth_lookup(path, "broken.example", &err));
	free(path);
	/* A missing file says so (ENOENT); a broken one says why. */
	char *missing = cc_xasprintf("%s/none.json", dir);
	cc_error_clear(&err);
	assert_null(registry_auth_lookup(missing, "reg.example", &err));
	assert_int_equal(err.code, ENOENT);
	free(missing);
	path = write_auth(dir, "{\"auths\": ");
	cc_error_clear(&err);
	assert_null(registry_auth_lookup(path, "reg.example", &err));
	assert_int_equal(err.code, EINVAL);
	free(path);
	unit_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bearer),
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_auth_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
