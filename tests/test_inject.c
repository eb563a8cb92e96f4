/* test_inject.c — `run --inject-overhead-pct P`, the gate's calibration: busy work of P % of
 * each task's own duration, also on an event loop (where earlier injections must not count as
 * the next task's duration), and for no-op tasks. Bounds are lower bounds the injection
 * guarantees, plus generous sanity limits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/helpers.h"

static struct json_value *run_ok(struct cb_out *o, char *const argv[])
{
    struct json_value *v = cb_run_json_v(o, 0, (const char *const *)argv + 1);
    assert_true(jbool(v, "verified"));
    return v;
}

/* Every task of a blocking model lasts its sleep plus at least as much busy work (100 %). */
static void test_blocking_tasks_double(void **state)
{
    (void)state;
    const char *models[] = { "single", "thread-pool", "processes" };
    for (size_t k = 0; k < sizeof models / sizeof models[0]; k++) {
        struct cb_out o;
        char *argv[] = { (char *)cb_path(), "run", "-w", "sleep", "-m", (char *)models[k], "-n",
                         "4", "-j", "2", "--sleep-ms", "20", "--inject-overhead-pct", "100",
                         "--json", NULL };
        struct json_value *v = run_ok(&o, argv);
        const struct json_value *s = json_get(v, "task_start_s"), *e = json_get(v, "task_end_s");
        assert_non_null(s);
        assert_non_null(e);
        for (size_t i = 0; i < s->n; i++) {
            double d = e->items[i].number - s->items[i].number;
            if (d < 0.040 - 1e-4)
                fail_msg("%s task %zu lasted %.4f s, less than 20 ms sleep + 20 ms work",
                         models[k], i, d);
        }
        json_free(v);
        cb_out_free(&o);
    }
}

/* On the event loop all 40 timers fire together and the busy work runs one task after another
 * on the loop thread: at least 10 ms + 40 × 2.5 ms. Counting earlier injections as part of a
 * task's duration would grow it 25 % a task (10 ms × 1.25^40: over a minute). */
static void test_async_no_feedback(void **state)
{
    (void)state;
    struct cb_out o;
    char *argv[] = { (char *)cb_path(), "run", "-w", "sleep", "-m", "async", "-n", "40",
                     "--sleep-ms", "10", "--inject-overhead-pct", "25", "--json", NULL };
    struct json_value *v = run_ok(&o, argv);
    double wall = jnum(v, "wall_s");
    if (wall < 0.110 - 1e-4)
        fail_msg("40 async tasks with 25 %% injected took %.3f s, under 0.110 s", wall);
    if (o.seconds > 20)
        fail_msg("took %.1f s: the injection feeds on itself", o.seconds);
    json_free(v);
    cb_out_free(&o);
}

/* No-op tasks get a tiny counted loop, not clock reads; the run stays correct. */
static void test_noop_tasks(void **state)
{
    (void)state;
    const char *models[] = { "single", "thread-pool", "async" };
    for (size_t k = 0; k < sizeof models / sizeof models[0]; k++) {
        struct cb_out o;
        char *argv[] = { (char *)cb_path(), "run", "-w", "count", "-m", (char *)models[k], "-n",
                         "20000", "--count", "0", "--inject-overhead-pct", "25", "--json", NULL };
        struct json_value *v = run_ok(&o, argv);
        assert_int_equal((int)jnum(v, "errors"), 0);
        if (o.seconds > 30)
            fail_msg("%s: 20000 no-op tasks took %.1f s", models[k], o.seconds);
        json_free(v);
        cb_out_free(&o);
    }
}

static void test_bad_values(void **state)
{
    (void)state;
    struct cb_out o;
    cb_run(&o, "run", "-w", "count", "-m", "single", "--count", "0", "--inject-overhead-pct",
           "10001", NULL);
    assert_int_equal(o.status, 2);
    assert_non_null(strstr(o.err, "--inject-overhead-pct"));
    cb_out_free(&o);
    cb_run(&o, "run", "-w", "count", "-m", "single", "--count", "0", "--inject-overhead-pct",
           "0", NULL);
    assert_int_equal(o.status, 0);
    cb_out_free(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blocking_tasks_double),
        cmocka_unit_test(test_async_no_feedback),
        cmocka_unit_test(test_noop_tasks),
        cmocka_unit_test(test_bad_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
