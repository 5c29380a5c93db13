/*
 * Which inotify watches see every change of what a path names
 * (conf_watch.h): the path is resolved component by component as the
 * kernel's path lookup does; the directory holding each symbolic link met
 * is watched for that link's name (retargeting a link is a create or a
 * rename there: the Kubernetes "..data" swap, systemd-resolved's stub
 * link), the directory holding the file for the file's name (rename over,
 * delete + create, creation of a missing file), and the file's inode
 * itself (an in-place edit through any path, e.g. the source of a bind
 * mount, reaches the inode's watchers, not the other path's directory).
 */
#include "conf/conf_watch_priv.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/statfs.h>

#include "sys.h"

#define W_DIR_EVENTS                                                        \
	(IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_MOVED_FROM |           \
	 IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | \
	 IN_ONLYDIR)
#define W_FILE_EVENTS \
	(IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF)
#define W_MAXHOPS 8 /* symbolic links followed before giving up */

/* Local file systems whose every change goes through this kernel's VFS,
 * so inotify reports it (fs/notify).  Not listed, hence stat'ed: overlayfs
 * (a lower-layer change bypasses the overlay inode), network and FUSE file
 * systems (changes made elsewhere), anything unknown. */
static bool fs_reports_all(const char *path)
{
	struct statfs sf;
	if (rfcres_sys.statfs(path, &sf) != 0)
		return false;
	switch ((unsigned long)sf.f_type) {
	case 0xEF53:     /* ext2/3/4 */
	case 0x58465342: /* xfs */
	case 0x9123683E: /* btrfs */
	case 0x01021994: /* tmpfs */
	case 0x858458F6: /* ramfs */
	case 0xF2F52010: /* f2fs */
	case 0x3153464A: /* jfs */
	case 0x2FC12FC1: /* zfs */
	case 0xCA451A4E: /* bcachefs */
		return true;
	default:
		return false;
	}
}

/* Adds a watch on target (a directory with name, or the file itself with
 * name NULL).  false, with the reason, when the path must be stat'ed instead. */
static bool add_watch(int ifd, struct conf_watch_set *ws, const char *target,
		      const char *name, const char **why, int *err)
{
	if (ws->n == CONF_WATCH_PER_PATH) {
		*why = "too-many-links";
		return false;
	}
	if (!fs_reports_all(target)) {
		*why = "file-system";
		return false;
	}
	int wd = rfcres_sys.inotify_add_watch(
		ifd, target, name ? W_DIR_EVENTS : W_FILE_EVENTS);
	if (wd < 0) {
		/* ENOSPC: fs.inotify.max_user_watches reached */
		*why = "add-watch";
		*err = errno;
		return false;
	}
	char *copy = NULL;
	if (name && !(copy = strdup(name))) {
		/* the watch stays: its events only make a look more */
		*why = "no-memory";
		*err = ENOMEM;
		return false;
	}
	ws->w[ws->n].wd = wd;
	ws->w[ws->n].name = copy;
	ws->n++;
	return true;
}

/* Resolves path component by component and watches what can change what
 * it names; cur, rest and link are PATH_MAX buffers. */
static bool walk(int ifd, const char *path, struct conf_watch_set *ws,
		 char *cur, char *rest, char *link, const char **why, int *err)
{
	if (path[0] != '/' || strlen(path) >= PATH_MAX) {
		*why = "relative-path";
		return false;
	}
	strcpy(rest, path);
	cur[0] = '\0'; /* resolved prefix; "" is the root */
	unsigned hops = 0;
	for (;;) {
		char *p = rest;
		while (*p == '/')
			p++;
		if (!*p)
			break;
		char *end = strchr(p, '/');
		size_t clen = end ? (size_t)(end - p) : strlen(p);
		char comp[NAME_MAX + 1];
		if (clen > NAME_MAX) {
			*why = "name-too-long";
			return false;
		}
		memcpy(comp, p, clen);
		comp[clen] = '\0';
		memmove(rest, p + clen, strlen(p + clen) + 1);
		bool last = true;
		for (const char *q = rest; *q; q++)
			if (*q != '/')
				last = false;
		if (strcmp(comp, ".") == 0)
			continue;
		if (strcmp(comp, "..") == 0) {
			char *slash = strrchr(cur, '/');
			if (slash)
				*slash = '\0';
			continue;
		}
		size_t curlen = strlen(cur);
		if (curlen + 1 + clen >= PATH_MAX) {
			*why = "name-too-long";
			return false;
		}
		char save;
		cur[curlen] = '/';
		memcpy(cur + curlen + 1, comp, clen + 1);
		ssize_t n = rfcres_sys.readlink(cur, link, PATH_MAX - 1);
		int e = n < 0 ? errno : 0;
		if (n >= 0) {
			/* a symbolic link: its directory, for its name */
			cur[curlen] = '\0';
			if (++hops > W_MAXHOPS ||
			    (size_t)n + 1 + strlen(rest) >= PATH_MAX) {
				*why = "too-many-links";
				return false;
			}
			if (!add_watch(ifd, ws, cur[0] ? cur : "/", comp, why, err))
				return false;
			link[n] = '/';
			strcpy(link + n + 1, rest);
			strcpy(rest, link);
			if (link[0] == '/')
				cur[0] = '\0';
			continue;
		}
		if (e == EINVAL && !last)
			continue; /* a directory on the way */
		if (e == EINVAL || (e == ENOENT && last)) {
			/* the file (or where it will be created) */
			save = cur[curlen];
			cur[curlen] = '\0';
			bool ok = add_watch(ifd, ws, cur[0] ? cur : "/", comp, why, err);
			cur[curlen] = save;
			if (ok && e == EINVAL)
				ok = add_watch(ifd, ws, cur, NULL, why, err);
			return ok;
		}
		/* a missing directory, or no permission to look */
		*why = "unreachable";
		*err = e;
		return false;
	}
	*why = "not-a-file";
	return false;
}

bool conf_watch_walk(int ifd, const char *path, struct conf_watch_set *ws,
		     const char **why, int *err)
{
	*why = NULL;
	*err = 0;
	char *buf = malloc(3 * PATH_MAX);
	if (!buf) {
		*why = "no-memory";
		*err = ENOMEM;
		return false;
	}
	bool ok = walk(ifd, path, ws, buf, buf + PATH_MAX, buf + 2 * PATH_MAX,
		       why, err);
	free(buf);
	return ok;
}
