/* Audit outputs: one interface, one file per kind (out_file.c, out_syslog.c, out_relp.c,
 * out_hec.c), one registry. An output takes a batch of formatted messages and confirms it only
 * when the batch is as delivered as its protocol can tell: fsynced for a file; for syslog over TLS,
 * written and acknowledged by the receiver's TCP stack on a connection the receiver has not closed;
 * for RELP, answered "200 OK" by the receiver; for HEC, accepted (or, with acknowledgement,
 * indexed) by the collector. Only then does the forwarder advance the output's queue cursor. */
#pragma once

#include "audit/format.h"
#include "audit/route.h"
#include "audit/settings.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cc_error;

/* TLS client settings, for the kinds that connect to their receiver over TLS: each puts one in
 * its own settings struct and AUDIT_TLS_SETTINGS (and AUDIT_TLS_SERVER_NAME_SETTING when it can
 * check the name) in its table: the `tls` section of its entry in the configuration file; --ca,
 * --cert, --key and --server-name on the command line. */
struct audit_tls {
	const char *ca_file;   /* verify the receiver against this bundle */
	const char *cert_file; /* our client certificate (mutual TLS) */
	const char *key_file;
	const char *server_name; /* expected name in the receiver's certificate; default: the host */
};

#define AUDIT_TLS_SETTING(struct_, field_, key_, option_, arg_, member_, help_)                                        \
	{                                                                                                              \
		.section = "tls", .key = key_, .option = option_, .arg = arg_, .help = help_,                          \
		.type = AUDIT_SETTING_STRING, .offset = offsetof(struct_, field_.member_)                              \
	}

#define AUDIT_TLS_SETTINGS(struct_, field_)                                                                            \
	AUDIT_TLS_SETTING(struct_, field_, "ca", "ca", "FILE", ca_file, "CA bundle that verifies the receiver"),       \
	    AUDIT_TLS_SETTING(struct_, field_, "cert", "cert", "FILE", cert_file, "client certificate (mutual TLS)"),  \
	    AUDIT_TLS_SETTING(struct_, field_, "key", "key", "FILE", key_file,                                         \
			      "private key of the client certificate")

/* For the kinds that can check another name than the host's in the receiver's certificate. */
#define AUDIT_TLS_SERVER_NAME_SETTING(struct_, field_)                                                                 \
	AUDIT_TLS_SETTING(struct_, field_, "serverName", "server-name", "NAME", server_name,                           \
			  "name the receiver's certificate must carry (default: HOST)")

struct audit_message {
	const char *data;
	size_t len;
};

struct audit_output {
	const struct audit_output_ops *ops;
	char name[64]; /* cursor name: scheme + index */
	char *target;  /* host:port or path */
	enum audit_format format;
	struct audit_route route; /* which events this output receives (from "?..." in its URL) */
	bool routed;
	struct audit_settings settings; /* the kind's own (settings.h), read by the kind alone */
	void *state;                    /* the kind's connection state */
	/* metrics */
	uint64_t delivered, retried, failures;
	int64_t oldest_undelivered_ns;
};

struct audit_output_ops {
	const char *scheme;
	const char *prefix; /* of its URLs: "syslog+tls://" */
	const char *usage;  /* for messages: "syslog+tls://HOST:PORT" */
	enum audit_format default_format;
	const struct audit_setting *settings; /* its settings' table, or NULL */
	size_t settings_size;                 /* of its settings struct */
	/* Either send, which returns once the batch is confirmed ... */
	int (*send)(struct audit_output *o, const struct audit_message *batch, size_t count, struct cc_error *err);
	/* ... or write and confirm: write a batch without waiting, returning a mark for its end; then
	 * wait until everything up to a mark is confirmed. The forwarder writes the next batch while
	 * the previous one is being confirmed, so the receiver is never idle waiting for the sender.
	 * A mark from a closed connection never confirms. */
	int (*write)(struct audit_output *o, const struct audit_message *batch, size_t count, uint64_t *ret_mark,
		     struct cc_error *err);
	int (*confirm)(struct audit_output *o, uint64_t mark, struct cc_error *err);
	/* Optional: checks the settings (and reads what the output needs, such as a token) at start,
	 * so a misconfigured output fails before any input is read. */
	int (*prepare)(struct audit_output *o, struct cc_error *err);
	void (*close)(struct audit_output *o);
};

extern const struct audit_output_ops audit_out_file;
extern const struct audit_output_ops audit_out_syslog_tls;
extern const struct audit_output_ops audit_out_relp_tls;
extern const struct audit_output_ops audit_out_hec_https;

/* The registry: every output kind, NULL-terminated. */
extern const struct audit_output_ops *const audit_output_kinds[];

/* Parses "file:PATH", "syslog+tls://HOST:PORT", "relp+tls://HOST:PORT" or "hec+https://HOST:PORT",
 * each optionally followed by routing options
 * "?min-severity=warning&component=runtime,attest&tenant=bank-a", into o. */
int audit_output_parse(const char *spec, struct audit_output *o, struct cc_error *err);
void audit_output_free(struct audit_output *o);
