/* A host's filesystem as the scanner's input (see node.h). The walk itself is the image reader's
 * directory walk; this file decides where it goes and reports what it found as events. */
#include "scan/node.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/event/emit.h"
#include "scan/scan.h"

#include <errno.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>

#ifndef CONFIGFS_MAGIC
#define CONFIGFS_MAGIC 0x62656570 /* fs/configfs/mount.c */
#endif
#ifndef FUSECTL_SUPER_MAGIC
#define FUSECTL_SUPER_MAGIC 0x65735543 /* fs/fuse/control.c */
#endif
#ifndef MQUEUE_MAGIC
#define MQUEUE_MAGIC 0x19800202 /* ipc/mqueue.c */
#endif

/* Filesystems whose files are the kernel's state, not files a host stores. */
static const unsigned long pseudo[] = {
	PROC_SUPER_MAGIC,     SYSFS_MAGIC,          CGROUP_SUPER_MAGIC, CGROUP2_SUPER_MAGIC, DEBUGFS_MAGIC,
	TRACEFS_MAGIC,        SECURITYFS_MAGIC,     SELINUX_MAGIC,      SMACK_MAGIC,         BPF_FS_MAGIC,
	PSTOREFS_MAGIC,       EFIVARFS_MAGIC,       DEVPTS_SUPER_MAGIC, BINFMTFS_MAGIC,      NSFS_MAGIC,
	CONFIGFS_MAGIC,       FUSECTL_SUPER_MAGIC,  MQUEUE_MAGIC,       HUGETLBFS_MAGIC,     AUTOFS_SUPER_MAGIC,
	RDTGROUP_SUPER_MAGIC, BINDERFS_SUPER_MAGIC,
};

/* Filesystems whose data another machine (or a user-space server) holds. */
static const unsigned long remote[] = { NFS_SUPER_MAGIC,  SMB_SUPER_MAGIC, SMB2_SUPER_MAGIC, CIFS_SUPER_MAGIC,
					CEPH_SUPER_MAGIC, AFS_FS_MAGIC,    V9FS_MAGIC,       FUSE_SUPER_MAGIC };

struct walk {
	const struct scan_node_options *node;
	unsigned long root_type;
};

static bool listed(unsigned long type, const unsigned long *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (type == list[i])
			return true;
	return false;
}

static bool excluded(const struct scan_node_options *node, const char *path)
{
	for (size_t i = 0; i < node->n_exclude; i++) {
		const char *x = node->exclude[i];
		while (*x == '/')
			x++;
		size_t n = strlen(x);
		while (n && x[n - 1] == '/')
			n--;
		if (n && !strncmp(path, x, n) && (path[n] == '\0' || path[n] == '/'))
			return true;
	}
	return false;
}

static bool enter_dir(void *ctx, const char *path, int dir_fd)
{
	struct walk *w = ctx;
	if (excluded(w->node, path))
		return false;
	struct statfs sf;
	if (fstatfs(dir_fd, &sf) < 0)
		return false;
	unsigned long type = (unsigned long)sf.f_type;
	if (listed(type, pseudo, CC_ARRAY_SIZE(pseudo)))
		return false;
	if (!w->node->remote && listed(type, remote, CC_ARRAY_SIZE(remote)))
		return false;
	/* an overlay mounted below the root is a container's filesystem, made of layers stored here */
	return !(type == OVERLAYFS_SUPER_MAGIC && w->root_type != OVERLAYFS_SUPER_MAGIC);
}

int scan_run_node(const char *root, const struct scan_node_options *node, const struct scan_options *opts,
		  struct scan_result *ret, struct cc_error *err)
{
	struct statfs sf;
	if (statfs(root, &sf) < 0)
		return cc_error_set_errno(err, errno, "`%s`", root);
	struct walk w = { .node = node, .root_type = (unsigned long)sf.f_type };
	struct scan_host_walk host = { .enter_dir = enter_dir, .ctx = &w };
	struct scan_options o = *opts;
	o.host = &host;
	return scan_run_image(root, &o, ret, err);
}

static int emit(struct cc_event *ev, struct cc_error *err)
{
	int r = cc_event_emit(ev);
	return r < 0 ? cc_error_set(err, -r, "a detection could not be written to the audit stream") : 0;
}

static int detection(const char *action, const char *host, const json_t *item, enum cc_event_severity severity,
		     const char *reason, json_t *extra, struct cc_error *err)
{
	struct cc_event *ev;
	int r = cc_event_new("scan", action, &ev, err);
	if (r < 0) {
		json_decref(extra);
		return r;
	}
	_cleanup_free_ char *object =
	    cc_xasprintf("node/%s:%s", host, json_string_value(json_object_get(item, "path")) ?: "?");
	cc_event_set_object(ev, object);
	cc_event_set_actor(ev, "cocoon scan node");
	cc_event_set_verdict(ev, CC_VERDICT_NONE, severity);
	cc_event_set_reason(ev, "%s", reason);
	cc_event_set_extra(ev, "detection", extra);
	return emit(ev, err);
}

int scan_node_emit_events(const struct scan_result *r, const char *host, struct cc_error *err)
{
	size_t i;
	json_t *m;
	int rc = 0;
	json_array_foreach (r->malware, i, m) {
		const char *signature = json_string_value(json_object_get(m, "signature"));
		_cleanup_free_ char *reason = cc_xasprintf("malware %s", signature ?: "?");
		if ((rc = detection("malware.detected", host, m, CC_SEVERITY_CRITICAL, reason,
				    json_pack("{s:O, s:O}", "signature", json_object_get(m, "signature"), "engine",
					      json_object_get(m, "engine")),
				    err)) < 0)
			return rc;
	}
	json_array_foreach (r->secrets, i, m) {
		_cleanup_free_ char *reason =
		    cc_xasprintf("%s in a world-readable file", json_string_value(json_object_get(m, "title")) ?: "?");
		if ((rc = detection("secret.detected", host, m, CC_SEVERITY_WARNING, reason,
				    json_pack("{s:O, s:O, s:O}", "rule", json_object_get(m, "rule"), "line",
					      json_object_get(m, "line"), "severity", json_object_get(m, "severity")),
				    err)) < 0)
			return rc;
	}
	struct cc_event *ev;
	if ((rc = cc_event_new("scan", "node.scanned", &ev, err)) < 0)
		return rc;
	_cleanup_free_ char *object = cc_xasprintf("node/%s:%s", host, r->target);
	cc_event_set_object(ev, object);
	cc_event_set_actor(ev, "cocoon scan node");
	bool found = json_array_size(r->malware) || json_array_size(r->secrets);
	cc_event_set_verdict(ev, CC_VERDICT_NONE, found ? CC_SEVERITY_WARNING : CC_SEVERITY_INFO);
	cc_event_set_reason(ev, "%zu packages, %zu vulnerabilities, %zu malware, %zu secrets", r->inventory.n_packages,
			    json_array_size(r->findings), json_array_size(r->malware), json_array_size(r->secrets));
	cc_event_set_extra(ev, "files", json_integer((json_int_t)r->image.files));
	return emit(ev, err);
}
