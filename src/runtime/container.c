/* create, start, run, kill, delete, pause/resume. create is the only complex one:
 *
 *   runtime (parent)                          init (child of clone)
 *   load config, apply profile, measure
 *   mkdir state dir, mkfifo exec.fifo
 *   clone(new namespaces) ------------------> wait for GO
 *   uid/gid maps, cgroups, oom_score_adj,
 *   prestart/createRuntime hooks
 *   send GO --------------------------------> mounts, pivot_root, user, caps, seccomp ...
 *   (forward pty master to console socket) <- PTY (fd)
 *   write pid file, state.json, events    <- READY, then blocks opening exec.fifo for writing
 *   exit 0
 *   `start` opens exec.fifo for reading ----> open returns, execve(process.args)
 */
#include "runtime/container.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/log.h"
#include "lib/base/timeutil.h"
#include "lib/crypto/encode.h"
#include "lib/crypto/tpm_tcti.h"
#include "lib/event/emit.h"
#include "runtime/cgroup.h"
#include "runtime/fscrypt.h"
#include "runtime/hooks.h"
#include "runtime/init.h"
#include "runtime/measure.h"
#include "runtime/profile.h"
#include "runtime/spec.h"
#include "runtime/sync.h"
#include "runtime/tpm.h"

#include <errno.h>
#include <fcntl.h>
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

static int write_id_map(pid_t pid, const char *file, const struct runtime_id_map *maps, size_t count,
			struct cc_error *err)
{
	struct cc_buf text = CC_BUF_INIT;
	for (size_t i = 0; i < count; i++)
		cc_buf_appendf(&text, "%u %u %u\n", maps[i].container_id, maps[i].host_id, maps[i].size);
	_cleanup_free_ char *path = cc_xasprintf("/proc/%d/%s", (int)pid, file);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	int r = 0;
	if (fd < 0 || write(fd, text.data ? text.data : "", text.len) < 0)
		r = cc_error_set_errno(err, errno, "write %s of the container (%s)", file,
				       text.data ? text.data : "empty");
	cc_buf_free(&text);
	return r;
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
		if (fd < 0 || setns(fd, 0x80 /* CLONE_NEWTIME */) < 0)
			return cc_error_set_errno(err, errno, "join time namespace `%s`", ns->path);
		return 0;
	}
	if (unshare(0x80 /* CLONE_NEWTIME */) < 0)
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

struct creation {
	struct runtime_spec *spec;
	struct runtime_state *state;
	pid_t pid;
	int sync_fd;
};

static void creation_abort(struct creation *c)
{
	if (c->pid > 0) {
		kill(c->pid, SIGKILL);
		waitpid(c->pid, NULL, 0);
	}
	if (c->state && c->state->cgroup_paths)
		runtime_cgroup_destroy(c->state->cgroup_paths, NULL);
	if (c->state && c->state->fscrypt_dir && c->state->fscrypt_key_id)
		runtime_fscrypt_shred(c->state->fscrypt_dir, c->state->fscrypt_key_id, NULL);
	if (c->state && c->state->dir) {
		_cleanup_free_ char *fifo = runtime_exec_fifo_path(c->state->dir);
		_cleanup_free_ char *state = cc_xasprintf("%s/state.json", c->state->dir);
		unlink(fifo);
		unlink(state);
		rmdir(c->state->dir);
	}
}

/* Does all of create except exiting; in `run` the caller stays the parent of init. */
static int create_container(const struct runtime_globals *g, const struct runtime_create_opts *o, struct creation *c,
			    struct cc_error *err)
{
	int r;
	if (!runtime_id_valid(o->id))
		return cc_error_set(err, EINVAL, "invalid container id `%.64s` (use letters, digits, _ + . -)", o->id);
	_cleanup_free_ char *bundle = realpath(o->bundle ? o->bundle : ".", NULL);
	if (!bundle)
		return cc_error_set_errno(err, errno, "bundle `%s`", o->bundle ? o->bundle : ".");
	if ((r = runtime_spec_load(bundle, &c->spec, err)) < 0)
		return r;
	struct runtime_spec *spec = c->spec;
	struct stat st;
	if (stat(spec->root_path, &st) < 0 || !S_ISDIR(st.st_mode))
		return cc_error_set(err, ENOENT, "root.path `%s` is not a directory", spec->root_path);

	const char *profile = choose_profile(spec, o->profile);
	if (profile) {
		_cleanup_buf_ struct cc_buf report = CC_BUF_INIT;
		r = runtime_profile_confidential(spec, &report, err);
		if (r < 0) {
			runtime_emit("profile.refuse", o->id, CC_VERDICT_DENY, CC_SEVERITY_WARNING,
				     cc_error_message(err), json_pack("{s:s}", "profile", profile));
			return r;
		}
		/* Say exactly what was taken away: one log line and one event per change. */
		for (char *line = report.data, *nl; line && (nl = strchr(line, '\n')); line = nl + 1) {
			*nl = '\0';
			cc_warning("confidential profile: %s", line);
			runtime_emit("profile.tighten", o->id, CC_VERDICT_ALLOW, CC_SEVERITY_NOTICE, line,
				     json_pack("{s:s}", "profile", profile));
		}
	}
	if (spec->process.terminal && !o->console_socket)
		return cc_error_set(err, EINVAL,
				    "process.terminal is set: give --console-socket (podman and containerd do)");

	_cleanup_free_ char *measurement = NULL;
	if ((r = cc_mkdir_p(g->root, 0700, err)) < 0)
		return cc_error_prefix(err, "state root");
	_cleanup_free_ char *cache = cc_xasprintf("%s/measure-cache.json", g->root);
	if ((r = runtime_measure(spec, profile, cache, &measurement, err)) < 0)
		return cc_error_prefix(err, "measure container");

	c->state = cc_xcalloc(1, sizeof(*c->state));
	struct runtime_state *state = c->state;
	state->id = cc_xstrdup(o->id);
	_cleanup_free_ char *dir = cc_xasprintf("%s/%s", g->root, o->id);
	if (mkdir(dir, 0700) < 0) {
		if (errno == EEXIST)
			return cc_error_set(err, EEXIST, "container `%s` already exists", o->id);
		return cc_error_set_errno(err, errno, "create state directory `%s`", dir);
	}
	state->dir = CC_TAKE_PTR(dir);
	state->bundle = cc_xstrdup(bundle);
	state->rootfs = cc_xstrdup(spec->root_path);
	state->created_ns = cc_time_now_ns();
	state->owner = cc_xstrdup("");
	state->annotations = spec->annotations ? json_deep_copy(spec->annotations) : NULL;
	state->measurement = cc_xstrdup(measurement);
	state->profile = profile ? cc_xstrdup(profile) : NULL;
	state->use_terminal = spec->process.terminal;
	_cleanup_free_ char *fifo = runtime_exec_fifo_path(state->dir);
	/* Writable by the workload's user, which opens it after switching user; the 0700 state
	 * directory keeps everyone else from reaching it by path (runc does the same). */
	if (mkfifo(fifo, 0600) < 0 || chmod(fifo, 0622) < 0)
		return cc_error_set_errno(err, errno, "create exec FIFO `%s`", fifo);
	_cleanup_close_ int fifo_fd = open(fifo, O_PATH | O_CLOEXEC);
	if (fifo_fd < 0)
		return cc_error_set_errno(err, errno, "open exec FIFO");

	const char *key_ref = runtime_spec_annotation(spec, RUNTIME_FSCRYPT_KEY_ANNOTATION);
	if (key_ref) {
		struct runtime_fscrypt enc;
		if ((r = runtime_fscrypt_setup(spec, key_ref, &enc, err)) < 0)
			return cc_error_prefix(err, "encrypted storage");
		state->fscrypt_dir = enc.dir;
		state->fscrypt_key_id = cc_xstrdup(enc.key_id);
		runtime_emit("volume.encrypt", o->id, CC_VERDICT_ALLOW, CC_SEVERITY_NOTICE,
			     "writable storage encrypted with fscrypt v2",
			     json_pack("{s:s, s:s}", "directory", enc.dir, "keyIdentifier", enc.key_id));
	}
	int flags = clone_flags(spec, err);
	if (flags < 0)
		return flags;
	if ((r = join_pid_namespace(spec, err)) < 0 || (r = enter_time_namespace(spec, err)) < 0)
		return r;
	int pair[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
		return cc_error_set_errno(err, errno, "create sync socket");
	fflush(NULL);
	pid_t pid = (pid_t)syscall(SYS_clone, (unsigned long)flags | SIGCHLD, 0, 0, 0, 0);
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
			.preserve_fds = o->preserve_fds,
			.confidential = profile != NULL,
			.new_keyring = !o->no_new_keyring,
		};
		runtime_init_main(&args);
	}
	close(pair[1]);
	c->pid = pid;
	c->sync_fd = pair[0];
	state->pid = pid;

	if (spec->namespaces[RUNTIME_NS_USER].enabled && !spec->namespaces[RUNTIME_NS_USER].path) {
		if ((r = write_id_map(pid, "uid_map", spec->uid_maps, spec->uid_map_count, err)) < 0 ||
		    (r = write_id_map(pid, "gid_map", spec->gid_maps, spec->gid_map_count, err)) < 0)
			return r;
	}
	_cleanup_free_ char *relative = runtime_cgroup_relative_path(spec->cgroups_path, o->id);
	if ((r = runtime_cgroup_setup(relative, &spec->resources, pid, &state->cgroup_paths, err)) < 0)
		return cc_error_prefix(err, "set up cgroups");
	if (spec->process.has_oom_score_adj) {
		_cleanup_free_ char *path = cc_xasprintf("/proc/%d/oom_score_adj", (int)pid);
		char value[16];
		snprintf(value, sizeof(value), "%d", spec->process.oom_score_adj);
		_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, value, strlen(value)) < 0)
			return cc_error_set_errno(err, errno, "set oom_score_adj");
	}
	state->pid_start_time = runtime_pid_start_time(pid);
	if ((r = runtime_hooks_run(spec, RUNTIME_HOOK_PRESTART, state, err)) < 0 ||
	    (r = runtime_hooks_run(spec, RUNTIME_HOOK_CREATE_RUNTIME, state, err)) < 0)
		return r;
	json_t *state_doc = runtime_state_to_json(state);
	_cleanup_free_ char *state_text = json_dumps(state_doc, JSON_COMPACT);
	json_decref(state_doc);
	if (strlen(state_text) >= sizeof(((struct runtime_sync_msg *)0)->text))
		return cc_error_set(err, E2BIG, "container state (annotations) too large for hooks");
	if (runtime_sync_send(c->sync_fd, RUNTIME_SYNC_GO, state_text, -1) < 0)
		return cc_error_set(err, EPIPE, "the container process exited before setup");

	for (;;) {
		struct runtime_sync_msg msg;
		int fd = -1;
		if (runtime_sync_recv(c->sync_fd, &msg, &fd) < 0)
			return cc_error_set(err, EPIPE, "the container process exited during setup");
		if (msg.type == RUNTIME_SYNC_READY)
			break;
		if (msg.type == RUNTIME_SYNC_ERROR)
			return cc_error_set(err, EPERM, "%s", msg.text);
		if (msg.type == RUNTIME_SYNC_PTY && fd >= 0) {
			r = runtime_send_fd(o->console_socket, fd, msg.text, err);
			close(fd);
			if (r < 0)
				return r;
		} else if (msg.type == RUNTIME_SYNC_SECCOMP_FD && fd >= 0) {
			const char *listener = json_string_value(json_object_get(spec->seccomp, "listenerPath"));
			if (listener) {
				json_t *doc = runtime_state_to_json(state);
				_cleanup_free_ char *text = json_dumps(doc, JSON_COMPACT);
				json_decref(doc);
				r = runtime_send_fd(listener, fd, text, err);
			}
			close(fd);
			if (r < 0)
				return cc_error_prefix(err, "seccomp listener");
		} else if (fd >= 0) {
			close(fd);
		}
	}
	if ((r = runtime_state_save(state, err)) < 0)
		return r;
	/* The log record is written before the extend: a crash in between leaves a record the
	 * PCR does not contain, which a verifier reports, never a PCR value it cannot explain. */
	const char *tcti = cc_tpm_tcti();
	int pcr = runtime_tpm_pcr();
	_cleanup_free_ char *log = default_measurement_log(g);
	if ((r = runtime_measurement_log_append(log, o->id, measurement, tcti ? pcr : -1, tcti, err)) < 0)
		return r;
	if (tcti) {
		uint8_t digest[48];
		if (cc_hex_decode(measurement + strlen("sha384:"), digest, sizeof(digest)) < 0)
			return cc_error_set(err, EINVAL, "internal: malformed measurement `%s`", measurement);
		if ((r = runtime_tpm_extend(tcti, pcr, digest, err)) < 0)
			return cc_error_prefix(err, "measured launch");
	}
	if (o->pid_file) {
		char text[16];
		snprintf(text, sizeof(text), "%d", (int)pid);
		if ((r = cc_write_file_atomic(o->pid_file, text, strlen(text), 0644, err)) < 0)
			return r;
	}
	runtime_emit("container.create", o->id, CC_VERDICT_ALLOW, CC_SEVERITY_INFO, "container created and measured",
		     json_pack("{s:s, s:s, s:s?, s:i}", "measurement", measurement, "bundle", bundle, "profile",
			       profile, "pid", (int)pid));
	return 0;
}

/* create_container, and on failure the error event and the removal of what was half made. */
static int create_or_abort(const struct runtime_globals *g, const struct runtime_create_opts *o, struct creation *c,
			   struct cc_error *err)
{
	int r = create_container(g, o, c, err);
	if (r < 0) {
		runtime_emit("container.create", o->id, CC_VERDICT_ERROR, CC_SEVERITY_ERROR, cc_error_message(err),
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
	runtime_state_free(c->state);
	runtime_spec_free(c->spec);
}

int runtime_create(const struct runtime_globals *g, const struct runtime_create_opts *o, struct cc_error *err)
{
	struct creation c = { .sync_fd = -1 };
	int r = create_or_abort(g, o, &c, err);
	creation_release(&c);
	return r;
}

int runtime_start(const struct runtime_globals *g, const char *id, struct cc_error *err)
{
	struct runtime_state *st;
	int r = runtime_state_load(g->root, id, &st, err);
	if (r < 0)
		return r;
	enum runtime_status status = runtime_state_status(st);
	if (status != RUNTIME_STATUS_CREATED) {
		r = cc_error_set(err, EINVAL, "container `%s` is %s, not created: cannot start it", id,
				 runtime_status_name(status));
		runtime_state_free(st);
		return r;
	}
	_cleanup_free_ char *fifo = runtime_exec_fifo_path(st->dir);
	/* The init holds the FIFO open for writing only while waiting, so O_NONBLOCK never blocks here
	 * and an init that died is detected instead of hanging. */
	int fd = open(fifo, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = cc_error_set_errno(err, errno, "open exec FIFO of `%s`", id);
	} else {
		char byte;
		ssize_t n = read(fd, &byte, 1);
		close(fd);
		unlink(fifo);
		if (n != 1)
			r = cc_error_set(err, EPIPE, "container `%s` exited before it could start", id);
	}
	if (r == 0) {
		struct runtime_spec *spec = NULL;
		if (runtime_spec_load(st->bundle, &spec, NULL) == 0) {
			runtime_hooks_run(spec, RUNTIME_HOOK_POSTSTART, st, NULL);
			runtime_spec_free(spec);
		}
	}
	runtime_emit("container.start", id, r == 0 ? CC_VERDICT_ALLOW : CC_VERDICT_ERROR,
		     r == 0 ? CC_SEVERITY_INFO : CC_SEVERITY_ERROR, r == 0 ? "workload started" : cc_error_message(err),
		     json_pack("{s:s?}", "measurement", st->measurement));
	runtime_state_free(st);
	return r;
}

int runtime_kill(const struct runtime_globals *g, const char *id, int sig, bool all, struct cc_error *err)
{
	struct runtime_state *st;
	int r = runtime_state_load(g->root, id, &st, err);
	if (r < 0)
		return r;
	enum runtime_status status = runtime_state_status(st);
	if (status == RUNTIME_STATUS_STOPPED && !all) {
		r = cc_error_set(err, ESRCH, "container `%s` is not running", id);
	} else if (all) {
		runtime_cgroup_kill_all(st->cgroup_paths, sig);
	} else if (kill(st->pid, sig) < 0) {
		r = cc_error_set_errno(err, errno, "signal container `%s`", id);
	}
	if (r == 0) {
		char reason[64];
		snprintf(reason, sizeof(reason), "signal %d sent%s", sig, all ? " to all processes" : "");
		runtime_emit("container.kill", id, CC_VERDICT_ALLOW, CC_SEVERITY_INFO, reason, NULL);
	}
	runtime_state_free(st);
	return r;
}

static void wait_for_exit(const struct runtime_state *st, int timeout_ms)
{
	int64_t deadline = cc_time_monotonic_ms() + timeout_ms;
	while (runtime_state_init_alive(st) && cc_time_monotonic_ms() < deadline)
		usleep(2000);
}

int runtime_delete(const struct runtime_globals *g, const char *id, bool force, struct cc_error *err)
{
	struct runtime_state *st;
	int r = runtime_state_load(g->root, id, &st, err);
	if (r < 0) {
		/* `delete --force` of a container that is already gone succeeds, as with runc. */
		if (force && r == -ENOENT)
			return 0;
		return r;
	}
	enum runtime_status status = runtime_state_status(st);
	if (status != RUNTIME_STATUS_STOPPED && status != RUNTIME_STATUS_CREATED && !force) {
		r = cc_error_set(err, EBUSY, "container `%s` is %s: stop it first or use --force", id,
				 runtime_status_name(status));
		runtime_state_free(st);
		return r;
	}
	if (status != RUNTIME_STATUS_STOPPED) {
		if (status == RUNTIME_STATUS_PAUSED)
			runtime_cgroup_freeze(st->cgroup_paths, false, NULL);
		kill(st->pid, SIGKILL);
		runtime_cgroup_kill_all(st->cgroup_paths, SIGKILL);
		wait_for_exit(st, 5000);
	}
	runtime_cgroup_kill_all(st->cgroup_paths, SIGKILL);
	r = runtime_cgroup_destroy(st->cgroup_paths, err);
	struct runtime_spec *spec = NULL;
	if (runtime_spec_load(st->bundle, &spec, NULL) == 0) {
		runtime_hooks_run(spec, RUNTIME_HOOK_POSTSTOP, st, NULL);
		runtime_spec_free(spec);
	}
	if (st->fscrypt_dir && st->fscrypt_key_id) {
		struct cc_error shred_err = { 0 };
		int s = runtime_fscrypt_shred(st->fscrypt_dir, st->fscrypt_key_id, &shred_err);
		runtime_emit("volume.shred", id, s == 0 ? CC_VERDICT_ALLOW : CC_VERDICT_ERROR,
			     s == 0 ? CC_SEVERITY_NOTICE : CC_SEVERITY_ERROR,
			     s == 0 ? "encryption key removed from the filesystem: the data is unreadable"
				    : cc_error_message(&shred_err),
			     json_pack("{s:s}", "directory", st->fscrypt_dir));
		if (s < 0 && r == 0) {
			*err = shred_err;
			r = s;
		}
	}
	_cleanup_free_ char *fifo = runtime_exec_fifo_path(st->dir);
	_cleanup_free_ char *state_file = cc_xasprintf("%s/state.json", st->dir);
	unlink(fifo);
	unlink(state_file);
	if (rmdir(st->dir) < 0 && r == 0)
		r = cc_error_set_errno(err, errno, "remove state directory `%s`", st->dir);
	runtime_emit("container.delete", id, r == 0 ? CC_VERDICT_ALLOW : CC_VERDICT_ERROR,
		     r == 0 ? CC_SEVERITY_INFO : CC_SEVERITY_ERROR,
		     r == 0 ? "container removed" : cc_error_message(err), NULL);
	runtime_state_free(st);
	return r;
}

int runtime_pause(const struct runtime_globals *g, const char *id, bool pause, struct cc_error *err)
{
	struct runtime_state *st;
	int r = runtime_state_load(g->root, id, &st, err);
	if (r < 0)
		return r;
	enum runtime_status status = runtime_state_status(st);
	if (pause && status != RUNTIME_STATUS_RUNNING && status != RUNTIME_STATUS_CREATED)
		r = cc_error_set(err, EINVAL, "container `%s` is %s: only a running container can be paused", id,
				 runtime_status_name(status));
	else if (!pause && status != RUNTIME_STATUS_PAUSED)
		r = cc_error_set(err, EINVAL, "container `%s` is %s, not paused", id, runtime_status_name(status));
	else
		r = runtime_cgroup_freeze(st->cgroup_paths, pause, err);
	if (r == 0)
		runtime_emit(pause ? "container.pause" : "container.resume", id, CC_VERDICT_ALLOW, CC_SEVERITY_INFO,
			     NULL, NULL);
	runtime_state_free(st);
	return r;
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
	struct creation c = { .sync_fd = -1 };
	int r = create_or_abort(g, o, &c, err);
	if (r < 0)
		goto out;
	if ((r = runtime_start(g, o->id, err)) < 0) {
		creation_abort(&c);
		goto out;
	}
	*ret_status = 0;
	if (!detach) {
		*ret_status = wait_forwarding(c.pid);
		if (!keep)
			runtime_delete(g, o->id, true, NULL);
	}
out:
	creation_release(&c);
	return r;
}
