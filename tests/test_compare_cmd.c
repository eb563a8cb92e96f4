/* test_compare_cmd.c — `concbench compare` (issue 19, part 2): two real sweeps of sleep and count
 * with 10 runs a cell (one of sleep and count, one of sleep), and a third made slower with --run-args "--inject-overhead-pct 50": the
 * slowed cells are slower (exit 1 with --fail-on-slower), the unslowed ones same or
 * inconclusive; compare.md, compare.csv and the chart written; a folder of commit 312fb15 (no
 * params column) read; bad input refused with exit 2; few runs, a partial folder and another
 * machine said. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/report_int.h"
#include "tests/helpers.h"

static char tmp[256], dir_a[4096], dir_b[4096], dir_slow[4096];

static void latest_dir(const char *out, char *buf, size_t len)
{
    char link[4096], target[1024];
    snprintf(link, sizeof link, "%s/latest", out);
    ssize_t n = readlink(link, target, sizeof target - 1);
    assert_true(n > 0);
    target[n] = '\0';
    snprintf(buf, len, "%s/%s", out, target);
}

static bool exists_in(const char *dir, const char *name)
{
    char path[8192];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return stat(path, &st) == 0 && st.st_size > 0;
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

/* The verdict column of the stdout table's row for workload w and model m. */
static const char *verdict_of(const char *table, const char *w, const char *m, char *buf,
                              size_t len)
{
    char head[96];
    snprintf(head, sizeof head, "| %s | %s | ", w, m);
    const char *row = strstr(table, head);
    if (!row)
        return NULL;
    size_t l = strcspn(row, "\n");
    const char *last = NULL;
    for (const char *p = row; p < row + l - 1; p++)
        if (*p == '|')
            last = p;
    snprintf(buf, len, "%.*s", (int)(row + l - last - 4), last + 2);
    char *star;
    while ((star = strchr(buf, '*')))
        memmove(star, star + 1, strlen(star));
    return buf;
}

/* A sweep of sleep (5 ms) under single and threads, N = 4, 10 runs, with run_args (NULL:
 * none). */
static void sweep_sleep(const char *name, char *dir, size_t len, const char *run_args)
{
    char out[512];
    struct cb_out o;
    snprintf(out, sizeof out, "%s/%s", tmp, name);
    cb_run(&o, "sweep", "-w", "sleep", "-m", "single,threads", "--tasks", "4", "--set",
           "sleep-ms=5", "--runs", "10", "--no-hyperfine", "--out", out,
           run_args ? "--run-args" : NULL, run_args, NULL);
    if (o.status != 0)
        fail_msg("sweep %s exit %d: %s", name, o.status, o.err);
    cb_out_free(&o);
    latest_dir(out, dir, len);
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmp, sizeof tmp, "/tmp/concbench-test-compare-XXXXXX");
    if (!mkdtemp(tmp))
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cb_rm_rf(tmp);
    return 0;
}

/* A: sleep and count; B: the same again; SLOW: sleep only, each task 50 % busier. */
static void test_compare_slowed(void **state)
{
    (void)state;
    struct cb_out o;
    char v[64], cmpdir[512];
    {
        char out[512];
        snprintf(out, sizeof out, "%s/a", tmp);
        cb_run(&o, "sweep", "-w", "sleep,count", "-m", "single,threads", "--tasks", "4",
               "--set", "sleep-ms=5", "--set", "count=1000000", "--runs", "10",
               "--no-hyperfine", "--out", out, NULL);
        if (o.status != 0)
            fail_msg("sweep a exit %d: %s", o.status, o.err);
        cb_out_free(&o);
        latest_dir(out, dir_a, sizeof dir_a);
    }
    sweep_sleep("b", dir_b, sizeof dir_b, NULL);
    sweep_sleep("slow", dir_slow, sizeof dir_slow, "--inject-overhead-pct 50");

    /* The slowed sleep cells: slower, and --fail-on-slower says so with exit 1. A verdict is a
     * statement about times: asserted in the plain build; the sanitizer builds (slow, and their
     * timings noisy) check that it is never the wrong way (faster or same) and the outputs. */
    bool timing = cb_timing();
    snprintf(cmpdir, sizeof cmpdir, "%s/cmp", tmp);
    cb_run(&o, "compare", dir_a, dir_slow, "--out", cmpdir, "--fail-on-slower", NULL);
    if (o.status != 1 && (timing || o.status != 0))
        fail_msg("compare A SLOW: exit %d, want 1: %s\n%s", o.status, o.err, o.out);
    const char *sm[] = { "single", "threads" };
    for (int k = 0; k < 2; k++) {
        assert_non_null(verdict_of(o.out, "sleep", sm[k], v, sizeof v));
        if (timing ? strcmp(v, "slower") != 0
                   : strcmp(v, "slower") != 0 && strcmp(v, "inconclusive") != 0)
            fail_msg("sleep %s slowed by 50 %%: '%s'\n%s", sm[k], v, o.out);
    }
    /* count was in A only: listed, not compared. */
    assert_null(verdict_of(o.out, "count", "single", v, sizeof v));
    assert_non_null(strstr(o.out, "In A only"));
    assert_non_null(strstr(o.out, "- count single user n=4 j=1 count=1000000"));
    assert_non_null(strstr(o.out, "- count threads user n=4 j=4 count=1000000"));
    if (timing)
        assert_non_null(strstr(o.out, "2 slower"));
    cb_out_free(&o);
    assert_true(exists_in(cmpdir, "compare.md"));
    assert_true(exists_in(cmpdir, "compare.csv"));
    assert_true(exists_in(cmpdir, "compare.png"));
    assert_true(exists_in(cmpdir, "compare.svg"));
    struct csv c;
    char path[1024];
    snprintf(path, sizeof path, "%s/compare.csv", cmpdir);
    assert_int_equal(csv_load(path, &c), 0);
    assert_int_equal(c.nrows, 2);
    for (size_t r = 0; r < c.nrows; r++) {
        const char *vr = csv_str(&c, r, csv_col(&c, "verdict"));
        if (timing) {
            assert_string_equal(vr, "slower");
            assert_true(csv_num(&c, r, csv_col(&c, "ci_low")) > 1.1);
        } else {
            assert_true(strcmp(vr, "slower") == 0 || strcmp(vr, "inconclusive") == 0);
        }
        assert_true(csv_num(&c, r, csv_col(&c, "ratio")) >= csv_num(&c, r, csv_col(&c, "ci_low")));
        assert_true(csv_uint(&c, r, csv_col(&c, "model_rgb")) > 0);
    }
    csv_free(&c);

    /* Two unslowed sweeps: the sleep cells (timers, stable) same or inconclusive, never
     * faster or slower. */
    cb_run(&o, "compare", dir_a, dir_b, NULL);
    assert_int_equal(o.status, 0);
    const char *ms[] = { "single", "threads" };
    for (int k = 0; k < 2; k++) {
        assert_non_null(verdict_of(o.out, "sleep", ms[k], v, sizeof v));
        if (timing && strcmp(v, "same") && strcmp(v, "inconclusive"))
            fail_msg("sleep %s of two unslowed sweeps: '%s'\n%s", ms[k], v, o.out);
    }
    assert_null(strstr(o.out, "fewer than 5 runs"));
    assert_null(strstr(o.out, "different machines"));
    cb_out_free(&o);
}

/* A folder written by the binary at 312fb15 (runs.csv without params): read, the params derived
 * from its metadata.json, every cell the same as itself. */
static void test_compare_old_folder(void **state)
{
    (void)state;
    char fixture[1024];
    struct cb_out o;
    cb_fuzz_dir("../fixtures/sweep-312fb15", fixture, sizeof fixture);
    cb_run(&o, "compare", fixture, fixture, NULL);
    if (o.status != 0)
        fail_msg("compare of the 312fb15 fixture: exit %d: %s", o.status, o.err);
    assert_non_null(strstr(o.out, "before runs.csv had a params column"));
    assert_non_null(strstr(o.out, "| sleep | async | headline | 4 | 4 | sleep-ms=1 |"));
    assert_non_null(strstr(o.out, "| count | single | overhead | 100 | 1 | count=0 |"));
    /* Each cell against itself: ratio 1, never faster or slower (the bootstrap resamples
     * each side apart, so a noisy cell may be inconclusive). */
    assert_non_null(strstr(o.out, "**0 faster, 0 slower, "));
    unsigned rows = 0;
    for (const char *p = o.out; (p = strstr(p, " | 1.000 | ")); p++)
        rows++;
    assert_int_equal(rows, 53);
    cb_out_free(&o);
}

static void test_compare_bad_input(void **state)
{
    (void)state;
    struct cb_out o;
    char d1[600], d2[600];
    cb_run(&o, "compare", tmp, NULL);
    assert_int_equal(o.status, 2);
    cb_out_free(&o);
    cb_run(&o, "compare", "/nonexistent/a", "/nonexistent/b", NULL);
    assert_int_equal(o.status, 2);
    cb_out_free(&o);
    /* Not a sweep folder. */
    cb_run(&o, "compare", tmp, tmp, NULL);
    assert_int_equal(o.status, 2);
    assert_non_null(strstr(o.err, "not a sweep folder"));
    cb_out_free(&o);
    /* A journal without runs.csv: a killed sweep, rebuilt by report. */
    snprintf(d1, sizeof d1, "%s/killed", tmp);
    assert_int_equal(mkdir(d1, 0755), 0);
    write_file(d1, "runs.jsonl", "");
    cb_run(&o, "compare", d1, d1, NULL);
    assert_int_equal(o.status, 2);
    assert_non_null(strstr(o.err, "concbench report"));
    cb_out_free(&o);
    /* A schema it cannot read: said, with the column. */
    snprintf(d2, sizeof d2, "%s/alien", tmp);
    assert_int_equal(mkdir(d2, 0755), 0);
    write_file(d2, "runs.csv", "cell,seconds\nx,1\n");
    cb_run(&o, "compare", d2, d2, NULL);
    assert_int_equal(o.status, 2);
    assert_non_null(strstr(o.err, "no 'workload' column"));
    cb_out_free(&o);
    /* Bad options. */
    cb_run(&o, "compare", d2, d2, "--threshold", "0", NULL);
    assert_int_equal(o.status, 2);
    cb_out_free(&o);
    cb_run(&o, "compare", d2, d2, "--alpha", "1", NULL);
    assert_int_equal(o.status, 2);
    cb_out_free(&o);
}

/* Hand-written folders: 3 runs a side (the warning), a partial one, another machine, no cell in
 * common. */
static void test_compare_notes(void **state)
{
    (void)state;
    struct cb_out o;
    char a[600], b[600], c[600];
    snprintf(a, sizeof a, "%s/few-a", tmp);
    snprintf(b, sizeof b, "%s/few-b", tmp);
    snprintf(c, sizeof c, "%s/other", tmp);
    assert_int_equal(mkdir(a, 0755), 0);
    assert_int_equal(mkdir(b, 0755), 0);
    assert_int_equal(mkdir(c, 0755), 0);
    const char *head = "workload,model,part,tasks,concurrency,run,wall_s,ok,params\n";
    char text[1024];
    snprintf(text, sizeof text, "%ssleep,async,user,4,4,1,0.010,1,\nsleep,async,user,4,4,2,0.011,1,\n"
             "sleep,async,user,4,4,3,0.012,1,\n", head);
    write_file(a, "runs.csv", text);
    write_file(a, "metadata.json", "{\"partial\":false,\"machine\":{\"cpu_model\":\"CPU One\","
               "\"cores_online\":2,\"kernel\":\"6.1\"},\"build\":{\"cc\":\"cc\"}}");
    snprintf(text, sizeof text, "%ssleep,async,user,4,4,1,0.020,1,\nsleep,async,user,4,4,2,0.021,1,\n"
             "sleep,async,user,4,4,3,0.022,1,\nsleep,threads,user,4,4,1,0.02,1,\n", head);
    write_file(b, "runs.csv", text);
    write_file(b, "metadata.json", "{\"partial\":true,\"machine\":{\"cpu_model\":\"CPU Two\","
               "\"cores_online\":8,\"kernel\":\"6.1\"},\"build\":{\"cc\":\"cc\"}}");
    write_file(b, "PARTIAL", "interrupted by SIGINT: 4 of 20 measured runs done\n");
    cb_run(&o, "compare", a, b, NULL);
    assert_int_equal(o.status, 0);
    /* 3 against 3 cannot reach p < 0.01: inconclusive however large the change, and said. */
    assert_non_null(strstr(o.out, "| inconclusive |"));
    assert_non_null(strstr(o.out, "fewer than 5 runs"));
    assert_non_null(strstr(o.out, "3 and 3 runs, smallest p 0.1"));
    assert_non_null(strstr(o.out, "different machines or builds"));
    assert_non_null(strstr(o.out, "| **CPU** | CPU One | CPU Two |"));
    assert_non_null(strstr(o.out, "| **cores** | 2 | 8 |"));
    assert_null(strstr(o.out, "**kernel**"));
    assert_non_null(strstr(o.out, "partial sweep (interrupted by SIGINT"));
    assert_non_null(strstr(o.out, "In B only"));
    cb_out_free(&o);
    /* No cell in common: exit 2. */
    snprintf(text, sizeof text, "%scount,single,user,4,1,1,0.5,1,\n", head);
    write_file(c, "runs.csv", text);
    cb_run(&o, "compare", a, c, NULL);
    assert_int_equal(o.status, 2);
    assert_non_null(strstr(o.err, "no cell in common"));
    cb_out_free(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compare_bad_input),
        cmocka_unit_test(test_compare_notes),
        cmocka_unit_test(test_compare_old_folder),
        cmocka_unit_test(test_compare_slowed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
