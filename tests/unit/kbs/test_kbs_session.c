/* The key broker's session table under a flood of challenges (issue 11, finding 2): unattested
 * sessions are capped per source and replaced oldest first; attested ones keep their place. */
#include "kbs/kbs_session.h"
#include "lib/base/error.h"
#include "unit.h"

#include <errno.h>

static int create(struct kbs_sessions *s, const char *source, struct kbs_session *ret)
{
	struct cc_error err = { 0 };
	return kbs_session_create(s, source, "default", "tpm", ret, &err);
}

static bool alive(struct kbs_sessions *s, const char *id)
{
	struct kbs_session copy;
	if (kbs_session_get(s, id, &copy) < 0)
		return false;
	kbs_session_release(&copy);
	return true;
}

static void test_one_source_replaces_only_its_own_oldest_challenge(void **state)
{
	struct kbs_sessions *s =
	    kbs_sessions_new(&(struct kbs_session_limits){ .max_sessions = 16, .max_challenges_per_source = 4 });
	struct kbs_session guest, first, flood;
	assert_int_equal(create(s, "192.0.2.1", &guest), 0);
	assert_int_equal(create(s, "192.0.2.66", &first), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(create(s, "192.0.2.66", &flood), 0);
	/* at its limit of 4, each new challenge of the flooder replaces its own oldest */
	for (int i = 0; i < 100; i++)
		assert_int_equal(create(s, "192.0.2.66", &flood), 1);
	assert_false(alive(s, first.id));
	assert_true(alive(s, flood.id));
	assert_true(alive(s, guest.id));
	kbs_sessions_free(s);
}

static void test_a_full_table_replaces_the_oldest_unattested_never_an_attested_one(void **state)
{
	struct kbs_sessions *s =
	    kbs_sessions_new(&(struct kbs_session_limits){ .max_sessions = 4, .max_challenges_per_source = 4 });
	struct kbs_session attested, oldest, other, next;
	assert_int_equal(create(s, "192.0.2.1", &attested), 0);
	json_t *key = json_pack("{s:s}", "kty", "EC");
	assert_int_equal(kbs_session_attested(s, attested.id, true, key, "token", NULL), 0);
	assert_int_equal(kbs_session_attested(s, attested.id, true, key, "token", NULL), -EALREADY);
	json_decref(key);
	assert_int_equal(create(s, "192.0.2.2", &oldest), 0);
	assert_int_equal(create(s, "192.0.2.3", &other), 0);
	assert_int_equal(create(s, "192.0.2.4", &next), 0);
	/* full: a new source takes the oldest unattested slot */
	assert_int_equal(create(s, "192.0.2.5", &next), 1);
	assert_false(alive(s, oldest.id));
	assert_true(alive(s, other.id));
	assert_true(alive(s, attested.id));
	/* a refused answer (no TEE key) does not make a session attested for the table */
	assert_int_equal(kbs_session_attested(s, other.id, false, NULL, NULL, NULL), 0);
	for (int i = 0; i < 8; i++)
		assert_true(create(s, "192.0.2.6", &next) >= 0);
	assert_false(alive(s, other.id));
	assert_true(alive(s, attested.id));
	kbs_sessions_free(s);
}

static void test_a_table_of_attested_sessions_refuses_with_ebusy(void **state)
{
	struct kbs_sessions *s = kbs_sessions_new(&(struct kbs_session_limits){ .max_sessions = 2 });
	struct kbs_session a;
	json_t *key = json_pack("{s:s}", "kty", "EC");
	for (int i = 0; i < 2; i++) {
		assert_int_equal(create(s, "192.0.2.1", &a), 0);
		assert_int_equal(kbs_session_attested(s, a.id, true, key, NULL, NULL), 0);
	}
	json_decref(key);
	struct cc_error err = { 0 };
	assert_int_equal(kbs_session_create(s, "192.0.2.9", "default", "tpm", &a, &err), -EBUSY);
	assert_non_null(strstr(err.message, "too many attested sessions"));
	kbs_sessions_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_source_replaces_only_its_own_oldest_challenge),
		cmocka_unit_test(test_a_full_table_replaces_the_oldest_unattested_never_an_attested_one),
		cmocka_unit_test(test_a_table_of_attested_sessions_refuses_with_ebusy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
