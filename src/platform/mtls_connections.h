/* Reading the mTLS guard's connection sets (docs/design/pod-mtls.md, "Observing connections"):
 * nft's JSON listing of a set of `ip saddr . tcp dport` (a pod's own table) or
 * `ip saddr . ip daddr . tcp dport` (the platform's, for Service traffic) elements, each with a
 * counter of the new connections it saw while it lived, as plain entries. The text is nft's own
 * output, but the parser still checks every address and port, and bounds the listing's size and
 * the number of elements. */
#pragma once

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

struct cc_error;

#define PLATFORM_MTLS_CONNECTIONS_JSON_MAX (16u << 20)
#define PLATFORM_MTLS_CONNECTIONS_MAX      65536 /* nft's default set size */

struct platform_mtls_connection {
	char client[INET_ADDRSTRLEN]; /* ip saddr */
	char server[INET_ADDRSTRLEN]; /* ip daddr; "" in a pod's own set (the pod is the server) */
	uint16_t port;                /* tcp dport */
	int64_t count;                /* the element's counter (new connections); -1 without one */
};

/* The elements of the first set in a listing (`nft -j list set ...`). Elements of another shape
 * (not two or three parts, an address that is not IPv4, a port out of range) are skipped. -EINVAL
 * with a message when the text is not such a listing. *ret (malloc'ed, NULL when empty) and
 * *ret_count are set only on success. */
int platform_mtls_connections_parse(const char *text, size_t len, struct platform_mtls_connection **ret,
				    size_t *ret_count, struct cc_error *err);
