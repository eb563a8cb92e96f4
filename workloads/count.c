/* count.c — the count workload: each task adds 1 to a counter C times (CPU-bound). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "runtime/clock.h"
#include "runtime/json.h"
#include "workloads/workload.h"

/* Iterations between two looks at the cancel flag and the deadline: a few million, so the
 * check costs nothing measurable (one load and a compare per 4 Mi adds). */
#ifndef COUNT_CHECK_EVERY
#define COUNT_CHECK_EVERY (1ull << 22)
#endif

struct count_ctx {
    uint64_t count;         /* C */
};

static int count_setup(const struct options *o, const struct run_params *p, void **ctx,
                       char *err, size_t errlen)
{
    extern const struct workload workload_count;
    struct count_ctx *c = malloc(sizeof *c);
    (void)p;
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    c->count = workload_opt_u64(&workload_count, o, "count");
    *ctx = c;
    return 0;
}

/* n real additions. The empty asm makes the compiler believe the counter is read and changed
 * after every add, so it can neither fold the loop into one add nor vectorize it. The addend is
 * a register the compiler cannot see is 1: recent x86 cores (Golden Cove) execute chains of
 * add-immediate at rename, 8 a cycle, which would make the loop measure the front end instead
 * of one add per iteration. The loop is aligned to 32 bytes: where it happens to fall would
 * otherwise change its speed by about 12 % (a loop straddling a 32-byte boundary runs slower
 * here), which made builds differing elsewhere disagree. */
__attribute__((noinline, aligned(64), optimize("align-loops=32")))
static uint64_t count_up(uint64_t c, uint64_t n)
{
    uint64_t one = 1;
    __asm__("" : "+r"(one));
    for (uint64_t k = 0; k < n; k++) {
        c += one;
        __asm__ volatile("" : "+r"(c));
    }
    return c;
}

static int count_run(void *ctx, unsigned i, const struct task_env *env, struct task_result *r)
{
    const struct count_ctx *c = ctx;
    uint64_t done = 0;

    while (done < c->count) {
        uint64_t step = c->count - done;
        if (step > COUNT_CHECK_EVERY)
            step = COUNT_CHECK_EVERY;
        done = count_up(done, step);
        if (done < c->count) {
            int st = task_interrupted(env, clock_now());
            if (st != TASK_OK) {
                r->value = done;
                return task_fail(r, st, st == TASK_TIMEOUT ? "timeout" : "cancelled",
                                 "task %u: %s after %llu of %llu additions", i,
                                 st == TASK_TIMEOUT ? "timeout" : "cancelled",
                                 (unsigned long long)done, (unsigned long long)c->count);
            }
        }
    }
    r->value = done;
    return TASK_OK;
}

static bool count_verify(void *ctx, const struct task_result *rs, unsigned n, char *why,
                         size_t len)
{
    const struct count_ctx *c = ctx;
    for (unsigned i = 0; i < n; i++) {
        if (rs[i].status != TASK_OK) {
            snprintf(why, len, "task %u: %s", i, task_status_name(rs[i].status));
            return false;
        }
        if (rs[i].value != c->count) {
            snprintf(why, len, "task %u counted %llu, expected %llu", i,
                     (unsigned long long)rs[i].value, (unsigned long long)c->count);
            return false;
        }
    }
    return true;
}

/* An external program's task (models/ext.h): "value", its total, exact below 2^53. */
static int count_ext_take(void *ctx, unsigned i, const struct json_value *res,
                          struct task_result *r)
{
    const struct json_value *v = json_get(res, "value");
    (void)ctx;
    if (!v || v->type != JSON_NUMBER || !(v->number >= 0) || v->number > 9007199254740992.0)
        return task_fail(r, TASK_FAILED, "bad result", "task %u: no \"value\" (the total) "
                         "from 0 to 2^53", i);
    r->value = (uint64_t)v->number;
    return TASK_OK;
}

static void count_teardown(void *ctx)
{
    free(ctx);
}

static const struct wopt count_opts[] = {
    { "count", WOPT_UINT, "100000000", 0, UINT64_MAX / 2,
      "additions per task; 0 makes no-op tasks that measure dispatch cost", NULL },
    { 0 },
};

/* CPU-bound: t1 x ceil(N / min(j, cores)). */
static double count_ideal(const struct workload *w, const struct options *o,
                          const struct ideal_in *in)
{
    (void)w;
    (void)o;
    return workload_ideal_cpu(in);
}

const struct workload workload_count = {
    .name = "count",
    .summary = "each task increments a counter C times (--count, default 10^8; 0 = no-op)",
    .kind = &workload_kind_cpu,
    .label = "add in a loop",
    .order = 1,
    .opts = count_opts,
    .sweep = {
        [WL_SCALE_QUICK] = { "--count 20000000", NULL },
        [WL_SCALE_DEFAULT] = { "--count 100000000", NULL },
    },
    .ideal_s = count_ideal,
    .setup = count_setup,
    .run = count_run,
    .verify = count_verify,
    .teardown = count_teardown,
    .ext_take = count_ext_take,
};
