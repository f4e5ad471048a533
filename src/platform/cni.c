/* CNI (see cni.h). The protocol is the spec's (SPEC.md, "Execution protocol"): CNI_COMMAND,
 * CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME, CNI_PATH in the environment, one plugin configuration on
 * stdin, a result (or an error object with `msg`) on stdout. A chain passes each plugin's result to
 * the next as `prevResult`; DEL runs the chain backwards with the cached ADD result. */
#include "platform/cni.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/process.h"
#include "lib/json/json.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define CNI_VERSION "1.0.0"

static const char *plugin_dir(const struct platform_cni_config *cfg)
{
	return cfg->plugin_dir ? cfg->plugin_dir : "/usr/lib/cni";
}

char *platform_cni_network_name(const struct platform_cni_config *cfg)
{
	if (!cfg->bridge || strcmp(cfg->bridge, "cocoon0") == 0)
		return cc_xstrdup("cocoon");
	return cc_xasprintf("cocoon-%s", cfg->bridge);
}

/* The configuration of plugin `type` in the chain, as the runtime hands it over: the network's
 * name and version with the plugin's own fields, prevResult and runtimeConfig added. */
static json_t *plugin_config(const struct platform_cni_config *cfg, const char *type, const json_t *prev,
			     const json_t *port_mappings)
{
	_cleanup_free_ char *network = platform_cni_network_name(cfg);
	json_t *conf = json_pack("{s:s, s:s, s:s}", "cniVersion", CNI_VERSION, "name", network, "type", type);
	if (strcmp(type, "bridge") == 0) {
		json_t *ipam = json_pack("{s:s, s:[[{s:s}]], s:[{s:s}], s:s}", "type", "host-local", "ranges", "subnet",
					 cfg->subnet ? cfg->subnet : "10.244.0.0/16", "routes", "dst", "0.0.0.0/0",
					 "dataDir", cfg->state_dir);
		json_object_set_new(conf, "bridge", json_string(cfg->bridge ? cfg->bridge : "cocoon0"));
		json_object_set_new(conf, "isGateway", json_true());
		json_object_set_new(conf, "ipMasq", json_true());
		json_object_set_new(conf, "hairpinMode", json_true());
		json_object_set_new(conf, "ipam", ipam);
	} else if (strcmp(type, "portmap") == 0) {
		json_object_set_new(conf, "capabilities", json_pack("{s:b}", "portMappings", 1));
		json_t *mappings = port_mappings ? json_deep_copy(port_mappings) : json_array();
		json_object_set_new(conf, "runtimeConfig", json_pack("{s:o}", "portMappings", mappings));
	} else if (strcmp(type, "loopback") == 0) {
		json_object_set_new(conf, "name", json_string("cni-loopback"));
	}
	if (prev)
		json_object_set(conf, "prevResult", (json_t *)prev);
	return conf;
}

/* Runs one plugin; *ret (ADD) is its result. */
static int invoke(const struct platform_cni_config *cfg, const char *command, const char *type,
		  const char *container_id, const char *netns_path, const char *ifname, const json_t *conf,
		  json_t **ret, struct cc_error *err)
{
	_cleanup_free_ char *path = cc_xasprintf("%s/%s", plugin_dir(cfg), type);
	_cleanup_free_ char *env_command = cc_xasprintf("CNI_COMMAND=%s", command);
	_cleanup_free_ char *env_id = cc_xasprintf("CNI_CONTAINERID=%s", container_id);
	_cleanup_free_ char *env_netns = cc_xasprintf("CNI_NETNS=%s", netns_path);
	_cleanup_free_ char *env_ifname = cc_xasprintf("CNI_IFNAME=%s", ifname);
	_cleanup_free_ char *env_path = cc_xasprintf("CNI_PATH=%s", plugin_dir(cfg));
	const char *envp[] = { env_command, env_id,   env_netns,
			       env_ifname,  env_path, "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
			       NULL };
	_cleanup_free_ char *input = json_dumps(conf, JSON_COMPACT);
	struct cc_process_options opts = {
		.envp = envp, .input = input, .input_len = strlen(input), .timeout_ms = 30000
	};
	const char *argv[] = { path, NULL };
	struct cc_process_result res;
	int r = cc_process_run(argv, &opts, &res, err);
	if (r < 0)
		return cc_error_prefix(err, "CNI plugin %s", type);
	if (res.status != 0) {
		/* The error object: {"cniVersion", "code", "msg", "details"}. */
		json_t *e = NULL;
		struct cc_error ignored = { 0 };
		const char *msg = NULL;
		if (cc_json_parse(res.out, res.out_len, CC_JSON_MAX_SIZE, "CNI error", &e, &ignored) == 0)
			msg = json_string_value(json_object_get(e, "msg"));
		r = cc_error_set(err, EIO, "CNI plugin %s %s failed (exit %d): %s", type, command, res.status,
				 msg ? msg : cc_process_message(&res));
		json_decref(e);
		cc_process_result_clear(&res);
		return r;
	}
	if (ret) {
		r = cc_json_parse(res.out, res.out_len, CC_JSON_MAX_SIZE, "CNI result", ret, err);
		if (r < 0)
			r = cc_error_prefix(err, "CNI plugin %s", type);
	}
	cc_process_result_clear(&res);
	return r;
}

static const char *const chain[] = { "bridge", "portmap" };
#define CHAIN_LEN (sizeof(chain) / sizeof(chain[0]))

static void result_address(const json_t *result, struct platform_cni_result *ret)
{
	const json_t *ip = json_array_get(json_object_get(result, "ips"), 0);
	snprintf(ret->ip, sizeof(ret->ip), "%s", json_string_value(json_object_get(ip, "address")) ?: "");
	char *slash = strchr(ret->ip, '/');
	if (slash)
		*slash = '\0';
	snprintf(ret->gateway, sizeof(ret->gateway), "%s", json_string_value(json_object_get(ip, "gateway")) ?: "");
}

int platform_cni_add(const struct platform_cni_config *cfg, const char *container_id, const char *netns_path,
		     const json_t *port_mappings, const char *result_path, struct platform_cni_result *ret,
		     struct cc_error *err)
{
	_cleanup_json_ json_t *lo = plugin_config(cfg, "loopback", NULL, NULL);
	int r = invoke(cfg, "ADD", "loopback", container_id, netns_path, "lo", lo, NULL, err);
	if (r < 0)
		return r;
	json_t *prev = NULL;
	size_t done = 0;
	for (; done < CHAIN_LEN && r == 0; done++) {
		_cleanup_json_ json_t *conf = plugin_config(cfg, chain[done], prev, port_mappings);
		json_t *result = NULL;
		r = invoke(cfg, "ADD", chain[done], container_id, netns_path, "eth0", conf, &result, err);
		if (r < 0)
			break;
		json_decref(prev);
		prev = result;
	}
	if (r == 0) {
		_cleanup_free_ char *text = json_dumps(prev, JSON_COMPACT);
		r = cc_write_file_atomic(result_path, text, strlen(text), 0600, err);
		result_address(prev, ret);
		if (!ret->ip[0])
			r = cc_error_set(err, EIO, "CNI bridge gave the pod no IPv4 address");
	}
	if (r < 0) {
		/* Undo what was added, the plugin that failed included (the spec asks DEL to clean up
		 * after a failed ADD); the first failure is the one reported. */
		size_t last = done < CHAIN_LEN ? done : CHAIN_LEN - 1;
		for (size_t i = last + 1; i-- > 0;) {
			_cleanup_json_ json_t *conf = plugin_config(cfg, chain[i], prev, port_mappings);
			invoke(cfg, "DEL", chain[i], container_id, netns_path, "eth0", conf, NULL, NULL);
		}
		unlink(result_path);
	}
	json_decref(prev);
	return r;
}

int platform_cni_del(const struct platform_cni_config *cfg, const char *container_id, const char *netns_path,
		     const json_t *port_mappings, const char *result_path, struct cc_error *err)
{
	json_t *prev = NULL;
	struct cc_error ignored = { 0 };
	if (access(result_path, F_OK) == 0)
		cc_json_load_file(result_path, CC_JSON_MAX_SIZE, &prev, &ignored);
	int first = 0;
	for (size_t i = CHAIN_LEN; i-- > 0;) {
		_cleanup_json_ json_t *conf = plugin_config(cfg, chain[i], prev, port_mappings);
		struct cc_error e = { 0 };
		int r = invoke(cfg, "DEL", chain[i], container_id, netns_path, "eth0", conf, NULL, &e);
		if (r < 0 && first == 0) {
			first = r;
			if (err)
				*err = e;
		}
	}
	json_decref(prev);
	if (first == 0)
		unlink(result_path);
	return first;
}

int platform_cni_del_plugin(const struct platform_cni_config *cfg, const char *type, const char *container_id,
			    const json_t *port_mappings, struct cc_error *err)
{
	_cleanup_json_ json_t *conf = plugin_config(cfg, type, NULL, port_mappings);
	return invoke(cfg, "DEL", type, container_id, "", "eth0", conf, NULL, err);
}

int platform_cni_check(const struct platform_cni_config *cfg, struct cc_error *err)
{
	static const char *const needed[] = { "bridge", "host-local", "portmap", "loopback" };
	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
		_cleanup_free_ char *path = cc_xasprintf("%s/%s", plugin_dir(cfg), needed[i]);
		if (access(path, X_OK) < 0)
			return cc_error_set(err, ENOENT,
					    "CNI plugin `%s` is missing: install Debian's containernetworking-plugins",
					    path);
	}
	return 0;
}
