/* test_leaks.c — descriptors across many batches: 1,000 small batches of the sleep and probe
 * workloads under every model, in this one process, leave the open descriptors (/proc/self/fd)
 * as they were and no child behind. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "models/model.h"
#include "runtime/clock.h"
#include "runtime/event.h"
#include "runtime/shm.h"
#include "tests/helpers.h"
#include "workloads/workload.h"

#define TL_BATCHES 1000
#define TL_TASKS 2

/* The open descriptors of this process, with their targets, into buf (one "fd -> target" a
 * line); returns how many. */
static int tl_fds(char *buf, size_t len)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0;
    size_t used = 0;
    assert_non_null(d);
    buf[0] = '\0';
    while ((e = readdir(d))) {
        char path[300], target[256];
        if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d))
            continue;
        snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
        ssize_t t = readlink(path, target, sizeof target - 1);
        target[t > 0 ? t : 0] = '\0';
        if (used < len)
            used += (size_t)snprintf(buf + used, len - used, "%s -> %s\n", e->d_name, target);
        n++;
    }
    closedir(d);
    return n;
}

/* TL_BATCHES batches of workload `wname` (sleep-ms 0) under model m, each with its own set-up,
 * run, verification and teardown, as `concbench run` does them. */
static void tl_batches(const struct model *m, const char *wname)
{
    const struct workload *w = workload_find(wname);
    struct event cancel;
    struct run_stats stats;
    struct options opts = { .n = 1, .kv = { { "sleep-ms", "0" } } };
    size_t rsize = TL_TASKS * sizeof(struct task_result);
    size_t esize = TL_TASKS * sizeof(struct task_error);
    struct task_result *results = shm_alloc(rsize);
    struct task_error *errors = shm_alloc(esize);

    assert_non_null(w);
    assert_non_null(results);
    assert_non_null(errors);
    assert_int_equal(event_init(&cancel), 0);
    for (int b = 0; b < TL_BATCHES; b++) {
        struct run_params p = {
            .tasks = TL_TASKS,
            .concurrency = strcmp(m->name, "single") == 0 ? 1 : TL_TASKS,
            .cancel = &cancel,
            .stats = &stats,
        };
        char why[512] = "";
        void *ctx = NULL;
        memset(&stats, 0, sizeof stats);
        memset(results, 0, rsize);
        for (unsigned i = 0; i < TL_TASKS; i++) {
            results[i].start_s = results[i].end_s = -1;
            results[i].index = i;
            results[i].err = &errors[i];
        }
        if (w->setup(&opts, &p, &ctx, why, sizeof why) < 0)
            fail_msg("%s x %s batch %d: set-up: %s", wname, m->name, b, why);
        p.t0 = clock_now();
        int r = m->run(w, ctx, &p, results);
        if (r < 0)
            fail_msg("%s x %s batch %d: run: %s", wname, m->name, b, strerror(-r));
        if (!w->verify(ctx, results, TL_TASKS, why, sizeof why))
            fail_msg("%s x %s batch %d: not verified: %s", wname, m->name, b, why);
        w->teardown(ctx);
    }
    event_destroy(&cancel);
    shm_free(results, rsize);
    shm_free(errors, esize);
}

static void tl_check(const char *wname)
{
    static char before[16384], after[16384];
    for (const struct model *const *m = models; *m; m++) {
        int n0 = tl_fds(before, sizeof before);
        tl_batches(*m, wname);
        int n1 = tl_fds(after, sizeof after);
        print_message("%s x %s: %d batches, %d descriptors before, %d after\n", wname,
                      (*m)->name, TL_BATCHES, n0, n1);
        if (n1 != n0)
            fail_msg("%s x %s: %d descriptors before %d batches, %d after\nbefore:\n%safter:\n%s",
                     wname, (*m)->name, n0, TL_BATCHES, n1, before, after);
        assert_int_equal(cb_count_children(), 0);
    }
}

static void test_sleep_batches(void **state)
{
    (void)state;
    tl_check("sleep");
}

static void test_probe_batches(void **state)
{
    (void)state;
    tl_check("probe");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sleep_batches),
        cmocka_unit_test(test_probe_batches),
    };
    return cmocka_run_group_tests_name("leaks", tests, NULL, NULL);
}
