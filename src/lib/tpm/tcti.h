/* Which TPM the node uses, as a TCTI configuration string for tpm2-tss: COCOON_TPM_TCTI, else
 * TPM2TOOLS_TCTI (so tpm2-tools and cocoon agree), else the kernel resource manager /dev/tpmrm0 when
 * it is usable. NULL when there is no TPM. */
#pragma once

const char *cc_tpm_tcti(void);
