/* The same reads as diskbench's phases 1-3, natively from the image file
 * (page cache): the baseline bench/disk.sh divides by.  Prints one line per
 * phase: "K us_per_op". */
#include <fcntl.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
	static char buf[64 << 10];
	const struct { int k; size_t block; int ops; } ph[] = {
		{ 1, 512, 4000 }, { 2, 4096, 2000 }, { 3, 65536, 200 },
	};
	int fd = argc > 1 ? open(argv[1], O_RDONLY) : -1;

	if (fd < 0) {
		perror("native_disk");
		return 1;
	}
	for (unsigned i = 0; i < sizeof(ph) / sizeof(ph[0]); i++) {
		off_t off = 0;
		double t0 = now_us();
		for (int n = 0; n < ph[i].ops; n++) {
			if (pread(fd, buf, ph[i].block, off) != (ssize_t)ph[i].block)
				return 1;
			off = (off + ph[i].block) % (1 << 20);
		}
		printf("%d %.3f\n", ph[i].k, (now_us() - t0) / ph[i].ops);
	}
	return 0;
}
