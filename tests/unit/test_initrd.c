/*
 * Unit tests for monitor/initrd.c.  Archives are built in memory, entry by
 * entry, the way cpio -o -H newc writes them; each refusal is one field or
 * byte changed from a valid archive, and checks the -1 and a distinctive
 * part of the one-line reason.  gzip streams are made here with zlib's
 * deflate, then corrupted, cut short or made too big for their cap.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>
#include <cmocka.h>

#include "vm.h"

#define MIB (1ull << 20)
#define RAM (256 * MIB)

/* An archive under construction; off[] remembers where each entry starts. */
struct ar {
	u8 b[1 << 16];
	size_t len;
	int n;
	size_t off[32];
};

static size_t align4(size_t x)
{
	return (x + 3) & ~(size_t)3;
}

/* Append one entry as cpio writes it: header, name and NUL, zeros to 4
 * bytes, data, zeros to 4 bytes.  'magic' is "070701" or "070702" (then
 * c_check is the sum of the data bytes). */
static void add_raw(struct ar *a, const char *magic, u32 mode, const char *name,
		    const void *data, size_t size)
{
	size_t namesize = strlen(name) + 1;
	u32 sum = 0;
	char h[128];

	for (size_t i = 0; i < size; i++)
		sum += ((const u8 *)data)[i];
	if (strcmp(magic, "070702") != 0)
		sum = 0;
	assert_true(a->len + align4(110 + namesize) + align4(size) <= sizeof(a->b));
	a->off[a->n++] = a->len;
	snprintf(h, sizeof(h), "%s%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 magic, 0x100 + a->n, mode, 0, 0, S_ISDIR(mode) ? 2 : 1, 0x6560f000, (u32)size,
		 0, 0, S_ISCHR(mode) ? 5 : 0, S_ISCHR(mode) ? 1 : 0, (u32)namesize, sum);
	memcpy(a->b + a->len, h, 110);
	memcpy(a->b + a->len + 110, name, namesize);
	a->len = a->len + align4(110 + namesize);
	if (size)
		memcpy(a->b + a->len, data, size);
	memset(a->b + a->len + size, 0, align4(size) - size);
	a->len = align4(a->len + size);
}

static void add(struct ar *a, u32 mode, const char *name, const char *data)
{
	add_raw(a, "070701", mode, name, data, data ? strlen(data) : 0);
}

/* The trailer, then zeros to a 512-byte block as GNU cpio pads. */
static void finish(struct ar *a)
{
	add(a, 0, "TRAILER!!!", NULL);
	while (a->len % 512)
		a->b[a->len++] = 0;
}

/* A good archive of every allowed type: the root, directories with and
 * without "./" and "/" in front, a symlink, /init, a fifo and a device. */
static void good(struct ar *a)
{
	memset(a, 0, sizeof(*a));
	add(a, S_IFDIR | 0755, ".", NULL);
	add(a, S_IFDIR | 0755, "bin", NULL);
	add(a, S_IFLNK | 0777, "bin/sh", "../init");
	add(a, S_IFREG | 0755, "init", "#!/bin/sh\necho hello\n");
	add(a, S_IFDIR | 0755, "./dev", NULL);
	add(a, S_IFCHR | 0600, "dev/console", NULL);
	add(a, S_IFIFO | 0644, "/run.fifo", NULL);
	add(a, S_IFREG | 0644, "etc/../etc/motd", "hi\n");
	finish(a);
}

/* Field i (c_ino = 0, ..., c_check = 12) of entry e. */
static u8 *field(struct ar *a, int e, int i)
{
	return a->b + a->off[e] + 6 + 8 * i;
}

static void set_field(struct ar *a, int e, int i, u32 v)
{
	char s[9];

	snprintf(s, sizeof(s), "%08X", v);
	memcpy(field(a, e, i), s, 8);
}

static void expect_ok(const struct ar *a, size_t len, const char *cmdline)
{
	char err[256] = "";

	if (initrd_check(a->b, len, RAM, cmdline, err, sizeof(err)) != 0)
		fail_msg("refused: %s", err);
}

/* Check against ram_size and expect a one-line refusal containing 'want'. */
static void expect_refused_ram(const struct ar *a, size_t len, u64 ram, const char *cmdline,
			       const char *want)
{
	char err[256] = "";

	if (initrd_check(a->b, len, ram, cmdline, err, sizeof(err)) != -1)
		fail_msg("accepted, but should be refused with \"%s\"", want);
	if (!strstr(err, want))
		fail_msg("reason \"%s\" does not contain \"%s\"", err, want);
	assert_null(strchr(err, '\n'));
}

static void expect_refused(const struct ar *a, size_t len, const char *cmdline, const char *want)
{
	expect_refused_ram(a, len, RAM, cmdline, want);
}

static void test_good(void **state)
{
	static struct ar a;

	good(&a);
	expect_ok(&a, a.len, "");
	expect_ok(&a, a.len, NULL);
	/* Without cpio's padding to 512 bytes, too. */
	expect_ok(&a, a.off[a.n - 1] + 124, "run=hello");

	/* 070702: the same, checksummed; lower-case hex is hex too. */
	memset(&a, 0, sizeof(a));
	add_raw(&a, "070702", S_IFREG | 0755, "init", "\xff\xfe\x01", 3);
	add_raw(&a, "070702", S_IFLNK | 0777, "sbin/init", "/init", 5);
	finish(&a);
	memcpy(field(&a, 0, 0), "0000abcd", 8);
	expect_ok(&a, a.len, "");
}

/* initrd_find(): a regular file by its path, however the archive spells
 * it; the last entry of a name wins; a directory, a symlink or a missing
 * name is not found. */
static void expect_found(const struct ar *a, const char *path, const char *want)
{
	const u8 *data = NULL;
	size_t size = 0;

	assert_int_equal(initrd_find(a->b, a->len, path, &data, &size), 0);
	assert_int_equal(size, strlen(want));
	assert_memory_equal(data, want, size);
}

static void expect_not_found(const struct ar *a, size_t len, const char *path)
{
	const u8 *data = NULL;
	size_t size = 0;

	assert_int_equal(initrd_find(a->b, len, path, &data, &size), -1);
}

static void test_find(void **state)
{
	static struct ar a;

	/* good()'s archive with two more entries before its trailer. */
	good(&a);
	a.len = a.off[--a.n];                 /* drop the trailer */
	add(&a, S_IFREG | 0755, "bin/prog", "old");
	add(&a, S_IFREG | 0755, "./bin//prog", "new");
	finish(&a);
	expect_found(&a, "/init", "#!/bin/sh\necho hello\n");
	expect_found(&a, "init", "#!/bin/sh\necho hello\n");
	expect_found(&a, "/etc/motd", "hi\n");
	expect_found(&a, "/bin/prog", "new");
	expect_not_found(&a, a.len, "/bin");          /* a directory */
	expect_not_found(&a, a.len, "/bin/sh");       /* a symlink */
	expect_not_found(&a, a.len, "/nothing");
	/* Cut short inside /init's entry: not found, and nothing is read
	 * past the end (ASan under make SAN=1). */
	expect_not_found(&a, a.off[3] + 100, "/init");
}

static void test_header_refusals(void **state)
{
	static struct ar a;

	good(&a);
	/* Cut inside the third entry's header. */
	expect_refused(&a, a.off[2] + 50, "", "entry 3 at offset 228: truncated header, 50 of its 110 bytes");
	/* Cut inside the first magic; a short bad one. */
	expect_refused(&a, 4, "", "entry 1 at offset 0: truncated header, 4 of its 110 bytes");
	expect_refused(&a, a.off[1] + 3, "", "entry 2 at offset 112: truncated header, 3 of its 110 bytes");
	a.b[2] = 'x';
	expect_refused(&a, 4, "", "entry 1 at offset 0: bad magic \"07x7\"");
	expect_refused(&a, 0, "", "empty cpio archive");

	good(&a);
	memcpy(a.b + a.off[1], "070703", 6);
	expect_refused(&a, a.len, "", "entry 2 at offset 112: bad magic \"070703\", not a cpio newc header");
	memcpy(a.b + a.off[1], "\x7f" "ELF\x02\x01", 6);
	expect_refused(&a, a.len, "", "bad magic \"\\x7fELF\\x02\\x01\"");

	/* Other formats are named at the start. */
	good(&a);
	memcpy(a.b, "070707", 6);
	expect_refused(&a, a.len, "", "an old portable (odc) cpio archive; make a newc one with cpio -o -H newc");
	memcpy(a.b, "\xfd" "7zXZ\0", 6);
	expect_refused(&a, a.len, "", "not a cpio newc archive: xz-compressed; only gzip is supported");

	/* Every field must be 8 hex digits. */
	good(&a);
	memcpy(field(&a, 3, 6), "0000001g", 8);
	expect_refused(&a, a.len, "", "entry 4 at offset 356: header field c_filesize \"0000001g\" is not 8 hex digits");
	good(&a);
	memcpy(field(&a, 0, 12), " 0000000", 8);
	expect_refused(&a, a.len, "", "header field c_check \" 0000000\"");
	good(&a);
	memcpy(field(&a, 2, 0), "0x000001", 8);
	expect_refused(&a, a.len, "", "header field c_ino \"0x000001\"");
}

static void test_name_refusals(void **state)
{
	static struct ar a;
	size_t name;

	/* Not NUL-terminated: the last byte c_namesize counts is "t", not NUL. */
	good(&a);
	name = a.off[3] + 110;
	assert_memory_equal(a.b + name, "init\0", 5);
	set_field(&a, 3, 11, 4);
	expect_refused(&a, a.len, "", "entry 4 at offset 356: name \"init\" is not NUL-terminated (c_namesize 4)");

	/* A NUL before the end: c_namesize says more than the name. */
	good(&a);
	set_field(&a, 3, 11, 6);
	expect_refused(&a, a.len, "", "entry 4 at offset 356: name \"init\" is 5 bytes with its NUL, but c_namesize says 6");

	good(&a);
	set_field(&a, 1, 11, 0);
	expect_refused(&a, a.len, "", "c_namesize 0: it must count the name's NUL");
	set_field(&a, 1, 11, 1);
	expect_refused(&a, a.len, "", "c_namesize 1: an empty name");
	set_field(&a, 1, 11, 5000);
	expect_refused(&a, a.len, "", "c_namesize 5000, longer than a path may be (4096)");

	/* A name that runs past the end. */
	good(&a);
	expect_refused(&a, a.off[3] + 112, "", "entry 4 at offset 356: truncated: its 5-byte name runs past the end");

	/* A control character in a name is shown escaped, on one line. */
	good(&a);
	a.b[a.off[3] + 110 + 1] = '\n';
	set_field(&a, 3, 1, 0140755);
	expect_refused(&a, a.len, "", "entry \"i\\x0ait\" is a socket");
}

static void test_data_refusals(void **state)
{
	static struct ar a;

	/* Data past the end: the archive cut inside init's data, or a size
	 * larger than what is left. */
	good(&a);
	expect_refused(&a, a.off[3] + 120, "", "entry \"init\": its 21 bytes of data at offset 472 run past the end of the archive (476 bytes)");
	good(&a);
	set_field(&a, 3, 6, 100000);
	expect_refused(&a, a.len, "", "entry \"init\": its 100000 bytes of data at offset 472 run past the end");
	/* The padding after the data must be there too. */
	good(&a);
	expect_refused(&a, a.off[3] + 116 + 21 + 1, "", "entry \"init\": truncated: the padding after its data runs past the end");

	/* Larger than the guest's RAM, whatever the archive holds. */
	good(&a);
	set_field(&a, 3, 6, 0x200000);
	expect_refused_ram(&a, a.len, MIB, "", "entry \"init\": c_filesize 2097152 bytes is more than the guest's RAM (1 MiB)");
	set_field(&a, 3, 6, 0xffffffff);
	expect_refused(&a, a.len, "", "c_filesize 4294967295 bytes is more than the guest's RAM (256 MiB)");

	/* 070702: a checksum that does not match. */
	memset(&a, 0, sizeof(a));
	add_raw(&a, "070702", S_IFREG | 0755, "init", "abc", 3);
	finish(&a);
	set_field(&a, 0, 12, 0x127);
	expect_refused(&a, a.len, "", "entry \"init\": checksum 0x00000127 in the header, but its data sums to 0x00000126");
}

static void test_trailer_refusals(void **state)
{
	static struct ar a;
	size_t end;

	/* No trailer: the archive ends after its last entry ... */
	good(&a);
	end = a.off[a.n - 1];
	expect_refused(&a, end, "", "no TRAILER!!! entry: the archive ends after entry 8 (988 bytes)");
	/* ... or zeros follow it. */
	memset(a.b + end, 0, a.len - end);
	expect_refused(&a, a.len, "", "no TRAILER!!! entry: only zeros from offset 988, where entry 9 should start");

	/* Junk after the trailer; zeros are padding. */
	good(&a);
	memcpy(a.b + a.len - 8, "junk", 4);
	expect_refused(&a, a.len, "", "424 bytes after the TRAILER!!! entry at offset 988 are not zero padding");
	good(&a);
	a.len += 512;
	expect_ok(&a, a.len, "");

	/* A second archive after the first is junk too. */
	good(&a);
	{
		static struct ar b;

		good(&b);
		memcpy(a.b + a.len, b.b, b.len);
		expect_refused(&a, a.len + b.len, "", "bytes after the TRAILER!!! entry");
	}
}

static void test_path_refusals(void **state)
{
	static const char *const bad[] = {
		"../escape", "./../escape", "/../escape", "a/../../escape", "a/./../..",
		"..", "bin/../../etc/passwd",
	};
	static const char *const fine[] = {
		"a/..", "a/../b", "./a/./b/../c", "//a", "././a", "a//b", "...", "..a",
	};
	static struct ar a;
	char want[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		good(&a);
		a.len = a.off[a.n - 1];
		add(&a, S_IFREG | 0644, bad[i], "x");
		finish(&a);
		snprintf(want, sizeof(want), "entry \"%s\": its path climbs out of the archive's root through \"..\"", bad[i]);
		expect_refused(&a, a.len, "", want);
	}
	for (size_t i = 0; i < sizeof(fine) / sizeof(fine[0]); i++) {
		good(&a);
		a.len = a.off[a.n - 1];
		add(&a, S_IFREG | 0644, fine[i], "x");
		finish(&a);
		expect_ok(&a, a.len, "");
	}
}

static void test_type_refusals(void **state)
{
	static struct ar a;

	good(&a);
	set_field(&a, 5, 1, 0140600);
	expect_refused(&a, a.len, "", "entry \"dev/console\" is a socket: an initrd holds regular files, directories, symlinks, devices and fifos only");
	good(&a);
	set_field(&a, 5, 1, 0600);
	expect_refused(&a, a.len, "", "entry \"dev/console\": c_mode 0600 has no known file type");
	set_field(&a, 5, 1, 0170600);
	expect_refused(&a, a.len, "", "c_mode 0170600 has no known file type");
	/* A block device is fine. */
	set_field(&a, 5, 1, 0060600);
	expect_ok(&a, a.len, "");
}

/* An archive without /init, with /sbin/init and a directory /bin. */
static void no_init(struct ar *a)
{
	memset(a, 0, sizeof(*a));
	add(a, S_IFDIR | 0755, "sbin", NULL);
	add(a, S_IFREG | 0755, "sbin/init", "\x7f" "ELF");
	add(a, S_IFDIR | 0755, "bin", NULL);
	add(a, S_IFLNK | 0777, "bin/sh", "/sbin/init");
	finish(a);
}

static void test_init(void **state)
{
	static struct ar a;

	no_init(&a);
	expect_refused(&a, a.len, "", "no /init in the archive: the kernel runs it first (rdinit= or init= on the command line names another program)");
	expect_refused(&a, a.len, "run=hello console=ttyS0", "no /init in the archive");

	/* init= or rdinit= naming the program instead: it must be there. */
	expect_ok(&a, a.len, "init=/sbin/init");
	expect_ok(&a, a.len, "quiet rdinit=/bin/sh");
	expect_ok(&a, a.len, "rdinit=/sbin/../sbin/./init");
	expect_ok(&a, a.len, "rdinit=//sbin/init");
	expect_refused(&a, a.len, "init=/init", "init=/init: no such entry in the archive");
	expect_refused(&a, a.len, "rdinit=/bin/busybox", "rdinit=/bin/busybox: no such entry in the archive");
	/* rdinit= wins over init=; the last of each counts. */
	expect_ok(&a, a.len, "init=/nope rdinit=/sbin/init");
	expect_refused(&a, a.len, "rdinit=/sbin/init init=/sbin/init rdinit=/nope", "rdinit=/nope: no such");
	/* A directory or a fifo cannot be run. */
	expect_refused(&a, a.len, "rdinit=/bin", "rdinit=/bin is a directory, not a regular file or a symlink");
	/* A name that is not a path (this guest's init=sh is one of its own
	 * programs): nothing to look for. */
	expect_ok(&a, a.len, "init=sh");
	expect_ok(&a, a.len, "rdinit=sbin/init");
	/* After "--" come init's arguments, not the kernel's. */
	expect_refused(&a, a.len, "quiet -- init=/sbin/init", "no /init in the archive");
	/* Something like init=/sbin/initx is not /sbin/init. */
	expect_refused(&a, a.len, "xinit=/sbin/init", "no /init in the archive");
	expect_refused(&a, a.len, "init=/sbin/ini", "init=/sbin/ini: no such entry");

	/* /init as a symlink is fine; as a directory it is not; a later entry
	 * replaces an earlier one, as unpacking does. */
	memset(&a, 0, sizeof(a));
	add(&a, S_IFLNK | 0777, "init", "sbin/init");
	finish(&a);
	expect_ok(&a, a.len, "");
	memset(&a, 0, sizeof(a));
	add(&a, S_IFREG | 0755, "init", "x");
	add(&a, S_IFDIR | 0755, "./init", NULL);
	finish(&a);
	expect_refused(&a, a.len, "", "/init is a directory, not a regular file or a symlink");
}

/* ---- gzip ---- */

/* Compress in[0, len) as one gzip member into out; returns its size. */
static size_t gzip_buf(const u8 *in, size_t len, u8 *out, size_t cap)
{
	z_stream zs;

	memset(&zs, 0, sizeof(zs));
	assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)len;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	deflateEnd(&zs);
	return zs.total_out;
}

static u8 gz[1 << 16];

static void expect_gunzip_refused(const u8 *in, size_t len, u64 max, const char *want)
{
	char err[256] = "";
	size_t n = 77;
	u8 *out = (u8 *)1;

	if (initrd_gunzip(in, len, max, &out, &n, err, sizeof(err)) != -1)
		fail_msg("inflated, but should be refused with \"%s\"", want);
	if (!strstr(err, want))
		fail_msg("reason \"%s\" does not contain \"%s\"", err, want);
	assert_null(strchr(err, '\n'));
	assert_null(out);
	assert_int_equal(n, 0);
}

static void test_gzip_good(void **state)
{
	static struct ar a;
	char err[256] = "";
	size_t n, zlen;
	u8 *out;

	good(&a);
	zlen = gzip_buf(a.b, a.len, gz, sizeof(gz));
	assert_true(initrd_is_gzip(gz, zlen));
	assert_false(initrd_is_gzip(a.b, a.len));
	assert_false(initrd_is_gzip(gz, 1));
	if (initrd_gunzip(gz, zlen, RAM, &out, &n, err, sizeof(err)) != 0)
		fail_msg("refused: %s", err);
	assert_int_equal(n, a.len);
	assert_memory_equal(out, a.b, a.len);
	assert_int_equal(initrd_check(out, n, RAM, "", err, sizeof(err)), 0);
	free(out);

	/* Exactly as large as allowed is fine; zeros may pad the stream. */
	memset(gz + zlen, 0, 100);
	if (initrd_gunzip(gz, zlen + 100, a.len, &out, &n, err, sizeof(err)) != 0)
		fail_msg("refused: %s", err);
	assert_int_equal(n, a.len);
	free(out);
}

/* Output far larger than the first buffer: it grows, and stops at max. */
static void test_gzip_big(void **state)
{
	const size_t big = 5 * MIB + 123;
	u8 *plain = calloc(1, big), *out;
	char err[256] = "";
	size_t n, zlen;

	assert_non_null(plain);
	for (size_t i = 0; i < big; i += 4096)
		plain[i] = (u8)(i >> 12);
	zlen = gzip_buf(plain, big, gz, sizeof(gz));
	assert_true(zlen < 64 * 1024);                  /* a small file, a big output */
	if (initrd_gunzip(gz, zlen, RAM, &out, &n, err, sizeof(err)) != 0)
		fail_msg("refused: %s", err);
	assert_int_equal(n, big);
	assert_memory_equal(out, plain, big);
	free(out);
	if (initrd_gunzip(gz, zlen, big, &out, &n, err, sizeof(err)) != 0)
		fail_msg("refused: %s", err);
	free(out);

	expect_gunzip_refused(gz, zlen, big - 1, "gzip: the archive inflates to more than 5243002 bytes, the guest RAM there is for it");
	expect_gunzip_refused(gz, zlen, 4 * MIB, "inflates to more than 4 MiB");
	expect_gunzip_refused(gz, zlen, 1000, "inflates to more than 1000 bytes");
	free(plain);
}

static void test_gzip_corrupt(void **state)
{
	static struct ar a;
	static u8 bad[sizeof(gz)];
	size_t zlen;

	good(&a);
	zlen = gzip_buf(a.b, a.len, gz, sizeof(gz));

	/* Bytes flipped in the middle of the compressed data. */
	memcpy(bad, gz, zlen);
	for (size_t i = zlen / 2 - 2; i < zlen / 2 + 2; i++)
		bad[i] ^= 0xff;
	expect_gunzip_refused(bad, zlen, RAM, "gzip: corrupt compressed data (");
	/* The CRC-32 at the end. */
	memcpy(bad, gz, zlen);
	bad[zlen - 6] ^= 1;
	expect_gunzip_refused(bad, zlen, RAM, "gzip: corrupt compressed data (incorrect data check)");
	/* The length after it. */
	memcpy(bad, gz, zlen);
	bad[zlen - 3] ^= 1;
	expect_gunzip_refused(bad, zlen, RAM, "(incorrect length check)");
	/* A broken header: unknown compression method. */
	memcpy(bad, gz, zlen);
	bad[2] = 7;
	expect_gunzip_refused(bad, zlen, RAM, "gzip: corrupt compressed data (unknown compression method) near byte");

	/* Cut short: in the data, in the trailer, just after the magic. */
	expect_gunzip_refused(gz, zlen / 2, RAM, "gzip: truncated: the compressed data ends after");
	expect_gunzip_refused(gz, zlen - 1, RAM, "gzip: truncated");
	expect_gunzip_refused(gz, 2, RAM, "gzip: truncated: the compressed data ends after 2 bytes");

	/* Data after the stream: junk, or a second member. */
	memcpy(bad, gz, zlen);
	memcpy(bad + zlen, "\0\0junk", 6);
	expect_gunzip_refused(bad, zlen + 6, RAM, "gzip: 6 bytes of data after the end of the gzip stream at byte");
	memcpy(bad + zlen, gz, zlen);
	expect_gunzip_refused(bad, 2 * zlen, RAM, "gzip: a second gzip stream at byte");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_header_refusals),
		cmocka_unit_test(test_name_refusals),
		cmocka_unit_test(test_data_refusals),
		cmocka_unit_test(test_trailer_refusals),
		cmocka_unit_test(test_path_refusals),
		cmocka_unit_test(test_type_refusals),
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_gzip_good),
		cmocka_unit_test(test_gzip_big),
		cmocka_unit_test(test_gzip_corrupt),
	};

	return cmocka_run_group_tests_name("initrd", tests, NULL, NULL);
}
