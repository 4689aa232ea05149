/*
 * random.c: the kernel's random bytes (/dev/urandom, getrandom, AT_RANDOM).
 * Not cryptographic: xoshiro256** seeded from the TSC and, where the CPU
 * has it, RDRAND (both unprivileged: they run natively under trapvisor),
 * and stirred with the TSC on every call.
 */
#include "defs.h"

static u64 s[4];
static bool seeded;

static u64 rotl(u64 x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static u64 next(void)
{
	u64 r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return r;
}

static u64 tsc(void)
{
	u32 lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}

/* RDRAND if the CPU has it.  CPUID here is the one instruction x86.h
 * keeps out of the kernel, because without CPUID faulting it reports the
 * host's CPU: which is right for this question, as RDRAND runs natively
 * on the host either way. */
static u64 hw_random(void)
{
	u32 a, b, c, d;
	u64 v = 0;
	unsigned char ok = 0;

	asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
	if (c & (1u << 30))
		asm volatile("rdrand %0; setc %1" : "=r"(v), "=qm"(ok));
	return ok ? v : 0;
}

static void seed(void)
{
	u64 x = tsc() ^ hw_random() ^ 0x9e3779b97f4a7c15ul;

	for (int i = 0; i < 4; i++) {
		/* splitmix64 spreads one seed over the state */
		x += 0x9e3779b97f4a7c15ul;
		u64 z = x;
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ul;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebul;
		s[i] = z ^ (z >> 31);
	}
	seeded = true;
}

void random_bytes(void *buf, u64 n)
{
	u8 *p = buf;

	if (!seeded)
		seed();
	s[0] ^= tsc();
	while (n > 0) {
		u64 v = next();
		u64 k = n < 8 ? n : 8;
		memcpy(p, &v, k);
		p += k;
		n -= k;
	}
}
