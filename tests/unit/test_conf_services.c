/* services parser (conf_services.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conf/conf_services.h"
#include "rfcres.h"

static unsigned nskip;

static void hook(const struct rfcres_trace_event *ev, void *arg)
{
	(void)arg;
	if (strcmp(ev->name, "conf.skip") == 0)
		nskip++;
}

static const char sample[] =
	"# services\n"
	"tcpmux\t\t1/tcp\t\t\t\t# TCP port service multiplexer\n"
	"http\t\t80/tcp\t\twww\t\t# WorldWideWeb HTTP\n"
	"http 80/udp\n"
	"domain\t\t53/tcp\n"
	"domain\t\t53/udp\n"
	"https 443/tcp\n"
	"https 443/udp\n"
	"https 443/sctp\n"
	"kerberos 88/tcp kerberos5 krb5 kerberos-sec\n"
	"alt 8080/tcp webcache http-alt\n"
	"bad 70000/tcp\n"
	"bad2 x/tcp\n"
	"bad3 80\n"
	"bad4 80/\n"
	"bad5\n"
	"lower 1000/tcp\n"
	"LOWER 1001/tcp\n";

static struct conf_services *parse(void)
{
	nskip = 0;
	struct conf_services *s = conf_services_parse(sample, strlen(sample),
						      "test");
	assert_non_null(s);
	return s;
}

static void test_port(void **state)
{
	(void)state;
	struct conf_services *s = parse();
	assert_int_equal(conf_services_count(s), 12);
	assert_int_equal(nskip, 5);
	assert_int_equal(conf_service_port(s, "http", "tcp"), 80);
	assert_int_equal(conf_service_port(s, "www", "tcp"), 80);
	assert_int_equal(conf_service_port(s, "www", "udp"), -1);
	assert_int_equal(conf_service_port(s, "http", "udp"), 80);
	assert_int_equal(conf_service_port(s, "https", "sctp"), 443);
	assert_int_equal(conf_service_port(s, "https", "dccp"), -1);
	assert_int_equal(conf_service_port(s, "krb5", "tcp"), 88);
	assert_int_equal(conf_service_port(s, "kerberos-sec", "tcp"), 88);
	assert_int_equal(conf_service_port(s, "domain", NULL), 53);
	assert_int_equal(conf_service_port(s, "tcpmux", "tcp"), 1);
	/* case-sensitive, as glibc's files backend (strcmp) */
	assert_int_equal(conf_service_port(s, "HTTP", "tcp"), -1);
	assert_int_equal(conf_service_port(s, "http", "TCP"), -1);
	assert_int_equal(conf_service_port(s, "lower", "tcp"), 1000);
	assert_int_equal(conf_service_port(s, "LOWER", "tcp"), 1001);
	assert_int_equal(conf_service_port(s, "bad", "tcp"), -1);
	assert_int_equal(conf_service_port(s, "nosuch", "tcp"), -1);
	assert_int_equal(conf_service_port(NULL, "http", "tcp"), -1);
	conf_services_free(s);
}

static void test_name(void **state)
{
	(void)state;
	struct conf_services *s = parse();
	assert_string_equal(conf_service_name(s, 80, "tcp"), "http");
	assert_string_equal(conf_service_name(s, 443, "sctp"), "https");
	assert_string_equal(conf_service_name(s, 8080, "tcp"), "alt");
	assert_string_equal(conf_service_name(s, 53, NULL), "domain");
	assert_null(conf_service_name(s, 8080, "udp"));
	assert_null(conf_service_name(s, 9, "tcp"));
	assert_null(conf_service_name(s, -1, "tcp"));
	assert_null(conf_service_name(s, 70000 - 65536, "tcp"));
	conf_services_free(s);
}

static void test_garbage(void **state)
{
	(void)state;
	unsigned char buf[16384];
	uint32_t x = 3;
	for (int round = 0; round < 30; round++) {
		for (size_t i = 0; i < sizeof buf; i++) {
			x = x * 1103515245u + 12345u;
			buf[i] = (unsigned char)(x >> 16);
		}
		memcpy(buf + 100, "\nsvc 7/tcp a\n", 13);
		struct conf_services *s = conf_services_parse(
			(const char *)buf, sizeof buf, "rand");
		assert_non_null(s);
		assert_int_equal(conf_service_port(s, "a", "tcp"), 7);
		conf_services_free(s);
	}
	/* more aliases than kept: bounded, line still used */
	char line[4096] = "many 9/tcp";
	for (int i = 0; i < 100; i++)
		sprintf(line + strlen(line), " a%d", i);
	struct conf_services *s = conf_services_parse(line, strlen(line), "x");
	assert_int_equal(conf_service_port(s, "a10", "tcp"), 9);
	assert_int_equal(conf_service_port(s, "a99", "tcp"), -1);
	conf_services_free(s);
	s = conf_services_parse(NULL, 0, "missing");
	assert_int_equal(conf_service_port(s, "http", "tcp"), -1);
	conf_services_free(s);
}

int main(void)
{
	rfcres_set_trace(hook, NULL);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_port),
		cmocka_unit_test(test_name),
		cmocka_unit_test(test_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
