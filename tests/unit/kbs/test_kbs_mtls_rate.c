#include "kbs/kbs_mtls_rate.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/store/store.h"
#include "unit.h"

#include <errno.h>

static void test_bucket(void **state)
{
	(void)state;
	struct cc_error err = { 0 };
	struct cc_store *store = NULL;
	char *dir = unit_tmpdir();
	_cleanup_free_ char *url = cc_xasprintf("sqlite:%s/state.db", dir);
	assert_int_equal(cc_store_open(url, &store, &err), 0);
	int64_t t = 1800000000000;
	int retry = 0;
	/* a minute's worth at once, then none */
	for (int i = 0; i < 3; i++)
		assert_int_equal(kbs_mtls_rate_take(store, "acme", "n1", 3, t, &retry, &err), 0);
	assert_int_equal(kbs_mtls_rate_take(store, "acme", "n1", 3, t, &retry, &err), -EAGAIN);
	assert_non_null(strstr(err.message, "node `n1` of tenant `acme` reached its limit of 3"));
	assert_int_equal(retry, 20);
	/* other nodes and tenants count apart */
	assert_int_equal(kbs_mtls_rate_take(store, "acme", "n2", 3, t, &retry, &err), 0);
	assert_int_equal(kbs_mtls_rate_take(store, "other", "n1", 3, t, &retry, &err), 0);
	/* one more every 20 s */
	assert_int_equal(kbs_mtls_rate_take(store, "acme", "n1", 3, t + 19000, &retry, &err), -EAGAIN);
	assert_int_equal(retry, 1);
	assert_int_equal(kbs_mtls_rate_take(store, "acme", "n1", 3, t + 20000, &retry, &err), 0);
	assert_int_equal(kbs_mtls_rate_take(store, "acme", "n1", 3, t + 20000, &retry, &err), -EAGAIN);
	/* a bucket never fills past the limit, and the default is 120 */
	for (int i = 0; i < 3; i++)
		assert_int_equal(kbs_mtls_rate_take(store, "acme", "n1", 3, t + 3600000, &retry, &err), 0);
	assert_int_equal(kbs_mtls_rate_take(store, "acme", "n1", 3, t + 3600000, &retry, &err), -EAGAIN);
	for (int i = 0; i < KBS_MTLS_RATE_DEFAULT; i++)
		assert_int_equal(kbs_mtls_rate_take(store, "acme", "n3", 0, t, &retry, &err), 0);
	assert_int_equal(kbs_mtls_rate_take(store, "acme", "n3", 0, t, &retry, &err), -EAGAIN);
	assert_int_equal(kbs_mtls_rate_take(store, "acme", "../n", 3, t, &retry, &err), -EINVAL);
	cc_store_close(store);
	unit_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
