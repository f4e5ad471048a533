/* A test program for tests/integration/x509_mtls.bats: each subcommand drives one function of the
 * pod-certificate library (lib/crypto: csr, x509_ca, x509_leaf, crl, attestation_ext) on files, so
 * that the openssl CLI can check the results. Not a user command: the broker does this in step 2.
 *
 *   x509_tool csr --key KEY --cn CN --out CSR                make a CSR for an existing key
 *   x509_tool csr-check --csr CSR                            parse and verify; prints spki-sha384 HEX
 *   x509_tool ca-request --cn CN --key KEY --csr CSR         the issuing CA's new key and its CSR
 *   x509_tool ca-check --cert CERT --key KEY                 the certificate the root gave back
 *   x509_tool issue --csr CSR --ca CERT --ca-key KEY --cn CN --spiffe ID [--dns NAME]...
 *                   [--lifetime S] [--attestation] --out CERT      prints serial HEX
 *   x509_tool crl --ca CERT --ca-key KEY [--revoke SERIAL[:REASON]]... [--number N] [--next S] --out CRL
 *   x509_tool crl-check --crl CRL --ca CERT [--serial HEX]  prints "revoked REASON" or "not revoked"
 *   x509_tool attestation --cert CERT                        prints the decoded extension
 *
 * Errors go to stderr as the library words them; the exit status is 1. */
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/crypto/attestation_ext.h"
#include "lib/crypto/crl.h"
#include "lib/crypto/csr.h"
#include "lib/crypto/encode.h"
#include "lib/crypto/x509.h"
#include "lib/crypto/x509_ca.h"
#include "lib/crypto/x509_leaf.h"

#include <errno.h>
#include <getopt.h>
#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LIST 64

struct args {
	const char *key, *cn, *out, *csr, *cert, *ca, *ca_key, *spiffe, *crl, *serial;
	const char *dns[MAX_LIST], *revoke[MAX_LIST];
	size_t n_dns, n_revoke;
	long long lifetime, number, next;
	int attestation;
};

static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option options[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "cn", required_argument, NULL, 'n' },
		{ "out", required_argument, NULL, 'o' },
		{ "csr", required_argument, NULL, 'r' },
		{ "cert", required_argument, NULL, 'c' },
		{ "ca", required_argument, NULL, 'C' },
		{ "ca-key", required_argument, NULL, 'K' },
		{ "spiffe", required_argument, NULL, 's' },
		{ "dns", required_argument, NULL, 'd' },
		{ "lifetime", required_argument, NULL, 'l' },
		{ "crl", required_argument, NULL, 'L' },
		{ "serial", required_argument, NULL, 'S' },
		{ "revoke", required_argument, NULL, 'R' },
		{ "number", required_argument, NULL, 'N' },
		{ "next", required_argument, NULL, 'x' },
		{ "attestation", no_argument, NULL, 'a' },
		{ 0 },
	};
	*a = (struct args){ .lifetime = 3600, .number = 1, .next = 3600 };
	int c;
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case 'k': a->key = optarg; break;
		case 'n': a->cn = optarg; break;
		case 'o': a->out = optarg; break;
		case 'r': a->csr = optarg; break;
		case 'c': a->cert = optarg; break;
		case 'C': a->ca = optarg; break;
		case 'K': a->ca_key = optarg; break;
		case 's': a->spiffe = optarg; break;
		case 'L': a->crl = optarg; break;
		case 'S': a->serial = optarg; break;
		case 'l': a->lifetime = atoll(optarg); break;
		case 'N': a->number = atoll(optarg); break;
		case 'x': a->next = atoll(optarg); break;
		case 'a': a->attestation = 1; break;
		case 'd':
			if (a->n_dns == MAX_LIST)
				return -1;
			a->dns[a->n_dns++] = optarg;
			break;
		case 'R':
			if (a->n_revoke == MAX_LIST)
				return -1;
			a->revoke[a->n_revoke++] = optarg;
			break;
		default: return -1;
		}
	}
	return 0;
}

/* Inputs are read with a generous limit so that the library's own limits are what the tests see. */
static int read_all(const char *path, char **ret, size_t *ret_len, struct cc_error *err)
{
	if (!path)
		return cc_error_set(err, EINVAL, "a required file option is missing");
	return cc_read_file(path, 4 << 20, ret, ret_len, err);
}

static int write_text(const char *path, const char *text, struct cc_error *err)
{
	if (!path)
		return cc_error_set(err, EINVAL, "--out is missing");
	return cc_write_file_atomic(path, text, strlen(text), 0644, err);
}

static int load_ca(const struct args *a, X509 **cert, EVP_PKEY **key, struct cc_error *err)
{
	if (!a->ca || !a->ca_key)
		return cc_error_set(err, EINVAL, "--ca and --ca-key are required");
	int r = cc_x509_read_cert(a->ca, cert, err);
	return r < 0 ? r : cc_x509_read_key(a->ca_key, key, err);
}

static int cmd_csr(const struct args *a, struct cc_error *err)
{
	EVP_PKEY *key = NULL;
	if (!a->key)
		return cc_error_set(err, EINVAL, "--key is required");
	int r = cc_x509_read_key(a->key, &key, err);
	_cleanup_free_ char *pem = NULL;
	if (r == 0)
		r = cc_csr_make(key, a->cn, false, &pem, err);
	if (r == 0)
		r = write_text(a->out, pem, err);
	EVP_PKEY_free(key);
	return r;
}

static int cmd_csr_check(const struct args *a, struct cc_error *err)
{
	_cleanup_free_ char *data = NULL;
	size_t len;
	int r = read_all(a->csr, &data, &len, err);
	if (r < 0)
		return r;
	_cleanup_(cc_csr_freep) struct cc_csr *csr = NULL;
	r = cc_csr_parse(data, len, &csr, err);
	if (r < 0)
		return r;
	char hex[2 * CC_SPKI_DIGEST_SIZE + 1];
	cc_hex_encode(csr->spki_sha384, sizeof(csr->spki_sha384), hex);
	printf("spki-sha384 %s\n", hex);
	return 0;
}

static int cmd_ca_request(const struct args *a, struct cc_error *err)
{
	EVP_PKEY *key = NULL;
	_cleanup_free_ char *pem = NULL;
	if (!a->key || !a->csr)
		return cc_error_set(err, EINVAL, "--key and --csr are required");
	int r = cc_x509_ca_request(a->cn, &key, &pem, err);
	if (r == 0)
		r = cc_x509_write_key(a->key, key, err);
	if (r == 0)
		r = cc_write_file_atomic(a->csr, pem, strlen(pem), 0644, err);
	EVP_PKEY_free(key);
	return r;
}

static int cmd_ca_check(const struct args *a, struct cc_error *err)
{
	_cleanup_free_ char *data = NULL;
	size_t len;
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;
	int r = read_all(a->cert, &data, &len, err);
	if (r == 0)
		r = cc_x509_parse_cert(data, len, &cert, err);
	if (r == 0)
		r = a->key ? cc_x509_read_key(a->key, &key, err) : cc_error_set(err, EINVAL, "--key is required");
	if (r == 0)
		r = cc_x509_ca_check(cert, key, time(NULL), err);
	if (r == 0)
		printf("ok\n");
	X509_free(cert);
	EVP_PKEY_free(key);
	return r;
}

/* An extension as the broker will fill it, with fixed digests. */
static int sample_attestation(uint8_t **ret_der, size_t *ret_len, struct cc_error *err)
{
	struct cc_attested_container containers[] = {
		{ .name = "0f9e6c2a-web-0", .instance = 0, .log_seq = 41 },
		{ .name = "0f9e6c2a-sidecar-0", .instance = 0, .log_seq = 42 },
	};
	memset(containers[0].measurement, 0x11, CC_ATTESTATION_DIGEST_SIZE);
	memset(containers[1].measurement, 0x22, CC_ATTESTATION_DIGEST_SIZE);
	struct cc_attestation a = {
		.version = CC_ATTESTATION_VERSION,
		.tenant = "acme",
		.node = "node-1",
		.tee = "tpm",
		.attested_at = time(NULL),
		.ear_id = "6f1d2c3b-ear",
		.containers = containers,
		.n_containers = 2,
	};
	memset(a.evidence_digest, 0xee, sizeof(a.evidence_digest));
	memset(a.policy_digest, 0xdd, sizeof(a.policy_digest));
	return cc_attestation_ext_encode(&a, ret_der, ret_len, err);
}

static int issue(const struct args *a, struct cc_csr *csr, X509 *ca, EVP_PKEY *ca_key, struct cc_error *err)
{
	_cleanup_free_ uint8_t *ext = NULL;
	size_t ext_len = 0;
	int r = a->attestation ? sample_attestation(&ext, &ext_len, err) : 0;
	if (r < 0)
		return r;
	struct cc_leaf_profile profile = {
		.common_name = a->cn,
		.spiffe_id = a->spiffe,
		.dns_names = a->dns,
		.n_dns_names = a->n_dns,
		.lifetime = a->lifetime,
		.extension_oid = ext ? CC_ATTESTATION_EXT_OID : NULL,
		.extension_der = ext,
		.extension_len = ext_len,
	};
	X509 *leaf = NULL;
	r = cc_x509_leaf_issue(&profile, csr->key, ca, ca_key, time(NULL), &leaf, err);
	char serial[CC_X509_SERIAL_HEX_MAX];
	if (r == 0)
		r = a->out ? cc_x509_write_cert(a->out, leaf, err) : cc_error_set(err, EINVAL, "--out is missing");
	if (r == 0)
		r = cc_x509_serial_hex(X509_get0_serialNumber(leaf), serial, err);
	if (r == 0)
		printf("serial %s\n", serial);
	X509_free(leaf);
	return r;
}

static int cmd_issue(const struct args *a, struct cc_error *err)
{
	_cleanup_free_ char *data = NULL;
	size_t len;
	int r = read_all(a->csr, &data, &len, err);
	if (r < 0)
		return r;
	_cleanup_(cc_csr_freep) struct cc_csr *csr = NULL;
	if ((r = cc_csr_parse(data, len, &csr, err)) < 0)
		return r;
	X509 *ca = NULL;
	EVP_PKEY *ca_key = NULL;
	r = load_ca(a, &ca, &ca_key, err);
	if (r == 0)
		r = issue(a, csr, ca, ca_key, err);
	X509_free(ca);
	EVP_PKEY_free(ca_key);
	return r;
}

static int cmd_crl(const struct args *a, struct cc_error *err)
{
	struct cc_crl_entry entries[MAX_LIST];
	char serials[MAX_LIST][CC_X509_SERIAL_HEX_MAX + 32];
	time_t now = time(NULL);
	for (size_t i = 0; i < a->n_revoke; i++) {
		snprintf(serials[i], sizeof(serials[i]), "%s", a->revoke[i]);
		char *colon = strchr(serials[i], ':');
		enum cc_crl_reason reason = CC_CRL_REASON_UNSPECIFIED;
		if (colon) {
			*colon = '\0';
			reason = cc_crl_reason_from_string(colon + 1);
		}
		entries[i] = (struct cc_crl_entry){ .serial_hex = serials[i], .revoked_at = now - 1, .reason = reason };
	}
	struct cc_crl_request req = {
		.entries = entries,
		.n_entries = a->n_revoke,
		.number = (uint64_t)a->number,
		.this_update = now,
		.next_update = now + a->next,
	};
	X509 *ca = NULL;
	EVP_PKEY *ca_key = NULL;
	_cleanup_free_ char *pem = NULL;
	int r = load_ca(a, &ca, &ca_key, err);
	if (r == 0)
		r = cc_crl_build(&req, ca, ca_key, &pem, err);
	if (r == 0)
		r = write_text(a->out, pem, err);
	X509_free(ca);
	EVP_PKEY_free(ca_key);
	return r;
}

static int cmd_crl_check(const struct args *a, struct cc_error *err)
{
	_cleanup_free_ char *data = NULL;
	size_t len;
	X509 *ca = NULL;
	X509_CRL *crl = NULL;
	int r = read_all(a->crl, &data, &len, err);
	if (r == 0)
		r = a->ca ? cc_x509_read_cert(a->ca, &ca, err) : cc_error_set(err, EINVAL, "--ca is required");
	if (r == 0)
		r = cc_crl_parse(data, len, ca, &crl, err);
	uint64_t number = 0;
	if (r == 0 && (r = cc_crl_number(crl, &number, err)) == 0)
		printf("number %llu\n", (unsigned long long)number);
	enum cc_crl_reason reason = CC_CRL_REASON_MAX;
	int found = r == 0 && a->serial ? cc_crl_lookup(crl, a->serial, &reason, NULL, err) : 0;
	if (found < 0)
		r = found;
	else if (r == 0 && a->serial && found)
		printf("revoked %s\n", cc_crl_reason_name(reason) ? cc_crl_reason_name(reason) : "(invalid reason)");
	else if (r == 0 && a->serial)
		printf("not revoked\n");
	X509_CRL_free(crl);
	X509_free(ca);
	return r;
}

static int cmd_attestation(const struct args *a, struct cc_error *err)
{
	X509 *cert = NULL;
	if (!a->cert)
		return cc_error_set(err, EINVAL, "--cert is required");
	int r = cc_x509_read_cert(a->cert, &cert, err);
	_cleanup_(cc_attestation_freep) struct cc_attestation *at = NULL;
	if (r == 0)
		r = cc_attestation_ext_from_cert(cert, &at, err);
	X509_free(cert);
	if (r < 0)
		return r;
	char hex[2 * CC_ATTESTATION_DIGEST_SIZE + 1];
	printf("version %lld\ntenant %s\nnode %s\ntee %s\nattestedAt %lld\nearId %s\n", (long long)at->version,
	       at->tenant, at->node, at->tee, (long long)at->attested_at, at->ear_id);
	cc_hex_encode(at->evidence_digest, CC_ATTESTATION_DIGEST_SIZE, hex);
	printf("evidenceDigest %s\n", hex);
	for (size_t i = 0; i < at->n_containers; i++) {
		cc_hex_encode(at->containers[i].measurement, CC_ATTESTATION_DIGEST_SIZE, hex);
		printf("container %s %lld %s %lld\n", at->containers[i].name, (long long)at->containers[i].instance,
		       hex, (long long)at->containers[i].log_seq);
	}
	return 0;
}

static const struct {
	const char *name;
	int (*run)(const struct args *a, struct cc_error *err);
} commands[] = {
	{ "csr", cmd_csr },
	{ "csr-check", cmd_csr_check },
	{ "ca-request", cmd_ca_request },
	{ "ca-check", cmd_ca_check },
	{ "issue", cmd_issue },
	{ "crl", cmd_crl },
	{ "crl-check", cmd_crl_check },
	{ "attestation", cmd_attestation },
};

int main(int argc, char **argv)
{
	struct args a;
	if (argc < 2 || parse_args(argc - 1, argv + 1, &a) < 0) {
		fprintf(stderr, "usage: x509_tool COMMAND [options] (see the comment at the top of x509_tool.c)\n");
		return 2;
	}
	for (size_t i = 0; i < CC_ARRAY_SIZE(commands); i++) {
		if (strcmp(argv[1], commands[i].name) != 0)
			continue;
		struct cc_error err = { 0 };
		if (commands[i].run(&a, &err) < 0) {
			fprintf(stderr, "x509_tool %s: %s\n", argv[1], cc_error_message(&err));
			return 1;
		}
		return 0;
	}
	fprintf(stderr, "x509_tool: unknown command `%s`\n", argv[1]);
	return 2;
}
