#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "node/pki.h"
#include "unit.h"

#include <errno.h>
#include <sys/stat.h>

static void test_creates_then_keeps(void **state)
{
	char *top = unit_tmpdir();
	_cleanup_free_ char *dir = cc_xasprintf("%s/pki", top);
	struct cc_error err = { 0 };
	assert_int_equal(node_pki_ensure(dir, "node1.example,10.1.2.3", &err), 1);
	struct node_pki_paths p;
	node_pki_paths(dir, &p);
	struct stat st;
	assert_int_equal(stat(p.admin_key, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(stat(p.server_cert, &st), 0);
	time_t first = st.st_mtime;
	assert_int_equal(node_pki_ensure(dir, NULL, &err), 0);
	/* A missing admin certificate is re-issued; the rest stays. */
	unlink(p.admin_cert);
	assert_int_equal(node_pki_ensure(dir, NULL, &err), 1);
	assert_int_equal(access(p.admin_cert, F_OK), 0);
	assert_int_equal(stat(p.server_cert, &st), 0);
	assert_true(st.st_mtime == first);
	_cleanup_free_ char *cmd =
	    cc_xasprintf("openssl verify -CAfile %s -purpose sslserver %s >/dev/null && "
			 "openssl x509 -in %s -noout -ext subjectAltName | grep -q 'IP Address:10.1.2.3'",
			 p.ca_cert, p.server_cert, p.server_cert);
	assert_int_equal(system(cmd), 0);
	unit_rmdir(top);
}

static void test_rejects_bad_host(void **state)
{
	char *top = unit_tmpdir();
	struct cc_error err = { 0 };
	assert_int_equal(node_pki_ensure(top, "ok.example,bad host!", &err), -EINVAL);
	assert_non_null(strstr(err.message, "bad host!"));
	unit_rmdir(top);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_creates_then_keeps),
		cmocka_unit_test(test_rejects_bad_host),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
