/*
 * json.c: a small JSON reader (RFC 8259) for the control socket (qmp.c),
 * which receives one JSON object per line.  The whole document is parsed
 * into a fixed pool of nodes inside struct json_doc (no allocation, so a
 * hostile client can cost the monitor at most one doc's size), with the
 * strings decoded (escapes, \uXXXX with surrogate pairs to UTF-8) into the
 * doc's own buffer.  Nesting is limited to JSON_MAX_DEPTH so that the
 * recursive descent cannot run off the stack.  Anything that is not JSON
 * is refused with a one-line reason and the byte offset.
 *
 * A writer is not needed: the replies are few and built with snprintf,
 * and json_quote() escapes the strings that go into them.
 * tests/unit/test_json.c checks valid and invalid documents and fuzzes it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm.h"

struct parser {
	struct json_doc *d;      /* the nodes and string buffer being filled */
	const char *s;           /* the text */
	size_t len, pos;         /* its length, the next byte */
	char *err;               /* where the reason goes */
	size_t errlen;
};

static int fail(struct parser *p, const char *what)
{
	snprintf(p->err, p->errlen, "%s at byte %zu", what, p->pos);
	return -1;
}

static void skip_ws(struct parser *p)
{
	while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
				   p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
		p->pos++;
}

static struct json *new_node(struct parser *p, enum json_type t)
{
	if (p->d->n >= JSON_MAX_NODES) {
		fail(p, "too many values");
		return NULL;
	}
	struct json *j = &p->d->node[p->d->n++];
	memset(j, 0, sizeof(*j));
	j->type = t;
	return j;
}

static int put_byte(struct parser *p, char c)
{
	if (p->d->used >= sizeof(p->d->text))
		return fail(p, "strings too long");
	p->d->text[p->d->used++] = c;
	return 0;
}

static int hex4(struct parser *p, unsigned *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p->pos < p->len ? p->s[p->pos++] : 0;
		unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0') :
			     c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10) :
			     c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 16;
		if (d == 16)
			return fail(p, "bad \\u escape");
		*v = *v << 4 | d;
	}
	return 0;
}

/* Code point cp as UTF-8 into the string buffer. */
static int put_utf8(struct parser *p, unsigned cp)
{
	if (cp < 0x80)
		return put_byte(p, (char)cp);
	if (cp < 0x800)
		return put_byte(p, (char)(0xc0 | cp >> 6)) ||
		       put_byte(p, (char)(0x80 | (cp & 0x3f))) ? -1 : 0;
	if (cp < 0x10000)
		return put_byte(p, (char)(0xe0 | cp >> 12)) ||
		       put_byte(p, (char)(0x80 | ((cp >> 6) & 0x3f))) ||
		       put_byte(p, (char)(0x80 | (cp & 0x3f))) ? -1 : 0;
	return put_byte(p, (char)(0xf0 | cp >> 18)) ||
	       put_byte(p, (char)(0x80 | ((cp >> 12) & 0x3f))) ||
	       put_byte(p, (char)(0x80 | ((cp >> 6) & 0x3f))) ||
	       put_byte(p, (char)(0x80 | (cp & 0x3f))) ? -1 : 0;
}

/* A string at p->pos (the opening quote): decoded, NUL-terminated, in the
 * doc's buffer; *out points at it, *outlen its length. */
static int parse_string(struct parser *p, const char **out, size_t *outlen)
{
	size_t start = p->d->used;

	p->pos++;                                   /* the quote */
	for (;;) {
		if (p->pos >= p->len)
			return fail(p, "unterminated string");
		unsigned char c = (unsigned char)p->s[p->pos++];
		if (c == '"')
			break;
		if (c < 0x20)
			return fail(p, "control character in a string");
		if (c != '\\') {
			if (put_byte(p, (char)c) < 0)
				return -1;
			continue;
		}
		if (p->pos >= p->len)
			return fail(p, "unterminated string");
		char e = p->s[p->pos++];
		const char *simple = strchr("\"\\/bfnrt", e);
		if (e && simple) {
			static const char map[] = "\"\\/\b\f\n\r\t";
			if (put_byte(p, map[simple - "\"\\/bfnrt"]) < 0)
				return -1;
			continue;
		}
		if (e != 'u')
			return fail(p, "bad escape in a string");
		unsigned cp, lo;
		if (hex4(p, &cp) < 0)
			return -1;
		if (cp >= 0xdc00 && cp < 0xe000)
			return fail(p, "lone low surrogate");
		if (cp >= 0xd800 && cp < 0xdc00) {
			if (p->pos + 2 > p->len || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u')
				return fail(p, "lone high surrogate");
			p->pos += 2;
			if (hex4(p, &lo) < 0)
				return -1;
			if (lo < 0xdc00 || lo >= 0xe000)
				return fail(p, "bad surrogate pair");
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		}
		if (put_utf8(p, cp) < 0)
			return -1;
	}
	if (put_byte(p, 0) < 0)
		return -1;
	*out = p->d->text + start;
	*outlen = p->d->used - start - 1;
	return 0;
}

/* A number in JSON's grammar (no leading zeros, no '+', no hex). */
static int parse_number(struct parser *p, struct json *j)
{
	size_t st = p->pos;
	char buf[64];

	if (p->pos < p->len && p->s[p->pos] == '-')
		p->pos++;
	if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
		return fail(p, "bad number");
	if (p->s[p->pos] == '0')
		p->pos++;
	else
		while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
			p->pos++;
	if (p->pos < p->len && p->s[p->pos] == '.') {
		p->pos++;
		if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
			return fail(p, "bad number");
		while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
			p->pos++;
	}
	if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
		p->pos++;
		if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
			p->pos++;
		if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
			return fail(p, "bad number");
		while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
			p->pos++;
	}
	if (p->pos - st >= sizeof(buf))
		return fail(p, "number too long");
	memcpy(buf, p->s + st, p->pos - st);
	buf[p->pos - st] = 0;
	j->num = strtod(buf, NULL);
	return 0;
}

static struct json *parse_value(struct parser *p, int depth);

/* The members of an object or elements of an array, after the bracket. */
static int parse_members(struct parser *p, struct json *j, int depth, bool object)
{
	char close = object ? '}' : ']';
	struct json **tail = &j->child;

	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == close) {
		p->pos++;
		return 0;
	}
	for (;;) {
		const char *key = NULL;
		size_t klen;
		skip_ws(p);
		if (object) {
			if (p->pos >= p->len || p->s[p->pos] != '"')
				return fail(p, "expected a member name");
			if (parse_string(p, &key, &klen) < 0)
				return -1;
			skip_ws(p);
			if (p->pos >= p->len || p->s[p->pos] != ':')
				return fail(p, "expected ':'");
			p->pos++;
		}
		struct json *v = parse_value(p, depth + 1);
		if (!v)
			return -1;
		v->key = key;
		*tail = v;
		tail = &v->next;
		j->count++;
		skip_ws(p);
		if (p->pos < p->len && p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->s[p->pos] == close) {
			p->pos++;
			return 0;
		}
		return fail(p, object ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

static struct json *parse_value(struct parser *p, int depth)
{
	struct json *j;

	if (depth > JSON_MAX_DEPTH) {
		fail(p, "nested too deeply");
		return NULL;
	}
	skip_ws(p);
	if (p->pos >= p->len) {
		fail(p, "unexpected end");
		return NULL;
	}
	char c = p->s[p->pos];
	switch (c) {
	case '{':
	case '[':
		if (!(j = new_node(p, c == '{' ? JSON_OBJECT : JSON_ARRAY)))
			return NULL;
		p->pos++;
		return parse_members(p, j, depth, c == '{') < 0 ? NULL : j;
	case '"':
		if (!(j = new_node(p, JSON_STRING)))
			return NULL;
		return parse_string(p, &j->str, &j->len) < 0 ? NULL : j;
	case 't': case 'f': case 'n': {
		static const char *const words[] = { "true", "false", "null" };
		static const enum json_type types[] = { JSON_TRUE, JSON_FALSE, JSON_NULL };
		for (int i = 0; i < 3; i++) {
			size_t n = strlen(words[i]);
			if (p->len - p->pos >= n && memcmp(p->s + p->pos, words[i], n) == 0) {
				p->pos += n;
				return new_node(p, types[i]);
			}
		}
		fail(p, "unknown word");
		return NULL;
	}
	default:
		if (!(j = new_node(p, JSON_NUMBER)))
			return NULL;
		return parse_number(p, j) < 0 ? NULL : j;
	}
}

const struct json *json_parse(struct json_doc *d, const char *text, size_t len,
			      char *err, size_t errlen)
{
	struct parser p = { .d = d, .s = text, .len = len, .err = err, .errlen = errlen };

	d->n = 0;
	d->used = 0;
	struct json *root = parse_value(&p, 0);
	if (!root)
		return NULL;
	skip_ws(&p);
	if (p.pos != len) {
		fail(&p, "text after the value");
		return NULL;
	}
	return root;
}

const struct json *json_get(const struct json *obj, const char *key)
{
	if (!obj || obj->type != JSON_OBJECT)
		return NULL;
	for (const struct json *m = obj->child; m; m = m->next)
		if (strcmp(m->key, key) == 0)
			return m;
	return NULL;
}

const char *json_quote(const char *s, char *buf, size_t size)
{
	size_t o = 0;

	if (size < 3)
		return "\"\"";
	buf[o++] = '"';
	for (; *s && o + 8 < size; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c < 0x20) {
			o += (size_t)snprintf(buf + o, size - o, "\\u%04x", c);
		} else {
			buf[o++] = (char)c;
		}
	}
	buf[o++] = '"';
	buf[o] = 0;
	return buf;
}
