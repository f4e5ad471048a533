/* The admin kubeconfig (see kubeconfig.h). Written as JSON, which kubectl reads as YAML. The file
 * holds the admin key, like pki/admin.key beside it: 0600, replaced atomically. */
#include "platform/kubeconfig.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/log.h"
#include "lib/crypto/encode.h"
#include "lib/crypto/secure.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *file_base64(const char *path, struct cc_error *err)
{
	char *data = NULL;
	size_t len;
	if (cc_read_file(path, 1u << 20, &data, &len, err) < 0)
		return NULL;
	char *b64 = cc_base64_encode((const uint8_t *)data, len);
	cc_wipe(data, len);
	free(data);
	return b64;
}

static void server_url(const char *listen, char *out, size_t size)
{
	const char *colon = strrchr(listen, ':');
	const char *port = colon ? colon + 1 : "7443";
	size_t host_len = colon ? (size_t)(colon - listen) : strlen(listen);
	char host[256];
	snprintf(host, sizeof(host), "%.*s", (int)host_len, listen);
	if (strcmp(host, "0.0.0.0") == 0 || strcmp(host, "[::]") == 0 || !host[0])
		snprintf(host, sizeof(host), "127.0.0.1");
	snprintf(out, size, "https://%s:%s", host, port);
}

int platform_kubeconfig_write(const char *data_dir, const char *listen, const char *ca_file, const char *cert_file,
			      const char *key_file, struct cc_error *err)
{
	if (access(cert_file, R_OK) != 0 || access(key_file, R_OK) != 0) {
		cc_info("no admin certificate at %s: no kubeconfig written", cert_file);
		return 0;
	}
	_cleanup_free_ char *ca = file_base64(ca_file, err);
	_cleanup_free_ char *cert = ca ? file_base64(cert_file, err) : NULL;
	char *key = cert ? file_base64(key_file, err) : NULL;
	if (!key)
		return cc_error_prefix(err, "write the admin kubeconfig");
	char url[300];
	server_url(listen, url, sizeof(url));
	json_t *config = json_pack(
	    "{s:s, s:s, s:[{s:s, s:{s:s, s:s}}], s:[{s:s, s:{s:s, s:s}}], s:[{s:s, s:{s:s, s:s, s:s}}], s:s, s:{}}",
	    "apiVersion", "v1", "kind", "Config", "clusters", "name", "cocoon", "cluster", "server", url,
	    "certificate-authority-data", ca, "users", "name", "cocoon-admin", "user", "client-certificate-data", cert,
	    "client-key-data", key, "contexts", "name", "cocoon", "context", "cluster", "cocoon", "user",
	    "cocoon-admin", "namespace", "default", "current-context", "cocoon", "preferences");
	cc_wipe(key, strlen(key));
	free(key);
	char *text = json_dumps(config, JSON_INDENT(2));
	json_decref(config);
	_cleanup_free_ char *path = cc_xasprintf("%s/kubeconfig", data_dir);
	int r = cc_write_file_atomic(path, text, strlen(text), 0600, err);
	cc_wipe(text, strlen(text));
	free(text);
	return r < 0 ? cc_error_prefix(err, "write the admin kubeconfig") : 0;
}
