/* test_dispatch.c — the pools' dispatch styles (--dispatch, a model option): every style of
 * every model of the registry that declares one (models[], never a name) runs every workload
 * with the serial reference's per-task results (sleep, count, http on the embedded server,
 * thumbnail at a tiny size, lock, probe), runs each probe task exactly once within the bound,
 * ends a cancelled run promptly with nothing left behind, and a dead process worker's task
 * fails while the rest run (pipe). A bad style, or --dispatch on a model without styles, is a
 * usage error listing what is allowed. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "models/model.h"
#include "tests/helpers.h"
#include "workloads/workload.h"

static const struct wopt *dispatch_opt(const struct model *m)
{
    const struct wopt *d = wopt_find(m->opts, "dispatch");
    return d && d->type == WOPT_ENUM ? d : NULL;
}

/* The workloads, each with options that keep a run short. */
static const char *const cases[][8] = {
    { "sleep", "--sleep-ms", "2", NULL },
    { "count", "--count", "10000", NULL },
    { "http", "--sleep-ms", "0", NULL },
    { "thumbnail", "--corpus-images", "3", "--corpus-size", "64x40", NULL },
    { "lock", "--sync", "mutex", "--increments", "5000", NULL },
    { "lock", "--sync", "atomic", "--increments", "5000", NULL },
    { "probe", "--sleep-ms", "0", NULL },
};

static struct json_value *run_case(const char *const *c, const char *model, const char *n,
                                   const char *j, const char *style, const char *chunk)
{
    const char *args[24];
    int k = 0;
    args[k++] = "run";
    args[k++] = "-w";
    args[k++] = c[0];
    args[k++] = "-m";
    args[k++] = model;
    args[k++] = "-n";
    args[k++] = n;
    for (int i = 1; c[i]; i++)
        args[k++] = c[i];
    if (j) {
        args[k++] = "-j";
        args[k++] = j;
    }
    if (style) {
        args[k++] = "--dispatch";
        args[k++] = style;
    }
    if (chunk) {
        args[k++] = "--chunk";
        args[k++] = chunk;
    }
    args[k++] = "--json";
    args[k] = NULL;
    return cb_run_json_v(NULL, 0, args);
}

static void expect_same(const struct json_value *ref, const struct json_value *v,
                        const char *what)
{
    if (!jbool(v, "verified"))
        fail_msg("%s: not verified: %s", what, jstr(v, "verify_error"));
    const struct json_value *a = json_get(ref, "task_status"), *b = json_get(v, "task_status");
    assert_non_null(b);
    if (a->n != b->n)
        fail_msg("%s: %zu tasks, the reference had %zu", what, b->n, a->n);
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->items[i].string, b->items[i].string) != 0)
            fail_msg("%s: task %zu is %s, under the reference %s", what, i, b->items[i].string,
                     a->items[i].string);
    /* Byte-for-byte outputs and counters, where the workload records them. */
    const char *same[] = { "output_fnv1a", "counter", "http_bytes", "probe_ran_once" };
    for (size_t k = 0; k < sizeof same / sizeof same[0]; k++) {
        const struct json_value *x = json_get(ref, same[k]), *y = json_get(v, same[k]);
        if (!x)
            continue;
        if (!y)
            fail_msg("%s: no '%s' in its record", what, same[k]);
        if (x->type == JSON_NUMBER && y->number != x->number)
            fail_msg("%s: %s %g, the reference %g", what, same[k], y->number, x->number);
        if (x->type == JSON_ARRAY) {
            assert_int_equal(x->n, y->n);
            for (size_t i = 0; i < x->n; i++)
                if (x->items[i].number != y->items[i].number)
                    fail_msg("%s: %s[%zu] differs from the reference", what, same[k], i);
        }
    }
}

/* Every style against the serial reference on every workload, at two sizes and chunkings. */
static void test_styles_same_as_serial(void **state)
{
    const struct model *ref_model = model_serial();
    unsigned styles = 0;
    (void)state;
    assert_non_null(ref_model);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const char *const sizes[] = { "1", "23" };
        for (size_t s = 0; s < 2; s++) {
            struct json_value *ref = run_case(cases[c], ref_model->name, sizes[s], NULL, NULL,
                                              NULL);
            assert_true(jbool(ref, "verified"));
            for (const struct model *const *m = models; *m; m++) {
                const struct wopt *d = dispatch_opt(*m);
                for (const char *const *st = d ? d->choices : NULL; st && *st; st++) {
                    const char *const chunks[] = { NULL, "3" };
                    for (size_t ch = 0; ch < 2; ch++) {
                        char what[160];
                        snprintf(what, sizeof what, "%s %s x %s --dispatch %s -n %s%s%s",
                                 cases[c][0], cases[c][2], (*m)->name, *st, sizes[s],
                                 chunks[ch] ? " --chunk " : "", chunks[ch] ? chunks[ch] : "");
                        struct json_value *v = run_case(cases[c], (*m)->name, sizes[s], "3",
                                                        *st, chunks[ch]);
                        expect_same(ref, v, what);
                        if (strcmp(cases[c][0], "probe") == 0 &&
                            jnum(v, "probe_max_in_flight") > 3)
                            fail_msg("%s: %g in flight, -j 3", what,
                                     jnum(v, "probe_max_in_flight"));
                        json_free(v);
                        styles++;
                        if (cb_count_children())
                            fail_msg("%s: child processes left behind", what);
                    }
                }
            }
            json_free(ref);
        }
    }
    if (styles == 0)
        cb_skip("no model in this binary declares --dispatch");
}

/* Many no-op tasks through every style: each once (probe), in the pool's bound. */
static void test_styles_in_bulk(void **state)
{
    const char *const probe[] = { "probe", "--sleep-ms", "0", NULL };
    (void)state;
    for (const struct model *const *m = models; *m; m++) {
        const struct wopt *d = dispatch_opt(*m);
        for (const char *const *st = d ? d->choices : NULL; st && *st; st++) {
            struct json_value *v = run_case(probe, (*m)->name, "20000", "2", *st, NULL);
            if (!jbool(v, "verified"))
                fail_msg("%s --dispatch %s: %s", (*m)->name, *st, jstr(v, "verify_error"));
            assert_int_equal((int)jnum(v, "probe_ran_once"), 20000);
            assert_true(jnum(v, "probe_max_in_flight") <= 2);
            json_free(v);
        }
    }
}

/* Ctrl-C once the first task runs: exit 130 promptly, tasks cancelled or not started, no
 * child left. */
static void test_styles_cancel(void **state)
{
    (void)state;
    for (const struct model *const *m = models; *m; m++) {
        const struct wopt *d = dispatch_opt(*m);
        for (const char *const *st = d ? d->choices : NULL; st && *st; st++) {
            char *argv[] = { (char *)cb_path(), "run", "-w", "sleep", "-m", (char *)(*m)->name,
                             "-n", "8", "-j", "2", "--sleep-ms", "5000", "--dispatch",
                             (char *)*st, "--json", NULL };
            struct cb_signal plan = { .sig = SIGINT, .after = 0.1, .on_ready = true };
            struct cb_out o;
            double after = -1;
            cb_runv_plan(&o, argv, &plan, &after);
            if (o.status != 130)
                fail_msg("%s --dispatch %s: exit %d after SIGINT: %s", (*m)->name, *st,
                         o.status, o.err);
            if (cb_timing() && after > 2)
                fail_msg("%s --dispatch %s: %.2f s from SIGINT to the end", (*m)->name, *st,
                         after);
            struct json_value *v = cb_json(&o);
            const struct json_value *ts = json_get(v, "task_status");
            for (size_t i = 0; i < ts->n; i++)
                if (strcmp(ts->items[i].string, "cancelled") != 0 &&
                    strcmp(ts->items[i].string, "not_started") != 0)
                    fail_msg("%s --dispatch %s: task %zu %s", (*m)->name, *st, i,
                             ts->items[i].string);
            json_free(v);
            cb_out_free(&o);
            assert_int_equal(cb_count_children(), 0);
        }
    }
}

/* A worker that dies mid-task (probe-crash, a forking pool): that task fails with the reason,
 * every other task runs once, the worker is replaced. Per-task timeouts end stuck tasks. */
static void test_styles_faults(void **state)
{
    (void)state;
    for (const struct model *const *m = models; *m; m++) {
        const struct wopt *d = dispatch_opt(*m);
        for (const char *const *st = d ? d->choices : NULL; st && *st; st++) {
            if ((*m)->forks) {
                struct json_value *v = cb_run_json(NULL, 1, "run", "-w", "probe", "-m",
                                                   (*m)->name, "-n", "40", "-j", "3",
                                                   "--sleep-ms", "1", "--probe-crash", "7",
                                                   "--dispatch", *st, "--json");
                const struct json_value *ts = json_get(v, "task_status");
                for (size_t i = 0; i < ts->n; i++)
                    if (strcmp(ts->items[i].string, i == 7 ? "failed" : "ok") != 0)
                        fail_msg("%s --dispatch %s: task %zu is %s", (*m)->name, *st, i,
                                 ts->items[i].string);
                assert_true(jnum(v, "workers_replaced") >= 1);
                const struct json_value *ek = json_get(v, "error_kinds");
                assert_non_null(json_get(ek, "killed by SIGSEGV"));
                json_free(v);
            }
            struct json_value *v = cb_run_json(NULL, 1, "run", "-w", "sleep", "-m", (*m)->name,
                                               "-n", "4", "-j", "2", "--sleep-ms", "5000",
                                               "--timeout-ms", "100", "--dispatch", *st,
                                               "--json");
            const struct json_value *ts = json_get(v, "task_status");
            for (size_t i = 0; i < ts->n; i++)
                if (strcmp(ts->items[i].string, "timeout") != 0)
                    fail_msg("%s --dispatch %s: task %zu %s, not timeout", (*m)->name, *st, i,
                             ts->items[i].string);
            json_free(v);
            assert_int_equal(cb_count_children(), 0);
        }
    }
}

/* Under AddressSanitizer or ThreadSanitizer, a child's SIGSEGV would become a report and exit
 * status 1; the crash test wants the signal itself (as test_processes.c does). */
static void sanitizers_pass_segv(void)
{
    const char *vars[] = { "ASAN_OPTIONS", "TSAN_OPTIONS" };
    for (int k = 0; k < 2; k++) {
        const char *old = getenv(vars[k]);
        char buf[512];
        snprintf(buf, sizeof buf, "%s%shandle_segv=0", old ? old : "", old && *old ? ":" : "");
        setenv(vars[k], buf, 1);
    }
}

/* A bad style lists the model's styles (exit 2); --dispatch on a model without styles is a
 * usage error too. */
static void test_bad_dispatch(void **state)
{
    bool any_with = false, any_without = false;
    (void)state;
    for (const struct model *const *m = models; *m; m++) {
        const struct wopt *d = dispatch_opt(*m);
        struct cb_out o;
        cb_run(&o, "run", "-w", "count", "-m", (*m)->name, "--count", "1", "--dispatch",
               "carrier-pigeon", NULL);
        if (o.status != 2)
            fail_msg("%s --dispatch carrier-pigeon: exit %d", (*m)->name, o.status);
        assert_non_null(strstr(o.err, "--dispatch"));
        if (d) {
            any_with = true;
            for (const char *const *st = d->choices; *st; st++)
                if (!strstr(o.err, *st))
                    fail_msg("%s: the usage error does not list '%s': %s", (*m)->name, *st,
                             o.err);
        } else {
            any_without = true;
            assert_non_null(strstr(o.err, (*m)->name));
        }
        cb_out_free(&o);
    }
    assert_true(any_with);
    if (!any_without)
        cb_skip("every model declares --dispatch");
}

int main(void)
{
    sanitizers_pass_segv();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_styles_same_as_serial),
        cmocka_unit_test(test_styles_in_bulk),
        cmocka_unit_test(test_styles_cancel),
        cmocka_unit_test(test_styles_faults),
        cmocka_unit_test(test_bad_dispatch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
