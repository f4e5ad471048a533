/* The rootfs tree's digest (runtime_measure_tree in measure.h).
 *
 * The digest is taken over every entry in a depth-first order, each directory's entries sorted by
 * name: "PREFIX/NAME\nMODE UID GID SIZE\n", then the SHA-256 of a file's content or a link's target.
 * An image the size of a distribution's base has ten thousand entries, and the walk is then most of
 * a create (an fstatat per entry, a getdents per directory: about 2.5 us per entry on this VM). So
 * directories are jobs: each one's entries become pieces of the stream, a subdirectory's own pieces
 * going right after its entry, and once a tree has proved large other threads take directories too.
 * The pieces are hashed in order at the end, so the digest is the same however the work was shared.
 *
 * No path is ever resolved through a symlink: a directory is opened by its path below the root with
 * openat2(RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH), or one O_NOFOLLOW component at a time where the
 * kernel lacks openat2. */
#include "lib/base/buf.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/safepath.h"
#include "lib/base/thread.h"
#include "lib/base/timeutil.h"
#include "lib/crypto/digest.h"
#include "lib/crypto/encode.h"
#include "runtime/measure.h"
#include "runtime/measure_cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* An entry is only remembered once its ctime is a few seconds old (see measure_cache.h). */
#define CACHE_SETTLE_SECONDS 2
#define MAX_DEPTH            256
/* Other threads join a walk once it has seen this many entries (a small image is done sooner
 * than they would start), up to this many of them. */
#define HELPERS_AFTER_ENTRIES 600
#define MAX_HELPERS           3
/* The stream is held until the end, to be hashed in order: an image whose entries alone make more
 * than this (a million files under paths of hundreds of bytes) is refused rather than measured in
 * gigabytes of memory. Images have a few hundred thousand files at most, a few tens of MB. */
#define MAX_STREAM_BYTES (1ull << 30)

struct dir_job;

/* A run of the stream: entries up to and including a subdirectory's, then that subdirectory's own
 * pieces (child), or the directory's last entries (child NULL). */
struct piece {
	struct cc_buf bytes;
	struct dir_job *child;
};

struct dir_job {
	char *prefix; /* "" for the root, then "/bin", "/usr/lib", ... */
	int depth;
	struct piece *pieces;
	size_t piece_count, piece_cap;
	struct dir_job *next_queued;
};

struct tree_walk {
	int root_fd;
	struct measure_cache *cache; /* looked up by any thread; its additions under lock */
	uint64_t bytes;              /* atomic: the stream's length so far (see MAX_STREAM_BYTES) */
	pthread_mutex_t lock;        /* the fields below, and the cache's additions */
	pthread_cond_t changed;
	struct dir_job *queue; /* last in, first out: the walk stays depth-first */
	size_t running;
	size_t entries;
	pthread_t helpers[MAX_HELPERS];
	size_t helper_count, helper_max;
	int error; /* the first, with its message */
	struct cc_error err;
};

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Appends value in base 8 or 10, then sep. */
static void add_number(struct cc_buf *out, unsigned long long value, unsigned base, char sep)
{
	char text[32];
	char *p = text + sizeof(text);
	*--p = sep;
	do {
		*--p = (char)('0' + value % base);
		value /= base;
	} while (value);
	cc_buf_append(out, p, (size_t)(text + sizeof(text) - p));
}

/* An entry's header, built by hand: snprintf was a tenth of a walk. */
static void add_header(struct cc_buf *out, const char *prefix, const char *name, const struct stat *st)
{
	cc_buf_append(out, prefix, strlen(prefix));
	cc_buf_append(out, "/", 1);
	cc_buf_append(out, name, strlen(name));
	cc_buf_append(out, "\n", 1);
	add_number(out, st->st_mode, 8, ' ');
	add_number(out, st->st_uid, 10, ' ');
	add_number(out, st->st_gid, 10, ' ');
	add_number(out, S_ISREG(st->st_mode) ? (unsigned long long)st->st_size : 0, 10, '\n');
}

/* A symlink's target: an inode's target never changes, so a cached one is the target. */
static ssize_t link_target(struct tree_walk *w, int dir, const char *name, const struct stat *st, char target[PATH_MAX])
{
	const char *cached = st->st_size < PATH_MAX ? measure_cache_link(w->cache, st) : NULL;
	if (cached) {
		memcpy(target, cached, (size_t)st->st_size);
		return st->st_size;
	}
	ssize_t t = readlinkat(dir, name, target, PATH_MAX);
	if (t > 0 && t < PATH_MAX && t == st->st_size) {
		pthread_mutex_lock(&w->lock);
		measure_cache_remember_link(w->cache, st, target, (size_t)t);
		pthread_mutex_unlock(&w->lock);
	}
	return t;
}

static bool same_inode_version(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* A file's content digest (SHA-256, hardware-accelerated here), from the cache or read. */
static int hash_file(struct tree_walk *w, int dir, const char *name, const struct stat *st, char out_hex[65])
{
	uint8_t md[32];
	if (measure_cache_digest(w->cache, st, md)) {
		cc_hex_encode(md, sizeof(md), out_hex);
		return 0;
	}
	_cleanup_close_ int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	struct stat opened;
	if (fd < 0 || fstat(fd, &opened) < 0)
		return -errno;
	struct cc_digest_ctx *ctx;
	if (cc_digest_begin(CC_DIGEST_SHA256, &ctx, NULL) < 0)
		return -EIO;
	char buf[65536];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		cc_digest_update(ctx, buf, (size_t)n);
	if (n < 0 || cc_digest_end(ctx, md, NULL) < 0)
		return n < 0 ? -errno : -EIO;
	cc_hex_encode(md, sizeof(md), out_hex);
	/* Remembered under st's key only when what was read is that inode, unchanged until the end. */
	struct stat after;
	if (!same_inode_version(st, &opened) || fstat(fd, &after) < 0 || !same_inode_version(st, &after))
		return 0;
	pthread_mutex_lock(&w->lock);
	measure_cache_remember_digest(w->cache, st, md);
	pthread_mutex_unlock(&w->lock);
	return 0;
}

/* The directory at prefix below the root, one O_NOFOLLOW component at a time. */
static int open_dir_by_components(int root_fd, const char *prefix)
{
	int fd = fcntl(root_fd, F_DUPFD_CLOEXEC, 3);
	for (const char *p = prefix + 1; fd >= 0 && *p;) {
		size_t n = strcspn(p, "/");
		char name[NAME_MAX + 1];
		if (n > NAME_MAX) {
			close(fd);
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(name, p, n);
		name[n] = '\0';
		int next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int saved = errno;
		close(fd);
		errno = saved;
		fd = next;
		p += n + (p[n] == '/');
	}
	return fd;
}

/* The directory at prefix below the root, never through a symlink: openat2, or component by
 * component where the kernel lacks it, a filter refuses it (ENOSYS, EPERM), or the path is longer
 * than it takes (PATH_MAX: trees may be deeper than that). -1 with errno set. */
static int open_dir(int root_fd, const char *prefix)
{
	if (!*prefix)
		return fcntl(root_fd, F_DUPFD_CLOEXEC, 3);
	if (cc_path_have_openat2()) {
		struct open_how how = { .flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC,
					.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS };
		int fd = (int)syscall(SYS_openat2, root_fd, prefix + 1, &how, sizeof(how));
		if (fd >= 0 || (errno != ENOSYS && errno != EPERM && errno != ENAMETOOLONG))
			return fd;
	}
	return open_dir_by_components(root_fd, prefix);
}

static struct dir_job *job_new(const char *prefix, int depth)
{
	struct dir_job *job = cc_xcalloc(1, sizeof(*job));
	job->prefix = cc_xstrdup(prefix);
	job->depth = depth;
	return job;
}

static void job_free(struct dir_job *job)
{
	if (!job)
		return;
	for (size_t i = 0; i < job->piece_count; i++) {
		cc_buf_free(&job->pieces[i].bytes);
		job_free(job->pieces[i].child);
	}
	free(job->pieces);
	free(job->prefix);
	free(job);
}

static struct piece *add_piece(struct dir_job *job)
{
	if (job->piece_count == job->piece_cap) {
		job->piece_cap = job->piece_cap ? 2 * job->piece_cap : 4;
		job->pieces = cc_xrealloc(job->pieces, job->piece_cap * sizeof(*job->pieces));
	}
	struct piece *p = &job->pieces[job->piece_count++];
	*p = (struct piece){ .bytes = CC_BUF_INIT };
	return p;
}

static void *help(void *arg);

/* Queues a subdirectory, and starts a helper when the tree has proved large and work waits. */
static void enqueue(struct tree_walk *w, struct dir_job *job, size_t entries_seen)
{
	pthread_mutex_lock(&w->lock);
	job->next_queued = w->queue;
	w->queue = job;
	w->entries += entries_seen;
	if (w->entries >= HELPERS_AFTER_ENTRIES && w->helper_count < w->helper_max && w->queue->next_queued) {
		if (cc_thread_start_worker(&w->helpers[w->helper_count], help, w) == 0)
			w->helper_count++;
		else
			w->helper_max = w->helper_count; /* no thread to be had: the others go on */
	}
	pthread_cond_signal(&w->changed);
	pthread_mutex_unlock(&w->lock);
}

/* The names in a directory (not . and ..), sorted. */
static char **list_names(DIR *d, size_t *ret_count)
{
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 32;
			names = cc_xrealloc(names, cap * sizeof(char *));
		}
		names[n++] = cc_xstrdup(de->d_name);
	}
	if (n > 1) /* qsort(NULL, 0, ...) is undefined behaviour (an empty directory) */
		qsort(names, n, sizeof(char *), compare_names);
	*ret_count = n;
	return names;
}

/* One directory: its entries into the job's pieces, its subdirectories queued. */
static int walk_dir(struct tree_walk *w, struct dir_job *job, struct cc_error *err)
{
	int fd = open_dir(w->root_fd, job->prefix);
	if (fd < 0 && *job->prefix && (errno == ENOENT || errno == ENOTDIR || errno == ELOOP))
		return 0; /* no longer a directory (gone, or a link now): its entry says what it is now */
	if (fd < 0)       /* never a directory left out of the digest */
		return cc_error_set_errno(err, errno, "open rootfs directory `%s`", *job->prefix ? job->prefix : "/");
	if (job->depth > MAX_DEPTH) {
		close(fd);
		return cc_error_set(err, ELOOP, "rootfs is nested deeper than %d levels at `%s`", MAX_DEPTH,
				    job->prefix);
	}
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return cc_error_set_errno(err, errno, "read rootfs directory `%s`", job->prefix);
	}
	size_t n;
	char **names = list_names(d, &n);
	struct piece *piece = add_piece(job);
	size_t since_queued = 0;
	int r = 0;
	for (size_t i = 0; i < n && r == 0; i++) {
		struct stat st;
		if (fstatat(dirfd(d), names[i], &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		since_queued++;
		size_t entry_piece = job->piece_count - 1, before = piece->bytes.len;
		add_header(&piece->bytes, job->prefix, names[i], &st);
		if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t t = link_target(w, dirfd(d), names[i], &st, target);
			if (t > 0)
				cc_buf_append(&piece->bytes, target, (size_t)t);
		} else if (S_ISREG(st.st_mode)) {
			char hex[65] = "unreadable";
			hash_file(w, dirfd(d), names[i], &st, hex);
			cc_buf_append(&piece->bytes, hex, strlen(hex));
		} else if (S_ISDIR(st.st_mode)) {
			_cleanup_free_ char *path = cc_xasprintf("%s/%s", job->prefix, names[i]);
			piece->child = job_new(path, job->depth + 1);
			enqueue(w, piece->child, since_queued);
			since_queued = 0;
			piece = add_piece(job);
		}
		size_t entry_bytes = job->pieces[entry_piece].bytes.len - before;
		if (__atomic_add_fetch(&w->bytes, entry_bytes, __ATOMIC_RELAXED) > MAX_STREAM_BYTES)
			r = cc_error_set(err, E2BIG, "rootfs too large to measure: its entries make more than %llu MB",
					 MAX_STREAM_BYTES >> 20);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	pthread_mutex_lock(&w->lock);
	w->entries += since_queued;
	pthread_mutex_unlock(&w->lock);
	return r;
}

/* Takes directories until none is queued or being walked (or one failed). */
static void take_jobs(struct tree_walk *w)
{
	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->queue && w->running > 0 && !w->error)
			pthread_cond_wait(&w->changed, &w->lock);
		if (!w->queue || w->error)
			break;
		struct dir_job *job = w->queue;
		w->queue = job->next_queued;
		w->running++;
		pthread_mutex_unlock(&w->lock);
		struct cc_error err = { 0 };
		int r = walk_dir(w, job, &err);
		pthread_mutex_lock(&w->lock);
		w->running--;
		if (r < 0 && !w->error) {
			w->error = r;
			w->err = err;
		}
	}
	pthread_cond_broadcast(&w->changed); /* the others see the end too */
	pthread_mutex_unlock(&w->lock);
}

static void *help(void *arg)
{
	take_jobs(arg);
	return NULL;
}

/* The pieces in the stream's order. */
static void hash_pieces(struct cc_digest_ctx *ctx, const struct dir_job *job)
{
	for (size_t i = 0; i < job->piece_count; i++) {
		cc_digest_update(ctx, job->pieces[i].bytes.data, job->pieces[i].bytes.len);
		if (job->pieces[i].child)
			hash_pieces(ctx, job->pieces[i].child);
	}
}

/* One thread per CPU this process may run on, the caller's included. */
static size_t helpers_wanted(void)
{
	cpu_set_t set;
	int cpus = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : 1;
	return cpus <= 1 ? 0 : cpus - 1 > MAX_HELPERS ? MAX_HELPERS : (size_t)(cpus - 1);
}

int runtime_measure_tree(const char *root, const char *cache_path, char out_hex[97], struct cc_error *err)
{
	_cleanup_close_ int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return cc_error_set_errno(err, errno, "open rootfs `%s`", root);
	struct tree_walk w = {
		.root_fd = fd,
		.cache =
		    measure_cache_open(cache_path, (int64_t)(cc_time_now_ns() / 1000000000u) - CACHE_SETTLE_SECONDS),
		.helper_max = helpers_wanted(),
	};
	cc_path_have_openat2(); /* its answer cached before any helper may ask */
	pthread_mutex_init(&w.lock, NULL);
	pthread_cond_init(&w.changed, NULL);
	struct dir_job *top = job_new("", 0);
	w.queue = top;
	take_jobs(&w);
	/* No helper starts from here on (one still walking after an error could start another). */
	pthread_mutex_lock(&w.lock);
	w.helper_max = w.helper_count;
	size_t helpers = w.helper_count;
	pthread_mutex_unlock(&w.lock);
	for (size_t i = 0; i < helpers; i++)
		pthread_join(w.helpers[i], NULL);
	int r = w.error;
	if (r < 0)
		*err = w.err;
	else
		measure_cache_save(w.cache, cache_path);
	measure_cache_close(w.cache);
	pthread_cond_destroy(&w.changed);
	pthread_mutex_destroy(&w.lock);
	struct cc_digest_ctx *ctx;
	if (r == 0 && (r = cc_digest_begin(CC_DIGEST_SHA384, &ctx, err)) == 0) {
		hash_pieces(ctx, top);
		uint8_t md[48];
		if ((r = cc_digest_end(ctx, md, err)) == 0)
			cc_hex_encode(md, sizeof(md), out_hex);
	}
	job_free(top);
	return r;
}
