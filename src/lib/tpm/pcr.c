/* TPM2_PCR_Extend through ESAPI (TCG TSS 2.0 ESAPI specification). swtpm serves it in tests.
 * tpm2-tss is loaded here, on the first extend, rather than linked: its libraries cost every exec of
 * the runtime (two per `run`, most of them on hosts without a TPM) about half a millisecond. */
#include "lib/tpm/pcr.h"

#include "lib/base/error.h"
#include "lib/crypto/digest.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

/* The ESAPI entry points an extend needs, from the sonames the linked build would use. */
struct esapi {
	void *libs[3];
	TSS2_RC (*tcti_initialize)(const char *, TSS2_TCTI_CONTEXT **);
	void (*tcti_finalize)(TSS2_TCTI_CONTEXT **);
	TSS2_RC (*esys_initialize)(ESYS_CONTEXT **, TSS2_TCTI_CONTEXT *, TSS2_ABI_VERSION *);
	void (*esys_finalize)(ESYS_CONTEXT **);
	TSS2_RC (*pcr_extend)(ESYS_CONTEXT *, ESYS_TR, ESYS_TR, ESYS_TR, ESYS_TR, const TPML_DIGEST_VALUES *);
	const char *(*rc_decode)(TSS2_RC);
};

static void esapi_unload(struct esapi *e)
{
	for (size_t i = 0; i < sizeof(e->libs) / sizeof(e->libs[0]); i++)
		if (e->libs[i])
			dlclose(e->libs[i]);
}

static void *symbol(void *lib, const char *name, int *missing)
{
	void *sym = lib ? dlsym(lib, name) : NULL;
	if (!sym)
		*missing = 1;
	return sym;
}

static int esapi_load(struct esapi *e, struct cc_error *err)
{
	static const char *const sonames[] = { "libtss2-tctildr.so.0", "libtss2-esys.so.0", "libtss2-rc.so.0" };
	*e = (struct esapi){ 0 };
	for (size_t i = 0; i < sizeof(sonames) / sizeof(sonames[0]); i++) {
		e->libs[i] = dlopen(sonames[i], RTLD_NOW | RTLD_LOCAL);
		if (!e->libs[i]) {
			const char *why = dlerror();
			esapi_unload(e);
			return cc_error_set(err, ENOENT, "tpm2-tss (%s) cannot be loaded: %s", sonames[i],
					    why ? why : "unknown error");
		}
	}
	int missing = 0;
	*(void **)&e->tcti_initialize = symbol(e->libs[0], "Tss2_TctiLdr_Initialize", &missing);
	*(void **)&e->tcti_finalize = symbol(e->libs[0], "Tss2_TctiLdr_Finalize", &missing);
	*(void **)&e->esys_initialize = symbol(e->libs[1], "Esys_Initialize", &missing);
	*(void **)&e->esys_finalize = symbol(e->libs[1], "Esys_Finalize", &missing);
	*(void **)&e->pcr_extend = symbol(e->libs[1], "Esys_PCR_Extend", &missing);
	*(void **)&e->rc_decode = symbol(e->libs[2], "Tss2_RC_Decode", &missing);
	if (missing) {
		esapi_unload(e);
		return cc_error_set(err, ENOENT, "tpm2-tss lacks an ESAPI function this build needs");
	}
	return 0;
}

int cc_tpm_pcr(void)
{
	const char *env = getenv("COCOON_TPM_PCR");
	int pcr = env ? atoi(env) : CC_TPM_DEFAULT_PCR;
	return pcr >= 0 && pcr <= 23 ? pcr : CC_TPM_DEFAULT_PCR;
}

static TSS2_RC extend(const struct esapi *e, const char *tcti, int pcr, const TPML_DIGEST_VALUES *digests)
{
	TSS2_TCTI_CONTEXT *tcti_ctx = NULL;
	ESYS_CONTEXT *esys = NULL;
	TSS2_RC rc = e->tcti_initialize(tcti, &tcti_ctx);
	if (rc == TSS2_RC_SUCCESS)
		rc = e->esys_initialize(&esys, tcti_ctx, NULL);
	if (rc == TSS2_RC_SUCCESS)
		rc = e->pcr_extend(esys, ESYS_TR_PCR0 + (ESYS_TR)pcr, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
				   digests);
	if (esys)
		e->esys_finalize(&esys);
	if (tcti_ctx)
		e->tcti_finalize(&tcti_ctx);
	return rc;
}

int cc_tpm_pcr_extend(const char *tcti, int pcr, const uint8_t measurement[48], struct cc_error *err)
{
	if (!tcti)
		return cc_error_set(err, ENODEV, "no TPM: set COCOON_TPM_TCTI or provide /dev/tpmrm0");
	struct esapi e;
	if (esapi_load(&e, err) < 0)
		return cc_error_prefix(err, "TPM `%s`", tcti);
	TPML_DIGEST_VALUES digests = { .count = 2 };
	digests.digests[0].hashAlg = TPM2_ALG_SHA384;
	memcpy(digests.digests[0].digest.sha384, measurement, 48);
	digests.digests[1].hashAlg = TPM2_ALG_SHA256;
	cc_digest(CC_DIGEST_SHA256, measurement, 48, digests.digests[1].digest.sha256, NULL);
	TSS2_RC rc = extend(&e, tcti, pcr, &digests);
	int r = 0;
	if (rc != TSS2_RC_SUCCESS)
		r = cc_error_set(err, EIO, "TPM `%s`: extending PCR %d failed: %s", tcti, pcr, e.rc_decode(rc));
	esapi_unload(&e);
	return r;
}
