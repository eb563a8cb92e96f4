/* test_async.c — the async model: the probe contract, the same per-task results as single for
 * sleep, count and probe, the cap on tasks in flight read from the timeline, count running
 * inline, 10,000 sleeps, per-task timeouts and Ctrl-C. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/helpers.h"

#define MAX_ARGS 40

/* Run concbench with the arguments (NULL-terminated), expect exit `want_exit`, return the
 * parsed JSON record (--json is added). */
static struct json_value *run_json_v(int want_exit, const char *const *args)
{
    char *argv[MAX_ARGS];
    int n = 0;
    struct cb_out o;
    argv[n++] = (char *)cb_path();
    while (*args && n < MAX_ARGS - 2)
        argv[n++] = (char *)*args++;
    argv[n++] = "--json";
    argv[n] = NULL;
    cb_runv(&o, argv);
    if (o.status != want_exit) {
        fprintf(stderr, "command:");
        for (int k = 1; k < n; k++)
            fprintf(stderr, " %s", argv[k]);
        fail_msg("exit %d, expected %d; stderr: %s", o.status, want_exit, o.err);
    }
    struct json_value *v = cb_json(&o);
    cb_out_free(&o);
    return v;
}
#define run_json(want_exit, ...) run_json_v(want_exit, (const char *const[]){ __VA_ARGS__, NULL })

/* The most tasks whose [start, end] intervals overlap, from the record's timeline. An end and a
 * start at the same instant do not overlap. */
struct edge {
    double t;
    int d;
};

static int edge_cmp(const void *x, const void *y)
{
    const struct edge *a = x, *b = y;
    if (a->t != b->t)
        return a->t < b->t ? -1 : 1;
    return a->d - b->d;         /* ends (-1) before starts (+1) */
}

static unsigned max_overlap(const struct json_value *v)
{
    const struct json_value *ts = json_get(v, "task_start_s"), *te = json_get(v, "task_end_s");
    assert_non_null(ts);
    assert_non_null(te);
    assert_int_equal(ts->n, te->n);
    struct edge *e = calloc(2 * ts->n + 1, sizeof *e);
    size_t n = 0;
    for (size_t i = 0; i < ts->n; i++) {
        if (ts->items[i].type != JSON_NUMBER || te->items[i].type != JSON_NUMBER)
            continue;
        assert_true(te->items[i].number >= ts->items[i].number);
        e[n++] = (struct edge){ ts->items[i].number, +1 };
        e[n++] = (struct edge){ te->items[i].number, -1 };
    }
    qsort(e, n, sizeof *e, edge_cmp);
    int cur = 0, max = 0;
    for (size_t k = 0; k < n; k++) {
        cur += e[k].d;
        if (cur > max)
            max = cur;
    }
    free(e);
    return (unsigned)max;
}

static void test_list_says_inline(void **state)
{
    struct cb_out o;
    (void)state;
    assert_int_equal(cb_run(&o, "list", NULL), 0);
    const char *line = strstr(o.out, "  async ");
    assert_non_null(line);
    const char *eol = strchr(line, '\n');
    assert_non_null(eol);
    const char *inl = strstr(line, "inline");
    assert_true(inl && inl < eol);      /* the summary says CPU tasks run inline */
    cb_out_free(&o);
}

/* ---- the probe contract ---- */

static void test_probe_contract(void **state)
{
    (void)state;
    /* No cap: 64 tasks of 50 ms, all in flight at once, each exactly once. */
    struct json_value *v = run_json(0, "run", "-w", "probe", "-m", "async", "-n", "64",
                                    "--sleep-ms", "50");
    assert_true(jbool(v, "verified"));
    assert_int_equal((int)jnum(v, "concurrency"), 64);
    assert_int_equal((int)jnum(v, "probe_ran_once"), 64);
    assert_int_equal((int)jnum(v, "probe_max_in_flight"), 64);
    assert_int_equal(max_overlap(v), 64);
    json_free(v);

    /* A cap: never more than K, and one thread starts K at once, so exactly K. */
    const char *caps[] = { "1", "3", "8" };
    for (size_t k = 0; k < 3; k++) {
        v = run_json(0, "run", "-w", "probe", "-m", "async", "-n", "40", "-j", caps[k],
                     "--sleep-ms", "5");
        assert_true(jbool(v, "verified"));
        assert_int_equal((int)jnum(v, "probe_ran_once"), 40);
        assert_int_equal((int)jnum(v, "probe_max_in_flight"), atoi(caps[k]));
        assert_true(max_overlap(v) <= (unsigned)atoi(caps[k]));
        json_free(v);
    }

    /* --sleep-ms 0: every task ends inside its start (no timer), one at a time. */
    v = run_json(0, "run", "-w", "probe", "-m", "async", "-n", "100", "--sleep-ms", "0");
    assert_true(jbool(v, "verified"));
    assert_int_equal((int)jnum(v, "probe_ran_once"), 100);
    assert_int_equal((int)jnum(v, "probe_max_in_flight"), 1);
    json_free(v);
}

/* A failing task is a result; the batch goes on around it. */
static void test_probe_failure(void **state)
{
    (void)state;
    struct json_value *v = run_json(1, "run", "-w", "probe", "-m", "async", "-n", "9", "-j",
                                    "3", "--probe-fail", "4");
    assert_int_equal((int)jnum(v, "errors"), 1);
    assert_int_equal((int)jnum(json_get(v, "error_kinds"), "probe failure"), 1);
    assert_int_equal((int)jnum(v, "probe_ran_once"), 9);
    const struct json_value *st = json_get(v, "task_status");
    for (size_t i = 0; i < 9; i++)
        assert_string_equal(st->items[i].string, i == 4 ? "failed" : "ok");
    json_free(v);
}

/* ---- the same per-task results as single ---- */

static void compare_with_single(const char *workload, const char *opt, const char *val)
{
    const char *ns[] = { "1", "2", "7", "64", "1000" };
    const char *js[] = { "1", "2", "8", NULL };
    for (size_t a = 0; a < 5; a++) {
        struct json_value *ref = run_json(0, "run", "-w", workload, "-m", "single", "-n", ns[a],
                                          opt, val);
        const struct json_value *rst = json_get(ref, "task_status");
        unsigned n = (unsigned)atoi(ns[a]);
        assert_true(jbool(ref, "verified"));
        assert_int_equal(rst->n, n);
        for (size_t b = 0; b < 4; b++) {
            struct json_value *v = js[b]
                ? run_json(0, "run", "-w", workload, "-m", "async", "-n", ns[a], "-j", js[b],
                           opt, val)
                : run_json(0, "run", "-w", workload, "-m", "async", "-n", ns[a], opt, val);
            unsigned cap = js[b] ? (unsigned)atoi(js[b]) : n;
            /* verify() checked every task's value (index, count, probe value) as for single */
            if (!jbool(v, "verified"))
                fail_msg("%s -n %s -j %s: not verified: %s", workload, ns[a],
                         js[b] ? js[b] : "unset", jstr(v, "verify_error"));
            assert_int_equal((int)jnum(v, "concurrency"), (int)cap);
            const struct json_value *st = json_get(v, "task_status");
            assert_int_equal(st->n, n);
            for (size_t i = 0; i < n; i++)
                assert_string_equal(st->items[i].string, rst->items[i].string);
            assert_int_equal((int)jnum(v, "errors"), (int)jnum(ref, "errors"));
            unsigned over = max_overlap(v);
            if (over > cap)
                fail_msg("%s -n %s -j %u: %u tasks overlapped", workload, ns[a], cap, over);
            if (strcmp(workload, "count") == 0)
                assert_int_equal(over, 1);      /* inline: the loop runs one at a time */
            if (strcmp(workload, "probe") == 0) {
                assert_int_equal((int)jnum(v, "probe_ran_once"), (int)n);
                assert_true(jnum(v, "probe_max_in_flight") <= cap);
            }
            json_free(v);
        }
        json_free(ref);
    }
}

static void test_same_as_single_sleep(void **state)
{
    (void)state;
    compare_with_single("sleep", "--sleep-ms", "1");
}

static void test_same_as_single_count(void **state)
{
    (void)state;
    compare_with_single("count", "--count", "1000");
}

static void test_same_as_single_probe(void **state)
{
    (void)state;
    compare_with_single("probe", "--sleep-ms", "1");
}

/* ---- count runs inline: the loop is blocked while it runs ---- */

static void test_count_inline(void **state)
{
    (void)state;
    struct json_value *v = run_json(0, "run", "-w", "count", "-m", "async", "-n", "4",
                                    "--count", "20000000");
    assert_true(jbool(v, "verified"));
    assert_int_equal(max_overlap(v), 1);
    const struct json_value *ts = json_get(v, "task_start_s"), *te = json_get(v, "task_end_s");
    for (size_t i = 1; i < 4; i++)      /* in order, one after the other */
        assert_true(ts->items[i].number >= te->items[i - 1].number);
    json_free(v);
}

/* ---- 10,000 sleeps ---- */

static void test_ten_thousand_sleeps(void **state)
{
    (void)state;
    struct json_value *v = run_json(0, "run", "-w", "sleep", "-m", "async", "-n", "10000",
                                    "--sleep-ms", "100");
    assert_true(jbool(v, "verified"));  /* each ok, its own index, and lasted >= 100 ms */
    assert_int_equal((int)jnum(v, "errors"), 0);
    const struct json_value *ts = json_get(v, "task_start_s"), *te = json_get(v, "task_end_s");
    double last_start = 0, first_end = 1e9;
    for (size_t i = 0; i < ts->n; i++) {
        if (ts->items[i].number > last_start)
            last_start = ts->items[i].number;
        if (te->items[i].number < first_end)
            first_end = te->items[i].number;
    }
    /* They overlapped in one thread: all had started before the first ended. */
    assert_true(last_start < first_end);
    assert_int_equal(max_overlap(v), 10000);
    /* A sanity bound, not a speed test: 10,000 x 100 ms one after another would be 1000 s. */
    assert_true(jnum(v, "wall_s") < 10.0);
    json_free(v);
}

/* ---- per-task timeouts ---- */

static void test_timeouts(void **state)
{
    (void)state;
    /* Slow tasks time out, after their timeout and well before their 2 s. */
    struct json_value *v = run_json(1, "run", "-w", "sleep", "-m", "async", "-n", "20", "-j",
                                    "5", "--sleep-ms", "2000", "--timeout-ms", "50");
    assert_false(jbool(v, "verified"));
    assert_int_equal((int)jnum(v, "errors"), 20);
    assert_int_equal((int)jnum(json_get(v, "error_kinds"), "timeout"), 20);
    const struct json_value *st = json_get(v, "task_status");
    const struct json_value *ts = json_get(v, "task_start_s"), *te = json_get(v, "task_end_s");
    for (size_t i = 0; i < 20; i++) {
        assert_string_equal(st->items[i].string, "timeout");
        double d = te->items[i].number - ts->items[i].number;
        if (d < 0.050 || d > 1.5)
            fail_msg("task %zu timed out after %.3f s (timeout 0.050 s)", i, d);
    }
    assert_true(max_overlap(v) <= 5);
    assert_true(jnum(v, "wall_s") < 1.5);   /* 4 rounds of 50 ms, not 2 s */
    json_free(v);

    /* Fast tasks under a timeout are ok; the timeout timers are cancelled as they finish. */
    v = run_json(0, "run", "-w", "sleep", "-m", "async", "-n", "200", "-j", "50",
                 "--sleep-ms", "5", "--timeout-ms", "2000");
    assert_true(jbool(v, "verified"));
    assert_int_equal((int)jnum(v, "errors"), 0);
    assert_true(jnum(v, "wall_s") < 1.5);   /* nothing waited for a 2 s timer */
    json_free(v);

    /* probe too, with no cap */
    v = run_json(1, "run", "-w", "probe", "-m", "async", "-n", "30", "--sleep-ms", "3000",
                 "--timeout-ms", "30");
    assert_int_equal((int)jnum(json_get(v, "error_kinds"), "timeout"), 30);
    assert_int_equal((int)jnum(v, "probe_ran_once"), 30);
    json_free(v);
}

/* ---- Ctrl-C: in flight cancelled, the rest never started ---- */

static void test_sigint_with_cap(void **state)
{
    char *argv[] = { (char *)cb_path(), "run", "-w", "sleep", "-m", "async", "-n", "50", "-j",
                     "10", "--sleep-ms", "60000", "--json", NULL };
    struct cb_out o;
    double after;
    (void)state;
    cb_runv_signal(&o, argv, 0.3, SIGINT, &after);
    if (o.status != 130)
        fail_msg("exit %d after SIGINT, expected 130; stderr: %s", o.status, o.err);
    assert_true(after < 3.0);       /* sanity bound: the tasks would take 60 s */
    struct json_value *v = cb_json(&o);
    const struct json_value *st = json_get(v, "task_status");
    for (size_t i = 0; i < 50; i++)
        assert_string_equal(st->items[i].string, i < 10 ? "cancelled" : "not_started");
    assert_int_equal((int)jnum(json_get(v, "error_kinds"), "cancelled"), 10);
    json_free(v);
    cb_out_free(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_says_inline),
        cmocka_unit_test(test_probe_contract),
        cmocka_unit_test(test_probe_failure),
        cmocka_unit_test(test_same_as_single_sleep),
        cmocka_unit_test(test_same_as_single_count),
        cmocka_unit_test(test_same_as_single_probe),
        cmocka_unit_test(test_count_inline),
        cmocka_unit_test(test_ten_thousand_sleeps),
        cmocka_unit_test(test_timeouts),
        cmocka_unit_test(test_sigint_with_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
