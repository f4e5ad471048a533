/* The client side the kubectl-like verbs share (get, apply, delete, logs, describe, exec): how they
 * reach cocoond's Kubernetes API (--server and --pki, or --socket), requests that print a failure as
 * kubectl does ("Error from server (NotFound): ..."), and discovery: resources found by plural,
 * singular or short name, or by kind. */
#pragma once

#include "lib/net/client.h"

#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct kube {
	const char *program; /* "cocoon get": the prefix of messages */
	char server[300];    /* https://HOST:PORT, or http://localhost over the socket */
	struct cc_http_client_config http;
	char ca[4096], cert[4096], key[4096];
	const char *pki;
	const char *namespace;
	bool all_namespaces;
	const char *selector;
	const char *output;
	const char *file;
	json_t *discovery; /* [{path, resource}] for every served resource */
};

struct resource {
	char prefix[160];   /* "/api/v1" or "/apis/apps/v1" */
	const json_t *info; /* the APIResource from discovery */
	const char *group;
};

/* The connection options every verb takes: -n/--namespace, --server, --pki and --socket (long only:
 * kubectl's -s and -p mean other things in some verbs). kube_options returns the verb's own table
 * (ending with a zero entry) followed by them, malloc'd; kube_option takes them from getopt. */
struct option *kube_options(const struct option *verb_options);
#define KUBE_CONNECTION_USAGE                                                                                          \
	"  -n, --namespace NS  the namespace (default: default)\n"                                                     \
	"  --server URL        API URL (default https://127.0.0.1:7443)\n"                                             \
	"  --pki DIR           CA and admin certificate from DIR (default /var/lib/cocoon/pki)\n"                      \
	"  --socket PATH       the local unix socket instead (root is an administrator there)\n"

void kube_init(struct kube *k, const char *program);
/* Takes one of the connection options (getopt's c and optarg); false when c is not one. */
bool kube_option(struct kube *k, int c, const char *arg);
/* After the options: the URL and TLS files from them. */
void kube_connect(struct kube *k);
void kube_clear(struct kube *k);
const char *kube_namespace(const struct kube *k);

/* Sends and parses the JSON answer. A failure (transport, or an HTTP error other than a 404 the
 * caller asked to see through ret) is printed as kubectl does and returns -1. */
int kube_request(struct kube *k, const char *method, const char *path, const char *type, const char *body,
		 const char *accept, long *ret_status, json_t **ret);
/* GET path; 404 included: printed ("Error from server (NotFound): ...") and -1. */
int kube_get(struct kube *k, const char *path, json_t **ret);
/* Prints an error Status document (or a bare HTTP status) as kubectl does. */
void kube_print_status(long status, const json_t *doc);

int kube_load_discovery(struct kube *k);
/* By name (get, delete: plural, singular, short name or kind) or by kind and apiVersion (apply). */
bool kube_find_resource(struct kube *k, const char *name, const char *api_version, struct resource *ret);
/* API path of a collection (name NULL) or an object; namespace NULL: all namespaces. */
char *kube_object_path(const struct resource *r, const char *namespace, const char *name);
/* "configmap" or "deployment.apps", as kubectl names objects. */
void kube_type_name(const struct resource *r, char *out, size_t size);

/* Percent-encodes a query value (RFC 3986 unreserved characters stay). */
char *kube_query_escape(const char *value);
