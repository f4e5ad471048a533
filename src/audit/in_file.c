/* events:FILE input: cocoon events as JSON lines, followed across rotation (follow.h) and parsed
 * on the reader thread; and what both file inputs share (in_file.h). */
#include "audit/in_file.h"

#include "audit/follow.h"
#include "audit/reader.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"

#include <stdlib.h>

struct file_input {
	struct audit_follower file;
	struct audit_reader_input followed;
};

int audit_file_input_start(struct audit_input *in, struct audit_forwarder *f, bool k8s, struct cc_error *err)
{
	struct file_input *s = cc_xcalloc(1, sizeof(*s));
	/* The position's name keeps the input's place among the inputs, as before there were kinds. */
	_cleanup_free_ char *state = cc_xasprintf("%s/input-%zu.position", audit_forwarder_state_dir(f), in->index);
	int r = audit_follower_open(&s->file, in->target, state, err);
	if (r < 0) {
		audit_follower_close(&s->file);
		free(s);
		return r;
	}
	s->followed = (struct audit_reader_input){ .file = &s->file, .k8s = k8s };
	in->state = s;
	return audit_forwarder_follow(f, &s->followed, err);
}

void audit_file_input_commit(struct audit_input *in)
{
	struct file_input *s = in->state;
	if (s->followed.read_any)
		audit_follower_commit(&s->file, &s->followed.read_to, NULL);
}

void audit_file_input_stop(struct audit_input *in)
{
	struct file_input *s = in->state;
	if (!s)
		return;
	audit_follower_close(&s->file);
	free(s);
	in->state = NULL;
}

static int events_start(struct audit_input *in, struct audit_forwarder *f, struct cc_error *err)
{
	return audit_file_input_start(in, f, false, err);
}

const struct audit_input_ops audit_in_file = {
	.kind = "events",
	.prefix = "events:",
	.usage = "events:FILE",
	.start = events_start,
	.commit = audit_file_input_commit,
	.stop = audit_file_input_stop,
};
