/* A tenant's CRL and CA bundle for pods and their peers (docs/design/pod-mtls.md, "Revocation",
 * "Distribution"; build step 4):
 *
 *   GET /kbs/v0/mtls/crl     the tenant's CRL, PEM (application/x-pem-file), signed by its issuing CA;
 *                            after a rotation, one CRL per CA peers trust (active, then previous)
 *   GET /kbs/v0/mtls/bundle  the tenant's active issuing CA certificate, then the previous one while
 *                            it stays, PEM
 *
 * for the kbs-session-id cookie of a session that attested with authentic evidence, or an EAR of
 * ours as a bearer token, whatever the verdict: the tenant is the session's, and what is served is
 * the tenant's public trust data. A tenant without an active CA is 404 MtlsNotConfigured.
 *
 * The CRL lists the tenant's revoked certificates until their notAfter passes; thisUpdate is now,
 * nextUpdate now plus the tenant's leaf lifetime, so peers that check it survive a broker outage as
 * long as the certificates do. The built CRL is cached in the store beside the records, shared by
 * every broker on it:
 *
 *   kbs/<tenant>/mtls/crl  {"number", "thisUpdate", "nextUpdate", "ca" (SHA-256 of the CA's PEM),
 *                          "sweptAt", "stale", "crl" (PEM)}
 *
 * and rebuilt when a revocation marked it stale, when it is KBS_MTLS_CRL_REFRESH old, or when the
 * CAs changed ("ca" is then the digest of both certificates). Building also decides when a previous
 * CA retires: its stay passed and the records hold no unexpired, unrevoked certificate of it. Each new CRL takes the
 * cached cRLNumber plus one and is written with a compare-and-swap on the revision read, so the number only increases
 * however many brokers build at once, and a revocation (which always rewrites the entry) can never be overwritten by a
 * CRL listed before it. Building is also when the records sweep runs (kbs_mtls_records.h), at most every
 * KBS_MTLS_SWEEP_INTERVAL: no thread of its own. Each CRL built is a `kbs.mtls.crl` event. */
#pragma once

#include "keys/root_key.h"
#include "lib/net/http.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct cc_error;
struct cc_store;

#define KBS_MTLS_CRL_REFRESH    60  /* seconds a built CRL is served before the next is built */
#define KBS_MTLS_SWEEP_INTERVAL 600 /* seconds between sweeps of expired records */

/* Marks the tenant's cached CRL stale, so the next request builds one with every revocation made
 * before this call. Always a write, even when it was stale already (see above). */
int kbs_mtls_crl_invalidate(struct cc_store *store, const char *tenant, struct cc_error *err);

struct kbs_mtls_crl_info {
	uint64_t number;
	bool built; /* false: served from the cache */
	size_t entries;
	size_t issuers; /* CRLs in the PEM: 2 while a previous CA stays (kbs_mtls_ca.h) */
	bool swept;
	size_t removed_records, removed_ears;
	unsigned retired; /* the generation of a previous CA that retired now, or 0 */
};

/* The tenant's current CRL as PEM (*ret_pem malloc'ed), from the cache or built now; retention is
 * the sweep's (KBS_MTLS_RETENTION_DEFAULT). -ENOENT when the tenant has no mTLS configuration or no
 * active CA; -EBUSY when other brokers kept rebuilding it meanwhile (ask again). */
int kbs_mtls_crl_current(struct cc_store *store, const uint8_t root[KEYS_ROOT_KEY_SIZE], const char *tenant, time_t now,
			 time_t retention, char **ret_pem, struct kbs_mtls_crl_info *ret_info, struct cc_error *err);

/* The routes' handlers; userdata is the struct kbs. */
void kbs_mtls_handle_crl(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata);
void kbs_mtls_handle_bundle(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata);
