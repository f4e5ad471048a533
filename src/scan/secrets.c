/* Secrets by pattern (see secrets.h).
 *
 * One pass over the content: a table says which rules can begin with each byte, and only those
 * rules look further. Every rule is anchored on a fixed prefix the issuer puts in its tokens
 * (AKIA, ghp_, glpat-, xoxb-, sk_live_, AIza, npm_, -----BEGIN ... PRIVATE KEY-----) or on the name
 * a credential file gives the value (aws_secret_access_key, AccountKey=, "auth"), then checks the
 * token's alphabet and length exactly, so prose that mentions a kind of key is not a finding. A
 * PEM header counts only when a key body follows it. */
#include "scan/secrets.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/str.h"

#include <ctype.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#define KEY_BODY_PROBE 512
#define KEY_BODY_MIN   64
#define MASK_LEN       8

/* A match: where the token starts and how long it is, and how much of it the report may show
 * (the issuer's prefix, or the whole PEM header, which names the kind of key and nothing more). */
struct hit {
	size_t start, len, shown;
};

struct rule {
	struct scan_secret_rule_info info;
	const char *first;  /* the bytes a match can begin with */
	const char *second; /* and the bytes that can follow the first */
	bool (*match)(const char *data, size_t len, size_t at, const char *path, struct hit *ret);
};

static bool is_alnum(char c)
{
	return isalnum((unsigned char)c);
}

static bool boundary_before(const char *data, size_t at)
{
	return at == 0 || !(is_alnum(data[at - 1]) || data[at - 1] == '_' || data[at - 1] == '-');
}

/* Length of the run of bytes from at that are in set (a predicate), at most max. */
static size_t run(const char *data, size_t len, size_t at, bool (*in)(char), size_t max)
{
	size_t n = 0;
	while (at + n < len && n < max && in(data[at + n]))
		n++;
	return n;
}

static bool starts(const char *data, size_t len, size_t at, const char *prefix)
{
	size_t n = strlen(prefix);
	return at + n <= len && memcmp(data + at, prefix, n) == 0;
}

static bool starts_nocase(const char *data, size_t len, size_t at, const char *prefix)
{
	size_t n = strlen(prefix);
	return at + n <= len && strncasecmp(data + at, prefix, n) == 0;
}

static bool upper_digit(char c)
{
	return isupper((unsigned char)c) || isdigit((unsigned char)c);
}
static bool base62(char c)
{
	return is_alnum(c);
}
static bool base64url(char c)
{
	return is_alnum(c) || c == '-' || c == '_';
}
static bool base64(char c)
{
	return is_alnum(c) || c == '+' || c == '/';
}
static bool base64_padded(char c)
{
	return base64(c) || c == '=';
}
static bool word(char c)
{
	return is_alnum(c) || c == '_';
}

/* A token of exactly n bytes of class after prefix, not followed by more of the class. */
static bool token(const char *data, size_t len, size_t at, const char *prefix, bool (*class)(char), size_t n_min,
		  size_t n_max, struct hit *ret)
{
	if (!starts(data, len, at, prefix) || !boundary_before(data, at))
		return false;
	size_t p = strlen(prefix), n = run(data, len, at + p, class, n_max + 1);
	if (n < n_min || n > n_max)
		return false;
	*ret = (struct hit){ .start = at, .len = p + n, .shown = p };
	return true;
}

/* ---- the rules ---- */

/* RFC 7468 labels of private keys: "PRIVATE KEY", "RSA PRIVATE KEY", "ENCRYPTED PRIVATE KEY",
 * "OPENSSH PRIVATE KEY", PGP's "PRIVATE KEY BLOCK"; then a body (base64, also inside a JSON string
 * with its \n escapes, as in a GCP service account key). */
static bool private_key(const char *data, size_t len, size_t at, const char *path, struct hit *ret)
{
	static const char begin[] = "-----BEGIN ";
	if (!starts(data, len, at, begin))
		return false;
	size_t p = at + strlen(begin), label_end = p;
	while (label_end < len && label_end - p < 40 &&
	       (isupper((unsigned char)data[label_end]) || data[label_end] == ' '))
		label_end++;
	size_t label_len = label_end - p;
	const char *label = data + p;
	bool private = (label_len >= 11 && memcmp(label + label_len - 11, "PRIVATE KEY", 11) == 0) ||
		       (label_len >= 17 && memcmp(label + label_len - 17, "PRIVATE KEY BLOCK", 17) == 0);
	if (!private || !starts(data, len, label_end, "-----"))
		return false;
	size_t header_end = label_end + 5, body = 0;
	for (size_t i = header_end; i < len && i < header_end + KEY_BODY_PROBE && body < KEY_BODY_MIN; i++) {
		if (data[i] == '\\' && i + 1 < len && data[i + 1] == 'n')
			i++;
		else if (base64_padded(data[i]))
			body++;
		else if (starts(data, len, i, "-----"))
			break; /* the END line, or another header: no body */
		else if (!isspace((unsigned char)data[i]))
			body = 0; /* RFC 1421 headers ("DEK-Info: AES-128-CBC,...") are words, not a body */
	}
	if (body < KEY_BODY_MIN)
		return false;
	*ret = (struct hit){ .start = at, .len = header_end - at, .shown = header_end - at };
	return true;
}

/* AWS access key IDs: a four-letter type (AKIA long-term, ASIA temporary, ...) and 16 characters. */
static bool aws_access_key_id(const char *data, size_t len, size_t at, const char *path, struct hit *ret)
{
	static const char *const types[] = { "AKIA", "ASIA", "ABIA", "ACCA", "AIDA", "AROA", "AIPA", "ANPA", "ANVA" };
	for (size_t i = 0; i < CC_ARRAY_SIZE(types); i++)
		if (token(data, len, at, types[i], upper_digit, 16, 16, ret))
			/* AWS's documentation example, which is in every SDK's docs and tests */
			return !starts(data, len, at + 4, "IOSFODNN7EXAMPLE");
	return false;
}

/* aws_secret_access_key = 40 characters (credentials files, env files, scripts), the name in any
 * case with _, -, . or nothing between its words. */
static bool aws_secret_access_key(const char *data, size_t len, size_t at, const char *path, struct hit *ret)
{
	static const char *const words[] = { "aws", "secret", "access", "key" };
	size_t p = at;
	if (!boundary_before(data, at))
		return false;
	for (size_t i = 0; i < CC_ARRAY_SIZE(words); i++) {
		if (i > 0 && p < len && (data[p] == '_' || data[p] == '-' || data[p] == '.'))
			p++;
		if (!starts_nocase(data, len, p, words[i]))
			return false;
		p += strlen(words[i]);
	}
	size_t name_end = p;
	while (p < len && (data[p] == ' ' || data[p] == '\t' || data[p] == '"' || data[p] == '\''))
		p++;
	if (p < len && (data[p] == '=' || data[p] == ':'))
		p++;
	else
		return false;
	if (p < len && data[p] == '>')
		p++;
	while (p < len && (data[p] == ' ' || data[p] == '\t' || data[p] == '"' || data[p] == '\''))
		p++;
	size_t n = run(data, len, p, base64_padded, 41);
	if (n != 40 || starts(data, len, p, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"))
		return false;
	*ret = (struct hit){ .start = at, .len = p + n - at, .shown = name_end - at };
	return true;
}

/* GitHub: ghp_ (personal), gho_ (OAuth), ghu_/ghs_ (app), ghr_ (refresh), github_pat_ (fine-grained). */
static bool github_token(const char *data, size_t len, size_t at, const char *path, struct hit *ret)
{
	static const char *const kinds[] = { "ghp_", "gho_", "ghu_", "ghs_", "ghr_" };
	for (size_t i = 0; i < CC_ARRAY_SIZE(kinds); i++)
		if (token(data, len, at, kinds[i], base62, 36, 36, ret))
			return true;
	return token(data, len, at, "github_pat_", word, 82, 82, ret);
}

static bool gitlab_token(const char *data, size_t len, size_t at, const char *path, struct hit *ret)
{
	return token(data, len, at, "glpat-", base64url, 20, 20, ret);
}

static bool slack_token(const char *data, size_t len, size_t at, const char *path, struct hit *ret)
{
	static const char *const kinds[] = { "xoxb-", "xoxa-", "xoxp-", "xoxr-", "xoxs-" };
	for (size_t i = 0; i < CC_ARRAY_SIZE(kinds); i++)
		if (token(data, len, at, kinds[i], base64url, 10, 80, ret))
			return true;
	return false;
}

static bool stripe_key(const char *data, size_t len, size_t at, const char *path, struct hit *ret)
{
	return token(data, len, at, "sk_live_", base62, 24, 99, ret) ||
	       token(data, len, at, "rk_live_", base62, 24, 99, ret);
}

static bool google_api_key(const char *data, size_t len, size_t at, const char *path, struct hit *ret)
{
	return token(data, len, at, "AIza", base64url, 35, 35, ret);
}

static bool npm_token(const char *data, size_t len, size_t at, const char *path, struct hit *ret)
{
	return token(data, len, at, "npm_", base62, 36, 36, ret);
}

static bool pypi_token(const char *data, size_t len, size_t at, const char *path, struct hit *ret)
{
	return token(data, len, at, "pypi-AgEIcHlwaS5vcmc", base64url, 50, 300, ret);
}

/* Azure storage connection strings: AccountKey= and the 64-byte key in base64 (86 characters and ==). */
static bool azure_storage_key(const char *data, size_t len, size_t at, const char *path, struct hit *ret)
{
	static const char name[] = "AccountKey=";
	if (!starts(data, len, at, name))
		return false;
	size_t p = at + strlen(name), n = run(data, len, p, base64, 87);
	if (n != 86 || !starts(data, len, p + n, "=="))
		return false;
	*ret = (struct hit){ .start = at, .len = p + n + 2 - at, .shown = strlen(name) };
	return true;
}

/* Registry credentials of docker and podman: "auth": "base64(user:password)" in their auth files. */
static bool registry_auth(const char *data, size_t len, size_t at, const char *path, struct hit *ret)
{
	if (!cc_str_has_suffix(path, ".docker/config.json") && !cc_str_has_suffix(path, "containers/auth.json"))
		return false;
	static const char key[] = "\"auth\"";
	if (!starts(data, len, at, key))
		return false;
	size_t p = at + strlen(key);
	while (p < len && isspace((unsigned char)data[p]))
		p++;
	if (p >= len || data[p++] != ':')
		return false;
	while (p < len && isspace((unsigned char)data[p]))
		p++;
	if (p >= len || data[p++] != '"')
		return false;
	size_t n = run(data, len, p, base64_padded, 4096);
	if (n < 4 || p + n >= len || data[p + n] != '"')
		return false;
	*ret = (struct hit){ .start = at, .len = p + n + 1 - at, .shown = strlen(key) };
	return true;
}

static const struct rule rules[] = {
	{ { "private-key", "Private key", "high" }, "-", "-", private_key },
	{ { "aws-access-key-id", "AWS access key ID", "critical" }, "A", "KSBCIRN", aws_access_key_id },
	{ { "aws-secret-access-key", "AWS secret access key", "critical" }, "aA", "wW", aws_secret_access_key },
	{ { "github-token", "GitHub token", "critical" }, "g", "hi", github_token },
	{ { "gitlab-token", "GitLab personal access token", "critical" }, "g", "l", gitlab_token },
	{ { "slack-token", "Slack token", "high" }, "x", "o", slack_token },
	{ { "stripe-secret-key", "Stripe live secret key", "critical" }, "sr", "k", stripe_key },
	{ { "google-api-key", "Google API key", "high" }, "A", "I", google_api_key },
	{ { "npm-token", "npm access token", "critical" }, "n", "p", npm_token },
	{ { "pypi-token", "PyPI upload token", "critical" }, "p", "y", pypi_token },
	{ { "azure-storage-key", "Azure storage account key", "critical" }, "A", "c", azure_storage_key },
	{ { "registry-auth", "Container registry credentials", "high" }, "\"", "a", registry_auth },
};

const struct scan_secret_rule_info *scan_secret_rule(size_t i)
{
	return i < CC_ARRAY_SIZE(rules) ? &rules[i].info : NULL;
}

bool scan_secrets_path_exempt(const char *path)
{
	static const char *const dirs[] = { "/test/", "/tests/", "/testdata/", "/testing/", "/examples/", "/example/" };
	if (!strncmp(path, "usr/share/doc/", 14) || !strncmp(path, "usr/share/man/", 14))
		return true;
	_cleanup_free_ char *rooted = cc_xasprintf("/%s", path);
	for (size_t i = 0; i < CC_ARRAY_SIZE(dirs); i++)
		if (strstr(rooted, dirs[i]))
			return true;
	return false;
}

bool scan_secrets_is_text(const void *data, size_t len)
{
	return memchr(data, '\0', len < SCAN_SECRETS_TEXT_PROBE ? len : SCAN_SECRETS_TEXT_PROBE) == NULL;
}

static void report(const char *data, size_t *line, size_t *counted, const struct rule *rule, const struct hit *h,
		   const char *path, const char *layer, json_t *out)
{
	for (const char *nl; (nl = memchr(data + *counted, '\n', h->start - *counted));
	     *counted = (size_t)(nl - data) + 1)
		(*line)++;
	/* What may be shown: the prefix, printable, then a mask; never the secret's own bytes. */
	char shown[96];
	size_t n = h->shown < sizeof(shown) - MASK_LEN - 1 ? h->shown : sizeof(shown) - MASK_LEN - 1;
	for (size_t i = 0; i < n; i++)
		shown[i] = isprint((unsigned char)data[h->start + i]) ? data[h->start + i] : '?';
	memset(shown + n, '*', MASK_LEN);
	shown[n + MASK_LEN] = '\0';
	_cleanup_free_ char *rooted = cc_xasprintf("/%s", path);
	json_array_append_new(out, json_pack("{s:s, s:o, s:I, s:s, s:s, s:s, s:s}", "path", rooted, "layer",
					     layer ? json_string(layer) : json_null(), "line", (json_int_t)*line,
					     "rule", rule->info.id, "title", rule->info.title, "severity",
					     rule->info.severity, "match", shown));
}

size_t scan_secrets_find(const char *data, size_t len, const char *path, const char *layer, json_t *out)
{
	/* which rules may begin with each byte, and which may have each byte second: one bit per rule;
	 * a rule is tried only where both say so (text is full of a's, rarely followed by a w) */
	uint32_t first[256] = { 0 }, second[256] = { 0 };
	for (size_t r = 0; r < CC_ARRAY_SIZE(rules); r++) {
		for (const char *c = rules[r].first; *c; c++)
			first[(unsigned char)*c] |= 1u << r;
		for (const char *c = rules[r].second; *c; c++)
			second[(unsigned char)*c] |= 1u << r;
	}
	size_t found = 0, line = 1, counted = 0;
	for (size_t at = 0; at + 1 < len && found < SCAN_SECRETS_MAX_PER_FILE; at++) {
		uint32_t candidates = first[(unsigned char)data[at]];
		if (!candidates || !(candidates &= second[(unsigned char)data[at + 1]]))
			continue;
		for (size_t r = 0; candidates; r++, candidates >>= 1) {
			struct hit h;
			if (!(candidates & 1) || !rules[r].match(data, len, at, path, &h))
				continue;
			report(data, &line, &counted, &rules[r], &h, path, layer, out);
			found++;
			at = h.start + h.len - 1; /* a token is one finding, whatever rules it also fits */
			break;
		}
	}
	return found;
}
