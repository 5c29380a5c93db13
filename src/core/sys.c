#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

static int sys_open_libc(const char *path, int flags)
{
	return open(path, flags | O_CLOEXEC);
}

static char *sys_getenv_libc(const char *name)
{
	/* RFCRES_* and RES_OPTIONS/LOCALDOMAIN are ignored in set-uid
	 * programs, as glibc ignores its resolver variables there. */
	return secure_getenv(name);
}

/* One initializer for both the pristine copy and the live table (C11 does
 * not allow initializing one object from another at file scope). */
#define SYS_LIBC_INIT {\
	.open = sys_open_libc,\
	.fstat = fstat,\
	.stat = stat,\
	.read = read,\
	.close = close,\
	.socket = socket,\
	.connect = connect,\
	.bind = bind,\
	.getsockname = getsockname,\
	.setsockopt = setsockopt,\
	.getsockopt = getsockopt,\
	.send = send,\
	.sendmsg = sendmsg,\
	.recvfrom = recvfrom,\
	.recvmsg = recvmsg,\
	.poll = poll,\
	.getifaddrs = getifaddrs,\
	.freeifaddrs = freeifaddrs,\
	.if_nametoindex = if_nametoindex,\
	.if_indextoname = if_indextoname,\
	.clock_gettime = clock_gettime,\
	.getrandom = getrandom,\
	.getenv = sys_getenv_libc,\
}

static const struct rfcres_sys sys_libc = SYS_LIBC_INIT;


struct rfcres_sys rfcres_sys = SYS_LIBC_INIT;

void sys_reset(void)
{
	rfcres_sys = sys_libc;
}

uint64_t sys_now_ns(void)
{
	struct timespec ts;
	if (rfcres_sys.clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int sys_read_file(const char *path, size_t max, char **out, size_t *outlen,
		  struct stat *st)
{
	*out = NULL;
	*outlen = 0;
	int fd = rfcres_sys.open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	int rc = 0;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	if (rfcres_sys.fstat(fd, st) != 0) {
		rc = -errno;
		goto out;
	}
	for (;;) {
		if (len == cap) {
			if (cap >= max) {
				rc = -EFBIG;
				goto out;
			}
			size_t ncap = cap ? cap * 2 : 4096;
			if (ncap > max)
				ncap = max;
			char *nb = realloc(buf, ncap + 1);
			if (!nb) {
				rc = -ENOMEM;
				goto out;
			}
			buf = nb;
			cap = ncap;
		}
		ssize_t n = rfcres_sys.read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (!buf) {
		buf = malloc(1);
		if (!buf) {
			rc = -ENOMEM;
			goto out;
		}
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	buf = NULL;
out:
	free(buf);
	rfcres_sys.close(fd);
	return rc;
}

void sys_random(void *buf, size_t len)
{
	unsigned char *p = buf;
	while (len > 0) {
		ssize_t n = rfcres_sys.getrandom(p, len, GRND_NONBLOCK);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		break;
	}
	/* No getrandom (very old kernel or seccomp): a weak mix is still
	 * better than a constant; the reply matching does not rely on IDs
	 * alone (address, port and question must match too). */
	static uint64_t mix;
	while (len > 0) {
		mix = mix * 6364136223846793005ull + sys_now_ns() +
		      (uint64_t)(uintptr_t)p;
		*p++ = (unsigned char)(mix >> 33);
		len--;
	}
}
