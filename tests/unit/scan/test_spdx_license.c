/* scan/spdx_license.c: SPDX 2.3 Annex D expressions of listed identifiers, as package databases
 * write them (Alpine's L:, Fedora's License:), accepted in canonical form; what is not such an
 * expression refused. */
#include "scan/spdx_license.h"
#include "unit.h"

static void assert_expression(const char *declared, const char *want)
{
	char *got = scan_spdx_license_expression(declared);
	if (!want && got)
		fail_msg("`%s` accepted as `%s`", declared ? declared : "(null)", got);
	if (want && (!got || strcmp(got, want) != 0))
		fail_msg("`%s`: got `%s`, want `%s`", declared ? declared : "(null)", got ? got : "(null)", want);
	free(got);
}

static void test_valid(void **state)
{
	(void)state;
	assert_expression("MIT", "MIT");
	assert_expression("GPL-2.0-only", "GPL-2.0-only");
	assert_expression("GPL-2.0-or-later AND LGPL-2.1-or-later", "GPL-2.0-or-later AND LGPL-2.1-or-later");
	assert_expression("  MIT   OR\tApache-2.0 ", "MIT OR Apache-2.0");
	assert_expression("(MIT OR Apache-2.0) AND BSD-3-Clause", "(MIT OR Apache-2.0) AND BSD-3-Clause");
	assert_expression("Apache-2.0 AND (MIT OR ((GPL-2.0-only)))", "Apache-2.0 AND (MIT OR ((GPL-2.0-only)))");
	assert_expression("GPL-3.0-only WITH Classpath-exception-2.0", "GPL-3.0-only WITH Classpath-exception-2.0");
	assert_expression("GPL-2.0+", "GPL-2.0+");
	/* Deprecated identifiers still name their license. */
	assert_expression("GPL-2.0", "GPL-2.0");
	/* Identifiers match without regard to case and are written as the list spells them. */
	assert_expression("mit and bsd-2-clause", NULL); /* but operators are upper case */
	assert_expression("mit AND bsd-2-clause", "MIT AND BSD-2-Clause");
	assert_expression("gpl-2.0-or-later WITH gcc-exception-3.1", "GPL-2.0-or-later WITH GCC-exception-3.1");
}

static void test_refused(void **state)
{
	(void)state;
	static const char *const refused[] = {
		"GPLv2+", /* Fedora's old words, not identifiers */
		"GPLv2+ and LGPLv2+",
		"custom",
		"Public Domain",
		"MIT BSD", /* two terms without an operator */
		"MIT AND",
		"AND MIT",
		"(MIT",
		"MIT)",
		"()",
		"MIT WITH Apache-2.0",                /* WITH takes an exception */
		"Classpath-exception-2.0",            /* an exception is no license */
		"(MIT) WITH Classpath-exception-2.0", /* only a simple expression takes WITH */
		"LicenseRef-custom",                  /* would need its text in the document */
		"DocumentRef-x:LicenseRef-y",
		"NONE",
		"NOASSERTION",
		"MIT+ +",
		"MIT/BSD",
		"",
		"   ",
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		assert_expression(refused[i], NULL);
	assert_expression(NULL, NULL);
}

static void test_bounds(void **state)
{
	(void)state;
	/* Nesting past the parser's depth, and a field longer than any database writes. */
	char deep[128] = "";
	for (int i = 0; i < 20; i++)
		strcat(deep, "(");
	strcat(deep, "MIT");
	for (int i = 0; i < 20; i++)
		strcat(deep, ")");
	assert_expression(deep, NULL);
	char *long_field = malloc(2000);
	assert_non_null(long_field);
	strcpy(long_field, "MIT");
	while (strlen(long_field) < 1900)
		strcat(long_field, " OR MIT");
	assert_expression(long_field, NULL);
	free(long_field);
}

static void test_ids(void **state)
{
	(void)state;
	assert_string_equal(scan_spdx_license_id("apache-2.0", 10, false), "Apache-2.0");
	assert_string_equal(scan_spdx_license_id("0BSD", 4, false), "0BSD");
	assert_string_equal(scan_spdx_license_id("ZPL-2.1", 7, false), "ZPL-2.1");
	assert_string_equal(scan_spdx_license_id("Classpath-exception-2.0", 23, true), "Classpath-exception-2.0");
	/* A prefix of an identifier is not that identifier. */
	assert_null(scan_spdx_license_id("Apache-2", 8, false));
	assert_null(scan_spdx_license_id("MIT", 3, true));
	assert_null(scan_spdx_license_id("Classpath-exception-2.0", 23, false));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_ids),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
