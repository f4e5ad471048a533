/* libcrypto loaded at its first use in the runtime (see libcrypto_lazy.c for why and how). */
#pragma once

/* Makes the calling process the one that may load libcrypto, while its root directory stays the
 * same; its children never do. Called first thing in main. */
void runtime_libcrypto_lazy_bind(void);

/* Loads libcrypto now (in the bound process): 0, or -1 (a failure to load is logged). */
int runtime_libcrypto_lazy_load(void);
