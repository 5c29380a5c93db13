/*
 * src/core/sys.c helpers: the per-thread random pool (one getrandom() per
 * SYS_RANDOM_POOL bytes, never the same bytes twice, never shared with a
 * child process however it was created), the process epoch behind it, and
 * the recvmmsg fallback.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/sys.h"

static unsigned n_getrandom;
static ssize_t count_getrandom(void *buf, size_t len, unsigned flags)
{
	n_getrandom++;
	return getrandom(buf, len, flags);
}

static int teardown(void **st)
{
	(void)st;
	sys_reset();
	return 0;
}

/* A lookup draws 64 bytes (32 query IDs): 16 lookups per getrandom(). */
static void t_pool_refills(void **st)
{
	(void)st;
	rfcres_sys.getrandom = count_getrandom;
	unsigned char b[64];
	sys_random(b, sizeof b); /* whatever the pool held before */
	n_getrandom = 0;
	for (unsigned i = 0; i < 10 * SYS_RANDOM_POOL / 64; i++)
		sys_random(b, sizeof b);
	assert_in_range(n_getrandom, 10, 11);
	/* large requests bypass the pool */
	unsigned char big[SYS_RANDOM_POOL];
	n_getrandom = 0;
	sys_random(big, sizeof big);
	assert_int_equal(n_getrandom, 1);
}

/* 64-bit chunks of everything drawn: a repeat means bytes handed out twice
 * (random collisions among 16k values: ~2^-37). */
static int cmp64(const void *a, const void *b)
{
	uint64_t x, y;
	memcpy(&x, a, 8);
	memcpy(&y, b, 8);
	return x < y ? -1 : x > y;
}

static void t_pool_never_repeats(void **st)
{
	(void)st;
	enum { N = 16384 };
	uint64_t *v = malloc(N * sizeof *v);
	assert_non_null(v);
	for (size_t i = 0; i < N; i += 8)
		sys_random(&v[i], 64);
	qsort(v, N, sizeof *v, cmp64);
	for (size_t i = 1; i < N; i++)
		assert_true(v[i] != v[i - 1]);
	free(v);
}

static ssize_t failing_getrandom(void *buf, size_t len, unsigned flags)
{
	(void)buf;
	(void)len;
	(void)flags;
	errno = ENOSYS;
	return -1;
}

/* No getrandom at all: still bytes (the weak mix), never a constant. */
static void t_no_getrandom(void **st)
{
	(void)st;
	unsigned char b[64];
	sys_random(b, sizeof b);
	rfcres_sys.getrandom = failing_getrandom;
	/* drain whatever the pool holds */
	for (unsigned i = 0; i < SYS_RANDOM_POOL / 64 + 1; i++)
		sys_random(b, sizeof b);
	unsigned char c[64];
	sys_random(c, sizeof c);
	assert_memory_not_equal(b, c, sizeof b);
}

/* What the child draws next must differ from what the parent draws next
 * (they start from the same copied pool). */
static void child_vs_parent(bool raw_clone)
{
	unsigned char b[64];
	sys_random(b, sizeof b); /* the pool is filled and partly used */
	uint64_t epoch = sys_process_epoch();
	int p[2];
	assert_int_equal(pipe(p), 0);
	fflush(NULL);
	long pid = raw_clone ? syscall(SYS_clone, (unsigned long)SIGCHLD, NULL,
				       NULL, NULL, 0ul)
			     : (long)fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		unsigned char c[64];
		n_getrandom = 0;
		rfcres_sys.getrandom = count_getrandom;
		sys_random(c, sizeof c);
		unsigned char ok = n_getrandom == 1 &&
				   sys_process_epoch() != epoch;
		if (write(p[1], c, sizeof c) != (ssize_t)sizeof c ||
		    write(p[1], &ok, 1) != 1)
			_exit(2);
		_exit(0);
	}
	close(p[1]);
	unsigned char mine[64], theirs[64], ok = 0;
	sys_random(mine, sizeof mine);
	assert_int_equal(read(p[0], theirs, sizeof theirs), sizeof theirs);
	assert_int_equal(read(p[0], &ok, 1), 1);
	close(p[0]);
	int status = 0;
	assert_int_equal(waitpid((pid_t)pid, &status, 0), (pid_t)pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_true(ok); /* the child refilled, in a new epoch */
	assert_memory_not_equal(mine, theirs, sizeof mine);
	assert_int_equal(sys_process_epoch(), epoch);
}

static void t_fork(void **st)
{
	(void)st;
	child_vs_parent(false);
}

/* A raw clone() runs no pthread_atfork handler: the epoch (a
 * MADV_WIPEONFORK page, or getpid() without one) still tells. */
static void t_raw_clone(void **st)
{
	(void)st;
#if !(defined(__x86_64__) || defined(__aarch64__) || defined(__i386__) || \
      defined(__arm__) || defined(__riscv))
	/* clone's argument order differs elsewhere (s390: stack first) */
	skip();
#endif
	child_vs_parent(true);
}

static void *epoch_thread(void *arg)
{
	*(uint64_t *)arg = sys_process_epoch();
	return NULL;
}

static void t_epoch_threads(void **st)
{
	(void)st;
	uint64_t e[4];
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, epoch_thread, &e[i]),
				 0);
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_true(e[i] == sys_process_epoch());
	}
	assert_true(sys_process_epoch() != 0);
}

/* recvmmsg refused by the kernel or a seccomp filter: recvmsg, one message
 * per call, and recvmmsg is not asked again. */
static unsigned n_recvmmsg, n_recvmsg;
static int enosys_recvmmsg(int fd, struct mmsghdr *v, unsigned n, int flags,
			   struct timespec *t)
{
	(void)fd;
	(void)v;
	(void)n;
	(void)flags;
	(void)t;
	n_recvmmsg++;
	errno = ENOSYS;
	return -1;
}
static ssize_t count_recvmsg(int fd, struct msghdr *m, int flags)
{
	n_recvmsg++;
	return recvmsg(fd, m, flags);
}

static void t_recvmmsg_fallback(void **st)
{
	(void)st;
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv),
			 0);
	assert_int_equal(send(sv[0], "one", 3, 0), 3);
	assert_int_equal(send(sv[0], "two!", 4, 0), 4);
	char b[2][8];
	struct iovec iov[2] = { { b[0], 8 }, { b[1], 8 } };
	struct mmsghdr mv[2];
	memset(mv, 0, sizeof mv);
	for (int i = 0; i < 2; i++) {
		mv[i].msg_hdr.msg_iov = &iov[i];
		mv[i].msg_hdr.msg_iovlen = 1;
	}
	/* the real one takes both */
	assert_int_equal(sys_recvmmsg(sv[1], mv, 2, MSG_DONTWAIT), 2);
	assert_int_equal(mv[0].msg_len, 3);
	assert_int_equal(mv[1].msg_len, 4);

	rfcres_sys.recvmmsg = enosys_recvmmsg;
	rfcres_sys.recvmsg = count_recvmsg;
	n_recvmmsg = n_recvmsg = 0;
	assert_int_equal(send(sv[0], "three", 5, 0), 5);
	assert_int_equal(send(sv[0], "four", 4, 0), 4);
	assert_int_equal(send(sv[0], "five", 4, 0), 4);
	assert_int_equal(sys_recvmmsg(sv[1], mv, 2, MSG_DONTWAIT), 2);
	assert_int_equal(mv[0].msg_len, 5);
	assert_int_equal(mv[1].msg_len, 4);
	assert_int_equal(sys_recvmmsg(sv[1], mv, 2, MSG_DONTWAIT), 1);
	assert_int_equal(mv[0].msg_len, 4);
	assert_int_equal(sys_recvmmsg(sv[1], mv, 2, MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(n_recvmmsg, 1);
	assert_int_equal(n_recvmsg, 5);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(t_pool_refills, teardown),
		cmocka_unit_test_teardown(t_pool_never_repeats, teardown),
		cmocka_unit_test_teardown(t_no_getrandom, teardown),
		cmocka_unit_test_teardown(t_fork, teardown),
		cmocka_unit_test_teardown(t_raw_clone, teardown),
		cmocka_unit_test_teardown(t_epoch_threads, teardown),
		cmocka_unit_test_teardown(t_recvmmsg_fallback, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
