/* libFuzzer target: the mTLS guard's connection-set listings (platform/mtls_connections.h). The
 * text is nft's own JSON, but the elements' addresses and ports come from packets pods send, and
 * the parser's promise is what the events rest on: besides never crashing, every entry it gives has
 * IPv4 addresses in dotted form (the server's empty or one) and a port from 1 to 65535. */
#include "lib/base/error.h"
#include "platform/mtls_connections.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int ipv4(const char *text)
{
	struct in_addr a;
	return inet_pton(AF_INET, text, &a) == 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cc_error err = { 0 };
	struct platform_mtls_connection *c = NULL;
	size_t n = 0;
	if (platform_mtls_connections_parse((const char *)data, size, &c, &n, &err) < 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!ipv4(c[i].client) || (c[i].server[0] && !ipv4(c[i].server)) || c[i].port == 0 || c[i].count < -1)
			abort(); /* the parser let through what it promises to refuse */
	free(c);
	return 0;
}
