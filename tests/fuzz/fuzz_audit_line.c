/* libFuzzer target: one audit input line (a Kubernetes audit event or a cocoon event), chained and
 * run through every formatter, then through the verifier. Every output must stay one line. */
#include "audit/chain.h"
#include "audit/format.h"
#include "audit/k8s.h"
#include "audit/verify.h"
#include "base/error.h"
#include "json/json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cc_error err = { 0 };
	json_t *doc;
	if (cc_json_parse((const char *)data, size, 1u << 20, "line", &doc, &err) < 0)
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
