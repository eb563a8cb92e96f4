/* test_perf.c — `concbench perf`: the verdict from fed-in figures (met, missed, inconclusive,
 * the exit code's precedence), the noise detectors on known samples, figures read from a
 * record, bad input, and one real tiny session end to end (table and published document shape;
 * no timing assertions). */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/noise.h"
#include "harness/perf.h"
#include "tests/helpers.h"

#define NEAR(a, b) assert_true(fabs((a) - (b)) < 1e-9)

static void test_judge(void **state)
{
    (void)state;
    enum perf_verdict w;
    /* Idle machine: the figures decide. */
    assert_int_equal(perf_judge(PERF_LE, 1.15, 1.10, 0.99, false, &w), PERF_MET);
    assert_int_equal(w, PERF_MET);
    assert_int_equal(perf_judge(PERF_LE, 1.15, 1.15, 0.95, false, &w), PERF_MET);
    assert_int_equal(perf_judge(PERF_LE, 1.15, 1.16, 0.95, false, &w), PERF_MISSED);
    assert_int_equal(perf_judge(PERF_GE, 0.95, 0.96, 1.00, false, &w), PERF_MET);
    assert_int_equal(perf_judge(PERF_GE, 0.95, 0.90, 1.00, false, &w), PERF_MISSED);
    /* Busy machine (the spins got < 90 % of a CPU): inconclusive either way, with what the
     * figures alone say. */
    assert_int_equal(perf_judge(PERF_LE, 1.15, 2.0, 0.60, false, &w), PERF_INCONCLUSIVE);
    assert_int_equal(w, PERF_MISSED);
    assert_int_equal(perf_judge(PERF_LE, 1.15, 1.0, 0.89, false, &w), PERF_INCONCLUSIVE);
    assert_int_equal(w, PERF_MET);
    assert_int_equal(perf_judge(PERF_LE, 1.15, 1.0, PERF_BUSY_SHARE, false, NULL), PERF_MET);
    /* An unknown share is judged as idle; a failed run or a missing figure is a failure even on
     * a busy machine; a check without a budget is information. */
    assert_int_equal(perf_judge(PERF_LE, 1.15, 1.0, NAN, false, NULL), PERF_MET);
    assert_int_equal(perf_judge(PERF_LE, 1.15, 1.0, 0.3, true, &w), PERF_FAILED);
    assert_int_equal(w, PERF_FAILED);
    assert_int_equal(perf_judge(PERF_GE, 0.95, NAN, 1.0, false, NULL), PERF_FAILED);
    assert_int_equal(perf_judge(PERF_NONE, 0, 3.0, 0.3, false, NULL), PERF_INFO);
}

static void test_exit_code(void **state)
{
    (void)state;
    enum perf_verdict met[] = { PERF_MET, PERF_MET, PERF_SKIPPED, PERF_INFO };
    enum perf_verdict inc[] = { PERF_MET, PERF_INCONCLUSIVE, PERF_SKIPPED };
    enum perf_verdict miss[] = { PERF_INCONCLUSIVE, PERF_MISSED, PERF_MET };
    enum perf_verdict failed[] = { PERF_MET, PERF_FAILED };
    enum perf_verdict none[] = { PERF_SKIPPED, PERF_INFO };
    assert_int_equal(perf_exit_code(met, 4), 0);
    assert_int_equal(perf_exit_code(inc, 3), EXIT_INCONCLUSIVE);
    assert_int_equal(perf_exit_code(miss, 3), 1);    /* missed wins over inconclusive */
    assert_int_equal(perf_exit_code(failed, 2), 1);
    assert_int_equal(perf_exit_code(none, 2), 0);
    assert_int_equal(perf_exit_code(NULL, 0), 0);
}

/* A check fed with figures: medians, the ratio beyond a subtracted sleep, the share. */
static void test_conclude(void **state)
{
    (void)state;
    static const struct perf_check_def d = {
        .name = "fake", .what = "fed-in figures", .figure = "wall_s", .limit_probe = "fork 1 1",
        .limit_figure = "wall_s", .basis = PERF_BASIS_LIMIT, .minus = 0.1, .cmp = PERF_LE,
        .budget = 1.5, .unit = PERF_UNIT_S,
    };
    static struct perf_check c;
    memset(&c, 0, sizeof c);
    c.def = &d;
    c.rounds = 5;
    double m[] = { 0.30, 0.26, 0.28, 0.40, 0.27 }, l[] = { 0.25, 0.24, 0.26, 0.25, 0.30 };
    for (int i = 0; i < 5; i++) {
        c.measured[i] = m[i];
        c.limit[i] = l[i];
        c.share[i] = 0.98;
    }
    perf_conclude(&c);
    NEAR(c.med, 0.28);
    NEAR(c.min, 0.26);
    NEAR(c.max, 0.40);
    NEAR(c.lim_med, 0.25);
    NEAR(c.ratio, (0.28 - 0.1) / (0.25 - 0.1));   /* 1.2: within 1.5 */
    assert_int_equal(c.verdict, PERF_MET);
    /* The same figures, the machine busy in 3 rounds of 5. */
    for (int i = 0; i < 3; i++)
        c.share[i] = 0.5;
    perf_conclude(&c);
    assert_int_equal(c.verdict, PERF_INCONCLUSIVE);
    assert_int_equal(c.would_be, PERF_MET);
    /* Idle again, the limit smaller: missed. */
    for (int i = 0; i < 5; i++) {
        c.share[i] = 1.0;
        c.limit[i] = 0.2;
    }
    perf_conclude(&c);
    NEAR(c.ratio, 1.8);
    assert_int_equal(c.verdict, PERF_MISSED);
    /* A failed round fails the check. */
    snprintf(c.error, sizeof c.error, "run failed");
    perf_conclude(&c);
    assert_int_equal(c.verdict, PERF_FAILED);
}

static void test_outliers(void **state)
{
    (void)state;
    /* median 1.025, deviations .025 .025 .075 .075 .125 8.975 -> MAD 0.075. */
    double x[] = { 1.0, 1.05, 0.95, 1.1, 0.9, 10.0 };
    double z[6];
    NEAR(noise_mad(x, 6), 0.075);
    assert_int_equal(noise_outliers(x, 6, z), 1);
    NEAR(z[5], 0.6745 * (10.0 - 1.025) / 0.075);
    assert_true(fabs(z[0]) < 3.5);
    /* Tight runs: none. */
    double tight[] = { 0.101, 0.102, 0.1015, 0.1012, 0.1018 };
    assert_int_equal(noise_outliers(tight, 5, NULL), 0);
    /* MAD 0: the equal runs score 0, a different one is an outlier (as hyperfine). */
    double flat[] = { 2, 2, 2, 2, 3 };
    assert_int_equal(noise_outliers(flat, 5, z), 1);
    NEAR(z[0], 0);
    assert_true(isinf(z[4]));
    assert_int_equal(noise_outliers(x, 0, NULL), 0);
    assert_true(isnan(noise_mad(x, 0)));
    char buf[64];
    assert_string_equal(noise_flags(x, 6, buf, sizeof buf), "1 outlier");
    assert_string_equal(noise_flags(tight, 5, buf, sizeof buf), "");
}

static void test_bimodal(void **state)
{
    (void)state;
    double gap;
    /* Two clumps: 35 µs cross-vCPU wake-ups against 2 µs same-vCPU ones. */
    double two[] = { 36e-6, 2.1e-6, 35e-6, 2.0e-6, 2.3e-6, 2.2e-6 };
    assert_true(noise_bimodal(two, 6, &gap));
    NEAR(gap, (2.3e-6 + 35e-6) / 2);
    /* An even split is not seen by this rule: the MAD is then about half the gap. */
    double half[] = { 36e-6, 2.1e-6, 35e-6, 2.0e-6, 34e-6, 2.2e-6 };
    assert_false(noise_bimodal(half, 6, NULL));
    double five[] = { 1.0, 1.01, 1.5, 1.51, 1.52 };
    assert_true(noise_bimodal(five, 5, NULL));
    char buf[64];
    /* The minority clump scores far beyond 3.5 too. */
    assert_string_equal(noise_flags(five, 5, buf, sizeof buf), "2 outliers, bimodal");
    /* One lone run far away is an outlier, not a second clump (1 run on its side). */
    double lone[] = { 1.0, 1.01, 1.02, 1.03, 5.0 };
    assert_false(noise_bimodal(lone, 5, &gap));
    assert_true(isnan(gap));
    /* Evenly spread: the gaps are no wider than the MAD. */
    double even[] = { 1, 2, 3, 4, 5, 6 };
    assert_false(noise_bimodal(even, 6, NULL));
    /* Too few runs to have 2 on each side; all equal. */
    double three[] = { 1, 1, 9 };
    assert_false(noise_bimodal(three, 3, NULL));
    double same[] = { 4, 4, 4, 4 };
    assert_false(noise_bimodal(same, 4, NULL));
}

static void test_cpu_share(void **state)
{
    (void)state;
    NEAR(noise_cpu_share(0.5, 1.0), 0.5);
    NEAR(noise_cpu_share(1.98, 1.0), 1.98);
    assert_true(isnan(noise_cpu_share(1, 0)));
    assert_true(isnan(noise_cpu_share(NAN, 1)));
    double s = noise_spin_share(0.02);
    assert_true(s > 0 && s <= 1.05);
}

static void test_figures(void **state)
{
    (void)state;
    const char *rec = "{\"schema\":1,\"tasks\":4,\"wall_s\":0.5,\"cpu_user_s\":0.25,"
                      "\"cpu_sys_s\":0.125,\"max_rss_kb\":100,\"note\":null,"
                      "\"options\":{\"sleep-ms\":\"10\"},\"task_status\":[\"ok\",\"ok\"],"
                      "\"stage_ms\":{\"decode\":30.5,\"blur\":15,\"shrink\":2},"
                      "\"stage_cpu_ms\":{\"decode\":31,\"blur\":16},\"verified\":true}";
    NEAR(perf_figure(rec, "wall_s"), 0.5);
    NEAR(perf_figure(rec, "cpu_s"), 0.375);
    NEAR(perf_figure(rec, "wall_s/tasks"), 0.125);
    NEAR(perf_figure(rec, "stage_ms.decode"), 30.5);
    NEAR(perf_figure(rec, "stage_ms.blur+stage_ms.shrink"), 17);
    NEAR(perf_figure(rec, "stage_cpu_ms.blur"), 16);
    NEAR(perf_figure(rec, "verified"), 1);
    assert_true(isnan(perf_figure(rec, "note")));
    assert_true(isnan(perf_figure(rec, "missing")));
    assert_true(isnan(perf_figure(rec, "stage_ms.encode")));   /* not in that object */
    assert_true(isnan(perf_figure(NULL, "wall_s")));
    /* A probe's line has its own cpu_s. */
    NEAR(perf_figure("{\"wall_s\":0.1,\"cpu_s\":0.002}", "cpu_s"), 0.002);
}

static void expect_usage(const char *needle, char *const argv[])
{
    struct cb_out o;
    cb_runv(&o, argv);
    if (o.status != 2 || !strstr(o.err, needle))
        fail_msg("expected exit 2 with '%s'; got %d: %s", needle, o.status, o.err);
    assert_string_equal(o.out, "");
    cb_out_free(&o);
}

static void test_bad_input(void **state)
{
    (void)state;
    char *bin = (char *)cb_path();
    /* An unknown check: exit 2, and the known ones listed. */
    struct cb_out o;
    cb_run(&o, "perf", "--only", "async-sleep-10k,no-such-check", NULL);
    assert_int_equal(o.status, 2);
    assert_non_null(strstr(o.err, "unknown check 'no-such-check'"));
    assert_non_null(strstr(o.err, "  async-sleep-10k\n"));
    assert_non_null(strstr(o.err, "  threads-sleep-10k\n"));
    assert_string_equal(o.out, "");
    cb_out_free(&o);
    expect_usage("bad --runs '0'", (char *[]){ bin, "perf", "--runs", "0", NULL });
    expect_usage("bad --runs 'x'", (char *[]){ bin, "perf", "--runs", "x", NULL });
    expect_usage("unknown option '--bogus'", (char *[]){ bin, "perf", "--bogus", NULL });
    expect_usage("needs a value", (char *[]){ bin, "perf", "--only", NULL });
    expect_usage("unknown probe 'nope'", (char *[]){ bin, "perf", "--probe", "nope", NULL });
    expect_usage("argument 1", (char *[]){ bin, "perf", "--probe", "fork", "x", "1", NULL });

    /* --help: every option and every check. */
    cb_run(&o, "perf", "--help", NULL);
    assert_int_equal(o.status, 0);
    const char *want[] = { "--runs", "--only", "--all", "--publish", "--bin", "--list",
                           "--probe", "--help", "async-sleep-10k", "processes-sleep-1k",
                           "count-speedup-{m}", "sweep-quick", "exit codes" };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(o.out, want[i]))
            fail_msg("--help does not mention %s", want[i]);
    cb_out_free(&o);
    /* --list: the expanded checks of this binary, one a line. */
    cb_run(&o, "perf", "--list", NULL);
    assert_int_equal(o.status, 0);
    assert_non_null(strstr(o.out, "count-speedup-threads "));
    assert_null(strstr(o.out, "{m}"));
    cb_out_free(&o);
}

static void test_probe(void **state)
{
    (void)state;
    struct cb_out o;
    cb_run(&o, "perf", "--probe", "timers", "100", "5", NULL);
    assert_int_equal(o.status, 0);
    struct json_value *v = cb_json(&o);
    assert_true(jnum(v, "fired") == 100);
    assert_true(jnum(v, "wall_s") >= 0.005);
    json_free(v);
    cb_out_free(&o);
    cb_run(&o, "perf", "--probe", "fork", "4", "1", NULL);
    assert_int_equal(o.status, 0);
    v = cb_json(&o);
    assert_true(jnum(v, "wall_s") >= 0.001);
    json_free(v);
    cb_out_free(&o);
}

/* Count the cells of a Markdown table row: "| a | b |" has 2. */
static int cells(const char *line)
{
    int bars = 0;
    for (const char *p = line; *p && *p != '\n'; p++)
        bars += *p == '|';
    return bars - 1;
}

/* One real session of the fastest check, twice, published into a temporary folder. */
static void test_end_to_end(void **state)
{
    (void)state;
    char dir[] = "/tmp/concbench-test-perf.XXXXXX";
    assert_non_null(mkdtemp(dir));
    struct cb_out o;
    cb_run(&o, "perf", "--only", "async-sleep-10k", "--runs", "2", "--publish", dir, NULL);
    if (o.status != 0 && o.status != 1 && o.status != EXIT_INCONCLUSIVE)
        fail_msg("exit %d: %s", o.status, o.err);
    /* The table: a header, the check's row with a verdict, the verdict counts. */
    assert_non_null(strstr(o.out, "check "));
    assert_non_null(strstr(o.out, "measured median (min–max)"));
    const char *row = strstr(o.out, "\nasync-sleep-10k ");
    assert_non_null(row);
    char line[512];
    snprintf(line, sizeof line, "%.*s", (int)strcspn(row + 1, "\n"), row + 1);
    assert_non_null(strstr(line, " ms ("));               /* median (min–max) */
    assert_non_null(strstr(line, "ideal 100.0 ms"));
    assert_non_null(strstr(line, "≤ 1.02 × ideal"));
    assert_true(strstr(line, " met") || strstr(line, " missed") || strstr(line, "inconclusive"));
    assert_int_equal(o.status, strstr(line, "inconclusive") ? EXIT_INCONCLUSIVE
                               : strstr(line, " missed")    ? 1 : 0);
    /* Progress on stderr: the check, round r of R. */
    assert_non_null(strstr(o.err, "round 1/2: async-sleep-10k"));
    assert_non_null(strstr(o.err, "round 2/2: async-sleep-10k"));
    cb_out_free(&o);

    char path[256], *md = NULL;
    snprintf(path, sizeof path, "%s/performance.md", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t cap = 1 << 16;
    md = calloc(1, cap);
    size_t len = fread(md, 1, cap - 1, f);
    fclose(f);
    md[len] = '\0';
    const char *head = strstr(md, "| check | what | measured");
    assert_non_null(head);
    int width = cells(head);
    assert_int_equal(width, 9);
    const char *r = strstr(md, "\n| async-sleep-10k |");
    assert_non_null(r);
    assert_int_equal(cells(r + 1), width);
    assert_non_null(strstr(md, "- revision: "));
    assert_non_null(strstr(md, "- load average: "));
    assert_non_null(strstr(md, "## Where the time goes"));
    assert_non_null(strstr(md, "- **async** ("));         /* the model's paragraph */
    assert_non_null(strstr(md, "10,000 sleeps of 100 ms took "));
    free(md);
    unlink(path);
    rmdir(dir);
}

/* Ctrl-C: the running child is stopped, the rounds done are printed, exit 130, nothing left. */
static void test_interrupt(void **state)
{
    (void)state;
    struct cb_out o;
    char *argv[] = { (char *)cb_path(), "perf", "--only", "threads-sleep-10k", "--runs", "5",
                     NULL };
    double after = 0;
    cb_runv_signal(&o, argv, 1.0, SIGINT, &after);
    assert_int_equal(o.status, 130);
    assert_non_null(strstr(o.err, "interrupted"));
    assert_non_null(strstr(o.out, "check "));
    assert_int_equal(cb_count_children(), 0);
    cb_out_free(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_judge),
        cmocka_unit_test(test_exit_code),
        cmocka_unit_test(test_conclude),
        cmocka_unit_test(test_outliers),
        cmocka_unit_test(test_bimodal),
        cmocka_unit_test(test_cpu_share),
        cmocka_unit_test(test_figures),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_probe),
        cmocka_unit_test(test_end_to_end),
        cmocka_unit_test(test_interrupt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
