/* test_user_sweep.c — a sweep of your own from the command line (issue 19, part 1) and the exports
 * of a sweep (part 4): bad input refused with exit 2 and a message naming it; the ranges; a real
 * small sweep on sleep and count whose summary.csv has the swept option as params and as a
 * parameter_NAME column; bench.json (github-action-benchmark) and headline.md (hyperfine's
 * Markdown table) read back against summary.csv; the report's charts of the sweep. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/report_int.h"
#include "harness/sweep.h"
#include "runtime/json.h"
#include "tests/helpers.h"

static void make_tmpdir(char *buf, size_t len)
{
    snprintf(buf, len, "/tmp/concbench-test-user-XXXXXX");
    assert_non_null(mkdtemp(buf));
}

static void latest_dir(const char *out, char *buf, size_t len)
{
    char link[4096], target[1024];
    snprintf(link, sizeof link, "%s/latest", out);
    ssize_t n = readlink(link, target, sizeof target - 1);
    assert_true(n > 0);
    target[n] = '\0';
    snprintf(buf, len, "%s/%s", out, target);
}

static char *slurp_in(const char *dir, const char *name)
{
    char path[8192], *buf;
    size_t len;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot open %s", path);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    len = (size_t)ftell(f);
    rewind(f);
    buf = malloc(len + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, len, f), len);
    buf[len] = '\0';
    fclose(f);
    return buf;
}

static bool exists_in(const char *dir, const char *name)
{
    char path[8192];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return stat(path, &st) == 0 && st.st_size > 0;
}

/* Bad input: exit 2, nothing run, and the message names what is wrong. */
static void expect_usage(const char *want, const char *const *args)
{
    struct cb_out o;
    char *argv[32];
    int n = 0;
    argv[n++] = (char *)cb_path();
    argv[n++] = "sweep";
    for (; *args; args++)
        argv[n++] = (char *)*args;
    argv[n++] = "--out";
    argv[n++] = "/tmp/concbench-test-user-never";
    argv[n] = NULL;
    cb_runv(&o, argv);
    if (o.status != 2 || !strstr(o.err, want))
        fail_msg("%s %s ...: exit %d, want 2 and '%s' in: %s", argv[2], argv[3], o.status, want,
                 o.err);
    cb_out_free(&o);
}
#define USAGE(want, ...) expect_usage(want, (const char *const[]){ __VA_ARGS__, NULL })

/* In-process: sweep_user_plan refuses with -EINVAL and a message naming what is wrong. */
static void expect_refused(const char *want, const struct sweep_user *u)
{
    struct sweep_plan plan;
    char err[1024] = "";
    int e = sweep_user_plan(u, cb_path(), 2, 2, false, &plan, err, sizeof err);
    if (e == 0)
        sweep_plan_free(&plan);
    if (e != -EINVAL || !strstr(err, want))
        fail_msg("want -EINVAL and '%s', got %d: %s", want, e, err);
}
#define REFUSED(want, ...) expect_refused(want, &(struct sweep_user){ __VA_ARGS__ })

static void test_user_sweep_usage(void **state)
{
    (void)state;
    /* Through the binary: exit 2 and the message. */
    USAGE("unknown workload 'nope'; workloads: sleep", "-w", "nope");
    USAGE("goes nowhere", "-w", "sleep", "--tasks", "100..10");
    USAGE("not both", "-w", "sleep", "--profile", "test");
    /* --run-args: run's own parser judges the values (a child `run ARGS -h`). */
    USAGE("--timeout-ms", "-w", "sleep", "--run-args", "--timeout-ms soon");
    /* The rest in-process (the same code, without a process each). */
    REFUSED("unknown model 'nope'; models: single", .workloads = "sleep", .models = "nope");
    REFUSED("empty list", .workloads = "");
    REFUSED("empty list", .workloads = "sleep", .tasks = "");
    REFUSED("an empty item", .workloads = "sleep", .tasks = "1,,4");
    REFUSED("goes nowhere", .workloads = "sleep", .tasks = "1..100x1");
    REFUSED("goes nowhere", .workloads = "sleep", .concurrency = "1..8+0");
    REFUSED("out of bounds", .workloads = "sleep", .concurrency = "0");
    /* An option none of the swept workloads takes, named. */
    REFUSED("--set sleep-ms: no swept workload (count)", .workloads = "count",
            .sets = { "sleep-ms=5" }, .nsets = 1);
    REFUSED("--set bogus", .workloads = "sleep", .sets = { "bogus=1" }, .nsets = 1);
    /* A bad value, checked against the table of each workload that takes it (http's bound is
     * lower than sleep's). */
    REFUSED("bad value '4000000' for --sleep-ms", .workloads = "sleep,http",
            .sets = { "sleep-ms=4000000" }, .nsets = 1);
    REFUSED("not a whole number", .workloads = "sleep", .sets = { "sleep-ms=fast" }, .nsets = 1);
    REFUSED("given twice", .workloads = "sleep", .sets = { "sleep-ms=1", "sleep-ms=2" },
            .nsets = 2);
    REFUSED("give it with --set sleep-ms", .workloads = "sleep", .run_args = "--sleep-ms 3");
    REFUSED("unknown option '--bogus'", .workloads = "sleep", .run_args = "--bogus");
    REFUSED("needs -w", .models = "single");
    /* And what is fine: sleep takes the first, count the second. */
    struct sweep_plan plan;
    char err[512];
    struct sweep_user ok = { .workloads = "sleep,count", .models = "single",
                             .sets = { "sleep-ms=10", "count=30000000" }, .nsets = 2 };
    assert_int_equal(sweep_user_plan(&ok, cb_path(), 2, 2, false, &plan, err, sizeof err), 0);
    assert_int_equal(plan.ncells, 2);
    assert_string_equal(plan.cells[0].params, "sleep-ms=10");
    assert_string_equal(plan.cells[1].params, "count=30000000");
    sweep_plan_free(&plan);
}

static void test_ranges(void **state)
{
    (void)state;
    uint64_t v[64];
    char err[256];
    assert_int_equal(sweep_parse_range("1..10000x10", 1, 100000, 0, v, 64, err, sizeof err), 5);
    assert_true(v[0] == 1 && v[1] == 10 && v[4] == 10000);
    assert_int_equal(sweep_parse_range("1..8", 1, 100, 0, v, 64, err, sizeof err), 8);
    assert_true(v[7] == 8);
    assert_int_equal(sweep_parse_range("10..50+10,5", 1, 100, 0, v, 64, err, sizeof err), 6);
    assert_true(v[4] == 50 && v[5] == 5);
    /* A geometric range keeps what does not pass its end; duplicates go. */
    assert_int_equal(sweep_parse_range("2..20x3,2,cores", 1, 100, 4, v, 64, err, sizeof err), 4);
    assert_true(v[2] == 18 && v[3] == 4);
    assert_int_equal(sweep_parse_range("cores", 1, 100, 0, v, 64, err, sizeof err), -EINVAL);
    assert_int_equal(sweep_parse_range("1..1000", 1, 10000, 0, v, 64, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "more than 64"));
}

/* The cells --dry-run lists: every workload x model x N x option value, part user. */
static void test_user_sweep_dry_run(void **state)
{
    (void)state;
    struct cb_out o;
    cb_run(&o, "sweep", "-w", "sleep,count", "-m", "single,threads", "--tasks", "1..4x2",
           "--set", "sleep-ms=1,2", "--set", "count=1000", "--dry-run", NULL);
    assert_int_equal(o.status, 0);
    /* sleep: 2 models x 3 N x 2 values; count: 2 models x 3 N. */
    assert_non_null(strstr(o.err, "18 cells"));
    assert_non_null(strstr(o.err, "18 user"));
    unsigned lines = 0;
    for (const char *p = o.out; (p = strstr(p, " user ")); p++)
        lines++;
    assert_int_equal(lines, 18);
    assert_non_null(strstr(o.out, "run -w count -m threads -n 4 --count 1000"));
    assert_non_null(strstr(o.out, "run -w sleep -m single -n 2 --sleep-ms 2"));
    assert_null(strstr(o.out, "-w count -m single -n 1 --sleep-ms"));
    cb_out_free(&o);
}

/* A row of summary.csv by its key (workload, model, tasks, params). */
static size_t find_row(const struct csv *c, const char *w, const char *m, unsigned n,
                       const char *params)
{
    for (size_t r = 0; r < c->nrows; r++)
        if (is(csv_str(c, r, csv_col(c, "workload")), w) &&
            is(csv_str(c, r, csv_col(c, "model")), m) &&
            csv_uint(c, r, csv_col(c, "tasks")) == n &&
            is(csv_str(c, r, csv_col(c, "params")), params))
            return r;
    fail_msg("no row %s %s n=%u %s", w, m, n, params);
    return 0;
}

static void test_user_sweep_and_exports(void **state)
{
    (void)state;
    char out[256], dir[4096], path[8192];
    struct cb_out o;
    make_tmpdir(out, sizeof out);
    cb_run(&o, "sweep", "-w", "sleep,count", "-m", "single,threads", "--tasks", "2,4",
           "--set", "sleep-ms=1,3", "--set", "count=10000", "--runs", "3", "--no-hyperfine",
           "--seed", "19", "--out", out, NULL);
    if (o.status != 0)
        fail_msg("sweep exit %d: %s", o.status, o.err);
    cb_out_free(&o);
    latest_dir(out, dir, sizeof dir);

    /* summary.csv: part user; the swept option in params and in parameter_sleep-ms (empty for
     * count, which does not take it). */
    struct csv c;
    snprintf(path, sizeof path, "%s/summary.csv", dir);
    assert_int_equal(csv_load(path, &c), 0);
    assert_int_equal(c.nrows, 2 * 2 * 2 + 2 * 2);
    int cp = csv_col(&c, "parameter_sleep-ms");
    assert_true(cp >= 0);
    assert_true(csv_col(&c, "parameter_count") < 0);       /* one value: not a dimension */
    assert_true(cp > csv_col(&c, "workload_label"));      /* appended */
    for (size_t r = 0; r < c.nrows; r++) {
        assert_string_equal(csv_str(&c, r, csv_col(&c, "part")), "user");
        assert_int_equal(csv_uint(&c, r, csv_col(&c, "runs_ok")), 3);
        const char *w = csv_str(&c, r, csv_col(&c, "workload"));
        const char *p = csv_str(&c, r, csv_col(&c, "params"));
        const char *v = csv_str(&c, r, cp);
        if (is(w, "count")) {
            assert_string_equal(p, "count=10000");
            assert_string_equal(v, "");
        } else {
            assert_true(is(p, "sleep-ms=1") || is(p, "sleep-ms=3"));
            assert_string_equal(v, p + strlen("sleep-ms="));
        }
    }
    /* Speed-up is against the serial reference with the same N and options. */
    size_t s1 = find_row(&c, "sleep", "single", 4, "sleep-ms=3");
    size_t t1 = find_row(&c, "sleep", "threads", 4, "sleep-ms=3");
    double sp = csv_num(&c, t1, csv_col(&c, "speedup"));
    double want = csv_num(&c, s1, csv_col(&c, "median_s")) / csv_num(&c, t1, csv_col(&c, "median_s"));
    assert_true(fabs(sp - want) < 1e-3 * want);

    /* bench.json: one entry a cell, value = the cell's median in summary.csv. */
    char *text = slurp_in(dir, "bench.json"), err[128];
    struct json_value *b = json_parse(text, strlen(text), err, sizeof err);
    if (!b)
        fail_msg("bench.json is not JSON: %s", err);
    free(text);
    assert_int_equal(b->type, JSON_ARRAY);
    assert_int_equal(b->n, c.nrows);
    for (size_t k = 0; k < b->n; k++) {
        const struct json_value *e = &b->items[k];
        assert_string_equal(jstr(e, "unit"), "s");
        assert_non_null(strstr(jstr(e, "range"), "± "));
        assert_non_null(jstr(e, "extra"));
        char w[32], m[32], params[160] = "";
        unsigned n, j;
        int got = sscanf(jstr(e, "name"), "%31s %31s user n=%u j=%u %159s", w, m, &n, &j, params);
        assert_true(got >= 4);
        size_t r = find_row(&c, w, m, n, params);
        assert_int_equal(csv_uint(&c, r, csv_col(&c, "concurrency")), j);
        double med = csv_num(&c, r, csv_col(&c, "median_s"));
        assert_true(fabs(jnum(e, "value") - med) <= 1e-9 + 1e-6 * med);
    }
    json_free(b);

    /* headline.md: hyperfine's table, the headline subset (each workload x model at its
     * largest N), relative to the fastest of each table. */
    text = slurp_in(dir, "headline.md");
    assert_non_null(strstr(text, "| Command | Mean [ms] | Min [ms] | Max [ms] | Relative |"));
    assert_non_null(strstr(text, "|:---|---:|---:|---:|---:|"));
    assert_non_null(strstr(text, "| `concbench run -w sleep -m threads -n 4 --sleep-ms 1` | "));
    assert_non_null(strstr(text, "| `concbench run -w count -m single -n 4 --count 10000` | "));
    assert_null(strstr(text, "-n 2 "));
    unsigned ones = 0;
    for (const char *p = text; (p = strstr(p, "| 1.00 |")); p++)
        ones++;
    assert_int_equal(ones, 2);              /* one fastest a table: sleep, count */
    free(text);
    csv_free(&c);

    /* The folder lists them; the report draws the user charts. */
    text = slurp_in(dir, "metadata.json");
    assert_non_null(strstr(text, "\"bench.json\""));
    assert_non_null(strstr(text, "\"headline.md\""));
    free(text);
    cb_run(&o, "report", dir, NULL);
    if (o.status != 0)
        fail_msg("report exit %d: %s", o.status, o.err);
    cb_out_free(&o);
    assert_true(exists_in(dir, "user-sleep-tasks.png"));
    assert_true(exists_in(dir, "user-sleep-sleep-ms.png"));
    assert_true(exists_in(dir, "user-sleep-tasks.svg"));
    assert_true(exists_in(dir, "user-count-tasks.png"));
    assert_false(exists_in(dir, "user-count-sleep-ms.png"));
    assert_false(exists_in(dir, "user-sleep-concurrency.png"));  /* not swept */
    text = slurp_in(dir, "report.md");
    assert_non_null(strstr(text, "(user-sleep-sleep-ms.png)"));
    free(text);
    cb_rm_rf(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_user_sweep_usage),
        cmocka_unit_test(test_user_sweep_dry_run),
        cmocka_unit_test(test_user_sweep_and_exports),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
