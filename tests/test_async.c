/* test_async.c — what only the async model promises: the probe's exact in-flight counts (one
 * thread starts every task it may at once), count running inline one after another, 10,000
 * sleeps on one thread, per-task timeouts ending at their deadline, and Ctrl-C with a cap. The
 * contract every model keeps (same results as the serial reference, each task once, the bound,
 * failures, cancellation) is in test_models.c. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/helpers.h"

/* Run concbench with the arguments, expect exit `want_exit`, return the parsed JSON record
 * (--json is added). */
#define run_json(want_exit, ...) cb_run_json(NULL, want_exit, __VA_ARGS__, "--json")

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
    assert_int_equal(cb_max_overlap(v), 64);
    json_free(v);

    /* A cap: never more than K, and one thread starts K at once, so exactly K. */
    const char *caps[] = { "1", "3", "8" };
    for (size_t k = 0; k < 3; k++) {
        v = run_json(0, "run", "-w", "probe", "-m", "async", "-n", "40", "-j", caps[k],
                     "--sleep-ms", "5");
        assert_true(jbool(v, "verified"));
        assert_int_equal((int)jnum(v, "probe_ran_once"), 40);
        assert_int_equal((int)jnum(v, "probe_max_in_flight"), atoi(caps[k]));
        assert_true(cb_max_overlap(v) <= (unsigned)atoi(caps[k]));
        json_free(v);
    }

    /* --sleep-ms 0: every task ends inside its start (no timer), one at a time. */
    v = run_json(0, "run", "-w", "probe", "-m", "async", "-n", "100", "--sleep-ms", "0");
    assert_true(jbool(v, "verified"));
    assert_int_equal((int)jnum(v, "probe_ran_once"), 100);
    assert_int_equal((int)jnum(v, "probe_max_in_flight"), 1);
    json_free(v);
}

/* ---- count runs inline: the loop is blocked while it runs ---- */

static void test_count_inline(void **state)
{
    (void)state;
    struct json_value *v = run_json(0, "run", "-w", "count", "-m", "async", "-n", "4",
                                    "--count", "20000000");
    assert_true(jbool(v, "verified"));
    assert_int_equal(cb_max_overlap(v), 1);
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
    assert_int_equal(cb_max_overlap(v), 10000);
    /* A sanity bound, not a speed test: 10,000 x 100 ms one after another would be 1000 s. */
    if (cb_timing())
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
        if (d < 0.050 || (cb_timing() && d > 1.5))
            fail_msg("task %zu timed out after %.3f s (timeout 0.050 s)", i, d);
    }
    assert_true(cb_max_overlap(v) <= 5);
    if (cb_timing())
        assert_true(jnum(v, "wall_s") < 1.5);   /* 4 rounds of 50 ms, not 2 s */
    json_free(v);

    /* Fast tasks under a timeout are ok; the timeout timers are cancelled as they finish. */
    v = run_json(0, "run", "-w", "sleep", "-m", "async", "-n", "200", "-j", "50",
                 "--sleep-ms", "5", "--timeout-ms", "2000");
    assert_true(jbool(v, "verified"));
    assert_int_equal((int)jnum(v, "errors"), 0);
    if (cb_timing())
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

/* The signal goes 0.2 s after the first task started (run --ready-fd): the loop starts the
 * other nine in the same dispatch callback, microseconds later. */
static void test_sigint_with_cap(void **state)
{
    char *argv[] = { (char *)cb_path(), "run", "-w", "sleep", "-m", "async", "-n", "50", "-j",
                     "10", "--sleep-ms", "60000", "--json", NULL };
    struct cb_signal plan = { .sig = SIGINT, .after = 0.2, .on_ready = true };
    struct cb_out o;
    double after;
    (void)state;
    cb_runv_plan(&o, argv, &plan, &after);
    if (o.status != 130)
        fail_msg("exit %d after SIGINT, expected 130; stderr: %s", o.status, o.err);
    assert_true(o.ready_s >= 0);
    if (cb_timing())
        assert_true(after < 3.0);   /* sanity bound: the tasks would take 60 s */
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
        cmocka_unit_test(test_count_inline),
        cmocka_unit_test(test_ten_thousand_sleeps),
        cmocka_unit_test(test_timeouts),
        cmocka_unit_test(test_sigint_with_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
