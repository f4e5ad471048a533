/* OpenSSL server contexts. Client certificates are verified by OpenSSL against client_ca during
 * the handshake (chain, validity, purpose sslclient); with require_client_cert a missing or bad
 * certificate aborts the handshake, so no handler ever runs for an unauthenticated peer. */
#include "lib/net/tls.h"

#include "lib/base/error.h"
#include "lib/crypto/encode.h"
#include "lib/net/peer.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <string.h>

const char *cc_tls_last_error(char *buf, size_t size)
{
	unsigned long e = ERR_peek_last_error();
	if (e == 0)
		snprintf(buf, size, "unknown TLS error");
	else
		ERR_error_string_n(e, buf, size);
	ERR_clear_error();
	return buf;
}

/* ALPN (RFC 7301): prefer h2 when the client offers it, else http/1.1. */
static int select_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
		       unsigned int inlen, void *arg)
{
	static const unsigned char preference[] = "\x02h2\x08http/1.1";
	unsigned char *selected = NULL;
	if (SSL_select_next_proto(&selected, outlen, preference, sizeof(preference) - 1, in, inlen) !=
	    OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	*out = selected;
	return SSL_TLSEXT_ERR_OK;
}

int cc_tls_server_context(const struct cc_tls_server_config *cfg, SSL_CTX **ret, struct cc_error *err)
{
	char why[256];
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx)
		return cc_error_set(err, ENOMEM, "cannot create TLS context: %s", cc_tls_last_error(why, sizeof(why)));
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	/* TLS 1.2 limited to AEAD suites with forward secrecy; TLS 1.3 suites are all of that kind. */
	SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20");
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	int r;
	if (SSL_CTX_use_certificate_chain_file(ctx, cfg->cert_file) != 1) {
		r = cc_error_set(err, EINVAL, "load TLS certificate `%s`: %s", cfg->cert_file,
				 cc_tls_last_error(why, sizeof(why)));
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, cfg->key_file, SSL_FILETYPE_PEM) != 1) {
		r = cc_error_set(err, EINVAL, "load TLS key `%s`: %s", cfg->key_file,
				 cc_tls_last_error(why, sizeof(why)));
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		r = cc_error_set(err, EINVAL, "TLS key `%s` does not match certificate `%s`", cfg->key_file,
				 cfg->cert_file);
		goto fail;
	}
	if (cfg->client_ca) {
		if (SSL_CTX_load_verify_locations(ctx, cfg->client_ca, NULL) != 1) {
			r = cc_error_set(err, EINVAL, "load client CA `%s`: %s", cfg->client_ca,
					 cc_tls_last_error(why, sizeof(why)));
			goto fail;
		}
		STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(cfg->client_ca);
		if (names)
			SSL_CTX_set_client_CA_list(ctx, names);
		int mode = SSL_VERIFY_PEER | (cfg->require_client_cert ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0);
		SSL_CTX_set_verify(ctx, mode, NULL);
		SSL_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT);
	}
	SSL_CTX_set_alpn_select_cb(ctx, select_alpn, NULL);
	/* Sessions are not resumed across restarts; a small in-memory cache is enough. */
	SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"cocoon", 6);
	*ret = ctx;
	return 0;
fail:
	SSL_CTX_free(ctx);
	return r;
}

void cc_tls_peer_identity(SSL *ssl, struct cc_peer *peer)
{
	peer->tls = true;
	X509 *cert = SSL_get0_peer_certificate(ssl);
	if (!cert || SSL_get_verify_result(ssl) != X509_V_OK)
		return;
	peer->cert_verified = true;
	X509_NAME *subject = X509_get_subject_name(cert);
	BIO *bio = BIO_new(BIO_s_mem());
	if (bio && X509_NAME_print_ex(bio, subject, 0, XN_FLAG_RFC2253) >= 0) {
		int n = BIO_read(bio, peer->subject, sizeof(peer->subject) - 1);
		peer->subject[n > 0 ? n : 0] = '\0';
	}
	BIO_free(bio);
	X509_NAME_get_text_by_NID(subject, NID_commonName, peer->common_name, sizeof(peer->common_name));
	int index = -1;
	while (peer->group_count < CC_PEER_MAX_GROUPS &&
	       (index = X509_NAME_get_index_by_NID(subject, NID_organizationName, index)) >= 0) {
		ASN1_STRING *value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
		unsigned char *utf8 = NULL;
		int len = ASN1_STRING_to_UTF8(&utf8, value);
		if (len > 0) {
			snprintf(peer->groups[peer->group_count++], sizeof(peer->groups[0]), "%.*s", len, utf8);
		}
		OPENSSL_free(utf8);
	}
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	if (X509_digest(cert, EVP_sha256(), md, &md_len) == 1 && md_len == 32)
		cc_hex_encode(md, md_len, peer->fingerprint);
}
