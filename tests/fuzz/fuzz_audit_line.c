/* libFuzzer target: one audit input line (a Kubernetes audit event or a cocoon event), chained and
 * run through every formatter, then through the verifier. Every output must stay one line. The
 * one-pass Kubernetes line reader is checked against the tree path on every input. */
#include "audit/chain.h"
#include "audit/format.h"
#include "audit/k8s.h"
#include "audit/verify.h"
#include "lib/base/error.h"
#include "lib/base/timeutil.h"
#include "lib/json/json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The one-pass reader of Kubernetes lines must accept exactly what jansson and the tree mapping
 * accept, and give the same event, byte for byte (the chain hashes it; verify recomputes it
 * through jansson). */
static void compare_k8s_paths(const char *line, size_t len, const json_t *doc)
{
	struct cc_error err = { 0 };
	struct cc_event *fast = NULL, *tree = NULL;
	int fast_r = audit_k8s_line_to_event(line, len, &fast, &err);
	int tree_r = doc ? audit_k8s_to_event(doc, &tree, &err) : -1;
	if ((fast_r == 0) != (tree_r == 0))
		abort();
	if (fast_r == 0) {
		/* Without a timestamp in the line both take the current time, a moment apart. */
		int64_t now = cc_time_now_ns(), minute = 60000000000LL;
		/* Compared as bounds, not as differences: a time from 1700 minus now overflows int64
		 * (found by this target: the check itself was the undefined behaviour). */
		if (fast->time_ns > now - minute && fast->time_ns < now + minute && tree->time_ns > now - minute &&
		    tree->time_ns < now + minute)
			tree->time_ns = fast->time_ns;
		char *a = cc_event_canonical(fast), *b = cc_event_canonical(tree);
		char *original = cc_json_canonical(doc);
		if (strcmp(a, b) != 0 || strcmp(fast->extra_text, original) != 0)
			abort();
		free(a);
		free(b);
		free(original);
	}
	cc_event_free(fast);
	cc_event_free(tree);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cc_error err = { 0 };
	json_t *doc = NULL;
	int parsed = cc_json_parse((const char *)data, size, 1u << 20, "line", &doc, &err);
	compare_k8s_paths((const char *)data, size, parsed == 0 ? doc : NULL);
	if (parsed < 0)
		return 0;
	struct cc_event *ev = NULL;
	if (audit_k8s_to_event(doc, &ev, &err) < 0 && cc_event_from_json(doc, &ev, &err) < 0) {
		json_decref(doc);
		return 0;
	}
	json_decref(doc);
	struct audit_chain chain;
	audit_chain_init(&chain);
	char *json, hash[AUDIT_HASH_MAX];
	uint64_t seq;
	if (audit_chain_append(&chain, ev, &json, hash, &seq, &err) == 0) {
		struct audit_record rec = { .event = ev, .seq = seq, .hash = hash, .json = json };
		for (int f = 0; f < AUDIT_FORMAT_MAX; f++) {
			struct cc_buf out = CC_BUF_INIT;
			audit_formatter((enum audit_format)f)->format(&rec, &out);
			if (out.data && memchr(out.data, '\n', out.len))
				abort();
			struct audit_verifier v;
			audit_verifier_init(&v, NULL, 0);
			audit_verifier_line(&v, "fuzz", 1, out.data ? out.data : "", out.len);
			if (v.problems != 0 && f != AUDIT_FORMAT_CEF && f != AUDIT_FORMAT_LEEF)
				abort(); /* JSON and RFC 5424 carry the record: it must verify */
			audit_verifier_free(&v);
			cc_buf_free(&out);
		}
		free(json);
	}
	cc_event_free(ev);
	return 0;
}
