/*
 * Change detection for configuration files without a stat() per file per
 * lookup (issue 16).  One inotify instance watches, for every path a
 * caller asks about, the directory of each symbolic link on the way to the
 * file (a re-pointed link is an event there), the file's own directory
 * (rename over, delete + create) and the file's inode (an in-place edit,
 * through whatever path or bind mount it is made); a descriptor on
 * /proc/self/mountinfo reports mount-table changes (a bind mount swapped
 * over a file or directory).  A lookup with nothing changed costs one
 * poll() on those two descriptors.
 *
 * A path is left to stat() -- reported as "look" on every call -- where
 * inotify cannot see every change: a file system that is not a local one
 * known to report all changes (overlayfs: changes in a lower layer; NFS,
 * FUSE, CIFS: changes made elsewhere), a watch the kernel refused (ENOSPC:
 * max_user_watches; EMFILE/ENFILE/ENOMEM, or max_user_instances, for the
 * instance), too many links.  An event queue overflow (IN_Q_OVERFLOW)
 * makes every path "look" once.  Each fallback is traced ("conf.watch").
 *
 * The caller's protocol, per batch of paths:
 *   conf_watch_check(paths, n, &ticket)  -> mask of paths to stat now
 *   ...stat those, compare with what was loaded, reload what differs...
 *   conf_watch_confirm(&ticket, mask)    once the loaded state reflects
 *                                        those stats
 * A path is vouched for only when it was confirmed after a check that
 * found no event for it, so a change racing with the stat is never lost:
 * its event bumps the path's count past the ticket's.
 */
#ifndef RFCRES_CONF_WATCH_H
#define RFCRES_CONF_WATCH_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>

/* Paths tracked at once (resolv.conf, gai.conf, hosts, services,
 * nsswitch.conf, and room for path changes through the environment). */
#define CONF_WATCH_SLOTS 8
/* Paths per check. */
#define CONF_WATCH_MAXPATHS 8

struct conf_watch_ticket {
	unsigned n;
	int slot[CONF_WATCH_MAXPATHS];
	uint64_t id[CONF_WATCH_MAXPATHS];
	uint64_t seq[CONF_WATCH_MAXPATHS];
};

/* Which of paths[0..n) may have changed since they were last confirmed:
 * bit i set = stat paths[i].  Never blocks. */
unsigned conf_watch_check(const char *const *paths, unsigned n,
			  struct conf_watch_ticket *t);

/* The paths in mask (bits as returned by the check that filled t) were
 * stat'ed after that check and what the caller keeps now matches them. */
void conf_watch_confirm(const struct conf_watch_ticket *t, unsigned mask);

/* One poll for a whole lookup (src/gai/gai_quiet.c): the caller polls
 * the descriptors conf_watch_pollfds fills (it returns how many, 0 or 2;
 * *id names the instance) together with descriptors of its own, with a
 * zero timeout, and hands the result back to conf_watch_polled (r is
 * poll's return value).  The events are taken in then, and this thread's
 * checks skip their own poll until conf_watch_polled_end(), which the
 * caller calls when its lookup ends: an event after the poll stays queued
 * for the next lookup, as if it had come after the check.  Descriptors
 * found closed are dropped as in a check; a descriptor replaced behind our
 * back is verified before it is read, as in a check. */
int conf_watch_pollfds(struct pollfd pf[2], uint64_t *id);
void conf_watch_polled(const struct pollfd pf[2], uint64_t id, int r);
void conf_watch_polled_end(void);

/* Registers the watcher's fork handlers.  A caller that checks while
 * holding a lock of its own (conf_snapshot.c's cache lock) calls this
 * before registering that lock's handlers: prepare handlers run in reverse
 * order of registration, so at fork its lock is taken before the
 * watcher's, in the same order as at run time. */
void conf_watch_init(void);

/* Tests: closes the instance and forgets every path; the next check arms
 * again from scratch. */
void conf_watch_reset(void);

/* Tests: how each path is watched now (false: stat on every check). */
bool conf_watch_is_watched(const char *path);

#endif
