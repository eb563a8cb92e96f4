/* test_stats.c — the statistics of the sweep on hand-made data: median, CV, quantiles, speed-up,
 * ideal time, efficiency, and a summary row built from runs with failures among them. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/catalog.h"
#include "harness/stats.h"
#include "harness/sweep.h"
#include "tests/helpers.h"

#define NEAR(a, b) assert_true(fabs((a) - (b)) < 1e-9)

static void test_median(void **state)
{
    (void)state;
    double odd[] = { 5, 1, 3 };
    double even[] = { 4, 1, 3, 2 };
    double one[] = { 7.5 };
    double same[] = { 2, 2, 2, 2, 2 };
    NEAR(stats_median(odd, 3), 3);
    NEAR(stats_median(even, 4), 2.5);
    NEAR(stats_median(one, 1), 7.5);
    NEAR(stats_median(same, 5), 2);
    /* The input is left as it was. */
    assert_true(odd[0] == 5 && odd[1] == 1 && odd[2] == 3);
    assert_true(isnan(stats_median(odd, 0)));
    NEAR(stats_min(odd, 3), 1);
    NEAR(stats_max(odd, 3), 5);
    NEAR(stats_mean(even, 4), 2.5);
}

static void test_cv(void **state)
{
    (void)state;
    double x[] = { 1, 2, 3, 4, 5 };
    /* mean 3, sample variance 2.5 */
    NEAR(stats_stddev(x, 5), sqrt(2.5));
    NEAR(stats_cv(x, 5), sqrt(2.5) / 3);
    double flat[] = { 0.2, 0.2, 0.2 };
    NEAR(stats_cv(flat, 3), 0);
    double one[] = { 9 };
    NEAR(stats_cv(one, 1), 0);
    double zeros[] = { 0, 0 };
    NEAR(stats_cv(zeros, 2), 0);
}

static void test_quantile(void **state)
{
    (void)state;
    double x[] = { 4, 1, 3, 2 };
    /* Type 7: h = (n - 1) q. */
    NEAR(stats_quantile(x, 4, 0), 1);
    NEAR(stats_quantile(x, 4, 1), 4);
    NEAR(stats_quantile(x, 4, 0.25), 1.75);
    NEAR(stats_quantile(x, 4, 0.5), 2.5);
    NEAR(stats_quantile(x, 4, 0.9), 3.7);
    NEAR(stats_quantile(x, 4, -1), 1);     /* clamped */
    NEAR(stats_quantile(x, 4, 2), 4);
}

static void test_speedup_efficiency(void **state)
{
    (void)state;
    NEAR(sweep_speedup(0.8, 0.05), 16);
    NEAR(sweep_speedup(0.4, 0.4), 1);
    NEAR(sweep_speedup(0.4, 0.8), 0.5);
    assert_true(isnan(sweep_speedup(NAN, 0.1)));
    assert_true(isnan(sweep_speedup(0.1, NAN)));
    assert_true(isnan(sweep_speedup(0.1, 0)));
    NEAR(sweep_efficiency(0.05, 0.0625), 0.8);
    NEAR(sweep_efficiency(0.1, 0.1), 1);
    assert_true(isnan(sweep_efficiency(NAN, 0.1)));
    assert_true(isnan(sweep_efficiency(0.1, 0)));
}

static struct sweep_cell cell(unsigned id, int part, const char *w, const char *m, unsigned n,
                              unsigned conc, const char *args)
{
    struct sweep_cell c;
    memset(&c, 0, sizeof c);
    c.id = id;
    c.part = part;
    c.workload = w;
    c.model = m;
    c.io = strcmp(w, "sleep") == 0 || strcmp(w, "http") == 0;
    c.tasks = n;
    c.concurrency = conc;
    snprintf(c.args, sizeof c.args, "%s", args);
    return c;
}

/* The one ideal rule (catalog_ideal_s) on a cell, t1 unknown. */
static double ideal(const struct sweep_cell *c)
{
    return catalog_ideal_s(workload_find(c->workload), model_find(c->model), c->args, c->tasks,
                           c->concurrency, 2, NAN);
}

static void test_ideal(void **state)
{
    (void)state;
    struct sweep_cell c = cell(0, SWEEP_HEADLINE, "sleep", "threads", 16, 4, "--sleep-ms 50");
    NEAR(ideal(&c), 0.2);              /* 4 waves of 50 ms */
    c.tasks = 17;
    NEAR(ideal(&c), 0.25);             /* ceil(17 / 4) = 5 */
    c.concurrency = 1;
    NEAR(ideal(&c), 17 * 0.05);
    c = cell(0, SWEEP_HEADLINE, "http", "async", 1000, 1000, "--sleep-ms 50");
    NEAR(ideal(&c), 0.05);
    c = cell(0, SWEEP_HEADLINE, "sleep", "async", 8, 8, "");
    NEAR(ideal(&c), 0.1);              /* the default D */
    c = cell(0, SWEEP_HEADLINE, "count", "threads", 8, 2, "--count 1000");
    assert_true(isnan(ideal(&c)));
    c = cell(0, SWEEP_HEADLINE, "thumbnail", "threads", 8, 2, "");
    assert_true(isnan(ideal(&c)));
}

static struct sweep_run run(unsigned cell_id, unsigned k, int status, double wall, double cpu)
{
    struct sweep_run r;
    memset(&r, 0, sizeof r);
    r.cell = cell_id;
    r.run = k;
    r.status = status;
    r.wall_s = wall;
    r.cpu_s = cpu;
    r.server_cpu_s = NAN;
    r.max_rss_kb = 1000 + k;
    r.children_sum_rss_kb = 0;
    r.ctx_voluntary = 10 * k;
    r.ctx_involuntary = k;
    return r;
}

/* Cells: single and threads at N = 16 in the headline and the task sweep (same D), threads at
 * N = 16 with another D (must not compare with single), single at N = 4 only in the tasks
 * part. */
static void test_summarize(void **state)
{
    (void)state;
    struct sweep_cell cells[] = {
        cell(0, SWEEP_HEADLINE, "sleep", "single", 16, 1, "--sleep-ms 50"),
        cell(1, SWEEP_HEADLINE, "sleep", "threads", 16, 16, "--sleep-ms 50"),
        cell(2, SWEEP_TASKS, "sleep", "single", 16, 1, "--sleep-ms 50"),
        cell(3, SWEEP_TASKS, "sleep", "threads", 16, 16, "--sleep-ms 50"),
        cell(4, SWEEP_CONCURRENCY, "sleep", "threads", 16, 4, "--sleep-ms 10"),
        cell(5, SWEEP_TIMELINE, "sleep", "threads", 16, 4, "--sleep-ms 50"),
        cell(6, SWEEP_HEADLINE, "count", "threads", 16, 2, "--count 5"),
    };
    struct sweep_run runs[] = {
        run(0, 0, SR_OK, 9.0, 0),               /* warm-up: left out */
        run(0, 1, SR_OK, 0.80, 0.01),
        run(0, 2, SR_OK, 0.82, 0.03),
        run(0, 3, SR_OK, 0.81, 0.02),
        run(1, 1, SR_OK, 0.050, 0.002),
        run(1, 2, SR_FAILED, 0.001, 0.001),     /* counted, not in the statistics */
        run(1, 3, SR_OK, 0.054, 0.004),
        run(1, 4, SR_CRASHED, NAN, NAN),
        run(1, 5, SR_INTERRUPTED, NAN, NAN),    /* not counted at all */
        run(2, 1, SR_OK, 1.60, 0.01),
        run(3, 1, SR_OK, 0.10, 0.01),
        run(5, 1, SR_OK, 0.25, 0.01),
        run(6, 1, SR_TIMEOUT, NAN, NAN),
    };
    size_t nc = sizeof cells / sizeof cells[0], nr = sizeof runs / sizeof runs[0];
    struct sweep_row rows[sizeof cells / sizeof cells[0]];
    assert_int_equal(sweep_summarize(cells, nc, runs, nr, 100, rows), 0);

    /* single, headline: 3 ok runs of 0.80, 0.82, 0.81. */
    assert_int_equal(rows[0].runs_ok, 3);
    assert_int_equal(rows[0].runs_total, 3);
    NEAR(rows[0].median_s, 0.81);
    NEAR(rows[0].min_s, 0.80);
    NEAR(rows[0].max_s, 0.82);
    NEAR(rows[0].cv, 0.01 / 0.81);
    NEAR(rows[0].cpu_s, 0.02);
    NEAR(rows[0].speedup, 1);
    NEAR(rows[0].ideal_s, 0.8);
    NEAR(rows[0].efficiency, 0.8 / 0.81);
    NEAR(rows[0].per_task_us, 0.81 * 1e6 / 16);
    assert_string_equal(rows[0].part, "headline");
    assert_string_equal(rows[0].kind, "io");
    assert_true(isnan(rows[0].server_cpu_s));

    /* threads, headline: ok runs 0.050 and 0.054; the failed and crashed runs count. */
    assert_int_equal(rows[1].runs_ok, 2);
    assert_int_equal(rows[1].runs_total, 4);
    NEAR(rows[1].median_s, 0.052);
    NEAR(rows[1].speedup, 0.81 / 0.052);            /* the headline single, same part */
    NEAR(rows[1].ideal_s, 0.05);
    NEAR(rows[1].efficiency, 0.05 / 0.052);
    NEAR(rows[1].ctx_voluntary, 20);                /* median of 10 and 30 */

    /* The task sweep compares with its own single (1.60), not the headline's. */
    NEAR(rows[3].speedup, 16);
    /* Another D: no single with these arguments, no speed-up. */
    assert_true(isnan(rows[4].speedup));
    assert_int_equal(rows[4].runs_total, 0);
    assert_true(isnan(rows[4].median_s));
    NEAR(rows[4].ideal_s, 0.04);                    /* 4 waves of 10 ms */
    /* The timeline part has no single: single of any part with the same N and arguments;
     * the headline comes first in the plan. */
    NEAR(rows[5].speedup, 0.81 / 0.25);
    /* A CPU-bound cell whose only run timed out. */
    assert_string_equal(rows[6].kind, "cpu");
    assert_int_equal(rows[6].runs_ok, 0);
    assert_int_equal(rows[6].runs_total, 1);
    assert_true(isnan(rows[6].median_s) && isnan(rows[6].ideal_s) && isnan(rows[6].speedup));
}

static void test_parse_record(void **state)
{
    (void)state;
    const char *ok = "{\"wall_s\":0.5,\"cpu_user_s\":0.25,\"cpu_sys_s\":0.125,\"max_rss_kb\":100,"
                     "\"children_sum_rss_kb\":7,\"ctx_voluntary\":3,\"ctx_involuntary\":4,"
                     "\"errors\":0,\"verified\":true,\"server_cpu_s\":0.01}\n";
    struct sweep_run r = { .exit_code = 0 };
    assert_true(sweep_parse_record(ok, strlen(ok), &r));
    assert_int_equal(r.status, SR_OK);
    NEAR(r.wall_s, 0.5);
    NEAR(r.cpu_s, 0.375);
    NEAR(r.children_sum_rss_kb, 7);
    NEAR(r.server_cpu_s, 0.01);

    const char *failed = "{\"wall_s\":0.5,\"errors\":2,\"verified\":false}";
    r = (struct sweep_run){ .exit_code = 1 };
    assert_true(sweep_parse_record(failed, strlen(failed), &r));
    assert_int_equal(r.status, SR_FAILED);
    const char *unverified = "{\"wall_s\":0.5,\"errors\":0,\"verified\":false}";
    r = (struct sweep_run){ .exit_code = 1 };
    sweep_parse_record(unverified, strlen(unverified), &r);
    assert_int_equal(r.status, SR_UNVERIFIED);
    r = (struct sweep_run){ .exit_code = 0 };
    assert_false(sweep_parse_record("garbage", 7, &r));
    assert_int_equal(r.status, SR_BAD_OUTPUT);
    assert_true(isnan(r.wall_s));
    r = (struct sweep_run){ .exit_code = 139 };
    sweep_parse_record("", 0, &r);
    assert_int_equal(r.status, SR_CRASHED);
    r = (struct sweep_run){ .exit_code = 2 };
    sweep_parse_record("", 0, &r);
    assert_int_equal(r.status, SR_ERROR);
    r = (struct sweep_run){ .exit_code = 130 };
    sweep_parse_record(ok, strlen(ok), &r);
    assert_int_equal(r.status, SR_INTERRUPTED);
}

static void test_csv_numbers(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    const double v[] = { 0.05, 1, 0, -0.0, 1234.5, 1e-7, 0.1234567891234, NAN, INFINITY, 2e-10 };
    for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
        sweep_csv_number(f, v[k], 9);
        fputc('|', f);
    }
    fclose(f);
    /* Plain decimals, trailing zeros dropped, empty for unknown, never an exponent. */
    assert_string_equal(buf, "0.05|1|0|0|1234.5|0.0000001|0.123456789|||0|");
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_median),
        cmocka_unit_test(test_cv),
        cmocka_unit_test(test_quantile),
        cmocka_unit_test(test_speedup_efficiency),
        cmocka_unit_test(test_ideal),
        cmocka_unit_test(test_summarize),
        cmocka_unit_test(test_parse_record),
        cmocka_unit_test(test_csv_numbers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
