/* What provider.c (the requests), reconcile.c (start-up) and refresh.c (Refresh) share; not for
 * other files. */
#pragma once

#include "scale/provider/provider.h"
#include "scale/provider/state.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct scale_provider {
	pthread_mutex_t lock; /* guards blocks; never held across a driver step */
	struct scale_blocks blocks;
	struct scale_driver *driver;
	char *state_path;
	int lock_fd; /* flock on DIR/lock: one provider per state directory */
	int max_blocks;
	const struct scale_template *node_template; /* the caller's, or default_template */
	struct scale_template default_template;
	/* Refresh: one lists at a time (refresh_lock, held across the driver's list but never with
	 * lock), and at most once per interval; the fields below are guarded by refresh_lock. */
	pthread_mutex_t refresh_lock;
	int64_t refresh_interval_ms;
	bool listed;           /* a list worked or failed since start (the start-up reconcile counts) */
	int64_t listed_at_ms;  /* monotonic */
	char *refresh_failure; /* why the last list failed; NULL when it worked */
};

/* Notes that the driver was just listed (with err the failure, or NULL), which starts the refresh
 * interval. Called with refresh_lock held, or before the provider serves. */
void scale_provider_note_listed(struct scale_provider *p, const struct cc_error *err);

/* Saves the table; a failure is logged and returned (err may be NULL). Called with the lock held. */
int scale_provider_save(struct scale_provider *p, struct cc_error *err);
