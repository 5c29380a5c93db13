/*
 * Helper of tests/integration/test_faults.c (t_setuid_env): prints which
 * configuration paths and debug setting librfcres would use in this
 * process, and whether the kernel started it in secure-execution mode
 * (AT_SECURE: set-uid/set-gid or gained capabilities).  It resolves
 * nothing and reads no configuration file, so it never looks at the
 * system's resolv.conf even when it is told to use it.
 */
#include <stdio.h>
#include <sys/auxv.h>

#include "conf/conf_snapshot.h"
#include "trace.h"

int main(void)
{
	/* RFCRES_DEBUG is read on the first lookup-begin (pthread_once) */
	trace_lookup_begin();
	trace_lookup_end();
	printf("secure=%lu resolv=%s hosts=%s gai=%s services=%s debug=%d\n",
	       getauxval(AT_SECURE), conf_file_path(CONF_FILE_RESOLV),
	       conf_file_path(CONF_FILE_HOSTS), conf_file_path(CONF_FILE_GAI),
	       conf_file_path(CONF_FILE_SERVICES), trace_on() ? 1 : 0);
	return 0;
}
