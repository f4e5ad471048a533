/* Intel's TDX collateral (Intel PCS API: TDX TCB Info v3 and TD QE Identity v2): both signed by
 * Intel's TCB signing certificate, which chains to the Intel SGX Root CA. With them a verified quote
 * gets its TCB status: the platform's SVNs (from the PCK certificate's SGX extensions and the quote's
 * TEE TCB SVN) against the TCB levels Intel publishes, and the Quoting Enclave against its identity. */
#pragma once

#include <jansson.h>
#include <openssl/x509.h>

struct cc_error;
struct tdx_quote;
struct attest_chain_options;
struct attest_blob;

struct tdx_collateral {
	const struct attest_blob *tcb_info;    /* {"tcbInfo": {...}, "signature": hex} as PCS serves it */
	const struct attest_blob *qe_identity; /* {"enclaveIdentity": {...}, "signature": hex} */
	const struct attest_blob *chain;       /* the TCB signing certificate (and its issuer), PEM */
};

/* Checks the collateral (chain to the anchors, signatures, validity at the chain options' time,
 * FMSPC, PCE ID and QE identity) and adds "tcb_status", "tcb_date" and "qe_tcb_status" to claims.
 * A platform below every published level gets tcb_status "NotSupported": a policy decides. */
int tdx_collateral_evaluate(const struct tdx_quote *q, X509 *pck, const struct tdx_collateral *c,
			    const struct attest_chain_options *anchors, json_t *claims, struct cc_error *err);
