/* Service names and socktype/protocol expansion in glibc's order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "conf/conf_services.h"
#include "gai/gai_service.h"

static const char services_text[] =
	"http 80/tcp www\n"
	"http 80/udp\n"
	"domain 53/tcp\n"
	"domain 53/udp\n"
	"sctp-only 9999/sctp\n"
	"dccp-only 5004/dccp\n"
	"tcp-only 22/tcp\n";

static struct conf_services *svc;

static int setup(void **st)
{
	(void)st;
	svc = conf_services_parse(services_text, sizeof services_text - 1, "t");
	return svc ? 0 : -1;
}

static int teardown(void **st)
{
	(void)st;
	conf_services_free(svc);
	return 0;
}

static void expect(const struct gai_serv *s, int socktype, int proto, int port)
{
	assert_int_equal(s->socktype, socktype);
	assert_int_equal(s->protocol, proto);
	assert_int_equal(s->port, port);
}

static void t_default_expansion(void **st)
{
	(void)st;
	struct gai_serv out[GAI_MAX_SERV];
	size_t n;
	/* no service, no hints: STREAM/tcp, DGRAM/udp, RAW/0 */
	assert_int_equal(gai_services(svc, NULL, -1, 0, 0, out, &n), 0);
	assert_int_equal(n, 3);
	expect(&out[0], SOCK_STREAM, IPPROTO_TCP, 0);
	expect(&out[1], SOCK_DGRAM, IPPROTO_UDP, 0);
	expect(&out[2], SOCK_RAW, 0, 0);
	/* numeric service: RAW refuses a service */
	assert_int_equal(gai_services(svc, "80", 80, 0, 0, out, &n), 0);
	assert_int_equal(n, 3);
	expect(&out[2], SOCK_RAW, 0, 80);
	assert_int_equal(gai_services(svc, "80", 80, SOCK_RAW, 0, out, &n),
			 EAI_SERVICE);
	/* 16-bit truncation as glibc's htons(num) */
	assert_int_equal(gai_services(svc, "65616", 65616, SOCK_STREAM, 0, out, &n), 0);
	expect(&out[0], SOCK_STREAM, IPPROTO_TCP, 80);
}

static void t_named(void **st)
{
	(void)st;
	struct gai_serv out[GAI_MAX_SERV];
	size_t n;
	assert_int_equal(gai_services(svc, "http", -1, 0, 0, out, &n), 0);
	assert_int_equal(n, 2);
	expect(&out[0], SOCK_STREAM, IPPROTO_TCP, 80);
	expect(&out[1], SOCK_DGRAM, IPPROTO_UDP, 80);
	assert_int_equal(gai_services(svc, "www", -1, SOCK_STREAM, 0, out, &n), 0);
	expect(&out[0], SOCK_STREAM, IPPROTO_TCP, 80);
	assert_int_equal(gai_services(svc, "www", -1, SOCK_DGRAM, 0, out, &n),
			 EAI_SERVICE);
	/* sctp: both SOCK_STREAM and SOCK_SEQPACKET entries */
	assert_int_equal(gai_services(svc, "sctp-only", -1, 0, 0, out, &n), 0);
	assert_int_equal(n, 2);
	expect(&out[0], SOCK_STREAM, IPPROTO_SCTP, 9999);
	expect(&out[1], SOCK_SEQPACKET, IPPROTO_SCTP, 9999);
	assert_int_equal(gai_services(svc, "dccp-only", -1, 0, 0, out, &n), 0);
	expect(&out[0], SOCK_DCCP, IPPROTO_DCCP, 5004);
	assert_int_equal(gai_services(svc, "nosuch", -1, 0, 0, out, &n), EAI_SERVICE);
	assert_int_equal(gai_services(svc, "tcp-only", -1, 0, IPPROTO_UDP, out, &n),
			 EAI_SERVICE);
}

static void t_bad_hints(void **st)
{
	(void)st;
	struct gai_serv out[GAI_MAX_SERV];
	size_t n;
	assert_int_equal(gai_services(svc, NULL, -1, 99, 0, out, &n), EAI_SOCKTYPE);
	/* protocol 99 without socktype: only RAW (any protocol) matches */
	assert_int_equal(gai_services(svc, NULL, -1, 0, 99, out, &n), 0);
	assert_int_equal(n, 1);
	expect(&out[0], SOCK_RAW, 99, 0);
	assert_int_equal(gai_services(svc, "80", 80, 0, 99, out, &n), EAI_SERVICE);
	assert_int_equal(gai_services(svc, NULL, -1, SOCK_STREAM, IPPROTO_UDP, out, &n),
			 EAI_SOCKTYPE);
	/* RAW takes any protocol */
	assert_int_equal(gai_services(svc, NULL, -1, SOCK_RAW, 99, out, &n), 0);
	expect(&out[0], SOCK_RAW, 99, 0);
	assert_int_equal(gai_services(svc, NULL, -1, 0, IPPROTO_SCTP, out, &n), 0);
	expect(&out[0], SOCK_STREAM, IPPROTO_SCTP, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_default_expansion),
		cmocka_unit_test(t_named),
		cmocka_unit_test(t_bad_hints),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
