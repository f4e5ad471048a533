/* The mTLS guard's connection sets as entries (see mtls_connections.h). nft 1.0.6 lists a set as
 *
 *   {"nftables": [{"metainfo": {...}}, {"set": {"family": "inet", "name": "connections", ...,
 *     "elem": [{"elem": {"val": {"concat": ["10.246.0.5", 8443]}, "expires": 110,
 *                        "counter": {"packets": 2, "bytes": 120}}}, ...]}}]}
 *
 * An element without attributes (no counter, no timeout) is its value alone ({"concat": [...]}). */
#include "platform/mtls_connections.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/json.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool ipv4(const json_t *value, char out[INET_ADDRSTRLEN])
{
	struct in_addr a;
	const char *text = json_string_value(value);
	return text && inet_pton(AF_INET, text, &a) == 1 && inet_ntop(AF_INET, &a, out, INET_ADDRSTRLEN);
}

/* One element into *ret: false when it is not of the shape the guard writes. */
static bool element(const json_t *item, struct platform_mtls_connection *ret)
{
	const json_t *elem = json_object_get(item, "elem");
	const json_t *val = elem ? json_object_get(elem, "val") : item;
	const json_t *parts = json_object_get(val, "concat");
	size_t n = json_array_size(parts);
	if (n != 2 && n != 3)
		return false;
	struct platform_mtls_connection c = { .count = -1 };
	const json_t *port = json_array_get(parts, n - 1);
	if (!ipv4(json_array_get(parts, 0), c.client) || (n == 3 && !ipv4(json_array_get(parts, 1), c.server)) ||
	    !json_is_integer(port) || json_integer_value(port) < 1 || json_integer_value(port) > 65535)
		return false;
	c.port = (uint16_t)json_integer_value(port);
	const json_t *packets = json_object_get(json_object_get(elem, "counter"), "packets");
	if (json_is_integer(packets) && json_integer_value(packets) >= 0)
		c.count = json_integer_value(packets);
	*ret = c;
	return true;
}

int platform_mtls_connections_parse(const char *text, size_t len, struct platform_mtls_connection **ret,
				    size_t *ret_count, struct cc_error *err)
{
	_cleanup_json_ json_t *root = NULL;
	int r = cc_json_parse(text, len, PLATFORM_MTLS_CONNECTIONS_JSON_MAX, "nft's set listing", &root, err);
	if (r < 0)
		return r;
	const json_t *list = json_object_get(root, "nftables");
	if (!json_is_array(list))
		return cc_error_set(err, EINVAL, "nft's set listing has no `nftables` array");
	const json_t *set = NULL;
	size_t i;
	const json_t *item;
	json_array_foreach (list, i, item)
		if (!set && json_is_object(json_object_get(item, "set")))
			set = json_object_get(item, "set");
	if (!set)
		return cc_error_set(err, EINVAL, "nft's listing holds no set");
	const json_t *elems = json_object_get(set, "elem");
	if (elems && !json_is_array(elems))
		return cc_error_set(err, EINVAL, "nft's set listing: `elem` is not an array");
	size_t n = json_array_size(elems);
	if (n > PLATFORM_MTLS_CONNECTIONS_MAX)
		return cc_error_set(err, E2BIG, "nft's set listing has %zu elements, more than %d", n,
				    PLATFORM_MTLS_CONNECTIONS_MAX);
	struct platform_mtls_connection *out = n ? cc_xcalloc(n, sizeof(*out)) : NULL;
	size_t count = 0;
	json_array_foreach (elems, i, item)
		if (element(item, &out[count]))
			count++;
	*ret = out;
	*ret_count = count;
	return 0;
}
