/* platform/protobuf.c: the bodies kubectl 1.33 really sends (captured from it, in protobuf/), their
 * JSON compared with what `kubectl create ... --dry-run=client -o json` prints for the same command
 * less its null and {} members, and malformed bodies made with a small encoder below. */
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "platform/protobuf.h"
#include "unit.h"

#include <errno.h>

/* ---- Helpers ---- */

static json_t *parse(const char *text)
{
	struct cc_error err = { 0 };
	json_t *v;
	if (cc_json_parse(text, strlen(text), CC_JSON_MAX_SIZE, "test", &v, &err) < 0)
		fail_msg("bad test JSON: %s: %s", err.message, text);
	return v;
}

static void assert_json_named(const char *what, const json_t *got, const char *want_text)
{
	json_t *want = parse(want_text);
	if (!json_equal(got, want)) {
		char *g = cc_json_canonical(got), *w = cc_json_canonical(want);
		fail_msg("%s:\ngot  %s\nwant %s", what, g, w);
	}
	json_decref(want);
}

static void assert_json(const json_t *got, const char *want_text)
{
	assert_json_named("decoded", got, want_text);
}

static uint8_t *load_fixture(const char *name, size_t *ret_len)
{
	const char *root = getenv("COCOON_SOURCE_ROOT");
	if (!root)
		fail_msg("COCOON_SOURCE_ROOT is not set: run the test through meson (it sets it)");
	char path[4096];
	snprintf(path, sizeof(path), "%s/tests/unit/platform/protobuf/%s", root, name);
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open fixture %s", path);
	uint8_t *data = malloc(65536);
	assert_non_null(data);
	*ret_len = fread(data, 1, 65536, f);
	fclose(f);
	return data;
}

static json_t *decode_ok(const void *data, size_t len)
{
	struct cc_error err = { 0 };
	json_t *out = NULL;
	int r = platform_protobuf_decode(data, len, &out, &err);
	if (r != 0)
		fail_msg("decode failed (%d): %s", r, err.message);
	assert_non_null(out);
	return out;
}

static void expect_error(const void *data, size_t len, int code, const char *word)
{
	struct cc_error err = { 0 };
	json_t *out = NULL;
	int r = platform_protobuf_decode(data, len, &out, &err);
	if (r != code)
		fail_msg("want %d, got %d (%s)", code, r, err.message);
	assert_null(out);
	if (word && !strstr(err.message, word))
		fail_msg("`%s` not in the message: %s", word, err.message);
}

/* No member of an object is "", 0, false, {}, [] or null unless its path is in allowed (members of
 * maps and list elements are data, which the caller lists). */
static void assert_no_noise(const json_t *v, const char *path, const char *const *allowed)
{
	const char *key;
	json_t *member;
	char child[512];
	if (json_is_array(v)) {
		for (size_t i = 0; i < json_array_size(v); i++) {
			snprintf(child, sizeof(child), "%s/%zu", path, i);
			assert_no_noise(json_array_get(v, i), child, allowed);
		}
		return;
	}
	json_object_foreach ((json_t *)v, key, member) {
		snprintf(child, sizeof(child), "%s/%s", path, key);
		bool zero = json_is_null(member) || json_is_false(member) ||
			    (json_is_string(member) && json_string_length(member) == 0) ||
			    (json_is_integer(member) && json_integer_value(member) == 0) ||
			    (json_is_object(member) && json_object_size(member) == 0) ||
			    (json_is_array(member) && json_array_size(member) == 0);
		bool ok = !zero;
		for (size_t i = 0; allowed && allowed[i] && !ok; i++)
			ok = strcmp(allowed[i], child) == 0;
		if (!ok)
			fail_msg("zero-valued member %s", child);
		assert_no_noise(member, child, allowed);
	}
}

/* A growable protobuf encoder, enough to write the bodies the tests need. */
struct pb {
	uint8_t *data;
	size_t len, cap;
};

static void pb_put(struct pb *b, const void *data, size_t len)
{
	if (b->len + len > b->cap) {
		b->cap = (b->len + len) * 2 + 64;
		b->data = realloc(b->data, b->cap);
		assert_non_null(b->data);
	}
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
}

static void pb_varint(struct pb *b, uint64_t v)
{
	do {
		uint8_t byte = (uint8_t)(v & 0x7f) | (v > 0x7f ? 0x80 : 0);
		pb_put(b, &byte, 1);
		v >>= 7;
	} while (v);
}

static void pb_tag(struct pb *b, uint32_t field, unsigned wire)
{
	pb_varint(b, (uint64_t)field << 3 | wire);
}

static void pb_uint(struct pb *b, uint32_t field, uint64_t v)
{
	pb_tag(b, field, 0);
	pb_varint(b, v);
}

static void pb_bytes(struct pb *b, uint32_t field, const void *data, size_t len)
{
	pb_tag(b, field, 2);
	pb_varint(b, len);
	pb_put(b, data, len);
}

static void pb_str(struct pb *b, uint32_t field, const char *s)
{
	pb_bytes(b, field, s, strlen(s));
}

/* Appends m as field and frees it. */
static void pb_msg(struct pb *b, uint32_t field, struct pb *m)
{
	pb_bytes(b, field, m->data, m->len);
	free(m->data);
	*m = (struct pb){ 0 };
}

/* "k8s\0" + runtime.Unknown{typeMeta{apiVersion, kind}, raw}; frees raw. */
static struct pb body(const char *api_version, const char *kind, struct pb *raw)
{
	struct pb out = { 0 }, type_meta = { 0 }, unknown = { 0 };
	pb_put(&out, "k8s\0", 4);
	pb_str(&type_meta, 1, api_version);
	pb_str(&type_meta, 2, kind);
	pb_msg(&unknown, 1, &type_meta);
	pb_msg(&unknown, 2, raw);
	pb_put(&out, unknown.data, unknown.len);
	free(unknown.data);
	return out;
}

static void expect_body(struct pb *b, const char *want)
{
	json_t *got = decode_ok(b->data, b->len);
	assert_json(got, want);
	json_decref(got);
	free(b->data);
	*b = (struct pb){ 0 };
}

static void expect_body_error(struct pb *b, int code, const char *word)
{
	expect_error(b->data, b->len, code, word);
	free(b->data);
	*b = (struct pb){ 0 };
}

/* ---- What kubectl 1.33 sends ---- */

struct fixture {
	const char *file;
	const char *want;
	const char *allowed[4]; /* zero-valued members that are data or pointers */
};

static const struct fixture fixtures[] = {
	{ "namespace.pb", "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"pbtest\"}}", { 0 } },
	{ "serviceaccount.pb",
	  "{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\",\"metadata\":{\"name\":\"robot\"}}",
	  { 0 } },
	{ "deployment.pb",
	  "{\"apiVersion\":\"apps/"
	  "v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\",\"labels\":{\"app\":\"web\"}},"
	  "\"spec\":{\"replicas\":1,\"selector\":{\"matchLabels\":{\"app\":\"web\"}},\"template\":{\"metadata\":{"
	  "\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":[{\"name\":\"nginx\",\"image\":\"nginx:1.25\"}]}}}}",
	  { 0 } },
	/* replicas is *int32: its 0 is kept */
	{ "deployment-replicas-0-port.pb",
	  "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"idle\",\"labels\":{\"app\":"
	  "\"idle\"}},\"spec\":{\"replicas\":0,\"selector\":{\"matchLabels\":{\"app\":\"idle\"}},\"template\":{"
	  "\"metadata\":{\"labels\":{\"app\":\"idle\"}},\"spec\":{\"containers\":[{\"name\":\"busybox\",\"image\":"
	  "\"busybox:1.36\",\"command\":[\"sleep\",\"3600\"],\"ports\":[{\"containerPort\":8080}]}]}}}}",
	  { "/spec/replicas" } },
	{ "service-clusterip.pb",
	  "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"api\",\"labels\":{\"app\":\"api\"}},"
	  "\"spec\":{\"ports\":[{\"name\":\"80-8080\",\"protocol\":\"TCP\",\"port\":80,\"targetPort\":8080},{\"name\":"
	  "\"443-8443\",\"protocol\":\"TCP\",\"port\":443,\"targetPort\":8443}],\"selector\":{\"app\":\"api\"},"
	  "\"type\":\"ClusterIP\"}}",
	  { 0 } },
	{ "service-nodeport.pb",
	  "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"edge\",\"labels\":{\"app\":\"edge\"}},"
	  "\"spec\":{\"ports\":[{\"name\":\"8080-80\",\"protocol\":\"TCP\",\"port\":8080,\"targetPort\":80,"
	  "\"nodePort\":30080}],\"selector\":{\"app\":\"edge\"},\"type\":\"NodePort\"}}",
	  { 0 } },
	/* map<string, bytes>: base64, and an empty value is data */
	{ "secret-generic.pb",
	  "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"creds\"},\"data\":{\"empty\":\"\","
	  "\"user\":\"YWRtaW4=\"}}",
	  { "/data/empty" } },
	{ "configmap.pb",
	  "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"settings\"},\"data\":{\"blank\":\"\","
	  "\"mode\":\"fast\"}}",
	  { "/data/blank" } },
	/* apiGroups [""] is the core group: list elements are kept */
	{ "role.pb",
	  "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"Role\",\"metadata\":{\"name\":\"reader\"},"
	  "\"rules\":[{\"verbs\":[\"get\",\"list\",\"watch\"],\"apiGroups\":[\"\"],\"resources\":[\"pods\","
	  "\"services\"],"
	  "\"resourceNames\":[\"web\"]}]}",
	  { 0 } },
	{ "clusterrole.pb",
	  "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"ClusterRole\",\"metadata\":{\"name\":"
	  "\"node-viewer\"},\"rules\":[{\"verbs\":[\"get\"],\"apiGroups\":[\"\"],\"resources\":[\"nodes\"]},{\"verbs\":"
	  "[\"get\"],\"nonResourceURLs\":[\"/healthz\"]}]}",
	  { 0 } },
	{ "clusterrole-aggregation.pb",
	  "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"ClusterRole\",\"metadata\":{\"name\":\"agg\"},"
	  "\"aggregationRule\":{\"clusterRoleSelectors\":[{\"matchLabels\":{\"rbac.example.com/"
	  "aggregate\":\"true\"}}]}}",
	  { 0 } },
	{ "rolebinding.pb",
	  "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"RoleBinding\",\"metadata\":{\"name\":"
	  "\"reader-binding\"},\"subjects\":[{\"kind\":\"User\",\"apiGroup\":\"rbac.authorization.k8s.io\",\"name\":"
	  "\"alice\"},{\"kind\":\"ServiceAccount\",\"name\":\"robot\",\"namespace\":\"default\"}],\"roleRef\":{"
	  "\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"Role\",\"name\":\"reader\"}}",
	  { 0 } },
	{ "clusterrolebinding.pb",
	  "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"ClusterRoleBinding\",\"metadata\":{\"name\":"
	  "\"viewers\"},\"subjects\":[{\"kind\":\"Group\",\"apiGroup\":\"rbac.authorization.k8s.io\",\"name\":\"devs\"}"
	  "],"
	  "\"roleRef\":{\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"ClusterRole\",\"name\":\"node-viewer\"}}",
	  { 0 } },
	/* `kubectl create token default`: an empty spec, which JSON would write as {} */
	{ "token-default.pb", "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"TokenRequest\"}", { 0 } },
	/* --duration=10m --audience=...: expirationSeconds is *int64 */
	{ "token-duration-audience.pb",
	  "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"TokenRequest\",\"spec\":{\"audiences\":["
	  "\"https://example.com\"],\"expirationSeconds\":600}}",
	  { 0 } },
	/* `kubectl auth can-i get pods`, `kubectl auth whoami` */
	{ "selfsubjectaccessreview.pb",
	  "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SelfSubjectAccessReview\",\"spec\":{"
	  "\"resourceAttributes\":{\"namespace\":\"default\",\"verb\":\"get\",\"resource\":\"pods\"}}}",
	  { 0 } },
	{ "selfsubjectreview.pb",
	  "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"SelfSubjectReview\"}",
	  { 0 } },
};

static void test_kubectl_bodies(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
		size_t len;
		uint8_t *data = load_fixture(fixtures[i].file, &len);
		json_t *got = decode_ok(data, len);
		assert_json_named(fixtures[i].file, got, fixtures[i].want);
		assert_no_noise(got, "", fixtures[i].allowed);
		json_decref(got);
		free(data);
	}
}

/* Kinds without a schema (kubectl create quota, kubectl create job) are refused by name. */
static void test_kind_without_schema(void **state)
{
	(void)state;
	size_t len;
	uint8_t *data = load_fixture("resourcequota.pb", &len);
	expect_error(data, len, -ENOTSUP, "ResourceQuota");
	free(data);
	data = load_fixture("job.pb", &len);
	expect_error(data, len, -ENOTSUP, "batch/v1");
	free(data);
}

/* Every prefix of every real body decodes or fails with -EINVAL, never anything else. A prefix that
 * decodes ends between runtime.Unknown's fields: before raw (the object is then empty) or among the
 * empty fields after it (the object is then whole). */
static void test_truncated_bodies(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
		size_t len;
		uint8_t *data = load_fixture(fixtures[i].file, &len);
		json_t *whole = decode_ok(data, len), *empty = json_object();
		json_object_set(empty, "apiVersion", json_object_get(whole, "apiVersion"));
		json_object_set(empty, "kind", json_object_get(whole, "kind"));
		for (size_t cut = 0; cut < len; cut++) {
			uint8_t *prefix = malloc(cut ? cut : 1); /* exactly cut bytes, so ASan sees an overread */
			memcpy(prefix, data, cut);
			struct cc_error err = { 0 };
			json_t *out = NULL;
			int r = platform_protobuf_decode(prefix, cut, &out, &err);
			if (r == 0) {
				assert_true(json_equal(out, whole) || json_equal(out, empty));
				json_decref(out);
			} else if (r != -EINVAL) {
				fail_msg("%s cut at %zu: %d (%s)", fixtures[i].file, cut, r, err.message);
			}
			free(prefix);
		}
		json_decref(whole);
		json_decref(empty);
		free(data);
	}
}

/* ---- The envelope ---- */

static void test_bad_envelope(void **state)
{
	(void)state;
	expect_error("", 0, -EINVAL, "magic");
	expect_error("k8s", 3, -EINVAL, "magic");
	expect_error("{\"kind\":\"Namespace\"}", 20, -EINVAL, "magic");
	expect_error("k8t\0\x0a\x00", 6, -EINVAL, "magic");
	/* magic and nothing else: no typeMeta */
	expect_error("k8s\0", 4, -EINVAL, "kind");

	struct pb raw = { 0 }, b = body("v1", "Namespace", &raw);
	pb_bytes(&b, 3, "gzip", 4); /* contentEncoding */
	expect_body_error(&b, -ENOTSUP, "content encoding");
	b = body("v1", "Namespace", &raw);
	pb_str(&b, 4, "application/json"); /* contentType of raw */
	expect_body_error(&b, -ENOTSUP, "not protobuf");
	b = body("v1", "Namespace", &raw);
	pb_str(&b, 4, PLATFORM_PROTOBUF_CONTENT_TYPE);
	expect_body(&b, "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\"}");
	/* a kind of another group-version is not the same kind */
	b = body("apps/v1", "Namespace", &raw);
	expect_body_error(&b, -ENOTSUP, "Namespace of apps/v1");
	/* meta/v1 DeleteOptions is in every group-version */
	pb_uint(&raw, 1, 0); /* gracePeriodSeconds is *int64 */
	pb_str(&raw, 4, "Foreground");
	b = body("apps/v1", "DeleteOptions", &raw);
	expect_body(&b, "{\"apiVersion\":\"apps/v1\",\"kind\":\"DeleteOptions\",\"gracePeriodSeconds\":0,"
			"\"propagationPolicy\":\"Foreground\"}");

	uint8_t *big = calloc(1, PLATFORM_PROTOBUF_MAX_SIZE + 1);
	memcpy(big, "k8s", 4);
	expect_error(big, PLATFORM_PROTOBUF_MAX_SIZE + 1, -E2BIG, "bytes");
	free(big);
}

/* ---- The wire format ---- */

static void test_malformed_wire(void **state)
{
	(void)state;
	struct pb b = { 0 }, raw = { 0 };

	/* a truncated varint: a continuation bit on the last byte */
	pb_put(&b, "k8s\0\x0a\x80", 6);
	expect_body_error(&b, -EINVAL, "truncated varint");
	/* eleven bytes of varint */
	pb_put(&b, "k8s\0\x0a", 5);
	pb_put(&b, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11);
	expect_body_error(&b, -EINVAL, "longer than 64 bits");
	/* a length prefix of 2^64-1 and of 2^31 in a body of a few bytes */
	pb_put(&b, "k8s\0\x12", 5);
	pb_varint(&b, UINT64_MAX);
	expect_body_error(&b, -EINVAL, "runs past");
	pb_tag(&raw, 1, 2);
	pb_varint(&raw, 1u << 31);
	b = body("v1", "Namespace", &raw);
	expect_body_error(&b, -EINVAL, "runs past");
	/* field number 0, and a group */
	pb_put(&raw, "\x02\x00", 2);
	b = body("v1", "Namespace", &raw);
	expect_body_error(&b, -EINVAL, "field number 0");
	pb_tag(&raw, 9, 3);
	b = body("v1", "Namespace", &raw);
	expect_body_error(&b, -EINVAL, "wire type 3");
	/* a fixed-width value cut short */
	pb_tag(&raw, 9, 1);
	pb_put(&raw, "\x01\x02\x03", 3);
	b = body("v1", "Namespace", &raw);
	expect_body_error(&b, -EINVAL, "truncated 8-byte");
}

static void test_wrong_wire_type(void **state)
{
	(void)state;
	struct pb raw = { 0 }, meta = { 0 }, entry = { 0 }, b;

	/* Namespace.metadata is a message: a varint there is refused, by path */
	pb_uint(&raw, 1, 7);
	b = body("v1", "Namespace", &raw);
	expect_body_error(&b, -EINVAL, "`Namespace.metadata` (field 1) has wire type 0");
	/* ObjectMeta.generation is an int64, not a string */
	pb_str(&meta, 7, "1");
	pb_msg(&raw, 1, &meta);
	b = body("v1", "Namespace", &raw);
	expect_body_error(&b, -EINVAL,
			  "metadata: `ObjectMeta.generation` (field 7) has wire type 2; int64 needs wire type 0");
	/* a map value of the wrong wire type (ConfigMap.data is map<string, string>) */
	pb_str(&entry, 1, "k");
	pb_uint(&entry, 2, 5);
	pb_msg(&raw, 2, &entry);
	b = body("v1", "ConfigMap", &raw);
	expect_body_error(&b, -EINVAL, "data: a map entry's value has wire type 0");
	/* a built-in type's field: Time.seconds as a string */
	struct pb event = { 0 }, time = { 0 };
	pb_str(&time, 1, "soon");
	pb_msg(&event, 6, &time);
	b = body("v1", "Event", &event);
	expect_body_error(&b, -EINVAL, "firstTimestamp: Time field 1 has wire type 2");
}

/* Each level of ControllerRevision.data (a RawExtension holding a nested object) is two messages
 * deeper; 40 levels pass PLATFORM_PROTOBUF_MAX_DEPTH. */
static struct pb nested_revisions(int levels)
{
	struct pb inner = { 0 };
	struct pb b = body("apps/v1", "ControllerRevision", &inner);
	for (int i = 0; i < levels; i++) {
		struct pb raw = { 0 }, extension = { 0 };
		pb_bytes(&extension, 1, b.data, b.len);
		free(b.data);
		pb_msg(&raw, 2, &extension);
		pb_uint(&raw, 3, (uint64_t)i + 1);
		b = body("apps/v1", "ControllerRevision", &raw);
	}
	return b;
}

static void test_nesting(void **state)
{
	(void)state;
	struct pb b = nested_revisions(2);
	expect_body(&b, "{\"apiVersion\":\"apps/v1\",\"kind\":\"ControllerRevision\",\"revision\":2,\"data\":{"
			"\"apiVersion\":\"apps/v1\",\"kind\":\"ControllerRevision\",\"revision\":1,\"data\":{"
			"\"apiVersion\":\"apps/v1\",\"kind\":\"ControllerRevision\"}}}");
	b = nested_revisions(40);
	expect_body_error(&b, -EINVAL, "nest deeper than 64");

	/* JSON in a RawExtension counts towards the JSON nesting limit of the whole */
	char deep[2 * CC_JSON_MAX_DEPTH + 1];
	memset(deep, '[', CC_JSON_MAX_DEPTH);
	memset(deep + CC_JSON_MAX_DEPTH, ']', CC_JSON_MAX_DEPTH);
	deep[2 * CC_JSON_MAX_DEPTH] = '\0';
	struct pb raw = { 0 }, extension = { 0 };
	pb_str(&extension, 1, deep);
	pb_msg(&raw, 2, &extension);
	b = body("apps/v1", "ControllerRevision", &raw);
	expect_body_error(&b, -EINVAL, "nests deeper");
	pb_str(&extension, 1, "{\"a\":");
	pb_msg(&raw, 2, &extension);
	b = body("apps/v1", "ControllerRevision", &raw);
	expect_body_error(&b, -EINVAL, "RawExtension: invalid JSON");
}

/* Two bytes of protobuf per JSON value could make a 4 MiB body allocate gigabytes. */
static void test_value_budget(void **state)
{
	(void)state;
	struct pb raw = { 0 }, b;
	for (unsigned i = 0; i <= PLATFORM_PROTOBUF_MAX_VALUES; i++)
		pb_put(&raw, "\x12\x00", 2); /* ConfigMap.data entry {} */
	b = body("v1", "ConfigMap", &raw);
	expect_body_error(&b, -E2BIG, "JSON values");
}

/* ---- Values ---- */

static void test_strings(void **state)
{
	(void)state;
	struct pb raw = { 0 }, meta = { 0 }, b;
	/* invalid UTF-8 becomes U+FFFD byte by byte, as Go's JSON encoder writes it */
	pb_str(&meta, 1,
	       "a\xff"
	       "b\xe2\x82");
	pb_msg(&raw, 1, &meta);
	b = body("v1", "Namespace", &raw);
	expect_body(
	    &b, "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"a\\ufffdb\\ufffd\\ufffd\"}}");
	/* NUL is refused, as cocoond's JSON parser refuses \u0000 */
	pb_bytes(&meta, 1, "a\0b", 3);
	pb_msg(&raw, 1, &meta);
	b = body("v1", "Namespace", &raw);
	expect_body_error(&b, -EINVAL, "NUL");
	struct pb type_meta = { 0 }, unknown = { 0 };
	pb_str(&type_meta, 1, "v1");
	pb_bytes(&type_meta, 2, "Name\0space", 10);
	pb_msg(&unknown, 1, &type_meta);
	pb_put(&b, "k8s\0", 4);
	pb_put(&b, unknown.data, unknown.len);
	free(unknown.data);
	expect_body_error(&b, -EINVAL, "NUL");
}

/* Pointers keep their zero, other scalars lose it; an inline struct's members join the parent; an
 * empty pointer struct (emptyDir: {}) stays. */
static void test_zero_values_and_pointers(void **state)
{
	(void)state;
	struct pb raw = { 0 }, meta = { 0 }, b;
	pb_str(&meta, 1, "robot");
	pb_str(&meta, 2, "");
	pb_uint(&meta, 7, 0);
	pb_msg(&raw, 1, &meta);
	pb_uint(&raw, 4, 0); /* automountServiceAccountToken *bool false */
	b = body("v1", "ServiceAccount", &raw);
	expect_body(&b, "{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\",\"metadata\":{\"name\":\"robot\"},"
			"\"automountServiceAccountToken\":false}");

	struct pb spec = { 0 }, volume = { 0 }, source = { 0 }, empty_dir = { 0 }, container = { 0 }, sc = { 0 };
	pb_str(&volume, 1, "scratch");
	pb_msg(&source, 2, &empty_dir); /* VolumeSource.emptyDir, *EmptyDirVolumeSource */
	pb_msg(&volume, 2, &source);    /* Volume.volumeSource, inline */
	pb_msg(&spec, 1, &volume);
	pb_str(&container, 1, "app");
	pb_uint(&sc, 2, 0); /* SecurityContext.privileged *bool */
	pb_uint(&sc, 6, 1); /* readOnlyRootFilesystem */
	pb_msg(&container, 15, &sc);
	pb_uint(&container, 16, 0); /* stdin bool: dropped */
	pb_msg(&spec, 2, &container);
	pb_uint(&spec, 11, 0); /* hostNetwork bool: dropped */
	pb_msg(&raw, 2, &spec);
	b = body("v1", "Pod", &raw);
	expect_body(&b, "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"spec\":{\"volumes\":[{\"name\":\"scratch\","
			"\"emptyDir\":{}}],\"containers\":[{\"name\":\"app\",\"securityContext\":{\"privileged\":false,"
			"\"readOnlyRootFilesystem\":true}}]}}");
}

/* Protobuf lets the last occurrence of a field win, a zero one too, and merges a message that occurs
 * twice; unknown fields of every wire type are skipped. */
static void test_last_wins_merge_and_unknown(void **state)
{
	(void)state;
	struct pb raw = { 0 }, meta = { 0 }, b;
	pb_str(&meta, 1, "first");
	pb_str(&meta, 3, "ns");
	pb_str(&meta, 1, "second");
	pb_str(&meta, 3, ""); /* namespace back to empty: gone */
	pb_uint(&meta, 99, 1);
	pb_tag(&meta, 98, 1);
	pb_put(&meta, "12345678", 8);
	pb_tag(&meta, 97, 5);
	pb_put(&meta, "1234", 4);
	pb_str(&meta, 96, "unknown");
	pb_msg(&raw, 1, &meta);
	struct pb labels = { 0 };
	pb_str(&labels, 1, "app");
	pb_str(&labels, 2, "web");
	pb_msg(&meta, 11, &labels);
	pb_msg(&raw, 1, &meta); /* metadata again: merged */
	b = body("v1", "Namespace", &raw);
	expect_body(&b, "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"second\","
			"\"labels\":{\"app\":\"web\"}}}");
}

static void test_special_types(void **state)
{
	(void)state;
	/* Event: Time in whole seconds (its nanos are dropped), MicroTime with six digits */
	struct pb raw = { 0 }, time = { 0 }, micro = { 0 }, b;
	pb_uint(&time, 1, 1796033872);
	pb_uint(&time, 2, 999999999);
	pb_msg(&raw, 6, &time);
	pb_uint(&micro, 1, 1796033872);
	pb_uint(&micro, 2, 123456789);
	pb_msg(&raw, 10, &micro);
	struct pb epoch = { 0 };
	pb_uint(&epoch, 1, 0); /* lastTimestamp: seconds 0 is the epoch; only an empty message is the zero time */
	pb_msg(&raw, 7, &epoch);
	pb_uint(&raw, 8, (uint64_t)-3); /* count int32 -3, sign-extended to ten bytes */
	b = body("v1", "Event", &raw);
	expect_body(&b, "{\"apiVersion\":\"v1\",\"kind\":\"Event\",\"firstTimestamp\":\"2026-11-30T10:17:52Z\","
			"\"eventTime\":\"2026-11-30T10:17:52.123456Z\",\"count\":-3,"
			"\"lastTimestamp\":\"1970-01-01T00:00:00Z\"}");
	struct pb far = { 0 };
	pb_uint(&far, 1, (uint64_t)INT64_MAX);
	pb_msg(&raw, 6, &far);
	b = body("v1", "Event", &raw);
	expect_body_error(&b, -EINVAL, "years 1677 to 2262");

	/* IntOrString as a number and as a string; a pointer IntOrString keeps 0 */
	struct pb spec = { 0 }, strategy = { 0 }, rolling = { 0 }, ios = { 0 };
	pb_uint(&ios, 1, 1);
	pb_str(&ios, 3, "25%");
	pb_msg(&rolling, 2, &ios);
	pb_msg(&rolling, 1, &ios); /* empty: type 0, intVal 0 */
	pb_msg(&strategy, 2, &rolling);
	pb_str(&strategy, 1, "RollingUpdate");
	pb_msg(&spec, 4, &strategy);
	pb_msg(&raw, 2, &spec);
	b = body("apps/v1", "Deployment", &raw);
	expect_body(&b, "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"spec\":{\"strategy\":{\"rollingUpdate\":"
			"{\"maxSurge\":\"25%\",\"maxUnavailable\":0},\"type\":\"RollingUpdate\"}}}");
	pb_uint(&ios, 1, 2);
	pb_msg(&rolling, 1, &ios);
	pb_msg(&strategy, 2, &rolling);
	pb_msg(&spec, 4, &strategy);
	pb_msg(&raw, 2, &spec);
	b = body("apps/v1", "Deployment", &raw);
	expect_body_error(&b, -EINVAL, "IntOrString type 2");

	/* Quantity in a ResourceList map; packed and unpacked repeated int64 */
	struct pb pod_spec = { 0 }, container = { 0 }, resources = { 0 }, entry = { 0 }, quantity = { 0 };
	struct pb security = { 0 }, packed = { 0 };
	pb_str(&quantity, 1, "500m");
	pb_str(&entry, 1, "cpu");
	pb_msg(&entry, 2, &quantity);
	pb_msg(&resources, 1, &entry);
	pb_str(&entry, 1, "memory"); /* no value: the zero quantity */
	pb_msg(&resources, 2, &entry);
	pb_str(&container, 1, "app");
	pb_msg(&container, 8, &resources);
	pb_msg(&pod_spec, 2, &container);
	pb_uint(&security, 4, 1000);
	pb_varint(&packed, 2000);
	pb_varint(&packed, 3000);
	pb_msg(&security, 4, &packed);
	pb_msg(&pod_spec, 14, &security);
	pb_msg(&raw, 2, &pod_spec);
	b = body("v1", "Pod", &raw);
	expect_body(&b, "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"spec\":{\"containers\":[{\"name\":\"app\","
			"\"resources\":{\"limits\":{\"cpu\":\"500m\"},\"requests\":{\"memory\":\"0\"}}}],"
			"\"securityContext\":{\"supplementalGroups\":[1000,2000,3000]}}}");

	/* map<string, ExtraValue>: a string list; FieldsV1 as JSON */
	struct pb sar = { 0 }, extra = { 0 }, list = { 0 }, managed = { 0 }, fields = { 0 };
	pb_str(&list, 1, "a");
	pb_str(&list, 1, "b");
	pb_str(&extra, 1, "scopes");
	pb_msg(&extra, 2, &list);
	pb_msg(&sar, 5, &extra);
	pb_str(&sar, 3, "alice");
	pb_msg(&raw, 2, &sar);
	b = body("authorization.k8s.io/v1", "SubjectAccessReview", &raw);
	expect_body(&b, "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SubjectAccessReview\",\"spec\":{"
			"\"extra\":{\"scopes\":[\"a\",\"b\"]},\"user\":\"alice\"}}");
	struct pb meta = { 0 };
	pb_str(&fields, 1, "{\"f:metadata\":{\"f:labels\":{}}}");
	pb_str(&managed, 1, "kubectl");
	pb_msg(&managed, 7, &fields);
	pb_msg(&meta, 17, &managed);
	pb_msg(&raw, 1, &meta);
	b = body("v1", "Namespace", &raw);
	expect_body(&b, "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"managedFields\":[{"
			"\"manager\":\"kubectl\",\"fieldsV1\":{\"f:metadata\":{\"f:labels\":{}}}}]}}");
}

/* A pod spec through most of what PodSpec nests: inline volume sources (an empty emptyDir kept, a
 * configMap's inline LocalObjectReference, a projected token), env from the downward API, resources,
 * a probe with a named port (IntOrString), both security contexts, affinity, tolerations and a
 * topology spread constraint. */
static void test_pod_spec(void **state)
{
	(void)state;
	struct pb raw = { 0 }, meta = { 0 }, spec = { 0 }, status = { 0 }, v = { 0 }, src = { 0 }, x = { 0 }, y = { 0 };
	struct pb z = { 0 }, c = { 0 }, b;
	pb_str(&meta, 1, "web");
	pb_str(&meta, 3, "default");
	pb_msg(&raw, 1, &meta);

	pb_str(&v, 1, "data");
	pb_msg(&src, 2, &x); /* emptyDir {} */
	pb_msg(&v, 2, &src);
	pb_msg(&spec, 1, &v);
	pb_str(&v, 1, "cfg");
	pb_str(&y, 1, "settings");
	pb_msg(&x, 1, &y); /* ConfigMapVolumeSource.localObjectReference, inline */
	pb_uint(&x, 3, 420);
	pb_msg(&src, 19, &x);
	pb_msg(&v, 2, &src);
	pb_msg(&spec, 1, &v);
	pb_str(&v, 1, "tok");
	pb_str(&z, 1, "api");
	pb_uint(&z, 2, 3600);
	pb_str(&z, 3, "token");
	pb_msg(&y, 4, &z);
	pb_msg(&x, 1, &y);
	pb_msg(&src, 26, &x);
	pb_msg(&v, 2, &src);
	pb_msg(&spec, 1, &v);

	pb_str(&c, 1, "app");
	pb_str(&c, 2, "nginx");
	pb_uint(&x, 3, 80);
	pb_str(&x, 4, "TCP");
	pb_msg(&c, 6, &x);
	pb_str(&z, 2, "metadata.name");
	pb_msg(&y, 1, &z);
	pb_str(&x, 1, "A");
	pb_msg(&x, 3, &y);
	pb_msg(&c, 7, &x);
	pb_str(&z, 1, "cpu");
	pb_str(&y, 1, "500m");
	pb_msg(&z, 2, &y);
	pb_msg(&x, 1, &z);
	pb_msg(&c, 8, &x);
	pb_uint(&z, 1, 1);
	pb_str(&z, 3, "http");
	pb_str(&y, 1, "/healthz");
	pb_msg(&y, 2, &z);
	pb_msg(&x, 2, &y); /* ProbeHandler.httpGet */
	pb_msg(&y, 1, &x); /* Probe.handler, inline */
	pb_uint(&y, 2, 3);
	pb_msg(&c, 10, &y);
	pb_uint(&x, 2, 0);
	pb_str(&y, 2, "ALL");
	pb_msg(&x, 1, &y);
	pb_str(&y, 1, "RuntimeDefault");
	pb_msg(&x, 11, &y);
	pb_msg(&c, 15, &x);
	pb_msg(&spec, 2, &c);

	pb_str(&spec, 3, "Always");
	pb_uint(&spec, 4, 0); /* terminationGracePeriodSeconds *int64 */
	pb_uint(&x, 2, 1000);
	pb_msg(&spec, 14, &x);
	pb_str(&z, 1, "zone");
	pb_str(&z, 2, "In");
	pb_str(&z, 3, "a");
	pb_msg(&y, 1, &z);
	pb_msg(&z, 1, &y);
	pb_msg(&y, 1, &z);
	pb_msg(&x, 1, &y);
	pb_msg(&spec, 18, &x);
	pb_str(&x, 1, "k");
	pb_str(&x, 2, "Exists");
	pb_uint(&x, 5, 30);
	pb_msg(&spec, 22, &x);
	pb_uint(&x, 1, 1);
	pb_str(&x, 2, "zone");
	pb_str(&x, 3, "DoNotSchedule");
	pb_str(&z, 1, "app");
	pb_str(&z, 2, "web");
	pb_msg(&y, 1, &z);
	pb_msg(&x, 4, &y);
	pb_msg(&spec, 33, &x);
	pb_msg(&raw, 2, &spec);
	pb_str(&status, 1, "Pending");
	pb_msg(&raw, 3, &status);
	b = body("v1", "Pod", &raw);
	expect_body(
	    &b, "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\"},"
		"\"spec\":{\"volumes\":[{\"name\":\"data\",\"emptyDir\":{}},{\"name\":\"cfg\",\"configMap\":{\"name\":"
		"\"settings\",\"defaultMode\":420}},{\"name\":\"tok\",\"projected\":{\"sources\":[{"
		"\"serviceAccountToken\":{\"audience\":\"api\",\"expirationSeconds\":3600,\"path\":\"token\"}}]}}],"
		"\"containers\":[{\"name\":\"app\",\"image\":\"nginx\",\"ports\":[{\"containerPort\":80,\"protocol\":"
		"\"TCP\"}],\"env\":[{\"name\":\"A\",\"valueFrom\":{\"fieldRef\":{\"fieldPath\":\"metadata.name\"}}}],"
		"\"resources\":{\"limits\":{\"cpu\":\"500m\"}},\"livenessProbe\":{\"httpGet\":{\"path\":\"/healthz\","
		"\"port\":\"http\"},\"initialDelaySeconds\":3},\"securityContext\":{\"privileged\":false,"
		"\"capabilities\":{\"drop\":[\"ALL\"]},\"seccompProfile\":{\"type\":\"RuntimeDefault\"}}}],"
		"\"restartPolicy\":\"Always\",\"terminationGracePeriodSeconds\":0,\"securityContext\":{\"runAsUser\":"
		"1000},\"affinity\":{\"nodeAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":{"
		"\"nodeSelectorTerms\":[{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"In\",\"values\":[\"a\"]"
		"}]}]}}},\"tolerations\":[{\"key\":\"k\",\"operator\":\"Exists\",\"tolerationSeconds\":30}],"
		"\"topologySpreadConstraints\":[{\"maxSkew\":1,\"topologyKey\":\"zone\",\"whenUnsatisfiable\":"
		"\"DoNotSchedule\",\"labelSelector\":{\"matchLabels\":{\"app\":\"web\"}}}]},\"status\":{\"phase\":"
		"\"Pending\"}}");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kubectl_bodies),
		cmocka_unit_test(test_kind_without_schema),
		cmocka_unit_test(test_truncated_bodies),
		cmocka_unit_test(test_bad_envelope),
		cmocka_unit_test(test_malformed_wire),
		cmocka_unit_test(test_wrong_wire_type),
		cmocka_unit_test(test_nesting),
		cmocka_unit_test(test_value_budget),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_zero_values_and_pointers),
		cmocka_unit_test(test_last_wins_merge_and_unknown),
		cmocka_unit_test(test_special_types),
		cmocka_unit_test(test_pod_spec),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
