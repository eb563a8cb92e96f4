/* signals.h — SIGINT/SIGTERM turned into the run's cancel event, by a thread that sigwait()s. */
#ifndef CONCBENCH_SIGNALS_H
#define CONCBENCH_SIGNALS_H

#include "runtime/event.h"

/* Block SIGINT and SIGTERM in the calling thread (call it from main before any other thread or
 * fork, so every thread and child inherits the mask) and start a thread that waits for them.
 * The first signal sets `cancel`; a second one calls the hard-stop hook and ends the process at
 * once with exit code 130. Returns 0 or a negative errno. */
int sigwatch_start(struct event *cancel);
/* The first signal received, or 0. Any thread. */
int sigwatch_signal(void);
/* Stop the watcher thread. Main thread, after the batch. The mask stays blocked. */
void sigwatch_stop(void);
/* Called (from the watcher thread) on a second signal, before the process exits: the place to
 * SIGKILL child processes. NULL clears it. */
void sigwatch_on_hard_stop(void (*fn)(void));

#endif
