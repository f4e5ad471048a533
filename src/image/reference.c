/* Parsing image references (reference.h): a hand-written scanner for the grammar of
 * distribution's reference package rather than a regular expression, so each refusal can say which
 * part is wrong. */
#include "image/reference.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

#define NAME_MAX_LEN 255
#define TAG_MAX_LEN  128

void image_reference_clear(struct image_reference *ref)
{
	free(ref->domain);
	free(ref->repository);
	free(ref->tag);
	free(ref->digest);
	*ref = (struct image_reference){ 0 };
}

static bool lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* [a-z0-9]+ ((\.|_|__|-+)[a-z0-9]+)* */
static bool path_component(const char *s, size_t n)
{
	if (n == 0 || !lower_alnum(s[0]) || !lower_alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n;) {
		if (lower_alnum(s[i])) {
			i++;
			continue;
		}
		size_t run = 0;
		if (s[i] == '.') {
			run = 1;
		} else if (s[i] == '_') {
			while (i + run < n && s[i + run] == '_')
				run++;
			if (run > 2)
				return false;
		} else if (s[i] == '-') {
			while (i + run < n && s[i + run] == '-')
				run++;
		} else {
			return false;
		}
		i += run;
		if (i >= n || !lower_alnum(s[i]))
			return false;
	}
	return true;
}

/* host [":" port]; host: dot-separated labels of letters, digits and inner `-`, or [IPv6]. */
static bool domain_valid(const char *s, size_t n)
{
	size_t host_end = n;
	if (n > 0 && s[0] == '[') {
		const char *close = memchr(s, ']', n);
		if (!close || close == s + 1)
			return false;
		for (const char *c = s + 1; c < close; c++)
			if (!isxdigit((unsigned char)*c) && *c != ':' && *c != '.')
				return false;
		host_end = (size_t)(close - s) + 1;
		if (host_end < n && s[host_end] != ':')
			return false;
	} else {
		const char *colon = memchr(s, ':', n);
		host_end = colon ? (size_t)(colon - s) : n;
		if (host_end == 0)
			return false;
		for (size_t start = 0, i = 0; i <= host_end; i++) {
			if (i < host_end && s[i] != '.')
				continue;
			size_t len = i - start;
			const char *label = s + start;
			if (len == 0 || !isalnum((unsigned char)label[0]) || !isalnum((unsigned char)label[len - 1]))
				return false;
			for (size_t k = 0; k < len; k++)
				if (!isalnum((unsigned char)label[k]) && label[k] != '-')
					return false;
			start = i + 1;
		}
	}
	if (host_end < n) {
		size_t port_len = n - host_end - 1;
		if (port_len == 0 || port_len > 5)
			return false;
		for (size_t i = host_end + 1; i < n; i++)
			if (!isdigit((unsigned char)s[i]))
				return false;
	}
	return true;
}

static bool tag_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > TAG_MAX_LEN || s[0] == '.' || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_.-", s[i]))
			return false;
	return true;
}

static bool digest_valid(const char *s)
{
	return strncmp(s, "sha256:", 7) == 0 && strlen(s + 7) == 64 && strspn(s + 7, "0123456789abcdef") == 64;
}

/* The first component is a domain when docker would call it one. */
static bool is_domain(const char *s, size_t n)
{
	if (memchr(s, '.', n) || memchr(s, ':', n) || (n == 9 && strncmp(s, "localhost", 9) == 0))
		return true;
	for (size_t i = 0; i < n; i++)
		if (isupper((unsigned char)s[i]))
			return true;
	return false;
}

static int refuse(struct cc_error *err, const char *text, const char *why)
{
	return cc_error_set(err, EINVAL, "`%s` is not an image reference: %s", text, why);
}

static int parse_name(const char *text, const char *name, struct image_reference *ref, struct cc_error *err)
{
	size_t len = strlen(name);
	if (len == 0)
		return refuse(err, text, "the name is empty");
	if (len > NAME_MAX_LEN)
		return refuse(err, text, "the name is longer than 255 characters");
	const char *path = name;
	const char *slash = strchr(name, '/');
	if (slash && is_domain(name, (size_t)(slash - name))) {
		if (!domain_valid(name, (size_t)(slash - name)))
			return refuse(err, text, "the registry is not HOST[:PORT]");
		ref->domain = cc_xstrndup(name, (size_t)(slash - name));
		path = slash + 1;
	}
	if (!*path)
		return refuse(err, text, "the name has no path after the registry");
	for (const char *c = path;;) {
		const char *end = strchr(c, '/');
		size_t n = end ? (size_t)(end - c) : strlen(c);
		if (!path_component(c, n))
			return refuse(err, text,
				      "a name's components are lower-case letters and digits, separated by `.`, `_`, "
				      "`__` or dashes");
		if (!end)
			break;
		c = end + 1;
	}
	ref->repository = cc_xstrdup(path);
	return 0;
}

int image_reference_parse(const char *text, struct image_reference *ret, struct cc_error *err)
{
	struct image_reference ref = { 0 };
	if (!text || !*text)
		return cc_error_set(err, EINVAL, "an image reference is empty");
	if (strlen(text) > IMAGE_REFERENCE_MAX)
		return cc_error_set(err, EINVAL, "an image reference is longer than %d characters",
				    IMAGE_REFERENCE_MAX);
	for (const char *c = text; *c; c++)
		if ((unsigned char)*c <= ' ' || (unsigned char)*c >= 0x7f)
			return cc_error_set(err, EINVAL,
					    "`%s` is not an image reference: it has a blank or a non-ASCII "
					    "character",
					    text);
	if (strncmp(text, "http://", 7) == 0 || strncmp(text, "https://", 8) == 0)
		return refuse(err, text,
			      "a reference names no scheme (REGISTRY[:PORT]/NAME[:TAG]); plain http is "
			      "--tls-verify=false");
	_cleanup_free_ char *copy = cc_xstrdup(text);
	char *at = strchr(copy, '@');
	if (at) {
		*at = '\0';
		if (!digest_valid(at + 1)) {
			int r = refuse(err, text,
				       strncmp(at + 1, "sha256:", 7) == 0 || !strchr(at + 1, ':')
					   ? "the digest is not sha256: and 64 lower-case hex digits"
					   : "only sha256 digests are supported");
			return r;
		}
		ref.digest = cc_xstrdup(at + 1);
	}
	/* A tag's colon comes after the last slash (the one before is a port's). */
	char *last_slash = strrchr(copy, '/');
	char *colon = strchr(last_slash ? last_slash : copy, ':');
	if (colon) {
		*colon = '\0';
		if (!tag_valid(colon + 1)) {
			image_reference_clear(&ref);
			return refuse(err, text,
				      "a tag is 1 to 128 letters, digits, `_`, `.` and `-`, not starting with `.` or "
				      "`-`");
		}
		ref.tag = cc_xstrdup(colon + 1);
	}
	int r = parse_name(text, copy, &ref, err);
	if (r < 0) {
		image_reference_clear(&ref);
		return r;
	}
	if (!ref.tag && !ref.digest)
		ref.tag = cc_xstrdup("latest");
	*ret = ref;
	return 0;
}

char *image_reference_name(const struct image_reference *ref)
{
	if (!ref->domain)
		return cc_xstrdup(ref->repository);
	return cc_xasprintf("%s/%s", ref->domain, ref->repository);
}

char *image_reference_string(const struct image_reference *ref)
{
	_cleanup_free_ char *name = image_reference_name(ref);
	return cc_xasprintf("%s%s%s%s%s", name, ref->tag ? ":" : "", ref->tag ? ref->tag : "", ref->digest ? "@" : "",
			    ref->digest ? ref->digest : "");
}

bool image_reference_is_local(const struct image_reference *ref)
{
	return ref->domain && strcmp(ref->domain, "localhost") == 0;
}
