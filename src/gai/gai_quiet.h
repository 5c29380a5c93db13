/*
 * The one poll of a quiet lookup: the configuration watcher's descriptors
 * (conf/conf_watch.h) and the address inventory's change monitor
 * (net/ifaddr.h) are polled together, once per lookup, instead of each
 * module asking the kernel on its own (issue 16).
 */
#ifndef RFCRES_GAI_QUIET_H
#define RFCRES_GAI_QUIET_H

/* Polls, without waiting, and hands each module its revents.  Until
 * gai_quiet_end() this thread's configuration checks and inventory
 * acquires rely on that poll instead of asking again. */
void gai_quiet_poll(void);
/* The lookup that polled is over (or leaves this thread): from now on
 * each module asks the kernel itself again. */
void gai_quiet_end(void);

#endif
