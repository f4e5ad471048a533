/* Parsing endpoint addresses and opening listening sockets. */
#include "lib/net/address.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cc_address_parse(const char *text, struct cc_address *ret, struct cc_error *err)
{
	struct cc_address a = { 0 };
	const char *p = text;
	if (strncmp(p, "unix:", 5) == 0 || p[0] == '/' || p[0] == '.') {
		if (strncmp(p, "unix:", 5) == 0)
			p += 5;
		if (strncmp(p, "//", 2) == 0) /* unix:///run/x.sock, as Kubernetes writes it */
			p += 2;
		if (*p == '\0')
			return cc_error_set(err, EINVAL, "address `%s`: unix socket path is empty", text);
		if (strlen(p) >= sizeof(a.path))
			return cc_error_set(err, ENAMETOOLONG, "address `%s`: unix socket path longer than %zu bytes",
					    text, sizeof(a.path) - 1);
		a.is_unix = true;
		snprintf(a.path, sizeof(a.path), "%s", p);
		*ret = a;
		return 0;
	}
	if (strncmp(p, "tcp://", 6) == 0)
		p += 6;
	else if (strncmp(p, "https://", 8) == 0)
		p += 8;
	const char *colon;
	if (*p == '[') {
		const char *close = strchr(p, ']');
		if (!close || close[1] != ':')
			return cc_error_set(err, EINVAL, "address `%s`: expected [IPv6]:PORT", text);
		if ((size_t)(close - p - 1) >= sizeof(a.host))
			return cc_error_set(err, EINVAL, "address `%s`: host too long", text);
		memcpy(a.host, p + 1, (size_t)(close - p - 1));
		colon = close + 1;
	} else {
		colon = strrchr(p, ':');
		if (!colon)
			return cc_error_set(err, EINVAL, "address `%s`: expected HOST:PORT or unix:PATH", text);
		if ((size_t)(colon - p) >= sizeof(a.host))
			return cc_error_set(err, EINVAL, "address `%s`: host too long", text);
		memcpy(a.host, p, (size_t)(colon - p));
	}
	char *end;
	errno = 0;
	long port = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || errno || port < 0 || port > 65535)
		return cc_error_set(err, EINVAL, "address `%s`: port must be a number from 0 to 65535", text);
	if (a.host[0] == '\0')
		snprintf(a.host, sizeof(a.host), "0.0.0.0");
	a.port = (unsigned short)port;
	*ret = a;
	return 0;
}

static int listen_unix(const struct cc_address *addr, unsigned mode, int backlog, struct cc_error *err)
{
	struct stat st;
	if (lstat(addr->path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return cc_error_set(err, EEXIST, "`%s` exists and is not a socket; refusing to replace it",
					    addr->path);
		unlink(addr->path);
	}
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return cc_error_set_errno(err, errno, "create unix socket");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	memcpy(sa.sun_path, addr->path, strlen(addr->path) + 1);
	/* Bind under a restrictive umask so no client can connect before the chmod below. */
	mode_t old = umask(0177);
	int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0)
		return cc_error_set_errno(err, errno, "bind unix socket `%s`", addr->path);
	if (chmod(addr->path, mode) < 0)
		return cc_error_set_errno(err, errno, "chmod unix socket `%s`", addr->path);
	if (listen(fd, backlog) < 0)
		return cc_error_set_errno(err, errno, "listen on `%s`", addr->path);
	return CC_TAKE_FD(fd);
}

int cc_address_listen(const struct cc_address *addr, unsigned mode, int backlog, struct cc_error *err)
{
	if (addr->is_unix)
		return listen_unix(addr, mode, backlog, err);
	char port[8];
	snprintf(port, sizeof(port), "%u", addr->port);
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
	struct addrinfo *res = NULL;
	int gai = getaddrinfo(addr->host, port, &hints, &res);
	if (gai != 0)
		return cc_error_set(err, EADDRNOTAVAIL, "resolve `%s`: %s", addr->host, gai_strerror(gai));
	int r = -EADDRNOTAVAIL;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			r = cc_error_set_errno(err, errno, "create socket for `%s`", addr->host);
			continue;
		}
		int one = 1;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (addr->freebind)
			setsockopt(fd, ai->ai_family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP,
				   ai->ai_family == AF_INET6 ? IPV6_FREEBIND : IP_FREEBIND, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, backlog) < 0) {
			r = cc_error_set_errno(err, errno, "listen on %s:%s", addr->host, port);
			close(fd);
			continue;
		}
		r = fd;
		break;
	}
	freeaddrinfo(res);
	return r;
}

int cc_address_bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return -errno;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return -EAFNOSUPPORT;
}
