/* signals.h — the harness's one signal path: SIGINT, SIGTERM and SIGHUP, turned into the run's
 * (or the sweep's) cancel event by a thread that sigwait()s. */
#ifndef CONCBENCH_SIGNALS_H
#define CONCBENCH_SIGNALS_H

#include <stdbool.h>

#include "runtime/event.h"

/* Block SIGINT, SIGTERM and SIGHUP in the calling thread (call it from main before any other
 * thread or fork, so every thread and child inherits the mask), ignore SIGPIPE (a failed write
 * is an error the writer sees), and start a thread that waits for them. The first signal sets
 * `cancel`. A second one ends the process at once with exit code 130 when exit_on_second, and
 * otherwise only counts (sigwatch_count): a sweep then stops its child without grace and still
 * writes what it measured. Returns 0 or a negative errno. */
int sigwatch_start(struct event *cancel, bool exit_on_second);
/* The first signal received, or 0. Any thread. */
int sigwatch_signal(void);
/* How many of those signals were received. Any thread. */
unsigned sigwatch_count(void);
/* Stop the watcher thread. Main thread, after the batch. The mask stays blocked. */
void sigwatch_stop(void);

#endif
