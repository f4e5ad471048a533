/* The etcd v3 store backend, over etcd's JSON gateway (POST /v3/kv/range, /v3/kv/txn,
 * /v3/kv/deleterange; keys and values base64, 64-bit numbers as strings). A key's revision is its
 * etcd mod_revision; compare-and-swap is a transaction comparing it (or create_revision 0 for "must
 * not exist"). Several member URLs may be given: a request that cannot reach one member is retried
 * on the next, so the store keeps working while a minority of the cluster is down. */
#include "lib/base/error.h"
#include "lib/crypto/encode.h"
#include "lib/json/json.h"
#include "lib/net/client.h"
#include "lib/store/backend.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ETCD_MEMBERS_MAX  16
#define ETCD_TIMEOUT_MS   3000
#define ETCD_MAX_RESPONSE (64u << 20)

struct etcd_store {
	char *members[ETCD_MEMBERS_MAX];
	size_t n_members;
	size_t preferred; /* the member that answered last */
	pthread_mutex_t lock;
};

static void etcd_close(void *state)
{
	struct etcd_store *s = state;
	for (size_t i = 0; i < s->n_members; i++)
		free(s->members[i]);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static int etcd_open(const char *location, void **ret, struct cc_error *err)
{
	struct etcd_store *s = calloc(1, sizeof(*s));
	char *list = strdup(location);
	if (!s || !list) {
		free(s);
		free(list);
		return cc_error_set(err, ENOMEM, "out of memory");
	}
	pthread_mutex_init(&s->lock, NULL);
	char *save = NULL;
	for (char *url = strtok_r(list, ",", &save); url; url = strtok_r(NULL, ",", &save)) {
		if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
			cc_error_set(err, EINVAL, "store etcd member `%s` is not an http:// or https:// URL", url);
			goto fail;
		}
		if (s->n_members == ETCD_MEMBERS_MAX) {
			cc_error_set(err, EINVAL, "store etcd: at most %d members", ETCD_MEMBERS_MAX);
			goto fail;
		}
		size_t n = strlen(url);
		while (n > 0 && url[n - 1] == '/')
			url[--n] = '\0';
		s->members[s->n_members++] = strdup(url);
	}
	free(list);
	if (s->n_members == 0) {
		etcd_close(s);
		return cc_error_set(err, EINVAL, "store etcd: no member URL given");
	}
	*ret = s;
	return 0;
fail:
	free(list);
	etcd_close(s);
	return -EINVAL;
}

/* POSTs body to path on the first member that answers; the reply must be 200 with JSON. */
static int call(struct etcd_store *s, const char *path, json_t *body, json_t **ret, struct cc_error *err)
{
	struct cc_http_client_config cfg = { .timeout_ms = ETCD_TIMEOUT_MS, .max_response = ETCD_MAX_RESPONSE };
	pthread_mutex_lock(&s->lock);
	size_t first = s->preferred;
	pthread_mutex_unlock(&s->lock);
	struct cc_error last = { 0 };
	for (size_t i = 0; i < s->n_members; i++) {
		size_t m = (first + i) % s->n_members;
		char url[1024];
		snprintf(url, sizeof(url), "%s%s", s->members[m], path);
		long status;
		json_t *reply = NULL;
		cc_error_clear(&last);
		if (cc_http_client_json(&cfg, "POST", url, body, &status, &reply, &last) < 0)
			continue; /* unreachable member: try the next */
		if (status != 200 || !json_is_object(reply)) {
			const char *message = json_string_value(json_object_get(reply, "error"));
			cc_error_set(&last, status == 503 ? EAGAIN : EIO, "etcd member %s answered %ld: %s",
				     s->members[m], status, message ? message : "no JSON body");
			json_decref(reply);
			if (status >= 500)
				continue; /* e.g. a member without quorum */
			break;
		}
		pthread_mutex_lock(&s->lock);
		s->preferred = m;
		pthread_mutex_unlock(&s->lock);
		*ret = reply;
		return 0;
	}
	int code = last.code ? last.code : EIO;
	return cc_error_set(err, code, "store etcd: no member could serve %s: %s", path, cc_error_message(&last));
}

/* etcd's JSON carries int64 as strings. */
static int64_t int64_field(const json_t *obj, const char *name)
{
	const char *text = json_string_value(json_object_get(obj, name));
	return text ? strtoll(text, NULL, 10) : 0;
}

static int decode_value(const json_t *kv, char **ret_value, size_t *ret_len)
{
	const char *text = json_string_value(json_object_get(kv, "value"));
	uint8_t *value;
	size_t len;
	if (!text) { /* an empty value is omitted */
		if (!(*ret_value = calloc(1, 1)))
			return -ENOMEM;
		*ret_len = 0;
		return 0;
	}
	if (cc_base64_decode(text, strlen(text), &value, &len) < 0)
		return -EINVAL;
	*ret_value = (char *)value;
	*ret_len = len;
	return 0;
}

static int etcd_get(void *state, const char *key, char **ret_value, size_t *ret_len, int64_t *ret_revision,
		    struct cc_error *err)
{
	json_t *body = json_pack("{s:o}", "key", cc_json_base64(key, strlen(key))), *reply = NULL;
	int r = call(state, "/v3/kv/range", body, &reply, err);
	json_decref(body);
	if (r < 0)
		return r;
	json_t *kv = json_array_get(json_object_get(reply, "kvs"), 0);
	if (!kv)
		r = cc_error_set(err, ENOENT, "store: `%s` does not exist", key);
	else if (decode_value(kv, ret_value, ret_len) < 0)
		r = cc_error_set(err, EIO, "store etcd: the value of `%s` is not base64", key);
	else
		*ret_revision = int64_field(kv, "mod_revision");
	json_decref(reply);
	return r;
}

static int etcd_put(void *state, const char *key, const void *value, size_t len, int64_t expected,
		    int64_t *ret_revision, struct cc_error *err)
{
	json_t *put = json_pack("{s:{s:o, s:o}}", "request_put", "key", cc_json_base64(key, strlen(key)), "value",
				cc_json_base64(value, len));
	json_t *compare = json_array();
	if (expected != CC_STORE_ANY) {
		char revision[24];
		snprintf(revision, sizeof(revision), "%lld", (long long)expected);
		bool absent = expected == CC_STORE_ABSENT;
		json_array_append_new(compare,
				      json_pack("{s:o, s:s, s:s, s:s}", "key", cc_json_base64(key, strlen(key)),
						"target", absent ? "CREATE" : "MOD", "result", "EQUAL",
						absent ? "create_revision" : "mod_revision", revision));
	}
	json_t *body = json_pack("{s:o, s:[o]}", "compare", compare, "success", put), *reply = NULL;
	int r = call(state, "/v3/kv/txn", body, &reply, err);
	json_decref(body);
	if (r < 0)
		return r;
	if (!json_is_true(json_object_get(reply, "succeeded")))
		r = cc_error_set(err, ESTALE, "store: `%s` was changed by another writer (expected revision %lld)", key,
				 (long long)expected);
	else
		*ret_revision = int64_field(json_object_get(reply, "header"), "revision");
	json_decref(reply);
	return r;
}

static int etcd_remove(void *state, const char *key, struct cc_error *err)
{
	json_t *body = json_pack("{s:o}", "key", cc_json_base64(key, strlen(key))), *reply = NULL;
	int r = call(state, "/v3/kv/deleterange", body, &reply, err);
	json_decref(body);
	if (r < 0)
		return r;
	if (int64_field(reply, "deleted") != 1)
		r = cc_error_set(err, ENOENT, "store: `%s` does not exist", key);
	json_decref(reply);
	return r;
}

/* The end of a prefix range: the prefix with its last byte incremented (etcd's convention);
 * "\0" (all keys) for an empty prefix. */
static json_t *range_end(const char *prefix)
{
	size_t n = strlen(prefix);
	if (n == 0)
		return cc_json_base64("", 1);
	char end[1025];
	memcpy(end, prefix, n);
	while (n > 0 && (unsigned char)end[n - 1] == 0xff)
		n--;
	if (n == 0)
		return cc_json_base64("", 1);
	end[n - 1]++;
	return cc_json_base64(end, n);
}

static int etcd_list(void *state, const char *prefix, cc_store_visit_fn visit, void *userdata, struct cc_error *err)
{
	if (strlen(prefix) > 1024)
		return cc_error_set(err, EINVAL, "a store prefix must be at most 1024 bytes");
	json_t *body = json_pack("{s:o, s:o}", "key",
				 cc_json_base64(prefix[0] ? prefix : "", prefix[0] ? strlen(prefix) : 1), "range_end",
				 range_end(prefix)),
	       *reply = NULL;
	int r = call(state, "/v3/kv/range", body, &reply, err);
	json_decref(body);
	if (r < 0)
		return r;
	size_t i;
	json_t *kv;
	json_array_foreach (json_object_get(reply, "kvs"), i, kv) {
		const char *key_text = json_string_value(json_object_get(kv, "key"));
		uint8_t *key = NULL;
		size_t key_len;
		char *value = NULL;
		size_t len;
		if (!key_text || cc_base64_decode(key_text, strlen(key_text), &key, &key_len) < 0 ||
		    decode_value(kv, &value, &len) < 0) {
			free(key);
			r = cc_error_set(err, EIO, "store etcd: a listed entry is not base64");
			break;
		}
		r = visit((const char *)key, value, len, int64_field(kv, "mod_revision"), userdata);
		free(key);
		free(value);
		if (r < 0)
			break;
	}
	json_decref(reply);
	return r;
}

const struct cc_store_backend cc_store_etcd = {
	.scheme = "etcd",
	.open = etcd_open,
	.close = etcd_close,
	.get = etcd_get,
	.put = etcd_put,
	.remove = etcd_remove,
	.list = etcd_list,
};
