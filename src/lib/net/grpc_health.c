/* gRPC health checking (grpc/grpc doc/health-checking.md): Check answers SERVING / NOT_SERVING for
 * a known service and NOT_FOUND for an unknown one. Watch (server streaming) is not offered;
 * clients get UNIMPLEMENTED for it, which the protocol allows. */
#include "lib/net/grpc_health.h"

#include "health.pb-c.h"
#include "lib/base/cleanup.h"

#include <pthread.h>
#include <string.h>

#define MAX_SERVICES 32

struct cc_grpc_health {
	pthread_mutex_t lock;
	struct {
		char name[128];
		bool serving;
	} services[MAX_SERVICES];
	int count;
};

struct cc_grpc_health *cc_grpc_health_new(void)
{
	struct cc_grpc_health *h = cc_xcalloc(1, sizeof(*h));
	pthread_mutex_init(&h->lock, NULL);
	cc_grpc_health_set(h, "", true);
	return h;
}

void cc_grpc_health_free(struct cc_grpc_health *h)
{
	if (h) {
		pthread_mutex_destroy(&h->lock);
		free(h);
	}
}

void cc_grpc_health_set(struct cc_grpc_health *h, const char *service, bool serving)
{
	pthread_mutex_lock(&h->lock);
	int i;
	for (i = 0; i < h->count; i++)
		if (strcmp(h->services[i].name, service) == 0)
			break;
	if (i == h->count && h->count < MAX_SERVICES) {
		snprintf(h->services[i].name, sizeof(h->services[i].name), "%s", service);
		h->count++;
	}
	if (i < h->count)
		h->services[i].serving = serving;
	pthread_mutex_unlock(&h->lock);
}

static enum cc_grpc_code check(struct cc_grpc_call *call, const uint8_t *request, size_t len, struct cc_buf *resp,
			       void *userdata)
{
	struct cc_grpc_health *h = userdata;
	Grpc__Health__V1__HealthCheckRequest *req = grpc__health__v1__health_check_request__unpack(NULL, len, request);
	if (!req)
		return cc_grpc_fail(call, CC_GRPC_INVALID_ARGUMENT,
				    "request is not a valid HealthCheckRequest message");
	int found = -1;
	pthread_mutex_lock(&h->lock);
	for (int i = 0; i < h->count; i++)
		if (strcmp(h->services[i].name, req->service) == 0)
			found = h->services[i].serving;
	pthread_mutex_unlock(&h->lock);
	if (found < 0) {
		enum cc_grpc_code code =
		    cc_grpc_fail(call, CC_GRPC_NOT_FOUND, "unknown service `%.128s`", req->service);
		grpc__health__v1__health_check_request__free_unpacked(req, NULL);
		return code;
	}
	grpc__health__v1__health_check_request__free_unpacked(req, NULL);
	Grpc__Health__V1__HealthCheckResponse out = GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__INIT;
	out.status = found ? GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING
			   : GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING;
	return cc_grpc_reply(call, &out.base, resp);
}

struct cc_grpc_method cc_grpc_health_method(struct cc_grpc_health *h)
{
	return (struct cc_grpc_method){ .path = "/grpc.health.v1.Health/Check", .handler = check, .userdata = h };
}
