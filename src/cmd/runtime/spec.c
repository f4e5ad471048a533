/* spec and features: the default config and what this runtime supports (runtime-spec features.md). */
#include "runtime/spec.h"

#include "cmd/cli.h"
#include "commands.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "runtime/seccomp_filter.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int rt_cmd_spec(const struct runtime_globals *g, int argc, char **argv)
{
	static const struct option options[] = { { "bundle", required_argument, NULL, 'b' },
						 { "rootless", no_argument, NULL, 'r' },
						 { "help", no_argument, NULL, 'h' },
						 { 0 } };
	const char *bundle = ".";
	bool rootless = false;
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "b:h", options, NULL)) != -1) {
		if (c == 'b')
			bundle = optarg;
		else if (c == 'r')
			rootless = true;
		else if (c == 'h') {
			printf("Usage: cocoon-runtime spec [--bundle DIR] [--rootless]\n"
			       "Writes DIR/config.json (runc's default configuration); refuses to overwrite one.\n");
			return CLI_EXIT_OK;
		} else
			return CLI_EXIT_USAGE;
	}
	_cleanup_free_ char *path = cc_xasprintf("%s/config.json", bundle);
	if (access(path, F_OK) == 0) {
		cli_error("cocoon-runtime", "`%s` already exists; remove it first", path);
		return CLI_EXIT_FAILURE;
	}
	json_t *doc = runtime_spec_default(rootless);
	_cleanup_free_ char *text = json_dumps(doc, JSON_INDENT(2));
	json_decref(doc);
	_cleanup_free_ char *with_newline = cc_xasprintf("%s\n", text);
	struct cc_error err = { 0 };
	if (cc_write_file_atomic(path, with_newline, strlen(with_newline), 0644, &err) < 0)
		return rt_fail("spec", &err);
	return CLI_EXIT_OK;
}

int rt_cmd_features(const struct runtime_globals *g, int argc, char **argv)
{
	json_t *namespaces = json_array();
	for (int ns = 0; ns < RUNTIME_NS_MAX; ns++)
		json_array_append_new(namespaces, json_string(runtime_ns_name(ns)));
	json_t *caps = json_array();
	for (int cap = 0; cap <= runtime_cap_last(); cap++)
		json_array_append_new(caps, json_string(runtime_cap_name(cap)));
	static const char *const mount_option_names[] = {
		"async",    "atime",  "bind",        "dev",           "diratime",    "dirsync",
		"exec",     "idmap",  "mand",        "noatime",       "nodev",       "nodiratime",
		"noexec",   "nomand", "norelatime",  "nostrictatime", "nosuid",      "notmpcopyup",
		"private",  "rbind",  "relatime",    "remount",       "ridmap",      "ro",
		"rprivate", "rro",    "rshared",     "rslave",        "runbindable", "rw",
		"shared",   "slave",  "strictatime", "suid",          "sync",        "tmpcopyup",
	};
	json_t *mount_options = json_array();
	for (size_t i = 0; i < sizeof(mount_option_names) / sizeof(mount_option_names[0]); i++)
		json_array_append_new(mount_options, json_string(mount_option_names[i]));
	json_t *doc =
	    json_pack("{s:s, s:s, s:[s,s,s,s,s,s], s:o, s:{s:o, s:o, s:{s:b, s:b, s:b, s:b, s:b}, s:o, s:{s:b}, "
		      "s:{s:b}, s:{s:b}, s:{s:{s:b}}},"
		      " s:{s:s, s:s, s:s, s:s}}",
		      "ociVersionMin", "1.0.0", "ociVersionMax", "1.2.0", "hooks", "prestart", "createRuntime",
		      "createContainer", "startContainer", "poststart", "poststop", "mountOptions", mount_options,
		      "linux", "namespaces", namespaces, "capabilities", caps, "cgroup", "v1", 1, "v2", 1, "systemd", 0,
		      "systemdUser", 0, "rdma", 0, "seccomp", runtime_seccomp_features(), "apparmor", "enabled",
		      access("/sys/kernel/security/apparmor", F_OK) == 0, "selinux", "enabled", 0, "intelRdt",
		      "enabled", 0, "mountExtensions", "idmap", "enabled", 1, "annotations", "run.cocoon.profile",
		      "confidential", "run.cocoon.image.digest", "sha256:...", "io.github.seccomp.libseccomp.version",
		      SCMP_VER_MAJOR == 2 ? "2" : "?", "org.opencontainers.runc.checkpoint.enabled", "false");
	char *text = json_dumps(doc, JSON_INDENT(4));
	printf("%s\n", text);
	free(text);
	json_decref(doc);
	return CLI_EXIT_OK;
}
