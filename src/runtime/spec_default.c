/* The config written by `cocoon-runtime spec`: runc's default, so tools that start from it
 * (tests, conformance suites) get the same container whichever runtime generated it. */
#include "runtime/caps.h"
#include "runtime/rootfs.h"
#include "runtime/spec.h"

static json_t *string_list(const char *const *items)
{
	json_t *arr = json_array();
	for (; *items; items++)
		json_array_append_new(arr, json_string(*items));
	return arr;
}

json_t *runtime_spec_default(bool rootless)
{
	json_t *caps = string_list(runtime_default_caps);
	json_t *process =
	    json_pack("{s:b, s:{s:i, s:i}, s:[s], s:[s, s], s:s, s:{s:O, s:O, s:O, s:O}, s:[{s:s, s:i, s:i}], s:b}",
		      "terminal", 1, "user", "uid", 0, "gid", 0, "args", "sh", "env",
		      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm", "cwd", "/",
		      "capabilities", "bounding", caps, "effective", caps, "permitted", caps, "ambient", caps,
		      "rlimits", "type", "RLIMIT_NOFILE", "hard", 1024, "soft", 1024, "noNewPrivileges", 1);
	json_decref(caps);
	json_t *mounts = json_pack(
	    "[{s:s, s:s, s:s},"
	    " {s:s, s:s, s:s, s:[s,s,s,s]},"
	    " {s:s, s:s, s:s, s:[s,s,s,s,s,s]},"
	    " {s:s, s:s, s:s, s:[s,s,s,s,s]},"
	    " {s:s, s:s, s:s, s:[s,s,s]},"
	    " {s:s, s:s, s:s, s:[s,s,s,s]},"
	    " {s:s, s:s, s:s, s:[s,s,s,s,s]}]",
	    "destination", "/proc", "type", "proc", "source", "proc", "destination", "/dev", "type", "tmpfs", "source",
	    "tmpfs", "options", "nosuid", "strictatime", "mode=755", "size=65536k", "destination", "/dev/pts", "type",
	    "devpts", "source", "devpts", "options", "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620",
	    "gid=5", "destination", "/dev/shm", "type", "tmpfs", "source", "shm", "options", "nosuid", "noexec",
	    "nodev", "mode=1777", "size=65536k", "destination", "/dev/mqueue", "type", "mqueue", "source", "mqueue",
	    "options", "nosuid", "noexec", "nodev", "destination", "/sys", "type", "sysfs", "source", "sysfs",
	    "options", "nosuid", "noexec", "nodev", "ro", "destination", "/sys/fs/cgroup", "type", "cgroup", "source",
	    "cgroup", "options", "nosuid", "noexec", "nodev", "relatime", "ro");
	json_t *namespaces = json_pack("[{s:s}, {s:s}, {s:s}, {s:s}, {s:s}]", "type", "pid", "type", "network", "type",
				       "ipc", "type", "uts", "type", "mount");
	json_t *linux_obj =
	    json_pack("{s:o, s:o, s:o, s:{s:[{s:b, s:s}]}}", "namespaces", namespaces, "maskedPaths",
		      string_list(runtime_default_masked_paths), "readonlyPaths",
		      string_list(runtime_default_readonly_paths), "resources", "devices", "allow", 0, "access", "rwm");
	if (rootless) {
		json_array_append_new(namespaces, json_pack("{s:s}", "type", "user"));
		json_object_set_new(linux_obj, "uidMappings",
				    json_pack("[{s:i, s:i, s:i}]", "containerID", 0, "hostID", 1000, "size", 1));
		json_object_set_new(linux_obj, "gidMappings",
				    json_pack("[{s:i, s:i, s:i}]", "containerID", 0, "hostID", 1000, "size", 1));
	}
	return json_pack("{s:s, s:o, s:{s:s, s:b}, s:s, s:o, s:o}", "ociVersion", "1.2.0", "process", process, "root",
			 "path", "rootfs", "readonly", 1, "hostname", "cocoon", "mounts", mounts, "linux", linux_obj);
}
