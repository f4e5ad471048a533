/* The node's address: the first IPv4 address of an interface that is up, not the loopback, not the
 * pods' bridge and not a pod's veth. What a pod's status.hostIP says, and where a LoadBalancer
 * Service answers on this single node. */
#pragma once

#include <stddef.h>

/* Writes the address to out ("127.0.0.1" when the node has no other). bridge: the pods' bridge. */
void platform_host_address(const char *bridge, char *out, size_t size);
