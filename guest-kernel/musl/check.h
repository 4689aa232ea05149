/*
 * check.h: the ok/FAIL lines of the musl test programs.  Each program
 * defines PROG (its name) before including this; CHECK(cond) prints
 * "PROG: FAIL line N: cond" when cond is false, OK(what) prints
 * "PROG: ok what" when no check has failed since the last OK, and
 * finish() prints "PROG: done, N failed" and returns the exit status.
 * The integration test (tests/integration/proc.sh) looks for the ok lines.
 */
#ifndef CHECK_H
#define CHECK_H

#include <stdio.h>
#include <string.h>
#include <errno.h>

static int fails, fails_seen;

#define CHECK(cond) do { \
	if (!(cond)) { \
		printf("%s: FAIL line %d: %s (errno %d)\n", PROG, __LINE__, #cond, errno); \
		fails++; \
	} \
} while (0)

/* Report a group of checks: ok if none of them failed. */
static inline void OK(const char *what)
{
	if (fails == fails_seen)
		printf("%s: ok %s\n", PROG, what);
	else
		printf("%s: FAIL %s\n", PROG, what);
	fails_seen = fails;
	fflush(stdout);
}

static inline int finish(void)
{
	printf("%s: done, %d failed\n", PROG, fails);
	return fails ? 1 : 0;
}

#endif
