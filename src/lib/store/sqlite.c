/* The SQLite store backend: one table of (key, value, revision) in WAL mode with synchronous=FULL,
 * so a write that returned survives a crash or power loss and a write cut short by SIGKILL never
 * becomes visible. Each key's revision counts its writes; compare-and-swap is a conditional UPDATE
 * (or an INSERT that must not conflict) inside one statement.
 *
 * The file holds policies, tenant names and resource paths (the secrets in it are sealed): it is
 * created 0600, and an existing one (or its -wal and -shm files, which SQLite creates with the
 * database's mode) that group or others may open is refused, as the root key is, so a store never
 * silently stays readable by every local user. */
#include "lib/base/error.h"
#include "lib/store/backend.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct sqlite_store {
	sqlite3 *db;
	pthread_mutex_t lock; /* one connection, statements run one at a time */
};

static int db_error(struct sqlite_store *s, struct cc_error *err, const char *what)
{
	int code = sqlite3_errcode(s->db);
	int errnum = code == SQLITE_BUSY || code == SQLITE_LOCKED      ? EBUSY
		     : code == SQLITE_CORRUPT || code == SQLITE_NOTADB ? EUCLEAN
		     : code == SQLITE_FULL                             ? ENOSPC
								       : EIO;
	return cc_error_set(err, errnum, "store: %s: %s", what, sqlite3_errmsg(s->db));
}

/* path (and suffix, "" or "-wal" or "-shm") when it exists must be private to its owner. */
static int check_private(const char *path, const char *suffix, struct cc_error *err)
{
	char name[4096];
	if (snprintf(name, sizeof(name), "%s%s", path, suffix) >= (int)sizeof(name))
		return cc_error_set(err, ENAMETOOLONG, "store `sqlite:%s`: the path is too long", path);
	struct stat st;
	if (stat(name, &st) < 0)
		return errno == ENOENT ? 0 : cc_error_set_errno(err, errno, "store `sqlite:%s`: stat `%s`", path, name);
	if (st.st_mode & 077)
		return cc_error_set(err, EPERM,
				    "store `sqlite:%s`: `%s` is open to group or others (mode %03o); chmod 600 it",
				    path, name, (unsigned)(st.st_mode & 0777));
	return 0;
}

/* Creates path 0600 unless it exists, then checks it and SQLite's side files are private. */
static int prepare_file(const char *path, struct cc_error *err)
{
	if (strcmp(path, ":memory:") == 0)
		return 0;
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd >= 0)
		close(fd);
	else if (errno != EEXIST)
		return cc_error_set_errno(err, errno, "store `sqlite:%s`: create", path);
	static const char *const suffixes[] = { "", "-wal", "-shm" };
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		int r = check_private(path, suffixes[i], err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int sqlite_open(const char *path, void **ret, struct cc_error *err)
{
	int prepared = prepare_file(path, err);
	if (prepared < 0)
		return prepared;
	struct sqlite_store *s = calloc(1, sizeof(*s));
	if (!s)
		return cc_error_set(err, ENOMEM, "out of memory");
	pthread_mutex_init(&s->lock, NULL);
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL) !=
	    SQLITE_OK) {
		int r = cc_error_set(err, EIO, "store `sqlite:%s`: %s", path,
				     s->db ? sqlite3_errmsg(s->db) : "cannot open");
		sqlite3_close(s->db);
		free(s);
		return r;
	}
	sqlite3_busy_timeout(s->db, 5000); /* other processes (cocoon key rotate) write the same file */
	char *message = NULL;
	if (sqlite3_exec(s->db,
			 "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
			 "CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value BLOB NOT NULL,"
			 " revision INTEGER NOT NULL);"
			 "PRAGMA quick_check;",
			 NULL, NULL, &message) != SQLITE_OK) {
		int r = cc_error_set(err, EUCLEAN, "store `sqlite:%s` is not usable: %s", path,
				     message ? message : sqlite3_errmsg(s->db));
		sqlite3_free(message);
		sqlite3_close(s->db);
		free(s);
		return r;
	}
	*ret = s;
	return 0;
}

static void sqlite_close(void *state)
{
	struct sqlite_store *s = state;
	sqlite3_close(s->db);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static sqlite3_stmt *prepare(struct sqlite_store *s, const char *sql)
{
	sqlite3_stmt *stmt = NULL;
	if (sqlite3_prepare_v2(s->db, sql, -1, &stmt, NULL) != SQLITE_OK)
		return NULL;
	return stmt;
}

static int sqlite_get(void *state, const char *key, char **ret_value, size_t *ret_len, int64_t *ret_revision,
		      struct cc_error *err)
{
	struct sqlite_store *s = state;
	pthread_mutex_lock(&s->lock);
	sqlite3_stmt *stmt = prepare(s, "SELECT value, revision FROM kv WHERE key = ?1");
	int r;
	if (!stmt) {
		r = db_error(s, err, "read");
		goto out;
	}
	sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
	int step = sqlite3_step(stmt);
	if (step == SQLITE_DONE) {
		r = cc_error_set(err, ENOENT, "store: `%s` does not exist", key);
	} else if (step != SQLITE_ROW) {
		r = db_error(s, err, "read");
	} else {
		size_t len = (size_t)sqlite3_column_bytes(stmt, 0);
		char *value = malloc(len + 1);
		if (!value) {
			r = cc_error_set(err, ENOMEM, "out of memory");
			goto out;
		}
		if (len)
			memcpy(value, sqlite3_column_blob(stmt, 0), len);
		value[len] = '\0';
		*ret_value = value;
		*ret_len = len;
		*ret_revision = sqlite3_column_int64(stmt, 1);
		r = 0;
	}
out:
	sqlite3_finalize(stmt);
	pthread_mutex_unlock(&s->lock);
	return r;
}

static int sqlite_put(void *state, const char *key, const void *value, size_t len, int64_t expected,
		      int64_t *ret_revision, struct cc_error *err)
{
	struct sqlite_store *s = state;
	const char *sql = expected == CC_STORE_ANY
			      ? "INSERT INTO kv (key, value, revision) VALUES (?1, ?2, 1) ON CONFLICT (key)"
				" DO UPDATE SET value = ?2, revision = revision + 1 RETURNING revision"
			  : expected == CC_STORE_ABSENT
			      ? "INSERT INTO kv (key, value, revision) VALUES (?1, ?2, 1) ON CONFLICT (key) DO NOTHING"
				" RETURNING revision"
			      : "UPDATE kv SET value = ?2, revision = revision + 1 WHERE key = ?1 AND revision = ?3"
				" RETURNING revision";
	pthread_mutex_lock(&s->lock);
	sqlite3_stmt *stmt = prepare(s, sql);
	int r;
	if (!stmt) {
		r = db_error(s, err, "write");
		goto out;
	}
	sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_blob64(stmt, 2, value, len, SQLITE_STATIC);
	if (expected > 0)
		sqlite3_bind_int64(stmt, 3, expected);
	int step = sqlite3_step(stmt);
	if (step == SQLITE_ROW) {
		*ret_revision = sqlite3_column_int64(stmt, 0);
		r = sqlite3_step(stmt) == SQLITE_DONE ? 0 : db_error(s, err, "write");
	} else if (step == SQLITE_DONE) {
		r = cc_error_set(err, ESTALE, "store: `%s` was changed by another writer (expected revision %lld)", key,
				 (long long)expected);
	} else {
		r = db_error(s, err, "write");
	}
out:
	sqlite3_finalize(stmt);
	pthread_mutex_unlock(&s->lock);
	return r;
}

static int sqlite_remove(void *state, const char *key, struct cc_error *err)
{
	struct sqlite_store *s = state;
	pthread_mutex_lock(&s->lock);
	sqlite3_stmt *stmt = prepare(s, "DELETE FROM kv WHERE key = ?1");
	int r;
	if (!stmt || (sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC), sqlite3_step(stmt)) != SQLITE_DONE)
		r = db_error(s, err, "delete");
	else
		r = sqlite3_changes(s->db) == 1 ? 0 : cc_error_set(err, ENOENT, "store: `%s` does not exist", key);
	sqlite3_finalize(stmt);
	pthread_mutex_unlock(&s->lock);
	return r;
}

static int sqlite_list(void *state, const char *prefix, cc_store_visit_fn visit, void *userdata, struct cc_error *err)
{
	struct sqlite_store *s = state;
	pthread_mutex_lock(&s->lock);
	/* substr() instead of LIKE: keys may hold % and _. */
	sqlite3_stmt *stmt = prepare(s, "SELECT key, value, revision FROM kv WHERE substr(key, 1, length(?1)) = ?1"
					" ORDER BY key");
	int r = 0;
	if (!stmt) {
		r = db_error(s, err, "list");
		goto out;
	}
	sqlite3_bind_text(stmt, 1, prefix, -1, SQLITE_STATIC);
	int step;
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		r = visit((const char *)sqlite3_column_text(stmt, 0), sqlite3_column_blob(stmt, 1),
			  (size_t)sqlite3_column_bytes(stmt, 1), sqlite3_column_int64(stmt, 2), userdata);
		if (r < 0)
			goto out;
	}
	if (step != SQLITE_DONE)
		r = db_error(s, err, "list");
out:
	sqlite3_finalize(stmt);
	pthread_mutex_unlock(&s->lock);
	return r;
}

const struct cc_store_backend cc_store_sqlite = {
	.scheme = "sqlite",
	.open = sqlite_open,
	.close = sqlite_close,
	.get = sqlite_get,
	.put = sqlite_put,
	.remove = sqlite_remove,
	.list = sqlite_list,
};
