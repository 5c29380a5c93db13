/*
 * rfcres-fakedns: the fault-injecting test DNS server as a program, for the
 * README demo, the network-namespace system tests and the benchmark.
 * Usage: docs/fakedns.md, or rfcres-fakedns --help.
 */
#include "fakedns.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_ZONES 16
#define MAX_BEHAV 64

struct cfg {
	struct fakedns_opts o;
	const char *zones[MAX_ZONES];
	int nzones;
	const char *behav[MAX_BEHAV];
	int nbehav;
	const char *port_file;
	const char *pid_file;
	int daemon;
	int nlisten;
};

static void usage(FILE *f)
{
	fputs("usage: rfcres-fakedns --zone FILE [--zone FILE ...]\n"
	      "         [--listen ADDR[:PORT]] ... (up to 4; default 127.0.0.1:0;\n"
	      "          IPv6 as [::1]:5353; port 0 = kernel picks)\n"
	      "         [--behaviour 'NAME KIND [ARG]'] ... (NAME * = global)\n"
	      "         [--port-file F] [--pid-file F] [--daemon|--foreground]\n"
	      "         [--no-udp] [--no-tcp] [--log]\n"
	      "Prints 'listening ADDR:PORT' per listener; the port file gets one\n"
	      "port per line.  SIGTERM/SIGINT: exit; SIGHUP: reload zones;\n"
	      "SIGUSR1: counters to stderr.  See docs/fakedns.md.\n", f);
}

static int parse_args(int argc, char **argv, struct cfg *c)
{
	static const struct option lo[] = {
		{ "zone", required_argument, NULL, 'z' },
		{ "listen", required_argument, NULL, 'l' },
		{ "behaviour", required_argument, NULL, 'b' },
		{ "behavior", required_argument, NULL, 'b' },
		{ "port-file", required_argument, NULL, 'p' },
		{ "pid-file", required_argument, NULL, 'P' },
		{ "daemon", no_argument, NULL, 'd' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "no-udp", no_argument, NULL, 'U' },
		{ "no-tcp", no_argument, NULL, 'T' },
		{ "log", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "z:l:b:p:P:dfvh", lo, NULL)) != -1) {
		switch (ch) {
		case 'z':
			if (c->nzones == MAX_ZONES)
				return -1;
			c->zones[c->nzones++] = optarg;
			break;
		case 'l':
			if (c->nlisten == FAKEDNS_MAX_LISTEN)
				return -1;
			c->o.listen[c->nlisten++] = optarg;
			break;
		case 'b':
			if (c->nbehav == MAX_BEHAV)
				return -1;
			c->behav[c->nbehav++] = optarg;
			break;
		case 'p':
			c->port_file = optarg;
			break;
		case 'P':
			c->pid_file = optarg;
			break;
		case 'd':
			c->daemon = 1;
			break;
		case 'f':
			c->daemon = 0;
			break;
		case 'U':
			c->o.flags |= FAKEDNS_NO_UDP;
			break;
		case 'T':
			c->o.flags |= FAKEDNS_NO_TCP;
			break;
		case 'v':
			c->o.flags |= FAKEDNS_LOG;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return -1;
		}
	}
	return optind == argc ? 0 : -1;
}

/* "NAME KIND [ARG]" */
static int apply_behaviour(struct fakedns *fd, const char *s)
{
	char name[1024];
	const char *sp = strchr(s, ' ');
	size_t n = sp ? (size_t)(sp - s) : 0;

	if (!sp || n >= sizeof(name))
		return -1;
	memcpy(name, s, n);
	name[n] = '\0';
	return fakedns_behave(fd, name, sp + 1);
}

static int load_all(struct fakedns *fd, const struct cfg *c)
{
	int i;

	for (i = 0; i < c->nzones; i++)
		if (fakedns_load_zone(fd, c->zones[i]) < 0)
			return -1;
	for (i = 0; i < c->nbehav; i++) {
		if (apply_behaviour(fd, c->behav[i]) < 0) {
			fprintf(stderr, "rfcres-fakedns: bad --behaviour '%s'\n",
				c->behav[i]);
			return -1;
		}
	}
	return 0;
}

/* Write atomically (temp + rename) so a polling script never reads half. */
static int write_file(const char *path, const char *text)
{
	char tmp[4096];
	FILE *f;
	int rc = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >=
	    (int)sizeof(tmp))
		return -1;
	f = fopen(tmp, "we");
	if (!f)
		return -1;
	fputs(text, f);
	if (ferror(f))
		rc = -1;
	if (fclose(f) != 0)
		rc = -1;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -1;
	if (rc < 0)
		unlink(tmp);
	return rc;
}

static int write_files(struct fakedns *fd, const struct cfg *c)
{
	char buf[256];
	size_t o = 0;
	int i;

	if (c->port_file) {
		for (i = 0; i < fakedns_listen_count(fd); i++)
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%u\n",
					      fakedns_port_n(fd, i));
		if (write_file(c->port_file, buf) < 0) {
			perror(c->port_file);
			return -1;
		}
	}
	if (c->pid_file) {
		snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
		if (write_file(c->pid_file, buf) < 0) {
			perror(c->pid_file);
			return -1;
		}
	}
	return 0;
}

static void report(struct fakedns *fd, FILE *f)
{
	char a[80];
	int i;

	for (i = 0; i < fakedns_listen_count(fd); i++)
		fprintf(f, "listening %s\n", fakedns_listen_str(fd, i, a, sizeof(a)));
	fflush(f);
}

static void dump_counters(struct fakedns *fd)
{
	struct fakedns_counters k;

	fakedns_counters(fd, &k);
	fprintf(stderr,
		"rfcres-fakedns: queries=%lu udp=%lu tcp=%lu a=%lu aaaa=%lu "
		"ptr=%lu other=%lu edns=%lu tcp_conn=%lu udp_sent=%lu "
		"tcp_sent=%lu truncated=%lu dropped=%lu malformed=%lu\n",
		k.queries, k.udp_queries, k.tcp_queries, k.q_a, k.q_aaaa,
		k.q_ptr, k.q_other + k.q_cname, k.edns_queries,
		k.tcp_connections, k.udp_sent, k.tcp_sent, k.truncated,
		k.dropped, k.malformed);
}

static int serve(struct fakedns *fd, const struct cfg *c, const sigset_t *set)
{
	for (;;) {
		int sig;

		if (sigwait(set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			fakedns_clear_zone(fd);
			if (load_all(fd, c) < 0)
				fprintf(stderr, "rfcres-fakedns: reload failed\n");
		} else if (sig == SIGUSR1) {
			dump_counters(fd);
		} else {
			return 0;
		}
	}
}

/* Start the server; `status` (daemon mode) tells the waiting parent. */
static int run(const struct cfg *c, FILE *status)
{
	sigset_t set;
	struct fakedns *fd;
	int rc;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	/* Before the loop thread exists, so it inherits the mask. */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	fd = fakedns_start(&c->o);
	if (!fd || load_all(fd, c) < 0 || write_files(fd, c) < 0) {
		if (status)
			fputs("fail\n", status);
		fakedns_stop(fd);
		return 1;
	}
	if (status) {
		fputs("ok\n", status);
		report(fd, status);
		fclose(status);
	} else {
		report(fd, stdout);
	}
	rc = serve(fd, c, &set);
	if (c->pid_file)
		unlink(c->pid_file);
	if (c->port_file)
		unlink(c->port_file);
	fakedns_stop(fd);
	return rc;
}

static int daemonize(const struct cfg *c)
{
	int p[2];
	pid_t pid;
	FILE *f;
	char line[256];
	int ok = 0;

	if (pipe(p) < 0)
		return 1;
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		close(p[0]);
		setsid();
		if (!freopen("/dev/null", "r", stdin) ||
		    !freopen("/dev/null", "w", stdout))
			_exit(1);
		f = fdopen(p[1], "w");
		_exit(f ? run(c, f) : 1);
	}
	close(p[1]);
	f = fdopen(p[0], "r");
	if (!f)
		return 1;
	while (fgets(line, sizeof(line), f)) {
		if (strcmp(line, "ok\n") == 0)
			ok = 1;
		else if (ok)
			fputs(line, stdout);
	}
	fclose(f);
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct cfg c;

	memset(&c, 0, sizeof(c));
	if (parse_args(argc, argv, &c) < 0) {
		usage(stderr);
		return 2;
	}
	if (c.daemon)
		return daemonize(&c);
	return run(&c, NULL);
}
