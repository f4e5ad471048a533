/* Intel TDX quotes, version 4 (Intel TDX DCAP Quoting Library API, appendix "Quote Format"): parsing
 * and verification of the quote signature by the attestation key, the Quoting Enclave's report
 * signed by the PCK key and binding that attestation key, and the PCK chain to the Intel SGX Root CA. */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct cc_error;
struct attest_input;

#define TDX_QUOTE_HEADER_SIZE 48
#define TDX_TD_REPORT_SIZE    584 /* TD 1.0 quote body */
#define TDX_SIGNED_LENGTH     (TDX_QUOTE_HEADER_SIZE + TDX_TD_REPORT_SIZE)
#define SGX_REPORT_SIZE       384

struct tdx_quote {
	/* header */
	uint16_t version, attestation_key_type, qe_svn, pce_svn;
	uint32_t tee_type;
	uint8_t qe_vendor_id[16], user_data[20];
	/* TD report (the quote body) */
	uint8_t tee_tcb_svn[16], mr_seam[48], mr_signer_seam[48], seam_attributes[8], td_attributes[8], xfam[8];
	uint8_t mr_td[48], mr_config_id[48], mr_owner[48], mr_owner_config[48], rtmr[4][48], report_data[64];
	/* signature data */
	uint8_t signature[64];              /* r||s, big-endian, ECDSA P-256 over [0, TDX_SIGNED_LENGTH) */
	uint8_t attestation_key[64];        /* x||y on P-256 */
	const uint8_t *qe_report;           /* SGX_REPORT_SIZE bytes, inside the quote */
	const uint8_t *qe_report_signature; /* 64 bytes, by the PCK key */
	const uint8_t *qe_auth_data;
	size_t qe_auth_data_len;
	const char *pck_chain; /* PEM: PCK certificate, intermediate CA, root */
	size_t pck_chain_len;
};

/* Parses a v4 quote with ECDSA P-256 keys and a PCK certificate chain as certification data. Bytes
 * after the signature data are ignored: they are outside what is signed. Pointers refer into data. */
int tdx_quote_parse(const uint8_t *data, size_t len, struct tdx_quote *ret, struct cc_error *err);

/* Verifies a quote: in->evidence is the quote, in->roots_pem the Intel SGX Root CA, in->crls the
 * optional PCK and root CRLs, in->at the time. */
int tdx_verify(const struct attest_input *in, json_t **ret_claims, struct cc_error *err);

json_t *tdx_quote_claims(const struct tdx_quote *q);
