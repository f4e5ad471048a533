/* Endpoint addresses as users write them: "unix:/run/cocoon/kms.sock", "/run/x.sock",
 * "127.0.0.1:8443", "[::1]:8443", "localhost:8443", "tcp://0.0.0.0:8443". */
#pragma once

#include <stdbool.h>
#include <sys/socket.h>
#include <sys/un.h>

struct cc_error;

struct cc_address {
	bool is_unix;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)]; /* unix */
	char host[256];                                         /* tcp */
	unsigned short port;                                    /* tcp; 0 = pick a free port */
	bool freebind; /* tcp: bind even before the address is the host's (a bridge yet to come) */
};

int cc_address_parse(const char *text, struct cc_address *ret, struct cc_error *err);

/* Creates a listening socket (CLOEXEC). A unix socket gets `mode` permissions; a stale socket
 * file at the path is replaced, any other kind of file is refused. */
int cc_address_listen(const struct cc_address *addr, unsigned mode, int backlog, struct cc_error *err);

/* Port a TCP listener is bound to (useful after binding port 0). */
int cc_address_bound_port(int fd);
