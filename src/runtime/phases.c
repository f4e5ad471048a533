/* Phase timing (see phases.h). */
#include "runtime/phases.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void runtime_phases_init(struct runtime_phases *p)
{
	memset(p, 0, sizeof(*p));
	const char *env = getenv("COCOON_RUNTIME_PROFILE");
	p->enabled = env && *env && strcmp(env, "0") != 0;
	if (p->enabled)
		p->last_ns = now_ns();
}

void runtime_phases_mark(struct runtime_phases *p, const char *name)
{
	if (!p || !p->enabled)
		return;
	uint64_t now = now_ns();
	uint64_t spent = now - p->last_ns;
	p->last_ns = now;
	for (size_t i = 0; i < p->count; i++)
		if (strcmp(p->items[i].name, name) == 0) {
			p->items[i].ns += spent;
			return;
		}
	if (p->count < RUNTIME_PHASES_MAX)
		p->items[p->count++] = (typeof(p->items[0])){ .name = name, .ns = spent };
}

void runtime_phases_report(const struct runtime_phases *p)
{
	if (!p->enabled)
		return;
	fputs("{\"phases\":{", stderr);
	for (size_t i = 0; i < p->count; i++)
		fprintf(stderr, "%s\"%s\":%llu", i ? "," : "", p->items[i].name,
			(unsigned long long)(p->items[i].ns / 1000));
	fputs("}}\n", stderr);
}
