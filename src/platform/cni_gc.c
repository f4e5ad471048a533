/* Garbage collection of CNI attachments (see cni.h). The plugins of Debian 12 (CNI 1.0.0) have no
 * GC verb, so the node reads what they leave in the nat table, by the comments they tag their rules
 * with (portmap: `dnat name: "NET" id: "ID"`, bridge's ipMasq: `name: "NET" id: "ID"`), and removes
 * the entries of its own network whose ID is no pod's any more. A portmap DEL removes the hostPort
 * chains; the bridge plugin's DEL cannot remove its masquerade rule once the namespace is gone, so
 * that rule and its chain are deleted here as the plugin wrote them. */
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/log.h"
#include "lib/base/process.h"
#include "platform/cni.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define IPTABLES_OUTPUT_MAX (16u << 20)

/* Copies the value between `key\"` and the next `\"` (as iptables-save prints a quote inside a
 * quoted comment) into out; false when absent or not a plain token. */
static bool quoted_field(const char *line, const char *key, char *out, size_t size)
{
	const char *start = strstr(line, key);
	if (!start)
		return false;
	start += strlen(key);
	const char *end = strstr(start, "\\\"");
	if (!end || end == start || (size_t)(end - start) >= size)
		return false;
	for (const char *c = start; c < end; c++)
		if (!(*c == '-' || *c == '_' || *c == '.' || (*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') ||
		      (*c >= 'A' && *c <= 'Z')))
			return false;
	memcpy(out, start, (size_t)(end - start));
	out[end - start] = '\0';
	return true;
}

/* The word after `option ` in a rule line (`-s 10.0.0.2/32`, `-j CNI-abc`). */
static bool option_value(const char *line, const char *option, char *out, size_t size)
{
	const char *start = strstr(line, option);
	if (!start)
		return false;
	start += strlen(option);
	size_t n = strcspn(start, " \n");
	if (n == 0 || n >= size)
		return false;
	memcpy(out, start, n);
	out[n] = '\0';
	return true;
}

static int run_quietly(const char *const *argv)
{
	struct cc_process_result res;
	if (cc_process_run(argv, NULL, &res, NULL) < 0)
		return -EIO;
	int status = res.status;
	cc_process_result_clear(&res);
	return status == 0 ? 0 : -EIO;
}

/* The bridge plugin's masquerade for a pod: the POSTROUTING rule jumping to the pod's chain, then
 * the chain. */
static int remove_masquerade(const char *network, const char *id, const char *source, const char *chain)
{
	_cleanup_free_ char *comment = cc_xasprintf("name: \"%s\" id: \"%s\"", network, id);
	const char *del[] = { "iptables", "-w",      "-t",        "nat",   "-D", "POSTROUTING", "-s", source,
			      "-m",       "comment", "--comment", comment, "-j", chain,         NULL };
	const char *flush[] = { "iptables", "-w", "-t", "nat", "-F", chain, NULL };
	const char *drop[] = { "iptables", "-w", "-t", "nat", "-X", chain, NULL };
	int r = run_quietly(del);
	if (r == 0 && run_quietly(flush) == 0)
		r = run_quietly(drop);
	return r;
}

int platform_cni_collect_garbage(const struct platform_cni_config *cfg, bool (*holds)(const char *id, void *ctx),
				 void *ctx, unsigned *removed, struct cc_error *err)
{
	*removed = 0;
	const char *argv[] = { "iptables-save", "-t", "nat", NULL };
	struct cc_process_options opts = { .max_output = IPTABLES_OUTPUT_MAX };
	struct cc_process_result res;
	if (cc_process_run(argv, &opts, &res, err) < 0)
		return cc_error_prefix(err, "read the nat table");
	if (res.status != 0) {
		int r =
		    cc_error_set(err, EIO, "iptables-save failed (exit %d): %s", res.status, cc_process_message(&res));
		cc_process_result_clear(&res);
		return r;
	}
	_cleanup_free_ char *network = platform_cni_network_name(cfg);
	char *save = NULL;
	for (char *line = strtok_r(res.out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[64], id[128];
		bool portmap = strncmp(line, "-A CNI-HOSTPORT-DNAT ", 21) == 0;
		bool masquerade = strncmp(line, "-A POSTROUTING ", 15) == 0;
		if (!portmap && !masquerade)
			continue;
		if (!quoted_field(line, portmap ? "\"dnat name: \\\"" : "\"name: \\\"", name, sizeof(name)) ||
		    strcmp(name, network) != 0 || !quoted_field(line, " id: \\\"", id, sizeof(id)) || holds(id, ctx))
			continue;
		int r;
		if (portmap) {
			/* portmap's DEL does nothing without a mapping; any one names the chains. */
			json_t *mapping =
			    json_pack("[{s:i, s:i, s:s}]", "hostPort", 1, "containerPort", 1, "protocol", "tcp");
			r = platform_cni_del_plugin(cfg, "portmap", id, mapping, NULL);
			json_decref(mapping);
		} else {
			char source[64], chain[64];
			r = option_value(line, "-s ", source, sizeof(source)) &&
				    option_value(line, "-j ", chain, sizeof(chain))
				? remove_masquerade(network, id, source, chain)
				: -EINVAL;
		}
		if (r == 0)
			(*removed)++;
		else
			cc_warning("CNI: could not remove the %s rules of the vanished attachment %s",
				   portmap ? "hostPort" : "masquerade", id);
	}
	cc_process_result_clear(&res);
	return 0;
}
