/*
 * Domain names in wire form (see wire.h): text to wire with RFC 1035 5.1
 * escapes and back, concatenation, length, label count, case-insensitive
 * comparison, the host-name test.  Pure functions over uncompressed names of at most
 * WIRE_NAME_MAX octets.
 */
#include "dns/wire.h"

#include <string.h>

static enum wire_err parse_escape(const char **sp, unsigned *c)
{
	const char *s = *sp;
	if (*s >= '0' && *s <= '9') {
		unsigned v = 0;
		for (int i = 0; i < 3; i++) {
			if (s[i] < '0' || s[i] > '9')
				return WIRE_E_BAD_ESCAPE;
			v = v * 10 + (unsigned)(s[i] - '0');
		}
		if (v > 255)
			return WIRE_E_BAD_ESCAPE;
		*c = v;
		*sp = s + 3;
		return WIRE_OK;
	}
	if (*s == '\0')
		return WIRE_E_BAD_ESCAPE;
	*c = (unsigned char)*s;
	*sp = s + 1;
	return WIRE_OK;
}

enum wire_err wire_name_from_text(const char *text, uint8_t *out,
				  size_t *outlen, bool *absolute)
{
	*absolute = false;
	if (!text || !*text)
		return WIRE_E_EMPTY_NAME;
	if (text[0] == '.' && text[1] == '\0') {
		out[0] = 0;
		*outlen = 1;
		*absolute = true;
		return WIRE_OK;
	}
	size_t lab = 0, o = 1;
	unsigned llen = 0;
	const char *s = text;
	while (*s) {
		unsigned c = (unsigned char)*s++;
		if (c == '.') {
			/* RFC 1035 2.3.1: labels are not empty; only the
			 * root is written as a lone dot. */
			if (llen == 0)
				return WIRE_E_EMPTY_LABEL;
			out[lab] = (uint8_t)llen;
			if (*s == '\0') {
				*absolute = true;
				break;
			}
			if (o >= WIRE_NAME_MAX - 2)
				return WIRE_E_NAME_LONG;
			lab = o++;
			llen = 0;
			continue;
		}
		if (c == '\\') {
			enum wire_err e = parse_escape(&s, &c);
			if (e)
				return e;
		}
		if (llen == WIRE_LABEL_MAX)
			return WIRE_E_LABEL_LONG;
		/* keep room for the root label */
		if (o >= WIRE_NAME_MAX - 1)
			return WIRE_E_NAME_LONG;
		out[o++] = (uint8_t)c;
		llen++;
	}
	if (!*absolute) {
		if (llen == 0)
			return WIRE_E_EMPTY_LABEL;
		out[lab] = (uint8_t)llen;
	}
	out[o++] = 0;
	*outlen = o;
	return WIRE_OK;
}

size_t wire_name_len(const uint8_t *n)
{
	size_t o = 0;
	while (o < WIRE_NAME_MAX) {
		uint8_t l = n[o];
		if (l == 0)
			return o + 1;
		if (l > WIRE_LABEL_MAX)
			return 0;
		o += 1u + l;
	}
	return 0;
}

enum wire_err wire_name_concat(const uint8_t *a, size_t alen,
			       const uint8_t *b, size_t blen, uint8_t *out,
			       size_t *outlen)
{
	if (alen == 0 || blen == 0)
		return WIRE_E_EMPTY_NAME;
	if (alen - 1 + blen > WIRE_NAME_MAX)
		return WIRE_E_NAME_LONG;
	memmove(out, a, alen - 1);
	memmove(out + alen - 1, b, blen);
	*outlen = alen - 1 + blen;
	return WIRE_OK;
}

unsigned wire_name_labels(const uint8_t *name)
{
	unsigned n = 0;
	size_t o = 0;
	while (o < WIRE_NAME_MAX && name[o] != 0) {
		o += 1u + name[o];
		n++;
	}
	return n;
}

static inline uint8_t lc(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

bool wire_name_equal(const uint8_t *a, const uint8_t *b)
{
	size_t o = 0;
	while (o < WIRE_NAME_MAX) {
		uint8_t l = a[o];
		if (l != b[o])
			return false;
		if (l == 0)
			return true;
		for (size_t i = 1; i <= l; i++) {
			if (o + i >= WIRE_NAME_MAX || lc(a[o + i]) != lc(b[o + i]))
				return false;
		}
		o += 1u + l;
	}
	return false;
}

bool wire_name_to_text(const uint8_t *name, char *buf, size_t len)
{
	size_t o = 0, p = 0;
	if (len < 2)
		return false;
	if (name[0] == 0) {
		buf[0] = '.';
		buf[1] = '\0';
		return true;
	}
	while (p < WIRE_NAME_MAX && name[p] != 0) {
		uint8_t l = name[p];
		if (p != 0) {
			if (o + 1 >= len)
				return false;
			buf[o++] = '.';
		}
		for (size_t i = 1; i <= l; i++) {
			uint8_t c = p + i < WIRE_NAME_MAX ? name[p + i] : 0;
			if (c <= 0x20 || c >= 0x7f || c == '.' || c == '\\') {
				if (o + 4 >= len)
					return false;
				buf[o++] = '\\';
				buf[o++] = (char)('0' + c / 100);
				buf[o++] = (char)('0' + c / 10 % 10);
				buf[o++] = (char)('0' + c % 10);
			} else {
				if (o + 1 >= len)
					return false;
				buf[o++] = (char)c;
			}
		}
		p += 1u + l;
	}
	buf[o] = '\0';
	return true;
}

/* glibc res_hnok (resolv/res-name-checking.c, binary_hnok plus its
 * leading-dash rule): letters, digits, '-' and '_' in every label, and no
 * '-' at the start of the first (no confusion with program options). */
bool wire_name_is_host(const uint8_t *name)
{
	if (name[0] != 0 && name[1] == '-')
		return false;
	size_t o = 0;
	while (o < WIRE_NAME_MAX && name[o] != 0) {
		uint8_t l = name[o];
		if (l > WIRE_LABEL_MAX || o + 1u + l >= WIRE_NAME_MAX)
			return false;
		for (size_t i = 1; i <= l; i++) {
			uint8_t c = name[o + i];
			bool ok = (c >= '0' && c <= '9') ||
				  (c >= 'a' && c <= 'z') ||
				  (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
			if (!ok)
				return false;
		}
		o += 1u + l;
	}
	return o < WIRE_NAME_MAX;
}
