/* Checks of pod certificate requests (see kbs_mtls_checks.h). Everything here reads what a node sent,
 * so every size is bounded and every refusal names the field. */
#include "kbs/kbs_mtls_checks.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/crypto/encode.h"
#include "lib/crypto/x509_names.h"
#include "lib/json/json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DIGEST_HEX (2 * CC_SPKI_DIGEST_SIZE)

int kbs_mtls_request_parse(const char *data, size_t len, struct kbs_mtls_request *ret, struct cc_error *err)
{
	static const char *const fields[] = { "csr", "token", "dnsNames" };
	json_t *body = NULL;
	int r = cc_json_parse(data, len, KBS_MTLS_REQUEST_MAX, "the certificate request", &body, err);
	if (r < 0)
		return -EINVAL;
	struct kbs_mtls_request req = { .body = body };
	const char *name;
	json_t *value;
	if (!json_is_object(body)) {
		r = cc_error_set(err, EINVAL, "the certificate request is a JSON object {csr, token, dnsNames}");
		goto fail;
	}
	json_object_foreach (body, name, value) {
		size_t i = 0;
		while (i < CC_ARRAY_SIZE(fields) && strcmp(fields[i], name) != 0)
			i++;
		if (i == CC_ARRAY_SIZE(fields)) {
			r = cc_error_set(err, EINVAL,
					 "unknown field `%.64s` in the certificate request (csr, token, dnsNames)",
					 name);
			goto fail;
		}
	}
	req.csr = json_string_value(json_object_get(body, "csr"));
	req.token = json_string_value(json_object_get(body, "token"));
	if (!req.csr || !req.token) {
		r = cc_error_set(err, EINVAL,
				 "the certificate request needs `csr` (PEM) and `token` (the pod's service "
				 "account token), both strings");
		goto fail;
	}
	json_t *names = json_object_get(body, "dnsNames");
	if (names && (!json_is_array(names) || json_array_size(names) > CC_LEAF_DNS_MAX)) {
		r = cc_error_set(err, EINVAL, "dnsNames is an array of at most %d names", CC_LEAF_DNS_MAX);
		goto fail;
	}
	size_t i;
	json_array_foreach (names, i, value) {
		if (!json_is_string(value)) {
			r = cc_error_set(err, EINVAL, "dnsNames[%zu] is not a string", i);
			goto fail;
		}
		req.dns_names[req.n_dns_names++] = json_string_value(value);
	}
	*ret = req;
	return 0;
fail:
	json_decref(body);
	return r;
}

void kbs_mtls_request_free(struct kbs_mtls_request *req)
{
	json_decref(req->body);
	memset(req, 0, sizeof(*req));
}

static bool lower_hex(const char *s, size_t n)
{
	return strlen(s) == n && strspn(s, "0123456789abcdef") == n;
}

int kbs_mtls_csr_list_check(const json_t *runtime_data, struct cc_error *err)
{
	const json_t *list = json_object_get(runtime_data, "cocoon-csr");
	if (!list)
		return 0;
	if (!json_is_array(list) || json_array_size(list) == 0 || json_array_size(list) > KBS_MTLS_CSR_LIST_MAX)
		return cc_error_set(err, EINVAL, "runtime-data.cocoon-csr is an array of 1 to %d SPKI digests",
				    KBS_MTLS_CSR_LIST_MAX);
	const char *previous = NULL;
	size_t i;
	const json_t *v;
	json_array_foreach (list, i, v) {
		const char *hex = json_string_value(v);
		if (!hex || !lower_hex(hex, DIGEST_HEX))
			return cc_error_set(err, EINVAL,
					    "runtime-data.cocoon-csr[%zu] is not the lowercase hex SHA-384 of a "
					    "SubjectPublicKeyInfo",
					    i);
		if (previous && strcmp(previous, hex) >= 0)
			return cc_error_set(err, EINVAL,
					    "runtime-data.cocoon-csr is not sorted without repeats (at %zu)", i);
		previous = hex;
	}
	return 0;
}

bool kbs_mtls_csr_bound(const json_t *list, const uint8_t spki_sha384[CC_SPKI_DIGEST_SIZE])
{
	char hex[DIGEST_HEX + 1];
	cc_hex_encode(spki_sha384, CC_SPKI_DIGEST_SIZE, hex);
	size_t i;
	const json_t *v;
	json_array_foreach (list, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), hex) == 0)
			return true;
	return false;
}

/* name ends in suffix (case-insensitive, as DNS is) with at least one whole label in front. */
static bool under(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);
	return n > s + 1 && name[n - s - 1] == '.' && strcasecmp(name + n - s, suffix) == 0;
}

int kbs_mtls_dns_names_check(const char *const *names, size_t n, const char *ns, const char *cluster_domain,
			     struct cc_error *err)
{
	char svc[80], full[80 + 256];
	snprintf(svc, sizeof(svc), "%s.svc", ns);
	snprintf(full, sizeof(full), "%s.svc.%s", ns, cluster_domain);
	for (size_t i = 0; i < n; i++) {
		if (cc_dns_name_check(names[i], err) < 0)
			return cc_error_prefix(err, "dnsNames[%zu]", i);
		if (!under(names[i], svc) && !under(names[i], full))
			return cc_error_set(
			    err, EACCES,
			    "dnsNames[%zu] `%s` is not a name of namespace `%s`: a pod may be named only "
			    "under .%s or .%s",
			    i, names[i], ns, svc, full);
	}
	return 0;
}

void kbs_mtls_containers_free(struct cc_attested_container *c, size_t n)
{
	for (size_t i = 0; c && i < n; i++)
		free(c[i].name);
	free(c);
}

/* One container of the pod as the extension lists it: its instance is the number its name ends in
 * (UID-NAME-INSTANCE, src/platform/pod_sync.c), its measurement the record's, its seq the log's. */
static int listed(const char *name, const char *measurement, const json_t *seq, struct cc_attested_container *ret,
		  struct cc_error *err)
{
	const char *dash = strrchr(name, '-');
	char *end = NULL;
	long long instance = dash && dash[1] >= '0' && dash[1] <= '9' ? strtoll(dash + 1, &end, 10) : -1;
	if (instance < 0 || *end)
		return cc_error_set(err, EINVAL, "container `%.128s` is not named UID-NAME-INSTANCE", name);
	if (!measurement || strncmp(measurement, "sha384:", 7) != 0 ||
	    !lower_hex(measurement + 7, 2 * CC_ATTESTATION_DIGEST_SIZE) ||
	    cc_hex_decode(measurement + 7, ret->measurement, CC_ATTESTATION_DIGEST_SIZE) < 0)
		return cc_error_set(err, EINVAL, "container `%.128s` has no SHA-384 measurement", name);
	if (!json_is_integer(seq) || json_integer_value(seq) < 0)
		return cc_error_set(err, EINVAL, "the log record of container `%.128s` has no seq", name);
	ret->name = cc_xstrdup(name);
	ret->instance = instance;
	ret->log_seq = json_integer_value(seq);
	return 0;
}

int kbs_mtls_pod_containers(const json_t *containers, const json_t *seqs, const char *uid,
			    struct cc_attested_container **ret, size_t *ret_n, struct cc_error *err)
{
	size_t uid_len = strlen(uid), n = 0, i;
	const json_t *c;
	struct cc_attested_container *list = NULL;
	json_array_foreach (containers, i, c) {
		const char *name = json_string_value(json_object_get(c, "container"));
		if (!name || uid_len == 0 || strncmp(name, uid, uid_len) != 0 || name[uid_len] != '-')
			continue;
		if (n >= CC_ATTESTATION_CONTAINERS_MAX) {
			kbs_mtls_containers_free(list, n);
			return cc_error_set(err, EINVAL, "pod `%s` has more than %d containers in the log", uid,
					    CC_ATTESTATION_CONTAINERS_MAX);
		}
		list = cc_xrealloc(list, (n + 1) * sizeof(*list));
		memset(&list[n], 0, sizeof(*list));
		if (listed(name, json_string_value(json_object_get(c, "measurement")), json_array_get(seqs, i),
			   &list[n], err) < 0) {
			kbs_mtls_containers_free(list, n);
			return -EINVAL;
		}
		n++;
	}
	if (n == 0)
		return cc_error_set(err, ENOENT,
				    "no container of pod `%s` is in the node's replayed measurement log (containers "
				    "named %s-*): the attestation does not cover that pod",
				    uid, uid);
	*ret = list;
	*ret_n = n;
	return 0;
}
