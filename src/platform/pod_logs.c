/* Pod logs (see pod_logs.h). A CRI log line is `TIMESTAMP STREAM TAG CONTENT`: TAG F ends a line,
 * P is part of a longer one. A rotated file's older parts are LOG.1, LOG.2, ... (oldest last). A
 * follower is a thread per request that polls the file every 200 ms, as `tail -f` does; it ends
 * when the instance has exited and everything is sent, or the client is gone. */
#include "platform/pod_logs.h"

#include "lib/base/buf.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/thread.h"
#include "lib/base/timeutil.h"
#include "lib/net/http.h"
#include "lib/net/response_stream.h"
#include "platform/pods.h"
#include "platform/status.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOG_MAX_READ (64u * 1024 * 1024)

struct log_options {
	bool timestamps;
	long long tail_lines; /* -1: all */
	int64_t since_ns;     /* 0: all */
	long long limit_bytes;
};

/* Appends the content of CRI lines in data to out. */
static void render(const char *data, size_t len, const struct log_options *o, struct cc_buf *out)
{
	const char *p = data, *end = data + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			break; /* an incomplete last line: the next read has it */
		const char *ts_end = memchr(p, ' ', (size_t)(nl - p));
		const char *stream_end = ts_end ? memchr(ts_end + 1, ' ', (size_t)(nl - ts_end - 1)) : NULL;
		const char *tag = stream_end ? stream_end + 1 : NULL;
		if (tag && tag + 2 <= nl) {
			char ts[CC_TIME_RFC3339_MAX] = "";
			snprintf(ts, sizeof(ts), "%.*s", (int)(ts_end - p), p);
			int64_t when = 0;
			cc_time_parse_rfc3339(ts, &when);
			if (!o->since_ns || when >= o->since_ns) {
				if (o->timestamps)
					cc_buf_appendf(out, "%s ", ts);
				const char *content = tag + 2 <= nl ? tag + 2 : nl;
				cc_buf_append(out, content, (size_t)(nl - content));
				if (tag[0] == 'F')
					cc_buf_append(out, "\n", 1);
			}
		}
		p = nl + 1;
	}
}

static void read_all(const char *path, const struct log_options *o, struct cc_buf *out, off_t *ret_offset)
{
	/* Rotated parts first, oldest first. */
	for (int i = 9; i >= 1; i--) {
		_cleanup_free_ char *part = cc_xasprintf("%s.%d", path, i);
		char *data = NULL;
		size_t len = 0;
		if (cc_read_file(part, LOG_MAX_READ, &data, &len, NULL) == 0) {
			render(data, len, o, out);
			free(data);
		}
	}
	char *data = NULL;
	size_t len = 0;
	*ret_offset = 0;
	if (cc_read_file(path, LOG_MAX_READ, &data, &len, NULL) == 0) {
		/* Only whole lines; a follower resumes after the last one. */
		const char *last = len ? memrchr(data, '\n', len) : NULL;
		size_t whole = last ? (size_t)(last - data) + 1 : 0;
		render(data, whole, o, out);
		*ret_offset = (off_t)whole;
		free(data);
	}
}

static void tail(struct cc_buf *out, const struct log_options *o)
{
	if (o->tail_lines >= 0) {
		long long lines = 0;
		size_t start = out->len;
		while (start > 0) {
			if (out->data[start - 1] == '\n' && start != out->len && ++lines >= o->tail_lines)
				break;
			start--;
		}
		if (o->tail_lines == 0)
			start = out->len;
		memmove(out->data, out->data + start, out->len - start);
		out->len -= start;
	}
	if (o->limit_bytes > 0 && out->len > (size_t)o->limit_bytes)
		out->len = (size_t)o->limit_bytes;
}

struct follower {
	struct cc_response_stream *stream;
	char path[8192];
	char exit_file[8192];
	off_t offset;
	struct log_options options;
};

/* New whole lines of the file since f->offset; 0 when none, -1 when the client is gone. */
static int follow_once(struct follower *f)
{
	FILE *file = fopen(f->path, "re");
	if (!file)
		return 0;
	struct stat st;
	if (fstat(fileno(file), &st) == 0 && st.st_size < f->offset)
		f->offset = 0; /* rotated: the new file starts over */
	int r = 0;
	char buf[65536];
	size_t n = fseeko(file, f->offset, SEEK_SET) == 0 ? fread(buf, 1, sizeof(buf), file) : 0;
	fclose(file);
	const char *last = n ? memrchr(buf, '\n', n) : NULL;
	size_t whole = last ? (size_t)(last - buf) + 1 : 0;
	if (whole) {
		struct cc_buf out = { 0 };
		render(buf, whole, &f->options, &out);
		if (out.len && cc_response_stream_write(f->stream, out.data, out.len) < 0)
			r = -1;
		cc_buf_free(&out);
		f->offset += (off_t)whole;
		if (r == 0)
			r = 1;
	}
	return r;
}

static void *follow_main(void *arg)
{
	struct follower *f = arg;
	while (!cc_response_stream_closed(f->stream)) {
		/* Checked before reading: an exit seen now means every line is already in the file. An
		 * instance whose bundle is gone (restarted, or its pod removed) has ended too. */
		_cleanup_free_ char *bundle = cc_xstrdup(f->exit_file);
		*strrchr(bundle, '/') = '\0';
		bool exited = access(f->exit_file, F_OK) == 0 || access(bundle, F_OK) != 0;
		int r = follow_once(f);
		if (r < 0 || (r == 0 && exited))
			break;
		if (r == 0)
			usleep(200000);
	}
	cc_response_stream_finish(f->stream);
	free(f);
	return NULL;
}

static long long query_number(const struct cc_http_request *req, const char *name, long long fallback)
{
	_cleanup_free_ char *v = cc_http_request_query(req, name);
	return v && v[0] ? strtoll(v, NULL, 10) : fallback;
}

static bool query_flag(const struct cc_http_request *req, const char *name)
{
	_cleanup_free_ char *v = cc_http_request_query(req, name);
	return v && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0);
}

void platform_pod_log(struct platform_pods *pods, const struct platform_resource *r, const char *namespace,
		      const char *name, const struct cc_http_request *req, struct cc_http_response *resp)
{
	_cleanup_free_ char *container = cc_http_request_query(req, "container");
	struct platform_container_ref ref;
	struct cc_error err = { 0 };
	if (!pods || platform_pods_container(pods, namespace, name, container, &ref, &err) < 0) {
		platform_status_error(resp, 400, "BadRequest", r, name, "%s",
				      pods ? cc_error_message(&err) : "this cocoond does not run pods");
		return;
	}
	bool previous = query_flag(req, "previous");
	if (previous && !ref.previous_log[0]) {
		platform_status_error(resp, 400, "BadRequest", r, name,
				      "previous terminated container \"%s\" in pod \"%s\" not found",
				      container ? container : "", name);
		return;
	}
	long long since = query_number(req, "sinceSeconds", 0);
	struct log_options o = { .timestamps = query_flag(req, "timestamps"),
				 .tail_lines = query_number(req, "tailLines", -1),
				 .since_ns = since > 0 ? cc_time_now_ns() - since * 1000000000LL : 0,
				 .limit_bytes = query_number(req, "limitBytes", 0) };
	const char *path = previous ? ref.previous_log : ref.log_path;
	struct cc_buf out = { 0 };
	off_t offset = 0;
	read_all(path, &o, &out, &offset);
	tail(&out, &o);
	resp->status = 200;
	snprintf(resp->content_type, sizeof(resp->content_type), "text/plain");
	if (!query_flag(req, "follow") || previous) {
		cc_buf_append(&resp->body, out.data ? out.data : "", out.len);
		cc_buf_free(&out);
		return;
	}
	struct follower *f = cc_xcalloc(1, sizeof(*f));
	f->stream = cc_http_response_stream(resp, 1 << 20);
	snprintf(f->path, sizeof(f->path), "%s", path);
	snprintf(f->exit_file, sizeof(f->exit_file), "%s", ref.exit_file);
	f->offset = offset;
	f->options = o;
	f->options.since_ns = 0, f->options.tail_lines = -1;
	if (out.len)
		cc_response_stream_write(f->stream, out.data, out.len);
	cc_buf_free(&out);
	pthread_t thread;
	if (cc_thread_start_worker(&thread, follow_main, f) != 0) {
		cc_response_stream_finish(f->stream);
		free(f);
		return;
	}
	pthread_detach(thread);
}
