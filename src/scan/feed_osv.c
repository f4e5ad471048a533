/* OSV records (ossf.github.io/osv-schema): one vulnerability per record, with the packages it
 * affects (`affected[]`, each a `package` {ecosystem, name} and `ranges` of version events). The
 * input is one record (a .json file), a JSON array of records, a directory of .json files (in name
 * order, not descending into subdirectories), or a zip of them as osv.dev serves each ecosystem
 * (read entry by entry with libarchive, each entry at most FEED_RECORD_MAX_SIZE).
 *
 * What becomes a row: for each affected package of a distribution ecosystem the database knows
 * (osv_distros: "Debian:12", "Alpine:v3.18", "Ubuntu:22.04:LTS"), each ECOSYSTEM range gives one
 * advisory per introduced..fixed pair: introduced "0" is "from the first version" (NULL), a range
 * with no fixed event is open (fixed_version NULL). `last_affected` (affected up to and including a
 * version, with no fix named) has no place in this model: the pair is stored as open, which reports
 * too much rather than too little. SEMVER and GIT ranges do not order distribution versions and are
 * ignored. Skipped and counted: withdrawn records, and affected entries of other ecosystems (npm,
 * PyPI, Go, ...: not what a distribution's package database installs), without a release
 * ("Debian" alone), of Ubuntu variants other than the plain and Pro ones (FIPS builds are other
 * packages), or with no ECOSYSTEM range (an enumerated `versions` list cannot be stored as a fix).
 *
 * Ubuntu Pro ("Ubuntu:Pro:18.04:LTS") is a release's ESM archive: its fixes reach the same release,
 * so it maps to the release's key. Where a record names a package in both with different fixes,
 * both rows are kept and a scan reports the package until it reaches both.
 *
 * Severity, the first found: the affected entry's ecosystem_specific.urgency (Debian's urgency),
 * its severity[] of type Ubuntu (Ubuntu's priority), then the record's severity[] of type Ubuntu,
 * then database_specific.severity (GitHub's CRITICAL/HIGH/MODERATE/LOW); else "unknown". CVSS
 * vectors are not scored here. The summary is `summary`, else the first line of `details`.
 *
 * The import's scope is the set of distribution ecosystems it wrote ("Debian", "Alpine,Ubuntu"), so
 * osv.dev's Debian/all.zip and Alpine/all.zip, both named all.zip, are two sources. */
#include "lib/base/buf.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/crypto/digest.h"
#include "lib/json/json.h"
#include "scan/feed.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct osv_distro {
	const char *ecosystem;
	const char *distro; /* os-release ID */
} osv_distros[] = {
	{ "Debian", "debian" },
	{ "Alpine", "alpine" },
	{ "Ubuntu", "ubuntu" },
};

/* Which distribution and release an ecosystem string names; false for anything to skip. */
static bool parse_ecosystem(const char *ecosystem, const struct osv_distro **ret, char release[FEED_RELEASE_MAX + 1])
{
	const char *colon = strchr(ecosystem, ':');
	if (!colon)
		return false;
	const struct osv_distro *d = NULL;
	for (size_t i = 0; i < CC_ARRAY_SIZE(osv_distros); i++)
		if (strlen(osv_distros[i].ecosystem) == (size_t)(colon - ecosystem) &&
		    strncmp(ecosystem, osv_distros[i].ecosystem, (size_t)(colon - ecosystem)) == 0)
			d = &osv_distros[i];
	const char *rest = colon + 1;
	*ret = d;
	if (!d)
		return false;
	if (strcmp(d->distro, "alpine") == 0)
		return feed_alpine_release(rest, release);
	if (strcmp(d->distro, "debian") == 0) {
		/* "Debian:12"; a release without a number goes by its codename ("Debian:sid"). */
		size_t n = strspn(rest, "0123456789");
		const char *key = n > 0 && n <= 4 && rest[n] == '\0' ? rest : feed_debian_release(rest);
		if (!key)
			return false;
		strcpy(release, key);
		return true;
	}
	/* Ubuntu: "YY.MM", "YY.MM:LTS", "Pro:YY.MM:LTS". */
	if (strncmp(rest, "Pro:", 4) == 0)
		rest += 4;
	size_t year = strspn(rest, "0123456789");
	size_t month = year == 2 && rest[2] == '.' ? strspn(rest + 3, "0123456789") : 0;
	if (month != 2 || (rest[5] != '\0' && strcmp(rest + 5, ":LTS") != 0))
		return false;
	memcpy(release, rest, 5);
	release[5] = '\0';
	return true;
}

/* The severity word of a severity[] list's entry of type Ubuntu, or NULL. */
static const char *ubuntu_priority(const json_t *severities)
{
	size_t i;
	json_t *s;
	json_array_foreach (severities, i, s) {
		const char *type = json_string_value(json_object_get(s, "type"));
		const char *score = json_string_value(json_object_get(s, "score"));
		if (type && score && strcmp(type, "Ubuntu") == 0)
			return feed_severity(score, strlen(score));
	}
	return NULL;
}

static const char *word_severity(const json_t *word)
{
	const char *s = json_string_value(word);
	if (!s)
		return NULL;
	size_t len = strlen(s);
	while (len > 0 && s[len - 1] == '*') /* Debian's urgency marks guesses with stars */
		len--;
	return feed_severity(s, len);
}

static const char *record_severity(const json_t *record)
{
	const char *s = ubuntu_priority(json_object_get(record, "severity"));
	if (!s || strcmp(s, "unknown") == 0)
		s = word_severity(json_object_get(json_object_get(record, "database_specific"), "severity"));
	return s ? s : "unknown";
}

static const char *affected_severity(const json_t *affected, const char *record_level)
{
	const char *s = word_severity(json_object_get(json_object_get(affected, "ecosystem_specific"), "urgency"));
	if (!s || strcmp(s, "unknown") == 0)
		s = ubuntu_priority(json_object_get(affected, "severity"));
	return s && strcmp(s, "unknown") != 0 ? s : record_level;
}

/* One advisory per introduced..fixed pair of each ECOSYSTEM range; *ret_wrote says if any range was
 * one. */
static int read_ranges(struct feed_writer *w, struct feed_advisory a, const json_t *ranges, bool *ret_wrote,
		       struct cc_error *err)
{
	size_t i;
	json_t *range;
	json_array_foreach (ranges, i, range) {
		const char *type = NULL;
		json_t *events = NULL;
		int r;
		if (!json_is_object(range))
			return cc_error_set(err, EINVAL, "ranges[%zu]: expected an object", i);
		if ((r = cc_json_get_string(range, "type", true, &type, err)) < 0 ||
		    (r = cc_json_get_array(range, "events", true, &events, err)) < 0)
			return cc_error_prefix(err, "ranges[%zu]", i);
		if (strcmp(type, "ECOSYSTEM") != 0)
			continue;
		*ret_wrote = true;
		bool open = false;
		size_t j;
		json_t *event;
		json_array_foreach (events, j, event) {
			const char *key = NULL;
			json_t *value = NULL;
			json_object_foreach (event, key, value)
				break; /* an event has one member */
			if (!key)
				return cc_error_set(err, EINVAL,
						    "ranges[%zu].events[%zu]: expected an object with one "
						    "version",
						    i, j);
			if (!json_is_string(value))
				return cc_error_set(err, EINVAL,
						    "ranges[%zu].events[%zu]: the version must be a string", i, j);
			const char *version = json_string_value(value);
			if (strcmp(key, "introduced") == 0 && !open) {
				a.introduced = strcmp(version, "0") == 0 ? NULL : version;
				open = true;
				continue;
			}
			bool fixed = strcmp(key, "fixed") == 0;
			if (!open || (!fixed && strcmp(key, "last_affected") != 0))
				continue; /* limit events and stray ends do not open or close a pair */
			a.fixed_version = fixed ? version : NULL;
			open = false;
			if ((r = feed_write_advisory(w, &a, err)) < 0)
				return cc_error_prefix(err, "ranges[%zu].events[%zu]", i, j);
		}
		if (open) {
			a.fixed_version = NULL;
			if ((r = feed_write_advisory(w, &a, err)) < 0)
				return cc_error_prefix(err, "ranges[%zu]", i);
		}
	}
	return 0;
}

/* One affected entry; *ret_known is set when it names a distribution release the database keeps. */
static int read_affected(struct feed_writer *w, const char *id, const json_t *affected, const char *record_level,
			 bool *ret_known, struct cc_error *err)
{
	if (!json_is_object(affected))
		return cc_error_set(err, EINVAL, "expected an object");
	json_t *package = NULL, *ranges = NULL;
	const char *ecosystem = NULL, *name = NULL;
	int r;
	if ((r = cc_json_get_object(affected, "package", false, &package, err)) < 0 ||
	    (package && ((r = cc_json_get_string(package, "ecosystem", true, &ecosystem, err)) < 0 ||
			 (r = cc_json_get_string(package, "name", true, &name, err)) < 0)) ||
	    (r = cc_json_get_array(affected, "ranges", false, &ranges, err)) < 0)
		return r;
	const struct osv_distro *d = NULL;
	char release[FEED_RELEASE_MAX + 1];
	if (!package || !parse_ecosystem(ecosystem, &d, release)) {
		feed_count_skipped(w); /* no package, or not a distribution release this database keeps */
		return 0;
	}
	*ret_known = true;
	feed_add_scope(w, d->ecosystem);
	bool wrote = false;
	r = read_ranges(w,
			(struct feed_advisory){ .distro = d->distro,
						.release = release,
						.package = name,
						.id = id,
						.severity = affected_severity(affected, record_level) },
			ranges, &wrote, err);
	if (r == 0 && !wrote)
		feed_count_skipped(w); /* only enumerated versions or non-ECOSYSTEM ranges */
	return r;
}

static char *record_summary(const json_t *record)
{
	const char *summary = json_string_value(json_object_get(record, "summary"));
	if (summary && *summary)
		return cc_xstrdup(summary);
	const char *details = json_string_value(json_object_get(record, "details"));
	if (!details)
		return NULL;
	size_t line = strcspn(details, "\r\n");
	/* One byte past the limit, so feed_note_vulnerability sees where to cut. */
	return line ? cc_xstrndup(details, line < FEED_SUMMARY_MAX + 1 ? line : FEED_SUMMARY_MAX + 1) : NULL;
}

static int read_record(struct feed_writer *w, const json_t *record, struct cc_error *err)
{
	if (!json_is_object(record))
		return cc_error_set(err, EINVAL, "expected an OSV record (an object)");
	const char *id = NULL, *withdrawn = NULL;
	json_t *affected = NULL;
	int r;
	if ((r = cc_json_get_string(record, "id", true, &id, err)) < 0 ||
	    (r = cc_json_get_string(record, "withdrawn", false, &withdrawn, err)) < 0 ||
	    (r = cc_json_get_array(record, "affected", false, &affected, err)) < 0)
		return cc_error_prefix(err, "record");
	if (withdrawn) {
		feed_count_skipped(w);
		return 0;
	}
	const char *record_level = record_severity(record);
	bool known = false;
	size_t i;
	json_t *a;
	json_array_foreach (affected, i, a) {
		if ((r = read_affected(w, id, a, record_level, &known, err)) < 0) {
			char q[FEED_QUOTE_SIZE];
			return cc_error_prefix(err, "record `%s`: affected[%zu]", feed_quote(id, q), i);
		}
	}
	if (!known)
		return 0; /* nothing here for a distribution: its summary is not kept */
	_cleanup_free_ char *summary = record_summary(record);
	if ((r = feed_note_vulnerability(w, id, summary, err)) < 0) {
		char q[FEED_QUOTE_SIZE];
		return cc_error_prefix(err, "record `%s`", feed_quote(id, q));
	}
	return 0;
}

/* A record or an array of records; what names it in messages. */
static int read_document(struct feed_writer *w, const char *what, const char *data, size_t len, size_t limit,
			 struct cc_error *err)
{
	_cleanup_json_ json_t *doc = NULL;
	int r = cc_json_parse(data, len, limit, what, &doc, err);
	if (r < 0)
		return r;
	if (!json_is_array(doc))
		return read_record(w, doc, err);
	size_t i;
	json_t *record;
	json_array_foreach (doc, i, record) {
		if ((r = read_record(w, record, err)) < 0)
			return cc_error_prefix(err, "[%zu]", i);
	}
	return 0;
}

bool feed_osv_is_zip(const void *data, size_t len)
{
	/* A local file header, or the end of an empty archive (APPNOTE.TXT §4.3.7, §4.3.16). */
	return len >= 4 && (memcmp(data, "PK\x03\x04", 4) == 0 || memcmp(data, "PK\x05\x06", 4) == 0);
}

static bool is_json_name(const char *name)
{
	size_t len = strlen(name);
	return len > 5 && strcmp(name + len - 5, ".json") == 0;
}

/* One entry's bytes, at most FEED_RECORD_MAX_SIZE of them. */
static int read_zip_entry(struct archive *a, const char *name, struct cc_buf *out, struct cc_error *err)
{
	char q[FEED_QUOTE_SIZE];
	cc_buf_reset(out);
	for (;;) {
		char chunk[65536];
		la_ssize_t n = archive_read_data(a, chunk, sizeof(chunk));
		if (n == 0)
			return 0;
		if (n < 0)
			return cc_error_set(err, EINVAL, "entry `%s`: %s", feed_quote(name, q),
					    archive_error_string(a) ? archive_error_string(a) : "unreadable");
		if (cc_buf_append(out, chunk, (size_t)n) < 0)
			return cc_error_set(err, EFBIG, "entry `%s` is larger than the limit of %zu bytes",
					    feed_quote(name, q), FEED_RECORD_MAX_SIZE);
	}
}

/* Reads the archive and frees it. */
static int read_zip(struct feed_writer *w, struct archive *a, struct cc_error *err)
{
	struct cc_buf data;
	cc_buf_init_limited(&data, FEED_RECORD_MAX_SIZE);
	int r = 0;
	for (;;) {
		struct archive_entry *entry = NULL;
		int rc = archive_read_next_header(a, &entry);
		if (rc == ARCHIVE_EOF)
			break;
		if (rc < ARCHIVE_WARN) {
			r = cc_error_set(err, EINVAL, "zip: %s",
					 archive_error_string(a) ? archive_error_string(a) : "unreadable");
			break;
		}
		const char *name = archive_entry_pathname(entry);
		if (!name || archive_entry_filetype(entry) != AE_IFREG || !is_json_name(name))
			continue;
		if ((r = read_zip_entry(a, name, &data, err)) < 0)
			break;
		if ((r = read_document(w, "JSON", data.data ? data.data : "", data.len, FEED_RECORD_MAX_SIZE, err)) <
		    0) {
			char q[FEED_QUOTE_SIZE];
			cc_error_prefix(err, "entry `%s`", feed_quote(name, q));
			break;
		}
	}
	cc_buf_free(&data);
	archive_read_free(a);
	return r;
}

static struct archive *zip_reader(void)
{
	struct archive *a = archive_read_new();
	if (!a)
		abort(); /* only fails to allocate */
	archive_read_support_format_zip(a);
	return a;
}

int feed_osv_read_zip_file(struct feed_writer *w, const char *path, struct cc_error *err)
{
	struct archive *a = zip_reader();
	if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK) {
		int r = cc_error_set(err, EINVAL, "zip: %s",
				     archive_error_string(a) ? archive_error_string(a) : "unreadable");
		archive_read_free(a);
		return r;
	}
	return read_zip(w, a, err);
}

int feed_osv_read(struct feed_writer *w, const char *data, size_t len, struct cc_error *err)
{
	if (!feed_osv_is_zip(data, len))
		return read_document(w, "JSON", data, len, FEED_FILE_MAX_SIZE, err);
	struct archive *a = zip_reader();
	if (archive_read_open_memory(a, data, len) != ARCHIVE_OK) {
		int r = cc_error_set(err, EINVAL, "zip: %s",
				     archive_error_string(a) ? archive_error_string(a) : "unreadable");
		archive_read_free(a);
		return r;
	}
	return read_zip(w, a, err);
}

/* ---- A directory of records ------------------------------------------------------------------- */

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.json names in dfd, sorted. */
static int list_records(int dfd, const char *path, char ***ret, size_t *ret_n, struct cc_error *err)
{
	DIR *dir = cc_opendir_dup(dfd);
	if (!dir)
		return cc_error_set_errno(err, errno, "read directory `%s`", path);
	char **names = NULL;
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(dir))) {
		if (e->d_name[0] == '.' || !is_json_name(e->d_name))
			continue;
		names = cc_xrealloc(names, (n + 1) * sizeof(*names));
		names[n++] = cc_xstrdup(e->d_name);
	}
	closedir(dir);
	if (n)
		qsort(names, n, sizeof(*names), compare_names);
	*ret = names;
	*ret_n = n;
	return 0;
}

/* One record file; its name and digest go into the directory's digest. */
static int read_dir_entry(struct feed_writer *w, int dfd, const char *name, struct cc_digest_ctx *digest,
			  struct cc_error *err)
{
	char q[FEED_QUOTE_SIZE];
	_cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK);
	struct stat st;
	if (fd < 0 && errno == ELOOP)
		return 0; /* a symbolic link: only the directory's own files are read */
	if (fd < 0 || fstat(fd, &st) < 0)
		return cc_error_set_errno(err, errno, "open `%s`", feed_quote(name, q));
	if (!S_ISREG(st.st_mode))
		return 0;
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	int r = cc_read_fd(fd, name, FEED_RECORD_MAX_SIZE, &data, &len, err);
	if (r < 0)
		return r;
	char hex[CC_DIGEST_HEX_MAX];
	if ((r = cc_digest_hex(CC_DIGEST_SHA256, data, len, hex, err)) < 0)
		return r;
	cc_digest_update(digest, name, strlen(name) + 1);
	cc_digest_update(digest, hex, strlen(hex));
	cc_digest_update(digest, "\n", 1);
	if ((r = read_document(w, "JSON", data, len, FEED_RECORD_MAX_SIZE, err)) < 0)
		return cc_error_prefix(err, "file `%s`", feed_quote(name, q));
	return 0;
}

int feed_osv_read_dir(struct feed_writer *w, const char *path, struct cc_error *err)
{
	_cleanup_close_ int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return cc_error_set_errno(err, errno, "open directory `%s`", path);
	char **names = NULL;
	size_t n = 0;
	int r = list_records(dfd, path, &names, &n, err);
	if (r < 0)
		return r;
	/* The directory's digest: SHA-256 over "name\0sha256-hex\n" of each record file, in name order. */
	struct cc_digest_ctx *digest = NULL;
	r = cc_digest_begin(CC_DIGEST_SHA256, &digest, err);
	for (size_t i = 0; r == 0 && i < n; i++)
		r = read_dir_entry(w, dfd, names[i], digest, err);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (r < 0) {
		if (digest)
			cc_digest_abort(digest);
		return r;
	}
	char hex[CC_DIGEST_HEX_MAX];
	if ((r = cc_digest_end_hex(digest, hex, err)) < 0)
		return r;
	feed_set_sha256(w, hex);
	return 0;
}
