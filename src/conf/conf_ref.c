/* Reference counting of configuration snapshots (see conf.h). */
#include "conf/conf.h"

#include <stddef.h>

struct conf_snapshot *conf_ref(struct conf_snapshot *s)
{
	if (s)
		atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
	return s;
}

void conf_release(struct conf_snapshot *s)
{
	if (!s)
		return;
	if (atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) == 1 &&
	    s->destroy)
		s->destroy(s);
}
