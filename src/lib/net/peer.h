/* Who is on the other end of a connection, as far as the transport can prove it: the verified
 * client certificate for TLS, the kernel's SO_PEERCRED for unix sockets. Handlers authorize on this. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#define CC_PEER_MAX_GROUPS 8

struct cc_peer {
	bool is_unix;
	char address[64]; /* "127.0.0.1:51234", "[::1]:51234" or "unix" */
	bool tls;
	bool cert_verified;                  /* a client certificate chained to the configured CA */
	char subject[256];                   /* RFC 2253 subject of the client certificate */
	char common_name[128];               /* its CN: the user name, as Kubernetes reads it */
	char groups[CC_PEER_MAX_GROUPS][64]; /* its O= values: groups, as Kubernetes reads them */
	int group_count;
	char fingerprint[65];  /* SHA-256 of the certificate DER, hex */
	bool have_credentials; /* unix sockets: the connecting process */
	pid_t pid;
	uid_t uid;
	gid_t gid;
};
