/* The API object store over a real SQLite store: resourceVersions, conflicts, chunked lists, the
 * counter across a restart, and watches (history replay, 410 for a version too old, fan-out by
 * namespace). Watch streams are read through the server's side of lib/net's response streams. */
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/net/http.h"
#include "lib/net/response_stream.h"
#include "lib/store/store.h"
#include "platform/objects.h"
#include "unit.h"

#include <errno.h>

static const struct platform_resource *configmaps(void)
{
	return platform_resource_find("", "v1", "configmaps");
}

static json_t *cm(const char *ns, const char *name)
{
	return json_pack("{s:s, s:s, s:{s:s, s:s}}", "kind", "ConfigMap", "apiVersion", "v1", "metadata", "name", name,
			 "namespace", ns);
}

static const char *rv_of(const json_t *obj)
{
	return json_string_value(json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));
}

struct fixture {
	char *dir;
	struct cc_store *store;
	struct platform_objects *objects;
};

static void open_fixture(struct fixture *f)
{
	struct cc_error err = { 0 };
	char url[300];
	snprintf(url, sizeof(url), "sqlite:%s/state.db", f->dir);
	assert_int_equal(cc_store_open(url, &f->store, &err), 0);
	assert_int_equal(platform_objects_open(f->store, &f->objects, &err), 0);
}

static void close_fixture(struct fixture *f)
{
	platform_objects_close(f->objects);
	cc_store_close(f->store);
}

static void create(struct fixture *f, const char *ns, const char *name)
{
	struct cc_error err = { 0 };
	json_t *obj = cm(ns, name), *stored = NULL;
	assert_int_equal(platform_objects_create(f->objects, configmaps(), obj, &stored, &err), 0);
	json_decref(obj);
	json_decref(stored);
}

static void test_versions_and_conflicts(void **state)
{
	struct fixture f = { .dir = unit_tmpdir() };
	open_fixture(&f);
	struct cc_error err = { 0 };
	json_t *obj = cm("default", "a"), *stored = NULL, *again = NULL;
	assert_int_equal(platform_objects_create(f.objects, configmaps(), obj, &stored, &err), 0);
	assert_string_equal(rv_of(stored), "1");
	assert_int_equal(platform_objects_create(f.objects, configmaps(), obj, &again, &err), -EEXIST);
	assert_non_null(strstr(err.message, "already exists"));
	/* An update with the version read succeeds; a second one with the same version conflicts. */
	json_t *update = json_deep_copy(stored), *updated = NULL;
	assert_int_equal(platform_objects_update(f.objects, configmaps(), update, 1, &updated, &err), 0);
	assert_string_equal(rv_of(updated), "2");
	assert_int_equal(platform_objects_update(f.objects, configmaps(), update, 1, &again, &err), -ESTALE);
	assert_non_null(strstr(err.message, "the object has been modified"));
	assert_int_equal(platform_objects_delete(f.objects, configmaps(), "default", "a", 0, NULL, &err), 0);
	assert_int_equal(platform_objects_delete(f.objects, configmaps(), "default", "a", 0, NULL, &err), -ENOENT);
	/* The counter survives a restart: no version is handed out twice. */
	close_fixture(&f);
	open_fixture(&f);
	json_t *after = NULL;
	assert_int_equal(platform_objects_create(f.objects, configmaps(), obj, &after, &err), 0);
	assert_string_equal(rv_of(after), "4");
	json_decref(obj), json_decref(stored), json_decref(update), json_decref(updated), json_decref(after);
	close_fixture(&f);
	unit_rmdir(f.dir);
}

static void test_chunked_list(void **state)
{
	struct fixture f = { .dir = unit_tmpdir() };
	open_fixture(&f);
	char name[16];
	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "c%02d", i);
		create(&f, i % 2 ? "odd" : "even", name);
	}
	struct cc_error err = { 0 };
	size_t seen = 0, pages = 0;
	char *token = NULL;
	do {
		struct platform_list_options o = { .limit = 3, .continue_token = token };
		json_t *items;
		int64_t rv;
		char *next = NULL;
		assert_int_equal(platform_objects_list(f.objects, configmaps(), &o, &items, &rv, &next, &err), 0);
		assert_true(json_array_size(items) <= 3);
		seen += json_array_size(items);
		pages++;
		json_decref(items);
		free(token);
		token = next;
	} while (token);
	assert_int_equal(seen, 10);
	assert_int_equal(pages, 4);
	struct platform_list_options odd = { .namespace = "odd" };
	json_t *items;
	int64_t rv;
	char *next;
	assert_int_equal(platform_objects_list(f.objects, configmaps(), &odd, &items, &rv, &next, &err), 0);
	assert_int_equal(json_array_size(items), 5);
	assert_int_equal(rv, 10);
	json_decref(items);
	close_fixture(&f);
	unit_rmdir(f.dir);
}

/* The bytes a watch has written so far. */
static char *drain(struct cc_response_stream *s)
{
	static char buf[65536];
	bool done;
	size_t n = cc_response_stream_take(s, buf, sizeof(buf) - 1, &done);
	buf[n] = '\0';
	return buf;
}

static void test_watch(void **state)
{
	struct fixture f = { .dir = unit_tmpdir() };
	open_fixture(&f);
	create(&f, "team", "before");
	struct cc_error err = { 0 };
	/* From version 0: the objects there are now, as ADDED, then what changes. */
	struct cc_http_response resp;
	cc_http_response_init(&resp);
	struct cc_response_stream *s = cc_http_response_stream(&resp, 0);
	struct platform_list_options team = { .namespace = "team" };
	assert_int_equal(platform_objects_watch(f.objects, configmaps(), &team, 0, s, &err), 0);
	create(&f, "team", "after");
	create(&f, "elsewhere", "unseen");
	assert_int_equal(platform_objects_delete(f.objects, configmaps(), "team", "before", 0, NULL, &err), 0);
	char *out = drain(resp.stream);
	assert_non_null(strstr(out, "{\"type\":\"ADDED\",\"object\":{\"kind\":\"ConfigMap\""));
	assert_non_null(strstr(out, "\"name\":\"after\""));
	assert_null(strstr(out, "unseen"));
	assert_non_null(strstr(out, "{\"type\":\"DELETED\""));
	/* From a recent version: only what came after it. */
	struct cc_http_response resp2;
	cc_http_response_init(&resp2);
	struct cc_response_stream *s2 = cc_http_response_stream(&resp2, 0);
	assert_int_equal(platform_objects_watch(f.objects, configmaps(), &team, 2, s2, &err), 0);
	out = drain(resp2.stream);
	assert_null(strstr(out, "\"name\":\"after\""));
	assert_non_null(strstr(out, "DELETED"));
	cc_http_response_free(&resp); /* the server lets go: the watcher is told and ends */
	cc_http_response_free(&resp2);
	close_fixture(&f);
	unit_rmdir(f.dir);
}

static void test_watch_too_old(void **state)
{
	struct fixture f = { .dir = unit_tmpdir() };
	open_fixture(&f);
	char name[16];
	for (int i = 0; i < PLATFORM_WATCH_HISTORY + 10; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		create(&f, "ns", name);
	}
	struct cc_error err = { 0 };
	struct cc_http_response resp;
	cc_http_response_init(&resp);
	struct cc_response_stream *s = cc_http_response_stream(&resp, 0);
	struct platform_list_options all = { 0 };
	assert_int_equal(platform_objects_watch(f.objects, configmaps(), &all, 3, s, &err), -EXFULL);
	assert_non_null(strstr(err.message, "too old resource version"));
	cc_http_response_free(&resp);
	close_fixture(&f);
	unit_rmdir(f.dir);
}

/* The counts behind apiserver_storage_objects and apiserver_registered_watchers: kept by every
 * create and delete (an update changes nothing), taken again from the store at open. */
static void test_counts(void **state)
{
	struct fixture f = { .dir = unit_tmpdir() };
	open_fixture(&f);
	const struct platform_resource *secrets = platform_resource_find("", "v1", "secrets");
	assert_int_equal(platform_objects_count(f.objects, configmaps()), 0);
	create(&f, "a", "one");
	create(&f, "b", "two");
	create(&f, "b", "three");
	struct cc_error err = { 0 };
	json_t *obj = cm("b", "two"), *stored = NULL;
	assert_int_equal(platform_objects_update(f.objects, configmaps(), obj, 0, &stored, &err), 0);
	json_decref(obj);
	json_decref(stored);
	assert_int_equal(platform_objects_delete(f.objects, configmaps(), "a", "one", 0, NULL, &err), 0);
	assert_int_equal(platform_objects_count(f.objects, configmaps()), 2);
	assert_int_equal(platform_objects_count(f.objects, secrets), 0);
	struct cc_http_response resp;
	cc_http_response_init(&resp);
	struct platform_list_options all = { 0 };
	assert_int_equal(
	    platform_objects_watch(f.objects, configmaps(), &all, 0, cc_http_response_stream(&resp, 0), &err), 0);
	assert_int_equal(platform_objects_watch_count(f.objects, configmaps()), 1);
	assert_int_equal(platform_objects_watch_count(f.objects, secrets), 0);
	cc_http_response_free(&resp); /* the watch ends */
	assert_int_equal(platform_objects_watch_count(f.objects, configmaps()), 0);
	close_fixture(&f);
	open_fixture(&f);
	assert_int_equal(platform_objects_count(f.objects, configmaps()), 2);
	close_fixture(&f);
	unit_rmdir(f.dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_versions_and_conflicts),
		cmocka_unit_test(test_chunked_list),
		cmocka_unit_test(test_watch),
		cmocka_unit_test(test_watch_too_old),
		cmocka_unit_test(test_counts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
