/* mTLS volume admission (see pod_mtls_admission.h). */
#include "platform/pod_mtls_admission.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "platform/mtls_policy.h"
#include "platform/objects.h"
#include "platform/pod_mtls.h"
#include "platform/resources.h"
#include "platform/sa_admission.h"
#include "platform/status.h"

#include <errno.h>
#include <string.h>

bool platform_mtls_admit_pod(struct platform_objects *objects, json_t *pod, struct cc_http_response *resp)
{
	json_t *spec = json_object_get(pod, "spec");
	const char *ns = json_string_value(json_object_get(json_object_get(pod, "metadata"), "namespace"));
	if (!json_is_object(spec) || !ns)
		return true;
	enum platform_mtls_mode mode = MTLS_OFF;
	struct cc_error err = { 0 };
	if (platform_mtls_namespace_mode(objects, ns, &mode, &err) < 0) {
		/* Fail closed: a pod admitted without its volume could never get it (a pod's volumes
		 * cannot change). */
		platform_status_error(resp, 500, NULL, platform_resource_find("", "v1", "pods"),
				      json_string_value(json_object_get(json_object_get(pod, "metadata"), "name")),
				      "the mutual TLS mode of namespace \"%s\" cannot be read: %s", ns,
				      cc_error_message(&err));
		return false;
	}
	if (mode == MTLS_OFF)
		return true;
	json_t *volumes = json_object_get(spec, "volumes");
	if (!json_is_array(volumes)) {
		volumes = json_array();
		json_object_set_new(spec, "volumes", volumes);
	}
	if (pod_mtls_has_volume(volumes))
		return true;
	json_array_append_new(volumes, json_pack("{s:s, s:{s:s, s:b}}", "name", POD_MTLS_VOLUME, "csi", "driver",
						 POD_MTLS_DRIVER, "readOnly", 1));
	platform_admission_mount_everywhere(spec, POD_MTLS_VOLUME, POD_MTLS_MOUNT_PATH);
	return true;
}
