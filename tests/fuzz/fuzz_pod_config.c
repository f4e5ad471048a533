/* libFuzzer target: a pod from the API turned into a container's OCI config (platform/pod_config.h:
 * command resolution with $(VAR) expansion, users, capabilities, resource quantities, mounts,
 * namespaces). The input is one JSON value: a Pod. Besides never crashing: the config built is an
 * object whose process.args is a non-empty array of strings, and the pod is not changed. */
#include "image/store.h"
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "platform/pod_config.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cc_error err = { 0 };
	json_t *pod;
	if (cc_json_parse((const char *)data, size, 1u << 20, "fuzz", &pod, &err) < 0)
		return 0;
	json_t *copy = json_deep_copy(pod);
	char *entrypoint[] = { "/bin/sh" }, *cmd[] = { "-c", "echo $(HOME)" }, *env[] = { "PATH=/bin", "HOME=/root" };
	struct image_config image = { .entrypoint = entrypoint,
				      .n_entrypoint = 1,
				      .cmd = cmd,
				      .n_cmd = 2,
				      .env = env,
				      .n_env = 2,
				      .working_dir = "/",
				      .user = "" };
	json_t *env_array = json_pack("[s, s]", "PATH=/bin", "A=$(PATH)");
	json_t *mounts = json_array();
	size_t i;
	json_t *container;
	json_array_foreach (json_object_get(json_object_get(pod, "spec"), "containers"), i, container) {
		if (!json_is_object(container))
			continue;
		struct pod_container_input in = { .pod = pod,
						  .container = container,
						  .image = &image,
						  .image_digest = "sha256:00",
						  .sandbox_dir = "/run/ns",
						  .env = env_array,
						  .mounts = mounts,
						  .cgroups_path = "/cocoon/pod/c" };
		json_t *config = NULL;
		if (pod_oci_config(&in, &config, &err) == 0) {
			const json_t *args = json_object_get(json_object_get(config, "process"), "args");
			if (!json_is_array(args) || json_array_size(args) == 0)
				abort();
			size_t k;
			const json_t *a;
			json_array_foreach (args, k, a)
				if (!json_is_string(a))
					abort();
			json_decref(config);
		}
	}
	if (!json_equal(pod, copy))
		abort();
	json_decref(mounts);
	json_decref(env_array);
	json_decref(copy);
	json_decref(pod);
	return 0;
}
