/* create, start, run, kill, delete, pause/resume. create is the only complex one:
 *
 *   runtime (parent)                          init (child of clone)
 *   load config, apply profile, (measure)
 *   mkdir state dir, mkfifo exec.fifo
 *   clone(new namespaces), into the v2 -----> wait for GO
 *   cgroup when no hook runs before start     (measurement thread: the rootfs, beside)
 *   uid/gid maps
 *   [hooks before start: cgroups, the init
 *   moved in, oom_score_adj, prestart and
 *   createRuntime hooks]
 *   send GO --------------------------------> mounts, pivot_root, user, caps, seccomp ...
 *   [no such hooks: cgroup directories -----> moves itself in (before a cgroup mount or
 *   and their files (CGROUP_JOIN...MADE),     a cgroup namespace)
 *   limits, then CGROUPS ------------------->  waits for them before READY]
 *   (forward pty master to console socket) <- PTY (fd)
 *   measurement log (and PCR), state.json, <- READY, then blocks opening exec.fifo for writing
 *   pid file, events; exit 0
 *   `start` opens exec.fifo for reading ----> open returns, writes one byte, execve(process.args)
 *   (O_NONBLOCK: reads the byte, or fails
 *   when init has died; see release_init)
 */
#include "runtime/container.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/log.h"
#include "lib/base/timeutil.h"
#include "lib/crypto/digest.h"
#include "lib/crypto/encode.h"
#include "lib/event/emit.h"
#include "lib/tpm/pcr.h"
#include "lib/tpm/tcti.h"
#include "runtime/cgroup.h"
#include "runtime/cgroup_join.h"
#include "runtime/fscrypt.h"
#include "runtime/hooks.h"
#include "runtime/idmap_mount.h"
#include "runtime/init.h"
#include "runtime/measure.h"
#include "runtime/phases.h"
#include "runtime/profile.h"
#include "runtime/rootfs.h"
#include "runtime/spec.h"
#include "runtime/sync.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

void runtime_emit(const char *action, const char *id, enum cc_event_verdict verdict, enum cc_event_severity severity,
		  const char *reason, json_t *extra)
{
	struct cc_event *ev;
	if (cc_event_new("runtime", action, &ev, NULL) < 0) {
		json_decref(extra);
		return;
	}
	char actor[32];
	snprintf(actor, sizeof(actor), "uid:%u", (unsigned)getuid());
	cc_event_set_actor(ev, actor);
	_cleanup_free_ char *object = cc_xasprintf("container/%s", id);
	cc_event_set_object(ev, object);
	cc_event_set_verdict(ev, verdict, severity);
	if (reason)
		cc_event_set_reason(ev, "%s", reason);
	if (extra) {
		const char *key;
		json_t *value;
		json_object_foreach (extra, key, value)
			cc_event_set_extra(ev, key, json_incref(value));
		json_decref(extra);
	}
	cc_event_emit(ev);
}

int runtime_signal_from_string(const char *s)
{
	static const struct {
		const char *name;
		int sig;
	} signals[] = {
		{ "HUP", SIGHUP },       { "INT", SIGINT },   { "QUIT", SIGQUIT },   { "ILL", SIGILL },
		{ "TRAP", SIGTRAP },     { "ABRT", SIGABRT }, { "BUS", SIGBUS },     { "FPE", SIGFPE },
		{ "KILL", SIGKILL },     { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV },   { "USR2", SIGUSR2 },
		{ "PIPE", SIGPIPE },     { "ALRM", SIGALRM }, { "TERM", SIGTERM },   { "CHLD", SIGCHLD },
		{ "CONT", SIGCONT },     { "STOP", SIGSTOP }, { "TSTP", SIGTSTP },   { "TTIN", SIGTTIN },
		{ "TTOU", SIGTTOU },     { "URG", SIGURG },   { "XCPU", SIGXCPU },   { "XFSZ", SIGXFSZ },
		{ "VTALRM", SIGVTALRM }, { "PROF", SIGPROF }, { "WINCH", SIGWINCH }, { "IO", SIGIO },
		{ "PWR", SIGPWR },       { "SYS", SIGSYS },
	};
	char *end;
	long n = strtol(s, &end, 10);
	if (*s && *end == '\0')
		return n > 0 && n < _NSIG ? (int)n : -1;
	if (strncmp(s, "SIG", 3) == 0)
		s += 3;
	for (size_t i = 0; i < CC_ARRAY_SIZE(signals); i++)
		if (strcmp(signals[i].name, s) == 0)
			return signals[i].sig;
	return -1;
}

static int join_pid_namespace(const struct runtime_spec *spec, struct cc_error *err)
{
	const char *path = spec->namespaces[RUNTIME_NS_PID].path;
	if (!path)
		return 0;
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWPID) < 0)
		return cc_error_set_errno(err, errno, "join pid namespace `%s`", path);
	return 0;
}

/* The time namespace, like the pid namespace, applies to the children of the process that enters
 * it, and clone() cannot create one (its flag collides with CSIGNAL). So the runtime unshares (or
 * joins) it itself and sets linux.timeOffsets before the container's init is cloned. */
static int enter_time_namespace(const struct runtime_spec *spec, struct cc_error *err)
{
	const struct runtime_namespace *ns = &spec->namespaces[RUNTIME_NS_TIME];
	if (!ns->enabled)
		return 0;
	if (ns->path) {
		_cleanup_close_ int fd = open(ns->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || setns(fd, CLONE_NEWTIME) < 0)
			return cc_error_set_errno(err, errno, "join time namespace `%s`", ns->path);
		return 0;
	}
	if (unshare(CLONE_NEWTIME) < 0)
		return cc_error_set_errno(err, errno, "create a time namespace");
	json_t *offsets = json_object_get(json_object_get(spec->json, "linux"), "timeOffsets");
	static const char *const clocks[] = { "monotonic", "boottime" };
	for (size_t i = 0; i < CC_ARRAY_SIZE(clocks); i++) {
		json_t *clock = json_object_get(offsets, clocks[i]);
		if (!clock)
			continue;
		char line[96];
		snprintf(line, sizeof(line), "%s %lld %lld", clocks[i],
			 (long long)json_integer_value(json_object_get(clock, "secs")),
			 (long long)json_integer_value(json_object_get(clock, "nanosecs")));
		_cleanup_close_ int fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, line, strlen(line)) < 0)
			return cc_error_set_errno(err, errno, "set linux.timeOffsets.%s", clocks[i]);
	}
	return 0;
}

/* In the child: join namespaces given by path (user first: it decides what we may do next). */
static int join_namespaces(const struct runtime_spec *spec, struct cc_error *err)
{
	static const enum runtime_ns order[] = { RUNTIME_NS_USER,    RUNTIME_NS_IPC,    RUNTIME_NS_UTS,
						 RUNTIME_NS_NETWORK, RUNTIME_NS_CGROUP, RUNTIME_NS_MOUNT };
	for (size_t i = 0; i < CC_ARRAY_SIZE(order); i++) {
		const struct runtime_namespace *ns = &spec->namespaces[order[i]];
		if (!ns->enabled || !ns->path)
			continue;
		_cleanup_close_ int fd = open(ns->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || setns(fd, runtime_ns_clone_flag(order[i])) < 0)
			return cc_error_set_errno(err, errno, "join %s namespace `%s`", runtime_ns_name(order[i]),
						  ns->path);
	}
	return 0;
}

static int clone_flags(const struct runtime_spec *spec, struct cc_error *err)
{
	int flags = 0;
	for (int ns = 0; ns < RUNTIME_NS_MAX; ns++) {
		if (!spec->namespaces[ns].enabled || spec->namespaces[ns].path || ns == RUNTIME_NS_PID)
			continue;
		if (ns == RUNTIME_NS_TIME)
			continue; /* entered by the runtime before clone: see enter_time_namespace */
		if (ns == RUNTIME_NS_CGROUP)
			continue; /* made by the init once it is in its cgroups (runtime_init_main) */
		flags |= runtime_ns_clone_flag(ns);
	}
	if (spec->namespaces[RUNTIME_NS_PID].enabled && !spec->namespaces[RUNTIME_NS_PID].path)
		flags |= CLONE_NEWPID;
	return flags;
}

/* Decides the profile: the annotation or --profile; "confidential" wins over anything else. */
static const char *choose_profile(const struct runtime_spec *spec, const char *cli)
{
	const char *annotation = runtime_spec_annotation(spec, RUNTIME_PROFILE_ANNOTATION);
	if ((cli && strcmp(cli, "confidential") == 0) || (annotation && strcmp(annotation, "confidential") == 0))
		return "confidential";
	return NULL;
}

static char *default_measurement_log(const struct runtime_globals *g)
{
	return g->measurement_log ? cc_xstrdup(g->measurement_log) : cc_xasprintf("%s/measurements.jsonl", g->root);
}

int runtime_write_pid_file(const char *path, pid_t pid, struct cc_error *err)
{
	char text[16];
	snprintf(text, sizeof(text), "%d", (int)pid);
	return cc_replace_file(path, text, strlen(text), 0644, err);
}

/* What create builds up, phase by phase (create_container); creation_abort undoes what exists of
 * it after a failure and creation_release frees it either way. */
struct creation {
	const struct runtime_globals *g;
	const struct runtime_create_opts *o;
	char *bundle; /* resolved */
	struct runtime_spec *spec;
	const char *profile; /* "confidential" or NULL */
	char *measurement;
	json_t *parts; /* what the measurement was made of (lib/crypto/launch_measurement.h) */
	struct runtime_state *state;
	pid_t pid;
	int sync_fd;
	struct runtime_seccomp_program filter, confidential_filter;
	struct runtime_phases phases;
	bool cgroups_after_go; /* see cgroups_beside_setup */
	int v2_cgroup_fd;      /* see open_v2_cgroup; -1 when none */
	bool v2_joined;        /* the init was cloned into it */
	/* The measurement taken while the init sets up (see measure_beside_setup). */
	pthread_t measurer;
	bool measuring;
	int measure_result;
	uint64_t measure_ns;
	struct cc_error measure_err;
};

static int measure_container(struct creation *c, struct cc_error *err);

static void *measurer_main(void *arg)
{
	struct creation *c = arg;
	uint64_t start = runtime_phases_now();
	c->measure_result = measure_container(c, &c->measure_err);
	c->measure_ns = runtime_phases_now() - start;
	return NULL;
}

/* The mount points the init would create in the rootfs, made first: the rootfs is then the same at
 * a container's first launch as at later ones (one measurement for both), and the init changes
 * nothing in it. Returns whether that worked. */
static bool create_mount_points(const struct creation *c)
{
	struct cc_error ignored = { 0 };
	return c->spec->namespaces[RUNTIME_NS_MOUNT].enabled &&
	       runtime_rootfs_create_mount_points(c->spec, &ignored) == 0;
}

/* The measurement may be taken while the init is cloned and sets up when nothing in between can
 * change the rootfs: the mount points exist, no fscrypt storage, no hooks that run before the
 * workload (and no hook needs the measurement in its state). The thread starts after the clone: a
 * clone while another thread may hold the allocator's lock would leave the child with that lock. */
static bool measure_beside_setup(const struct creation *c, bool mount_points_ready)
{
	const struct runtime_spec *spec = c->spec;
	/* Device nodes are made in the rootfs itself unless /dev is a mount of the config's. */
	bool dev_mounted = false;
	for (size_t i = 0; i < spec->mount_count; i++)
		dev_mounted |= strcmp(spec->mounts[i].destination, "/dev") == 0;
	for (size_t i = 0; i < spec->device_count; i++)
		if (!dev_mounted || strncmp(spec->devices[i].path, "/dev/", 5) != 0)
			return false;
	return mount_points_ready && !runtime_spec_annotation(spec, RUNTIME_FSCRYPT_KEY_ANNOTATION) &&
	       spec->hook_count[RUNTIME_HOOK_PRESTART] == 0 && spec->hook_count[RUNTIME_HOOK_CREATE_RUNTIME] == 0 &&
	       spec->hook_count[RUNTIME_HOOK_CREATE_CONTAINER] == 0 &&
	       spec->hook_count[RUNTIME_HOOK_START_CONTAINER] == 0;
}

static void start_measuring(struct creation *c)
{
	c->measuring = pthread_create(&c->measurer, NULL, measurer_main, c) == 0;
	if (!c->measuring) /* no thread to be had: measure here */
		c->measure_result = measure_container(c, &c->measure_err);
}

static int finish_measuring(struct creation *c, struct cc_error *err)
{
	if (c->measuring) {
		pthread_join(c->measurer, NULL);
		c->measuring = false;
		runtime_phases_beside(&c->phases, "measure", c->measure_ns);
	}
	if (c->measure_result < 0) {
		*err = c->measure_err;
		return c->measure_result;
	}
	return 0;
}

static void creation_abort(struct creation *c)
{
	struct cc_error ignored = { 0 };
	finish_measuring(c, &ignored);
	if (c->pid > 0) {
		kill(c->pid, SIGKILL);
		waitpid(c->pid, NULL, 0);
	}
	if (c->state && c->state->cgroup_paths)
		runtime_cgroup_destroy(c->state->cgroup_paths, NULL);
	if (c->state && c->state->fscrypt_dir && c->state->fscrypt_key_id)
		runtime_fscrypt_shred(c->state->fscrypt_dir, c->state->fscrypt_key_id, NULL);
	if (c->state && c->state->dir)
		runtime_state_remove_dir(c->state->dir, NULL);
}

/* Phase 1: the bundle's config, with a root that exists. */
static int load_bundle(struct creation *c, struct cc_error *err)
{
	const struct runtime_create_opts *o = c->o;
	if (!runtime_id_valid(o->id))
		return cc_error_set(err, EINVAL, "invalid container id `%.64s` (use letters, digits, _ + . -)", o->id);
	c->bundle = realpath(o->bundle ? o->bundle : ".", NULL);
	if (!c->bundle)
		return cc_error_set_errno(err, errno, "bundle `%s`", o->bundle ? o->bundle : ".");
	int r = runtime_spec_load(c->bundle, &c->spec, err);
	if (r < 0)
		return r;
	struct stat st;
	if (stat(c->spec->root_path, &st) < 0 || !S_ISDIR(st.st_mode))
		return cc_error_set(err, ENOENT, "root.path `%s` is not a directory", c->spec->root_path);
	return 0;
}

/* Phase 2: the profile, which may tighten the spec or refuse it. */
static int apply_profile(struct creation *c, struct cc_error *err)
{
	const char *id = c->o->id;
	c->profile = choose_profile(c->spec, c->o->profile);
	if (!c->profile)
		return 0;
	_cleanup_buf_ struct cc_buf report = CC_BUF_INIT;
	int r = runtime_profile_confidential(c->spec, &report, err);
	if (r < 0) {
		runtime_emit("profile.refuse", id, CC_VERDICT_DENY, CC_SEVERITY_WARNING, cc_error_message(err),
			     json_pack("{s:s}", "profile", c->profile));
		return r;
	}
	/* Say exactly what was taken away: one log line and one event per change. */
	for (char *line = report.data, *nl; line && (nl = strchr(line, '\n')); line = nl + 1) {
		*nl = '\0';
		cc_warning("confidential profile: %s", line);
		runtime_emit("profile.tighten", id, CC_VERDICT_ALLOW, CC_SEVERITY_NOTICE, line,
			     json_pack("{s:s}", "profile", c->profile));
	}
	return 0;
}

/* Phase 3: the measurement of config, rootfs and profile (cached under the state root). */
static int measure_container(struct creation *c, struct cc_error *err)
{
	if (cc_mkdir_p(c->g->root, 0700, err) < 0)
		return cc_error_prefix(err, "state root");
	_cleanup_free_ char *cache = cc_xasprintf("%s/measure-cache.bin", c->g->root);
	if (runtime_measure(c->spec, c->profile, cache, &c->measurement, &c->parts, err) < 0)
		return cc_error_prefix(err, "measure container");
	return 0;
}

/* Phase 4: the state directory and the state that will go into it. state->dir is set only once the
 * directory is ours, so a failure never removes another container's directory. */
static int make_state_dir(struct creation *c, struct cc_error *err)
{
	const struct runtime_spec *spec = c->spec;
	const char *id = c->o->id;
	struct runtime_state *state = c->state = cc_xcalloc(1, sizeof(*c->state));
	state->id = cc_xstrdup(id);
	_cleanup_free_ char *dir = cc_xasprintf("%s/%s", c->g->root, id);
	if (mkdir(dir, 0700) < 0) {
		if (errno == EEXIST)
			return cc_error_set(err, EEXIST, "container `%s` already exists", id);
		return cc_error_set_errno(err, errno, "create state directory `%s`", dir);
	}
	state->dir = CC_TAKE_PTR(dir);
	state->bundle = cc_xstrdup(c->bundle);
	state->rootfs = cc_xstrdup(spec->root_path);
	state->created_ns = cc_time_now_ns();
	state->owner = cc_xstrdup("");
	state->annotations = spec->annotations ? json_deep_copy(spec->annotations) : NULL;
	state->measurement = c->measurement ? cc_xstrdup(c->measurement) : NULL; /* later when taken beside */
	state->profile = c->profile ? cc_xstrdup(c->profile) : NULL;
	state->use_terminal = spec->process.terminal;
	state->late_hooks = spec->hook_count[RUNTIME_HOOK_POSTSTART] > 0 || spec->hook_count[RUNTIME_HOOK_POSTSTOP] > 0;
	return 0;
}

/* Phase 5: the exec FIFO the init waits on until `start`; *ret_fd is an O_PATH descriptor of it,
 * which the init reopens for writing. */
static int make_exec_fifo(const struct runtime_state *state, int *ret_fd, struct cc_error *err)
{
	_cleanup_free_ char *fifo = runtime_exec_fifo_path(state->dir);
	/* Writable by the workload's user, which opens it after switching user; the 0700 state
	 * directory keeps everyone else from reaching it by path (runc does the same). */
	if (mkfifo(fifo, 0600) < 0 || chmod(fifo, 0622) < 0)
		return cc_error_set_errno(err, errno, "create exec FIFO `%s`", fifo);
	int fd = open(fifo, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return cc_error_set_errno(err, errno, "open exec FIFO");
	*ret_fd = fd;
	return 0;
}

/* Phase 6: fscrypt storage when the config asks for it by annotation. */
static int encrypt_storage(struct creation *c, struct cc_error *err)
{
	const char *key_ref = runtime_spec_annotation(c->spec, RUNTIME_FSCRYPT_KEY_ANNOTATION);
	if (!key_ref)
		return 0;
	struct runtime_fscrypt enc;
	if (runtime_fscrypt_setup(c->spec, key_ref, &enc, err) < 0)
		return cc_error_prefix(err, "encrypted storage");
	c->state->fscrypt_dir = enc.dir;
	c->state->fscrypt_key_id = cc_xstrdup(enc.key_id);
	runtime_emit("volume.encrypt", c->o->id, CC_VERDICT_ALLOW, CC_SEVERITY_NOTICE,
		     "writable storage encrypted with fscrypt v2",
		     json_pack("{s:s, s:s}", "directory", enc.dir, "keyIdentifier", enc.key_id));
	return 0;
}

/* The container's v2 cgroup, made before the clone so that the init starts in it; in the state
 * at once, so that a failed create removes it. */
static int open_v2_cgroup(struct creation *c, struct cc_error *err)
{
	_cleanup_free_ char *relative = runtime_cgroup_relative_path(c->spec->cgroups_path, c->o->id);
	char *dir;
	if (runtime_cgroup_open_v2(relative, &c->v2_cgroup_fd, &dir, err) < 0)
		return cc_error_prefix(err, "set up cgroups");
	if (dir) {
		if (!c->state->cgroup_paths)
			c->state->cgroup_paths = json_object();
		json_object_set_new(c->state->cgroup_paths, "unified", json_string(dir));
		free(dir);
	}
	return 0;
}

/* Phase 7: clone the init into its new namespaces. The child never returns: it runs
 * runtime_init_main, which waits for GO on the sync socket. */
static int clone_init(struct creation *c, int fifo_fd, struct cc_error *err)
{
	const struct runtime_spec *spec = c->spec;
	int flags = clone_flags(spec, err);
	if (flags < 0)
		return flags;
	int r;
	if ((r = join_pid_namespace(spec, err)) < 0 || (r = enter_time_namespace(spec, err)) < 0)
		return r;
	int pair[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
		return cc_error_set_errno(err, errno, "create sync socket");
	fflush(NULL);
	pid_t pid = runtime_cgroup_clone_into((unsigned long)flags, c->v2_cgroup_fd, &c->v2_joined);
	if (pid != 0 && c->v2_cgroup_fd >= 0) {
		close(c->v2_cgroup_fd);
		c->v2_cgroup_fd = -1;
	}
	if (pid < 0) {
		close(pair[0]);
		close(pair[1]);
		return cc_error_set_errno(err, errno, "create the container process (clone)");
	}
	if (pid == 0) {
		close(pair[0]);
		struct cc_error child_err = { 0 };
		if (join_namespaces(spec, &child_err) < 0) {
			runtime_sync_send(pair[1], RUNTIME_SYNC_ERROR, cc_error_message(&child_err), -1);
			_exit(1);
		}
		struct runtime_init_args args = {
			.spec = spec,
			.sync_fd = pair[1],
			.fifo_fd = fifo_fd,
			.preserve_fds = c->o->preserve_fds,
			.confidential = c->profile != NULL,
			.filter = &c->filter,
			.confidential_filter = &c->confidential_filter,
			.new_keyring = !c->o->no_new_keyring,
			.cgroups_after_go = c->cgroups_after_go,
		};
		runtime_init_main(&args);
	}
	close(pair[1]);
	c->pid = c->state->pid = pid;
	c->sync_fd = pair[0];
	return 0;
}

/* Whether the cgroups may be set up while the init builds its rootfs: nothing that runs before
 * start may see the container without them, so not with prestart, createRuntime, createContainer
 * or startContainer hooks. The init moves itself in before a cgroup mount (which binds its own
 * cgroups) or a cgroup namespace, and waits for the limits before READY, so the workload always
 * starts inside them. */
static bool cgroups_beside_setup(const struct runtime_spec *spec)
{
	return spec->hook_count[RUNTIME_HOOK_PRESTART] == 0 && spec->hook_count[RUNTIME_HOOK_CREATE_RUNTIME] == 0 &&
	       spec->hook_count[RUNTIME_HOOK_CREATE_CONTAINER] == 0 &&
	       spec->hook_count[RUNTIME_HOOK_START_CONTAINER] == 0;
}

/* A message to the init during its setup: one it cannot take fails the create, with why. */
static int send_to_init(const struct creation *c, int type, const char *text, int fd, struct cc_error *err)
{
	return runtime_sync_send_or_why(c->sync_fd, type, text, fd, "the container process exited during setup", err);
}

struct join_sender {
	const struct creation *c;
	size_t sent;
	bool init_failed; /* the error is the init's (it exited, and why), not the cgroups' */
};

static int send_join(void *arg, int fd, const char *dir, struct cc_error *err)
{
	struct join_sender *s = arg;
	int r = send_to_init(s->c, RUNTIME_SYNC_CGROUP_JOIN, dir, fd, err);
	if (r == 0)
		s->sent++;
	s->init_failed = r < 0;
	return r;
}

/* With the cgroups set up beside the init's setup: the directories, which the init moves itself
 * into at once (runtime_cgroup_each_self_join: a descriptor per cgroup, then CGROUPS_MADE with
 * their number, which the init checks), then the limits while it goes on, then CGROUPS, which it
 * waits for before READY. */
static int create_cgroups_for_init(struct creation *c, const char *relative, struct cc_error *err)
{
	json_t *paths;
	if (runtime_cgroup_make(relative, &paths, err) < 0)
		return cc_error_prefix(err, "set up cgroups");
	json_decref(c->state->cgroup_paths);
	c->state->cgroup_paths = paths;
	struct join_sender sender = { .c = c };
	int r = runtime_cgroup_each_self_join(paths, c->v2_joined, send_join, &sender, err);
	if (r < 0)
		return sender.init_failed ? r : cc_error_prefix(err, "set up cgroups");
	char count[24];
	snprintf(count, sizeof(count), "%zu", sender.sent);
	if ((r = send_to_init(c, RUNTIME_SYNC_CGROUPS_MADE, count, -1, err)) < 0)
		return r;
	if ((r = runtime_cgroup_apply(paths, &c->spec->resources, err)) < 0)
		return cc_error_prefix(err, "set up cgroups");
	return send_to_init(c, RUNTIME_SYNC_CGROUPS, NULL, -1, err);
}

/* The init's cgroups and oom_score_adj. */
static int join_cgroups(struct creation *c, struct cc_error *err)
{
	const struct runtime_spec *spec = c->spec;
	struct runtime_state *state = c->state;
	_cleanup_free_ char *relative = runtime_cgroup_relative_path(spec->cgroups_path, c->o->id);
	if (c->cgroups_after_go) {
		int r = create_cgroups_for_init(c, relative, err);
		if (r < 0)
			return r;
	} else {
		json_t *paths;
		if (runtime_cgroup_setup(relative, &spec->resources, c->pid, &paths, err) < 0)
			return cc_error_prefix(err, "set up cgroups");
		json_decref(state->cgroup_paths);
		state->cgroup_paths = paths;
	}
	if (spec->process.has_oom_score_adj) {
		_cleanup_free_ char *path = cc_xasprintf("/proc/%d/oom_score_adj", (int)c->pid);
		char value[16];
		snprintf(value, sizeof(value), "%d", spec->process.oom_score_adj);
		_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, value, strlen(value)) < 0)
			return cc_error_set_errno(err, errno, "set oom_score_adj");
	}
	state->pid_start_time = runtime_pid_start_time(c->pid);
	return 0;
}

/* GO, with the state for the init's hooks. */
static int send_go(struct creation *c, struct cc_error *err)
{
	_cleanup_free_ char *state_text = runtime_state_to_text(c->state);
	if (strlen(state_text) >= sizeof(((struct runtime_sync_msg *)0)->text))
		return cc_error_set(err, E2BIG, "container state (annotations) too large for hooks");
	return send_to_init(c, RUNTIME_SYNC_GO, state_text, -1, err);
}

/* Phase 8: from outside, what the init cannot do for itself: id maps, cgroups, oom_score_adj, and
 * the prestart and createRuntime hooks; then GO. Without hooks before start the cgroups are set up
 * after GO, while the init builds its rootfs (cgroups_after_go). */
static int configure_init(struct creation *c, struct cc_error *err)
{
	const struct runtime_spec *spec = c->spec;
	int r;
	if (spec->namespaces[RUNTIME_NS_USER].enabled && !spec->namespaces[RUNTIME_NS_USER].path) {
		if ((r = runtime_write_id_map(c->pid, "uid_map", spec->uid_maps, spec->uid_map_count, err)) < 0 ||
		    (r = runtime_write_id_map(c->pid, "gid_map", spec->gid_maps, spec->gid_map_count, err)) < 0)
			return r;
	}
	runtime_phases_mark(&c->phases, "id-maps");
	if (c->cgroups_after_go) {
		if ((r = runtime_idmap_mounts_send(spec, c->sync_fd, err)) < 0 || (r = send_go(c, err)) < 0 ||
		    (r = join_cgroups(c, err)) < 0)
			return r;
		runtime_phases_mark(&c->phases, "cgroups");
		/* Idle until the init is ready: libcrypto is loaded here (the better part of a millisecond),
		 * while the measurement thread walks the rootfs, which needs it only at the end. */
		if (c->measuring) {
			cc_digest_warm_up();
			runtime_phases_mark(&c->phases, "digest-warm-up");
		}
		return 0;
	}
	if ((r = join_cgroups(c, err)) < 0)
		return r;
	runtime_phases_mark(&c->phases, "cgroups");
	if ((r = runtime_idmap_mounts_send(spec, c->sync_fd, err)) < 0)
		return r;
	if ((r = runtime_hooks_run(spec, RUNTIME_HOOK_PRESTART, c->state, err)) < 0 ||
	    (r = runtime_hooks_run(spec, RUNTIME_HOOK_CREATE_RUNTIME, c->state, err)) < 0)
		return r;
	runtime_phases_mark(&c->phases, "hooks");
	return send_go(c, err);
}

/* A descriptor the init sends during setup: its terminal goes to --console-socket, its seccomp
 * notify fd to the config's listenerPath (with the state, as the runtime-spec asks). */
static int forward_init_fd(const struct creation *c, const struct runtime_sync_msg *msg, int fd, struct cc_error *err)
{
	if (msg->type == RUNTIME_SYNC_PTY)
		return runtime_send_fd(c->o->console_socket, fd, msg->text, err);
	if (msg->type != RUNTIME_SYNC_SECCOMP_FD)
		return 0;
	const char *listener = json_string_value(json_object_get(c->spec->seccomp, "listenerPath"));
	if (!listener)
		return 0;
	_cleanup_free_ char *text = runtime_state_to_text(c->state);
	if (runtime_send_fd(listener, fd, text, err) < 0)
		return cc_error_prefix(err, "seccomp listener");
	return 0;
}

/* Phase 9: serve the init until it is ready. */
static int run_init_setup(struct creation *c, struct cc_error *err)
{
	/* READY comes before the init's last steps (user, capabilities, filter); the init closes its end
	 * once they are done, and an ERROR before that is still a failed create. */
	for (bool ready = false;;) {
		struct runtime_sync_msg msg;
		int fd = -1;
		if (runtime_sync_recv(c->sync_fd, &msg, &fd) < 0) {
			if (ready)
				return 0;
			return cc_error_set(err, EPIPE, "the container process exited during setup");
		}
		if (msg.type == RUNTIME_SYNC_READY) {
			ready = true;
			continue;
		}
		if (msg.type == RUNTIME_SYNC_ERROR)
			return cc_error_set(err, EPERM, "%s", msg.text);
		if (fd >= 0) {
			int r = forward_init_fd(c, &msg, fd, err);
			close(fd);
			if (r < 0)
				return r;
		}
	}
}

/* Phase 10: the measurement into the log, then into the TPM. The log record is written before the
 * extend: a crash in between leaves a record the PCR does not contain, which a verifier reports,
 * never a PCR value it cannot explain. */
static int record_measurement(const struct creation *c, struct cc_error *err)
{
	const char *tcti = cc_tpm_tcti();
	int pcr = cc_tpm_pcr();
	_cleanup_free_ char *log = default_measurement_log(c->g);
	int r = runtime_measurement_log_append(log, c->o->id, c->measurement, c->parts, tcti ? pcr : -1, tcti, err);
	if (r < 0 || !tcti)
		return r;
	uint8_t digest[48];
	if (cc_hex_decode(c->measurement + strlen("sha384:"), digest, sizeof(digest)) < 0)
		return cc_error_set(err, EINVAL, "internal: malformed measurement `%s`", c->measurement);
	if (cc_tpm_pcr_extend(tcti, pcr, digest, err) < 0)
		return cc_error_prefix(err, "measured launch");
	return 0;
}

/* Does all of create except exiting; in `run` the caller stays the parent of init. The phases
 * follow the diagram at the top of this file. */
static int create_container(struct creation *c, struct cc_error *err)
{
	struct runtime_phases *t = &c->phases;
	int r;
	if ((r = load_bundle(c, err)) < 0)
		return r;
	runtime_phases_mark(t, "config");
	if ((r = apply_profile(c, err)) < 0)
		return r;
	runtime_phases_mark(t, "profile");
	if (c->spec->process.terminal && !c->o->console_socket)
		return cc_error_set(err, EINVAL,
				    "process.terminal is set: give --console-socket (podman and containerd do)");
	bool beside = measure_beside_setup(c, create_mount_points(c));
	if (!beside && (r = measure_container(c, err)) < 0)
		return r;
	runtime_phases_mark(t, "measure");
	if ((r = make_state_dir(c, err)) < 0)
		return r;
	_cleanup_close_ int fifo_fd = -1;
	if ((r = make_exec_fifo(c->state, &fifo_fd, err)) < 0 || (r = encrypt_storage(c, err)) < 0)
		return r;
	runtime_phases_mark(t, "state-dir");
	if ((r = runtime_seccomp_programs_prepare(c->spec, c->profile != NULL, c->g->root, &c->filter,
						  &c->confidential_filter, err)) < 0)
		return r;
	runtime_phases_mark(t, "seccomp");
	c->cgroups_after_go = cgroups_beside_setup(c->spec);
	if (c->cgroups_after_go && (r = open_v2_cgroup(c, err)) < 0)
		return r;
	if ((r = clone_init(c, fifo_fd, err)) < 0)
		return r;
	runtime_phases_mark(t, "clone");
	if (beside)
		start_measuring(c);
	if ((r = configure_init(c, err)) < 0 || (r = run_init_setup(c, err)) < 0)
		return r;
	runtime_phases_mark(t, "init-setup");
	if (beside && (r = finish_measuring(c, err)) < 0)
		return r;
	runtime_phases_mark(t, "measure");
	if (!c->state->measurement)
		c->state->measurement = cc_xstrdup(c->measurement);
	/* Recorded (and extended) before the state exists: `start` needs the state, so no workload
	 * can run before its measurement is in the log and the PCR. */
	if ((r = record_measurement(c, err)) < 0)
		return r;
	runtime_phases_mark(t, "measurement-log");
	if ((r = runtime_state_save(c->state, err)) < 0)
		return r;
	runtime_phases_mark(t, "state-save");
	if (c->o->pid_file && (r = runtime_write_pid_file(c->o->pid_file, c->pid, err)) < 0)
		return r;
	runtime_emit("container.create", c->o->id, CC_VERDICT_ALLOW, CC_SEVERITY_INFO, "container created and measured",
		     json_pack("{s:s, s:s, s:s?, s:i}", "measurement", c->measurement, "bundle", c->bundle, "profile",
			       c->profile, "pid", (int)c->pid));
	runtime_phases_mark(t, "audit");
	return 0;
}

/* create_container, and on failure the error event and the removal of what was half made. */
static int create_or_abort(struct creation *c, struct cc_error *err)
{
	int r = create_container(c, err);
	if (r < 0) {
		runtime_emit("container.create", c->o->id, CC_VERDICT_ERROR, CC_SEVERITY_ERROR, cc_error_message(err),
			     NULL);
		creation_abort(c);
	}
	return r;
}

/* What the creating process holds once the container exists (or failed to). */
static void creation_release(struct creation *c)
{
	if (c->sync_fd >= 0)
		close(c->sync_fd);
	if (c->v2_cgroup_fd >= 0)
		close(c->v2_cgroup_fd);
	runtime_state_free(c->state);
	runtime_seccomp_program_clear(&c->filter);
	runtime_seccomp_program_clear(&c->confidential_filter);
	runtime_spec_free(c->spec);
	free(c->measurement);
	json_decref(c->parts);
	free(c->bundle);
}

int runtime_create(const struct runtime_globals *g, const struct runtime_create_opts *o, struct cc_error *err)
{
	struct creation c = { .g = g, .o = o, .sync_fd = -1, .v2_cgroup_fd = -1 };
	runtime_phases_init(&c.phases);
	int r = create_or_abort(&c, err);
	runtime_phases_report(&c.phases);
	creation_release(&c);
	return r;
}

int runtime_measure_only(const struct runtime_globals *g, const struct runtime_create_opts *o, bool record,
			 json_t **ret, struct cc_error *err)
{
	struct creation c = { .g = g, .o = o, .sync_fd = -1, .v2_cgroup_fd = -1 };
	int r = load_bundle(&c, err);
	if (r == 0)
		r = apply_profile(&c, err);
	if (r == 0)
		r = measure_container(&c, err);
	if (r == 0 && record)
		r = record_measurement(&c, err);
	if (r == 0) {
		*ret = json_pack("{s:s, s:s, s:O, s:b}", "container", o->id, "measurement", c.measurement, "parts",
				 c.parts, "recorded", record);
		runtime_emit("container.measure", o->id, CC_VERDICT_ALLOW, CC_SEVERITY_INFO,
			     record ? "measured ahead of create, and recorded" : "measured ahead of create",
			     json_pack("{s:s, s:s, s:s?}", "measurement", c.measurement, "bundle", c.bundle, "profile",
				       c.profile));
	}
	creation_release(&c);
	return r;
}

static int init_exited_error(const struct runtime_state *st, struct cc_error *err)
{
	return cc_error_set(err, ESRCH,
			    "container `%s` cannot start: its process (pid %d) exited after create; "
			    "remove the container with `delete`",
			    st->id, (int)st->pid);
}

/* How often `start` looks at an init that has not written to the exec FIFO yet. */
#define EXEC_FIFO_POLL_MS 10

/* Lets the init execute the workload: the init blocks opening the exec FIFO for writing and writes
 * one byte once `start` opens it for reading. The FIFO is opened with O_NONBLOCK so that an init that
 * died cannot leave `start` blocked in open() for ever: read() returns 0 while nobody holds the write
 * end (the init has not reached the FIFO yet, or is gone) and EAGAIN while the init holds it without
 * having written. Either way the init is looked at again, as runc does. */
static int release_init(const struct runtime_state *st, struct cc_error *err)
{
	_cleanup_free_ char *fifo = runtime_exec_fifo_path(st->dir);
	_cleanup_close_ int fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return cc_error_set_errno(err, errno, "open exec FIFO of `%s`", st->id);
	for (;;) {
		/* Looked at before the read: a byte the init wrote just before it died is still read. */
		bool alive = runtime_state_init_alive(st);
		char byte;
		ssize_t n = read(fd, &byte, 1);
		if (n == 1) {
			unlink(fifo);
			return 0;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return cc_error_set_errno(err, errno, "read exec FIFO of `%s`", st->id);
		if (!alive)
			return init_exited_error(st, err);
		/* Another `start` took the byte (or `delete` ran): this init will never write again. */
		if (access(fifo, F_OK) != 0)
			return cc_error_set(err, EALREADY, "container `%s` was started or deleted meanwhile", st->id);
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		poll(&pfd, 1, EXEC_FIFO_POLL_MS);
	}
}

/* Whether the container was never started: `start` removes the exec FIFO. */
static bool exec_fifo_exists(const struct runtime_state *st)
{
	_cleanup_free_ char *fifo = runtime_exec_fifo_path(st->dir);
	return access(fifo, F_OK) == 0;
}

/* Releases the init of a container known to be created, runs the poststart hooks, emits the event. */
static int start_created(const struct runtime_state *st, struct cc_error *err)
{
	int r = release_init(st, err);
	if (r == 0 && st->late_hooks)
		runtime_hooks_run_from_bundle(st, RUNTIME_HOOK_POSTSTART);
	runtime_emit("container.start", st->id, r == 0 ? CC_VERDICT_ALLOW : CC_VERDICT_ERROR,
		     r == 0 ? CC_SEVERITY_INFO : CC_SEVERITY_ERROR, r == 0 ? "workload started" : cc_error_message(err),
		     json_pack("{s:s?}", "measurement", st->measurement));
	return r;
}

int runtime_start(const struct runtime_globals *g, const char *id, struct cc_error *err)
{
	_cleanup_(runtime_state_freep) struct runtime_state *st = NULL;
	int r = runtime_state_load(g->root, id, &st, err);
	if (r < 0)
		return r;
	enum runtime_status status = runtime_state_status(st);
	if (status == RUNTIME_STATUS_STOPPED && exec_fifo_exists(st))
		return init_exited_error(st, err);
	if (status != RUNTIME_STATUS_CREATED)
		return cc_error_set(err, EINVAL, "container `%s` is %s, not created: cannot start it", id,
				    runtime_status_name(status));
	return start_created(st, err);
}

int runtime_kill(const struct runtime_globals *g, const char *id, int sig, bool all, struct cc_error *err)
{
	_cleanup_(runtime_state_freep) struct runtime_state *st = NULL;
	int r = runtime_state_load(g->root, id, &st, err);
	if (r < 0)
		return r;
	enum runtime_status status = runtime_state_status(st);
	if (status == RUNTIME_STATUS_STOPPED && !all)
		return cc_error_set(err, ESRCH, "container `%s` is not running", id);
	if (all)
		runtime_cgroup_kill_all(st->cgroup_paths, sig);
	else if (kill(st->pid, sig) < 0)
		return cc_error_set_errno(err, errno, "signal container `%s`", id);
	char reason[64];
	snprintf(reason, sizeof(reason), "signal %d sent%s", sig, all ? " to all processes" : "");
	runtime_emit("container.kill", id, CC_VERDICT_ALLOW, CC_SEVERITY_INFO, reason, NULL);
	return 0;
}

static void wait_for_exit(const struct runtime_state *st, int timeout_ms)
{
	int64_t deadline = cc_time_monotonic_ms() + timeout_ms;
	while (runtime_state_init_alive(st) && cc_time_monotonic_ms() < deadline)
		usleep(2000);
}

/* Removes the key of the container's encrypted storage, reporting the outcome as an event. */
static int shred_storage(const struct runtime_state *st, struct cc_error *err)
{
	int r = runtime_fscrypt_shred(st->fscrypt_dir, st->fscrypt_key_id, err);
	runtime_emit("volume.shred", st->id, r == 0 ? CC_VERDICT_ALLOW : CC_VERDICT_ERROR,
		     r == 0 ? CC_SEVERITY_NOTICE : CC_SEVERITY_ERROR,
		     r == 0 ? "encryption key removed from the filesystem: the data is unreadable"
			    : cc_error_message(err),
		     json_pack("{s:s}", "directory", st->fscrypt_dir));
	return r;
}

/* Everything of a container that outlives its processes; the first error is reported, and every step
 * is tried anyway so that as little as possible is left behind. */
static int remove_container(const struct runtime_state *st, struct cc_error *err)
{
	runtime_cgroup_kill_all(st->cgroup_paths, SIGKILL);
	int r = runtime_cgroup_destroy(st->cgroup_paths, err);
	if (st->late_hooks)
		runtime_hooks_run_from_bundle(st, RUNTIME_HOOK_POSTSTOP);
	if (st->fscrypt_dir && st->fscrypt_key_id) {
		struct cc_error shred_err = { 0 };
		int s = shred_storage(st, &shred_err);
		if (s < 0 && r == 0) {
			*err = shred_err;
			r = s;
		}
	}
	struct cc_error dir_err = { 0 };
	int d = runtime_state_remove_dir(st->dir, &dir_err);
	if (d < 0 && r == 0) {
		*err = dir_err;
		r = d;
	}
	return r;
}

/* delete of a container whose state is at hand. */
static int delete_loaded(const struct runtime_state *st, bool force, struct cc_error *err)
{
	const char *id = st->id;
	enum runtime_status status = runtime_state_status(st);
	if (status != RUNTIME_STATUS_STOPPED && status != RUNTIME_STATUS_CREATED && !force)
		return cc_error_set(err, EBUSY, "container `%s` is %s: stop it first or use --force", id,
				    runtime_status_name(status));
	if (status != RUNTIME_STATUS_STOPPED) {
		if (status == RUNTIME_STATUS_PAUSED)
			runtime_cgroup_freeze(st->cgroup_paths, false, NULL);
		kill(st->pid, SIGKILL);
		runtime_cgroup_kill_all(st->cgroup_paths, SIGKILL);
		wait_for_exit(st, 5000);
	}
	int r = remove_container(st, err);
	runtime_emit("container.delete", id, r == 0 ? CC_VERDICT_ALLOW : CC_VERDICT_ERROR,
		     r == 0 ? CC_SEVERITY_INFO : CC_SEVERITY_ERROR,
		     r == 0 ? "container removed" : cc_error_message(err), NULL);
	return r;
}

int runtime_delete(const struct runtime_globals *g, const char *id, bool force, struct cc_error *err)
{
	_cleanup_(runtime_state_freep) struct runtime_state *st = NULL;
	int r = runtime_state_load(g->root, id, &st, err);
	if (r < 0) {
		/* `delete --force` of a container that is already gone succeeds, as with runc. */
		if (force && r == -ENOENT)
			return 0;
		return r;
	}
	return delete_loaded(st, force, err);
}

int runtime_pause(const struct runtime_globals *g, const char *id, bool pause, struct cc_error *err)
{
	_cleanup_(runtime_state_freep) struct runtime_state *st = NULL;
	int r = runtime_state_load(g->root, id, &st, err);
	if (r < 0)
		return r;
	enum runtime_status status = runtime_state_status(st);
	if (pause && status != RUNTIME_STATUS_RUNNING && status != RUNTIME_STATUS_CREATED)
		return cc_error_set(err, EINVAL, "container `%s` is %s: only a running container can be paused", id,
				    runtime_status_name(status));
	if (!pause && status != RUNTIME_STATUS_PAUSED)
		return cc_error_set(err, EINVAL, "container `%s` is %s, not paused", id, runtime_status_name(status));
	if ((r = runtime_cgroup_freeze(st->cgroup_paths, pause, err)) < 0)
		return r;
	runtime_emit(pause ? "container.pause" : "container.resume", id, CC_VERDICT_ALLOW, CC_SEVERITY_INFO, NULL,
		     NULL);
	return 0;
}
static volatile sig_atomic_t forwarded_signal;

static void remember_signal(int sig)
{
	forwarded_signal = sig;
}

/* Waits for pid, forwarding the usual termination signals to it; returns a shell-style status. */
static int wait_forwarding(pid_t pid)
{
	static const int forward[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
	struct sigaction sa = { .sa_handler = remember_signal };
	for (size_t i = 0; i < CC_ARRAY_SIZE(forward); i++)
		sigaction(forward[i], &sa, NULL);
	for (;;) {
		int status;
		pid_t w = waitpid(pid, &status, 0);
		if (w == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		if (w < 0 && errno == EINTR && forwarded_signal) {
			kill(pid, forwarded_signal);
			forwarded_signal = 0;
			continue;
		}
		if (w < 0 && errno != EINTR)
			return 255;
	}
}

int runtime_run(const struct runtime_globals *g, const struct runtime_create_opts *o, bool detach, bool keep,
		int *ret_status, struct cc_error *err)
{
	struct creation c = { .g = g, .o = o, .sync_fd = -1, .v2_cgroup_fd = -1 };
	runtime_phases_init(&c.phases);
	int r = create_or_abort(&c, err);
	if (r < 0)
		goto out;
	/* The state just made is at hand: start and delete need not read it back. */
	if ((r = start_created(c.state, err)) < 0) {
		creation_abort(&c);
		goto out;
	}
	runtime_phases_mark(&c.phases, "start");
	*ret_status = 0;
	if (!detach) {
		*ret_status = wait_forwarding(c.pid);
		runtime_phases_mark(&c.phases, "workload");
		if (!keep)
			delete_loaded(c.state, true, NULL);
		runtime_phases_mark(&c.phases, "delete");
	}
out:
	runtime_phases_report(&c.phases);
	creation_release(&c);
	return r;
}
