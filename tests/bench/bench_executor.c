/* bench_executor.c — the executor's own dispatch costs, without the harness: one unchunked
 * submit + result at a time, a burst of submissions then their results, and map over no-op
 * indices (chunk 1 and automatic). Prints one "name value unit" line per figure. Built and run
 * by scripts/perf-threads.sh; not part of the test suite (no timing assertions anywhere). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "runtime/clock.h"
#include "runtime/executor.h"

static int noop_task(void *arg, void **value)
{
    *value = arg;
    return 0;
}

static void noop_index(void *arg, size_t i)
{
    (void)arg;
    (void)i;
}

int main(int argc, char **argv)
{
    unsigned workers = argc > 1 ? (unsigned)atoi(argv[1]) : 2;
    size_t rounds = 20000, burst = 200000, n = 1000000;
    struct executor *ex;
    struct future **fs = calloc(burst, sizeof *fs);

    if (!fs || executor_create(&ex, workers, 0) != 0) {
        fprintf(stderr, "bench_executor: cannot start %u workers\n", workers);
        return 3;
    }

    /* One at a time: the round trip a caller waits for (wake a worker, run, wake the caller). */
    double t0 = clock_now();
    for (size_t k = 0; k < rounds; k++) {
        struct future *f;
        void *v;
        if (executor_submit(ex, noop_task, (void *)(uintptr_t)k, &f) != 0 ||
            future_result(f, &v) != 0 || (uintptr_t)v != k)
            return 1;
        future_release(f);
    }
    printf("submit_result_roundtrip %.3f us\n", (clock_now() - t0) / (double)rounds * 1e6);

    /* A burst: submit them all, then collect the results in order. */
    t0 = clock_now();
    for (size_t k = 0; k < burst; k++)
        if (executor_submit(ex, noop_task, (void *)(uintptr_t)k, &fs[k]) != 0)
            return 1;
    for (size_t k = 0; k < burst; k++) {
        void *v;
        if (future_result(fs[k], &v) != 0 || (uintptr_t)v != k)
            return 1;
        future_release(fs[k]);
    }
    printf("submit_burst_then_results %.3f us\n", (clock_now() - t0) / (double)burst * 1e6);

    t0 = clock_now();
    if (executor_map(ex, noop_index, NULL, n, 1) != 0)
        return 1;
    printf("map_chunk1 %.4f us\n", (clock_now() - t0) / (double)n * 1e6);

    t0 = clock_now();
    if (executor_map(ex, noop_index, NULL, n, 0) != 0)
        return 1;
    printf("map_auto %.4f us\n", (clock_now() - t0) / (double)n * 1e6);

    executor_destroy(ex);
    free(fs);
    return 0;
}
