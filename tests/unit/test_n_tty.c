/*
 * Unit tests for the guest kernel's line discipline
 * (guest-kernel/drivers/n_tty.c, compiled here on the host): raw byte
 * sequences in, then the input a read() gets, the echo the terminal
 * shows and the signal asked for, as Linux's N_TTY gives them (the
 * expected bytes are what a Linux pty echoes with the same settings):
 * erase, kill, word-erase, ^V, ^R, ICRNL/INLCR/IGNCR/ISTRIP, ONLCR and
 * tabs, VEOF, VMIN/VTIME in raw mode, the ISIG characters, IXON, an
 * overlong line, FIONREAD, and switching modes with input pending.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "drivers/n_tty.c"

static struct n_tty ld;

static int setup(void **state)
{
	(void)state;
	n_tty_init(&ld);
	return 0;
}

/* Type s (n bytes); the last signal asked for. */
static enum n_tty_signal type_n(const char *s, size_t n)
{
	enum n_tty_signal sig = N_TTY_NONE, r;

	for (size_t i = 0; i < n; i++)
		if ((r = n_tty_receive(&ld, (u8)s[i])) != N_TTY_NONE)
			sig = r;
	return sig;
}

static enum n_tty_signal type(const char *s)
{
	return type_n(s, strlen(s));
}

/* The echo so far, as a string. */
static const char *echoed(void)
{
	static char buf[N_TTY_ECHO_BUF + 1];
	u32 n = n_tty_echo_take(&ld, (u8 *)buf, N_TTY_ECHO_BUF);

	buf[n] = 0;
	return buf;
}

/* One read() of at most n bytes, as a string ("" if nothing was there). */
static const char *readn(u64 n)
{
	static char buf[N_TTY_BUF + 1];
	u64 got = n_tty_readable(&ld) ? n_tty_read(&ld, (u8 *)buf, n) : 0;

	buf[got] = 0;
	return buf;
}

static void lflag(u32 clear, u32 set)
{
	struct termios t = ld.termios;

	t.c_lflag = (t.c_lflag & ~clear) | set;
	n_tty_set_termios(&ld, &t);
}

static void iflag(u32 clear, u32 set)
{
	struct termios t = ld.termios;

	t.c_iflag = (t.c_iflag & ~clear) | set;
	n_tty_set_termios(&ld, &t);
}

static void test_cooked_line(void **state)
{
	(void)state;
	type("abc");
	assert_false(n_tty_readable(&ld));       /* not before the line ends */
	type("\r");
	assert_string_equal(echoed(), "abc\r\n");
	assert_string_equal(readn(100), "abc\n");
	assert_false(n_tty_readable(&ld));
}

static void test_two_lines_one_at_a_time(void **state)
{
	(void)state;
	type("one\rtwo\r");
	assert_string_equal(readn(100), "one\n");
	assert_string_equal(readn(2), "tw");
	assert_string_equal(readn(100), "o\n");
}

static void test_erase(void **state)
{
	(void)state;
	type("ab\x7f" "c\r");
	assert_string_equal(echoed(), "ab\b \bc\r\n");
	assert_string_equal(readn(100), "ac\n");
	/* ^H is not VERASE: it is data, echoed ^H. */
	type("a\b\r");
	assert_string_equal(echoed(), "a^H\r\n");
	assert_string_equal(readn(100), "a\b\n");
}

static void test_erase_at_line_start_does_nothing(void **state)
{
	(void)state;
	type("\x7f\x7f" "x\r");
	assert_string_equal(echoed(), "x\r\n");
	assert_string_equal(readn(100), "x\n");
}

static void test_erase_control_char_two_columns(void **state)
{
	(void)state;
	type("a\x01\x7f\r");
	assert_string_equal(echoed(), "a^A\b \b\b \b\r\n");
	assert_string_equal(readn(100), "a\n");
}

static void test_erase_without_echoe(void **state)
{
	(void)state;
	lflag(ECHOE, 0);
	type("ab\x7f\r");
	assert_string_equal(echoed(), "ab^?\r\n");
	assert_string_equal(readn(100), "a\n");
}

static void test_erase_tab(void **state)
{
	(void)state;
	type("ab\t\x7f" "c\r");
	/* The tab went from column 2 to 8: six columns back. */
	assert_string_equal(echoed(), "ab\t\b\b\b\b\b\bc\r\n");
	assert_string_equal(readn(100), "abc\n");
}

static void test_erase_utf8_character(void **state)
{
	(void)state;
	iflag(0, IUTF8);
	type("a\xc3\xa9\x7f\r");
	assert_string_equal(echoed(), "a\xc3\xa9\b \b\r\n");
	assert_string_equal(readn(100), "a\n");
}

static void test_kill_echoke(void **state)
{
	(void)state;
	type("hello\x15" "x\r");
	assert_string_equal(echoed(), "hello\b \b\b \b\b \b\b \b\b \bx\r\n");
	assert_string_equal(readn(100), "x\n");
}

static void test_kill_echok_only(void **state)
{
	(void)state;
	lflag(ECHOKE, 0);
	type("hello\x15" "x\r");
	assert_string_equal(echoed(), "hello^U\r\nx\r\n");
	assert_string_equal(readn(100), "x\n");
	lflag(ECHOK, 0);
	type("ab\x15" "c\r");
	assert_string_equal(echoed(), "ab^Uc\r\n");
	assert_string_equal(readn(100), "c\n");
}

static void test_word_erase(void **state)
{
	(void)state;
	type("foo bar  \x17");
	assert_string_equal(echoed(), "foo bar  \b \b\b \b\b \b\b \b\b \b");
	type("\x17" "baz\r");
	assert_string_equal(readn(100), "baz\n");
	/* Without IEXTEN ^W is data. */
	lflag(IEXTEN, 0);
	type("a\x17\r");
	assert_string_equal(readn(100), "a\x17\n");
}

static void test_word_erase_punctuation(void **state)
{
	(void)state;
	type("cd /usr/lib\x17\r");
	assert_string_equal(readn(100), "cd /usr/\n");
}

static void test_lnext(void **state)
{
	(void)state;
	assert_int_equal(type("\x16\x03"), N_TTY_NONE);
	type("\x16\x7f\r");
	assert_string_equal(echoed(), "^\b^C^\b^?\r\n");
	assert_string_equal(readn(100), "\x03\x7f\n");
	/* A literal newline does not end the line. */
	iflag(ICRNL, 0);
	type("\x16\n" "a\n");
	assert_string_equal(readn(100), "\na\n");
}

static void test_reprint(void **state)
{
	(void)state;
	type("ab\x12");
	assert_string_equal(echoed(), "ab^R\r\nab");
}

static void test_icrnl_inlcr_igncr(void **state)
{
	(void)state;
	iflag(ICRNL, 0);
	type("a\rb\n");
	assert_string_equal(readn(100), "a\rb\n");
	assert_string_equal(echoed(), "a^Mb\r\n");
	iflag(0, IGNCR);
	type("c\rd\n");
	assert_string_equal(readn(100), "cd\n");
	iflag(IGNCR, INLCR);
	type("e\n" "f\x04");
	assert_string_equal(readn(100), "e\rf");
}

static void test_istrip(void **state)
{
	(void)state;
	iflag(0, ISTRIP);
	type("\xc1\r");
	assert_string_equal(readn(100), "A\n");
}

static void test_eof(void **state)
{
	(void)state;
	type("\x04");
	assert_true(n_tty_readable(&ld));
	assert_int_equal(n_tty_read(&ld, (u8[8]){ 0 }, 8), 0);     /* end of file */
	assert_false(n_tty_readable(&ld));
	type("ab\x04");
	assert_string_equal(echoed(), "ab");                     /* VEOF is not echoed */
	assert_string_equal(readn(100), "ab");
	assert_false(n_tty_readable(&ld));
	/* A ^D line that exactly fills the buffer is not also an end of file. */
	type("cd\x04");
	assert_string_equal(readn(2), "cd");
	assert_false(n_tty_readable(&ld));
}

static void test_veol(void **state)
{
	struct termios t = ld.termios;

	(void)state;
	t.c_cc[VEOL] = ';';
	n_tty_set_termios(&ld, &t);
	type("ls;");
	assert_string_equal(readn(100), "ls;");
}

static void test_onlcr_and_opost(void **state)
{
	u8 out[N_TTY_OUT_MAX];
	struct termios t = ld.termios;

	(void)state;
	assert_int_equal(n_tty_output(&ld, 'a', out), 1);
	assert_int_equal(ld.column, 1);
	assert_int_equal(n_tty_output(&ld, '\n', out), 2);
	assert_memory_equal(out, "\r\n", 2);
	assert_int_equal(ld.column, 0);
	t.c_oflag &= ~ONLCR;
	n_tty_set_termios(&ld, &t);
	assert_int_equal(n_tty_output(&ld, '\n', out), 1);
	assert_int_equal(out[0], '\n');
	t.c_oflag |= ONLCR;
	t.c_oflag &= ~OPOST;
	n_tty_set_termios(&ld, &t);
	assert_int_equal(n_tty_output(&ld, '\n', out), 1);
	assert_int_equal(out[0], '\n');
	/* XTABS: a tab at column 3 is five spaces. */
	t.c_oflag |= OPOST | XTABS;
	n_tty_set_termios(&ld, &t);
	ld.column = 3;
	assert_int_equal(n_tty_output(&ld, '\t', out), 5);
	assert_memory_equal(out, "     ", 5);
	assert_int_equal(ld.column, 8);
	/* OCRNL and ONOCR */
	t.c_oflag = OPOST | ONOCR;
	n_tty_set_termios(&ld, &t);
	ld.column = 0;
	assert_int_equal(n_tty_output(&ld, '\r', out), 0);
	t.c_oflag = OPOST | OCRNL;
	n_tty_set_termios(&ld, &t);
	assert_int_equal(n_tty_output(&ld, '\r', out), 1);
	assert_int_equal(out[0], '\n');
}

static void test_raw_mode(void **state)
{
	(void)state;
	lflag(ICANON, 0);
	type("ab");
	assert_true(n_tty_readable(&ld));
	assert_string_equal(echoed(), "ab");
	assert_string_equal(readn(1), "a");
	assert_string_equal(readn(10), "b");
	/* Erase, kill and VEOF are data; a control character echoes as ^X,
	 * a typed CR (made NL by ICRNL) as a newline. */
	type("\x7f\x15\x04\r");
	assert_string_equal(readn(10), "\x7f\x15\x04\n");
	assert_string_equal(echoed(), "^?^U^D\r\n");
	lflag(ECHO, 0);
	type("x");
	assert_string_equal(echoed(), "");
	assert_string_equal(readn(10), "x");
}

static void test_vmin_vtime(void **state)
{
	struct termios t = ld.termios;

	(void)state;
#define MT(min, time) (t.c_cc[VMIN] = (min), t.c_cc[VTIME] = (time))
	MT(0, 0);                       /* polling */
	assert_int_equal(n_tty_raw_wait(&t, 10, 0), 0);
	MT(0, 5);                       /* a read timeout */
	assert_int_equal(n_tty_raw_wait(&t, 10, 0), 5);
	assert_int_equal(n_tty_raw_wait(&t, 10, 1), 0);
	MT(3, 0);                       /* a counted read */
	assert_int_equal(n_tty_raw_wait(&t, 10, 0), N_TTY_FOREVER);
	assert_int_equal(n_tty_raw_wait(&t, 10, 2), N_TTY_FOREVER);
	assert_int_equal(n_tty_raw_wait(&t, 10, 3), 0);
	assert_int_equal(n_tty_raw_wait(&t, 2, 2), 0);      /* n below VMIN */
	MT(3, 2);                       /* an inter-byte timer, from the first byte */
	assert_int_equal(n_tty_raw_wait(&t, 10, 0), N_TTY_FOREVER);
	assert_int_equal(n_tty_raw_wait(&t, 10, 1), 2);
	assert_int_equal(n_tty_raw_wait(&t, 10, 3), 0);
#undef MT
}

static void test_isig(void **state)
{
	(void)state;
	type("partial");
	echoed();
	assert_int_equal(type("\x03"), N_TTY_INTR);
	assert_string_equal(echoed(), "^C");
	type("\r");
	assert_string_equal(readn(100), "\n");  /* the partial line was thrown away */
	assert_int_equal(type("\x1c"), N_TTY_QUIT);
	assert_int_equal(type("\x1a"), N_TTY_SUSP);
	assert_string_equal(echoed(), "\r\n^\\^Z");
	/* NOFLSH keeps the input. */
	lflag(0, NOFLSH);
	type("keep");
	assert_int_equal(type("\x03"), N_TTY_INTR);
	type("\r");
	assert_string_equal(readn(100), "keep\n");
	/* Without ISIG ^C is data. */
	lflag(ISIG, 0);
	assert_int_equal(type("\x03\r"), N_TTY_NONE);
	assert_string_equal(readn(100), "\x03\n");
	/* In raw mode too. */
	lflag(ICANON, ISIG);
	assert_int_equal(type("\x03"), N_TTY_INTR);
	assert_false(n_tty_readable(&ld));
}

static void test_ixon(void **state)
{
	(void)state;
	type("\x13");
	assert_true(ld.stopped);
	type("a");
	assert_true(ld.stopped);
	type("\x11");
	assert_false(ld.stopped);
	type("\r");
	assert_string_equal(readn(100), "a\n");
	iflag(IXON, 0);
	type("\x13\r");
	assert_false(ld.stopped);
	assert_string_equal(readn(100), "\x13\n");
}

static void test_overlong_line(void **state)
{
	static char line[5000];

	(void)state;
	memset(line, 'x', sizeof(line));
	type_n(line, sizeof(line));
	assert_true(n_tty_has_room(&ld));          /* the line must still end */
	type("\r");
	assert_int_equal(n_tty_inq(&ld), N_TTY_BUF);
	const char *got = readn(N_TTY_BUF);
	assert_int_equal(strlen(got), N_TTY_BUF);
	assert_int_equal(got[N_TTY_BUF - 2], 'x');
	assert_int_equal(got[N_TTY_BUF - 1], '\n');
}

static void test_raw_full_ring(void **state)
{
	static char bytes[N_TTY_BUF];

	(void)state;
	lflag(ICANON | ECHO, 0);
	memset(bytes, 'y', sizeof(bytes));
	type_n(bytes, sizeof(bytes));
	assert_false(n_tty_has_room(&ld));
	assert_string_equal(readn(1), "y");
	assert_true(n_tty_has_room(&ld));
}

static void test_fionread(void **state)
{
	(void)state;
	type("ab\rcd");
	assert_int_equal(n_tty_inq(&ld), 3);      /* the complete line only */
	type("\x04");
	assert_int_equal(n_tty_inq(&ld), 5);      /* VEOF is not data */
}

static void test_mode_switch(void **state)
{
	(void)state;
	type("half");
	lflag(ICANON, 0);                         /* the edited line is input now */
	assert_string_equal(readn(2), "ha");
	lflag(0, ICANON);                         /* the rest is one line */
	assert_string_equal(readn(100), "lf");
	assert_false(n_tty_readable(&ld));
}

static void test_flush(void **state)
{
	(void)state;
	type("a\rb");
	n_tty_flush_input(&ld);
	assert_false(n_tty_readable(&ld));
	type("c\r");
	assert_string_equal(readn(100), "c\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_cooked_line, setup),
		cmocka_unit_test_setup(test_two_lines_one_at_a_time, setup),
		cmocka_unit_test_setup(test_erase, setup),
		cmocka_unit_test_setup(test_erase_at_line_start_does_nothing, setup),
		cmocka_unit_test_setup(test_erase_control_char_two_columns, setup),
		cmocka_unit_test_setup(test_erase_without_echoe, setup),
		cmocka_unit_test_setup(test_erase_tab, setup),
		cmocka_unit_test_setup(test_erase_utf8_character, setup),
		cmocka_unit_test_setup(test_kill_echoke, setup),
		cmocka_unit_test_setup(test_kill_echok_only, setup),
		cmocka_unit_test_setup(test_word_erase, setup),
		cmocka_unit_test_setup(test_word_erase_punctuation, setup),
		cmocka_unit_test_setup(test_lnext, setup),
		cmocka_unit_test_setup(test_reprint, setup),
		cmocka_unit_test_setup(test_icrnl_inlcr_igncr, setup),
		cmocka_unit_test_setup(test_istrip, setup),
		cmocka_unit_test_setup(test_eof, setup),
		cmocka_unit_test_setup(test_veol, setup),
		cmocka_unit_test_setup(test_onlcr_and_opost, setup),
		cmocka_unit_test_setup(test_raw_mode, setup),
		cmocka_unit_test_setup(test_vmin_vtime, setup),
		cmocka_unit_test_setup(test_isig, setup),
		cmocka_unit_test_setup(test_ixon, setup),
		cmocka_unit_test_setup(test_overlong_line, setup),
		cmocka_unit_test_setup(test_raw_full_ring, setup),
		cmocka_unit_test_setup(test_fionread, setup),
		cmocka_unit_test_setup(test_mode_switch, setup),
		cmocka_unit_test_setup(test_flush, setup),
	};

	return cmocka_run_group_tests_name("n_tty", tests, NULL, NULL);
}
