/* A client of one repository of an OCI registry: the pull half of the OCI Distribution
 * Specification (https://github.com/opencontainers/distribution-spec/blob/main/spec.md) over
 * lib/net/http_fetch.h, with Docker's token authentication
 * (https://distribution.github.io/distribution/spec/auth/token/) and HTTP basic authentication.
 *
 *   GET /v2/                            the version check: tells whether and how to authenticate
 *   GET /v2/NAME/manifests/REFERENCE    a manifest or index, by tag or digest
 *   GET /v2/NAME/blobs/DIGEST           a config or layer (redirects followed, https stays https)
 *
 * HTTPS is the default, verified against a CA file or the system store. tls_verify false is
 * podman's --tls-verify=false: HTTPS without verifying the certificate, and plain HTTP when the
 * registry does not speak TLS at all. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cc_error;

struct registry_options {
	const char *ca_file; /* NULL: the system store */
	bool tls_verify;
	const char *creds;     /* "USER:PASSWORD", or NULL; never logged */
	const char *auth_file; /* containers-auth.json(5) / docker config.json; NULL: see registry_auth_file */
	int stall_timeout_s;   /* a transfer slower than 1 KiB/s for this long fails; 0: 60 s */
	int64_t deadline_ms;   /* every request ends by this monotonic time (cc_time_monotonic_ms); 0: none */
	const int *cancel;     /* set non-zero by another thread: requests end with -ECANCELED */
};

/* ---- WWW-Authenticate (RFC 7235 §4.1) ---- */

struct registry_challenge {
	char *scheme; /* "Bearer", "Basic", ... as sent */
	char *realm, *service, *scope, *error;
};
void registry_challenge_clear(struct registry_challenge *c);
/* Parses the first challenge of a WWW-Authenticate value: `Bearer realm="https://auth/token",
 * service="registry",scope="repository:a/b:pull"` (auth-params as token=token or
 * token=quoted-string with backslash escapes). -EINVAL for a malformed value. */
int registry_parse_challenge(const char *value, struct registry_challenge *ret, struct cc_error *err);

/* ---- the client ---- */

struct registry_client;

/* domain: "host[:port]" as in a reference; repository: "ns/name". docker.io is reached at
 * registry-1.docker.io, and a one-component name there is under library/. */
int registry_client_new(const char *domain, const char *repository, const struct registry_options *opts,
			struct registry_client **ret, struct cc_error *err);
void registry_client_free(struct registry_client *c);

struct registry_manifest {
	char *data;
	size_t len;
	char *content_type;
	char digest[72]; /* "sha256:HEX" of data, computed here */
};
void registry_manifest_clear(struct registry_manifest *m);

/* reference: a tag or "sha256:HEX". By digest, the bytes must hash to it (-EBADMSG otherwise); a
 * Docker-Content-Digest header that disagrees with the bytes is refused too. -ENOENT when the
 * registry has no such manifest, with its answer in err. */
int registry_get_manifest(struct registry_client *c, const char *reference, struct registry_manifest *ret,
			  struct cc_error *err);

/* Streams the blob into fd (from its current offset) and checks it against the descriptor: exactly
 * size bytes hashing to digest; -EBADMSG otherwise. */
int registry_get_blob(struct registry_client *c, const char *digest, uint64_t size, int fd, struct cc_error *err);

/* "http" or "https": what the client speaks to the registry since its version check. */
const char *registry_client_scheme(const struct registry_client *c);

/* The credentials file to read when none is given: $REGISTRY_AUTH_FILE,
 * $XDG_RUNTIME_DIR/containers/auth.json, $HOME/.config/containers/auth.json,
 * $HOME/.docker/config.json: the first that exists, or NULL. */
char *registry_auth_file(void);
/* "USER:PASSWORD" for domain from such a file (its `auths` map, `auth` base64 or
 * `username`/`password`), or NULL (none there, or the file unreadable: err says why, code 0 when
 * simply absent). */
char *registry_auth_lookup(const char *path, const char *domain, struct cc_error *err);
