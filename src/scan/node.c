/* A host's filesystem as the scanner's input (see node.h). The walk itself is the image reader's
 * directory walk; this file decides where it goes and reports what it found as events. */
#include "scan/node.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "scan/scan.h"
#include "scan/scan_events.h"

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

int scan_node_emit_events(const struct scan_result *r, const char *host, struct cc_error *err)
{
	_cleanup_free_ char *where = cc_xasprintf("node/%s", host);
	struct scan_event_subject subject = { .where = where,
					      .actor = "cocoon scan node",
					      .summary_action = "node.scanned",
					      .secret_context = " in a world-readable file" };
	return scan_emit_events(r, &subject, err);
}
