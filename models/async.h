/* async.h — the async models' one body (models/async.c), shared by `async` (epoll) and
 * `async-uring` (io_uring, models/async_uring.c): everything but the loop's backend. */
#ifndef CONCBENCH_ASYNC_H
#define CONCBENCH_ASYNC_H

#include "models/model.h"
#include "runtime/loop.h"

/* model.run on a loop of backend b; fills p->stats's loop figures (loop_syscalls,
 * loop_cpu_s). A loop that cannot be set up returns its negative errno (nothing started). */
int async_run_on(enum loop_backend_kind b, const struct workload *w, void *ctx,
                 const struct run_params *p, struct task_result *results);

#endif
