/* Image references (src/image/reference.c) as docker and podman read them: where the registry ends
 * and the path begins, tags and digests, the default tag, and what is refused and why. */
#include "image/reference.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "unit.h"

#include <errno.h>

/* Parses text and checks its parts (NULL: absent) and its normalised form. */
static void assert_parsed(const char *text, const char *domain, const char *repository, const char *tag,
			  const char *digest, const char *normalised)
{
	struct image_reference ref;
	struct cc_error err = { 0 };
	if (image_reference_parse(text, &ref, &err) < 0)
		fail_msg("`%s`: %s", text, cc_error_message(&err));
	if (domain)
		assert_string_equal(ref.domain, domain);
	else
		assert_null(ref.domain);
	assert_string_equal(ref.repository, repository);
	if (tag)
		assert_string_equal(ref.tag, tag);
	else
		assert_null(ref.tag);
	if (digest)
		assert_string_equal(ref.digest, digest);
	else
		assert_null(ref.digest);
	char *s = image_reference_string(&ref);
	assert_string_equal(s, normalised);
	free(s);
	image_reference_clear(&ref);
}

static void assert_refused(const char *text, const char *words)
{
	struct image_reference ref = { 0 };
	struct cc_error err = { 0 };
	int r = image_reference_parse(text, &ref, &err);
	if (r == 0)
		fail_msg("`%s` was taken", text);
	assert_int_equal(r, -EINVAL);
	if (!strstr(cc_error_message(&err), words))
		fail_msg("`%s`: `%s` does not say `%s`", text, cc_error_message(&err), words);
	assert_null(ref.domain);
	assert_null(ref.repository);
}

#define DIGEST "sha256:8bd796179ba79abed2150612c25a45ba6955601e641a61cd97ed20f6507b4293"

static void test_registry_and_path(void **state)
{
	assert_parsed("registry.example:5000/ns/name:tag", "registry.example:5000", "ns/name", "tag", NULL,
		      "registry.example:5000/ns/name:tag");
	assert_parsed("127.0.0.1:5000/busybox:1", "127.0.0.1:5000", "busybox", "1", NULL, "127.0.0.1:5000/busybox:1");
	/* A first component is a registry with a `.`, a `:`, as localhost, or with an upper-case letter. */
	assert_parsed("quay.io/a/b/c", "quay.io", "a/b/c", "latest", NULL, "quay.io/a/b/c:latest");
	assert_parsed("localhost/app", "localhost", "app", "latest", NULL, "localhost/app:latest");
	assert_parsed("localhost:5000/app:2", "localhost:5000", "app", "2", NULL, "localhost:5000/app:2");
	assert_parsed("Registry/app", "Registry", "app", "latest", NULL, "Registry/app:latest");
	assert_parsed("[::1]:5000/app:v1", "[::1]:5000", "app", "v1", NULL, "[::1]:5000/app:v1");
	/* Otherwise the whole is a path: no registry (docker.io to docker; refused by pull). */
	assert_parsed("library/busybox", NULL, "library/busybox", "latest", NULL, "library/busybox:latest");
	assert_parsed("busybox", NULL, "busybox", "latest", NULL, "busybox:latest");
	/* Separators inside a component: `.`, `_`, `__`, any run of `-`. */
	assert_parsed("r.io/a.b_c__d---e:x", "r.io", "a.b_c__d---e", "x", NULL, "r.io/a.b_c__d---e:x");
}

static void test_tag_and_digest(void **state)
{
	assert_parsed("r.io/app@" DIGEST, "r.io", "app", NULL, DIGEST, "r.io/app@" DIGEST);
	assert_parsed("r.io/app:1.0@" DIGEST, "r.io", "app", "1.0", DIGEST, "r.io/app:1.0@" DIGEST);
	/* The port's colon is not a tag's. */
	assert_parsed("r.io:443/app", "r.io:443", "app", "latest", NULL, "r.io:443/app:latest");
	assert_parsed("r.io/app:_Tag.-1", "r.io", "app", "_Tag.-1", NULL, "r.io/app:_Tag.-1");
	/* A tag of 128 characters is the longest. */
	char text[256];
	snprintf(text, sizeof(text), "r.io/app:%0128d", 7);
	struct image_reference ref;
	assert_int_equal(image_reference_parse(text, &ref, NULL), 0);
	image_reference_clear(&ref);
	snprintf(text, sizeof(text), "r.io/app:%0129d", 7);
	assert_refused(text, "a tag is 1 to 128");
}

static void test_refused(void **state)
{
	assert_refused("r.io/App:1", "lower-case letters");
	assert_refused("r.io/app/:1", "lower-case letters");
	assert_refused("r.io/a..b", "lower-case letters");
	assert_refused("r.io/a___b", "lower-case letters");
	assert_refused("r.io/-a", "lower-case letters");
	assert_refused("r.io/", "no path after the registry");
	assert_refused("r.io/app:", "a tag is 1 to 128");
	assert_refused("r.io/app:.x", "a tag is 1 to 128");
	assert_refused("r.io/app:a/b", "lower-case letters"); /* the colon was the registry's: then `b` is no tag */
	assert_refused("r.io/app@sha256:abc", "64 lower-case hex digits");
	assert_refused("r.io/app@sha512:8bd796179ba79abed2150612c25a45ba6955601e641a61cd97ed20f6507b4293",
		       "only sha256");
	assert_refused("r.io/app@", "64 lower-case hex digits");
	assert_refused("r-.io/app", "HOST[:PORT]");
	assert_refused("r.io:99999999/app", "HOST[:PORT]");
	assert_refused("r.io:/app", "HOST[:PORT]");
	assert_refused("http://r.io/app", "no scheme");
	assert_refused("r.io/app name", "blank");
	assert_refused("r.io/app\xc3\xa9", "non-ASCII");
	char *long_name = cc_xcalloc(1, 300);
	memcpy(long_name, "r.io/", 5);
	memset(long_name + 5, 'a', 260);
	assert_refused(long_name, "longer than 255");
	free(long_name);
	struct cc_error err = { 0 };
	struct image_reference ref;
	assert_int_equal(image_reference_parse("", &ref, &err), -EINVAL);
	assert_int_equal(image_reference_parse(NULL, &ref, &err), -EINVAL);
}

static void test_local(void **state)
{
	struct image_reference ref;
	assert_int_equal(image_reference_parse("localhost/app:1", &ref, NULL), 0);
	assert_true(image_reference_is_local(&ref));
	image_reference_clear(&ref);
	assert_int_equal(image_reference_parse("localhost:5000/app:1", &ref, NULL), 0);
	assert_false(image_reference_is_local(&ref));
	char *name = image_reference_name(&ref);
	assert_string_equal(name, "localhost:5000/app");
	free(name);
	image_reference_clear(&ref);
	assert_int_equal(image_reference_parse("app", &ref, NULL), 0);
	assert_false(image_reference_is_local(&ref)); /* no registry at all: the caller decides */
	image_reference_clear(&ref);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry_and_path),
		cmocka_unit_test(test_tag_and_digest),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_local),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
