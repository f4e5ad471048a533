/* Protection of the runtime binary against being overwritten from inside a container
 * (CVE-2019-5736): commands that run code in a container first re-execute the runtime from a
 * sealed memfd copy, so /proc/<pid>/exe of any runtime process inside a container points at an
 * anonymous, unwritable file instead of the binary on the host. */
#pragma once

/* Re-executes from a sealed memfd unless already running from one. Returns only on failure
 * (negative errno); the caller should then refuse to continue. */
int runtime_ensure_sealed_exe(char **argv, char **envp);
