/* The create-time conversation between the runtime and the container's init over a socketpair:
 * small typed messages, each with at most one file descriptor (a pty master, a cgroup file, ...). */
#pragma once

#include <stddef.h>

enum runtime_sync_type {
	/* runtime -> init: namespaces and maps (and cgroups, unless CGROUP_JOINs follow) are ready */
	RUNTIME_SYNC_GO = 1,
	RUNTIME_SYNC_USERNS,       /* init -> runtime: write my uid/gid maps */
	RUNTIME_SYNC_PTY,          /* init -> runtime: here is the pty master (fd attached) */
	RUNTIME_SYNC_READY,        /* init -> runtime: set up, waiting for start */
	RUNTIME_SYNC_ERROR,        /* init -> runtime: failed; payload is the message */
	RUNTIME_SYNC_SECCOMP_FD,   /* init -> runtime: seccomp notify fd (fd attached) */
	RUNTIME_SYNC_MOUNT_FD,     /* runtime -> init, before GO: an idmapped tree for mounts[text] (fd attached) */
	RUNTIME_SYNC_CGROUPS,      /* runtime -> init, after GO when cgroups are set up beside the init's setup */
	RUNTIME_SYNC_CGROUP_JOIN,  /* runtime -> init: write "0" to join the cgroup text names (fd attached) */
	RUNTIME_SYNC_CGROUPS_MADE, /* runtime -> init, before CGROUPS: that many (text) JOINs were sent */
};

struct runtime_sync_msg {
	int type;
	char text[32768]; /* an error message, a pty name, or the state JSON for hooks */
};

int runtime_sync_send(int sock, int type, const char *text, int fd);
/* Receives one message; *ret_fd gets an attached descriptor or -1. */
int runtime_sync_recv(int sock, struct runtime_sync_msg *msg, int *ret_fd);

struct cc_error;

/* runtime_sync_send, and when the peer is gone (EPIPE), why: the ERROR it sent before it exited, or
 * gone (a sentence naming the peer) when it sent none; other failures name the errno. */
int runtime_sync_send_or_why(int sock, int type, const char *text, int fd, const char *gone, struct cc_error *err);

/* Connects to the unix socket at path and sends text with fd attached (SCM_RIGHTS): runc's console
 * socket protocol (the pty name and the master), also used for the seccomp notify listener. */
int runtime_send_fd(const char *path, int fd, const char *text, struct cc_error *err);
