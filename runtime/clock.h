/* clock.h — monotonic time in seconds, the one clock every measurement uses. */
#ifndef CONCBENCH_CLOCK_H
#define CONCBENCH_CLOCK_H

#include <pthread.h>
#include <time.h>

/* Seconds on CLOCK_MONOTONIC (a perf_counter equivalent). Any thread, any process. */
static inline double clock_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The timespec for an absolute CLOCK_MONOTONIC time given in seconds. */
static inline struct timespec clock_timespec(double t)
{
    struct timespec ts;
    if (t < 0)
        t = 0;
    ts.tv_sec = (time_t)t;
    ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

/* Initialise a condition variable whose timed waits use CLOCK_MONOTONIC, so deadlines from
 * clock_now() are not moved by changes of the wall clock. Returns 0 or an error number (as
 * pthread functions do). */
static inline int clock_cond_init(pthread_cond_t *cv)
{
    pthread_condattr_t ca;
    int err = pthread_condattr_init(&ca);
    if (err != 0)
        return err;
    err = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    if (err == 0)
        err = pthread_cond_init(cv, &ca);
    pthread_condattr_destroy(&ca);
    return err;
}

#endif
