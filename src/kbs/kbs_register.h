/* TPM node registration with the key broker by credential activation (see kbs_register.c). The
 * registrar is given what it needs (the store and the EK CA bundle) and does not know the broker. */
#pragma once

#include "lib/net/http.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cc_store;
struct kbs_registrations;

struct kbs_registrar_config {
	struct cc_store *store; /* the tenants' enrollments and nodes (kbs_tenant.h) */
	const char *ek_ca;      /* TPM manufacturers' EK CAs (PEM bundle), or NULL: no registration */
	size_t ek_ca_len;
};

/* Keeps cfg's pointers, which must outlive the registrar. */
struct kbs_registrations *kbs_registrations_new(const struct kbs_registrar_config *cfg);
void kbs_registrations_free(struct kbs_registrations *r);

/* True when data is an X.509 certificate (DER or PEM): an enrollment, not an AK. */
bool kbs_is_certificate(const uint8_t *data, size_t len);

/* Route handlers; userdata is the struct kbs_registrations. */
void kbs_handle_register(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata);
void kbs_handle_activate(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata);
