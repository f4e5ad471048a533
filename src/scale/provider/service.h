/* The gRPC face of the provider: Cluster Autoscaler's externalgrpc CloudProvider service
 * (proto/externalgrpc.proto) as a method table for cc_server_start. Each handler unpacks the
 * request, asks the provider (provider.h) and packs the answer; the provider's refusals become gRPC
 * statuses with their reason. Only clients with a certificate chained to the configured CA are
 * served: the server requires one, and every handler checks again (UNAUTHENTICATED), so a
 * configuration that forgot the CA cannot open the door. */
#pragma once

#include "lib/net/grpc.h"
#include "scale/provider/provider.h"

#define SCALE_PROVIDER_METHOD_COUNT 15

/* Fills methods with every method of the service; the pricing and GPU ones answer UNIMPLEMENTED. */
void scale_provider_service_methods(struct scale_provider *p,
				    struct cc_grpc_method methods[SCALE_PROVIDER_METHOD_COUNT]);

/* The gRPC status for a provider errno (see provider.h). */
enum cc_grpc_code scale_provider_grpc_code(int negative_errno);
