/* A container's environment as kubelet builds it: the image's ENV, then envFrom (ConfigMaps and
 * Secrets, with their prefix), then env (literal values with $(VAR) expansion, and valueFrom:
 * secretKeyRef, configMapKeyRef, fieldRef, resourceFieldRef); later definitions win. Secret values
 * are decoded here and go only into the container's config, never into a log or an error. */
#pragma once

#include <jansson.h>

struct cc_error;
struct image_config;
struct platform_objects;

struct pod_env_input {
	struct platform_objects *objects;
	const json_t *pod;
	const json_t *container;
	const struct image_config *image;
	const char *pod_ip;
	const char *host_ip;
	/* The `kubernetes` Service's address: KUBERNETES_SERVICE_HOST and its kin, as kubelet sets
	 * them for in-cluster clients; NULL: none. */
	const char *api_service_ip;
};

/* *ret is an array of "NAME=value". A missing Secret or ConfigMap (or key) that is not optional
 * fails with the message kubelet gives (`secret "x" not found`), for CreateContainerConfigError. */
int pod_env_resolve(const struct pod_env_input *in, json_t **ret, struct cc_error *err);

/* The data of a ConfigMap or Secret (decoded) as an object of strings: for env and for volumes.
 * kind is "configmaps" or "secrets". -ENOENT when absent. */
int pod_source_data(struct platform_objects *objects, const char *kind, const char *namespace, const char *name,
		    json_t **ret, struct cc_error *err);

/* One downward API field of in->pod (metadata.name, metadata.labels['app'], status.podIP, ...). */
int pod_env_field(const struct pod_env_input *in, const char *path, char **ret, struct cc_error *err);
