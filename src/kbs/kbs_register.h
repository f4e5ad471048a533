/* TPM node registration with the key broker by credential activation (see kbs_register.c). */
#pragma once

#include "lib/net/http.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kbs_registrations;

struct kbs_registrations *kbs_registrations_new(void);
void kbs_registrations_free(struct kbs_registrations *r);

/* True when data is an X.509 certificate (DER or PEM): an enrollment, not an AK. */
bool kbs_is_certificate(const uint8_t *data, size_t len);

void kbs_handle_register(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata);
void kbs_handle_activate(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata);
