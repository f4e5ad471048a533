/* grpc.health.v1.Health/Check: the standard gRPC health service. Components register their
 * services' serving state; the empty service name stands for the whole server. */
#pragma once

#include "lib/net/grpc.h"

#include <stdbool.h>

struct cc_grpc_health;

struct cc_grpc_health *cc_grpc_health_new(void);
void cc_grpc_health_free(struct cc_grpc_health *h);
/* Sets a service's state (serving true/false); "" is the server as a whole. */
void cc_grpc_health_set(struct cc_grpc_health *h, const char *service, bool serving);
/* The method table entry to pass to the server. */
struct cc_grpc_method cc_grpc_health_method(struct cc_grpc_health *h);
