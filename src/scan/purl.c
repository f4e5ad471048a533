/* Package URLs (see purl.h). Built as the specification's "How to build purl string from its
 * components" says: type, namespace, name, version, then the qualifiers with a non-empty value,
 * each key=encoded-value, sorted; no subpath. */
#include "scan/purl.h"

#include "lib/base/buf.h"
#include "lib/base/cleanup.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

void scan_purl_encode(struct cc_buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (isascii(*c) && (isalnum(*c) || strchr(".-_~:", *c)))
			cc_buf_append(out, c, 1);
		else
			cc_buf_append(out, (char[]){ '%', hex[*c >> 4], hex[*c & 15] }, 3);
	}
}

/* Appends s lowered (ASCII: the types say "not case sensitive and must be lowercased") and encoded. */
static void encode_lower(struct cc_buf *out, const char *s)
{
	_cleanup_free_ char *lower = cc_xstrdup(s);
	for (char *c = lower; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	scan_purl_encode(out, lower);
}

struct qualifier {
	const char *key;
	char *value; /* owned; NULL or empty: left out */
};

static void append_qualifiers(struct cc_buf *out, struct qualifier *q, size_t n)
{
	/* The keys are written here in sorted order, so sorting the list is sorting the strings. */
	char sep = '?';
	for (size_t i = 0; i < n; i++) {
		if (!q[i].value || !*q[i].value)
			continue;
		cc_buf_appendf(out, "%c%s=", sep, q[i].key);
		scan_purl_encode(out, q[i].value);
		sep = '&';
	}
}

/* rpm's "[epoch:]version-release": the epoch is a qualifier of its own (PURL-TYPES: rpm). */
static void split_epoch(const char *version, char **ret_epoch, const char **ret_rest)
{
	*ret_epoch = NULL;
	*ret_rest = version;
	const char *colon = version ? strchr(version, ':') : NULL;
	if (!colon || colon == version || strspn(version, "0123456789") != (size_t)(colon - version))
		return;
	*ret_epoch = cc_xstrndup(version, (size_t)(colon - version));
	*ret_rest = colon + 1;
}

/* "util-linux", or "bash@5.2.15-2" for a binNMU whose source has a version of its own; NULL when the
 * package is its own source. rpm's source version carries the package's epoch (inventory.h). */
static char *upstream(const struct scan_purl_package *p, bool rpm)
{
	const char *name = p->source_name && *p->source_name ? p->source_name : p->name;
	const char *version = p->source_version, *own = p->version;
	_cleanup_free_ char *epoch = NULL, *own_epoch = NULL;
	if (rpm) {
		split_epoch(version, &epoch, &version);
		split_epoch(own, &own_epoch, &own);
	}
	bool other_name = strcmp(name, p->name) != 0;
	bool other_version = version && *version && (!own || strcmp(version, own) != 0);
	if (other_version)
		return cc_xasprintf("%s@%s", name, version);
	return other_name ? cc_xstrdup(name) : NULL;
}

/* "debian-12": the ID lowered as the namespace is, then the version as it is. */
static char *distro(const struct scan_purl_package *p)
{
	if (!p->distro_id || !*p->distro_id || !p->distro_version || !*p->distro_version)
		return NULL;
	char *value = cc_xasprintf("%s-%s", p->distro_id, p->distro_version);
	for (char *c = value; c < value + strlen(p->distro_id); c++)
		*c = (char)tolower((unsigned char)*c);
	return value;
}

char *scan_purl(const struct scan_purl_package *p)
{
	if (!p->type || !p->name || !*p->name)
		return NULL;
	bool rpm = strcmp(p->type, "rpm") == 0;
	if (!rpm && strcmp(p->type, "deb") != 0 && strcmp(p->type, "apk") != 0)
		return NULL;
	_cleanup_buf_ struct cc_buf out = CC_BUF_INIT;
	cc_buf_appendf(&out, "pkg:%s/", p->type);
	if (p->distro_id && *p->distro_id) {
		encode_lower(&out, p->distro_id);
		cc_buf_append_str(&out, "/");
	}
	if (rpm)
		scan_purl_encode(&out, p->name); /* "The name is the RPM name and is case sensitive." */
	else
		encode_lower(&out, p->name);
	char *epoch = NULL;
	const char *version = p->version;
	if (rpm)
		split_epoch(p->version, &epoch, &version);
	if (version && *version) {
		cc_buf_append_str(&out, "@");
		scan_purl_encode(&out, version);
	}
	struct qualifier q[] = {
		{ "arch", p->arch ? cc_xstrdup(p->arch) : NULL },
		{ "distro", distro(p) },
		{ "epoch", epoch },
		{ "upstream", upstream(p, rpm) },
	};
	append_qualifiers(&out, q, CC_ARRAY_SIZE(q));
	for (size_t i = 0; i < CC_ARRAY_SIZE(q); i++)
		free(q[i].value);
	return cc_buf_steal(&out, NULL);
}

static const char *str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

char *scan_purl_from_report(const json_t *package, const json_t *os)
{
	const char *version_id = str(os, "version_id");
	struct scan_purl_package p = {
		.type = str(package, "type"),
		.name = str(package, "name"),
		.version = str(package, "version"),
		.arch = str(package, "arch"),
		.source_name = str(package, "source_name"),
		.source_version = str(package, "source_version"),
		.distro_id = str(os, "id"),
		.distro_version = version_id ? version_id : str(os, "version_codename"),
	};
	return scan_purl(&p);
}
