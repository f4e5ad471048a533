/* The reports admission reads (see image_verdicts.h). The index is one JSON object from name to
 * report, rebuilt whole on a reload and swapped under a lock, so a decision reads either the old
 * or the new set of reports, never a mixture. */
#include "scan/image_verdicts.h"

#include "image/reference.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/log.h"
#include "lib/base/str.h"
#include "lib/base/timeutil.h"
#include "lib/json/json.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define REPORT_MAX     (64u << 20)
#define REPORTS_TOTAL  (256u << 20) /* what a webhook replica may hold: its pod has 512 MiB */
#define REPORTS_COUNT  10000
#define CHECK_EVERY_MS 1000

struct scan_image_verdicts {
	char *dir;
	pthread_mutex_t lock;
	json_t *index; /* name -> report */
	size_t reports;
	uint64_t stamp;     /* what the directory's reports looked like at the last read */
	int64_t checked_ms; /* when it was last looked at */
	bool reloading;     /* one thread reads the directory; the others keep using the index */
};

/* While a directory is read: the index and, per name, the modification time of the report it came
 * from, so that of two reports naming one image the newer wins whatever readdir's order. */
struct loading {
	json_t *index, *mtimes;
	size_t count;
	uint64_t bytes;
};

/* podman's reading of a name: registry, repository and tag (or digest) spelled out; with digest,
 * NAME@DIGEST (a digest names the content, whatever the tag). */
static char *normalized(const char *name, const char *digest)
{
	struct image_reference ref;
	if (image_reference_parse(name, &ref, NULL) < 0)
		return NULL;
	if (!ref.domain)
		ref.domain = cc_xstrdup("docker.io");
	if (!strcmp(ref.domain, "docker.io") && !strchr(ref.repository, '/')) {
		char *library = cc_xasprintf("library/%s", ref.repository);
		free(ref.repository);
		ref.repository = library;
	}
	if (digest) {
		free(ref.tag);
		free(ref.digest);
		ref.tag = NULL;
		ref.digest = cc_xstrdup(digest);
	}
	char *s = image_reference_string(&ref);
	image_reference_clear(&ref);
	return s;
}

static void index_name(struct loading *l, const char *key, json_t *report, json_int_t mtime)
{
	json_t *seen = json_object_get(l->mtimes, key);
	if (seen && json_integer_value(seen) > mtime)
		return;
	json_object_set(l->index, key, report);
	json_object_set_new(l->mtimes, key, json_integer(mtime));
}

/* NAME:TAG for each tag; NAME@DIGEST and DIGEST for the manifest digest; the image ID. */
static void add_report(struct loading *l, json_t *report, json_int_t mtime)
{
	json_t *image = json_object_get(report, "image");
	const char *digest = json_string_value(json_object_get(image, "digest"));
	size_t i;
	json_t *tag;
	json_array_foreach (json_object_get(image, "repo_tags"), i, tag) {
		const char *text = json_string_value(tag);
		_cleanup_free_ char *name = text ? normalized(text, NULL) : NULL;
		if (!name)
			continue;
		index_name(l, name, report, mtime);
		if (digest) {
			_cleanup_free_ char *pinned = normalized(text, digest);
			index_name(l, pinned, report, mtime);
		}
	}
	const char *id = json_string_value(json_object_get(image, "id"));
	if (id)
		index_name(l, id, report, mtime);
	if (digest)
		index_name(l, digest, report, mtime);
}

static bool is_report_name(const char *name)
{
	return name[0] != '.' && cc_str_has_suffix(name, ".json"); /* not hidden: a name before .json */
}

/* A fingerprint of the reports' names, sizes and modification times: a report rewritten in place
 * changes it as much as one added or removed (FNV-1a over the stat data). */
static uint64_t dir_stamp(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	uint64_t h = 14695981039346656037ull, sum = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		struct stat st;
		if (!is_report_name(de->d_name) || fstatat(dirfd(d), de->d_name, &st, 0) < 0)
			continue;
		uint64_t item = 14695981039346656037ull;
		int64_t parts[] = { (int64_t)st.st_ino, (int64_t)st.st_size, (int64_t)st.st_mtim.tv_sec,
				    (int64_t)st.st_mtim.tv_nsec };
		for (const unsigned char *p = (const unsigned char *)de->d_name; *p; p++)
			item = (item ^ *p) * 1099511628211ull;
		for (size_t i = 0; i < CC_ARRAY_SIZE(parts); i++)
			item = (item ^ (uint64_t)parts[i]) * 1099511628211ull;
		sum += item; /* readdir's order is not stable: combine the items order-free */
		h++;
	}
	closedir(d);
	return sum ^ h;
}

static void read_report(struct loading *l, DIR *d, const char *dir, const char *name)
{
	_cleanup_free_ char *path = cc_xasprintf("%s/%s", dir, name);
	struct stat st;
	if (fstatat(dirfd(d), name, &st, 0) < 0 || !S_ISREG(st.st_mode))
		return;
	if (l->count >= REPORTS_COUNT || l->bytes + (uint64_t)st.st_size > REPORTS_TOTAL) {
		cc_warning("image report %s: not read, the webhook holds at most %u reports and %u MiB of them", path,
			   REPORTS_COUNT, REPORTS_TOTAL >> 20);
		return;
	}
	json_t *report = NULL;
	struct cc_error e = { 0 };
	if (cc_json_load_file(path, REPORT_MAX, &report, &e) < 0) {
		cc_warning("image report %s: %s", path, cc_error_message(&e));
		return;
	}
	if (!json_is_object(report) || !json_is_object(json_object_get(report, "image"))) {
		cc_warning("image report %s: not a `cocoon scan image --format json` report (no image)", path);
		json_decref(report);
		return;
	}
	add_report(l, report, (json_int_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec);
	json_decref(report);
	l->count++;
	l->bytes += (uint64_t)st.st_size;
}

static json_t *read_dir(const char *dir, size_t *ret_count, struct cc_error *err)
{
	DIR *d = opendir(dir);
	if (!d)
		return cc_error_set_errno(err, errno, "image reports `%s`", dir), NULL;
	struct loading l = { .index = json_object(), .mtimes = json_object() };
	struct dirent *de;
	while ((de = readdir(d)))
		if (is_report_name(de->d_name))
			read_report(&l, d, dir, de->d_name);
	closedir(d);
	json_decref(l.mtimes);
	*ret_count = l.count;
	return l.index;
}

int scan_image_verdicts_open(const char *dir, struct scan_image_verdicts **ret, struct cc_error *err)
{
	uint64_t stamp = dir_stamp(dir);
	size_t count;
	json_t *index = read_dir(dir, &count, err);
	if (!index)
		return -err->code;
	struct scan_image_verdicts *v = cc_xcalloc(1, sizeof(*v));
	v->dir = cc_xstrdup(dir);
	v->index = index;
	v->reports = count;
	v->stamp = stamp;
	v->checked_ms = cc_time_monotonic_ms();
	pthread_mutex_init(&v->lock, NULL);
	*ret = v;
	return 0;
}

void scan_image_verdicts_free(struct scan_image_verdicts *v)
{
	if (!v)
		return;
	json_decref(v->index);
	pthread_mutex_destroy(&v->lock);
	free(v->dir);
	free(v);
}

static void refresh(struct scan_image_verdicts *v, bool now_please)
{
	int64_t now = cc_time_monotonic_ms();
	pthread_mutex_lock(&v->lock);
	bool due = !v->reloading && (now_please || now - v->checked_ms >= CHECK_EVERY_MS);
	if (due) {
		v->checked_ms = now;
		v->reloading = true;
	}
	uint64_t stamp = v->stamp;
	pthread_mutex_unlock(&v->lock);
	if (!due)
		return;
	uint64_t new_stamp = dir_stamp(v->dir);
	json_t *index = NULL;
	size_t count = 0;
	if (new_stamp != stamp) {
		struct cc_error err = { 0 };
		/* a directory gone for a moment must not empty the verdicts: what was read stays */
		if (!(index = read_dir(v->dir, &count, &err)))
			cc_warning("%s", cc_error_message(&err));
	}
	pthread_mutex_lock(&v->lock);
	json_t *old = NULL;
	if (index) {
		old = v->index;
		v->index = index;
		v->reports = count;
		v->stamp = new_stamp;
	}
	v->reloading = false;
	pthread_mutex_unlock(&v->lock);
	json_decref(old);
}

void scan_image_verdicts_refresh(struct scan_image_verdicts *v)
{
	refresh(v, false);
}

void scan_image_verdicts_reload(struct scan_image_verdicts *v)
{
	refresh(v, true);
}

json_t *scan_image_verdicts_find(struct scan_image_verdicts *v, const char *image)
{
	struct image_reference ref = { 0 };
	bool by_digest = image_reference_parse(image, &ref, NULL) == 0 && ref.digest;
	/* NAME:TAG@DIGEST and NAME@DIGEST name the digest, whatever the tag says */
	_cleanup_free_ char *name = normalized(image, by_digest ? ref.digest : NULL);
	pthread_mutex_lock(&v->lock);
	json_t *report = name ? json_object_get(v->index, name) : NULL;
	if (!report && by_digest)
		report = json_object_get(v->index, ref.digest);
	json_incref(report);
	pthread_mutex_unlock(&v->lock);
	image_reference_clear(&ref);
	return report;
}

size_t scan_image_verdicts_count(struct scan_image_verdicts *v)
{
	pthread_mutex_lock(&v->lock);
	size_t n = v->reports;
	pthread_mutex_unlock(&v->lock);
	return n;
}
