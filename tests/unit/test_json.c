/*
 * Unit tests for monitor/json.c, the control socket's JSON reader: valid
 * documents come back as the right tree (types, numbers, decoded strings,
 * member order), invalid ones are refused with a reason and an offset,
 * and random or mutated input never crashes it, never leaves the node
 * pool and always ends in either a tree or a reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vm.h"

static struct json_doc doc;

static const struct json *parse(const char *s, char *err)
{
	err[0] = 0;
	return json_parse(&doc, s, strlen(s), err, 160);
}

static void test_qmp_command(void **state)
{
	char err[160];
	const struct json *r = parse(" {\"execute\": \"savevm\", \"arguments\": {\"file\": \"a b.snap\"},"
				     " \"id\": 7}\r\n", err);

	assert_non_null(r);
	assert_int_equal(r->type, JSON_OBJECT);
	assert_int_equal(r->count, 3);
	assert_string_equal(json_get(r, "execute")->str, "savevm");
	assert_string_equal(json_get(json_get(r, "arguments"), "file")->str, "a b.snap");
	assert_true(json_get(r, "id")->num == 7);
	assert_null(json_get(r, "nothing"));
	assert_null(json_get(json_get(r, "execute"), "x"));   /* not an object */
	/* Members keep their order. */
	assert_string_equal(r->child->key, "execute");
	assert_string_equal(r->child->next->next->key, "id");
}

static void test_values(void **state)
{
	char err[160];
	const struct json *r = parse("[true, false, null, -0.5e2, 0, 12345678901, \"\", [], {}]", err);

	assert_non_null(r);
	assert_int_equal(r->count, 9);
	const struct json *v = r->child;
	static const enum json_type want[] = { JSON_TRUE, JSON_FALSE, JSON_NULL, JSON_NUMBER,
		JSON_NUMBER, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };
	for (int i = 0; i < 9; i++, v = v->next)
		assert_int_equal(v->type, want[i]);
	assert_true(r->child->next->next->next->num == -50.0);
	assert_true(r->child->next->next->next->next->next->num == 12345678901.0);
}

static void test_strings(void **state)
{
	char err[160];
	const struct json *r = parse("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\\u20ac\\ud83d\\ude00\\u0000z\"", err);

	assert_non_null(r);
	assert_int_equal(r->type, JSON_STRING);
	static const char want[] = "a\"b\\c/d\b\f\n\r\t\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\0z";
	assert_int_equal(r->len, sizeof(want) - 1);
	assert_memory_equal(r->str, want, sizeof(want));
}

static void test_refusals(void **state)
{
	static const struct { const char *text, *why; } bad[] = {
		{ "", "unexpected end at byte 0" },
		{ "{", "expected a member name at byte 1" },
		{ "{\"a\" 1}", "expected ':' at byte 5" },
		{ "{\"a\": 1,}", "expected a member name at byte 8" },
		{ "[1 2]", "expected ',' or ']' at byte 3" },
		{ "{\"execute\": ", "unexpected end at byte 12" },
		{ "01", "text after the value at byte 1" },
		{ "+1", "bad number at byte 0" },
		{ "1.", "bad number at byte 2" },
		{ "1e", "bad number at byte 2" },
		{ "tru", "unknown word at byte 0" },
		{ "\"abc", "unterminated string at byte 4" },
		{ "\"a\nb\"", "control character in a string at byte 3" },
		{ "\"\\x\"", "bad escape in a string at byte 3" },
		{ "\"\\u12g4\"", "bad \\u escape at byte 6" },
		{ "\"\\ud800\"", "lone high surrogate at byte 7" },
		{ "\"\\udc00\"", "lone low surrogate at byte 7" },
		{ "\"\\ud800\\u0041\"", "bad surrogate pair at byte 13" },
		{ "{} {}", "text after the value at byte 3" },
	};
	char err[160];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_null(parse(bad[i].text, err));
		assert_string_equal(err, bad[i].why);
	}
}

static void test_limits(void **state)
{
	char err[160], *deep = malloc(200);

	/* Nesting deeper than JSON_MAX_DEPTH is refused, not recursed into. */
	memset(deep, '[', 199);
	deep[199] = 0;
	assert_null(parse(deep, err));
	assert_non_null(strstr(err, "nested too deeply"));
	free(deep);
	/* More values than the pool holds. */
	size_t n = JSON_MAX_NODES * 2 + 2;
	char *many = malloc(n * 2 + 2);
	char *p = many;
	*p++ = '[';
	for (size_t i = 0; i < n; i++) {
		*p++ = '1';
		*p++ = ',';
	}
	p[-1] = ']';
	*p = 0;
	assert_null(parse(many, err));
	assert_non_null(strstr(err, "too many values"));
	free(many);
}

/* Every node of a parsed tree lies in the pool, every string in the text
 * buffer and NUL-terminated, and the counts match the links. */
static void check_tree(const struct json *j, int depth)
{
	assert_true(j >= doc.node && j < doc.node + doc.n);
	assert_true(depth <= JSON_MAX_DEPTH + 1);
	if (j->key)
		assert_true(j->key >= doc.text && j->key < doc.text + doc.used);
	if (j->type == JSON_STRING) {
		assert_true(j->str >= doc.text && j->str + j->len < doc.text + doc.used);
		assert_int_equal(j->str[j->len], 0);
	}
	int n = 0;
	for (const struct json *c = j->child; c; c = c->next, n++) {
		if (j->type == JSON_OBJECT)
			assert_non_null(c->key);
		check_tree(c, depth + 1);
	}
	assert_int_equal(n, j->count);
}

static void test_fuzz(void **state)
{
	static const char *const seeds[] = {
		"{\"execute\": \"migrate\", \"arguments\": {\"uri\": \"tcp:127.0.0.1:4444\"}}",
		"[1, -2.5e-3, \"\\u00e9\\ud83d\\ude00\", {\"a\": [true, false, null]}]",
		"{\"execute\": \"qmp_capabilities\"}",
	};
	static const char alphabet[] = "{}[]\",:\\u0123456789abcdefABCDEF.eE+-tnrfl \t\n\x01\xff";
	char buf[256], err[160];
	unsigned seed = 12345;

	for (int trial = 0; trial < 200000; trial++) {
		size_t len;
		if (trial % 2) {                /* a mutated valid command */
			const char *s = seeds[trial % 3];
			len = strlen(s);
			memcpy(buf, s, len);
			for (int m = rand_r(&seed) % 4; m >= 0 && len; m--) {
				size_t at = (size_t)rand_r(&seed) % len;
				switch (rand_r(&seed) % 3) {
				case 0: buf[at] = alphabet[rand_r(&seed) % (sizeof(alphabet) - 1)]; break;
				case 1: len = at; break;                 /* cut short */
				default: buf[at] = (char)rand_r(&seed); break;
				}
			}
		} else {                        /* random bytes from the alphabet */
			len = (size_t)rand_r(&seed) % sizeof(buf);
			for (size_t i = 0; i < len; i++)
				buf[i] = alphabet[rand_r(&seed) % (sizeof(alphabet) - 1)];
		}
		err[0] = 0;
		const struct json *r = json_parse(&doc, buf, len, err, sizeof(err));
		if (r) {
			assert_true(r == &doc.node[0]);
			check_tree(r, 0);
		} else {
			assert_non_null(strstr(err, " at byte "));
		}
	}
}

static void test_quote(void **state)
{
	char buf[64];

	assert_string_equal(json_quote("a\"b\\c\nd", buf, sizeof(buf)), "\"a\\\"b\\\\c\\u000ad\"");
	/* Cut to fit, still a string literal. */
	assert_string_equal(json_quote("0123456789012345678901234567890123456789", buf, 16), "\"0123456\"");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qmp_command),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_fuzz),
		cmocka_unit_test(test_quote),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
