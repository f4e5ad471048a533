/* The pod runner's image puller: pulls from registries run on a thread of their own, so the
 * runner's thread (which holds the pod registry's lock for each step) never waits on the network.
 * The runner asks for an image by its reference and polls: the first ask starts a pull, later asks
 * say it is still going, and the one after it ended gets the outcome (once: the next ask pulls
 * again, which is what imagePullPolicy Always wants at each start). Pulls run one at a time, in the
 * order asked, each bounded by POD_PULL_TIMEOUT_S. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pod_puller;
struct platform_pods;

#define POD_PULL_TIMEOUT_S 300
/* An outcome nobody asked for within this long is forgotten. */
#define POD_PULL_KEEP_S 600
#define POD_PULL_MAX    256

enum pod_pull_state {
	POD_PULL_NONE,    /* no pull of it known (an ask that does not start one) */
	POD_PULL_STARTED, /* this ask queued the pull */
	POD_PULL_PULLING, /* queued or running since an earlier ask */
	POD_PULL_DONE,    /* in the store now */
	POD_PULL_FAILED,  /* message says why */
};

struct pod_pull_outcome {
	char message[1024];
	int64_t pull_ms;  /* from the pull's start to its end */
	int64_t total_ms; /* from the first ask to the end, waiting in the queue included */
};

/* The runner's puller, made at the first ask with the runner's registry settings (pods.h):
 * registry_ca, insecure_registries, the image store's root. */
struct pod_puller *pods_puller(struct platform_pods *p);
/* Cancels a running pull, waits for the thread, frees. NULL is fine. */
void pod_puller_free(struct pod_puller *puller);

/* start false: only looks (POD_PULL_NONE when no pull of ref is known); an outcome is handed out
 * either way. */
enum pod_pull_state pod_puller_ask(struct pod_puller *puller, const char *ref, bool start,
				   struct pod_pull_outcome *ret);

/* Whether ref names a local image (no registry, or localhost/): those are never pulled. */
bool pod_pull_is_local(const char *ref);
/* The API server's default imagePullPolicy for ref: Always when its tag is `latest` (given, or
 * implied by neither a tag nor a digest), else IfNotPresent. */
const char *pod_pull_default_policy(const char *ref);
