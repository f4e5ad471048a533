/* Segment-file queue (see queue.h). One mutex guards the segment table, cursors and counters;
 * the slow calls (write, fdatasync, writing a cursor file) run outside it where they can, so the
 * writer and the reader (two threads of the forwarder) do not wait on each other's disk.
 * Records are gathered in memory and written at the sync (or every WRITE_BATCH bytes), and read
 * back through a window of READ_WINDOW bytes: a system call per record was most of the queue's
 * cost. fdatasync is batched by the caller (a group commit per input batch), and readers see
 * records only once they are durable. */
#include "audit/queue.h"

#include "lib/base/buf.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define HEADER      8
#define MAX_CURSORS 16
#define WRITE_BATCH (1u << 20)
#define READ_WINDOW (AUDIT_QUEUE_RECORD_MAX + HEADER) /* the largest record fits */

struct segment {
	uint64_t number;
	uint64_t valid; /* bytes of whole, checksummed records */
};

struct cursor {
	char name[64];
	struct audit_queue_pos pos;
};

struct audit_queue {
	pthread_mutex_t lock;
	char *dir;
	int dir_fd;
	uint64_t max_bytes;
	struct segment *segments;
	size_t segment_count;
	int write_fd; /* newest segment */
	/* Writer only: records appended but not yet written, and the newest segment's bytes on
	 * disk. */
	struct cc_buf unwritten;
	uint64_t written;
	int read_fd; /* segment read_segment, for readers */
	uint64_t read_segment;
	/* Reader only: bytes [window_offset, window_offset + window_len) of segment window_segment. */
	char *window;
	uint64_t window_segment, window_offset;
	size_t window_len;
	struct cc_buf record; /* the record peek returned last */
	bool dir_dirty;       /* a segment was created or removed since the last sync */
	/* End of what is durable: readers stop here, so nothing is delivered that a crash could
	 * still take back (its sequence number would then be reused for another event). */
	struct audit_queue_pos durable;
	struct cursor cursors[MAX_CURSORS];
	size_t cursor_count;
	struct audit_queue_stats stats;
};

/* CRC-32C (Castagnoli), reflected polynomial 0x82F63B78, as iSCSI and ext4 use. */
static uint32_t crc_table[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
		crc_table[i] = c;
	}
}

#if defined(__x86_64__)
/* SSE 4.2 has a CRC-32C instruction: eight bytes per step instead of one table lookup per byte. */
__attribute__((target("sse4.2"))) static uint32_t crc32c_sse42(const uint8_t *p, size_t len)
{
	uint64_t crc = 0xFFFFFFFFu;
	for (; len >= 8; p += 8, len -= 8) {
		uint64_t v;
		memcpy(&v, p, 8);
		crc = __builtin_ia32_crc32di(crc, v);
	}
	uint32_t c = (uint32_t)crc;
	while (len--)
		c = __builtin_ia32_crc32qi(c, *p++);
	return c ^ 0xFFFFFFFFu;
}
#endif

uint32_t audit_crc32c(const void *data, size_t len)
{
#if defined(__x86_64__)
	if (__builtin_cpu_supports("sse4.2"))
		return crc32c_sse42(data, len);
#endif
	pthread_once(&crc_once, crc_init);
	const uint8_t *p = data;
	uint32_t crc = 0xFFFFFFFFu;
	while (len--)
		crc = crc_table[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
	return crc ^ 0xFFFFFFFFu;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static char *segment_name(uint64_t number)
{
	return cc_xasprintf("seg-%016" PRIx64 ".q", number);
}

/* Reads the record at offset: 1 with the record, 0 at a clean end, -EPIPE when the file ends
 * inside the record (a torn write), -EBADMSG when a whole record fails its checksum (*ret_len is
 * then its length, so it can be skipped). */
static int read_record(int fd, uint64_t offset, char **ret, size_t *ret_len)
{
	uint8_t header[HEADER];
	ssize_t n = pread(fd, header, HEADER, (off_t)offset);
	if (n == 0)
		return 0;
	if (n != HEADER)
		return -EPIPE;
	uint32_t len = get32(header), crc = get32(header + 4);
	if (len == 0 || len > AUDIT_QUEUE_RECORD_MAX)
		return -EPIPE; /* garbage where a header should be: nothing after it can be trusted */
	char *data = cc_xmalloc((size_t)len + 1);
	ssize_t got = pread(fd, data, len, (off_t)(offset + HEADER));
	if (got != (ssize_t)len) {
		free(data);
		return -EPIPE;
	}
	if (audit_crc32c(data, len) != crc) {
		free(data);
		*ret_len = len;
		return -EBADMSG;
	}
	data[len] = '\0';
	*ret = data;
	*ret_len = len;
	return 1;
}

/* Finds how much of a segment is whole records; cuts a torn tail of the newest segment. */
static int scan_segment(struct audit_queue *q, struct segment *seg, bool newest, struct cc_error *err)
{
	_cleanup_free_ char *name = segment_name(seg->number);
	_cleanup_close_ int fd = openat(q->dir_fd, name, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return cc_error_set_errno(err, errno, "open queue segment `%s/%s`", q->dir, name);
	struct stat st;
	fstat(fd, &st);
	uint64_t offset = 0;
	for (;;) {
		char *data;
		size_t len;
		int r = read_record(fd, offset, &data, &len);
		if (r == 1) {
			free(data);
			offset += HEADER + len;
			continue;
		}
		if (r == -EBADMSG) {
			/* A whole record with a bad checksum (bit rot, not a crash): count it and go on,
			 * so the records after it are not lost with it. Readers skip it too. */
			q->stats.corrupt_records++;
			cc_err("queue segment %s: record at byte %" PRIu64 " fails its checksum; it is skipped", name,
			       offset);
			offset += HEADER + len;
			continue;
		}
		if (r < 0 || offset < (uint64_t)st.st_size) {
			if (newest) {
				q->stats.torn_records++;
				cc_warning("queue segment %s: cutting a torn record at byte %" PRIu64 " (%lld bytes)",
					   name, offset, (long long)st.st_size - (long long)offset);
				if (ftruncate(fd, (off_t)offset) < 0)
					return cc_error_set_errno(err, errno, "truncate queue segment `%s`", name);
				fsync(fd);
			} else {
				q->stats.corrupt_records++;
				cc_err("queue segment %s: corrupt record at byte %" PRIu64
				       "; the rest of this segment is unreadable",
				       name, offset);
			}
		}
		break;
	}
	seg->valid = offset;
	q->stats.bytes += offset;
	return 0;
}

static int compare_segments(const void *a, const void *b)
{
	uint64_t x = ((const struct segment *)a)->number, y = ((const struct segment *)b)->number;
	return x < y ? -1 : x > y;
}

static int open_newest_for_append(struct audit_queue *q, struct cc_error *err)
{
	_cleanup_free_ char *name = segment_name(q->segments[q->segment_count - 1].number);
	if (q->write_fd >= 0)
		close(q->write_fd);
	q->write_fd = openat(q->dir_fd, name, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (q->write_fd < 0)
		return cc_error_set_errno(err, errno, "open queue segment `%s/%s`", q->dir, name);
	return 0;
}

static int add_segment(struct audit_queue *q, uint64_t number, struct cc_error *err)
{
	q->segments = cc_xrealloc(q->segments, (q->segment_count + 1) * sizeof(*q->segments));
	q->segments[q->segment_count++] = (struct segment){ .number = number };
	q->dir_dirty = true;
	return open_newest_for_append(q, err);
}

static int load_cursor(struct audit_queue *q, const char *name, struct audit_queue_pos *pos)
{
	_cleanup_free_ char *file = cc_xasprintf("%s/cursor-%s", q->dir, name);
	_cleanup_free_ char *data = NULL;
	size_t len;
	if (cc_read_file(file, 128, &data, &len, NULL) < 0)
		return -ENOENT;
	unsigned long long segment, offset;
	if (sscanf(data, "%llu %llu", &segment, &offset) != 2)
		return -EINVAL;
	pos->segment = segment;
	pos->offset = offset;
	return 0;
}

int audit_queue_open(const char *dir, uint64_t max_bytes, struct audit_queue **ret, struct cc_error *err)
{
	int r = cc_mkdir_p(dir, 0700, err);
	if (r < 0)
		return cc_error_prefix(err, "queue");
	struct audit_queue *q = cc_xcalloc(1, sizeof(*q));
	pthread_mutex_init(&q->lock, NULL);
	q->dir = cc_xstrdup(dir);
	q->max_bytes = max_bytes;
	q->write_fd = -1;
	q->read_fd = -1;
	q->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (q->dir_fd < 0) {
		r = cc_error_set_errno(err, errno, "open queue directory `%s`", dir);
		goto fail;
	}
	DIR *d = fdopendir(dup(q->dir_fd));
	struct dirent *de;
	while (d && (de = readdir(d))) {
		unsigned long long number;
		char tail;
		if (sscanf(de->d_name, "seg-%16llx.q%c", &number, &tail) == 1 && strlen(de->d_name) == 22) {
			q->segments = cc_xrealloc(q->segments, (q->segment_count + 1) * sizeof(*q->segments));
			q->segments[q->segment_count++] = (struct segment){ .number = number };
		}
	}
	if (d)
		closedir(d);
	if (q->segment_count)
		qsort(q->segments, q->segment_count, sizeof(*q->segments), compare_segments);
	for (size_t i = 0; i < q->segment_count; i++)
		if ((r = scan_segment(q, &q->segments[i], i == q->segment_count - 1, err)) < 0)
			goto fail;
	r = q->segment_count ? open_newest_for_append(q, err) : add_segment(q, 0, err);
	if (r < 0)
		goto fail;
	/* What survived on disk, after the scan cut any torn tail, is what is durable. */
	q->durable = (struct audit_queue_pos){ .segment = q->segments[q->segment_count - 1].number,
					       .offset = q->segments[q->segment_count - 1].valid };
	q->written = q->durable.offset;
	*ret = q;
	return 0;
fail:
	audit_queue_close(q);
	return r;
}

/* Writes the gathered records to the newest segment (writer only, without the lock: readers stop
 * at the durable end, below these bytes). On failure the file is cut back and the records stay
 * gathered for the next try, so a full disk holds the writer up and loses nothing. */
static int write_unwritten(struct audit_queue *q, struct cc_error *err)
{
	size_t done = 0;
	while (done < q->unwritten.len) {
		ssize_t n = write(q->write_fd, q->unwritten.data + done, q->unwritten.len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : ENOSPC;
			if (ftruncate(q->write_fd, (off_t)q->written) < 0)
				cc_err("queue `%s`: cannot remove a partial write: %s", q->dir, strerror(errno));
			if (e == ENOSPC || e == EDQUOT)
				return cc_error_set(err, ENOSPC, "queue `%s`: the disk is full (%zu bytes waiting)",
						    q->dir, q->unwritten.len);
			return cc_error_set_errno(err, e, "write queue `%s`", q->dir);
		}
		done += (size_t)n;
	}
	q->written += q->unwritten.len;
	cc_buf_reset(&q->unwritten);
	return 0;
}

void audit_queue_close(struct audit_queue *q)
{
	if (!q)
		return;
	if (q->write_fd >= 0) {
		if (write_unwritten(q, NULL) < 0)
			cc_err("queue `%s`: %zu bytes could not be written at close", q->dir, q->unwritten.len);
		fdatasync(q->write_fd);
		close(q->write_fd);
	}
	cc_buf_free(&q->unwritten);
	cc_buf_free(&q->record);
	free(q->window);
	if (q->read_fd >= 0)
		close(q->read_fd);
	if (q->dir_fd >= 0)
		close(q->dir_fd);
	pthread_mutex_destroy(&q->lock);
	free(q->segments);
	free(q->dir);
	free(q);
}

static uint64_t pending_locked(struct audit_queue *q, const struct audit_queue_pos *pos)
{
	uint64_t pending = 0;
	for (size_t i = 0; i < q->segment_count; i++) {
		const struct segment *s = &q->segments[i];
		if (s->number > pos->segment)
			pending += s->valid;
		else if (s->number == pos->segment && s->valid > pos->offset)
			pending += s->valid - pos->offset;
	}
	return pending;
}

/* Bytes not yet delivered by the slowest output (all bytes when no output is registered). */
static uint64_t undelivered_locked(struct audit_queue *q)
{
	if (q->cursor_count == 0)
		return q->stats.bytes;
	uint64_t most = 0;
	for (size_t i = 0; i < q->cursor_count; i++) {
		uint64_t p = pending_locked(q, &q->cursors[i].pos);
		if (p > most)
			most = p;
	}
	return most;
}

int audit_queue_append(struct audit_queue *q, const char *data, size_t len, struct audit_queue_pos *ret_pos,
		       struct cc_error *err)
{
	if (len == 0 || len > AUDIT_QUEUE_RECORD_MAX)
		return cc_error_set(err, EMSGSIZE, "queue record of %zu bytes is outside 1..%u", len,
				    AUDIT_QUEUE_RECORD_MAX);
	pthread_mutex_lock(&q->lock);
	int r = 0;
	/* The bound is on what the slowest output has not delivered; delivered records leave the
	 * disk with their segment. */
	uint64_t undelivered = undelivered_locked(q);
	if (undelivered + HEADER + len > q->max_bytes) {
		r = cc_error_set(err, ENOSPC, "queue `%s` is full (%" PRIu64 " undelivered bytes): waiting for outputs",
				 q->dir, undelivered);
		goto out;
	}
	struct segment *seg = &q->segments[q->segment_count - 1];
	if (seg->valid > 0 && seg->valid + HEADER + len > AUDIT_QUEUE_SEGMENT_SIZE) {
		/* The old segment is complete: make it durable before writing into a new one. */
		if ((r = write_unwritten(q, err)) < 0)
			goto out;
		fdatasync(q->write_fd);
		q->durable = (struct audit_queue_pos){ .segment = seg->number, .offset = seg->valid };
		if ((r = add_segment(q, seg->number + 1, err)) < 0)
			goto out;
		q->written = 0;
		seg = &q->segments[q->segment_count - 1];
	}
	uint8_t header[HEADER];
	put32(header, (uint32_t)len);
	put32(header + 4, audit_crc32c(data, len));
	cc_buf_append(&q->unwritten, header, HEADER);
	cc_buf_append(&q->unwritten, data, len);
	if (ret_pos)
		*ret_pos = (struct audit_queue_pos){ .segment = seg->number, .offset = seg->valid };
	seg->valid += HEADER + len;
	q->stats.bytes += HEADER + len;
	q->stats.records_appended++;
out:
	pthread_mutex_unlock(&q->lock);
	/* A failed early write is tried again at the sync, which reports it. */
	if (r == 0 && q->unwritten.len >= WRITE_BATCH)
		write_unwritten(q, NULL);
	return r;
}

int audit_queue_sync(struct audit_queue *q, struct cc_error *err)
{
	/* The writer is the only caller of append and sync, so write_fd stays open while the lock is
	 * released for the write and the fdatasync. */
	int r = write_unwritten(q, err);
	if (r < 0)
		return r;
	pthread_mutex_lock(&q->lock);
	const struct segment *newest = &q->segments[q->segment_count - 1];
	struct audit_queue_pos end = { .segment = newest->number, .offset = newest->valid };
	int fd = q->write_fd;
	bool dir_dirty = q->dir_dirty;
	q->dir_dirty = false;
	pthread_mutex_unlock(&q->lock);

	r = fdatasync(fd) < 0 ? cc_error_set_errno(err, errno, "sync queue `%s`", q->dir) : 0;
	if (r == 0 && dir_dirty)
		fsync(q->dir_fd);

	pthread_mutex_lock(&q->lock);
	if (r == 0)
		q->durable = end;
	else
		q->dir_dirty |= dir_dirty;
	pthread_mutex_unlock(&q->lock);
	return r;
}

/* Bytes of a segment readers may read: all of an older segment, up to the durable end of the
 * newest. */
static uint64_t readable_locked(const struct audit_queue *q, const struct segment *seg)
{
	if (seg->number < q->durable.segment)
		return seg->valid;
	if (seg->number == q->durable.segment)
		return q->durable.offset < seg->valid ? q->durable.offset : seg->valid;
	return 0;
}

static struct segment *find_segment(struct audit_queue *q, uint64_t number)
{
	for (size_t i = 0; i < q->segment_count; i++)
		if (q->segments[i].number == number)
			return &q->segments[i];
	return NULL;
}

int audit_queue_last(struct audit_queue *q, char **ret, size_t *ret_len, struct cc_error *err)
{
	pthread_mutex_lock(&q->lock);
	int r = -ENOENT;
	for (size_t i = q->segment_count; i-- > 0 && r == -ENOENT;) {
		if (q->segments[i].valid == 0)
			continue;
		_cleanup_free_ char *name = segment_name(q->segments[i].number);
		_cleanup_close_ int fd = openat(q->dir_fd, name, O_RDONLY | O_CLOEXEC);
		uint64_t offset = 0;
		char *last = NULL;
		size_t last_len = 0;
		while (fd >= 0 && offset < q->segments[i].valid) {
			char *data;
			size_t len;
			if (read_record(fd, offset, &data, &len) != 1)
				break;
			free(last);
			last = data;
			last_len = len;
			offset += HEADER + len;
		}
		if (last) {
			*ret = last;
			*ret_len = last_len;
			r = 0;
		}
	}
	pthread_mutex_unlock(&q->lock);
	return r;
}

static struct cursor *get_cursor(struct audit_queue *q, const char *output, struct cc_error *err)
{
	for (size_t i = 0; i < q->cursor_count; i++)
		if (strcmp(q->cursors[i].name, output) == 0)
			return &q->cursors[i];
	if (q->cursor_count == MAX_CURSORS || strlen(output) >= sizeof(q->cursors[0].name) ||
	    output[strspn(output, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")] != '\0') {
		cc_error_set(err, EINVAL, "invalid or too many queue outputs (`%s`)", output);
		return NULL;
	}
	struct cursor *c = &q->cursors[q->cursor_count++];
	snprintf(c->name, sizeof(c->name), "%s", output);
	if (load_cursor(q, output, &c->pos) < 0 || !find_segment(q, c->pos.segment))
		c->pos = (struct audit_queue_pos){ .segment = q->segments[0].number, .offset = 0 };
	return c;
}

int audit_queue_cursor(struct audit_queue *q, const char *output, struct audit_queue_pos *ret, struct cc_error *err)
{
	pthread_mutex_lock(&q->lock);
	struct cursor *c = get_cursor(q, output, err);
	if (c)
		*ret = c->pos;
	pthread_mutex_unlock(&q->lock);
	return c ? 0 : -EINVAL;
}

/* One read descriptor, for the segment read last: outputs read segments front to back, so it is
 * reopened once per segment, not once per record. */
static int read_fd(struct audit_queue *q, uint64_t number)
{
	if (q->read_fd >= 0 && q->read_segment == number)
		return q->read_fd;
	_cleanup_free_ char *name = segment_name(number);
	int fd = openat(q->dir_fd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (q->read_fd >= 0)
		close(q->read_fd);
	q->read_fd = fd;
	q->read_segment = number;
	return fd;
}

/* read_record's result for the record at offset, from the window when it holds the whole record;
 * the window is refilled from offset up to the readable end (limit). */
static int read_through_window(struct audit_queue *q, int fd, uint64_t segment, uint64_t offset, uint64_t limit,
			       const char **ret, size_t *ret_len)
{
	for (int refilled = 0;; refilled++) {
		bool inside = q->window_segment == segment && offset >= q->window_offset &&
			      offset + HEADER <= q->window_offset + q->window_len;
		if (inside) {
			const uint8_t *h = (const uint8_t *)q->window + (offset - q->window_offset);
			uint32_t len = get32(h), crc = get32(h + 4);
			if (len == 0 || len > AUDIT_QUEUE_RECORD_MAX)
				return -EPIPE;
			if (offset + HEADER + len <= q->window_offset + q->window_len) {
				const char *data = (const char *)h + HEADER;
				if (audit_crc32c(data, len) != crc) {
					*ret_len = len;
					return -EBADMSG;
				}
				/* Copied out: the formats want a NUL-terminated text. */
				cc_buf_reset(&q->record);
				cc_buf_append(&q->record, data, len);
				*ret = q->record.data;
				*ret_len = len;
				return 1;
			}
		}
		if (refilled) { /* cannot happen below the limit */
			char *data = NULL;
			int r = read_record(fd, offset, &data, ret_len);
			if (r == 1) {
				cc_buf_reset(&q->record);
				cc_buf_append(&q->record, data, *ret_len);
				*ret = q->record.data;
			}
			free(data);
			return r;
		}
		if (!q->window)
			q->window = cc_xmalloc(READ_WINDOW);
		size_t want = limit - offset < READ_WINDOW ? (size_t)(limit - offset) : READ_WINDOW;
		ssize_t n = pread(fd, q->window, want, (off_t)offset);
		q->window_segment = segment;
		q->window_offset = offset;
		q->window_len = n > 0 ? (size_t)n : 0;
	}
}

int audit_queue_peek(struct audit_queue *q, const char *output, struct audit_queue_pos *pos, const char **ret,
		     size_t *ret_len, struct audit_queue_pos *ret_next, struct cc_error *err)
{
	(void)output;
	pthread_mutex_lock(&q->lock);
	int r = 0;
	for (;;) {
		struct segment *seg = find_segment(q, pos->segment);
		if (!seg) {
			/* The segment was collected: continue at the oldest one left. */
			if (pos->segment < q->segments[0].number) {
				*pos = (struct audit_queue_pos){ .segment = q->segments[0].number };
				continue;
			}
			break;
		}
		if (pos->offset >= readable_locked(q, seg)) {
			if (seg != &q->segments[q->segment_count - 1] && seg->number < q->durable.segment) {
				*pos = (struct audit_queue_pos){ .segment = (seg + 1)->number };
				continue;
			}
			break; /* end of the queue */
		}
		int fd = read_fd(q, seg->number);
		if (fd < 0) {
			_cleanup_free_ char *name = segment_name(seg->number);
			r = cc_error_set_errno(err, -fd, "read queue segment `%s`", name);
			break;
		}
		r = read_through_window(q, fd, seg->number, pos->offset, readable_locked(q, seg), ret, ret_len);
		if (r == -EBADMSG) {
			pos->offset += HEADER + *ret_len; /* counted and logged when the queue was opened */
			continue;
		}
		if (r == 1) {
			*ret_next = (struct audit_queue_pos){ .segment = seg->number,
							      .offset = pos->offset + HEADER + *ret_len };
		} else {
			r = cc_error_set(err, EBADMSG, "queue segment %" PRIu64 ": unreadable record at byte %" PRIu64,
					 seg->number, pos->offset);
		}
		break;
	}
	pthread_mutex_unlock(&q->lock);
	return r;
}

static void collect_segments(struct audit_queue *q)
{
	uint64_t oldest_needed = UINT64_MAX;
	for (size_t i = 0; i < q->cursor_count; i++)
		if (q->cursors[i].pos.segment < oldest_needed)
			oldest_needed = q->cursors[i].pos.segment;
	/* Keep the newest segment that holds records: it carries the head of the hash chain. */
	uint64_t keep = q->segments[q->segment_count - 1].number;
	for (size_t i = q->segment_count; i-- > 0;)
		if (q->segments[i].valid > 0) {
			keep = q->segments[i].number;
			break;
		}
	size_t kept = 0;
	for (size_t i = 0; i < q->segment_count; i++) {
		struct segment *s = &q->segments[i];
		if (s->number < oldest_needed && s->number < keep && i < q->segment_count - 1) {
			_cleanup_free_ char *name = segment_name(s->number);
			if (q->read_fd >= 0 && q->read_segment == s->number) {
				close(q->read_fd);
				q->read_fd = -1;
			}
			if (unlinkat(q->dir_fd, name, 0) == 0) {
				q->stats.bytes -= s->valid;
				q->dir_dirty = true;
				continue;
			}
		}
		q->segments[kept++] = *s;
	}
	q->segment_count = kept;
}

int audit_queue_ack(struct audit_queue *q, const char *output, const struct audit_queue_pos *pos, struct cc_error *err)
{
	pthread_mutex_lock(&q->lock);
	struct cursor *c = get_cursor(q, output, err);
	pthread_mutex_unlock(&q->lock);
	if (!c)
		return -EINVAL;
	/* Each output acknowledges from one thread, so its cursor file has one writer. The cursor
	 * moves, and segments behind it go, only once the file says so. */
	char text[64];
	snprintf(text, sizeof(text), "%" PRIu64 " %" PRIu64 "\n", pos->segment, pos->offset);
	_cleanup_free_ char *file = cc_xasprintf("%s/cursor-%s", q->dir, output);
	int r = cc_write_file_atomic(file, text, strlen(text), 0600, err);
	if (r < 0)
		return r;
	pthread_mutex_lock(&q->lock);
	c->pos = *pos;
	collect_segments(q);
	pthread_mutex_unlock(&q->lock);
	return 0;
}

uint64_t audit_queue_pending_bytes(struct audit_queue *q, const struct audit_queue_pos *pos)
{
	pthread_mutex_lock(&q->lock);
	uint64_t pending = pending_locked(q, pos);
	pthread_mutex_unlock(&q->lock);
	return pending;
}

void audit_queue_stats(struct audit_queue *q, struct audit_queue_stats *ret)
{
	pthread_mutex_lock(&q->lock);
	*ret = q->stats;
	pthread_mutex_unlock(&q->lock);
}
