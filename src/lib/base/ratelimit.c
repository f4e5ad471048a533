/* Log rate limiting (see ratelimit.h): a fixed window on the monotonic clock. */
#include "lib/base/ratelimit.h"

#include "lib/base/timeutil.h"

bool cc_ratelimit_allow(struct cc_ratelimit *rl, uint64_t *ret_suppressed)
{
	int64_t now = cc_time_monotonic_ms();
	if (rl->window_start_ms == 0 || now - rl->window_start_ms >= rl->interval_ms) {
		rl->window_start_ms = now;
		rl->in_window = 0;
	}
	if (rl->in_window >= rl->burst) {
		rl->suppressed++;
		return false;
	}
	rl->in_window++;
	*ret_suppressed = rl->suppressed;
	rl->suppressed = 0;
	return true;
}
