/* ServiceAccount admission (see sa_admission.h). */
#include "platform/sa_admission.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/crypto/random.h"
#include "lib/json/json.h"
#include "lib/net/http.h"
#include "platform/admit.h"
#include "platform/objects.h"
#include "platform/status.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define TOKEN_SECONDS 3607 /* kubelet's: an hour and a bit, so the renewal at 80% is visibly early */

static const char *str(const json_t *obj, const char *field)
{
	return json_string_value(json_object_get(obj, field));
}

/* kube-api-access- and five characters of Kubernetes' name alphabet. */
static void volume_name(char *out, size_t size)
{
	static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
	uint8_t random[5] = { 0 };
	cc_random_bytes(random, sizeof(random), NULL);
	char suffix[6];
	for (size_t i = 0; i < 5; i++)
		suffix[i] = alphabet[random[i] % (sizeof(alphabet) - 1)];
	suffix[5] = '\0';
	snprintf(out, size, "kube-api-access-%s", suffix);
}

static json_t *projected_volume(const char *name)
{
	return json_pack("{s:s, s:{s:i, s:[{s:{s:i, s:s}}, {s:{s:s, s:[{s:s, s:s}]}}, {s:{s:[{s:s, s:{s:s, s:s}}]}}]}}",
			 "name", name, "projected", "defaultMode", 0644, "sources", "serviceAccountToken",
			 "expirationSeconds", TOKEN_SECONDS, "path", "token", "configMap", "name",
			 PLATFORM_ROOT_CA_CONFIGMAP, "items", "key", "ca.crt", "path", "ca.crt", "downwardAPI", "items",
			 "path", "namespace", "fieldRef", "apiVersion", "v1", "fieldPath", "metadata.namespace");
}

static bool mounts_path_of(const json_t *container, const char *path)
{
	size_t i;
	const json_t *m;
	json_array_foreach (json_object_get(container, "volumeMounts"), i, m)
		if (strcmp(str(m, "mountPath") ?: "", path) == 0)
			return true;
	return false;
}

void platform_admission_mount_everywhere(json_t *spec, const char *volume, const char *path)
{
	static const char *const lists[] = { "initContainers", "containers" };
	for (size_t l = 0; l < 2; l++) {
		size_t i;
		json_t *c;
		json_array_foreach (json_object_get(spec, lists[l]), i, c) {
			if (mounts_path_of(c, path))
				continue;
			json_t *mounts = json_object_get(c, "volumeMounts");
			if (!json_is_array(mounts)) {
				mounts = json_array();
				json_object_set_new(c, "volumeMounts", mounts);
			}
			json_array_append_new(
			    mounts, json_pack("{s:s, s:b, s:s}", "name", volume, "readOnly", 1, "mountPath", path));
		}
	}
}

bool platform_sa_admit_pod(struct platform_objects *objects, json_t *pod, struct cc_http_response *resp)
{
	json_t *spec = json_object_get(pod, "spec");
	if (!json_is_object(spec))
		return true; /* validation answers for it */
	const char *ns = json_string_value(json_object_get(json_object_get(pod, "metadata"), "namespace")) ?: "";
	const char *given = str(spec, "serviceAccountName");
	if (!given || !given[0])
		given = str(spec, "serviceAccount");
	/* A copy: setting the fields below frees the strings given points into. */
	_cleanup_free_ char *name = cc_xstrdup(given && given[0] ? given : "default");
	json_object_set_new(spec, "serviceAccountName", json_string(name));
	json_object_set_new(spec, "serviceAccount", json_string(name)); /* the deprecated mirror */
	_cleanup_json_ json_t *sa = NULL;
	struct cc_error err = { 0 };
	if (platform_objects_get(objects, platform_resource_find("", "v1", "serviceaccounts"), ns, name, &sa, &err) <
	    0) {
		const char *pod_name = json_string_value(json_object_get(json_object_get(pod, "metadata"), "name"));
		platform_status_error(
		    resp, 403, NULL, platform_resource_find("", "v1", "pods"), pod_name,
		    "pods \"%s\" is forbidden: error looking up service account %s/%s: serviceaccount "
		    "\"%s\" not found",
		    pod_name ? pod_name : "", ns, name, name);
		return false;
	}
	const json_t *pod_says = json_object_get(spec, "automountServiceAccountToken");
	const json_t *sa_says = json_object_get(sa, "automountServiceAccountToken");
	bool mount = json_is_boolean(pod_says) ? json_is_true(pod_says) : !json_is_false(sa_says);
	if (!mount)
		return true;
	json_t *volumes = json_object_get(spec, "volumes");
	if (!json_is_array(volumes)) {
		volumes = json_array();
		json_object_set_new(spec, "volumes", volumes);
	}
	char volume[32];
	volume_name(volume, sizeof(volume));
	json_array_append_new(volumes, projected_volume(volume));
	platform_admission_mount_everywhere(spec, volume, PLATFORM_SA_MOUNT_PATH);
	return true;
}

/* obj (taken) made unless there: a namespace's defaults are made once, and kept when edited. The
 * object names its namespace. */
static int create_unless_there(struct platform_objects *objects, const char *resource, json_t *obj,
			       struct cc_error *err)
{
	int rc = platform_admit_and_create(objects, platform_resource_find("", "v1", resource), obj, err);
	json_decref(obj);
	return rc == -EEXIST ? 0 : rc;
}

int platform_sa_namespace_defaults(struct platform_objects *objects, const char *namespace, const char *ca_pem,
				   struct cc_error *err)
{
	int rc = create_unless_there(objects, "serviceaccounts",
				     json_pack("{s:s, s:s, s:{s:s, s:s}}", "kind", "ServiceAccount", "apiVersion", "v1",
					       "metadata", "name", "default", "namespace", namespace),
				     err);
	if (rc == 0 && ca_pem)
		rc = create_unless_there(objects, "configmaps",
					 json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:s}}", "kind", "ConfigMap",
						   "apiVersion", "v1", "metadata", "name", PLATFORM_ROOT_CA_CONFIGMAP,
						   "namespace", namespace, "data", "ca.crt", ca_pem),
					 err);
	return rc;
}
