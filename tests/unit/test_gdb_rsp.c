/*
 * Unit tests for monitor/gdb_rsp.c, the GDB remote protocol's framing:
 * packets with good and bad checksums, escapes, run-length encoding,
 * packets cut short, oversize packets, acknowledgements and Ctrl-C; the
 * framer's output read back by the parser; then random bytes, random
 * mutations of good packets and random bodies, checking the parser's
 * contract on every byte (the body stays inside its buffer, a packet is
 * only reported with a matching checksum, a whole body is NUL-terminated).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vm.h"

/* Feed a whole string; return the last event that was not RSP_MORE
 * (RSP_MORE if none), counting packets in *npackets. */
static enum rsp_event feed(struct rsp_parser *p, const char *s, size_t len, int *npackets)
{
	enum rsp_event last = RSP_MORE;

	for (size_t i = 0; i < len; i++) {
		enum rsp_event e = rsp_feed(p, (u8)s[i]);
		if (e == RSP_PACKET && npackets)
			(*npackets)++;
		if (e != RSP_MORE)
			last = e;
	}
	return last;
}

static enum rsp_event feed_str(struct rsp_parser *p, const char *s)
{
	return feed(p, s, strlen(s), NULL);
}

static struct rsp_parser P;

static void test_packets(void **state)
{
	rsp_init(&P);
	/* "$g#67": the checksum of "g" is 0x67. */
	assert_int_equal(feed_str(&P, "$g#67"), RSP_PACKET);
	assert_string_equal(P.buf, "g");
	assert_int_equal(P.len, 1);
	assert_int_equal(feed_str(&P, "$qSupported:multiprocess+;swbreak+#1b"), RSP_PACKET);
	assert_string_equal(P.buf, "qSupported:multiprocess+;swbreak+");
	assert_int_equal(feed_str(&P, "$?#3f"), RSP_PACKET);
	assert_string_equal(P.buf, "?");
	/* Upper-case checksum digits are accepted. */
	char pkt[64];
	size_t n = rsp_frame("m7f0000100000,4", 15, pkt, sizeof(pkt));
	for (size_t i = n - 2; i < n; i++)          /* the checksum in capitals */
		if (pkt[i] >= 'a')
			pkt[i] -= 32;
	assert_int_equal(feed(&P, pkt, n, NULL), RSP_PACKET);
	assert_string_equal(P.buf, "m7f0000100000,4");
	/* A wrong digit, and digits that are not hex. */
	assert_int_equal(feed_str(&P, "$g#68"), RSP_BAD_CSUM);
	assert_int_equal(feed_str(&P, "$g#6z"), RSP_BAD);
	assert_int_equal(feed_str(&P, "$g#zz"), RSP_BAD);
	/* The empty packet. */
	assert_int_equal(feed_str(&P, "$#00"), RSP_PACKET);
	assert_int_equal(P.len, 0);
	assert_string_equal(P.buf, "");
}

static void test_outside_packets(void **state)
{
	rsp_init(&P);
	assert_int_equal(rsp_feed(&P, '+'), RSP_ACK);
	assert_int_equal(rsp_feed(&P, '-'), RSP_NACK);
	assert_int_equal(rsp_feed(&P, 0x03), RSP_INTERRUPT);
	assert_int_equal(rsp_feed(&P, 'x'), RSP_MORE);      /* noise */
	assert_int_equal(rsp_feed(&P, '#'), RSP_MORE);
	/* Inside a packet 0x03, '+' and '-' are body bytes. */
	char body[] = "a\003+-b";
	char pkt[32];
	size_t n = rsp_frame(body, 5, pkt, sizeof(pkt));
	assert_int_equal(feed(&P, pkt, n, NULL), RSP_PACKET);
	assert_int_equal(P.len, 5);
	assert_memory_equal(P.buf, body, 5);
}

static void test_escapes(void **state)
{
	/* "}" escapes: "}\x03" is '#', "}\x04" '$', "}]" '}', "}\x0a" '*'. */
	const char body[] = "X0,4:}\x03}\x04}]}\x0a";
	u8 sum = 0;
	char pkt[64];

	for (size_t i = 0; i < sizeof(body) - 1; i++)
		sum += (u8)body[i];
	snprintf(pkt, sizeof(pkt), "$%s#%02x", body, sum);
	rsp_init(&P);
	assert_int_equal(feed_str(&P, pkt), RSP_PACKET);
	assert_int_equal(P.len, 9);
	assert_memory_equal(P.buf, "X0,4:#$}*", 9);

	/* The framer escapes exactly those four bytes, and the parser undoes it. */
	u8 all[256];
	static char framed[1024];
	for (int i = 0; i < 256; i++)
		all[i] = (u8)i;
	size_t n = rsp_frame(all, sizeof(all), framed, sizeof(framed));
	assert_int_equal(n, 1 + 256 + 4 + 3);
	assert_int_equal(feed(&P, framed, n, NULL), RSP_PACKET);
	assert_int_equal(P.len, 256);
	assert_memory_equal(P.buf, all, 256);
	/* Too small an output buffer: 0, nothing half-framed claimed. */
	assert_int_equal(rsp_frame(all, sizeof(all), framed, 100), 0);
	assert_int_equal(rsp_frame("", 0, framed, 3), 0);
	assert_int_equal(rsp_frame("", 0, framed, 4), 4);
	assert_memory_equal(framed, "$#00", 4);
}

/* A packet with a correct checksum around a raw body. */
static size_t make(char *out, size_t size, const char *body, size_t len)
{
	u8 sum = 0;

	for (size_t i = 0; i < len; i++)
		sum += (u8)body[i];
	assert_true(len + 4 <= size);
	out[0] = '$';
	memcpy(out + 1, body, len);
	snprintf(out + 1 + len, size - 1 - len, "#%02x", sum);
	return len + 4;
}

static void test_run_length(void **state)
{
	char pkt[64];

	rsp_init(&P);
	/* "0* " is '0' and 32 - 29 = 3 more: "0000". */
	assert_int_equal(feed(&P, pkt, make(pkt, sizeof(pkt), "0* ", 3), NULL), RSP_PACKET);
	assert_string_equal(P.buf, "0000");
	/* The largest count, '~' (126): 97 more. */
	assert_int_equal(feed(&P, pkt, make(pkt, sizeof(pkt), "a*~b", 4), NULL), RSP_PACKET);
	assert_int_equal(P.len, 1 + 97 + 1);
	assert_int_equal(P.buf[97], 'a');
	assert_int_equal(P.buf[98], 'b');
	/* An escaped byte can be repeated. */
	assert_int_equal(feed(&P, pkt, make(pkt, sizeof(pkt), "}]* ", 4), NULL), RSP_PACKET);
	assert_string_equal(P.buf, "}}}}");
	/* Nothing to repeat, or a count that is not one: malformed. */
	assert_int_equal(feed(&P, pkt, make(pkt, sizeof(pkt), "* x", 3), NULL), RSP_BAD);
	assert_int_equal(feed(&P, pkt, make(pkt, sizeof(pkt), "a*\001", 3), NULL), RSP_BAD);
	assert_int_equal(feed(&P, pkt, make(pkt, sizeof(pkt), "a*\177", 3), NULL), RSP_BAD);
	/* And the parser is fine afterwards. */
	assert_int_equal(feed_str(&P, "$g#67"), RSP_PACKET);
}

static void test_truncated(void **state)
{
	rsp_init(&P);
	/* A packet cut short by a new one: the new one counts. */
	assert_int_equal(feed_str(&P, "$m1234,$g#67"), RSP_PACKET);
	assert_string_equal(P.buf, "g");
	/* Cut before its checksum, or inside an escape or a run length:
	 * nothing is reported, and the next packet is whole. */
	assert_int_equal(feed_str(&P, "$abc"), RSP_MORE);
	assert_int_equal(feed_str(&P, "$g#67"), RSP_PACKET);
	assert_int_equal(feed_str(&P, "$abc#6"), RSP_MORE);
	assert_int_equal(feed_str(&P, "$?#3f"), RSP_PACKET);  /* a raw '$' always starts over */
	assert_string_equal(P.buf, "?");
	assert_int_equal(feed_str(&P, "$a}"), RSP_MORE);
	assert_int_equal(feed_str(&P, "$g#67"), RSP_PACKET);
	assert_int_equal(P.len, 1);
	assert_int_equal(feed_str(&P, "$a*"), RSP_MORE);
	assert_int_equal(feed_str(&P, "$g#67"), RSP_PACKET);
	assert_string_equal(P.buf, "g");
}

static void test_oversize(void **state)
{
	size_t len = RSP_MAX_PACKET + 10;
	char *body = malloc(len), *pkt = malloc(len + 8);

	assert_non_null(body);
	assert_non_null(pkt);
	memset(body, 'a', len);
	rsp_init(&P);
	/* Exactly the maximum fits. */
	assert_int_equal(feed(&P, pkt, make(pkt, len + 8, body, RSP_MAX_PACKET), NULL), RSP_PACKET);
	assert_int_equal(P.len, RSP_MAX_PACKET);
	assert_int_equal(P.buf[RSP_MAX_PACKET], 0);
	/* One more does not, nor does a run length that expands past it. */
	assert_int_equal(feed(&P, pkt, make(pkt, len + 8, body, RSP_MAX_PACKET + 1), NULL),
			 RSP_TOO_LONG);
	assert_int_equal(P.len, RSP_MAX_PACKET);
	memcpy(body + RSP_MAX_PACKET - 2, "*~", 2);
	assert_int_equal(feed(&P, pkt, make(pkt, len + 8, body, RSP_MAX_PACKET), NULL),
			 RSP_TOO_LONG);
	/* A wrong checksum wins over the size (the packet is resent). */
	size_t n = make(pkt, len + 8, body, len);
	pkt[n - 1] = pkt[n - 1] == '0' ? '1' : '0';
	assert_int_equal(feed(&P, pkt, n, NULL), RSP_BAD_CSUM);
	assert_int_equal(feed_str(&P, "$g#67"), RSP_PACKET);
	free(body);
	free(pkt);
}

static void test_hex(void **state)
{
	char out[64];
	u8 b[8];
	const char *s;
	u64 v;

	rsp_hex_encode(out, "\x00\x7f\xff\x10", 4);
	assert_string_equal(out, "007fff10");
	assert_int_equal(rsp_hex_decode("007FfF10", 4, b), 0);
	assert_memory_equal(b, "\x00\x7f\xff\x10", 4);
	assert_int_equal(rsp_hex_decode("0g", 1, b), -1);
	assert_int_equal(rsp_hex_decode("0", 1, b), -1);      /* ends early */
	assert_int_equal(rsp_hex_decode("", 1, b), -1);

	s = "7f0000100000,4";
	assert_int_equal(rsp_parse_hex(&s, &v), 0);
	assert_int_equal(v, 0x7f0000100000ull);
	assert_string_equal(s, ",4");
	s = "ffffffffffffffff";
	assert_int_equal(rsp_parse_hex(&s, &v), 0);
	assert_int_equal(v, UINT64_MAX);
	s = "0000000000000000001";                           /* leading zeros are fine */
	assert_int_equal(rsp_parse_hex(&s, &v), 0);
	assert_int_equal(v, 1);
	s = "10000000000000000";                             /* 65 bits */
	assert_int_equal(rsp_parse_hex(&s, &v), -1);
	s = ",4";
	assert_int_equal(rsp_parse_hex(&s, &v), -1);
	assert_string_equal(s, ",4");                        /* not moved */
	s = "";
	assert_int_equal(rsp_parse_hex(&s, &v), -1);
}

/* The contract, checked after every byte. */
static void check_contract(const struct rsp_parser *p, enum rsp_event e)
{
	assert_true(p->len <= RSP_MAX_PACKET);
	assert_true(p->state >= RSP_IDLE && p->state <= RSP_CSUM2);
	if (e == RSP_PACKET || e == RSP_TOO_LONG)
		assert_int_equal(p->buf[p->len], 0);
}

static void test_fuzz(void **state)
{
	static const char alphabet[] = "$#}*+-\003gmM0123456789abcdefABCDEF:,;qZz ~";
	unsigned seed = 12345;
	int packets = 0;

	/* Random bytes, biased towards the protocol's own characters. */
	rsp_init(&P);
	for (int i = 0; i < 2000000; i++) {
		int r = rand_r(&seed);
		u8 c = r & 1 ? (u8)(r >> 8) : (u8)alphabet[(r >> 8) % (sizeof(alphabet) - 1)];
		enum rsp_event e = rsp_feed(&P, c);
		check_contract(&P, e);
		packets += e == RSP_PACKET;
	}
	/* Random bodies framed, each followed by a mutated copy: the good
	 * one always comes back byte for byte; a mutation never crashes,
	 * and the parser finds the next good packet. */
	static u8 body[RSP_MAX_PACKET], framed[2 * RSP_MAX_PACKET + 8];
	for (int round = 0; round < 3000; round++) {
		size_t len = (size_t)rand_r(&seed) % (round % 100 ? 300 : RSP_MAX_PACKET);
		for (size_t i = 0; i < len; i++)
			body[i] = (u8)rand_r(&seed);
		size_t n = rsp_frame(body, len, (char *)framed, sizeof(framed));
		assert_true(n >= len + 4);
		rsp_init(&P);
		assert_int_equal(feed(&P, (char *)framed, n, NULL), RSP_PACKET);
		assert_int_equal(P.len, len);
		assert_memory_equal(P.buf, body, len);
		/* Flip, drop or truncate. */
		int how = rand_r(&seed) % 3;
		size_t at = (size_t)rand_r(&seed) % n;
		if (how == 0)
			framed[at] ^= (u8)(1 + rand_r(&seed) % 255);
		else if (how == 1)
			memmove(framed + at, framed + at + 1, --n - at);
		else
			n = at;
		for (size_t i = 0; i < n; i++)
			check_contract(&P, rsp_feed(&P, framed[i]));
		/* Whatever the damage left the parser in, the next good
		 * packet comes through whole: its '$' starts over. */
		int got = 0;
		feed(&P, "$g#67", 5, &got);
		assert_int_equal(got, 1);
		assert_string_equal(P.buf, "g");
	}
	assert_true(packets > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_packets),
		cmocka_unit_test(test_outside_packets),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_run_length),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_oversize),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_fuzz),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
