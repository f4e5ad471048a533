/* The node's TPM as cocoon's components use it through ESAPI: open it with the owner's storage
 * primary key (re-created from the owner seed on every open, so nothing is persisted in the TPM's NV),
 * and wait out OBJECT_MEMORY from a TPM without a resource manager (swtpm on a socket has three object
 * slots, and another process may hold them for a moment). */
#pragma once

#include <stdbool.h>
#include <tss2/tss2_esys.h>

struct cc_error;

#define CC_TPM_SLOT_RETRIES  100
#define CC_TPM_SLOT_RETRY_US 20000

struct cc_tpm_device {
	TSS2_TCTI_CONTEXT *tcti;
	ESYS_CONTEXT *esys;
	ESYS_TR primary; /* the owner's ECC P-256 storage key */
};

/* Opens the TPM without creating any key (for PCR operations); tcti NULL: "no TPM". Closed with
 * cc_tpm_device_close. */
int cc_tpm_device_connect(const char *tcti, struct cc_tpm_device *t, struct cc_error *err);
/* Opens it with the storage key as t->primary; tcti NULL: "no TPM". */
int cc_tpm_device_open(const char *tcti, struct cc_tpm_device *t, struct cc_error *err);
/* Creates a primary key of template in hierarchy (waiting for a free slot); the caller flushes *ret. */
int cc_tpm_device_create_primary(struct cc_tpm_device *t, ESYS_TR hierarchy, const TPM2B_PUBLIC *template, ESYS_TR *ret,
				 struct cc_error *err);
/* Flushes the storage key and closes. */
void cc_tpm_device_close(struct cc_tpm_device *t);
bool cc_tpm_device_out_of_slots(TSS2_RC rc);

/* An object created under the storage key, kept as a file: {"format", "public", "private"} with the
 * TPM2B structures in base64 (the private part is encrypted by the TPM); mode 0600, never overwritten. */
int cc_tpm_device_save_object(const char *path, const char *format, const TPM2B_PUBLIC *pub, const TPM2B_PRIVATE *priv,
			      struct cc_error *err);
int cc_tpm_device_load_object(const char *path, const char *format, TPM2B_PUBLIC *pub, TPM2B_PRIVATE *priv,
			      struct cc_error *err);
/* Loads it under the storage key (the caller flushes *ret). */
int cc_tpm_device_load(struct cc_tpm_device *t, const TPM2B_PUBLIC *pub, const TPM2B_PRIVATE *priv, ESYS_TR *ret,
		       struct cc_error *err);
