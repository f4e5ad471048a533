/* The externalgrpc CloudProvider methods (see service.h). protoc-c names every type and function
 * after the package, clusterautoscaler.cloudprovider.v1.externalgrpc, hence two shorthands:
 * MSG(NodeGroup) is the message struct, PB(node_group__unpack) its function. The INIT macros keep
 * their full names. */
#include "scale/provider/service.h"

#include "externalgrpc.pb-c.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define MSG(name) Clusterautoscaler__Cloudprovider__V1__Externalgrpc__##name
#define PB(name)  clusterautoscaler__cloudprovider__v1__externalgrpc__##name
#define SERVICE   "/clusterautoscaler.cloudprovider.v1.externalgrpc.CloudProvider/"

enum cc_grpc_code scale_provider_grpc_code(int negative_errno)
{
	switch (-negative_errno) {
	case EINVAL: return CC_GRPC_INVALID_ARGUMENT;
	case ENOENT: return CC_GRPC_NOT_FOUND;
	case EBUSY:
	case EEXIST:
	case EPERM: return CC_GRPC_FAILED_PRECONDITION;
	case ENOSPC: return CC_GRPC_RESOURCE_EXHAUSTED;
	case EIO:
	case ETIMEDOUT:
	case EAGAIN: return CC_GRPC_UNAVAILABLE;
	default: return CC_GRPC_INTERNAL;
	}
}

static enum cc_grpc_code fail_with(struct cc_grpc_call *call, int r, const struct cc_error *err)
{
	return cc_grpc_fail(call, scale_provider_grpc_code(r), "%s", cc_error_message(err));
}

/* The server already refuses a TLS client without a verified certificate; this is the second lock. */
static bool refused(struct cc_grpc_call *call)
{
	if (call->peer && call->peer->cert_verified)
		return false;
	cc_grpc_fail(call, CC_GRPC_UNAUTHENTICATED, "a client certificate of the provider's --client-ca is required");
	return true;
}

static const char *actor_of(const struct cc_grpc_call *call)
{
	return call->peer->common_name[0] ? call->peer->common_name : call->peer->subject;
}

/* Unpacks a request of type T into a variable req freed at scope end, or answers INVALID_ARGUMENT. */
#define UNPACK(T, fn, req)                                                                                             \
	if (refused(call))                                                                                             \
		return call->status;                                                                                   \
	_cleanup_(fn##__free_unpackedp) MSG(T) *req = PB(fn##__unpack)(NULL, len, request);                            \
	if (!req)                                                                                                      \
		return cc_grpc_fail(call, CC_GRPC_INVALID_ARGUMENT, "request is not a " #T " message");

#define DEFINE_FREEP(T, fn)                                                                                            \
	static inline void fn##__free_unpackedp(MSG(T) * *p)                                                           \
	{                                                                                                              \
		if (*p)                                                                                                \
			PB(fn##__free_unpacked)(*p, NULL);                                                             \
	}
DEFINE_FREEP(NodeGroupsRequest, node_groups_request)
DEFINE_FREEP(NodeGroupForNodeRequest, node_group_for_node_request)
DEFINE_FREEP(NodeGroupTargetSizeRequest, node_group_target_size_request)
DEFINE_FREEP(NodeGroupIncreaseSizeRequest, node_group_increase_size_request)
DEFINE_FREEP(NodeGroupDeleteNodesRequest, node_group_delete_nodes_request)
DEFINE_FREEP(NodeGroupDecreaseTargetSizeRequest, node_group_decrease_target_size_request)
DEFINE_FREEP(NodeGroupNodesRequest, node_group_nodes_request)
DEFINE_FREEP(NodeGroupAutoscalingOptionsRequest, node_group_autoscaling_options_request)
DEFINE_FREEP(RefreshRequest, refresh_request)
DEFINE_FREEP(CleanupRequest, cleanup_request)
DEFINE_FREEP(NodeGroupTemplateNodeInfoRequest, node_group_template_node_info_request)

static void fill_group(MSG(NodeGroup) * out, const struct scale_group_info *info, int max_size)
{
	*out = (MSG(NodeGroup))CLUSTERAUTOSCALER__CLOUDPROVIDER__V1__EXTERNALGRPC__NODE_GROUP__INIT;
	out->id = (char *)info->id;
	out->minsize = 0;
	out->maxsize = max_size;
	out->debug = (char *)info->debug;
}

static enum cc_grpc_code node_groups(struct cc_grpc_call *call, const uint8_t *request, size_t len, struct cc_buf *resp,
				     void *userdata)
{
	struct scale_provider *p = userdata;
	UNPACK(NodeGroupsRequest, node_groups_request, req);
	size_t n = scale_provider_group_count(p);
	_cleanup_free_ struct scale_group_info *infos = cc_xcalloc(n, sizeof(*infos));
	_cleanup_free_ MSG(NodeGroup) *groups = cc_xcalloc(n, sizeof(*groups));
	_cleanup_free_ MSG(NodeGroup) **list = cc_xcalloc(n, sizeof(*list));
	for (size_t i = 0; i < n; i++) {
		scale_provider_group_at(p, i, &infos[i]);
		fill_group(&groups[i], &infos[i], scale_provider_nodes_per_block(p));
		list[i] = &groups[i];
	}
	MSG(NodeGroupsResponse) out = CLUSTERAUTOSCALER__CLOUDPROVIDER__V1__EXTERNALGRPC__NODE_GROUPS_RESPONSE__INIT;
	out.n_nodegroups = n;
	out.nodegroups = list;
	return cc_grpc_reply(call, &out.base, resp);
}

static enum cc_grpc_code node_group_for_node(struct cc_grpc_call *call, const uint8_t *request, size_t len,
					     struct cc_buf *resp, void *userdata)
{
	struct scale_provider *p = userdata;
	UNPACK(NodeGroupForNodeRequest, node_group_for_node_request, req);
	if (!req->node)
		return cc_grpc_fail(call, CC_GRPC_INVALID_ARGUMENT, "NodeGroupForNode needs a node");
	char id[64];
	scale_provider_group_for_node(p, req->node->providerid, req->node->name, id);
	struct scale_group_info info = { 0 };
	struct cc_error err = { 0 };
	MSG(NodeGroup) group = CLUSTERAUTOSCALER__CLOUDPROVIDER__V1__EXTERNALGRPC__NODE_GROUP__INIT;
	if (id[0] && scale_provider_group(p, id, &info, &err) == 0)
		fill_group(&group, &info, scale_provider_nodes_per_block(p));
	/* else id "": a node no block owns, which Cluster Autoscaler then leaves alone */
	MSG(NodeGroupForNodeResponse)
	out = CLUSTERAUTOSCALER__CLOUDPROVIDER__V1__EXTERNALGRPC__NODE_GROUP_FOR_NODE_RESPONSE__INIT;
	out.nodegroup = &group;
	return cc_grpc_reply(call, &out.base, resp);
}

static enum cc_grpc_code target_size(struct cc_grpc_call *call, const uint8_t *request, size_t len, struct cc_buf *resp,
				     void *userdata)
{
	struct scale_provider *p = userdata;
	UNPACK(NodeGroupTargetSizeRequest, node_group_target_size_request, req);
	struct scale_group_info info;
	struct cc_error err = { 0 };
	int r = scale_provider_group(p, req->id, &info, &err);
	if (r < 0)
		return fail_with(call, r, &err);
	MSG(NodeGroupTargetSizeResponse)
	out = CLUSTERAUTOSCALER__CLOUDPROVIDER__V1__EXTERNALGRPC__NODE_GROUP_TARGET_SIZE_RESPONSE__INIT;
	out.targetsize = info.target_size;
	return cc_grpc_reply(call, &out.base, resp);
}

static enum cc_grpc_code increase_size(struct cc_grpc_call *call, const uint8_t *request, size_t len,
				       struct cc_buf *resp, void *userdata)
{
	struct scale_provider *p = userdata;
	UNPACK(NodeGroupIncreaseSizeRequest, node_group_increase_size_request, req);
	struct cc_error err = { 0 };
	int r = scale_provider_increase(p, req->id, req->delta, actor_of(call), &err);
	if (r < 0)
		return fail_with(call, r, &err);
	MSG(NodeGroupIncreaseSizeResponse)
	out = CLUSTERAUTOSCALER__CLOUDPROVIDER__V1__EXTERNALGRPC__NODE_GROUP_INCREASE_SIZE_RESPONSE__INIT;
	return cc_grpc_reply(call, &out.base, resp);
}

static enum cc_grpc_code delete_nodes(struct cc_grpc_call *call, const uint8_t *request, size_t len,
				      struct cc_buf *resp, void *userdata)
{
	struct scale_provider *p = userdata;
	UNPACK(NodeGroupDeleteNodesRequest, node_group_delete_nodes_request, req);
	_cleanup_free_ struct scale_node_ref *refs = cc_xcalloc(req->n_nodes ? req->n_nodes : 1, sizeof(*refs));
	for (size_t i = 0; i < req->n_nodes; i++)
		refs[i] =
		    (struct scale_node_ref){ .provider_id = req->nodes[i]->providerid, .name = req->nodes[i]->name };
	struct cc_error err = { 0 };
	int r = scale_provider_delete_nodes(p, req->id, refs, req->n_nodes, actor_of(call), &err);
	if (r < 0)
		return fail_with(call, r, &err);
	MSG(NodeGroupDeleteNodesResponse)
	out = CLUSTERAUTOSCALER__CLOUDPROVIDER__V1__EXTERNALGRPC__NODE_GROUP_DELETE_NODES_RESPONSE__INIT;
	return cc_grpc_reply(call, &out.base, resp);
}

static enum cc_grpc_code decrease_target(struct cc_grpc_call *call, const uint8_t *request, size_t len,
					 struct cc_buf *resp, void *userdata)
{
	struct scale_provider *p = userdata;
	UNPACK(NodeGroupDecreaseTargetSizeRequest, node_group_decrease_target_size_request, req);
	struct cc_error err = { 0 };
	int r = scale_provider_decrease_target(p, req->id, req->delta, actor_of(call), &err);
	if (r < 0)
		return fail_with(call, r, &err);
	MSG(NodeGroupDecreaseTargetSizeResponse)
	out = CLUSTERAUTOSCALER__CLOUDPROVIDER__V1__EXTERNALGRPC__NODE_GROUP_DECREASE_TARGET_SIZE_RESPONSE__INIT;
	return cc_grpc_reply(call, &out.base, resp);
}

static MSG(InstanceStatus__InstanceState) instance_state(enum scale_node_status s)
{
	switch (s) {
	case SCALE_NODE_CREATING:
		return CLUSTERAUTOSCALER__CLOUDPROVIDER__V1__EXTERNALGRPC__INSTANCE_STATUS__INSTANCE_STATE__instanceCreating;
	case SCALE_NODE_DELETING:
		return CLUSTERAUTOSCALER__CLOUDPROVIDER__V1__EXTERNALGRPC__INSTANCE_STATUS__INSTANCE_STATE__instanceDeleting;
	default:
		return CLUSTERAUTOSCALER__CLOUDPROVIDER__V1__EXTERNALGRPC__INSTANCE_STATUS__INSTANCE_STATE__instanceRunning;
	}
}

/* One instance's messages, kept together so the response can point into them. */
struct instance_msgs {
	MSG(Instance) instance;
	MSG(InstanceStatus) status;
	MSG(InstanceErrorInfo) error;
};

static enum cc_grpc_code node_group_nodes(struct cc_grpc_call *call, const uint8_t *request, size_t len,
					  struct cc_buf *resp, void *userdata)
{
	struct scale_provider *p = userdata;
	UNPACK(NodeGroupNodesRequest, node_group_nodes_request, req);
	struct scale_instances instances = { 0 };
	struct cc_error err = { 0 };
	int r = scale_provider_instances(p, req->id, &instances, &err);
	if (r < 0)
		return fail_with(call, r, &err);
	size_t n = instances.count;
	_cleanup_free_ struct instance_msgs *msgs = cc_xcalloc(n ? n : 1, sizeof(*msgs));
	_cleanup_free_ MSG(Instance) **list = cc_xcalloc(n ? n : 1, sizeof(*list));
	for (size_t i = 0; i < n; i++) {
		const struct scale_instance *in = &instances.items[i];
		struct instance_msgs *m = &msgs[i];
		m->instance = (MSG(Instance))CLUSTERAUTOSCALER__CLOUDPROVIDER__V1__EXTERNALGRPC__INSTANCE__INIT;
		m->status =
		    (MSG(InstanceStatus))CLUSTERAUTOSCALER__CLOUDPROVIDER__V1__EXTERNALGRPC__INSTANCE_STATUS__INIT;
		m->instance.id = in->id;
		m->instance.status = &m->status;
		m->status.instancestate = instance_state(in->status);
		if (in->error_code) {
			m->error = (MSG(InstanceErrorInfo))
			    CLUSTERAUTOSCALER__CLOUDPROVIDER__V1__EXTERNALGRPC__INSTANCE_ERROR_INFO__INIT;
			m->error.errorcode = in->error_code;
			m->error.errormessage = in->error_message;
			m->error.instanceerrorclass = in->error_class;
			m->status.errorinfo = &m->error;
		}
		list[i] = &m->instance;
	}
	MSG(NodeGroupNodesResponse)
	out = CLUSTERAUTOSCALER__CLOUDPROVIDER__V1__EXTERNALGRPC__NODE_GROUP_NODES_RESPONSE__INIT;
	out.n_instances = n;
	out.instances = list;
	enum cc_grpc_code code = cc_grpc_reply(call, &out.base, resp);
	scale_instances_clear(&instances);
	return code;
}

/* The caller's defaults, with all-or-nothing scaling: a block is never half there. */
static enum cc_grpc_code get_options(struct cc_grpc_call *call, const uint8_t *request, size_t len, struct cc_buf *resp,
				     void *userdata)
{
	struct scale_provider *p = userdata;
	UNPACK(NodeGroupAutoscalingOptionsRequest, node_group_autoscaling_options_request, req);
	struct scale_group_info info;
	struct cc_error err = { 0 };
	int r = scale_provider_group(p, req->id, &info, &err);
	if (r < 0)
		return fail_with(call, r, &err);
	MSG(NodeGroupAutoscalingOptions)
	options = CLUSTERAUTOSCALER__CLOUDPROVIDER__V1__EXTERNALGRPC__NODE_GROUP_AUTOSCALING_OPTIONS__INIT;
	if (req->defaults)
		options = *req->defaults; /* its pointers stay owned by req, which outlives the reply */
	options.zeroormaxnodescaling = 1;
	options.allownonatomicscaleuptomax = 0;
	MSG(NodeGroupAutoscalingOptionsResponse)
	out = CLUSTERAUTOSCALER__CLOUDPROVIDER__V1__EXTERNALGRPC__NODE_GROUP_AUTOSCALING_OPTIONS_RESPONSE__INIT;
	out.nodegroupautoscalingoptions = &options;
	return cc_grpc_reply(call, &out.base, resp);
}

/* Refresh runs before every Cluster Autoscaler loop: the provider's own steps keep the table
 * current, and a list now and then (--refresh-interval) catches what the cloud did behind its back.
 * A failed list is UNAVAILABLE, which stops CA's loop rather than letting it act blind. */
static enum cc_grpc_code refresh(struct cc_grpc_call *call, const uint8_t *request, size_t len, struct cc_buf *resp,
				 void *userdata)
{
	struct scale_provider *p = userdata;
	UNPACK(RefreshRequest, refresh_request, req);
	struct cc_error err = { 0 };
	int r = scale_provider_refresh(p, actor_of(call), &err);
	if (r < 0)
		return fail_with(call, r, &err);
	MSG(RefreshResponse) out = CLUSTERAUTOSCALER__CLOUDPROVIDER__V1__EXTERNALGRPC__REFRESH_RESPONSE__INIT;
	return cc_grpc_reply(call, &out.base, resp);
}

/* What a node of the block will look like: CA simulates the pending pods on it to decide whether
 * a new block helps, which it cannot do for a group of size 0 without a template. No
 * resourceSliceBytes: blocks carry no DRA devices. */
static enum cc_grpc_code template_node_info(struct cc_grpc_call *call, const uint8_t *request, size_t len,
					    struct cc_buf *resp, void *userdata)
{
	struct scale_provider *p = userdata;
	UNPACK(NodeGroupTemplateNodeInfoRequest, node_group_template_node_info_request, req);
	_cleanup_free_ uint8_t *bytes = NULL;
	size_t n = 0;
	struct cc_error err = { 0 };
	int r = scale_provider_template_node(p, req->id, &bytes, &n, &err);
	if (r < 0)
		return fail_with(call, r, &err);
	MSG(NodeGroupTemplateNodeInfoResponse)
	out = CLUSTERAUTOSCALER__CLOUDPROVIDER__V1__EXTERNALGRPC__NODE_GROUP_TEMPLATE_NODE_INFO_RESPONSE__INIT;
	out.nodebytes.data = bytes;
	out.nodebytes.len = n;
	return cc_grpc_reply(call, &out.base, resp);
}

/* Cleanup is Cluster Autoscaler shutting down; the provider keeps serving the next one. */
static enum cc_grpc_code cleanup(struct cc_grpc_call *call, const uint8_t *request, size_t len, struct cc_buf *resp,
				 void *userdata)
{
	UNPACK(CleanupRequest, cleanup_request, req);
	MSG(CleanupResponse) out = CLUSTERAUTOSCALER__CLOUDPROVIDER__V1__EXTERNALGRPC__CLEANUP_RESPONSE__INIT;
	return cc_grpc_reply(call, &out.base, resp);
}

/* The optional methods: UNIMPLEMENTED is how the interface says "not offered". */
static enum cc_grpc_code unimplemented(struct cc_grpc_call *call, const uint8_t *request, size_t len,
				       struct cc_buf *resp, void *userdata)
{
	if (refused(call))
		return call->status;
	return cc_grpc_fail(call, CC_GRPC_UNIMPLEMENTED, "%s is not offered by the cocoon SKU block provider",
			    call->method + strlen(SERVICE));
}

void scale_provider_service_methods(struct scale_provider *p,
				    struct cc_grpc_method methods[SCALE_PROVIDER_METHOD_COUNT])
{
	const struct cc_grpc_method table[SCALE_PROVIDER_METHOD_COUNT] = {
		{ SERVICE "NodeGroups", node_groups, p },
		{ SERVICE "NodeGroupForNode", node_group_for_node, p },
		{ SERVICE "NodeGroupTargetSize", target_size, p },
		{ SERVICE "NodeGroupIncreaseSize", increase_size, p },
		{ SERVICE "NodeGroupDeleteNodes", delete_nodes, p },
		{ SERVICE "NodeGroupDecreaseTargetSize", decrease_target, p },
		{ SERVICE "NodeGroupNodes", node_group_nodes, p },
		{ SERVICE "NodeGroupGetOptions", get_options, p },
		{ SERVICE "Refresh", refresh, p },
		{ SERVICE "Cleanup", cleanup, p },
		{ SERVICE "PricingNodePrice", unimplemented, p },
		{ SERVICE "PricingPodPrice", unimplemented, p },
		{ SERVICE "GPULabel", unimplemented, p },
		{ SERVICE "GetAvailableGPUTypes", unimplemented, p },
		{ SERVICE "NodeGroupTemplateNodeInfo", template_node_info, p },
	};
	memcpy(methods, table, sizeof(table));
}
