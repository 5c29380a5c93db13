/* hosts and services parsers (conf_hosts.c, conf_services.c). */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conf/conf_hosts.h"
#include "rfcres.h"
#include "sys.h"

static unsigned nskip;

static void hook(const struct rfcres_trace_event *ev, void *arg)
{
	(void)arg;
	if (strcmp(ev->name, "conf.skip") == 0)
		nskip++;
}

static unsigned fake_nametoindex(const char *name)
{
	return strcmp(name, "eth0") == 0 ? 4 : 0;
}

static struct conf_hosts *parse(const char *text)
{
	nskip = 0;
	struct conf_hosts *h = conf_hosts_parse(text, strlen(text), "test");
	assert_non_null(h);
	return h;
}

static const char *addr_str(const struct conf_hosts_entry *e)
{
	static char buf[INET6_ADDRSTRLEN];
	inet_ntop(e->family, e->addr, buf, sizeof buf);
	return buf;
}

static const char sample[] =
	"# The usual\n"
	"127.0.0.1\tlocalhost\n"
	"::1 localhost ip6-localhost ip6-loopback\n"
	"192.0.2.10  web.example web www   # trailing comment\n"
	"2001:db8::10 web.example web\n"
	"192.0.2.11 WEB.example\n"
	"fe80::1%eth0 router-ll\n"
	"fe80::2%9 other-ll\n"
	"\n"
	"   \t  \n"
	"127.1 shortform\n"          /* inet_pton: not an address */
	"192.0.2.300 bad\n"
	"192.0.2.12\n"               /* no name */
	"fe80::3%nosuch noscope\n"
	"192.0.2.13 dup dup DUP\n";

static void test_parse(void **state)
{
	(void)state;
	struct conf_hosts *h = parse(sample);
	assert_int_equal(conf_hosts_count(h), 8);
	assert_int_equal(nskip, 4);
	const struct conf_hosts_entry *e = conf_hosts_at(h, 2);
	assert_int_equal(e->family, AF_INET);
	assert_string_equal(addr_str(e), "192.0.2.10");
	assert_int_equal(e->nnames, 3);
	assert_string_equal(e->names[0], "web.example");
	assert_string_equal(e->names[1], "web");
	assert_string_equal(e->names[2], "www");
	assert_null(e->names[3]);
	e = conf_hosts_at(h, 5);
	assert_int_equal(e->family, AF_INET6);
	assert_string_equal(addr_str(e), "fe80::1");
	assert_int_equal(e->scope_id, 4);
	e = conf_hosts_at(h, 6);
	assert_int_equal(e->scope_id, 9);
	assert_null(conf_hosts_at(h, 8));
	conf_hosts_free(h);
}

static void test_by_name(void **state)
{
	(void)state;
	struct conf_hosts *h = parse(sample);
	const struct conf_hosts_entry *out[8];
	size_t n = conf_hosts_by_name(h, "web.example", AF_UNSPEC, out, 8);
	assert_int_equal(n, 3); /* case-insensitive: WEB.example too */
	assert_string_equal(addr_str(out[0]), "192.0.2.10");
	assert_string_equal(addr_str(out[1]), "2001:db8::10");
	assert_string_equal(addr_str(out[2]), "192.0.2.11");
	n = conf_hosts_by_name(h, "Web.Example", AF_INET, out, 8);
	assert_int_equal(n, 2);
	assert_string_equal(addr_str(out[0]), "192.0.2.10");
	assert_string_equal(addr_str(out[1]), "192.0.2.11");
	n = conf_hosts_by_name(h, "web", AF_INET6, out, 8);
	assert_int_equal(n, 1);
	assert_string_equal(addr_str(out[0]), "2001:db8::10");
	/* total count beyond max */
	n = conf_hosts_by_name(h, "web.example", AF_UNSPEC, out, 1);
	assert_int_equal(n, 3);
	assert_int_equal(conf_hosts_by_name(h, "www", AF_UNSPEC, NULL, 0), 1);
	assert_int_equal(conf_hosts_by_name(h, "localhost", AF_UNSPEC, out, 8), 2);
	assert_int_equal(conf_hosts_by_name(h, "nosuch", AF_UNSPEC, out, 8), 0);
	assert_int_equal(conf_hosts_by_name(h, "", AF_UNSPEC, out, 8), 0);
	assert_int_equal(conf_hosts_by_name(h, "bad", AF_UNSPEC, out, 8), 0);
	/* a name listed twice on one line is one entry */
	assert_int_equal(conf_hosts_by_name(h, "dup", AF_UNSPEC, out, 8), 1);
	assert_int_equal(conf_hosts_by_name(NULL, "web", AF_UNSPEC, out, 8), 0);
	conf_hosts_free(h);
}

static void test_by_addr(void **state)
{
	(void)state;
	struct conf_hosts *h = parse(sample);
	unsigned char a[16];
	inet_pton(AF_INET, "192.0.2.10", a);
	const struct conf_hosts_entry *e = conf_hosts_by_addr(h, AF_INET, a);
	assert_non_null(e);
	assert_string_equal(e->names[0], "web.example");
	inet_pton(AF_INET6, "::1", a);
	e = conf_hosts_by_addr(h, AF_INET6, a);
	assert_non_null(e);
	assert_string_equal(e->names[0], "localhost");
	inet_pton(AF_INET, "192.0.2.99", a);
	assert_null(conf_hosts_by_addr(h, AF_INET, a));
	assert_null(conf_hosts_by_addr(h, AF_UNIX, a));
	conf_hosts_free(h);
	/* first entry wins */
	h = parse("192.0.2.1 first\n192.0.2.1 second\n");
	inet_pton(AF_INET, "192.0.2.1", a);
	assert_string_equal(conf_hosts_by_addr(h, AF_INET, a)->names[0],
			    "first");
	conf_hosts_free(h);
}

static void test_large(void **state)
{
	(void)state;
	/* 100k lines: the index keeps every lookup cheap */
	size_t n = 100000;
	char *text = malloc(n * 48), *w = text;
	for (size_t i = 0; i < n; i++)
		w += sprintf(w, "10.%zu.%zu.%zu host%zu.example h%zu\n",
			     (i >> 16) & 255, (i >> 8) & 255, i & 255, i, i);
	struct conf_hosts *h = conf_hosts_parse(text, (size_t)(w - text), "big");
	assert_non_null(h);
	assert_int_equal(conf_hosts_count(h), n);
	const struct conf_hosts_entry *out[2];
	for (size_t i = 0; i < n; i += 997) {
		char name[32];
		snprintf(name, sizeof name, "HOST%zu.example", i);
		assert_int_equal(conf_hosts_by_name(h, name, AF_INET, out, 2), 1);
		unsigned char a[4] = { 10, (unsigned char)(i >> 16),
				       (unsigned char)(i >> 8),
				       (unsigned char)i };
		assert_ptr_equal(conf_hosts_by_addr(h, AF_INET, a), out[0]);
	}
	conf_hosts_free(h);
	free(text);
}

static void test_garbage(void **state)
{
	(void)state;
	unsigned char buf[16384];
	uint32_t x = 7;
	for (int round = 0; round < 30; round++) {
		for (size_t i = 0; i < sizeof buf; i++) {
			x = x * 1103515245u + 12345u;
			buf[i] = (unsigned char)(x >> 16);
		}
		memcpy(buf + 100, "\n127.0.0.1 a b c\n", 17);
		struct conf_hosts *h = conf_hosts_parse((const char *)buf,
							sizeof buf, "rand");
		assert_non_null(h);
		assert_true(conf_hosts_by_name(h, "a", AF_UNSPEC, NULL, 0) >= 1);
		conf_hosts_free(h);
	}
	char longname[400];
	memset(longname, 'x', 300);
	longname[300] = '\0';
	char text[512];
	snprintf(text, sizeof text, "192.0.2.1 %s ok\n", longname);
	struct conf_hosts *h = parse(text);
	assert_int_equal(nskip, 1);
	assert_int_equal(conf_hosts_at(h, 0)->nnames, 1);
	conf_hosts_free(h);
	h = conf_hosts_parse(NULL, 0, "missing");
	assert_int_equal(conf_hosts_count(h), 0);
	assert_int_equal(conf_hosts_by_name(h, "a", AF_UNSPEC, NULL, 0), 0);
	conf_hosts_free(h);
}

int main(void)
{
	rfcres_set_trace(hook, NULL);
	rfcres_sys.if_nametoindex = fake_nametoindex;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_by_name),
		cmocka_unit_test(test_by_addr),
		cmocka_unit_test(test_large),
		cmocka_unit_test(test_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
