/*
 * Inside the configuration watcher (conf_watch.h): conf_watch.c keeps the
 * inotify instance, the events and the per-path state; conf_watch_path.c
 * works out which watches see every change of a path.
 */
#ifndef RFCRES_CONF_WATCH_PRIV_H
#define RFCRES_CONF_WATCH_PRIV_H

#include <stdbool.h>

#include "conf/conf_watch.h"

/* Watches per path: link directories, the file's directory, the file. */
#define CONF_WATCH_PER_PATH 12

struct conf_watch_one {
	int wd;
	char *name; /* the name in a watched directory; NULL: any event */
};

struct conf_watch_set {
	unsigned n;
	struct conf_watch_one w[CONF_WATCH_PER_PATH];
};

/* Adds to ws (on inotify instance ifd) the watches that see every change
 * of what path names.  false when path must be stat'ed instead: *why is
 * the reason (file-system, add-watch, too-many-links, relative-path,
 * name-too-long, unreachable, not-a-file, no-memory) and *err an errno or
 * 0.  Watches added before a failure stay in ws (the caller removes
 * them). */
bool conf_watch_walk(int ifd, const char *path, struct conf_watch_set *ws,
		     const char **why, int *err);

#endif
