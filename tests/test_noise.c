/* test_noise.c — issue 18 parts 3 and 4 beyond the detectors themselves (test_perf.c tests
 * those on known samples): the sweep's noise columns from fed-in runs (outliers, bimodal,
 * cpu_share and its reason, rss_per_task_kb), the record's memory per task in flight against a
 * workload that touches a known amount (probe --probe-touch-kb), `--cpus` (a pinned run's cores
 * and default -j; a CPU that is not online), and the report's noise section and memory table. */
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/machine.h"
#include "harness/noise.h"
#include "harness/sweep.h"
#include "tests/helpers.h"

#define NEAR(a, b) assert_true(fabs((a) - (b)) < 1e-9)

static struct sweep_cell cell(unsigned id, int part, const char *w, const char *m, unsigned n,
                              unsigned conc, const char *args)
{
    struct sweep_cell c;
    memset(&c, 0, sizeof c);
    c.id = id;
    c.part = part;
    c.workload = w;
    c.model = m;
    c.tasks = n;
    c.concurrency = conc;
    snprintf(c.args, sizeof c.args, "%s", args);
    return c;
}

static struct sweep_run run(unsigned c, unsigned k, double wall, double cpu, double rss)
{
    struct sweep_run r;
    memset(&r, 0, sizeof r);
    r.cell = c;
    r.run = k;
    r.status = SR_OK;
    r.wall_s = wall;
    r.cpu_s = cpu;
    r.server_cpu_s = r.children_sum_rss_kb = NAN;
    r.max_rss_kb = 2048 + k;
    r.ctx_voluntary = r.ctx_involuntary = NAN;
    r.rss_per_task_kb = rss;
    r.rss_set = !isnan(rss);
    return r;
}

/* The sweep's diagnosis of fed-in runs: every column, and the reasons without a comma. */
static void test_summary_noise(void **state)
{
    (void)state;
    struct sweep_cell cells[] = {
        /* two clumps of wake-ups: 2 of 6 runs far slower */
        cell(0, SWEEP_HEADLINE, "sleep", "threads", 16, 16, "--sleep-ms 1"),
        /* one lone run far away: an outlier, not a second clump */
        cell(1, SWEEP_HEADLINE, "sleep", "async", 16, 16, "--sleep-ms 1"),
        /* work that computes on one thread that got half a CPU */
        cell(2, SWEEP_HEADLINE, "count", "single", 4, 1, "--count 1000"),
        /* work that computes on 2 threads (2 cores) that got 1.9 of 2 CPUs: fine */
        cell(3, SWEEP_HEADLINE, "count", "threads", 4, 2, "--count 1000"),
        /* no-op dispatch and waiting work leave the CPU idle by design: never judged by it */
        cell(4, SWEEP_OVERHEAD, "count", "threads", 100, 100, "--count 0"),
        /* no good run */
        cell(5, SWEEP_TASKS, "sleep", "threads", 8, 8, "--sleep-ms 1"),
    };
    struct sweep_run runs[] = {
        run(0, 0, 9, 0, 5),                  /* warm-up: left out */
        run(0, 1, 0.0020, 0.001, 10), run(0, 2, 0.0021, 0.001, 12),
        run(0, 3, 0.0350, 0.001, 11), run(0, 4, 0.0022, 0.001, 13),
        run(0, 5, 0.0360, 0.001, NAN), run(0, 6, 0.0023, 0.001, 14),
        run(1, 1, 1.00, 0.01, 0.5), run(1, 2, 1.01, 0.01, 0.5), run(1, 3, 1.02, 0.01, 0.5),
        run(1, 4, 1.03, 0.01, 0.5), run(1, 5, 5.00, 0.01, 0.5),
        run(2, 1, 1.0, 0.50, 70), run(2, 2, 1.0, 0.52, 70), run(2, 3, 1.0, 0.48, 70),
        run(3, 1, 1.0, 1.90, 80), run(3, 2, 1.0, 1.88, 80), run(3, 3, 1.0, 1.92, 80),
        run(4, 1, 0.01, 0.001, 7), run(4, 2, 0.01, 0.001, 7), run(4, 3, 0.01, 0.001, 7),
    };
    runs[20].status = SR_FAILED;                /* counted, not judged */
    struct sweep_run failed = run(5, 1, 0.5, 0.1, 3);
    failed.status = SR_FAILED;
    size_t nc = sizeof cells / sizeof cells[0], nr = sizeof runs / sizeof runs[0];
    struct sweep_run all[sizeof runs / sizeof runs[0] + 1];
    memcpy(all, runs, sizeof runs);
    all[nr++] = failed;
    struct sweep_row rows[sizeof cells / sizeof cells[0]];
    assert_int_equal(sweep_summarize(cells, nc, all, nr, 2, rows), 0);

    assert_int_equal(rows[0].bimodal, 1);
    assert_int_equal(rows[0].outliers, 2);      /* the minority clump scores far out too */
    assert_string_equal(rows[0].noise, "2 outliers; bimodal");
    NEAR(rows[0].rss_per_task_kb, 12);          /* median of 10..14: a rebuilt run left out */

    assert_int_equal(rows[1].bimodal, 0);
    assert_int_equal(rows[1].outliers, 1);
    assert_string_equal(rows[1].noise, "1 outlier");
    /* 16 in flight on 2 cores: the share of 2 CPUs; waiting work: a low share is no flag. */
    NEAR(rows[1].cpu_share, 0.01 / (1.02 * 2));

    NEAR(rows[2].cpu_share, 0.50);              /* one thread: cpu_s / wall_s */
    assert_int_equal(rows[2].outliers, 0);
    assert_string_equal(rows[2].noise, "cpu 50 %");

    NEAR(rows[3].cpu_share, 0.95);              /* 1.90 CPU-seconds a second over 2 CPUs */
    assert_string_equal(rows[3].noise, "");

    assert_true(rows[4].cpu_share < 0.2);
    assert_string_equal(rows[4].noise, "");     /* overhead: not judged by its share */
    assert_int_equal(rows[4].outliers, 0);      /* 2 good runs: nothing to call an outlier */

    assert_int_equal(rows[5].runs_ok, 0);
    assert_int_equal(rows[5].outliers, -1);
    assert_int_equal(rows[5].bimodal, -1);
    assert_true(isnan(rows[5].cpu_share) && isnan(rows[5].rss_per_task_kb));

    /* Written out: found by header name, empty when unknown, no comma in the reason. */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    sweep_write_summary_csv(f, rows, nc);
    fclose(f);
    /* (Later columns follow: the loop figures and the family.) */
    assert_non_null(strstr(buf, ",rss_per_task_kb,outliers,bimodal,cpu_share,noise,"));
    assert_non_null(strstr(buf, ",12,2,1,"));
    assert_non_null(strstr(buf, ",2 outliers; bimodal,"));
    assert_non_null(strstr(buf, ",70,0,0,0.5,cpu 50 %,"));
    assert_non_null(strstr(buf, ",,,,,"));      /* the cell without a good run */
    free(buf);

    /* The record's field is read back by the sweep. */
    struct sweep_run r = { .exit_code = 0 };
    const char *rec = "{\"wall_s\":0.5,\"cpu_user_s\":0.1,\"cpu_sys_s\":0,\"verified\":true,"
                      "\"rss_per_task_kb\":2.75,\"errors\":0}";
    assert_true(sweep_parse_record(rec, strlen(rec), &r));
    assert_true(r.rss_set);
    NEAR(r.rss_per_task_kb, 2.75);
}

/* Run a probe batch that touches `kb` KiB per task; the record's memory figures. */
static struct json_value *touch_run(const char *model, const char *n, const char *kb)
{
    return cb_run_json(NULL, 0, "run", "-w", "probe", "-m", model, "-n", n, "--sleep-ms", "300",
                       "--probe-touch-kb", kb, "--json");
}

static void test_rss_per_task(void **state)
{
    (void)state;
    const double kb = 2048;
    bool exact = cb_timing();       /* sanitizer builds add their own memory: fields only */
    /* Threads and async: every task in flight at once, each touching 2 MiB of fresh pages. */
    const char *in_process[] = { "threads", "async" };
    for (size_t k = 0; k < 2; k++) {
        struct json_value *v = touch_run(in_process[k], "16", "2048");
        double per = jnum(v, "rss_per_task_kb");
        assert_string_equal(jstr(v, "rss_basis"), "process");
        assert_int_equal((int)jnum(v, "tasks_in_flight"), 16);
        assert_true(jnum(v, "rss_growth_kb") > 0 && per > 0);
        /* Within 64 KiB below (memory the batch gave back offsets a little) and 256 KiB above
         * (the task's own thread or timer) of what each task touched. */
        if (exact && (per < kb - 64 || per > kb + 256))
            fail_msg("%s: %.1f KiB per task in flight, expected 2048 - 64 to 2048 + 256",
                     in_process[k], per);
        json_free(v);
    }
    /* A pool of 2: two tasks in flight; its threads' own cost is spread over them. */
    struct json_value *v = cb_run_json(NULL, 0, "run", "-w", "probe", "-m", "thread-pool", "-n",
                                       "4", "-j", "2", "--sleep-ms", "100", "--probe-touch-kb",
                                       "2048", "--json");
    assert_int_equal((int)jnum(v, "tasks_in_flight"), 2);
    if (exact && (jnum(v, "rss_per_task_kb") < kb - 64 || jnum(v, "rss_per_task_kb") > kb + 512))
        fail_msg("thread-pool: %.1f KiB per task in flight", jnum(v, "rss_per_task_kb"));
    json_free(v);
    /* Processes: per child, a whole process; touching 2 MiB more adds 2 MiB to each. */
    struct json_value *a = touch_run("processes", "8", "0"), *b = touch_run("processes", "8",
                                                                             "2048");
    assert_string_equal(jstr(b, "rss_basis"), "children");
    assert_int_equal((int)jnum(b, "children"), 8);
    assert_true(jnum(a, "rss_per_task_kb") > 0);
    double diff = jnum(b, "rss_per_task_kb") - jnum(a, "rss_per_task_kb");
    /* A child's peak also holds what it shares with the parent at fork time, which varies
     * from run to run by a few hundred KiB. */
    assert_true(!exact || jnum(b, "rss_per_task_kb") > kb);
    if (exact && fabs(diff - kb) > 0.25 * kb)
        fail_msg("processes: 2 MiB more per child made %.1f KiB more", diff);
    json_free(a);
    json_free(b);
}

/* An online CPU and one that is not (CPU_SETSIZE - 1 when every CPU is online). */
static void cpus_of_machine(int *online, int *offline)
{
    cpu_set_t set;
    machine_cpus_online(&set);
    *online = *offline = -1;
    for (int c = 0; c < CPU_SETSIZE; c++) {
        if (CPU_ISSET(c, &set) && *online < 0)
            *online = c;
        if (!CPU_ISSET(c, &set) && *offline < 0)
            *offline = c;
    }
}

static void test_cpus(void **state)
{
    (void)state;
    int on, off;
    char one[16], bad[16];
    cpus_of_machine(&on, &off);
    assert_true(on >= 0 && off >= 0);
    snprintf(one, sizeof one, "%d", on);
    snprintf(bad, sizeof bad, "%d", off);

    /* Pinned to one CPU: the record says so, and a pool's default -j is 1. */
    struct json_value *v = cb_run_json(NULL, 0, "run", "-w", "probe", "-m", "thread-pool", "-n",
                                       "4", "--cpus", one, "--json");
    assert_int_equal((int)jnum(v, "cores"), 1);
    assert_string_equal(jstr(v, "cpus"), one);
    assert_int_equal((int)jnum(v, "concurrency"), 1);
    json_free(v);
    /* Unpinned: the affinity set this test runs with. */
    cpu_set_t mine;
    assert_int_equal(sched_getaffinity(0, sizeof mine, &mine), 0);
    v = cb_run_json(NULL, 0, "run", "-w", "probe", "-m", "thread-pool", "-n", "4", "--json");
    assert_int_equal((int)jnum(v, "cores"), CPU_COUNT(&mine));
    assert_int_equal((int)jnum(v, "concurrency"), CPU_COUNT(&mine));
    json_free(v);

    /* A CPU that is not online: a usage error naming it; a list that is not one. */
    struct cb_out o;
    cb_run(&o, "run", "-w", "probe", "-m", "single", "--cpus", bad, NULL);
    assert_int_equal(o.status, 2);
    char want[64];
    snprintf(want, sizeof want, "CPU %d is not online", off);
    if (!strstr(o.err, want))
        fail_msg("no '%s' in: %s", want, o.err);
    assert_string_equal(o.out, "");
    cb_out_free(&o);
    const char *lists[] = { "", "x", "1-0", "0-", "0,", "-1", "0,,1", "99999" };
    for (size_t k = 0; k < sizeof lists / sizeof lists[0]; k++) {
        cb_run(&o, "run", "-w", "probe", "-m", "single", "--cpus", lists[k], NULL);
        if (o.status != 2 || !strstr(o.err, "--cpus"))
            fail_msg("--cpus '%s': exit %d: %s", lists[k], o.status, o.err);
        cb_out_free(&o);
    }
    cb_run(&o, "sweep", "--cpus", bad, "--dry-run", NULL);
    assert_int_equal(o.status, 2);
    assert_non_null(strstr(o.err, want));
    cb_out_free(&o);

    /* The list format both ways. */
    cpu_set_t s;
    char text[64];
    assert_int_equal(machine_cpulist_parse("0,2-4,7", &s), 0);
    assert_int_equal(CPU_COUNT(&s), 5);
    assert_string_equal(machine_cpulist_format(&s, text, sizeof text), "0,2-4,7");
    assert_int_equal(machine_cpulist_parse("3-3\n", &s), 0);
    assert_string_equal(machine_cpulist_format(&s, text, sizeof text), "3");
}

/* The report of a folder whose summary carries the diagnosis: the flagged cells with their
 * reasons, the memory table, and the charts drawn with their marks. */
static void test_report_noise(void **state)
{
    (void)state;
    char dir[] = "/tmp/concbench-test-noise.XXXXXX";
    assert_non_null(mkdtemp(dir));
    struct sweep_cell cells[] = {
        cell(0, SWEEP_HEADLINE, "sleep", "single", 4, 1, "--sleep-ms 1"),
        cell(1, SWEEP_HEADLINE, "sleep", "threads", 4, 4, "--sleep-ms 1"),
        cell(2, SWEEP_HEADLINE, "count", "single", 4, 1, "--count 1000"),
        cell(3, SWEEP_HEADLINE, "count", "threads", 4, 2, "--count 1000"),
        cell(4, SWEEP_TASKS, "sleep", "async", 1000, 1000, "--sleep-ms 1"),
        cell(5, SWEEP_TASKS, "sleep", "async", 10, 10, "--sleep-ms 1"),
    };
    size_t nc = sizeof cells / sizeof cells[0];
    for (size_t k = 0; k < nc; k++)
        snprintf(cells[k].params, sizeof cells[k].params, "%s",
                 cells[k].workload[0] == 's' ? "sleep-ms=1" : "count=1000");
    struct sweep_run runs[64];
    size_t nr = 0;
    const double walls[][6] = {
        { 0.0041, 0.0042, 0.0040, 0.0043, 0.0041, 0.0042 },
        { 0.0012, 0.0011, 0.0040, 0.0012, 0.0042, 0.0011 },     /* bimodal */
        { 0.40, 0.41, 0.40, 0.42, 0.41, 0.40 },
        { 0.21, 0.20, 0.21, 0.22, 0.21, 0.20 },
        { 0.0015, 0.0016, 0.0015, 0.0016, 0.0015, 0.0016 },
        { 0.0011, 0.00112, 0.00111, 0.00113, 0.00112, 0.00111 },
    };
    const double cpu_per_s[] = { 0.01, 0.01, 0.45, 1.9, 0.3, 0.3 };   /* count single: busy */
    const double rss[] = { 70, 30, 72, 90, 0.3, 9 };
    for (size_t c = 0; c < nc; c++)
        for (unsigned k = 1; k <= 6; k++)
            runs[nr++] = run((unsigned)c, k, walls[c][k - 1], walls[c][k - 1] * cpu_per_s[c],
                             rss[c]);
    struct sweep_row rows[sizeof cells / sizeof cells[0]];
    assert_int_equal(sweep_summarize(cells, nc, runs, nr, 2, rows), 0);
    char path[128];
    snprintf(path, sizeof path, "%s/summary.csv", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    sweep_write_summary_csv(f, rows, nc);
    fclose(f);

    struct cb_out o;
    cb_run(&o, "report", dir, NULL);
    if (o.status != 0)
        fail_msg("report exited %d: %s", o.status, o.err);
    cb_out_free(&o);
    snprintf(path, sizeof path, "%s/report.md", dir);
    FILE *r = fopen(path, "r");
    assert_non_null(r);
    static char md[1 << 17];
    size_t len = fread(md, 1, sizeof md - 1, r);
    fclose(r);
    md[len] = '\0';
    /* The CV flag stays; the run-level diagnosis lists its cells with the reason. */
    assert_non_null(strstr(md, "cells are noisy (coefficient of variation above 10 %)"));
    assert_non_null(strstr(md, "2 of 6 cells are flagged by the run-level diagnosis:"));
    assert_non_null(strstr(md, "- sleep × threads, headline, sleep-ms=1, 4 tasks, j 4: "
                               "2 outliers; bimodal (CV "));
    assert_non_null(strstr(md, "- count × single, headline, count=1000, 4 tasks, j 1: cpu 45 %"));
    assert_non_null(strstr(md, "modified z-score"));
    /* Memory per task in flight: the headline table and the largest batch. */
    assert_non_null(strstr(md, "### Memory per task in flight"));
    assert_non_null(strstr(md, "| threads | 30 KiB (j 4) | 90 KiB (j 2) |"));
    assert_non_null(strstr(md, "At the largest batch of sleep in the task-count sweep, per task "
                               "in flight: async 0.3 KiB (1,000 tasks, 1000 in flight)."));
    /* The charts: the headline and the resources chart with its third panel. */
    struct stat st;
    const char *charts[] = { "io-vs-cpu.png", "resources.png", "scaling-sleep.png" };
    for (size_t k = 0; k < 3; k++) {
        snprintf(path, sizeof path, "%s/%s", dir, charts[k]);
        if (stat(path, &st) != 0 || st.st_size == 0)
            fail_msg("%s not drawn", charts[k]);
    }
    cb_rm_rf(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_summary_noise),
        cmocka_unit_test(test_rss_per_task),
        cmocka_unit_test(test_cpus),
        cmocka_unit_test(test_report_noise),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
