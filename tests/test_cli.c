/* test_cli.c — the command line: parsing and its errors, the JSON record, exit codes. (The
 * serial reference against the probe contract is in test_models.c, with every model.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/helpers.h"

/* Run concbench with argv (NULL-terminated) and expect exit 2, `needle` on stderr, nothing on
 * stdout. */
static void expect_usage_error_v(const char *needle, const char *const *args)
{
    char *argv[32];
    int n = 0;
    struct cb_out o;
    argv[n++] = (char *)cb_path();
    while (*args && n < 31)
        argv[n++] = (char *)*args++;
    argv[n] = NULL;
    cb_runv(&o, argv);
    if (o.status != 2 || !strstr(o.err, needle))
        fail_msg("expected exit 2 with '%s' on stderr; got %d: %s", needle, o.status, o.err);
    assert_string_equal(o.out, "");
    cb_out_free(&o);
}
#define expect_usage_error(needle, ...) \
    expect_usage_error_v(needle, (const char *const[]){ __VA_ARGS__, NULL })

static void test_usage_errors(void **state)
{
    (void)state;
    expect_usage_error("unknown model 'thread_pool'; models: single", "run", "-w", "sleep",
                       "-m", "thread_pool");
    expect_usage_error("unknown workload 'nap'; workloads: sleep, count", "run", "-w", "nap",
                       "-m", "single");
    expect_usage_error("bad task count '0'", "run", "-w", "sleep", "-m", "single", "-n", "0");
    expect_usage_error("bad task count '-1'", "run", "-w", "sleep", "-m", "single", "-n", "-1");
    expect_usage_error("bad concurrency '0'", "run", "-w", "sleep", "-m", "single", "-j", "0");
    expect_usage_error("bad concurrency 'x'", "run", "-w", "sleep", "-m", "single", "-j", "x");
    expect_usage_error("bad value '99999999999999999999999' for --count", "run", "-w", "count",
                       "-m", "single", "--count", "99999999999999999999999");
    expect_usage_error("bad value '-5' for --sleep-ms", "run", "-w", "sleep", "-m", "single",
                       "--sleep-ms", "-5");
    expect_usage_error("option --count does not apply to workload 'sleep' nor to model 'single'",
                       "run", "-w", "sleep", "-m", "single", "--count", "5");
    expect_usage_error("bad --ready-fd '987654'", "run", "-w", "sleep", "-m", "single",
                       "--ready-fd", "987654");
    expect_usage_error("bad --ready-fd 'x'", "run", "-w", "sleep", "-m", "single", "--ready-fd",
                       "x");
    expect_usage_error("unknown option '--bogus'", "run", "--bogus");
    expect_usage_error("needs a value", "run", "-w", "sleep", "-m", "single", "-n");
    expect_usage_error("no model given", "run", "-w", "sleep");
    expect_usage_error("unexpected argument 'extra'", "run", "-w", "sleep", "-m", "single",
                       "extra");
    expect_usage_error("unknown command 'frobnicate'", "frobnicate");
}

static void test_bad_numbers(void **state)
{
    (void)state;
    const char *bad[] = { "0", "-1", "abc", "1e3", "18446744073709551616", "" };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        struct cb_out o;
        cb_run(&o, "run", "-w", "sleep", "-m", "single", "-n", bad[k], NULL);
        if (o.status != 2)
            fail_msg("-n '%s' gave exit %d", bad[k], o.status);
        assert_non_null(strstr(o.err, "-n"));
        cb_out_free(&o);
        cb_run(&o, "run", "-w", "sleep", "-m", "single", "-j", bad[k], NULL);
        if (o.status != 2)
            fail_msg("-j '%s' gave exit %d", bad[k], o.status);
        cb_out_free(&o);
    }
}

static void test_help_and_list(void **state)
{
    struct cb_out o;
    (void)state;
    assert_int_equal(cb_run(&o, "--help", NULL), 0);
    assert_non_null(strstr(o.out, "run"));
    cb_out_free(&o);
    assert_int_equal(cb_run(&o, "run", "--help", NULL), 0);
    assert_non_null(strstr(o.out, "--sleep-ms"));
    assert_non_null(strstr(o.out, "--count"));
    cb_out_free(&o);
    assert_int_equal(cb_run(&o, "list", NULL), 0);
    assert_non_null(strstr(o.out, "sleep"));
    assert_non_null(strstr(o.out, "I/O-bound"));
    assert_non_null(strstr(o.out, "CPU-bound"));
    assert_non_null(strstr(o.out, "single"));
    assert_null(strstr(o.out, "probe"));    /* hidden: a test workload */
    cb_out_free(&o);
}

static void test_text_output(void **state)
{
    struct cb_out o;
    (void)state;
    assert_int_equal(cb_run(&o, "run", "-w", "count", "-m", "single", "-n", "4", "--count",
                            "1000", NULL), 0);
    assert_non_null(strstr(o.out, "count x single: 4 tasks in "));
    assert_non_null(strstr(o.out, " s, verified"));
    cb_out_free(&o);
}

static void test_json_record(void **state)
{
    struct cb_out o;
    (void)state;
    assert_int_equal(cb_run(&o, "run", "-w", "sleep", "-m", "single", "-n", "3", "--sleep-ms",
                            "20", "--json", NULL), 0);
    assert_non_null(strchr(o.out, '\n'));
    assert_ptr_equal(strchr(o.out, '\n'), o.out + strlen(o.out) - 1);   /* one line */
    struct json_value *v = cb_json(&o);
    assert_int_equal((int)jnum(v, "schema"), 1);
    assert_string_equal(jstr(v, "workload"), "sleep");
    assert_string_equal(jstr(v, "model"), "single");
    assert_int_equal((int)jnum(v, "tasks"), 3);
    assert_int_equal((int)jnum(v, "concurrency"), 1);
    double wall = jnum(v, "wall_s");
    assert_true(wall >= 0.060);
    if (cb_timing())
        assert_true(wall < 2.0);
    assert_true(jnum(v, "cpu_user_s") >= 0);
    assert_true(jnum(v, "cpu_sys_s") >= 0);
    assert_true(jnum(v, "max_rss_kb") > 0);
    assert_true(jnum(v, "ctx_voluntary") >= 3);     /* three waits */
    assert_true(jnum(v, "ctx_involuntary") >= 0);
    assert_int_equal((int)jnum(v, "errors"), 0);
    assert_int_equal(json_get(v, "error_kinds")->type, JSON_OBJECT);
    assert_int_equal(json_get(v, "error_kinds")->n, 0);
    assert_true(jbool(v, "verified"));
    const struct json_value *st = json_get(v, "task_status");
    const struct json_value *ts = json_get(v, "task_start_s");
    const struct json_value *te = json_get(v, "task_end_s");
    assert_non_null(st);
    assert_int_equal(st->n, 3);
    assert_int_equal(ts->n, 3);
    assert_int_equal(te->n, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_string_equal(st->items[i].string, "ok");
        assert_true(te->items[i].number - ts->items[i].number >= 0.020);
        if (i)  /* single: one after another */
            assert_true(ts->items[i].number >= te->items[i - 1].number);
    }
    const struct json_value *argv = json_get(v, "argv");
    assert_non_null(argv);
    assert_string_equal(argv->items[1].string, "run");
    assert_string_equal(argv->items[argv->n - 1].string, "--json");
    json_free(v);
    cb_out_free(&o);
}

static void test_failing_task_exit_1(void **state)
{
    struct cb_out o;
    (void)state;
    assert_int_equal(cb_run(&o, "run", "-w", "probe", "-m", "single", "-n", "5", "--probe-fail",
                            "2", "--json", NULL), 1);
    struct json_value *v = cb_json(&o);
    assert_int_equal((int)jnum(v, "errors"), 1);
    assert_int_equal((int)jnum(json_get(v, "error_kinds"), "probe failure"), 1);
    assert_false(jbool(v, "verified"));
    const struct json_value *st = json_get(v, "task_status");
    for (size_t i = 0; i < 5; i++)      /* the batch went on after the failure */
        assert_string_equal(st->items[i].string, i == 2 ? "failed" : "ok");
    json_free(v);
    cb_out_free(&o);
}

static void test_count_verification(void **state)
{
    struct cb_out o;
    (void)state;
    assert_int_equal(cb_run(&o, "run", "-w", "count", "-m", "single", "-n", "3", "--count", "0",
                            "--json", NULL), 0);
    struct json_value *v = cb_json(&o);
    assert_true(jbool(v, "verified"));
    json_free(v);
    cb_out_free(&o);
    /* Timed out counting: the result is short of C, so verification must fail. */
    assert_int_equal(cb_run(&o, "run", "-w", "count", "-m", "single", "-n", "1", "--count",
                            "100000000000", "--timeout-ms", "30", "--json", NULL), 1);
    v = cb_json(&o);
    assert_false(jbool(v, "verified"));
    assert_int_equal((int)jnum(json_get(v, "error_kinds"), "timeout"), 1);
    json_free(v);
    cb_out_free(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_bad_numbers),
        cmocka_unit_test(test_help_and_list),
        cmocka_unit_test(test_text_output),
        cmocka_unit_test(test_json_record),
        cmocka_unit_test(test_failing_task_exit_1),
        cmocka_unit_test(test_count_verification),
    };
    return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
