/* The node's TPM (see tcti.h). */
#include "lib/tpm/tcti.h"

#include <stdlib.h>
#include <unistd.h>

const char *cc_tpm_tcti(void)
{
	const char *tcti = getenv("COCOON_TPM_TCTI");
	if (!tcti || !*tcti)
		tcti = getenv("TPM2TOOLS_TCTI");
	if (tcti && *tcti)
		return tcti;
	if (access("/dev/tpmrm0", R_OK | W_OK) == 0)
		return "device:/dev/tpmrm0";
	return NULL;
}
