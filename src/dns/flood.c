/*
 * Forged-reply flood detection (see flood.h and docs/security.md).
 */
#include "dns/flood.h"

#include <linux/sock_diag.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/sys.h"

/* The kernel's count of datagrams it dropped for fd (receive buffer full,
 * SK_MEMINFO_DROPS of SO_MEMINFO, Linux 4.6); 0 when it cannot say
 * (older kernel, a seccomp filter, a replaced system table). */
static unsigned kernel_drops(int fd)
{
#ifdef SO_MEMINFO
	uint32_t mem[SK_MEMINFO_VARS] = { 0 };
	socklen_t len = sizeof mem;
	if (rfcres_sys.getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len) != 0 ||
	    len < (SK_MEMINFO_DROPS + 1) * sizeof mem[0])
		return 0;
	return mem[SK_MEMINFO_DROPS];
#else
	(void)fd;
	return 0;
#endif
}

enum dns_flood_sign dns_flood_judge(struct dns_flood *f, int fd)
{
	bool probe = f->round_drops > 0;
	f->round_drops = 0;
	if (f->drops >= DNS_FLOOD_THRESHOLD)
		return DNS_FLOOD_SIGN_THRESHOLD;
	if (!probe)
		return DNS_FLOOD_NONE;
	/* A connected socket only queues datagrams from the server's address
	 * and port: whatever the kernel dropped came from there, and the
	 * genuine answer may have been one of them. */
	f->kernel_drops = kernel_drops(fd);
	return f->kernel_drops ? DNS_FLOOD_SIGN_OVERFLOW : DNS_FLOOD_NONE;
}

const char *dns_flood_sign_str(enum dns_flood_sign s)
{
	return s == DNS_FLOOD_SIGN_OVERFLOW ? "overflow" : "threshold";
}
