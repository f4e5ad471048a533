/* Checks of an image's config (see image_config.h). Each names the field it read and says what
 * to change; none prints the value of an environment variable, which may be the secret itself. */
#include "scan/image_config.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "scan/image_files.h"
#include "scan/secrets.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static void add(json_t *out, const char *id, const char *title, const char *severity, const char *field,
		const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void add(json_t *out, const char *id, const char *title, const char *severity, const char *field,
		const char *fmt, ...)
{
	char message[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id", id, "title", title, "severity",
					     severity, "category", "image-config", "field", field, "message", message));
}

/* USER empty, root, 0, or root/0 with a group: the process runs as uid 0. */
static void root_user(const json_t *config, json_t *out)
{
	const char *user = json_string_value(json_object_get(config, "User"));
	if (!user || !*user) {
		add(out, "IMG-ROOT-USER", "Image runs as root", "high", "config.User",
		    "the image sets no USER, so its processes run as root (uid 0): add `USER <non-root uid>`");
		return;
	}
	size_t name_len = strcspn(user, ":");
	if ((name_len == 4 && !strncmp(user, "root", 4)) || (name_len == 1 && user[0] == '0'))
		add(out, "IMG-ROOT-USER", "Image runs as root", "high", "config.User",
		    "USER is `%.64s`: its processes run as root (uid 0); use a non-root uid", user);
}

/* The names an archive gives the image: `:latest` (or no tag, which means latest) moves under
 * whoever runs it; without a digest nothing says which image a name meant. */
static void tags(const json_t *repo_tags, const char *id, json_t *out)
{
	size_t i;
	const json_t *t;
	bool by_digest = false;
	json_array_foreach (repo_tags, i, t) {
		const char *name = json_string_value(t);
		if (!name)
			continue;
		if (strstr(name, "@sha256:")) {
			by_digest = true;
			continue;
		}
		const char *slash = strrchr(name, '/'), *colon = strrchr(name, ':');
		if (!colon || (slash && colon < slash) || !strcmp(colon, ":latest"))
			add(out, "IMG-LATEST-TAG", "Image tagged latest", "medium", "repo_tags",
			    "`%.200s` is the latest tag, which moves: tag releases with a version and deploy by digest",
			    name);
	}
	if (json_array_size(repo_tags) && !by_digest)
		add(out, "IMG-NO-DIGEST", "Image not referenced by digest", "low", "repo_tags",
		    "the image's names are tags only; reference it by digest (NAME@%.80s) so what runs is what was "
		    "scanned",
		    id ? id : "sha256:...");
}

static bool secret_name(const char *name, size_t len)
{
	static const char *const words[] = { "PASSWORD", "PASSWD",     "SECRET",      "TOKEN",      "API_KEY",
					     "APIKEY",   "ACCESS_KEY", "PRIVATE_KEY", "CREDENTIAL", "AUTH_KEY" };
	_cleanup_free_ char *upper = cc_xstrndup(name, len);
	for (char *p = upper; *p; p++)
		*p = (char)((*p >= 'a' && *p <= 'z') ? *p - 32 : *p);
	for (size_t i = 0; i < CC_ARRAY_SIZE(words); i++)
		if (strstr(upper, words[i]))
			return true;
	return false;
}

static int env_secret(const char *kv, const char **ret_title, json_t *found);

/* ENV KEY=VALUE lives in every layer's history and in `inspect`: a secret there is public. */
static void secret_env(const json_t *config, json_t *out)
{
	size_t i;
	const json_t *e;
	json_array_foreach (json_object_get(config, "Env"), i, e) {
		const char *kv = json_string_value(e), *title = NULL;
		if (!kv)
			continue;
		int name_len = (int)(strchr(kv, '=') ? strchr(kv, '=') - kv : 0);
		if (name_len > 64)
			name_len = 64;
		json_t *found = json_array();
		int kind = env_secret(kv, &title, found);
		if (kind == 2)
			add(out, "IMG-SECRET-ENV", "Secret in an environment variable", "critical", "config.Env",
			    "ENV %.*s holds a %s: pass secrets at run time (a Secret, the key broker), never in the "
			    "image",
			    name_len, kv, title ? title : "secret");
		else if (kind == 1)
			add(out, "IMG-SECRET-ENV", "Secret in an environment variable", "high", "config.Env",
			    "ENV %.*s looks like a secret by its name and has a value baked into the image: pass it at "
			    "run "
			    "time (a Secret, the key broker)",
			    name_len, kv);
		json_decref(found);
	}
}

/* Whether ENV KEY=VALUE holds a secret: 2 by its value (a secret rule), 1 by its name, else 0;
 * *ret_title names the rule for 2. */
static int env_secret(const char *kv, const char **ret_title, json_t *found)
{
	const char *eq = strchr(kv, '=');
	if (!eq || !eq[1])
		return 0;
	scan_secrets_find(eq + 1, strlen(eq + 1), "config", NULL, found);
	if (json_array_size(found)) {
		*ret_title = json_string_value(json_object_get(json_array_get(found, 0), "title"));
		return 2;
	}
	return secret_name(kv, (size_t)(eq - kv)) ? 1 : 0;
}

/* What a report shows of the config: what the checks and policies read, nothing more. history's
 * created_by and the legacy container_config repeat ENV and build ARG values verbatim, and
 * Entrypoint and Cmd may carry a password on a command line: none of them is copied. */
json_t *scan_image_config_redacted(const json_t *config)
{
	if (!config)
		return NULL;
	static const char *const top[] = { "created", "architecture", "os", "variant" };
	static const char *const run[] = { "User", "ExposedPorts", "Env", "WorkingDir", "Labels", "StopSignal" };
	json_t *copy = json_object(), *run_copy = json_object();
	for (size_t i = 0; i < CC_ARRAY_SIZE(top); i++)
		if (json_object_get(config, top[i]))
			json_object_set_new(copy, top[i], json_deep_copy(json_object_get(config, top[i])));
	const json_t *run_config = json_object_get(config, "config");
	for (size_t i = 0; i < CC_ARRAY_SIZE(run); i++)
		if (json_object_get(run_config, run[i]))
			json_object_set_new(run_copy, run[i], json_deep_copy(json_object_get(run_config, run[i])));
	json_object_set_new(copy, "config", run_copy);
	json_t *env = json_object_get(run_copy, "Env");
	size_t i;
	json_t *e;
	json_array_foreach (env, i, e) {
		const char *kv = json_string_value(e), *title;
		json_t *found = json_array();
		if (kv && env_secret(kv, &title, found)) {
			_cleanup_free_ char *redacted =
			    cc_xasprintf("%.*s=<redacted>", (int)(strchr(kv, '=') - kv), kv);
			json_string_set(e, redacted);
		}
		json_decref(found);
	}
	return copy;
}

static void ssh_port(const json_t *config, json_t *out)
{
	if (json_object_get(json_object_get(config, "ExposedPorts"), "22/tcp"))
		add(out, "IMG-SSH-PORT", "Image exposes SSH", "medium", "config.ExposedPorts",
		    "port 22/tcp is exposed: a container is reached through the platform (exec, logs), not SSH");
}

void scan_image_config_check(const struct scan_image *img, json_t *out)
{
	if (!img->config)
		return;
	const json_t *config = json_object_get(img->config, "config");
	root_user(config, out);
	tags(img->repo_tags, img->id, out);
	secret_env(config, out);
	ssh_port(config, out);
}
