#include "kbs/kbs_mtls_records.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "lib/store/store.h"
#include "unit.h"

#include <errno.h>

struct fixture {
	char *dir;
	struct cc_store *store;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct cc_error err = { 0 };
	f->dir = unit_tmpdir();
	_cleanup_free_ char *url = cc_xasprintf("sqlite:%s/state.db", f->dir);
	assert_int_equal(cc_store_open(url, &f->store, &err), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	cc_store_close(f->store);
	unit_rmdir(f->dir);
	free(f);
	return 0;
}

/* A record as issuance writes it, and optionally the EAR it cites. */
static void issued(struct fixture *f, const char *serial, const char *node, const char *uid, const char *jti,
		   long not_after, bool with_ear)
{
	struct cc_error err = { 0 };
	_cleanup_free_ char *key = cc_xasprintf("kbs/acme/mtls/issued/%s", serial);
	_cleanup_free_ char *value =
	    cc_xasprintf("{\"jti\":\"%s\",\"node\":\"%s\",\"notAfter\":%ld,\"uid\":\"%s\"}", jti, node, not_after, uid);
	assert_int_equal(cc_store_put(f->store, key, value, strlen(value), CC_STORE_ABSENT, NULL, &err), 0);
	if (!with_ear)
		return;
	_cleanup_free_ char *ear = cc_xasprintf("kbs/acme/mtls/ear/%s", jti);
	cc_store_put(f->store, ear, "h.c.s", 5, CC_STORE_ANY, NULL, &err);
}

static bool exists(struct fixture *f, const char *key)
{
	_cleanup_free_ char *value = NULL;
	size_t len;
	return cc_store_get(f->store, key, &value, &len, NULL, NULL) == 0;
}

static void test_serial_normalize(void **state)
{
	(void)state;
	char out[CC_X509_SERIAL_HEX_MAX];
	struct cc_error err = { 0 };
	assert_int_equal(kbs_mtls_serial_normalize("0A1bFf", out, &err), 0);
	assert_string_equal(out, "0a1bff");
	static const char *const bad[] = {
		"", "a", "abc", "0g", "../x", "0a 1b", "00112233445566778899aabbccddeeff0011223344"
	};
	for (size_t i = 0; i < CC_ARRAY_SIZE(bad); i++)
		assert_int_equal(kbs_mtls_serial_normalize(bad[i], out, &err), -EINVAL);
	assert_int_equal(kbs_mtls_serial_normalize(NULL, out, &err), -EINVAL);
}

static void test_revoke_serial(void **state)
{
	struct fixture *f = *state;
	struct cc_error err = { 0 };
	time_t now = time(NULL);
	issued(f, "0a", "n1", "u1", "j1", now + 3600, true);
	assert_int_equal(kbs_mtls_record_revoke(f->store, "acme", "0b", CC_CRL_REASON_SUPERSEDED, "node n1", now, &err),
			 -ENOENT);
	assert_non_null(strstr(err.message, "serial 0b"));
	assert_int_equal(
	    kbs_mtls_record_revoke(f->store, "acme", "0a", CC_CRL_REASON_KEY_COMPROMISE, "admin alice", now - 5, &err),
	    1);
	/* again: nothing changes, the first time and reason stay */
	assert_int_equal(kbs_mtls_record_revoke(f->store, "acme", "0a", CC_CRL_REASON_SUPERSEDED, "node n1", now, &err),
			 0);
	_cleanup_json_ json_t *rec = NULL;
	assert_int_equal(kbs_mtls_record_get(f->store, "acme", "0a", &rec, &err), 0);
	assert_string_equal(json_string_value(json_object_get(rec, "reason")), "keyCompromise");
	assert_string_equal(json_string_value(json_object_get(rec, "revokedBy")), "admin alice");
	assert_int_equal(json_integer_value(json_object_get(rec, "revokedAt")), now - 5);
	assert_string_equal(json_string_value(json_object_get(rec, "node")), "n1"); /* the rest kept */
	assert_int_equal(kbs_mtls_record_revoke(f->store, "../x", "0a", CC_CRL_REASON_SUPERSEDED, "x", now, &err),
			 -EINVAL);
	assert_int_equal(kbs_mtls_record_revoke(f->store, "acme", "0a", CC_CRL_REASON_MAX, "x", now, &err), -EINVAL);
}

static void test_revoke_node(void **state)
{
	struct fixture *f = *state;
	struct cc_error err = { 0 };
	time_t now = time(NULL);
	issued(f, "01", "n1", "u1", "j1", now + 3600, true);
	issued(f, "02", "n1", "u2", "j1", now + 3600, true);
	issued(f, "03", "n1", "u1", "j2", now - 10, true); /* expired: left alone */
	issued(f, "04", "n2", "u3", "j3", now + 3600, true);
	_cleanup_json_ json_t *revoked = json_array();
	/* one pod of the node first, then the rest of the node */
	assert_int_equal(kbs_mtls_revoke_node(f->store, "acme", "n1", "u2", CC_CRL_REASON_PRIVILEGE_WITHDRAWN, "broker",
					      now, revoked, &err),
			 1);
	assert_string_equal(json_string_value(json_array_get(revoked, 0)), "02");
	assert_int_equal(kbs_mtls_revoke_node(f->store, "acme", "n1", NULL, CC_CRL_REASON_PRIVILEGE_WITHDRAWN, "broker",
					      now, revoked, &err),
			 1);
	assert_string_equal(json_string_value(json_array_get(revoked, 1)), "01");
	assert_int_equal(kbs_mtls_revoke_node(f->store, "acme", "n1", NULL, CC_CRL_REASON_PRIVILEGE_WITHDRAWN, "broker",
					      now, revoked, &err),
			 0);
	assert_int_equal(kbs_mtls_revoke_node(f->store, "acme", "n9", NULL, CC_CRL_REASON_PRIVILEGE_WITHDRAWN, "broker",
					      now, revoked, &err),
			 0);
	_cleanup_json_ json_t *rec = NULL;
	assert_int_equal(kbs_mtls_record_get(f->store, "acme", "04", &rec, &err), 0);
	assert_null(json_object_get(rec, "revokedAt")); /* another node's */
}

static void test_scan_and_sweep(void **state)
{
	struct fixture *f = *state;
	struct cc_error err = { 0 };
	time_t now = time(NULL), day = KBS_MTLS_RETENTION_DEFAULT;
	issued(f, "0c", "n1", "u1", "live", now + 3600, true);
	issued(f, "0b", "n1", "u2", "live", now + 3600, false);
	issued(f, "0a", "n1", "u3", "expired", now - 60, true);      /* expired, kept for the audit */
	issued(f, "09", "n1", "u4", "old", now - day - 60, true);    /* past retention: removed */
	issued(f, "08", "n1", "u5", "shared", now - day - 60, true); /* removed, but its EAR ... */
	issued(f, "07", "n1", "u6", "shared", now + 60, false);      /* ... is still cited here */
	assert_int_equal(kbs_mtls_record_revoke(f->store, "acme", "0c", CC_CRL_REASON_SUPERSEDED, "x", now, &err), 1);
	assert_int_equal(kbs_mtls_record_revoke(f->store, "acme", "0b", CC_CRL_REASON_KEY_COMPROMISE, "x", now, &err),
			 1);
	assert_int_equal(kbs_mtls_record_revoke(f->store, "acme", "0a", CC_CRL_REASON_SUPERSEDED, "x", now, &err), 1);

	struct kbs_mtls_scan scan;
	assert_int_equal(kbs_mtls_records_scan(f->store, "acme", now, false, day, &scan, &err), 0);
	/* revoked and unexpired, by serial; the expired 0a has left the list */
	assert_int_equal(scan.n_revoked, 2);
	assert_string_equal(scan.revoked[0].serial, "0b");
	assert_int_equal(scan.revoked[0].reason, CC_CRL_REASON_KEY_COMPROMISE);
	assert_string_equal(scan.revoked[1].serial, "0c");
	assert_int_equal(scan.revoked[1].revoked_at, now);
	assert_int_equal(scan.removed_records, 0);
	kbs_mtls_scan_free(&scan);
	assert_true(exists(f, "kbs/acme/mtls/issued/09"));

	assert_int_equal(kbs_mtls_records_scan(f->store, "acme", now, true, day, &scan, &err), 0);
	assert_int_equal(scan.n_revoked, 2);
	assert_int_equal(scan.removed_records, 2);
	assert_int_equal(scan.removed_ears, 1);
	kbs_mtls_scan_free(&scan);
	assert_false(exists(f, "kbs/acme/mtls/issued/09"));
	assert_false(exists(f, "kbs/acme/mtls/issued/08"));
	assert_false(exists(f, "kbs/acme/mtls/ear/old"));
	assert_true(exists(f, "kbs/acme/mtls/ear/shared"));
	assert_true(exists(f, "kbs/acme/mtls/ear/expired"));
	assert_true(exists(f, "kbs/acme/mtls/ear/live"));
	assert_true(exists(f, "kbs/acme/mtls/issued/0a"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_serial_normalize),
		cmocka_unit_test_setup_teardown(test_revoke_serial, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revoke_node, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_and_sweep, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
