/* async_uring.c — the async model on io_uring: everything `async` does (models/async.c), on a
 * loop whose backend is io_uring (runtime/loop_uring.c) instead of epoll. Sleeps are the same
 * timer heap; http's sockets (libcurl multi-socket) are watched with one-shot polls queued in
 * the submission ring, so a change of interest costs no system call; CPU-bound tasks run inline
 * as under async. Where the kernel refuses io_uring it is unavailable, with the reason. */
#include "models/async.h"

static int async_uring_run(const struct workload *w, void *ctx, const struct run_params *p,
                           struct task_result *results)
{
    return async_run_on(LOOP_URING, w, ctx, p, results);
}

static bool async_uring_available(char *why, size_t len)
{
    return loop_backend_probe(LOOP_URING, why, len) == 0;
}

const struct model model_async_uring = {
    .name = "async-uring",
    .summary = "async on io_uring: one thread, one loop whose fds are one-shot polls in a "
               "submission ring, one io_uring_enter a turn; CPU tasks run inline (no faster "
               "than single)",
    .order = 8,                 /* right after async (6); 7 is the proof build's test model */
    .color = "#4daf4a",         /* a green of its own beside async's bluish #009e73 */
    .cpu_inline = true,
    .conc = MODEL_CONC_CAP,
    .dispatch_s = 3e-6,
    .cost_text = "a start and a completion callback in one io_uring loop: a socket's change of "
                 "interest is a request queued in the ring, not a system call (a task without "
                 "an async form runs inline, as a function call)",
    .run = async_uring_run,
    .available = async_uring_available,
};
