/* Common includes and helpers for cmocka unit tests. */
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four above first. */
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A fresh temporary directory for one test; removed with rm -rf by unit_rmdir. */
static inline char *unit_tmpdir(void)
{
	char *dir = strdup("/tmp/cocoon-unit-XXXXXX");
	assert_non_null(mkdtemp(dir));
	return dir;
}

static inline void unit_rmdir(char *dir)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(dir);
}
