/* What provider.c (the requests) and reconcile.c (start-up) share; not for other files. */
#pragma once

#include "scale/provider/provider.h"
#include "scale/provider/state.h"

#include <pthread.h>

struct scale_provider {
	pthread_mutex_t lock; /* guards blocks; never held across a driver step */
	struct scale_blocks blocks;
	struct scale_driver *driver;
	char *state_path;
	int lock_fd; /* flock on DIR/lock: one provider per state directory */
	int max_blocks;
};

/* Saves the table; a failure is logged and returned (err may be NULL). Called with the lock held. */
int scale_provider_save(struct scale_provider *p, struct cc_error *err);
