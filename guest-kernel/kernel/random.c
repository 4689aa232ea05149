/*
 * random.c: the kernel's random numbers (AT_RANDOM, getrandom).  A
 * xoshiro256** generator, seeded on first use from RDRAND when the CPU has
 * it (CPUID.1:ECX bit 30, asked through the monitor's CPUID hypercall: the
 * kernel never runs CPUID itself) and the TSC, and stirred with the TSC
 * and a counter on every call, so that outputs drawn at different times
 * differ even without RDRAND.  Not a cryptographic generator: good enough
 * for stack canaries and hash seeds in a test guest, no more.
 */
#include "defs.h"

static struct {
	bool seeded;
	u64 s[4];
	u64 calls;
} rng;

static u64 rdtsc(void)
{
	u32 lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}

/* SplitMix64: spreads one seed word over the state. */
static u64 splitmix(u64 *x)
{
	u64 z = (*x += 0x9e3779b97f4a7c15ul);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ul;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebul;
	return z ^ (z >> 31);
}

static bool rdrand(u64 *v)
{
	u8 ok;

	for (int i = 0; i < 10; i++) {
		asm volatile("rdrand %0; setc %1" : "=r"(*v), "=qm"(ok));
		if (ok)
			return true;
	}
	return false;
}

static void seed(void)
{
	u32 r[4];
	u64 x = rdtsc(), v;
	bool hw = pv_on && pv_cpuid(1, 0, r) == 0 && (r[2] & (1u << 30));

	for (int i = 0; i < 4; i++) {
		rng.s[i] = splitmix(&x);
		if (hw && rdrand(&v))
			rng.s[i] ^= v;
	}
	rng.seeded = true;
}

static u64 rotl(u64 x, int k)
{
	return (x << k) | (x >> (64 - k));
}

u64 random_u64(void)
{
	u64 *s = rng.s, r, t;

	if (!rng.seeded)
		seed();
	s[0] ^= rdtsc() + ++rng.calls;
	r = rotl(s[1] * 5, 7) * 9;
	t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return r;
}

void random_bytes(void *buf, u64 n)
{
	u8 *b = buf;

	while (n > 0) {
		u64 v = random_u64();
		u64 k = n < 8 ? n : 8;
		memcpy(b, &v, k);
		b += k;
		n -= k;
	}
}
