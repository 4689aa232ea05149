/*
 * memdirty [MIB] [PASSES] [MS]: keep writing memory, checking every word.
 * MIB MiB (default 16) are mapped; pass p (1..PASSES, default 100) first
 * checks that every page still holds what pass p-1 wrote, then rewrites
 * all of it with pass p's pattern, then sleeps MS ms (default 20; 0: none).
 * The words are a function of (pass, page, word), so a page lost or
 * stale after a live move shows as "memdirty: MISMATCH ..." and exit 1.
 * Prints "memdirty: pass P ok" after pass 1 and every 10 passes, and at the end
 * "memdirty: ok, PASSES passes over MIB MiB, checksum X" (the sum of the
 * last pass's words, the same on every run with the same arguments).
 * The live-move tests and bench/migrate.sh run it (the dirty rate is
 * MIB per pass).
 */
#include "ulib.h"

static unsigned long pattern(long pass, unsigned long page, unsigned long word)
{
	return (unsigned long)pass * 0x9e3779b97f4a7c15ul ^ page << 20 ^ word ^ 0x5bd1e995ul;
}

int main(int argc, char **argv)
{
	long mib = argc > 1 ? atol(argv[1]) : 16, passes = argc > 2 ? atol(argv[2]) : 100;
	long ms = argc > 3 ? atol(argv[3]) : 20;
	unsigned long npages = (unsigned long)mib << 8, sum = 0;
	struct timespec gap = { ms / 1000, ms % 1000 * 1000000 };
	struct msg m = { .n = 0 };
	unsigned long *mem = mmap(0, npages * PAGE_SIZE, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if ((long)mem < 0 && (long)mem > -4096) {
		print("memdirty: mmap failed\n");
		return 1;
	}
	for (long p = 1; p <= passes; p++) {
		sum = 0;
		for (unsigned long pg = 0; pg < npages; pg++) {
			unsigned long *w = mem + pg * (PAGE_SIZE / 8);
			for (unsigned long i = 0; i < PAGE_SIZE / 8; i++) {
				if (p > 1 && w[i] != pattern(p - 1, pg, i)) {
					msg_str(&m, "memdirty: MISMATCH in pass ");
					msg_long(&m, p);
					msg_str(&m, " at page ");
					msg_long(&m, (long)pg);
					msg_str(&m, " word ");
					msg_long(&m, (long)i);
					msg_str(&m, ": ");
					msg_hex(&m, w[i]);
					msg_str(&m, "\n");
					msg_send(&m);
					return 1;
				}
				w[i] = pattern(p, pg, i);
				sum += w[i];
			}
		}
		if (p == 1 || p % 10 == 0) {
			msg_str(&m, "memdirty: pass ");
			msg_long(&m, p);
			msg_str(&m, " ok\n");
			msg_send(&m);
		}
		if (ms)
			nanosleep(&gap, 0);
	}
	msg_str(&m, "memdirty: ok, ");
	msg_long(&m, passes);
	msg_str(&m, " passes over ");
	msg_long(&m, mib);
	msg_str(&m, " MiB, checksum ");
	msg_hex(&m, sum);
	msg_str(&m, "\n");
	msg_send(&m);
	return 0;
}
