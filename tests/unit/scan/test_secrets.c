/* scan/secrets.c: every rule on a token of its exact form, the near misses around it (one
 * character short or long, glued to a word, the vendors' documentation examples, a PEM header with
 * no body), line numbers, and the mask that never shows the secret. */
#include "lib/base/cleanup.h"
#include "scan/secrets.h"
#include "unit.h"

#include <string.h>

/* The rules found in text, as "rule@line" joined by spaces; the report objects checked on the way. */
static char *found(const char *text, const char *path)
{
	json_t *out = json_array();
	size_t n = scan_secrets_find(text, strlen(text), path, "sha256:abc", out);
	assert_int_equal(n, json_array_size(out));
	char buf[1024] = "";
	size_t i;
	json_t *s;
	json_array_foreach (out, i, s) {
		const char *match = json_string_value(json_object_get(s, "match"));
		assert_non_null(match);
		assert_non_null(strstr(match, "********"));
		assert_string_equal(json_string_value(json_object_get(s, "layer")), "sha256:abc");
		assert_int_equal(json_string_value(json_object_get(s, "path"))[0], '/');
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s@%lld", i ? " " : "",
			 json_string_value(json_object_get(s, "rule")),
			 (long long)json_integer_value(json_object_get(s, "line")));
	}
	json_decref(out);
	return strdup(buf);
}

static void expect(const char *text, const char *want)
{
	_cleanup_free_ char *got = found(text, "app/config");
	if (strcmp(got, want) != 0)
		fail_msg("in <%s>: found <%s>, want <%s>", text, got, want);
}

static void test_aws(void **state)
{
	(void)state;
	expect("key=AKIAZ3MSJV4WWNKWW5FG\n", "aws-access-key-id@1");
	expect("\n\nASIAZ3MSJV4WWNKWW5FG", "aws-access-key-id@3");
	expect("AKIAZ3MSJV4WWNKWW5F", "");   /* one short */
	expect("AKIAZ3MSJV4WWNKWW5FGH", ""); /* one long */
	expect("XAKIAZ3MSJV4WWNKWW5FG", ""); /* inside a word */
	expect("AKIAIOSFODNN7EXAMPLE", "");  /* AWS's documentation example */
	expect("aws_secret_access_key = 3w0G+Sz1ZcN8TkT2qUvNtQbLZ4kXqhVoHdPrSa7e", "aws-secret-access-key@1");
	expect("AWS_SECRET_ACCESS_KEY=\"3w0G+Sz1ZcN8TkT2qUvNtQbLZ4kXqhVoHdPrSa7e\"", "aws-secret-access-key@1");
	expect("aws-secret-access-key: 3w0G+Sz1ZcN8TkT2qUvNtQbLZ4kXqhVoHdPrSa7e", "aws-secret-access-key@1");
	expect("aws_secret_access_key = 3w0G+Sz1ZcN8TkT2qUvNtQbLZ4kXqhVoHdPrSa7", "");   /* 39 */
	expect("aws_secret_access_key = 3w0G+Sz1ZcN8TkT2qUvNtQbLZ4kXqhVoHdPrSa7ee", ""); /* 41 */
	expect("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "");
	expect("the aws_secret_access_key setting", "");
}

static void test_tokens(void **state)
{
	(void)state;
	expect("ghp_0123456789abcdefghijABCDEFGHIJ012345", "github-token@1");
	expect("ghp_0123456789abcdefghijABCDEFGHIJ01234", "");
	expect("ghx_0123456789abcdefghijABCDEFGHIJ012345", "");
	expect("glpat-abcdefghij_-KLMNOPQR", "gitlab-token@1");
	expect("xoxb-1234567890-abcdefghij", "slack-token@1");
	expect("xoxz-1234567890-abcdefghij", "");
	expect("sk_live_0123456789abcdefghijABCD", "stripe-secret-key@1");
	expect("sk_test_0123456789abcdefghijABCD", ""); /* test keys move no money */
	expect("AIzaSyA0123456789abcdefghijklmnopqrstuv", "google-api-key@1");
	expect("npm_0123456789abcdefghijABCDEFGHIJ012345", "npm-token@1");
	expect("AccountKey="
	       "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmn==",
	       "azure-storage-key@1");
	expect("pypi-AgEIcHlwaS5vcmc0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN", "pypi-token@1");
}

static const char rsa_body[] = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDBj08sp5++"
			       "4anGcmQxJjAkBgNVBAoTHVByb2dyZXNzIFNvZnR3YXJlIENvcnBvcmF0aW9u";

static void test_private_keys(void **state)
{
	(void)state;
	_cleanup_free_ char *pem =
	    cc_xasprintf("x\n-----BEGIN PRIVATE KEY-----\n%s\n-----END PRIVATE KEY-----\n", rsa_body);
	expect(pem, "private-key@2");
	_cleanup_free_ char *rsa = cc_xasprintf("-----BEGIN RSA PRIVATE KEY-----\r\n%s\r\n", rsa_body);
	expect(rsa, "private-key@1");
	_cleanup_free_ char *json =
	    cc_xasprintf("{\"private_key\": \"-----BEGIN PRIVATE KEY-----\\n%.64s\\n%s\\n\"}", rsa_body, rsa_body + 64);
	expect(json, "private-key@1");
	/* an encrypted PEM's headers come before the body */
	_cleanup_free_ char *enc = cc_xasprintf(
	    "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\n%s\n", rsa_body);
	expect(enc, "private-key@1");
	_cleanup_free_ char *pub = cc_xasprintf("-----BEGIN PUBLIC KEY-----\n%s\n", rsa_body);
	expect(pub, "");
	_cleanup_free_ char *cert = cc_xasprintf("-----BEGIN CERTIFICATE-----\n%s\n", rsa_body);
	expect(cert, "");
	expect("Keys begin with -----BEGIN RSA PRIVATE KEY----- and end with the END line.", "");
	expect("-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n", "");
	expect("-----BEGIN PRIVATE KEY-----", ""); /* the end of the data right after the header */
}

static void test_registry_auth_only_in_auth_files(void **state)
{
	(void)state;
	const char *config = "{\"auths\": {\"r.example\": {\"auth\" : \"dXNlcjpodW50ZXIy\"}}}";
	json_t *out = json_array();
	assert_int_equal(scan_secrets_find(config, strlen(config), "root/.docker/config.json", NULL, out), 1);
	assert_int_equal(scan_secrets_find(config, strlen(config), "run/user/0/containers/auth.json", NULL, out), 1);
	assert_int_equal(scan_secrets_find(config, strlen(config), "app/data.json", NULL, out), 0);
	assert_true(json_is_null(json_object_get(json_array_get(out, 0), "layer")));
	json_decref(out);
}

static void test_mask_never_shows_the_secret(void **state)
{
	(void)state;
	const char *text = "a\nb\nTOKEN=ghp_0123456789abcdefghijABCDEFGHIJ012345 and AKIAZ3MSJV4WWNKWW5FG";
	json_t *out = json_array();
	assert_int_equal(scan_secrets_find(text, strlen(text), "etc/env", NULL, out), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(out, 0), "match")), "ghp_********");
	assert_string_equal(json_string_value(json_object_get(json_array_get(out, 1), "match")), "AKIA********");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(out, 1), "line")), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(out, 0), "path")), "/etc/env");
	json_decref(out);
}

static void test_text_and_allowed_paths(void **state)
{
	(void)state;
	assert_true(scan_secrets_is_text("plain\n", 6));
	assert_false(scan_secrets_is_text("\x7f"
					  "ELF\0\0",
					  6));
	assert_true(scan_secrets_path_exempt("usr/share/doc/openssl/README"));
	assert_true(scan_secrets_path_exempt("usr/lib/python3.11/test/keycert.pem"));
	assert_true(scan_secrets_path_exempt("go/src/crypto/tls/testdata/x.key"));
	assert_false(scan_secrets_path_exempt("root/.ssh/id_rsa"));
	assert_false(scan_secrets_path_exempt("app/tests.key")); /* a name, not a test directory */
	for (size_t i = 0; scan_secret_rule(i); i++) {
		assert_non_null(scan_secret_rule(i)->id);
		assert_non_null(scan_secret_rule(i)->title);
		assert_non_null(scan_secret_rule(i)->severity);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aws),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_private_keys),
		cmocka_unit_test(test_registry_auth_only_in_auth_files),
		cmocka_unit_test(test_mask_never_shows_the_secret),
		cmocka_unit_test(test_text_and_allowed_paths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
