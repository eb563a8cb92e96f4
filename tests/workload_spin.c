/* workload_spin.c — a test workload (the proof of issue 16: a workload is one file plus one
 * registry line): each task keeps a CPU busy for --spin-us microseconds, then answers a value
 * verify() can recompute from its index. CPU-bound, ideal time the usual CPU rule. Compiled only
 * into the proof build (make proof), registered under CONCBENCH_TEST_ENTRIES. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "runtime/clock.h"
#include "workloads/workload.h"

extern const struct workload workload_spin;

struct spin_ctx {
    double seconds;         /* how long each task spins */
};

/* The answer of task i (splitmix64 of the index). */
static uint64_t spin_answer(unsigned i)
{
    uint64_t z = (uint64_t)i + 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static int spin_setup(const struct options *o, const struct run_params *p, void **ctx,
                      char *err, size_t errlen)
{
    struct spin_ctx *c = malloc(sizeof *c);
    (void)p;
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    c->seconds = (double)workload_opt_u64(&workload_spin, o, "spin-us") * 1e-6;
    *ctx = c;
    return 0;
}

static int spin_run(void *ctx, unsigned i, const struct task_env *env, struct task_result *r)
{
    const struct spin_ctx *c = ctx;
    double start = clock_now(), now = start;
    uint64_t x = i | 1;
    while (now - start < c->seconds) {
        for (int k = 0; k < 256; k++) {     /* busy work between two looks at the clock */
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            __asm__ volatile("" : "+r"(x));
        }
        now = clock_now();
        int st = task_interrupted(env, now);
        if (st != TASK_OK)
            return task_fail(r, st, st == TASK_TIMEOUT ? "timeout" : "cancelled",
                             "task %u: %s after %.0f us of spinning", i, task_status_name(st),
                             (now - start) * 1e6);
    }
    r->value = spin_answer(i);
    return TASK_OK;
}

static bool spin_verify(void *ctx, const struct task_result *rs, unsigned n, char *why,
                        size_t len)
{
    const struct spin_ctx *c = ctx;
    for (unsigned i = 0; i < n; i++) {
        if (rs[i].status != TASK_OK) {
            snprintf(why, len, "task %u: %s", i, task_status_name(rs[i].status));
            return false;
        }
        if (rs[i].value != spin_answer(i)) {
            snprintf(why, len, "task %u answered %llu, expected %llu", i,
                     (unsigned long long)rs[i].value, (unsigned long long)spin_answer(i));
            return false;
        }
        if (rs[i].end_s - rs[i].start_s < c->seconds) {
            snprintf(why, len, "task %u spun %.6f s, less than %.6f s", i,
                     rs[i].end_s - rs[i].start_s, c->seconds);
            return false;
        }
    }
    return true;
}

static void spin_teardown(void *ctx)
{
    free(ctx);
}

static const struct wopt spin_opts[] = {
    { "spin-us", WOPT_UINT, "1000", 0, 60000000, "microseconds each task keeps a CPU busy", NULL },
    { 0 },
};

static double spin_ideal(const struct workload *w, const struct options *o,
                         const struct ideal_in *in)
{
    (void)w;
    (void)o;
    return workload_ideal_cpu(in);
}

const struct workload workload_spin = {
    .name = "spin",
    .summary = "test workload: each task keeps a CPU busy for --spin-us microseconds",
    .kind = &workload_kind_cpu,
    .label = "busy for D us",
    .order = 3,
    .opts = spin_opts,
    .sweep = {
        [WL_SCALE_QUICK] = { "--spin-us 2000", NULL },
        [WL_SCALE_DEFAULT] = { "--spin-us 10000", NULL },
    },
    .ideal_s = spin_ideal,
    .setup = spin_setup,
    .run = spin_run,
    .verify = spin_verify,
    .teardown = spin_teardown,
};
