/*
 * The GDB remote serial protocol's framing, byte by byte, with no I/O:
 * what arrives from the socket is fed to rsp_feed() one byte at a time
 * and comes out as whole packets; what the stub answers is framed by
 * rsp_frame().  Kept apart from the stub (gdbstub.c) so that a unit test
 * can feed it anything (tests/unit/test_gdb_rsp.c fuzzes it).
 *
 * A packet is "$" body "#" two hex digits, the digits being the sum of
 * the body's bytes modulo 256 as sent.  In the body, "}" escapes the
 * next byte (sent XOR 0x20), and "X*n" repeats X (n - 29) more times
 * (run-length encoding; GDB only sends it in answers, but it is legal
 * in any packet, so it is decoded everywhere).  Outside a packet, "+"
 * and "-" acknowledge the last packet sent, and 0x03 is the interrupt
 * (Ctrl-C) a debugger sends while the target runs.  (The GDB manual,
 * "Overview" and "Binary Data" of the Remote Protocol appendix.)
 */
#include <string.h>

#include "vm.h"

void rsp_init(struct rsp_parser *p)
{
	memset(p, 0, sizeof(*p));
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Append one decoded byte to the body, noting an overflow. */
static void put(struct rsp_parser *p, u8 c)
{
	if (p->len < RSP_MAX_PACKET)
		p->buf[p->len++] = (char)c;
	else
		p->overflow = true;
}

enum rsp_event rsp_feed(struct rsp_parser *p, u8 c)
{
	/* A raw '$' never belongs to a packet (it is sent escaped): it always
	 * starts a new one, and a packet it cuts short is dropped. */
	if (c == '$') {
		p->state = RSP_BODY;
		p->len = 0;
		p->sum = 0;
		p->overflow = p->malformed = false;
		p->last = -1;
		return RSP_MORE;
	}
	switch (p->state) {
	case RSP_IDLE:
		if (c == 0x03)
			return RSP_INTERRUPT;
		if (c == '+')
			return RSP_ACK;
		if (c == '-')
			return RSP_NACK;
		return RSP_MORE;                /* noise between packets */
	case RSP_BODY:
		if (c == '#') {
			p->state = RSP_CSUM1;
			return RSP_MORE;
		}
		p->sum += c;
		if (c == '}') {
			p->state = RSP_ESC;
		} else if (c == '*') {
			p->state = RSP_RLE;
		} else {
			put(p, c);
			p->last = c;
		}
		return RSP_MORE;
	case RSP_ESC:
		p->sum += c;
		put(p, c ^ 0x20);
		p->last = c ^ 0x20;
		p->state = RSP_BODY;
		return RSP_MORE;
	case RSP_RLE:
		p->sum += c;
		p->state = RSP_BODY;
		/* The count is a printable character (n - 29 repeats, 3..97);
		 * '#' and '$' are never counts, and there must be a byte
		 * before the '*' to repeat. */
		if (c < 32 || c > 126 || c == '#' || c == '$' || p->last < 0) {
			p->malformed = true;
			return RSP_MORE;
		}
		for (int i = 0; i < c - 29; i++)
			put(p, (u8)p->last);
		return RSP_MORE;
	case RSP_CSUM1:
		p->csum_hi = hexval(c);
		p->state = RSP_CSUM2;
		return RSP_MORE;
	case RSP_CSUM2: {
		int lo = hexval(c);

		p->state = RSP_IDLE;
		p->buf[p->len] = 0;
		if (p->csum_hi < 0 || lo < 0 || p->malformed)
			return RSP_BAD;
		if ((u8)(p->csum_hi << 4 | lo) != p->sum)
			return RSP_BAD_CSUM;
		if (p->overflow)
			return RSP_TOO_LONG;
		return RSP_PACKET;
	}
	}
	p->state = RSP_IDLE;
	return RSP_MORE;
}

size_t rsp_frame(const void *body, size_t len, char *out, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	const u8 *b = body;
	size_t n = 0;
	u8 sum = 0;

	if (size < 4)
		return 0;
	out[n++] = '$';
	for (size_t i = 0; i < len; i++) {
		u8 c = b[i];
		bool esc = c == '#' || c == '$' || c == '}' || c == '*';

		if (n + (esc ? 2 : 1) + 3 > size)
			return 0;
		if (esc) {
			out[n++] = '}';
			sum += '}';
			c ^= 0x20;
		}
		out[n++] = (char)c;
		sum += c;
	}
	out[n++] = '#';
	out[n++] = hex[sum >> 4];
	out[n++] = hex[sum & 15];
	return n;
}

void rsp_hex_encode(char *out, const void *bytes, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const u8 *b = bytes;

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[2 * n] = 0;
}

int rsp_hex_decode(const char *in, size_t n, void *bytes)
{
	u8 *b = bytes;

	for (size_t i = 0; i < n; i++) {
		int hi = hexval((u8)in[2 * i]), lo = hi < 0 ? -1 : hexval((u8)in[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		b[i] = (u8)(hi << 4 | lo);
	}
	return 0;
}

int rsp_parse_hex(const char **s, u64 *v)
{
	const char *p = *s;
	u64 x = 0;
	int d, n = 0;

	while ((d = hexval((u8)*p)) >= 0) {
		if (x >> 60)
			return -1;              /* more than 64 bits */
		x = x << 4 | (u64)d;
		p++;
		n++;
	}
	if (!n)
		return -1;
	*s = p;
	*v = x;
	return 0;
}
