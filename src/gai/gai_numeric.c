#include "gai/gai_numeric.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "core/sys.h"

/* ASCII digit classes without the locale tables (every getaddrinfo call
 * starts here, so the per-character function calls of <ctype.h> show). */
static bool dec_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int hex_value(char c)
{
	if (dec_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* One part of an inet_aton address: C-style base prefix, as strtoul(s, 0). */
static bool aton_part(const char **sp, uint64_t *val)
{
	const char *s = *sp;
	unsigned base = 10;
	uint64_t v = 0;
	if (!dec_digit(*s))
		return false;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		if (hex_value(*s) < 0)
			return false; /* glibc rejects a bare "0x" */
	} else if (s[0] == '0') {
		base = 8;
	}
	for (;; s++) {
		int h = hex_value(*s);
		if (h < 0 || (h > 9 && base != 16))
			break;
		unsigned d = (unsigned)h;
		if (d >= base)
			return false;
		v = v * base + d;
		if (v > 0xffffffffu)
			return false;
	}
	*val = v;
	*sp = s;
	return true;
}

/* The common spelling: four decimal parts 0..255 without leading zeros
 * (what inet_ntop prints).  Returns false for anything else, which the
 * general inet_aton rules below then decide (octal "010", hex, fewer
 * parts, out of range). */
static bool dotted_quad(const char *s, unsigned char out[4])
{
	for (int i = 0; i < 4; i++) {
		if (!dec_digit(s[0]) || (s[0] == '0' && dec_digit(s[1])))
			return false;
		unsigned v = (unsigned)(*s++ - '0');
		if (dec_digit(*s)) {
			v = v * 10 + (unsigned)(*s++ - '0');
			if (dec_digit(*s))
				v = v * 10 + (unsigned)(*s++ - '0');
		}
		if (v > 255 || *s != (i < 3 ? '.' : '\0'))
			return false;
		out[i] = (unsigned char)v;
		s++;
	}
	return true;
}

bool gai_inet_aton_exact(const char *s, unsigned char out[4])
{
	if (dotted_quad(s, out))
		return true;
	uint64_t parts[4];
	unsigned n = 0;
	for (;;) {
		if (n == 4 || !aton_part(&s, &parts[n]))
			return false;
		n++;
		if (*s == '.') {
			s++;
			continue;
		}
		if (*s != '\0')
			return false;
		break;
	}
	uint64_t v;
	switch (n) {
	case 1:
		v = parts[0];
		break;
	case 2:
		if (parts[0] > 0xff || parts[1] > 0xffffff)
			return false;
		v = parts[0] << 24 | parts[1];
		break;
	case 3:
		if (parts[0] > 0xff || parts[1] > 0xff || parts[2] > 0xffff)
			return false;
		v = parts[0] << 24 | parts[1] << 16 | parts[2];
		break;
	default:
		for (unsigned i = 0; i < 4; i++)
			if (parts[i] > 0xff)
				return false;
		v = parts[0] << 24 | parts[1] << 16 | parts[2] << 8 | parts[3];
		break;
	}
	out[0] = (unsigned char)(v >> 24);
	out[1] = (unsigned char)(v >> 16);
	out[2] = (unsigned char)(v >> 8);
	out[3] = (unsigned char)v;
	return true;
}

int gai_inet6_parse(const char *s, unsigned char out[16], uint32_t *scope_id)
{
	char buf[INET6_ADDRSTRLEN + 1];
	const char *pct = strchr(s, '%');
	size_t len = pct ? (size_t)(pct - s) : strlen(s);
	if (len >= sizeof buf)
		return 0;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET6, buf, out) != 1)
		return 0;
	*scope_id = 0;
	if (!pct)
		return 1;
	const char *scope = pct + 1;
	const struct in6_addr *a = (const void *)out;
	if (IN6_IS_ADDR_LINKLOCAL(a) || IN6_IS_ADDR_MC_NODELOCAL(a) ||
	    IN6_IS_ADDR_MC_LINKLOCAL(a)) {
		unsigned idx = *scope && strlen(scope) < IF_NAMESIZE
				       ? rfcres_sys.if_nametoindex(scope)
				       : 0;
		if (idx) {
			*scope_id = idx;
			return 1;
		}
	}
	if (isdigit((unsigned char)scope[0])) {
		char *end;
		errno = 0;
		unsigned long long v = strtoull(scope, &end, 10);
		if (*end == '\0' && errno == 0 && v <= UINT32_MAX) {
			*scope_id = (uint32_t)v;
			return 1;
		}
	}
	return -1;
}
