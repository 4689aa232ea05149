/*
 * The initrd (--initrd FILE): what the guest finds at boot_info.initrd_gpa
 * is always an uncompressed cpio "newc" archive that this file has checked.
 *
 *   (i)  gzip: a file that starts with the gzip magic (1f 8b) is inflated
 *        here, as a boot loader or Linux's own initramfs code would, so the
 *        guest kernel needs no decompressor.  The output grows in a buffer
 *        with a hard cap (the guest RAM left for it): a small file that
 *        inflates without end is refused, not allowed to eat the host.
 *   (ii) newc: every header, name, padding and entry is checked before the
 *        guest sees any of it, so a guest's unpacker can trust offsets and
 *        sizes, and the user hears about a bad archive at once, with the
 *        entry that is wrong, instead of from a guest that fails to boot.
 *
 * Both are pure (bytes in, verdict out) so every refusal can be tested
 * without files; loader.c reads the file and places the result.  Each
 * refusal is one line, which the loader prefixes with the file's name.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "vm.h"

/* The newc header: a 6-byte magic and 13 fields of 8 hex digits. */
#define NEWC_HDR     110
#define NEWC_FIELDS  13
#define NEWC_MAGIC   "070701"
#define CRC_MAGIC    "070702"        /* newc with a checksum of each file */
#define TRAILER      "TRAILER!!!"
#define NAME_MAX_LEN 4096            /* with its NUL: Linux's PATH_MAX */

enum { F_INO, F_MODE, F_UID, F_GID, F_NLINK, F_MTIME, F_FILESIZE, F_DEVMAJOR,
       F_DEVMINOR, F_RDEVMAJOR, F_RDEVMINOR, F_NAMESIZE, F_CHECK };

static const char *const field_name[NEWC_FIELDS] = {
	"c_ino", "c_mode", "c_uid", "c_gid", "c_nlink", "c_mtime", "c_filesize",
	"c_devmajor", "c_devminor", "c_rdevmajor", "c_rdevminor", "c_namesize", "c_check",
};

static int __attribute__((format(printf, 3, 4)))
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static size_t align4(size_t x)
{
	return (x + 3) & ~(size_t)3;
}

static bool all_zero(const u8 *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/*
 * Bytes from an archive, quoted for a one-line message: printable ASCII as
 * is, anything else (a newline in a name would split the line) as \xNN,
 * and at most about 60 characters.  Returns buf.
 */
static const char *quote(const u8 *s, size_t n, char *buf, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 8 < len; i++) {
		if (o >= 60) {
			o += (size_t)snprintf(buf + o, len - o, "...");
			break;
		}
		if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' && s[i] != '\\')
			buf[o++] = (char)s[i];
		else
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", s[i]);
	}
	buf[o] = '\0';
	return buf;
}

/* ---- (i) gzip ---- */

bool initrd_is_gzip(const u8 *buf, size_t len)
{
	return len >= 2 && buf[0] == 0x1f && buf[1] == 0x8b;
}

/* What zlib can take in one call: its counts are 32-bit. */
static uInt chunk(size_t n)
{
	return n > UINT_MAX ? UINT_MAX : (uInt)n;
}

int initrd_gunzip(const u8 *in, size_t len, u64 max, u8 **out, size_t *outlen,
		  char *err, size_t errlen)
{
	/* One byte more than allowed: output that reaches it is too big, told
	 * apart from output of exactly max bytes without asking zlib whether
	 * the stream would have ended. */
	const u64 limit = max + 1;
	size_t cap = len < (1u << 20) / 4 ? (1u << 20) : len * 4, in_pos = 0, n = 0, rest;
	char size[32];
	z_stream zs;
	u8 *buf;
	int r;

	*out = NULL;
	*outlen = 0;
	if (cap > limit)
		cap = limit;
	memset(&zs, 0, sizeof(zs));
	/* 16 + MAX_WBITS: a gzip wrapper (header, CRC-32 and length checked),
	 * not zlib's or raw deflate. */
	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
		return fail(err, errlen, "gzip: zlib cannot start: %s", zs.msg ? zs.msg : "out of memory");
	buf = malloc(cap);
	if (!buf) {
		inflateEnd(&zs);
		return fail(err, errlen, "gzip: no memory for %zu bytes of output", cap);
	}
	zs.next_out = buf;
	zs.avail_out = chunk(cap);
	for (;;) {
		if (zs.avail_in == 0 && in_pos < len) {
			zs.next_in = (Bytef *)in + in_pos;
			zs.avail_in = chunk(len - in_pos);
			in_pos += zs.avail_in;
		}
		if (zs.avail_out == 0) {
			n = (size_t)zs.total_out;
			if (n >= limit)
				break;                          /* too big: below */
			if (n == cap) {
				size_t ncap = cap > limit / 2 ? limit : cap * 2;
				u8 *nbuf = realloc(buf, ncap);

				if (!nbuf) {
					free(buf);
					inflateEnd(&zs);
					return fail(err, errlen, "gzip: no memory for %zu bytes of output", ncap);
				}
				buf = nbuf;
				cap = ncap;
			}
			zs.next_out = buf + n;
			zs.avail_out = chunk(cap - n);
		}
		r = inflate(&zs, Z_NO_FLUSH);
		if (r == Z_STREAM_END)
			break;
		/* Z_BUF_ERROR is "no progress": with the output full, grow it
		 * (above); with the input used up, the stream was cut short. */
		if (r == Z_OK || (r == Z_BUF_ERROR && zs.avail_out == 0))
			continue;
		if (r == Z_BUF_ERROR)
			fail(err, errlen, "gzip: truncated: the compressed data ends after %zu bytes, "
			     "before the end of the stream (%zu bytes out so far)", len,
			     (size_t)zs.total_out);
		else if (r == Z_MEM_ERROR)
			fail(err, errlen, "gzip: out of memory while inflating");
		else    /* Z_DATA_ERROR (a bad header, block, CRC-32 or length), or
			 * Z_NEED_DICT, which no gzip stream may ask for */
			fail(err, errlen, "gzip: corrupt compressed data (%s) near byte %zu",
			     zs.msg ? zs.msg : "asks for a preset dictionary", in_pos - zs.avail_in);
		free(buf);
		inflateEnd(&zs);
		return -1;
	}
	n = (size_t)zs.total_out;
	rest = zs.avail_in + (len - in_pos);
	inflateEnd(&zs);
	if (n > max) {
		free(buf);
		return fail(err, errlen, "gzip: the archive inflates to more than %s, the guest RAM "
			    "there is for it", cli_format_size(max, size, sizeof(size)));
	}
	/* What follows the stream may be zero padding (to a block), nothing
	 * else: a second member would be a second archive. */
	if (rest && !all_zero(in + len - rest, rest)) {
		free(buf);
		if (initrd_is_gzip(in + len - rest, rest))
			return fail(err, errlen, "gzip: a second gzip stream at byte %zu (concatenated "
				    "archives are not supported: compress one archive)", len - rest);
		return fail(err, errlen, "gzip: %zu bytes of data after the end of the gzip stream "
			    "at byte %zu", rest, len - rest);
	}
	*out = buf;
	*outlen = n;
	return 0;
}

/* ---- (ii) the newc archive ---- */

/* A file from another format or a compressor other than gzip, by its first
 * bytes: a better refusal than "bad magic". */
static const char *other_format(const u8 *p, size_t n)
{
	static const struct { const char *magic; size_t len; const char *what; } fmt[] = {
		{ "070707", 6, "an old portable (odc) cpio archive; make a newc one with cpio -o -H newc" },
		{ "\xc7\x71", 2, "an old binary cpio archive; make a newc one with cpio -o -H newc" },
		{ "\x71\xc7", 2, "an old binary cpio archive; make a newc one with cpio -o -H newc" },
		{ "\xfd" "7zXZ", 5, "xz-compressed; only gzip is supported" },
		{ "\x28\xb5\x2f\xfd", 4, "zstd-compressed; only gzip is supported" },
		{ "BZh", 3, "bzip2-compressed; only gzip is supported" },
		{ "\x02\x21\x4c\x18", 4, "lz4-compressed; only gzip is supported" },
		{ "\x04\x22\x4d\x18", 4, "lz4-compressed; only gzip is supported" },
		{ "\x89LZO", 4, "lzop-compressed; only gzip is supported" },
	};

	for (size_t i = 0; i < sizeof(fmt) / sizeof(fmt[0]); i++)
		if (n >= fmt[i].len && memcmp(p, fmt[i].magic, fmt[i].len) == 0)
			return fmt[i].what;
	return NULL;
}

/*
 * The name as the guest would create it: relative to the root, without a
 * leading "/" or "./", without "." components, ".." applied.  'out' gets
 * the canonical path ("" for the root itself).  Returns false if a ".."
 * climbs above the root; with clamp, such a ".." stays at the root instead,
 * as path lookup does (for the command line's init path).
 */
static bool canon_path(const char *name, size_t n, bool clamp, char *out, size_t outlen)
{
	size_t o = 0, i = 0;

	for (;;) {
		if (i < n && name[i] == '/')
			i++;
		else if (i + 1 < n && name[i] == '.' && name[i + 1] == '/')
			i += 2;
		else
			break;
	}
	while (i < n) {
		size_t j = i;

		while (j < n && name[j] != '/')
			j++;
		if (j - i == 2 && name[i] == '.' && name[i + 1] == '.') {
			if (o == 0 && !clamp)
				return false;
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;                            /* the '/' before it */
		} else if (j > i && !(j - i == 1 && name[i] == '.')) {
			if (o && o < outlen - 1)
				out[o++] = '/';
			for (size_t k = i; k < j && o < outlen - 1; k++)
				out[o++] = name[k];
		}
		i = j + 1;
	}
	out[o] = '\0';
	return true;
}

/* The program the guest's kernel starts from the initrd, as its command
 * line names it: the last rdinit=, else the last init=, else "/init".
 * 'param' gets which ("rdinit", "init" or NULL for the default). */
static void init_program(const char *cmdline, char *prog, size_t len, const char **param)
{
	const char *p = cmdline ? cmdline : "";
	const char *rd = NULL, *in = NULL;
	size_t rdlen = 0, inlen = 0;

	while (*p) {
		const char *tok;
		size_t n;

		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		tok = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n')
			p++;
		n = (size_t)(p - tok);
		/* After "--" come init's own arguments, not the kernel's. */
		if (n == 2 && tok[0] == '-' && tok[1] == '-')
			break;
		if (n >= 7 && memcmp(tok, "rdinit=", 7) == 0)
			rd = tok + 7, rdlen = n - 7;
		else if (n >= 5 && memcmp(tok, "init=", 5) == 0)
			in = tok + 5, inlen = n - 5;
	}
	if (rd)
		snprintf(prog, len, "%.*s", (int)rdlen, rd), *param = "rdinit";
	else if (in)
		snprintf(prog, len, "%.*s", (int)inlen, in), *param = "init";
	else
		snprintf(prog, len, "/init"), *param = NULL;
}

static const char *type_name(u32 mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:  return "a regular file";
	case S_IFDIR:  return "a directory";
	case S_IFLNK:  return "a symlink";
	case S_IFCHR:  return "a character device";
	case S_IFBLK:  return "a block device";
	case S_IFIFO:  return "a fifo";
	case S_IFSOCK: return "a socket";
	default:       return NULL;
	}
}

/* Parse the 8 hex digits of field i at p.  false if any is not hex. */
static bool hex_field(const u8 *p, u32 *v)
{
	u32 x = 0;

	for (int k = 0; k < 8; k++) {
		u8 c = p[k];
		unsigned d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return false;
		x = x << 4 | d;
	}
	*v = x;
	return true;
}

int initrd_check(const u8 *a, size_t len, u64 ram_size, const char *cmdline,
		 char *err, size_t errlen)
{
	char prog[NAME_MAX_LEN], want[NAME_MAX_LEN], path[NAME_MAX_LEN], q[80], ram[32];
	const char *param, *what;
	bool check_init, crc;
	u32 init_mode = 0;      /* the last entry at the init path's mode, 0: none */
	size_t off = 0;
	unsigned idx;

	init_program(cmdline, prog, sizeof(prog), &param);
	/* A relative name is a program the kernel finds some other way (this
	 * guest's init=sh is an embedded program): nothing to look for. */
	check_init = prog[0] == '/';
	if (check_init)
		canon_path(prog, strlen(prog), true, want, sizeof(want));
	if (len == 0)
		return fail(err, errlen, "empty cpio archive");

	for (idx = 1;; idx++) {
		const u8 *h = a + off, *name;
		size_t rest = len - off, namesize, data, next;
		u32 f[NEWC_FIELDS];

		/* Where the next header should be. */
		if (rest == 0)
			return fail(err, errlen, "no " TRAILER " entry: the archive ends after entry %u "
				    "(%zu bytes); is it cut short?", idx - 1, len);
		if (all_zero(h, rest))
			return fail(err, errlen, "no " TRAILER " entry: only zeros from offset %zu, where "
				    "entry %u should start", off, idx);
		if (off == 0 && (what = other_format(h, rest)))
			return fail(err, errlen, "not a cpio newc archive: %s", what);
		/* Cut inside the magic: a short header rather than a bad one. */
		if (rest < 6 && (memcmp(h, NEWC_MAGIC, rest) == 0 || memcmp(h, CRC_MAGIC, rest) == 0))
			return fail(err, errlen, "entry %u at offset %zu: truncated header, %zu of its "
				    "%d bytes", idx, off, rest, NEWC_HDR);
		if (rest < 6 || (memcmp(h, NEWC_MAGIC, 6) != 0 && memcmp(h, CRC_MAGIC, 6) != 0)) {
			if (rest >= 6 && memcmp(h, "0707", 4) == 0 && (what = other_format(h, rest)))
				return fail(err, errlen, "entry %u at offset %zu: %s", idx, off, what);
			return fail(err, errlen, "entry %u at offset %zu: bad magic \"%s\", not a cpio "
				    "newc header (070701, or 070702 with checksums)", idx, off,
				    quote(h, rest < 6 ? rest : 6, q, sizeof(q)));
		}
		crc = h[5] == '2';
		if (rest < NEWC_HDR)
			return fail(err, errlen, "entry %u at offset %zu: truncated header, %zu of its "
				    "%d bytes", idx, off, rest, NEWC_HDR);
		for (int i = 0; i < NEWC_FIELDS; i++)
			if (!hex_field(h + 6 + 8 * i, &f[i]))
				return fail(err, errlen, "entry %u at offset %zu: header field %s \"%s\" "
					    "is not 8 hex digits", idx, off, field_name[i],
					    quote(h + 6 + 8 * i, 8, q, sizeof(q)));

		/* The name: namesize counts its NUL. */
		namesize = f[F_NAMESIZE];
		if (namesize < 2)
			return fail(err, errlen, "entry %u at offset %zu: c_namesize %zu: %s", idx, off,
				    namesize, namesize ? "an empty name" : "it must count the name's NUL");
		if (namesize > NAME_MAX_LEN)
			return fail(err, errlen, "entry %u at offset %zu: c_namesize %zu, longer than a "
				    "path may be (%d)", idx, off, namesize, NAME_MAX_LEN);
		if (namesize > rest - NEWC_HDR)
			return fail(err, errlen, "entry %u at offset %zu: truncated: its %zu-byte name "
				    "runs past the end of the archive (%zu bytes)", idx, off, namesize, len);
		name = h + NEWC_HDR;
		if (name[namesize - 1] != '\0')
			return fail(err, errlen, "entry %u at offset %zu: name \"%s\" is not "
				    "NUL-terminated (c_namesize %zu)", idx, off,
				    quote(name, namesize, q, sizeof(q)), namesize);
		if (memchr(name, '\0', namesize - 1))
			return fail(err, errlen, "entry %u at offset %zu: name \"%s\" is %zu bytes with "
				    "its NUL, but c_namesize says %zu", idx, off,
				    quote(name, strlen((const char *)name), q, sizeof(q)),
				    strlen((const char *)name) + 1, namesize);
		quote(name, namesize - 1, q, sizeof(q));

		/* The data, 4-byte aligned after the name, and its padding. */
		data = off + align4(NEWC_HDR + namesize);
		if (data > len)
			return fail(err, errlen, "entry \"%s\" at offset %zu: truncated: the padding "
				    "after its name runs past the end of the archive (%zu bytes)",
				    q, off, len);
		if (f[F_FILESIZE] > ram_size)
			return fail(err, errlen, "entry \"%s\": c_filesize %" PRIu32 " bytes is more "
				    "than the guest's RAM (%s)", q, f[F_FILESIZE],
				    cli_format_size(ram_size, ram, sizeof(ram)));
		if (f[F_FILESIZE] > len - data)
			return fail(err, errlen, "entry \"%s\": its %" PRIu32 " bytes of data at offset "
				    "%zu run past the end of the archive (%zu bytes)", q,
				    f[F_FILESIZE], data, len);
		next = align4(data + f[F_FILESIZE]);
		if (next > len)
			return fail(err, errlen, "entry \"%s\": truncated: the padding after its data "
				    "runs past the end of the archive (%zu bytes)", q, len);

		if (namesize == sizeof(TRAILER) && memcmp(name, TRAILER, sizeof(TRAILER)) == 0) {
			/* Zeros may pad the archive to a block (cpio writes 512). */
			if (!all_zero(a + next, len - next))
				return fail(err, errlen, "%zu bytes after the " TRAILER " entry at offset "
					    "%zu are not zero padding (a second archive?)",
					    len - next, off);
			break;
		}

		if (!type_name(f[F_MODE]))
			return fail(err, errlen, "entry \"%s\": c_mode 0%" PRIo32 " has no known file "
				    "type", q, f[F_MODE]);
		if ((f[F_MODE] & S_IFMT) == S_IFSOCK)
			return fail(err, errlen, "entry \"%s\" is a socket: an initrd holds regular "
				    "files, directories, symlinks, devices and fifos only", q);
		if (!canon_path((const char *)name, namesize - 1, false, path, sizeof(path)))
			return fail(err, errlen, "entry \"%s\": its path climbs out of the archive's "
				    "root through \"..\"", q);
		if (crc && S_ISREG(f[F_MODE])) {
			u32 sum = 0;

			for (size_t k = 0; k < f[F_FILESIZE]; k++)
				sum += a[data + k];
			if (sum != f[F_CHECK])
				return fail(err, errlen, "entry \"%s\": checksum 0x%08" PRIx32 " in the "
					    "header, but its data sums to 0x%08" PRIx32, q,
					    f[F_CHECK], sum);
		}
		/* A later entry replaces an earlier one, as when unpacking. */
		if (check_init && strcmp(path, want) == 0)
			init_mode = f[F_MODE];
		off = next;
	}

	if (!check_init)
		return 0;
	if (!init_mode && param)
		return fail(err, errlen, "%s=%s: no such entry in the archive", param, prog);
	if (!init_mode)
		return fail(err, errlen, "no /init in the archive: the kernel runs it first "
			    "(rdinit= or init= on the command line names another program)");
	if (!S_ISREG(init_mode) && !S_ISLNK(init_mode))
		return fail(err, errlen, "%s%s%s is %s, not a regular file or a symlink",
			    param ? param : "", param ? "=" : "", prog, type_name(init_mode));
	return 0;
}

int initrd_find(const u8 *a, size_t len, const char *path, const u8 **data, size_t *size)
{
	char want[NAME_MAX_LEN], name[NAME_MAX_LEN];
	size_t off = 0;
	int found = -1;

	canon_path(path, strlen(path), true, want, sizeof(want));
	while (len - off >= NEWC_HDR) {
		const u8 *h = a + off;
		u32 f[NEWC_FIELDS];
		size_t d;

		if (memcmp(h, NEWC_MAGIC, 6) != 0 && memcmp(h, CRC_MAGIC, 6) != 0)
			break;
		for (int i = 0; i < NEWC_FIELDS; i++)
			if (!hex_field(h + 6 + 8 * i, &f[i]))
				return found;
		d = off + align4(NEWC_HDR + f[F_NAMESIZE]);
		if (f[F_NAMESIZE] < 2 || f[F_NAMESIZE] > len - off - NEWC_HDR || d > len ||
		    f[F_FILESIZE] > len - d)
			break;
		if (f[F_NAMESIZE] == sizeof(TRAILER) && memcmp(h + NEWC_HDR, TRAILER, sizeof(TRAILER)) == 0)
			break;
		canon_path((const char *)h + NEWC_HDR, f[F_NAMESIZE] - 1, true, name, sizeof(name));
		/* A later entry replaces an earlier one, as when unpacking. */
		if (S_ISREG(f[F_MODE]) && strcmp(name, want) == 0) {
			*data = a + d;
			*size = f[F_FILESIZE];
			found = 0;
		}
		off = align4(d + f[F_FILESIZE]);
		if (off > len)
			break;
	}
	return found;
}
