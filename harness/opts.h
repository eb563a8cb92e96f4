/* opts.h — an option's value checked against its declaration (struct wopt: type and bounds),
 * one rule for `concbench run` and the sweep's --set. */
#ifndef CONCBENCH_OPTS_H
#define CONCBENCH_OPTS_H

#include <stdbool.h>
#include <stddef.h>

#include "workloads/workload.h"

/* Is `value` a valid value of option d? A WOPT_UINT takes a whole number within d's bounds, a
 * WOPT_STRING any text (not NULL), a WOPT_FLAG no value (value NULL or "1"). When not, err says why:
 * "bad value 'x' for --sleep-ms: a whole number from 0 to 86400000". */
bool wopt_check(const struct wopt *d, const char *value, char *err, size_t errlen);

#endif
