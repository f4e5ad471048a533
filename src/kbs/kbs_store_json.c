/* JSON objects in the broker's store (see kbs_store_json.h). */
#include "kbs/kbs_store_json.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "lib/store/store.h"

#include <errno.h>
#include <string.h>

int kbs_store_json_get(struct cc_store *store, const char *key, size_t max, const char *what, json_t **ret,
		       int64_t *ret_revision, struct cc_error *err)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	*ret = NULL;
	if (ret_revision)
		*ret_revision = CC_STORE_ABSENT;
	int r = cc_store_get(store, key, &text, &len, ret_revision, err);
	if (r < 0)
		return r;
	if ((r = cc_json_parse(text, len, max, what, ret, err)) < 0)
		return r;
	if (!json_is_object(*ret)) {
		json_decref(*ret);
		*ret = NULL;
		return cc_error_set(err, EUCLEAN, "store: %s (%s) is not a JSON object", key, what);
	}
	return 0;
}

int kbs_store_json_put(struct cc_store *store, const char *key, const json_t *value, int64_t revision,
		       struct cc_error *err)
{
	_cleanup_free_ char *text = cc_json_canonical(value);
	if (!text)
		return cc_error_set(err, ENOMEM, "cannot encode %s", key);
	return cc_store_put(store, key, text, strlen(text), revision, NULL, err);
}
