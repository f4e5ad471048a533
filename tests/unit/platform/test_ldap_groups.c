/* The LDAP group lookup's own text handling (platform/ldap_groups.h): search filters built from
 * untrusted names with RFC 4515's escaping, and group names read from DNs (RFC 4514). */
#include "platform/ldap_groups.h"
#include "unit.h"

#include <stdlib.h>

static void test_filter_escape(void **state)
{
	char *f = platform_ldap_filter("(uid={username})", "username", "alice");
	assert_string_equal(f, "(uid=alice)");
	free(f);
	/* Every character that could change the filter's meaning is escaped. */
	f = platform_ldap_filter("(uid={username})", "username", "*)(uid=*");
	assert_string_equal(f, "(uid=\\2a\\29\\28uid=\\2a)");
	free(f);
	f = platform_ldap_filter("(&(objectClass=person)(|(uid={username})(mail={username})))", "username", "a\\b");
	assert_string_equal(f, "(&(objectClass=person)(|(uid=a\\5cb)(mail=a\\5cb)))");
	free(f);
	f = platform_ldap_filter("(member={dn})", "dn", "uid=alice,ou=people,dc=example,dc=com");
	assert_string_equal(f, "(member=uid=alice,ou=people,dc=example,dc=com)");
	free(f);
	f = platform_ldap_filter("", "dn", "x");
	assert_string_equal(f, "");
	free(f);
}

static void test_first_rdn_value(void **state)
{
	char *v = platform_ldap_first_rdn_value("cn=payments-admins,ou=groups,dc=example,dc=com");
	assert_string_equal(v, "payments-admins");
	free(v);
	v = platform_ldap_first_rdn_value("CN=Domain Admins\\, EMEA,OU=Groups,DC=corp");
	assert_string_equal(v, "Domain Admins, EMEA");
	free(v);
	v = platform_ldap_first_rdn_value("cn=#04024869,dc=x"); /* a BER-encoded value */
	assert_non_null(v);
	free(v);
	assert_null(platform_ldap_first_rdn_value("not a dn"));
	assert_null(platform_ldap_first_rdn_value(""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filter_escape),
		cmocka_unit_test(test_first_rdn_value),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
