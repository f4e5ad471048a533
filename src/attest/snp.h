/* AMD SEV-SNP attestation reports (SEV-SNP ABI specification, ATTESTATION_REPORT): parsing of
 * versions 2 to 5, and verification of one report against the VCEK that signed it and the AMD
 * chain VCEK -> ASK -> ARK. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct cc_error;
struct attest_input;

#define SNP_REPORT_SIZE   0x4A0 /* 1184 bytes */
#define SNP_SIGNED_LENGTH 0x2A0 /* the signature covers bytes [0, 0x2A0) */

/* SNP guest policy bits. */
#define SNP_POLICY_SMT           (1ull << 16)
#define SNP_POLICY_RESERVED_ONE  (1ull << 17)
#define SNP_POLICY_MIGRATE_MA    (1ull << 18)
#define SNP_POLICY_DEBUG         (1ull << 19)
#define SNP_POLICY_SINGLE_SOCKET (1ull << 20)

/* A TCB version: security patch levels of each firmware part (Milan/Genoa layout). */
struct snp_tcb {
	uint8_t bootloader, tee, snp, microcode;
};

struct snp_report {
	uint32_t version, guest_svn, vmpl, signature_algo;
	uint64_t policy;
	uint8_t family_id[16], image_id[16];
	struct snp_tcb current_tcb, reported_tcb, committed_tcb, launch_tcb;
	uint64_t platform_info;
	uint8_t report_data[64], measurement[48], host_data[32], id_key_digest[48], author_key_digest[48];
	uint8_t report_id[32], chip_id[64];
	uint8_t signature_r[72], signature_s[72]; /* little-endian, as in the report */
};

/* Parses a report of exactly SNP_REPORT_SIZE bytes; refuses other sizes, versions outside 2..5,
 * signature algorithms other than ECDSA P-384 with SHA-384, and a policy without its reserved bit. */
int snp_report_parse(const uint8_t *data, size_t len, struct snp_report *ret, struct cc_error *err);

struct snp_verify_options {
	const uint8_t *vcek_der; /* the VCEK certificate */
	size_t vcek_len;
	const char *chain_pem; /* ASK and ARK (PEM); the ARK in it is the trust anchor */
	size_t chain_len;
	time_t at; /* verification time for the certificates, 0 for now */
};

/* Verifies the report's signature with the VCEK, the VCEK's chain to the ARK, that the VCEK
 * belongs to the report's chip (hwID = chip_id) and its TCB is the reported TCB. */
int snp_report_verify(const uint8_t *data, size_t len, const struct snp_verify_options *opts, struct snp_report *ret,
		      struct cc_error *err);

/* The session binding: report_data must start with nonce. */
int snp_report_check_nonce(const struct snp_report *r, const uint8_t *nonce, size_t len, struct cc_error *err);

/* The report's claims as JSON (hex for byte fields). */

json_t *snp_report_claims(const struct snp_report *r);

/* The verifier interface: in->evidence is the report, in->endorsement the VCEK (DER), in->roots_pem
 * the ASK and ARK. */
int snp_verify(const struct attest_input *in, json_t **ret_claims, struct cc_error *err);
