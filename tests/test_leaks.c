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

#include "harness/batch.h"
#include "models/model.h"
#include "runtime/event.h"
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
 * run, verification and teardown: batch_run, as `concbench run` does them. */
static void tl_batches(const struct model *m, const char *wname)
{
    const struct workload *w = workload_find(wname);
    struct event cancel;
    struct options opts = { .n = 1, .kv = { { "sleep-ms", "0" } } };

    assert_non_null(w);
    assert_int_equal(event_init(&cancel), 0);
    /* A model that starts a job before each batch (mpi: mpirun, 0.3 s) gets fewer. */
    int batches = m->prepare ? TL_BATCHES / 50 : TL_BATCHES;
    for (int b = 0; b < batches; b++) {
        struct run_params p = {
            .tasks = TL_TASKS,
            .concurrency = model_concurrency(m, TL_TASKS, 0, TL_TASKS),
            .cancel = &cancel,
        };
        struct record rec = { .workload = w, .model = m, .opts = &opts };
        char why[512] = "";
        int r = batch_run(&rec, &p, why, sizeof why);
        if (r < 0)
            fail_msg("%s x %s batch %d: %s", wname, m->name, b, why);
        if (rec.model_error < 0)
            fail_msg("%s x %s batch %d: run: %s", wname, m->name, b, strerror(-rec.model_error));
        if (!rec.verified)
            fail_msg("%s x %s batch %d: not verified: %s", wname, m->name, b, rec.verify_error);
        batch_end(&rec);
    }
    event_destroy(&cancel);
}

static void tl_check(const char *wname)
{
    static char before[16384], after[16384];
    for (const struct model *const *m = models; *m; m++) {
        int n0 = tl_fds(before, sizeof before);
        tl_batches(*m, wname);
        int n1 = tl_fds(after, sizeof after);
        print_message("%s x %s: %d batches, %d descriptors before, %d after\n", wname,
                      (*m)->name, (*m)->prepare ? TL_BATCHES / 50 : TL_BATCHES, n0, n1);
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
