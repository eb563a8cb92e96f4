/* executor.h — futures and an executor over a fixed set of worker threads (Python's
 * concurrent.futures.ThreadPoolExecutor): submit one call and get a future for its result, or
 * map a function over indices 0..n-1, handed out to the workers in chunks.
 *
 * Threads: every function may be called from any thread except where noted; none of them may
 * be called from a worker of the same executor when it waits for that executor's work
 * (future_result on a future of the same executor, executor_map, executor_shutdown): that
 * worker would wait for itself. */
#ifndef CONCBENCH_EXECUTOR_H
#define CONCBENCH_EXECUTOR_H

#include <stdbool.h>
#include <stddef.h>

struct executor;
struct future;

/* A submitted call. Runs on a worker; stores its answer in *value (NULL before the call) and
 * returns 0, or a negative errno, which future_result hands back as the task's error. */
typedef int executor_fn(void *arg, void **value);

/* A mapped call: do item i of the map. Runs on a worker, many at once for different i. */
typedef void executor_map_fn(void *arg, size_t i);

enum executor_shutdown_mode {
    EXECUTOR_WAIT,          /* run everything already submitted, then stop */
    EXECUTOR_CANCEL,        /* run nothing more: queued futures become cancelled, maps stop
                             * handing out indices; calls already running finish */
};

/* Start an executor with `workers` (>= 1) threads of `stack_size` bytes each (0: the system's
 * default; smaller than PTHREAD_STACK_MIN is raised to it). Returns 0 with *out set, -EINVAL
 * for 0 workers, or a negative errno (pthread_create's EAGAIN when the system refuses a
 * thread: then no worker is left running). */
int executor_create(struct executor **out, unsigned workers, size_t stack_size);

/* The number of worker threads. */
unsigned executor_workers(const struct executor *ex);

/* Queue fn(arg) to run on a worker, first in first out. Returns 0 with *out set to a future
 * the caller owns (release it with future_release, whether or not it waited), -ESHUTDOWN
 * after executor_shutdown has begun, or -ENOMEM. Never blocks beyond the internal lock. */
int executor_submit(struct executor *ex, executor_fn *fn, void *arg, struct future **out);

/* Run fn(arg, i) for every i in 0..n-1 on the workers and block until all have returned.
 * Indices are handed out in chunks of `chunk` consecutive indices through one atomic counter
 * (as Python's map chunksize: fewer hand-outs, less dispatch cost); chunk 0 chooses for
 * itself: guided chunks of about remaining / (2 × workers), shrinking to 1 near the end, so
 * the last tasks still balance across workers. Each index runs exactly once, or not at all if
 * the executor is shut down with EXECUTOR_CANCEL meanwhile. The map queues behind earlier
 * submissions. Returns 0 when every index ran, -ECANCELED when a cancelling shutdown stopped
 * it first (the indices not run were never called), -ESHUTDOWN when shutdown had already
 * begun (none ran). Not from a worker of ex. */
int executor_map(struct executor *ex, executor_map_fn *fn, void *arg, size_t n, size_t chunk);

/* Stop the executor and join its workers: EXECUTOR_WAIT first runs everything queued,
 * EXECUTOR_CANCEL marks every queued future cancelled (waking its waiters) and stops maps.
 * New submissions fail with -ESHUTDOWN from the moment it starts. Blocks until every worker
 * has exited. Call it once, from one thread that is not a worker of ex. */
void executor_shutdown(struct executor *ex, enum executor_shutdown_mode mode);

/* Free the executor (shutting it down with EXECUTOR_WAIT first if that was not done).
 * Futures still held by callers stay valid. */
void executor_destroy(struct executor *ex);

/* Block until the future's call has finished or was cancelled. Returns the call's own return
 * value (0, or its negative errno) with *value set to its answer (value may be NULL), or
 * -ECANCELED (and *value NULL) when shutdown cancelled it before it started. */
int future_result(struct future *f, void **value);
/* The same, waiting at most `seconds`: -ETIMEDOUT when the call has not finished by then
 * (*value untouched; the future is unchanged and may be waited on again). */
int future_result_timeout(struct future *f, double seconds, void **value);
/* True when the call has finished or was cancelled; never blocks beyond a short lock. */
bool future_done(struct future *f);
/* True when shutdown cancelled the call before it started. */
bool future_cancelled(struct future *f);
/* Drop the caller's reference. The future must not be used afterwards; a call still queued or
 * running is unaffected (the executor holds its own reference). */
void future_release(struct future *f);

#endif
