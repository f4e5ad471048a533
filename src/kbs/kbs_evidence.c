/* The key broker's evidence formats: what a guest puts in "tee-evidence" for each TEE, turned into
 * the verifier input of verifier.h with the broker's pinned anchors.
 *
 *   snp:  {"report": base64 ATTESTATION_REPORT, "vcek": base64 DER}; with --vcek-cache the vcek may be
 *         left out once the cache holds it for the chip and TCB

 *   tdx:  {"quote": base64 quote v4}
 *   tpm:  {"node": registered node name, "quote", "signature", "pcrs", "measurements"} (docs/attest.md);
 *         the AK is the one registered for that node and tenant, never one the guest sends. */
#include "kbs/kbs_evidence.h"

#include "attest/snp.h"
#include "attest/vcek_cache.h"
#include "attest/verifier.h"
#include "kbs/kbs_private.h"
#include "kbs/kbs_tenant.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/crypto/encode.h"
#include "lib/json/json.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

static int b64_field(const json_t *evidence, const char *name, uint8_t **ret, size_t *ret_len, struct cc_error *err)
{
	const char *text = json_string_value(json_object_get(evidence, name));
	if (!text || cc_base64_decode(text, strlen(text), ret, ret_len) < 0)
		return cc_error_set(err, EINVAL, "tee-evidence `%s` is missing or not base64", name);
	return 0;
}

/* SEV-SNP: the VCEK comes from the evidence, the cache or AMD's key distribution service, in that
 * order. Authenticity is checked before the session binding, so a VCEK that verified a genuine report
 * goes to the cache even when this report belongs to another session. */
static int snp_evidence(struct kbs *kbs, const struct attest_verifier *verifier, const json_t *evidence,
			const uint8_t *nonce, size_t nonce_len, json_t **ret_claims, struct cc_error *err)
{
	if (!kbs->cfg.snp_chain)
		return cc_error_set(err, ENOTSUP, "this broker has no AMD chain configured (--snp-chain)");
	struct attest_input in = { .at = kbs->cfg.verify_at,
				   .roots_pem = kbs->cfg.snp_chain,
				   .roots_len = kbs->cfg.snp_chain_len };
	_cleanup_free_ uint8_t *report_bytes = NULL, *vcek = NULL;
	struct snp_report report;
	int r = b64_field(evidence, "report", &report_bytes, &in.evidence_len, err);
	if (r == 0)
		r = snp_report_parse(report_bytes, in.evidence_len, &report, err);
	if (r < 0)
		return r;
	bool sent = json_object_get(evidence, "vcek") != NULL, fetched = false;
	if (sent)
		r = b64_field(evidence, "vcek", &vcek, &in.endorsement_len, err);
	else if (!kbs->cfg.vcek_cache && !kbs->cfg.kds_url)
		r = cc_error_set(err, EINVAL, "tee-evidence lacks `vcek` and this broker has no VCEK cache");
	else
		r = kbs->cfg.vcek_cache
			? vcek_cache_lookup(kbs->cfg.vcek_cache, &report, &vcek, &in.endorsement_len, err)
			: -ENOENT;
	if (r == -ENOENT && kbs->cfg.kds_url)
		fetched =
		    (r = vcek_fetch(kbs->cfg.kds_url, kbs->cfg.kds_ca, &report, &vcek, &in.endorsement_len, err)) == 0;
	if (r < 0)
		return r;
	in.evidence = report_bytes;
	in.endorsement = vcek;
	json_t *claims = NULL;
	if ((r = verifier->verify(&in, &claims, err)) < 0)
		return r;
	if ((sent || fetched) && kbs->cfg.vcek_cache)
		vcek_cache_store(kbs->cfg.vcek_cache, &report, vcek, in.endorsement_len, NULL);
	if ((r = snp_report_check_nonce(&report, nonce, nonce_len, err)) < 0) {
		json_decref(claims);
		return r;
	}
	*ret_claims = claims;
	return 0;
}

int kbs_evidence_verify(struct kbs *kbs, const char *tenant, const char *tee, const json_t *evidence,
			const uint8_t *nonce, size_t nonce_len, json_t **ret_claims, struct cc_error *err)
{
	const struct attest_verifier *verifier = attest_verifier_find(tee);
	if (!verifier || !json_is_object(evidence))
		return cc_error_set(err, EINVAL, "tee-evidence must be an object for a supported TEE");
	struct attest_input in = { .nonce = nonce, .nonce_len = nonce_len, .at = kbs->cfg.verify_at };
	_cleanup_free_ uint8_t *primary = NULL, *secondary = NULL;
	_cleanup_free_ char *text = NULL;
	int r;
	if (strcmp(tee, "snp") == 0)
		return snp_evidence(kbs, verifier, evidence, nonce, nonce_len, ret_claims, err);
	if (strcmp(tee, "tdx") == 0) {
		if (!kbs->cfg.tdx_root)
			return cc_error_set(err, ENOTSUP, "this broker has no Intel root configured (--tdx-root)");
		if ((r = b64_field(evidence, "quote", &primary, &in.evidence_len, err)) < 0)
			return r;
		in.roots_pem = kbs->cfg.tdx_root;
		in.roots_len = kbs->cfg.tdx_root_len;
	} else {
		const char *node = json_string_value(json_object_get(evidence, "node"));
		if (!node)
			return cc_error_set(err, EINVAL, "TPM tee-evidence names no `node`");
		if ((r = kbs_node_get(kbs->cfg.store, tenant, node, &secondary, &in.endorsement_len, err)) < 0)
			return r;
		in.endorsement = secondary;
		text = json_dumps(evidence, JSON_COMPACT);
		in.evidence_len = text ? strlen(text) : 0;
		primary = (uint8_t *)text;
		text = NULL;
	}
	in.evidence = primary;
	return verifier->verify(&in, ret_claims, err);
}

int kbs_evidence_authentic_quote(struct kbs *kbs, const char *tenant, const char *tee, const json_t *evidence,
				 const uint8_t *nonce, size_t nonce_len, const char **ret_node)
{
	const char *node = json_string_value(json_object_get(evidence, "node"));
	if (strcmp(tee, "tpm") != 0 || !json_is_object(evidence) || !node)
		return 0;
	/* tpm_verify without `measurements` checks everything but the replay (attest/tpm.c) */
	_cleanup_json_ json_t *quote_only = json_deep_copy(evidence);
	_cleanup_json_ json_t *claims = NULL;
	if (!quote_only || json_object_del(quote_only, "measurements") < 0)
		return 0;
	if (kbs_evidence_verify(kbs, tenant, tee, quote_only, nonce, nonce_len, &claims, NULL) < 0)
		return 0;
	*ret_node = node;
	return 1;
}

static bool pod_uid_ok(const char *s)
{
	size_t n = strlen(s);
	return n >= 1 && n <= 64 && strspn(s, "0123456789abcdefABCDEF-") == n;
}

int kbs_pod_claims(const json_t *runtime_data, json_t *claims, struct cc_error *err)
{
	const json_t *pod = json_object_get(runtime_data, "cocoon-pod");
	if (!pod)
		return 0;
	const char *uid = json_string_value(pod);
	if (!uid || !pod_uid_ok(uid))
		return cc_error_set(err, EINVAL, "runtime-data.cocoon-pod must be a pod uid");
	json_t *mine = json_array();
	size_t n = strlen(uid), i;
	const json_t *c;
	json_array_foreach (json_object_get(claims, "containers"), i, c) {
		const char *name = json_string_value(json_object_get(c, "container")) ?: "";
		if (strncmp(name, uid, n) == 0 && name[n] == '-')
			json_array_append(mine, (json_t *)c);
	}
	/* Judged on itself only: the node's other pods (other tenants' among them) are none of this
	 * policy's business, and a policy over them would tell their owners' secrets by its verdicts. */
	json_object_set(claims, "containers", mine);
	json_object_set_new(claims, "pod", json_pack("{s:s, s:o}", "uid", uid, "containers", mine));
	return 0;
}
