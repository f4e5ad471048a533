/* Rate limiting of log messages that someone outside can provoke (a producer sending bad lines,
 * a peer that misbehaves on every connection): at most burst messages per interval, and the first
 * message after a quiet spell says how many were held back, so the log stays readable and an
 * attacker cannot fill the disk through it, and nothing goes unmentioned. Not locked: one thread
 * owns each limiter, or its owner locks around it. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct cc_ratelimit {
	int64_t interval_ms;
	unsigned burst;
	int64_t window_start_ms;
	unsigned in_window;  /* messages let through in the current window */
	uint64_t suppressed; /* held back since the last one let through */
};

#define CC_RATELIMIT_INIT(interval_ms_, burst_)                                                                        \
	{                                                                                                              \
		.interval_ms = (interval_ms_), .burst = (burst_)                                                       \
	}

/* True when a message may be logged now; *ret_suppressed is then the number held back before it
 * (0 usually), for the message to mention. */
bool cc_ratelimit_allow(struct cc_ratelimit *rl, uint64_t *ret_suppressed);
