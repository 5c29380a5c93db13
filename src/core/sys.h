/*
 * The one table through which the library touches the system.  Everything
 * that reads files, opens sockets, waits, reads the clock or draws random
 * numbers goes through rfcres_sys; unit tests replace members to inject host
 * configurations, clocks and network behaviour.  Production code never calls
 * these libc functions directly (grep for them in review).
 */
#ifndef RFCRES_SYS_H
#define RFCRES_SYS_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

struct ifaddrs;
struct statfs;

struct rfcres_sys {
	/* files */
	int (*open)(const char *path, int flags);
	int (*fstat)(int fd, struct stat *st);
	int (*stat)(const char *path, struct stat *st);
	ssize_t (*readlink)(const char *path, char *buf, size_t len);
	ssize_t (*read)(int fd, void *buf, size_t len);
	int (*close)(int fd);
	int (*statfs)(const char *path, struct statfs *st);
	int (*fcntl_dupfd)(int fd, int min); /* fcntl F_DUPFD_CLOEXEC */
	/* change notification (conf_watch.c) */
	int (*inotify_init1)(int flags);
	int (*inotify_add_watch)(int fd, const char *path, uint32_t mask);
	int (*inotify_rm_watch)(int fd, int wd);
	/* sockets */
	int (*socket)(int domain, int type, int protocol);
	int (*connect)(int fd, const struct sockaddr *sa, socklen_t len);
	int (*bind)(int fd, const struct sockaddr *sa, socklen_t len);
	int (*getsockname)(int fd, struct sockaddr *sa, socklen_t *len);
	int (*setsockopt)(int fd, int level, int name, const void *val,
			  socklen_t len);
	int (*getsockopt)(int fd, int level, int name, void *val,
			  socklen_t *len);
	ssize_t (*send)(int fd, const void *buf, size_t len, int flags);
	ssize_t (*sendmsg)(int fd, const struct msghdr *msg, int flags);
	ssize_t (*recvfrom)(int fd, void *buf, size_t len, int flags,
			    struct sockaddr *from, socklen_t *fromlen);
	ssize_t (*recvmsg)(int fd, struct msghdr *msg, int flags);
	/* batched forms (glibc and musl differ in the flags' type, hence
	 * wrappers); see sys_recvmmsg/sys_sendmmsg for the fallbacks */
	int (*recvmmsg)(int fd, struct mmsghdr *v, unsigned n, int flags,
			struct timespec *timeout);
	int (*sendmmsg)(int fd, struct mmsghdr *v, unsigned n, int flags);
	int (*poll)(struct pollfd *fds, nfds_t n, int timeout_ms);
	/* interfaces */
	int (*getifaddrs)(struct ifaddrs **ifa);
	void (*freeifaddrs)(struct ifaddrs *ifa);
	unsigned (*if_nametoindex)(const char *name);
	char *(*if_indextoname)(unsigned idx, char *name);
	/* time, randomness, process */
	int (*clock_gettime)(clockid_t clk, struct timespec *ts);
	ssize_t (*getrandom)(void *buf, size_t len, unsigned flags);
	pid_t (*getpid)(void);
	/* memory: one page for fork detection (sys_process_epoch) */
	void *(*mmap)(void *addr, size_t len, int prot, int flags, int fd,
		      off_t off);
	int (*munmap)(void *addr, size_t len);
	int (*madvise)(void *addr, size_t len, int advice);
	/* environment: NULL in set-uid programs (secure_getenv) */
	char *(*getenv)(const char *name);
	/* the host's NSS modules (src/nss): dlopen by soname only */
	void *(*dlopen)(const char *file, int mode);
	void *(*dlsym)(void *handle, const char *name);
	char *(*dlerror)(void);
};

/* The live table.  Tests may assign members; sys_reset() restores libc. */
extern struct rfcres_sys rfcres_sys;
void sys_reset(void);

/* Monotonic clock in nanoseconds, through the table. */
uint64_t sys_now_ns(void);

/* Reads a whole regular file (at most max bytes) into a malloc'd,
 * NUL-terminated buffer and returns its stat identity taken from the same
 * open file.  Returns 0, or -errno (-ENOENT when absent, -EFBIG when larger
 * than max). */
int sys_read_file(const char *path, size_t max, char **buf, size_t *len,
		  struct stat *st);

/* Random bytes: getrandom(), falling back to a clock/address mix only if the
 * kernel has no getrandom (never for security decisions alone).  Requests
 * of up to SYS_RANDOM_POOL / 4 bytes are served from a per-thread pool that
 * one getrandom() refills; bytes are never handed out twice, and a pool
 * filled in another process (fork, _Fork, clone) is discarded unused. */
#define SYS_RANDOM_POOL 1024u
void sys_random(void *buf, size_t len);
/* Forgets the calling thread's pooled bytes (sys_reset does it too): tests
 * that replace getrandom get its bytes from the next sys_random on. */
void sys_random_flush(void);

/* A value that differs between a process and every child it creates by
 * fork(), _Fork() or a raw clone() without CLONE_VM -- atfork handlers or
 * not -- and stays the same within the process.  Costs a memory read: it
 * lives in a MADV_WIPEONFORK page (Linux 4.14), which the kernel zeroes in
 * the child.  Without that (older kernels, other systems) it is derived
 * from getpid() each time. */
uint64_t sys_process_epoch(void);

/* recvmmsg() through the table (flags should include MSG_DONTWAIT: what
 * is queued, up to n).  Where the kernel or a seccomp filter has none
 * (ENOSYS), recvmsg() per message until n or an error (and recvmmsg is not
 * tried again).  Returns the number of messages (>= 1, msg_len set), or -1
 * with errno when none was received. */
int sys_recvmmsg(int fd, struct mmsghdr *v, unsigned n, int flags);

/* Points mmsghdr slot m at one buffer (iov is its iovec) and, if name is
 * not NULL, at an address buffer of namelen bytes; everything else zero. */
static inline void sys_mmsg_slot(struct mmsghdr *m, struct iovec *iov,
				 void *buf, size_t len, void *name,
				 socklen_t namelen)
{
	*iov = (struct iovec){ buf, len };
	memset(m, 0, sizeof *m);
	m->msg_hdr.msg_name = name;
	m->msg_hdr.msg_namelen = name ? namelen : 0;
	m->msg_hdr.msg_iov = iov;
	m->msg_hdr.msg_iovlen = 1;
}

/* sendmmsg() through the table: the number of messages sent, or -1 with
 * errno.  Where the kernel or a seccomp filter has none (ENOSYS) it returns
 * 0 -- nothing sent, the caller sends them one by one -- and is not tried
 * again. */
int sys_sendmmsg(int fd, struct mmsghdr *v, unsigned n, int flags);

#endif
