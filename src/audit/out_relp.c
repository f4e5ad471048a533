/* relp+tls://HOST:PORT output: RELP (the Reliable Event Logging Protocol, via librelp) over
 * mutual TLS. Every syslog command is answered by the receiver with a response; only "200 OK"
 * means the receiver took the message.
 *
 * librelp answers responses inside the client and retransmits unanswered messages itself, but
 * tells its caller neither which were answered nor when. So each batch runs in its own RELP
 * session: the messages are sent, then the session is closed, and librelp's close waits for the
 * receiver's answer to "close". Responses come in order, so that answer follows the answers to
 * every message of the batch. Any error librelp reports meanwhile (a refused connection, a
 * certificate that does not verify, a broken session, a timeout, a response other than 200) fails
 * the batch, which then stays in the queue and is sent again: duplicates, never losses. */
#include "audit/output.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/log.h"
#include "lib/net/address.h"

#include <errno.h>
#include <librelp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RELP_TIMEOUT_S 10
#define RELP_WINDOW    256 /* messages in flight before waiting for their responses */

struct relp_settings {
	struct audit_tls tls;
};

static const struct audit_setting relp_settings[] = {
	AUDIT_TLS_SETTINGS(struct relp_settings, tls),
	AUDIT_TLS_SERVER_NAME_SETTING(struct relp_settings, tls),
	{ 0 },
};

struct relp_state {
	relpEngine_t *engine;
	bool failed;       /* librelp reported an error during the current batch */
	char failure[256]; /* its first message */
};

/* librelp reports errors through these callbacks; pUsr is the output's state. */
static void record_failure(struct relp_state *s, const char *what, const char *message, relpRetVal code)
{
	if (!s || s->failed)
		return;
	s->failed = true;
	snprintf(s->failure, sizeof(s->failure), "%s: %s (librelp error %d)", what, message, code);
}

static void on_error(void *user, char *object, char *message, relpRetVal code)
{
	record_failure(user, object, message, code);
}

static void on_auth_error(void *user, char *auth, char *message, relpRetVal code)
{
	record_failure(user, auth, message, code);
}

static void on_generic_error(char *object, char *message, relpRetVal code)
{
	cc_warning("relp: %s: %s (librelp error %d)", object, message, code);
}

/* librelp calls its debug printer unconditionally and has none by default. */
static void no_debug_output(char *format, ...)
{
}

static int make_engine(struct relp_state *s, struct cc_error *err)
{
	if (relpEngineConstruct(&s->engine) != RELP_RET_OK)
		return cc_error_set(err, ENOMEM, "cannot create a RELP engine");
	relpEngineSetDbgprint(s->engine, no_debug_output);
	/* GnuTLS: the TLS library of librelp's and rsyslog's longest use */
	if (relpEngineSetTLSLib(s->engine, RELP_USE_GNUTLS) != RELP_RET_OK ||
	    relpEngineSetEnableCmd(s->engine, (unsigned char *)"syslog", eRelpCmdState_Required) != RELP_RET_OK)
		return cc_error_set(err, EINVAL, "cannot configure the RELP engine");
	relpEngineSetOnErr(s->engine, on_error);
	relpEngineSetOnAuthErr(s->engine, on_auth_error);
	relpEngineSetOnGenericErr(s->engine, on_generic_error);
	return 0;
}

/* A client for one batch: TLS with our certificate, the receiver verified against the CA and its
 * name (RELP's "name" mode: the certificate's DNS name or common name must be the expected one). */
static int open_client(struct audit_output *o, struct relp_state *s, relpClt_t **ret, struct cc_error *err)
{
	struct cc_address addr;
	int r = cc_address_parse(o->target, &addr, err);
	if (r < 0)
		return r;
	if (addr.is_unix || addr.port == 0)
		return cc_error_set(err, EINVAL, "relp+tls target must be HOST:PORT, not `%s`", o->target);
	const struct audit_tls *tls = &((const struct relp_settings *)o->settings.values)->tls;
	if (!tls->ca_file || !tls->cert_file)
		return cc_error_set(err, EINVAL, "RELP over TLS needs --ca, --cert and --key (mutual TLS)");
	relpClt_t *clt;
	if (relpEngineCltConstruct(s->engine, &clt) != RELP_RET_OK)
		return cc_error_set(err, ENOMEM, "cannot create a RELP client");
	char port[8];
	snprintf(port, sizeof(port), "%u", addr.port);
	const char *name = tls->server_name ? tls->server_name : addr.host;
	const char *key = tls->key_file ? tls->key_file : tls->cert_file;
	if (relpCltSetUsrPtr(clt, s) != RELP_RET_OK || relpCltSetTimeout(clt, RELP_TIMEOUT_S) != RELP_RET_OK ||
	    relpCltSetConnTimeout(clt, RELP_TIMEOUT_S) != RELP_RET_OK ||
	    relpCltSetWindowSize(clt, RELP_WINDOW) != RELP_RET_OK || relpCltEnableTLS(clt) != RELP_RET_OK ||
	    relpCltSetCACert(clt, (char *)tls->ca_file) != RELP_RET_OK ||
	    relpCltSetOwnCert(clt, (char *)tls->cert_file) != RELP_RET_OK ||
	    relpCltSetPrivKey(clt, (char *)key) != RELP_RET_OK ||
	    relpCltSetAuthMode(clt, (char *)"name") != RELP_RET_OK ||
	    relpCltAddPermittedPeer(clt, (char *)name) != RELP_RET_OK) {
		relpEngineCltDestruct(s->engine, &clt);
		return cc_error_set(err, EINVAL, "cannot configure the RELP client for %s", o->target);
	}
	relpRetVal rr = relpCltConnect(clt, 0, (unsigned char *)port, (unsigned char *)addr.host);
	if (rr != RELP_RET_OK) {
		record_failure(s, "connect", "no RELP session", rr);
		relpEngineCltDestruct(s->engine, &clt);
		return cc_error_set(err, ECONNREFUSED, "RELP receiver %s: %s", o->target, s->failure);
	}
	*ret = clt;
	return 0;
}

static int relp_send(struct audit_output *o, const struct audit_message *batch, size_t count, struct cc_error *err)
{
	struct relp_state *s = o->state;
	int r;
	if (!s) {
		s = o->state = cc_xcalloc(1, sizeof(*s));
		if ((r = make_engine(s, err)) < 0)
			return r;
	}
	s->failed = false;
	s->failure[0] = '\0';
	relpClt_t *clt;
	if ((r = open_client(o, s, &clt, err)) < 0)
		return r;
	for (size_t i = 0; i < count && !s->failed; i++) {
		relpRetVal rr = relpCltSendSyslog(clt, (unsigned char *)batch[i].data, batch[i].len);
		if (rr != RELP_RET_OK)
			record_failure(s, "send", "the message was not sent", rr);
	}
	relpEngineCltDestruct(s->engine, &clt); /* the close handshake: every response is in */
	if (s->failed)
		return cc_error_set(err, EPROTO, "RELP receiver %s: %s", o->target, s->failure);
	return 0;
}

static void relp_close(struct audit_output *o)
{
	struct relp_state *s = o->state;
	if (!s)
		return;
	if (s->engine)
		relpEngineDestruct(&s->engine);
	free(s);
	o->state = NULL;
}

const struct audit_output_ops audit_out_relp_tls = {
	.scheme = "relp+tls",
	.prefix = "relp+tls://",
	.usage = "relp+tls://HOST:PORT",
	.settings = relp_settings,
	.settings_size = sizeof(struct relp_settings),
	.default_format = AUDIT_FORMAT_RFC5424,
	.send = relp_send,
	.close = relp_close,
};
