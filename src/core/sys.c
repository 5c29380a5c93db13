#include "sys.h"
#include "trace.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/inotify.h>
#include <sys/random.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK 18 /* Linux 4.14 uapi; older headers lack it */
#endif

static int sys_open_libc(const char *path, int flags)
{
	return open(path, flags | O_CLOEXEC);
}

/* glibc declares the flags of recvmmsg/sendmmsg int, musl unsigned. */
static int sys_recvmmsg_libc(int fd, struct mmsghdr *v, unsigned n, int flags,
			     struct timespec *timeout)
{
	return recvmmsg(fd, v, n, flags, timeout);
}

static int sys_sendmmsg_libc(int fd, struct mmsghdr *v, unsigned n, int flags)
{
#if defined(__linux__) && !defined(__GLIBC__) && defined(SYS_sendmmsg)
	/* musl sends one sendmsg() per message on 64-bit targets: its struct
	 * msghdr has int lengths plus padding where the kernel has size_t,
	 * and control messages cannot be converted in place.  Without
	 * control messages and with the padding zeroed (every field copied
	 * into a cleared header) the layout is the kernel's, so the system
	 * call takes them all at once, as with glibc. */
	for (unsigned i = 0; i < n; i++)
		if (v[i].msg_hdr.msg_controllen)
			return sendmmsg(fd, v, n, flags);
	for (unsigned i = 0; i < n; i++) {
		struct msghdr h;
		memset(&h, 0, sizeof h);
		h.msg_name = v[i].msg_hdr.msg_name;
		h.msg_namelen = v[i].msg_hdr.msg_namelen;
		h.msg_iov = v[i].msg_hdr.msg_iov;
		h.msg_iovlen = v[i].msg_hdr.msg_iovlen;
		v[i].msg_hdr = h;
	}
	return (int)syscall(SYS_sendmmsg, fd, v, n, flags);
#else
	return sendmmsg(fd, v, n, flags);
#endif
}

static int sys_fcntl_dupfd_libc(int fd, int min)
{
	return fcntl(fd, F_DUPFD_CLOEXEC, min);
}

static int sys_inotify_add_watch_libc(int fd, const char *path, uint32_t mask)
{
	return inotify_add_watch(fd, path, mask);
}

static int sys_inotify_rm_watch_libc(int fd, int wd)
{
	/* glibc takes int wd, musl uint32_t on some versions */
	return inotify_rm_watch(fd, wd);
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
	.readlink = readlink,\
	.read = read,\
	.close = close,\
	.statfs = statfs,\
	.fcntl_dupfd = sys_fcntl_dupfd_libc,\
	.inotify_init1 = inotify_init1,\
	.inotify_add_watch = sys_inotify_add_watch_libc,\
	.inotify_rm_watch = sys_inotify_rm_watch_libc,\
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
	.recvmmsg = sys_recvmmsg_libc,\
	.sendmmsg = sys_sendmmsg_libc,\
	.poll = poll,\
	.getifaddrs = getifaddrs,\
	.freeifaddrs = freeifaddrs,\
	.if_nametoindex = if_nametoindex,\
	.if_indextoname = if_indextoname,\
	.clock_gettime = clock_gettime,\
	.getrandom = getrandom,\
	.getpid = getpid,\
	.mmap = mmap,\
	.munmap = munmap,\
	.madvise = madvise,\
	.getenv = sys_getenv_libc,\
	.dlopen = dlopen,\
	.dlsym = dlsym,\
	.dlerror = dlerror,\
}

static const struct rfcres_sys sys_libc = SYS_LIBC_INIT;


struct rfcres_sys rfcres_sys = SYS_LIBC_INIT;

static atomic_bool no_recvmmsg; /* recvmmsg said ENOSYS once */
static atomic_bool no_sendmmsg; /* sendmmsg said ENOSYS once */

void sys_reset(void)
{
	rfcres_sys = sys_libc;
	atomic_store(&no_recvmmsg, false);
	atomic_store(&no_sendmmsg, false);
	sys_random_flush();
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

/* The fallback when getrandom() is missing or fails. */
static void weak_random(unsigned char *p, size_t len)
{
	/* No getrandom (very old kernel or seccomp): a weak mix is still
	 * better than a constant; the reply matching does not rely on IDs
	 * alone (address, port and question must match too). */
	static _Thread_local uint64_t mix;
	while (len > 0) {
		mix = mix * 6364136223846793005ull + sys_now_ns() +
		      (uint64_t)(uintptr_t)p;
		*p++ = (unsigned char)(mix >> 33);
		len--;
	}
}

/* Reads len bytes from getrandom(); returns how many it got. */
static size_t kernel_random(unsigned char *p, size_t len)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = rfcres_sys.getrandom(p + got, len - got,
						 GRND_NONBLOCK);
		if (n > 0) {
			got += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		break;
	}
	return got;
}

/* Per-thread pool: a lookup draws 64 bytes (32 query IDs), so one
 * getrandom() now serves 16 lookups instead of one.  Per thread, so no
 * lock; tagged with the process epoch, so a child never hands out bytes
 * its parent may also hand out (two processes sending the same IDs would
 * make each one's IDs predictable from the other's). */
static _Thread_local struct {
	uint64_t epoch; /* sys_process_epoch() at refill; 0 = empty */
	size_t off;     /* bytes [off, SYS_RANDOM_POOL) are unused */
	unsigned char buf[SYS_RANDOM_POOL];
} pool;

void sys_random_flush(void)
{
	memset(&pool, 0, sizeof pool);
}

void sys_random(void *buf, size_t len)
{
	unsigned char *p = buf;
	if (len <= SYS_RANDOM_POOL / 4) {
		uint64_t epoch = sys_process_epoch();
		if (pool.epoch != epoch || SYS_RANDOM_POOL - pool.off < len) {
			pool.epoch = 0;
			if (kernel_random(pool.buf, SYS_RANDOM_POOL) ==
			    SYS_RANDOM_POOL) {
				pool.epoch = epoch;
				pool.off = 0;
			}
		}
		if (pool.epoch == epoch) {
			memcpy(p, pool.buf + pool.off, len);
			/* handed out: not kept in memory any longer */
			memset(pool.buf + pool.off, 0, len);
			pool.off += len;
			return;
		}
	}
	size_t got = kernel_random(p, len);
	if (got < len) {
		/* before the entropy pool is ready (early boot), or getrandom
		 * filtered by seccomp: say so, IDs become guessable */
		TRACE(RFCRES_TRACE_DNS, "sys.random.weak", "bytes=%zu errno=%d",
		      len - got, errno);
		weak_random(p + got, len - got);
	}
}

/* ---- fork detection ------------------------------------------------------ */

struct epoch_page {
	_Atomic uint64_t epoch; /* 0 in a fresh child: the kernel wiped it */
};

static struct epoch_page *epoch_page;  /* NULL: no MADV_WIPEONFORK */
static pthread_once_t epoch_once = PTHREAD_ONCE_INIT;
/* Source of epochs.  Ordinary memory: a child inherits the counter, so its
 * next value differs from every epoch its ancestors already took. */
static _Atomic uint64_t epoch_counter;

static void epoch_init(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t len = pg > 0 ? (size_t)pg : 4096;
	void *p = rfcres_sys.mmap(NULL, len, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return;
	if (rfcres_sys.madvise(p, len, MADV_WIPEONFORK) != 0) {
		rfcres_sys.munmap(p, len);
		return;
	}
	epoch_page = p;
}

uint64_t sys_process_epoch(void)
{
	pthread_once(&epoch_once, epoch_init);
	if (!epoch_page) {
		/* Top bit set: never equal to a page epoch (small counters). */
		return (uint64_t)rfcres_sys.getpid() | (1ull << 63);
	}
	uint64_t e = atomic_load_explicit(&epoch_page->epoch,
					  memory_order_acquire);
	if (e != 0)
		return e;
	/* First call in this process (or since the fork that wiped the
	 * page): take a fresh value; racing threads agree on the first. */
	uint64_t mine = atomic_fetch_add(&epoch_counter, 1) + 1;
	uint64_t zero = 0;
	if (atomic_compare_exchange_strong(&epoch_page->epoch, &zero, mine))
		return mine;
	return zero;
}

/* ---- batched receive ----------------------------------------------------- */

int sys_recvmmsg(int fd, struct mmsghdr *v, unsigned n, int flags)
{
	if (n == 0)
		return 0;
	if (!atomic_load_explicit(&no_recvmmsg, memory_order_relaxed)) {
		int r = rfcres_sys.recvmmsg(fd, v, n, flags, NULL);
		if (r >= 0 || errno != ENOSYS)
			return r;
		atomic_store_explicit(&no_recvmmsg, true, memory_order_relaxed);
	}
	/* As recvmmsg on a non-blocking socket: what is there, up to n; an
	 * error only when nothing was received. */
	unsigned k = 0;
	for (; k < n; k++) {
		ssize_t r = rfcres_sys.recvmsg(fd, &v[k].msg_hdr, flags);
		if (r < 0)
			return k ? (int)k : -1;
		v[k].msg_len = (unsigned)r;
	}
	return (int)k;
}

int sys_sendmmsg(int fd, struct mmsghdr *v, unsigned n, int flags)
{
	if (n == 0 || atomic_load_explicit(&no_sendmmsg, memory_order_relaxed))
		return 0;
	int r = rfcres_sys.sendmmsg(fd, v, n, flags);
	if (r < 0 && errno == ENOSYS) {
		atomic_store_explicit(&no_sendmmsg, true, memory_order_relaxed);
		return 0;
	}
	return r;
}
