/* Protection of the runtime binary against being overwritten from inside a container
 * (CVE-2019-5736): commands that run code in a container first re-execute the runtime from a
 * sealed memfd copy, so /proc/<pid>/exe of any runtime process inside a container points at an
 * anonymous, unwritable file instead of the binary on the host. */
#pragma once

#include <stdbool.h>

/* Re-executes from a sealed memfd unless already running from one. Returns only on failure
 * (negative errno); the caller should then refuse to continue. */
int runtime_ensure_sealed_exe(char **argv, char **envp);

/* Whether create/run of the bundle named in the command's arguments (argv after the command name:
 * --bundle/-b, else the current directory) can skip the sealed copy: its config asks for a new PID
 * namespace. Then no process of the container can see a runtime process (the init is the only one
 * in its namespace until it executes the workload, and the runtime's own processes live in the
 * parent namespace), so nothing in the container can reach the runtime's /proc/<pid>/exe. Any doubt
 * (unreadable config, a joined or absent PID namespace) answers false. */
bool runtime_bundle_isolates_pids(int argc, char **argv);
