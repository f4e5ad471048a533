/* Phase timing (see phases.h). */
#include "runtime/phases.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

uint64_t runtime_phases_now(void)
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
		p->last_ns = runtime_phases_now();
}

void runtime_phases_mark(struct runtime_phases *p, const char *name)
{
	if (!p || !p->enabled)
		return;
	uint64_t now = runtime_phases_now();
	uint64_t spent = now - p->last_ns;
	p->last_ns = now;
	for (size_t i = 0; i < p->count; i++)
		if (strcmp(p->items[i].name, name) == 0) {
			p->items[i].ns += spent;
			return;
		}
	if (p->count < RUNTIME_PHASES_MAX)
		p->items[p->count++] = (struct runtime_phase){ .name = name, .ns = spent };
}

void runtime_phases_beside(struct runtime_phases *p, const char *name, uint64_t ns)
{
	if (p->enabled && p->beside_count < sizeof(p->beside) / sizeof(p->beside[0]))
		p->beside[p->beside_count++] = (struct runtime_phase){ .name = name, .ns = ns };
}

static void print_object(const char *key, const struct runtime_phase *items, size_t count)
{
	fprintf(stderr, "\"%s\":{", key);
	for (size_t i = 0; i < count; i++)
		fprintf(stderr, "%s\"%s\":%llu", i ? "," : "", items[i].name, (unsigned long long)(items[i].ns / 1000));
	fputc('}', stderr);
}

void runtime_phases_report(const struct runtime_phases *p)
{
	if (!p->enabled)
		return;
	fputc('{', stderr);
	print_object("phases", p->items, p->count);
	fputc(',', stderr);
	print_object("beside", p->beside, p->beside_count);
	fputs("}\n", stderr);
}
