/* cocoond's image scanner (image_scan.h).
 *
 * What is scanned when: the thread looks every LOOK_EVERY_MS (or at once when woken) at two
 * cheap stamps, the store's index.json and the vulnerability database's files. When the database
 * files changed, the database's fingerprint (what each feed imported: file, scope, sha256, time) is
 * read again; a rewrite that imported the same data keeps it. An image is scanned when no report
 * of it carries the current fingerprint: new images, and every image after the data changed. A
 * report written before a restart counts with the fingerprint it records, so a restart rescans
 * nothing. Who owns what: everything but the wake flag and stopping belongs to the thread. */
#include "platform/image_scan.h"

#include "image/store.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/log.h"
#include "lib/base/str.h"
#include "lib/base/thread.h"
#include "lib/base/timeutil.h"
#include "lib/crypto/digest.h"
#include "lib/json/json.h"
#include "scan/malware.h"
#include "scan/node.h"
#include "scan/report.h"
#include "scan/scan.h"
#include "scan/scan_events.h"
#include "scan/vulndb.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOOK_EVERY_MS 2000
#define REPORT_MAX    (64u << 20)
#define NO_DATABASE   "none"

struct platform_image_scan {
	char *image_root, *reports_dir, *vulndb, *node_root, *node_name, *node_report;
	int node_interval_s;
	void (*reports_changed)(void *ctx);
	void *ctx;
	struct scan_malware_engine *malware;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool woken, stopping;
	/* the thread's */
	char store_stamp[96], db_stamp[160];
	char *fingerprint;   /* of the database now, NO_DATABASE without one */
	char *newest_import; /* of the database now, or NULL */
	json_t *scanned;     /* image ID -> the fingerprint its report records */
	int64_t next_node_scan_ms;
};

/* What a file looks like without reading it: a change of either is a change. */
static void file_stamp(const char *path, char *out, size_t size)
{
	struct stat st;
	if (stat(path, &st) < 0)
		snprintf(out, size, "-");
	else
		snprintf(out, size, "%llu:%llu:%lld.%09ld", (unsigned long long)st.st_ino,
			 (unsigned long long)st.st_size, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

static void database_stamp(const char *path, char *out, size_t size)
{
	char main_file[64], wal[64];
	_cleanup_free_ char *wal_path = cc_xasprintf("%s-wal", path);
	file_stamp(path, main_file, sizeof(main_file));
	file_stamp(wal_path, wal, sizeof(wal));
	snprintf(out, size, "%s|%s", main_file, wal);
}

/* The database's fingerprint: a digest of what its sources say they imported. */
static void read_fingerprint(struct platform_image_scan *s)
{
	free(s->fingerprint);
	free(s->newest_import);
	s->fingerprint = cc_xstrdup(NO_DATABASE);
	s->newest_import = NULL;
	if (access(s->vulndb, F_OK) < 0)
		return;
	struct cc_error err = { 0 };
	struct scan_vulndb *db = NULL;
	json_t *status = NULL;
	if (scan_vulndb_open(s->vulndb, false, &db, &err) < 0 || scan_vulndb_status(db, &status, &err) < 0) {
		cc_warning("image scanner: the vulnerability database %s: %s; images are scanned without it", s->vulndb,
			   cc_error_message(&err));
		scan_vulndb_close(db);
		return;
	}
	scan_vulndb_close(db);
	_cleanup_free_ char *sources = json_dumps(json_object_get(status, "sources"), JSON_COMPACT | JSON_SORT_KEYS);
	char hex[65];
	if (sources && cc_digest_hex(CC_DIGEST_SHA256, sources, strlen(sources), hex, NULL) == 0) {
		free(s->fingerprint);
		s->fingerprint = cc_xasprintf("sha256:%s", hex);
	}
	const char *newest = json_string_value(json_object_get(status, "newest_import"));
	s->newest_import = newest ? cc_xstrdup(newest) : NULL;
	json_decref(status);
}

static bool report_file_name(const char *name, char *id, size_t size)
{
	size_t len = strlen(name);
	if (len != 64 + 5 || !cc_str_has_suffix(name, ".json") || strspn(name, "0123456789abcdef") != 64)
		return false;
	snprintf(id, size, "sha256:%.64s", name);
	return true;
}

static char *report_path(const struct platform_image_scan *s, const char *id)
{
	const char *hex = strncmp(id, "sha256:", 7) == 0 ? id + 7 : id;
	return cc_xasprintf("%s/%s.json", s->reports_dir, hex);
}

/* The reports a previous run left: what each was judged against. */
static void read_existing_reports(struct platform_image_scan *s)
{
	DIR *dir = opendir(s->reports_dir);
	if (!dir)
		return;
	struct dirent *e;
	while ((e = readdir(dir))) {
		char id[80];
		if (!report_file_name(e->d_name, id, sizeof(id)))
			continue;
		_cleanup_free_ char *path = report_path(s, id);
		_cleanup_json_ json_t *report = NULL;
		if (cc_json_load_file(path, REPORT_MAX, &report, NULL) < 0)
			continue; /* scanned again */
		const char *fp = json_string_value(json_object_get(json_object_get(report, "database"), "fingerprint"));
		if (fp)
			json_object_set_new(s->scanned, id, json_string(fp));
	}
	closedir(dir);
}

static void scan_options_for(struct platform_image_scan *s, struct scan_options *opts, struct scan_vulndb **db)
{
	scan_options_default(opts);
	opts->malware = s->malware;
	*db = NULL;
	struct cc_error err = { 0 };
	if (strcmp(s->fingerprint, NO_DATABASE) != 0 && scan_vulndb_open(s->vulndb, false, db, &err) < 0)
		cc_warning("image scanner: %s", cc_error_message(&err));
	opts->vulndb = *db;
}

static json_t *database_json(const struct platform_image_scan *s)
{
	if (strcmp(s->fingerprint, NO_DATABASE) == 0)
		return json_pack("{s:s, s:n, s:n}", "fingerprint", NO_DATABASE, "path", "newest_import");
	return json_pack("{s:s, s:s, s:s?}", "fingerprint", s->fingerprint, "path", s->vulndb, "newest_import",
			 s->newest_import);
}

static int write_report(struct platform_image_scan *s, const struct scan_result *res, const char *path,
			struct cc_error *err)
{
	_cleanup_json_ json_t *doc = scan_report_json(res);
	char now[40];
	cc_time_format_rfc3339_seconds(cc_time_now_ns(), now, sizeof(now));
	json_object_set_new(doc, "scanned_at", json_string(now));
	json_object_set_new(doc, "database", database_json(s));
	_cleanup_free_ char *text = json_dumps(doc, JSON_COMPACT);
	if (!text)
		return cc_error_set(err, ENOMEM, "the report of %s cannot be written out", res->target);
	return cc_write_file_atomic(path, text, strlen(text), 0640, err);
}

/* One image: scanned, its report written, its events emitted. false when it could not be. */
static bool scan_image(struct platform_image_scan *s, const struct image_info *image)
{
	struct scan_options opts;
	_cleanup_(scan_vulndb_closep) struct scan_vulndb *db = NULL;
	scan_options_for(s, &opts, &db);
	struct scan_result res = { 0 };
	struct cc_error err = { 0 };
	int64_t started = cc_time_monotonic_ms();
	_cleanup_free_ char *path = report_path(s, image->id);
	int r = scan_run_stored_image(s->image_root, image->id, &opts, &res, &err);
	if (r == 0)
		r = write_report(s, &res, path, &err);
	_cleanup_free_ char *where = cc_xasprintf("image/%s", image->id);
	struct scan_event_subject subject = { .where = where,
					      .actor = "cocoond image scanner",
					      .summary_action = "image.scanned",
					      .secret_context = " in the image" };
	if (r == 0)
		r = scan_emit_events(&res, &subject, &err);
	if (r == 0)
		cc_info("scanned image %s (%s) in %lld ms: %zu packages, %zu vulnerabilities, %zu malware, %zu secrets",
			image->n_names ? image->names[0] : image->id, image->id,
			(long long)(cc_time_monotonic_ms() - started), res.inventory.n_packages,
			json_array_size(res.findings), json_array_size(res.malware), json_array_size(res.secrets));
	else
		cc_warning("image scanner: %s: %s", image->n_names ? image->names[0] : image->id,
			   cc_error_message(&err));
	scan_result_clear(&res);
	return r == 0;
}

static bool in_store(const struct image_info *images, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(images[i].id, id) == 0)
			return true;
	return false;
}

/* The reports of images no longer in the store go. */
static bool remove_departed(struct platform_image_scan *s, const struct image_info *images, size_t n)
{
	bool changed = false;
	DIR *dir = opendir(s->reports_dir);
	if (!dir)
		return false;
	struct dirent *e;
	while ((e = readdir(dir))) {
		char id[80];
		if (!report_file_name(e->d_name, id, sizeof(id)) || in_store(images, n, id))
			continue;
		_cleanup_free_ char *path = report_path(s, id);
		if (unlink(path) == 0) {
			changed = true;
			json_object_del(s->scanned, id);
			cc_info("image scanner: %s left the store; its report is removed", id);
		}
	}
	closedir(dir);
	return changed;
}

/* Scans what needs it; true when a report was written or removed. A failed scan is not retried
 * until the store or the database changes (each attempt is logged). */
static bool pass(struct platform_image_scan *s)
{
	struct cc_error err = { 0 };
	struct image_store *store = NULL;
	struct image_info *images = NULL;
	size_t n = 0;
	if (image_store_open(s->image_root, NULL, &store, &err) < 0 || image_store_list(store, &images, &n, &err) < 0) {
		cc_warning("image scanner: the image store %s: %s", s->image_root, cc_error_message(&err));
		image_store_free(store);
		return false;
	}
	image_store_free(store);
	bool changed = false;
	for (size_t i = 0; i < n; i++) {
		bool stopping;
		pthread_mutex_lock(&s->lock);
		stopping = s->stopping;
		pthread_mutex_unlock(&s->lock);
		if (stopping)
			break;
		const char *fp = json_string_value(json_object_get(s->scanned, images[i].id));
		if (fp && strcmp(fp, s->fingerprint) == 0)
			continue;
		if (scan_image(s, &images[i]))
			changed = true;
		json_object_set_new(s->scanned, images[i].id, json_string(s->fingerprint));
	}
	if (remove_departed(s, images, n))
		changed = true;
	image_info_free_array(images, n);
	return changed;
}

static void scan_node(struct platform_image_scan *s)
{
	struct scan_options opts;
	_cleanup_(scan_vulndb_closep) struct scan_vulndb *db = NULL;
	scan_options_for(s, &opts, &db);
	opts.max_read_rate = 64u << 20; /* as `cocoon scan node` by default */
	struct scan_node_options node = { 0 };
	struct scan_result res = { 0 };
	struct cc_error err = { 0 };
	int r = scan_run_node(s->node_root, &node, &opts, &res, &err);
	if (r == 0 && s->node_report) {
		_cleanup_json_ json_t *doc = scan_report_json(&res);
		_cleanup_free_ char *text = json_dumps(doc, JSON_COMPACT);
		r = text ? cc_write_file_atomic(s->node_report, text, strlen(text), 0640, &err) : -ENOMEM;
	}
	if (r == 0)
		r = scan_node_emit_events(&res, s->node_name, &err);
	if (r < 0)
		cc_warning("node scan of %s: %s", s->node_root, cc_error_message(&err));
	scan_result_clear(&res);
}

static void *scanner_main(void *arg)
{
	struct platform_image_scan *s = arg;
	int lowered = cc_thread_lower_priority();
	if (lowered < 0)
		cc_warning("image scanner: cannot lower its priority: %s", strerror(-lowered));
	read_existing_reports(s);
	s->reports_changed(s->ctx); /* what a previous run left is served at once */
	pthread_mutex_lock(&s->lock);
	while (!s->stopping) {
		s->woken = false;
		pthread_mutex_unlock(&s->lock);
		char store_stamp[sizeof(s->store_stamp)], db_stamp[sizeof(s->db_stamp)];
		_cleanup_free_ char *index = cc_xasprintf("%s/index.json", s->image_root);
		file_stamp(index, store_stamp, sizeof(store_stamp));
		database_stamp(s->vulndb, db_stamp, sizeof(db_stamp));
		bool db_changed = !s->fingerprint || strcmp(db_stamp, s->db_stamp) != 0;
		if (db_changed) {
			snprintf(s->db_stamp, sizeof(s->db_stamp), "%s", db_stamp);
			read_fingerprint(s);
		}
		if (db_changed || strcmp(store_stamp, s->store_stamp) != 0) {
			snprintf(s->store_stamp, sizeof(s->store_stamp), "%s", store_stamp);
			if (pass(s))
				s->reports_changed(s->ctx);
		}
		if (s->node_interval_s > 0 && cc_time_monotonic_ms() >= s->next_node_scan_ms) {
			scan_node(s);
			s->next_node_scan_ms = cc_time_monotonic_ms() + (int64_t)s->node_interval_s * 1000;
		}
		pthread_mutex_lock(&s->lock);
		if (!s->woken && !s->stopping) {
			struct timespec deadline;
			cc_time_monotonic_deadline(LOOK_EVERY_MS, &deadline);
			pthread_cond_timedwait(&s->cond, &s->lock, &deadline);
		}
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

static void scanner_free(struct platform_image_scan *s)
{
	scan_malware_engine_free(s->malware);
	json_decref(s->scanned);
	free(s->image_root);
	free(s->reports_dir);
	free(s->vulndb);
	free(s->node_root);
	free(s->node_name);
	free(s->node_report);
	free(s->fingerprint);
	free(s->newest_import);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->cond);
	free(s);
}

int platform_image_scan_start(const struct platform_image_scan_config *cfg, struct platform_image_scan **ret,
			      struct cc_error *err)
{
	int r = cc_mkdir_p(cfg->reports_dir, 0750, err);
	if (r < 0)
		return r;
	struct platform_image_scan *s = cc_xcalloc(1, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	cc_cond_init_monotonic(&s->cond);
	s->image_root = cc_xstrdup(cfg->image_root);
	s->reports_dir = cc_xstrdup(cfg->reports_dir);
	s->vulndb = cc_xstrdup(cfg->vulndb);
	s->node_interval_s = cfg->node_interval_s;
	s->node_root = cc_xstrdup(cfg->node_root ? cfg->node_root : "/");
	s->node_name = cc_xstrdup(cfg->node_name ? cfg->node_name : "localhost");
	s->node_report = cfg->node_report ? cc_xstrdup(cfg->node_report) : NULL;
	s->reports_changed = cfg->reports_changed;
	s->ctx = cfg->ctx;
	s->scanned = json_object();
	/* the first host scan one interval after the start (at most a minute): not while the
	 * platform is starting */
	int first_s = cfg->node_interval_s < 60 ? cfg->node_interval_s : 60;
	s->next_node_scan_ms = cc_time_monotonic_ms() + (int64_t)first_s * 1000;
	if (cfg->malware_db && (r = scan_malware_engine_load(cfg->malware_db, &s->malware, err)) < 0) {
		scanner_free(s);
		return r;
	}
	int e = cc_thread_start_worker(&s->thread, scanner_main, s);
	if (e != 0) {
		scanner_free(s);
		return cc_error_set(err, e, "the image scanner's thread cannot start");
	}
	*ret = s;
	return 0;
}

void platform_image_scan_wake(struct platform_image_scan *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->woken = true;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

void platform_image_scan_stop(struct platform_image_scan *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->stopping = true;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	scanner_free(s);
}
