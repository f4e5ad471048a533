/* libFuzzer target: what cocoond makes of the directory's text and of names it sends there
 * (platform/ldap_groups.h). The first line is a DN as a directory returns it in memberOf; the rest a
 * name put into a search filter. Besides never crashing: the filter keeps the template's structure
 * (the name adds no unescaped parenthesis or wildcard). */
#include "platform/ldap_groups.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	char *name = strchr(text, '\n');
	if (name)
		*name++ = '\0';
	free(platform_ldap_first_rdn_value(text));
	char *filter = platform_ldap_filter("(uid={username})", "username", name ? name : text);
	size_t open = 0, close = 0;
	for (const char *p = filter; *p; p++) {
		open += *p == '(';
		close += *p == ')';
		if (*p == '*')
			abort();
	}
	if (open != 1 || close != 1)
		abort();
	free(filter);
	free(text);
	return 0;
}
