/* The node's address (see host_address.h). */
#include "platform/host_address.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

void platform_host_address(const char *bridge, char *out, size_t size)
{
	struct ifaddrs *list = NULL;
	snprintf(out, size, "127.0.0.1");
	if (getifaddrs(&list) < 0)
		return;
	for (struct ifaddrs *i = list; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || !(i->ifa_flags & IFF_UP) ||
		    (i->ifa_flags & IFF_LOOPBACK) || strcmp(i->ifa_name, bridge) == 0 ||
		    strncmp(i->ifa_name, "veth", 4) == 0)
			continue;
		inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, out, (socklen_t)size);
		break;
	}
	freeifaddrs(list);
}
