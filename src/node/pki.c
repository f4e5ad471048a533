/* Node PKI bootstrap. Layout under the directory (keys 0600, directory 0700):
 *   ca.crt ca.key           the node CA; trust anchor for the API and its clients
 *   server.crt server.key   the API's certificate (serverAuth; localhost, 127.0.0.1, extra hosts)
 *   admin.crt admin.key     a client certificate, CN=admin, O=system:masters (Kubernetes' convention) */
#include "node/pki.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/crypto/x509.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void node_pki_paths(const char *dir, struct node_pki_paths *ret)
{
	snprintf(ret->ca_cert, sizeof(ret->ca_cert), "%s/ca.crt", dir);
	snprintf(ret->ca_key, sizeof(ret->ca_key), "%s/ca.key", dir);
	snprintf(ret->server_cert, sizeof(ret->server_cert), "%s/server.crt", dir);
	snprintf(ret->server_key, sizeof(ret->server_key), "%s/server.key", dir);
	snprintf(ret->admin_cert, sizeof(ret->admin_cert), "%s/admin.crt", dir);
	snprintf(ret->admin_key, sizeof(ret->admin_key), "%s/admin.key", dir);
}

/* "a.example,10.0.0.5" -> "DNS:localhost,IP:127.0.0.1,IP:::1,DNS:a.example,IP:10.0.0.5" */
static char *subject_alt_names(const char *hosts, struct cc_error *err)
{
	char *sans = cc_xstrdup("DNS:localhost,IP:127.0.0.1,IP:::1");
	if (!hosts || !*hosts)
		return sans;
	_cleanup_free_ char *copy = cc_xstrdup(hosts);
	char *save = NULL;
	for (char *host = strtok_r(copy, ",", &save); host; host = strtok_r(NULL, ",", &save)) {
		unsigned char addr[16];
		bool is_ip = inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1;
		if (!is_ip &&
		    host[strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.*")] != '\0') {
			free(sans);
			cc_error_set(err, EINVAL, "`%s` is neither a host name nor an IP address", host);
			return NULL;
		}
		char *next = cc_xasprintf("%s,%s:%s", sans, is_ip ? "IP" : "DNS", host);
		free(sans);
		sans = next;
	}
	return sans;
}

static void free_pair(X509 *cert, EVP_PKEY *key)
{
	X509_free(cert);
	EVP_PKEY_free(key);
}

static int issue_and_write(const struct cc_cert_request *req, X509 *ca_cert, EVP_PKEY *ca_key, const char *cert_path,
			   const char *key_path, struct cc_error *err)
{
	X509 *cert;
	EVP_PKEY *key;
	int r = cc_x509_issue(req, ca_cert, ca_key, &cert, &key, err);
	if (r < 0)
		return r;
	/* Key first: a certificate without its key would look complete on the next start. */
	r = cc_x509_write_key(key_path, key, err);
	if (r == 0)
		r = cc_x509_write_cert(cert_path, cert, err);
	free_pair(cert, key);
	return r;
}

int node_pki_ensure(const char *dir, const char *hosts, struct cc_error *err)
{
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return cc_error_set_errno(err, errno, "create PKI directory `%s`", dir);
	struct node_pki_paths p;
	node_pki_paths(dir, &p);
	_cleanup_free_ char *sans = subject_alt_names(hosts, err);
	if (!sans)
		return -EINVAL;
	int created = 0, r;
	if (access(p.ca_cert, F_OK) != 0) {
		struct cc_cert_request ca = { .usage = CC_CERT_CA, .common_name = "cocoon node CA", .days = 3650 };
		r = issue_and_write(&ca, NULL, NULL, p.ca_cert, p.ca_key, err);
		if (r < 0)
			return r;
		created = 1;
		/* A new CA invalidates certificates issued by an old one. */
		unlink(p.server_cert);
		unlink(p.admin_cert);
	}
	X509 *ca_cert = NULL;
	EVP_PKEY *ca_key = NULL;
	if ((r = cc_x509_read_cert(p.ca_cert, &ca_cert, err)) < 0 ||
	    (r = cc_x509_read_key(p.ca_key, &ca_key, err)) < 0) {
		free_pair(ca_cert, ca_key);
		return r;
	}
	if (access(p.server_cert, F_OK) != 0) {
		struct cc_cert_request server = {
			.usage = CC_CERT_SERVER, .common_name = "cocoond", .subject_alt_names = sans, .days = 825
		};
		r = issue_and_write(&server, ca_cert, ca_key, p.server_cert, p.server_key, err);
		if (r < 0)
			goto out;
		created = 1;
	}
	if (access(p.admin_cert, F_OK) != 0) {
		struct cc_cert_request admin = {
			.usage = CC_CERT_CLIENT, .common_name = "admin", .organization = "system:masters", .days = 365
		};
		r = issue_and_write(&admin, ca_cert, ca_key, p.admin_cert, p.admin_key, err);
		if (r < 0)
			goto out;
		created = 1;
	}
	r = created;
out:
	free_pair(ca_cert, ca_key);
	return r;
}
