/* test_sweep.c — `concbench sweep`: the CSV and JSON writers read back by parsers, files that
 * appear whole, the shuffle, the tiny test profile end to end, runs that fail, crash and hang,
 * and Ctrl-C in the middle of a sweep (and SIGINT/SIGTERM at random moments, then a report). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/atomic_file.h"
#include "harness/catalog.h"
#include "harness/cli.h"
#include "harness/sweep.h"
#include "models/model.h"
#include "runtime/clock.h"
#include "tests/helpers.h"
#include "workloads/workload.h"

/* ---- helpers ---- */

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t n = 0, cap = 0, r;
    char chunk[65536];
    while ((r = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (n + r + 1 > cap) {
            cap = (n + r + 1) * 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        memcpy(buf + n, chunk, r);
        n += r;
    }
    fclose(f);
    if (!buf)
        buf = calloc(1, 1);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

static char *slurp_in(const char *dir, const char *name)
{
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *t = slurp(path, NULL);
    if (!t)
        fail_msg("cannot read %s", path);
    return t;
}

static struct json_value *parse_file(const char *dir, const char *name)
{
    char err[128];
    char *t = slurp_in(dir, name);
    struct json_value *v = json_parse(t, strlen(t), err, sizeof err);
    if (!v)
        fail_msg("%s/%s is not JSON: %s", dir, name, err);
    free(t);
    return v;
}

/* Split one CSV line (RFC 4180 quotes) into at most max fields; returns the count. Fields are
 * malloc'd. */
static int csv_split(const char *line, char **fields, int max)
{
    int n = 0;
    const char *p = line;
    for (;;) {
        char buf[1024];
        size_t k = 0;
        if (*p == '"') {
            p++;
            while (*p && !(*p == '"' && p[1] != '"')) {
                if (*p == '"')
                    p++;
                if (k < sizeof buf - 1)
                    buf[k++] = *p;
                p++;
            }
            if (*p == '"')
                p++;
        } else {
            while (*p && *p != ',' && *p != '\n') {
                if (k < sizeof buf - 1)
                    buf[k++] = *p;
                p++;
            }
        }
        buf[k] = '\0';
        if (n < max)
            fields[n++] = strdup(buf);
        if (*p != ',')
            break;
        p++;
    }
    return n;
}

static void free_fields(char **f, int n)
{
    for (int k = 0; k < n; k++)
        free(f[k]);
}

/* The lines of text (without newlines), NULL-terminated; free the array and text together. */
static char **lines_of(char *text, size_t *count)
{
    size_t n = 0, cap = 16;
    char **out = malloc(cap * sizeof *out);
    char *save = NULL;
    for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        if (n + 2 > cap)
            out = realloc(out, (cap *= 2) * sizeof *out);
        out[n++] = l;
    }
    out[n] = NULL;
    *count = n;
    return out;
}

static void rm_rf(const char *dir)
{
    cb_rm_rf(dir);
}

static void make_tmpdir(char *buf, size_t len)
{
    snprintf(buf, len, "/tmp/concbench-test-sweep-XXXXXX");
    assert_non_null(mkdtemp(buf));
}

/* The run folder DIR/latest points at (a relative link), into buf. */
static void latest_dir(const char *out, char *buf, size_t len)
{
    char link[4096], target[1024];
    struct stat st;
    snprintf(link, sizeof link, "%s/latest", out);
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    ssize_t n = readlink(link, target, sizeof target - 1);
    assert_true(n > 0);
    target[n] = '\0';
    assert_null(strchr(target, '/'));           /* relative: the folder moves with it */
    snprintf(buf, len, "%s/%s", out, target);
    assert_int_equal(stat(buf, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
}

/* No temporary file is left in dir (names of the form .NAME.tmp.XXXXXX). */
static void assert_no_temp_files(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    assert_non_null(d);
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".tmp"))
            fail_msg("temporary file left: %s/%s", dir, e->d_name);
    closedir(d);
}

/* The index of column `name` in a CSV header line (readers find columns by name), or fail. */
static int col(const char *header, const char *name)
{
    char *f[64];
    int n = csv_split(header, f, 64), at = -1;
    for (int k = 0; k < n; k++)
        if (strcmp(f[k], name) == 0)
            at = k;
    free_fields(f, n);
    if (at < 0)
        fail_msg("no column %s in %s", name, header);
    return at;
}

static bool serial_model(const char *model)
{
    const struct model *m = model_find(model);
    return m && m->serial;
}

static bool waiting_workload(const char *workload)
{
    const struct workload *w = workload_find(workload);
    return w && w->kind->waits;
}

/* ---- writers ---- */

static void test_summary_csv_roundtrip(void **state)
{
    (void)state;
    struct sweep_row rows[2];
    memset(rows, 0, sizeof rows);
    rows[0] = (struct sweep_row){
        .workload = "sleep", .kind = "io", .model = "thread-pool", .part = "headline",
        .tasks = 16, .concurrency = 16, .runs_ok = 4, .runs_total = 5,
        .min_s = 0.0501, .median_s = 0.050625, .max_s = 0.0612, .cv = 0.0831,
        .speedup = 15.9876, .ideal_s = 0.05, .efficiency = 0.98765, .cpu_s = 0.0021,
        .max_rss_kb = 2048, .children_sum_rss_kb = 0, .ctx_voluntary = 33.5,
        .ctx_involuntary = 2, .server_cpu_s = NAN, .per_task_us = 3164.0625,
        .params = "sleep-ms=50", .model_order = 3, .model_rgb = 0x2ca02c, .serial = 0,
        .parallel = 16, .kind_order = 0, .kind_label = "I/O-bound", .workload_order = 1,
        .workload_label = "waits, \"then\" answers", .rss_per_task_kb = 12.5, .outliers = 1,
        .bimodal = 0, .cpu_share = 0.9512, .noise = "1 outlier; cpu 95 %",
        .loop_syscalls_per_task = 0.125, .loop_cpu_us_per_task = 1.5, .family = "",
    };
    rows[1] = (struct sweep_row){
        .workload = "odd,name \"quoted\"", .kind = "cpu", .model = "async", .part = "tasks",
        .tasks = 1, .concurrency = 1, .runs_ok = 0, .runs_total = 3,
        .min_s = NAN, .median_s = NAN, .max_s = NAN, .cv = NAN, .speedup = NAN,
        .ideal_s = NAN, .efficiency = NAN, .cpu_s = NAN, .max_rss_kb = NAN,
        .children_sum_rss_kb = NAN, .ctx_voluntary = NAN, .ctx_involuntary = NAN,
        .server_cpu_s = NAN, .per_task_us = NAN,
        .params = NULL, .model_order = -1, .model_rgb = -1, .serial = -1, .parallel = -1,
        .kind_order = -1, .kind_label = NULL, .workload_order = -1, .workload_label = NULL,
        .rss_per_task_kb = NAN, .outliers = -1, .bimodal = -1, .cpu_share = NAN, .noise = "",
        .loop_syscalls_per_task = NAN, .loop_cpu_us_per_task = NAN, .family = NULL,
    };
    char *buf = NULL;
    size_t len = 0, nl;
    FILE *f = open_memstream(&buf, &len);
    sweep_write_summary_csv(f, rows, 2);
    fclose(f);
    char **lines = lines_of(buf, &nl);
    assert_int_equal(nl, 3);
    assert_string_equal(lines[0],
        "workload,kind,model,part,tasks,concurrency,runs_ok,runs_total,min_s,median_s,max_s,cv,"
        "speedup,ideal_s,efficiency,cpu_s,max_rss_kb,children_sum_rss_kb,ctx_voluntary,"
        "ctx_involuntary,server_cpu_s,per_task_us,params,model_order,model_rgb,serial,parallel,"
        "kind_order,kind_label,workload_order,workload_label,rss_per_task_kb,outliers,bimodal,"
        "cpu_share,noise,loop_syscalls_per_task,loop_cpu_us_per_task,family");

    char *fl[40];
    int n = csv_split(lines[1], fl, 40);
    assert_int_equal(n, 39);
    assert_string_equal(fl[0], "sleep");
    assert_string_equal(fl[1], "io");
    assert_string_equal(fl[2], "thread-pool");
    assert_string_equal(fl[3], "headline");
    assert_int_equal(atoi(fl[4]), 16);
    assert_int_equal(atoi(fl[6]), 4);
    assert_int_equal(atoi(fl[7]), 5);
    const double want[] = { 0.0501, 0.050625, 0.0612, 0.0831, 15.9876, 0.05, 0.98765, 0.0021,
                            2048, 0, 33.5, 2 };
    for (int k = 0; k < 12; k++) {
        assert_null(strpbrk(fl[8 + k], "eE"));      /* plain decimals */
        if (fabs(strtod(fl[8 + k], NULL) - want[k]) > 1e-9)
            fail_msg("column %d: %s, expected %g", 8 + k, fl[8 + k], want[k]);
    }
    assert_string_equal(fl[20], "");                /* server_cpu_s unknown */
    assert_true(fabs(strtod(fl[21], NULL) - 3164.0625) < 1e-3);
    /* The appended columns, found by name. */
    assert_string_equal(fl[col(lines[0], "params")], "sleep-ms=50");
    assert_string_equal(fl[col(lines[0], "model_order")], "3");
    assert_int_equal(atol(fl[col(lines[0], "model_rgb")]), 0x2ca02c);
    assert_string_equal(fl[col(lines[0], "serial")], "0");
    assert_string_equal(fl[col(lines[0], "parallel")], "16");
    assert_string_equal(fl[col(lines[0], "kind_order")], "0");
    assert_string_equal(fl[col(lines[0], "kind_label")], "I/O-bound");
    assert_string_equal(fl[col(lines[0], "workload_order")], "1");
    assert_string_equal(fl[col(lines[0], "workload_label")], "waits, \"then\" answers");
    /* Memory per task in flight and the noise diagnosis, appended after the registry's. */
    assert_string_equal(fl[col(lines[0], "rss_per_task_kb")], "12.5");
    assert_string_equal(fl[col(lines[0], "outliers")], "1");
    assert_string_equal(fl[col(lines[0], "bimodal")], "0");
    assert_string_equal(fl[col(lines[0], "cpu_share")], "0.9512");
    assert_string_equal(fl[col(lines[0], "noise")], "1 outlier; cpu 95 %");
    /* The event loop's figures a task, and the family (the C models': ""). */
    assert_string_equal(fl[col(lines[0], "loop_syscalls_per_task")], "0.125");
    assert_string_equal(fl[col(lines[0], "loop_cpu_us_per_task")], "1.5");
    assert_string_equal(fl[col(lines[0], "family")], "");
    free_fields(fl, n);

    n = csv_split(lines[2], fl, 40);
    assert_int_equal(n, 39);
    assert_string_equal(fl[0], "odd,name \"quoted\"");
    assert_string_equal(fl[7], "3");
    for (int k = 8; k < 39; k++)
        assert_string_equal(fl[k], "");         /* unknown: empty, never 0 or -1 */
    free_fields(fl, n);
    free(lines);
    free(buf);
}

static void test_metadata_roundtrip(void **state)
{
    (void)state;
    char dir[64], path[128];
    struct sweep_plan plan;
    char err[128];
    make_tmpdir(dir, sizeof dir);
    assert_int_equal(sweep_plan_build("test", 0, 2, &plan, err, sizeof err), 0);
    struct sweep_tools tools;
    sweep_collect_tools(&tools);
    char *argv[] = { "sweep", "--profile", "test", NULL };
    struct sweep_meta m = {
        .tools = &tools, .profile = "test", .seed = 12345678901ULL, .runs = 2,
        .cells = (unsigned)plan.ncells, .cores = 2, .estimated_s = 1.5, .duration_s = 2.25,
        .partial = true, .signal = SIGINT, .runs_ok = 7, .runs_not_ok = 1,
        .started_utc = "2026-01-02T03:04:05Z", .stamp = "20260102T030405Z",
        .exe = "/x/concbench", .argc = 3, .argv = argv, .plan = &plan,
        .hyperfine_note = "a \"quoted\" note\nwith a line break",
    };
    snprintf(path, sizeof path, "%s/metadata.json", dir);
    assert_int_equal(sweep_write_metadata(path, &m), 0);
    struct json_value *v = parse_file(dir, "metadata.json");
    assert_string_equal(jstr(v, "profile"), "test");
    assert_true(jnum(v, "seed") == 12345678901.0);
    assert_true(jbool(v, "partial"));
    assert_string_equal(jstr(v, "interrupted_by"), "SIGINT");
    assert_string_equal(jstr(v, "hyperfine_note"), "a \"quoted\" note\nwith a line break");
    assert_true(jnum(v, "cells") == plan.ncells);
    const struct json_value *mach = json_get(v, "machine");
    assert_non_null(mach);
    assert_true(jnum(mach, "cores_online") >= 1);
    assert_non_null(strstr(jstr(mach, "kernel"), "."));
    const struct json_value *b = json_get(v, "build");
    assert_non_null(b);
    assert_non_null(strstr(jstr(b, "libcurl"), "libcurl/"));
    assert_true(strlen(jstr(b, "libpng")) >= 5);
    assert_true(strlen(jstr(b, "cflags")) > 0);
    const struct json_value *t = json_get(v, "tools");
    assert_non_null(t);
    assert_non_null(json_get(t, "hyperfine"));
    assert_non_null(json_get(v, "git"));
    const struct json_value *cmd = json_get(v, "command");
    assert_true(cmd && cmd->type == JSON_ARRAY && cmd->n == 4);
    assert_string_equal(cmd->items[3].string, "test");
    const struct json_value *wa = json_get(v, "workload_args");
    assert_non_null(wa);
    assert_string_equal(jstr(json_get(wa, "headline"), "sleep"), "--sleep-ms 1");
    json_free(v);
    assert_no_temp_files(dir);
    sweep_plan_free(&plan);
    rm_rf(dir);
}

static void test_atomic_file(void **state)
{
    (void)state;
    char dir[64], path[128], link[128], target[64];
    make_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/a.csv", dir);
    assert_int_equal(afile_write(path, "one\n", 4), 0);
    char *t = slurp(path, NULL);
    assert_string_equal(t, "one\n");
    free(t);

    /* An abandoned rewrite leaves the previous complete file. */
    struct afile a;
    assert_int_equal(afile_open(&a, path), 0);
    fputs("half of a new", a.f);
    fflush(a.f);
    t = slurp(path, NULL);
    assert_string_equal(t, "one\n");            /* not visible before the rename */
    free(t);
    afile_abort(&a);
    t = slurp(path, NULL);
    assert_string_equal(t, "one\n");
    free(t);

    assert_int_equal(afile_open(&a, path), 0);
    fputs("two\n", a.f);
    assert_int_equal(afile_commit(&a), 0);
    t = slurp(path, NULL);
    assert_string_equal(t, "two\n");
    free(t);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);

    /* The link is replaced, never missing. */
    snprintf(link, sizeof link, "%s/latest", dir);
    assert_int_equal(afile_symlink("first", link), 0);
    assert_int_equal(afile_symlink("second", link), 0);
    ssize_t n = readlink(link, target, sizeof target - 1);
    assert_true(n > 0);
    target[n] = '\0';
    assert_string_equal(target, "second");
    /* Never over a real folder. */
    snprintf(link, sizeof link, "%s/folder", dir);
    assert_int_equal(mkdir(link, 0755), 0);
    assert_int_equal(afile_symlink("x", link), -EISDIR);
    /* A folder that does not exist. */
    snprintf(path, sizeof path, "%s/missing/a.csv", dir);
    assert_int_equal(afile_write(path, "x", 1), -ENOENT);
    assert_no_temp_files(dir);
    rm_rf(dir);
}

static void test_shuffle(void **state)
{
    (void)state;
    enum { N = 200 };
    unsigned a[N], b[N], c[N];
    for (unsigned k = 0; k < N; k++)
        a[k] = b[k] = c[k] = k;
    sweep_shuffle(a, N, 42);
    sweep_shuffle(b, N, 42);
    sweep_shuffle(c, N, 43);
    assert_memory_equal(a, b, sizeof a);        /* the seed decides the order */
    assert_memory_not_equal(a, c, sizeof a);
    bool seen[N] = { false };
    unsigned fixed = 0;
    for (unsigned k = 0; k < N; k++) {
        assert_true(a[k] < N);
        assert_false(seen[a[k]]);
        seen[a[k]] = true;
        fixed += a[k] == k;
    }
    assert_true(fixed < N / 4);                 /* actually shuffled */
    uint64_t s1 = 7, s2 = 7;
    assert_true(sweep_splitmix64(&s1) == sweep_splitmix64(&s2));
    /* splitmix64's published first output for state 0. */
    uint64_t s0 = 0;
    assert_true(sweep_splitmix64(&s0) == 0xe220a8397b1dcdafULL);
}

/* ---- the sweep end to end ---- */

/* The rows the test profile must produce, from the same registries as the binary's. */
static void check_summary(const char *dir, const struct sweep_plan *plan, unsigned runs,
                          bool complete)
{
    char *text = slurp_in(dir, "summary.csv");
    size_t nl;
    char **lines = lines_of(text, &nl);
    assert_int_equal(nl, plan->ncells + 1);
    assert_string_equal(lines[0], sweep_summary_header);
    const char *h = lines[0];
    unsigned partial_rows = 0;
    for (size_t k = 0; k < plan->ncells; k++) {
        const struct sweep_cell *c = &plan->cells[k];
        const struct workload *w = workload_find(c->workload);
        const struct model *m = model_find(c->model);
        char *f[40], params[160];
        int n = csv_split(lines[k + 1], f, 40);
        assert_int_equal(n, 39);
        assert_string_equal(f[0], c->workload);
        assert_string_equal(f[1], w->kind->name);
        assert_string_equal(f[2], c->model);
        assert_string_equal(f[3], sweep_part_name(c->part));
        assert_int_equal(atoi(f[4]), c->tasks);
        assert_int_equal(atoi(f[5]), c->concurrency);
        /* The data contract's columns, from the registries. */
        catalog_params(w, m, c->args, params, sizeof params);
        assert_string_equal(f[col(h, "params")], params);
        assert_int_equal(atoi(f[col(h, "model_order")]), m->order);
        assert_int_equal(atol(f[col(h, "model_rgb")]), catalog_rgb(m->color));
        assert_int_equal(atoi(f[col(h, "serial")]), m->serial);
        assert_int_equal(atoi(f[col(h, "parallel")]), model_parallelism(m, w, c->concurrency));
        assert_int_equal(atoi(f[col(h, "kind_order")]), w->kind->order);
        assert_string_equal(f[col(h, "kind_label")], w->kind->label);
        assert_int_equal(atoi(f[col(h, "workload_order")]), w->order);
        assert_string_equal(f[col(h, "workload_label")], w->label ? w->label : "");
        unsigned ok = (unsigned)atoi(f[6]), total = (unsigned)atoi(f[7]);
        assert_true(ok <= total && total <= runs);
        if (complete) {
            if (ok != runs)
                fail_msg("%s x %s (%s, n=%u): %u of %u runs ok", c->workload, c->model, f[3],
                         c->tasks, ok, runs);
            double min = atof(f[8]), med = atof(f[9]), max = atof(f[10]);
            assert_true(min > 0 && min <= med && med <= max && max < 10);
            bool has_serial = false;
            for (size_t j = 0; j < plan->ncells; j++)
                has_serial |= serial_model(plan->cells[j].model) &&
                              strcmp(plan->cells[j].workload, c->workload) == 0 &&
                              plan->cells[j].tasks == c->tasks &&
                              strcmp(plan->cells[j].args, c->args) == 0;
            if (serial_model(c->model))
                assert_string_equal(f[12], "1");
            else if (has_serial)
                assert_true(atof(f[12]) > 0);
            else
                assert_string_equal(f[12], "");         /* no serial cell to compare with */
            if (waiting_workload(c->workload)) {
                /* 1 ms waits: the ideal is whole milliseconds, the efficiency at most ~1. */
                double ideal = atof(f[13]);
                assert_true(ideal >= 0.001);
                assert_true(fabs(ideal * 1000 - round(ideal * 1000)) < 1e-6);
                assert_true(atof(f[14]) > 0 && atof(f[14]) < 1.2);
            } else {
                /* CPU-bound: the ideal from t1, the serial reference's median per task for
                 * the same workload and params (its headline first, else its own part). */
                double t1 = NAN;
                for (int pass = 0; pass < 3 && isnan(t1); pass++)
                    for (size_t j = 0; j < plan->ncells && isnan(t1); j++) {
                        const struct sweep_cell *r = &plan->cells[j];
                        char *g[40];
                        if (!serial_model(r->model) || strcmp(r->workload, c->workload) != 0 ||
                            strcmp(r->args, c->args) != 0 ||
                            (pass == 0 && r->part != SWEEP_HEADLINE) ||
                            (pass == 1 && r->part != c->part))
                            continue;
                        int gn = csv_split(lines[j + 1], g, 40);
                        t1 = atof(g[9]) / r->tasks;
                        free_fields(g, gn);
                    }
                double want = catalog_ideal_s(w, m, c->args, c->tasks, c->concurrency,
                                              plan->cores, t1);
                if (isnan(want)) {
                    assert_string_equal(f[13], "");
                    assert_string_equal(f[14], "");
                } else {
                    if (fabs(atof(f[13]) - want) > 1e-6 * (1 + want))
                        fail_msg("%s x %s: ideal %s, expected %g", c->workload, c->model, f[13],
                                 want);
                    assert_true(atof(f[14]) > 0);
                }
            }
            assert_true(atof(f[16]) > 0);       /* max_rss_kb */
            assert_true(fabs(atof(f[21]) - med * 1e6 / c->tasks) < 0.01);
            /* The noise diagnosis, found by name: counts, a flag, a share, and a reason that
             * never holds a comma (gnuplot splits quoted fields too). rss_per_task_kb: from
             * the records, or empty for runs rebuilt from the journal. */
            const char *rss = f[col(h, "rss_per_task_kb")];
            assert_true(rss[0] == '\0' || atof(rss) >= 0);
            int outl = atoi(f[col(h, "outliers")]);
            assert_true(f[col(h, "outliers")][0] && outl >= 0 && outl <= (int)runs);
            assert_true(strcmp(f[col(h, "bimodal")], "0") == 0 ||
                        strcmp(f[col(h, "bimodal")], "1") == 0);
            assert_true(atof(f[col(h, "cpu_share")]) >= 0 && f[col(h, "cpu_share")][0]);
            assert_null(strchr(f[col(h, "noise")], ','));
            assert_true((outl > 0) == (strstr(f[col(h, "noise")], "outlier") != NULL));
        } else if (total < runs) {
            partial_rows++;
        }
        free_fields(f, n);
    }
    if (!complete)
        assert_true(partial_rows > 0);
    free(lines);
    free(text);
}

/* Every line of runs.jsonl parses; returns the number of lines, counts runs by status. */
static size_t check_jsonl(const char *dir, uint64_t seed, unsigned *ok, unsigned *interrupted)
{
    char *text = slurp_in(dir, "runs.jsonl");
    size_t nl;
    char **lines = lines_of(text, &nl);
    *ok = *interrupted = 0;
    for (size_t k = 0; k < nl; k++) {
        char err[128];
        struct json_value *v = json_parse(lines[k], strlen(lines[k]), err, sizeof err);
        if (!v)
            fail_msg("runs.jsonl line %zu: %s", k + 1, err);
        assert_true(jnum(v, "seed") == (double)seed);
        const struct json_value *argv = json_get(v, "argv");
        assert_true(argv && argv->type == JSON_ARRAY && argv->n >= 8);
        assert_string_equal(argv->items[1].string, "run");
        assert_string_equal(argv->items[argv->n - 1].string, "--json");
        /* Enough to rebuild the cell from the line alone. */
        assert_non_null(jstr(v, "part"));
        assert_non_null(jstr(v, "args"));
        assert_non_null(jstr(v, "params"));
        assert_non_null(jstr(v, "name"));
        assert_true(jnum(v, "jobs") >= 0 && jnum(v, "concurrency") >= 1);
        assert_true(jnum(v, "run") >= 0);
        const char *st = jstr(v, "status");
        const struct json_value *rec = json_get(v, "record");
        assert_non_null(rec);
        if (strcmp(st, "ok") == 0) {
            (*ok)++;
            assert_int_equal(rec->type, JSON_OBJECT);
            assert_string_equal(jstr(rec, "workload"), jstr(v, "workload"));
            assert_string_equal(jstr(rec, "model"), jstr(v, "model"));
            assert_true(jnum(rec, "tasks") == jnum(v, "tasks"));
            assert_true(jbool(rec, "verified"));
            assert_true(jnum(v, "wall_s") == jnum(rec, "wall_s"));
        } else if (strcmp(st, "interrupted") == 0) {
            (*interrupted)++;
        }
        json_free(v);
    }
    free(lines);
    free(text);
    return nl;
}

static void check_timeline(const char *dir, const struct sweep_plan *plan)
{
    char *text = slurp_in(dir, "timeline.csv");
    size_t nl;
    char **lines = lines_of(text, &nl);
    assert_string_equal(lines[0], "workload,model,task,start_s,end_s,status");
    unsigned tasks = 0;
    for (size_t k = 0; k < plan->ncells; k++)
        if (plan->cells[k].part == SWEEP_TIMELINE)
            tasks += plan->cells[k].tasks;
    assert_true(tasks > 0);
    /* The timeline cells, plus single (its own or the headline's). */
    assert_true(nl - 1 >= tasks);
    for (size_t k = 1; k < nl; k++) {
        char *f[8];
        int n = csv_split(lines[k], f, 8);
        assert_int_equal(n, 6);
        assert_true(atof(f[3]) >= 0 && atof(f[4]) >= atof(f[3]));
        assert_string_equal(f[5], "ok");
        free_fields(f, n);
    }
    free(lines);
    free(text);
}

static void test_sweep_test_profile(void **state)
{
    (void)state;
    char out[64], dir[4096], err[128];
    struct cb_out o;
    struct sweep_plan plan;
    make_tmpdir(out, sizeof out);
    assert_int_equal(sweep_plan_build("test", 2, cli_online_cpus(), &plan, err, sizeof err), 0);
    assert_true(plan.ncells >= 20);

    cb_run(&o, "sweep", "--profile", "test", "--out", out, "--seed", "4242", NULL);
    if (o.status != 0)
        fail_msg("sweep exited %d: %s", o.status, o.err);
    assert_true(o.seconds < 60);
    assert_non_null(strstr(o.err, "estimated duration"));
    assert_non_null(strstr(o.err, "cells"));
    latest_dir(out, dir, sizeof dir);
    assert_non_null(strstr(o.out, dir + strlen(out) + 1));   /* prints the folder */
    assert_int_equal(cb_count_children(), 0);

    check_summary(dir, &plan, 2, true);
    /* Memory per task in flight: every cell of a fresh sweep has it, from its records. */
    char *sum = slurp_in(dir, "summary.csv");
    size_t sl;
    char **sls = lines_of(sum, &sl);
    for (size_t k = 1; k < sl; k++) {
        char *f[40];
        int fn = csv_split(sls[k], f, 40);
        const char *r = f[col(sls[0], "rss_per_task_kb")];
        if (!r[0] || atof(r) < 0)
            fail_msg("no rss_per_task_kb: %s", sls[k]);
        free_fields(f, fn);
    }
    free(sls);
    free(sum);
    unsigned ok, intr;
    size_t n = check_jsonl(dir, 4242, &ok, &intr);
    assert_int_equal(n, plan.ncells * 3);       /* a warm-up and 2 runs per cell */
    assert_int_equal(ok, n);

    char *text = slurp_in(dir, "runs.csv");
    size_t nl;
    char **lines = lines_of(text, &nl);
    assert_string_equal(lines[0], "workload,model,part,tasks,concurrency,run,wall_s,ok,params");
    assert_int_equal(nl - 1, plan.ncells * 2);
    for (size_t k = 1; k < nl; k++) {
        char *f[10];
        int c = csv_split(lines[k], f, 10);
        assert_int_equal(c, 9);
        assert_true(atoi(f[5]) == 1 || atoi(f[5]) == 2);
        assert_string_equal(f[7], "1");
        assert_true(atof(f[6]) > 0);
        free_fields(f, c);
    }
    free(lines);
    free(text);

    check_timeline(dir, &plan);

    struct json_value *m = parse_file(dir, "metadata.json");
    assert_false(jbool(m, "partial"));
    assert_true(jnum(m, "seed") == 4242);
    assert_string_equal(jstr(m, "profile"), "test");
    assert_true(jnum(m, "runs_ok") == plan.ncells * 2);
    assert_true(jnum(m, "runs_not_ok") == 0);
    assert_true(jnum(m, "duration_s") > 0);
    assert_true(jnum(m, "estimated_s") > 0);
    bool hyperfine = json_get(json_get(m, "tools"), "hyperfine")->type == JSON_STRING;
    json_free(m);

    if (hyperfine) {
        /* One JSON file per headline cell, as hyperfine wrote it, and hyperfine.csv. */
        unsigned headline = 0;
        for (size_t k = 0; k < plan.ncells; k++) {
            const struct sweep_cell *c = &plan.cells[k];
            char name[256];
            if (c->part != SWEEP_HEADLINE)
                continue;
            headline++;
            snprintf(name, sizeof name, "hyperfine/%s-%s.json", c->workload, c->model);
            struct json_value *h = parse_file(dir, name);
            const struct json_value *res = json_get(h, "results");
            assert_true(res && res->type == JSON_ARRAY && res->n == 1);
            const struct json_value *times = json_get(&res->items[0], "times");
            assert_true(times && times->n == 2);
            assert_true(jnum(&res->items[0], "mean") > 0);
            json_free(h);
        }
        text = slurp_in(dir, "hyperfine.csv");
        lines = lines_of(text, &nl);
        assert_int_equal(nl - 1, headline);
        free(lines);
        free(text);
    }
    assert_no_temp_files(dir);
    assert_no_temp_files(out);
    cb_out_free(&o);
    sweep_plan_free(&plan);
    rm_rf(out);
}

/* Runs that fail, crash and hang are recorded as such, the sweep goes on, and exits 1. */
static void test_sweep_faults(void **state)
{
    (void)state;
    char out[64], dir[4096];
    struct cb_out o;
    make_tmpdir(out, sizeof out);
    /* Under a sanitizer a SIGSEGV would be reported and turned into exit 1: let the probe's
     * crash be a crash. */
    const char *vars[] = { "ASAN_OPTIONS", "TSAN_OPTIONS" };
    char *saved[2];
    for (int k = 0; k < 2; k++) {
        const char *cur = getenv(vars[k]);
        char opts[512];
        saved[k] = cur ? strdup(cur) : NULL;
        snprintf(opts, sizeof opts, "%s%shandle_segv=0", cur ? cur : "", cur ? ":" : "");
        setenv(vars[k], opts, 1);
    }
    cb_run(&o, "sweep", "--profile", "test-faults", "--out", out, "--seed", "1",
           "--run-timeout", "1", NULL);
    for (int k = 0; k < 2; k++) {
        if (saved[k])
            setenv(vars[k], saved[k], 1);
        else
            unsetenv(vars[k]);
        free(saved[k]);
    }
    if (o.status != 1)
        fail_msg("sweep exited %d: %s", o.status, o.err);
    assert_true(o.seconds < 30);
    assert_int_equal(cb_count_children(), 0);
    latest_dir(out, dir, sizeof dir);

    char *text = slurp_in(dir, "runs.jsonl");
    size_t nl;
    char **lines = lines_of(text, &nl);
    assert_int_equal(nl, 8);                    /* 4 cells x (warm-up + 1 run) */
    unsigned seen_ok = 0, seen_failed = 0, seen_crashed = 0, seen_timeout = 0;
    for (size_t k = 0; k < nl; k++) {
        char err[128];
        struct json_value *v = json_parse(lines[k], strlen(lines[k]), err, sizeof err);
        assert_non_null(v);
        const char *st = jstr(v, "status");
        seen_ok += strcmp(st, "ok") == 0;
        seen_failed += strcmp(st, "failed") == 0;
        if (strcmp(st, "crashed") == 0) {
            seen_crashed++;
            assert_string_equal(jstr(v, "signal"), strsignal(SIGSEGV));
        }
        if (strcmp(st, "timeout") == 0) {
            seen_timeout++;
            assert_true(jbool(v, "timed_out"));
            assert_true(jnum(v, "elapsed_s") < 5);
        }
        json_free(v);
    }
    assert_int_equal(seen_ok, 2);
    assert_int_equal(seen_failed, 2);
    assert_int_equal(seen_crashed, 2);
    assert_int_equal(seen_timeout, 2);
    free(lines);
    free(text);

    /* Only the working cell has statistics; the others count their run. */
    text = slurp_in(dir, "summary.csv");
    lines = lines_of(text, &nl);
    assert_int_equal(nl, 5);
    unsigned with_median = 0;
    for (size_t k = 1; k < nl; k++) {
        char *f[40];
        int n = csv_split(lines[k], f, 40);
        assert_int_equal(n, 39);
        assert_string_equal(f[7], "1");
        with_median += f[9][0] != '\0';
        assert_string_equal(f[6], f[9][0] ? "1" : "0");
        free_fields(f, n);
    }
    assert_int_equal(with_median, 1);
    free(lines);
    free(text);
    struct json_value *m = parse_file(dir, "metadata.json");
    assert_true(jnum(m, "runs_not_ok") == 3);
    assert_false(jbool(m, "partial"));
    json_free(m);
    cb_out_free(&o);
    rm_rf(out);
}

/* Start the binary with argv in the background, stdout/stderr into files in dir. */
static pid_t start_bg(char *const argv[], const char *dir)
{
    char path[256];
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        snprintf(path, sizeof path, "%s/stdout", dir);
        int fo = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        snprintf(path, sizeof path, "%s/stderr", dir);
        int fe = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int fi = open("/dev/null", O_RDONLY);
        dup2(fi, 0);
        dup2(fo, 1);
        dup2(fe, 2);
        execv(cb_path(), argv);
        _exit(127);
    }
    return pid;
}

/* Wait for pid at most `limit` seconds; returns its exit code (128 + signal), or -1. */
static int wait_for(pid_t pid, double limit)
{
    double until = clock_now() + limit;
    int st;
    while (clock_now() < until) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        usleep(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    return -1;
}

static void interrupt_sweep(int sig)
{
    char out[64], logs[64], dir[4096], err[128];
    struct sweep_plan plan;
    make_tmpdir(out, sizeof out);
    make_tmpdir(logs, sizeof logs);
    assert_int_equal(sweep_plan_build("test", 40, cli_online_cpus(), &plan, err, sizeof err),
                     0);
    char *argv[] = { (char *)cb_path(), "sweep", "--profile", "test", "--runs", "40", "--out",
                     out, "--seed", "99", NULL };
    pid_t pid = start_bg(argv, logs);
    /* Wait until runs are under way (the results folder exists), then about a second more. */
    double until = clock_now() + 20;
    DIR *d;
    for (;;) {
        struct dirent *e;
        bool found = false;
        assert_true(clock_now() < until);
        if ((d = opendir(out))) {
            while ((e = readdir(d)))
                found |= e->d_name[0] >= '0' && e->d_name[0] <= '9';
            closedir(d);
        }
        if (found)
            break;
        usleep(20000);
    }
    usleep(1000000);
    assert_int_equal(kill(pid, sig), 0);
    int code = wait_for(pid, 10);
    char path[128];
    snprintf(path, sizeof path, "%s/stderr", logs);
    char *log = slurp(path, NULL);
    if (code != 130)
        fail_msg("sweep exited %d after signal %d: %s", code, sig, log);
    /* Nothing left running: neither the run it was in nor anything that run started. */
    assert_int_equal(cb_count_children(), 0);
    assert_non_null(strstr(log, "INTERRUPTED"));
    free(log);

    latest_dir(out, dir, sizeof dir);
    struct json_value *m = parse_file(dir, "metadata.json");
    assert_true(jbool(m, "partial"));
    assert_string_equal(jstr(m, "interrupted_by"), sweep_signal_name(sig));
    unsigned done = (unsigned)jnum(m, "runs_ok");
    assert_true(done > 0 && done < plan.ncells * 40);
    assert_true(jnum(m, "runs_not_ok") == 0);
    json_free(m);
    char *partial = slurp_in(dir, "PARTIAL");
    assert_non_null(strstr(partial, "interrupted"));
    free(partial);

    check_summary(dir, &plan, 40, false);
    unsigned ok, intr;
    size_t n = check_jsonl(dir, 99, &ok, &intr);
    assert_true(intr <= 1);                     /* the run in flight, if any */
    assert_true(n >= ok + intr);
    char *text = slurp_in(dir, "runs.csv");
    size_t nl;
    char **lines = lines_of(text, &nl);
    assert_int_equal(nl - 1, done);             /* every completed measured run */
    free(lines);
    free(text);
    assert_no_temp_files(dir);
    sweep_plan_free(&plan);
    rm_rf(out);
    rm_rf(logs);
}

static void test_sweep_sigint(void **state)
{
    (void)state;
    interrupt_sweep(SIGINT);
}

static void test_sweep_sigterm(void **state)
{
    (void)state;
    interrupt_sweep(SIGTERM);
}

/* Closing the terminal of `make bench`: the same as Ctrl-C, not a loss. */
static void test_sweep_sighup(void **state)
{
    (void)state;
    interrupt_sweep(SIGHUP);
}

/* Every file of a run folder reads back: .json parses, each .jsonl line parses, each .csv row
 * has the header's field count and the file ends with a newline (no half row). Recurses into
 * sub-folders (hyperfine/). */
static void check_every_file(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    assert_non_null(d);
    while ((e = readdir(d))) {
        char path[8192], err[128];
        struct stat st;
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        assert_int_equal(lstat(path, &st), 0);
        if (S_ISDIR(st.st_mode)) {
            check_every_file(path);
            continue;
        }
        const char *ext = strrchr(e->d_name, '.');
        if (!ext)
            continue;
        size_t len;
        char *text = slurp(path, &len);
        assert_non_null(text);
        if (strcmp(ext, ".json") == 0) {
            struct json_value *v = json_parse(text, len, err, sizeof err);
            if (!v)
                fail_msg("%s is not JSON: %s", path, err);
            json_free(v);
        } else if (strcmp(ext, ".jsonl") == 0 || strcmp(ext, ".csv") == 0) {
            if (len > 0 && text[len - 1] != '\n')
                fail_msg("%s ends in the middle of a line", path);
            size_t nl;
            char **lines = lines_of(text, &nl);
            int header_fields = -1;
            for (size_t k = 0; k < nl; k++) {
                if (ext[1] == 'j') {
                    struct json_value *v = json_parse(lines[k], strlen(lines[k]), err,
                                                      sizeof err);
                    if (!v)
                        fail_msg("%s line %zu: %s", path, k + 1, err);
                    json_free(v);
                } else {
                    char *f[64];
                    int n = csv_split(lines[k], f, 64);
                    free_fields(f, n);
                    if (header_fields < 0)
                        header_fields = n;
                    else if (n != header_fields)
                        fail_msg("%s row %zu: %d fields, the header has %d", path, k + 1, n,
                                 header_fields);
                }
            }
            free(lines);
        }
        free(text);
    }
    closedir(d);
}

/* SIGINT, SIGTERM and SIGHUP at moments drawn from a few seeds, from the sweep's first instant (during
 * calibration, before any folder exists) to well into its runs: exit 130, no process left, and
 * when a run folder was made, every file in it whole, the summary marked partial and
 * `concbench report` (what make plots runs) drawing from it. */
static void test_sweep_interrupt_random(void **state)
{
    (void)state;
    static const uint32_t seeds[] = { 1, 7, 42, 1234, 99991, 31337 };
    for (size_t s = 0; s < sizeof seeds / sizeof seeds[0]; s++) {
        char out[64], logs[64], dir[4096], path[4200];
        uint32_t x = seeds[s] * 2654435761u;
        x ^= x >> 15;
        x *= 2246822519u;
        x ^= x >> 13;
        const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
        int sig = sigs[s % 3];
        double delay = (double)(x % 3000) / 1000.0;   /* 0 to 3 s after the start */
        make_tmpdir(out, sizeof out);
        make_tmpdir(logs, sizeof logs);
        char *argv[] = { (char *)cb_path(), "sweep", "--profile", "test", "--runs", "40",
                         "--out", out, "--seed", "5", NULL };
        pid_t pid = start_bg(argv, logs);
        usleep((useconds_t)(delay * 1e6));
        assert_int_equal(kill(pid, sig), 0);
        int code = wait_for(pid, 15);
        snprintf(path, sizeof path, "%s/stderr", logs);
        char *log = slurp(path, NULL);
        print_message("seed %u: %s after %.3f s: exit %d\n", seeds[s], sweep_signal_name(sig),
                      delay, code);
        if (code != 130)
            fail_msg("seed %u: sweep exited %d after %s at %.3f s: %s", seeds[s], code,
                     sweep_signal_name(sig), delay, log);
        free(log);
        assert_int_equal(cb_count_children(), 0);

        snprintf(path, sizeof path, "%s/latest", out);
        struct stat st;
        if (lstat(path, &st) != 0) {
            /* Interrupted before the plan ran: no folder, nothing to read. */
            DIR *d = opendir(out);
            struct dirent *e;
            assert_non_null(d);
            while ((e = readdir(d)))
                if (e->d_name[0] != '.')
                    fail_msg("seed %u: %s/%s left without a latest link", seeds[s], out,
                             e->d_name);
            closedir(d);
        } else {
            latest_dir(out, dir, sizeof dir);
            check_every_file(dir);
            struct json_value *m = parse_file(dir, "metadata.json");
            assert_true(jbool(m, "partial"));
            assert_string_equal(jstr(m, "interrupted_by"), sweep_signal_name(sig));
            json_free(m);
            char *partial = slurp_in(dir, "PARTIAL");
            assert_non_null(strstr(partial, "interrupted"));
            free(partial);
            assert_no_temp_files(dir);
            struct cb_out o;
            cb_run(&o, "report", dir, NULL);
            if (o.status != 0)
                fail_msg("seed %u: report on the partial folder: exit %d: %s", seeds[s],
                         o.status, o.err);
            snprintf(path, sizeof path, "%s/report.md", dir);
            assert_int_equal(access(path, R_OK), 0);
            cb_out_free(&o);
            assert_int_equal(cb_count_children(), 0);
        }
        rm_rf(out);
        rm_rf(logs);
    }
}

/* ---- durability: kill -9, resume, a full disk, a bad --out ---- */

/* The run folder a sweep is writing in out (the one entry named by its stamp), into buf;
 * false while there is none. */
static bool find_run_dir(const char *out, char *buf, size_t len)
{
    DIR *d = opendir(out);
    struct dirent *e;
    bool found = false;
    if (!d)
        return false;
    while ((e = readdir(d)))
        if (e->d_name[0] >= '0' && e->d_name[0] <= '9' && !found) {
            snprintf(buf, len, "%s/%s", out, e->d_name);
            found = true;
        }
    closedir(d);
    return found;
}

static size_t count_lines(const char *path)
{
    size_t len, n = 0;
    char *t = slurp(path, &len);
    for (size_t k = 0; t && k < len; k++)
        n += t[k] == '\n';
    free(t);
    return n;
}

/* Start a sweep of the test profile in the background and SIGKILL it once its journal holds
 * `lines` lines; its run folder into dir. Orphaned runs are reaped. */
static void sweep_then_kill9(const char *out, const char *logs, const char *runs,
                             const char *seed, size_t lines, char *dir, size_t len)
{
    char *argv[] = { (char *)cb_path(), "sweep", "--profile", "test", "--runs", (char *)runs,
                     "--out", (char *)out, "--seed", (char *)seed, "--no-hyperfine", NULL };
    char journal[4200];
    pid_t pid = start_bg(argv, logs);
    double until = clock_now() + 60;
    for (;;) {
        if (clock_now() > until) {
            kill(pid, SIGKILL);
            fail_msg("the sweep journaled fewer than %zu runs in 60 s", lines);
        }
        if (find_run_dir(out, dir, len)) {
            snprintf(journal, sizeof journal, "%s/runs.jsonl", dir);
            if (count_lines(journal) >= lines)
                break;
        }
        usleep(5000);
    }
    assert_int_equal(kill(pid, SIGKILL), 0);
    assert_int_equal(wait_for(pid, 10), 128 + SIGKILL);
    /* The run it was in goes on as an orphan of ours (we are its subreaper) and ends. */
    double reap_until = clock_now() + 20;
    while (clock_now() < reap_until) {
        pid_t r = waitpid(-1, NULL, WNOHANG);
        if (r < 0 && errno == ECHILD)
            break;
        if (r <= 0)
            usleep(10000);
    }
    assert_int_equal(cb_count_children(), 0);
}

/* Every file metadata.json lists is in dir. */
static void check_listed_files(const char *dir)
{
    struct json_value *m = parse_file(dir, "metadata.json");
    const struct json_value *files = json_get(m, "files");
    assert_true(files && files->type == JSON_ARRAY && files->n >= 4);
    for (size_t k = 0; k < files->n; k++) {
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, files->items[k].string);
        if (access(path, F_OK) != 0)
            fail_msg("metadata.json lists %s, which is not there", files->items[k].string);
    }
    json_free(m);
}

/* The measured runs in a journal: how many lines, how many measured non-interrupted runs and
 * how many of those ok. */
static void journal_counts(const char *dir, size_t *lines, unsigned *measured, unsigned *ok)
{
    char *text = slurp_in(dir, "runs.jsonl");
    size_t nl;
    char **l = lines_of(text, &nl);
    *lines = nl;
    *measured = *ok = 0;
    for (size_t k = 0; k < nl; k++) {
        char err[128];
        struct json_value *v = json_parse(l[k], strlen(l[k]), err, sizeof err);
        if (!v)
            fail_msg("runs.jsonl line %zu: %s", k + 1, err);
        if (jnum(v, "run") > 0 && strcmp(jstr(v, "status"), "interrupted") != 0) {
            (*measured)++;
            *ok += strcmp(jstr(v, "status"), "ok") == 0;
        }
        json_free(v);
    }
    free(l);
    free(text);
}

/* Call sweep_rebuild with stderr into a file; returns its result, stderr's text in *log. */
static int rebuild_capturing(const char *dir, const char *logs, char **log, char *err,
                             size_t errlen)
{
    char path[256];
    snprintf(path, sizeof path, "%s/rebuild.err", logs);
    fflush(stderr);
    int saved = dup(2), fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(saved >= 0 && fd >= 0);
    dup2(fd, 2);
    close(fd);
    int rc = sweep_rebuild(dir, err, errlen);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    *log = slurp(path, NULL);
    return rc;
}

/* kill -9 mid-sweep: whole lines survive, a cut last line is left out with a warning, and
 * sweep_rebuild makes summary.csv (and the rest) from the runs journaled so far. */
static void test_sweep_kill9_rebuild(void **state)
{
    (void)state;
    char out[64], logs[64], dir[4096], path[4200], err[256];
    struct sweep_plan plan;
    make_tmpdir(out, sizeof out);
    make_tmpdir(logs, sizeof logs);
    assert_int_equal(sweep_plan_build("test", 40, cli_online_cpus(), &plan, err, sizeof err),
                     0);
    sweep_then_kill9(out, logs, "40", "11", 12, dir, sizeof dir);
    snprintf(path, sizeof path, "%s/summary.csv", dir);
    assert_int_equal(access(path, F_OK), -1);           /* the sweep never got to its end */
    snprintf(path, sizeof path, "%s/plan.json", dir);
    assert_int_equal(access(path, F_OK), 0);            /* written before the first run */

    size_t lines;
    unsigned measured, ok;
    journal_counts(dir, &lines, &measured, &ok);
    assert_true(lines >= 12 && measured > 0 && measured < plan.ncells * 40);
    check_every_file(dir);                      /* a whole line per run, even after kill -9 */
    /* What a kill in the middle of a write would leave: half a line. */
    snprintf(path, sizeof path, "%s/runs.jsonl", dir);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    FILE *f = fopen(path, "a");
    assert_non_null(f);
    fputs("{\"sweep_schema\":2,\"seed\":11,\"order\":99,\"cell\":0,\"part\":\"head", f);
    fclose(f);

    char *log = NULL;
    int rc = rebuild_capturing(dir, logs, &log, err, sizeof err);
    if (rc != 0)
        fail_msg("sweep_rebuild: %s", err);
    assert_non_null(strstr(log, "cut"));                /* the warning */
    free(log);
    assert_int_equal(truncate(path, st.st_size), 0);    /* the half line off again */
    check_summary(dir, &plan, 40, false);
    /* Every journaled measured run is counted in its cell, and only those. */
    char *text = slurp_in(dir, "summary.csv");
    size_t nl;
    char **l = lines_of(text, &nl);
    unsigned total = 0, total_ok = 0;
    for (size_t k = 1; k < nl; k++) {
        char *fl[40];
        int n = csv_split(l[k], fl, 40);
        total_ok += (unsigned)atoi(fl[6]);
        total += (unsigned)atoi(fl[7]);
        free_fields(fl, n);
    }
    assert_int_equal(total, measured);
    assert_int_equal(total_ok, ok);
    free(l);
    free(text);
    text = slurp_in(dir, "runs.csv");
    l = lines_of(text, &nl);
    assert_string_equal(l[0], sweep_runs_header);
    assert_int_equal(nl - 1, measured);
    free(l);
    free(text);

    struct json_value *m = parse_file(dir, "metadata.json");
    assert_true(jbool(m, "partial"));
    assert_true(jbool(m, "rebuilt_from_journal"));
    assert_true(jnum(m, "seed") == 11);
    assert_true(jnum(m, "runs_ok") == ok);
    json_free(m);
    char *partial = slurp_in(dir, "PARTIAL");
    assert_non_null(strstr(partial, "runs.jsonl"));
    free(partial);
    check_listed_files(dir);
    check_every_file(dir);
    assert_no_temp_files(dir);
    /* The charts and report.md draw from the rebuilt folder. */
    struct cb_out o;
    cb_run(&o, "report", dir, NULL);
    if (o.status != 0)
        fail_msg("report on the rebuilt folder: exit %d: %s", o.status, o.err);
    snprintf(path, sizeof path, "%s/report.md", dir);
    assert_int_equal(access(path, R_OK), 0);
    cb_out_free(&o);
    assert_int_equal(cb_count_children(), 0);
    /* Rebuilding again gives the same summary. */
    char *before = slurp_in(dir, "summary.csv");
    assert_int_equal(rebuild_capturing(dir, logs, &log, err, sizeof err), 0);
    free(log);
    char *after = slurp_in(dir, "summary.csv");
    assert_string_equal(before, after);
    free(before);
    free(after);

    /* Without plan.json the journal's lines alone name the cells. */
    snprintf(path, sizeof path, "%s/plan.json", dir);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(rebuild_capturing(dir, logs, &log, err, sizeof err), 0);
    free(log);
    text = slurp_in(dir, "summary.csv");
    l = lines_of(text, &nl);
    assert_true(nl >= 2 && nl <= plan.ncells + 1);
    total = 0;
    for (size_t k = 1; k < nl; k++) {
        char *fl[40];
        int n = csv_split(l[k], fl, 40);
        assert_int_equal(n, 39);
        total += (unsigned)atoi(fl[7]);
        free_fields(fl, n);
    }
    assert_int_equal(total, measured);
    free(l);
    free(text);
    /* No journal: an error, nothing written. */
    assert_int_equal(sweep_rebuild(logs, err, sizeof err), -ENOENT);
    sweep_plan_free(&plan);
    rm_rf(out);
    rm_rf(logs);
}

/* kill -9, then `concbench report DIR` alone: the report rebuilds the summary from the
 * journal (no call to sweep_rebuild by hand), marks the folder partial and draws from it. */
static void test_report_rebuilds_killed_sweep(void **state)
{
    (void)state;
    char out[64], logs[64], dir[4096], path[4200];
    make_tmpdir(out, sizeof out);
    make_tmpdir(logs, sizeof logs);
    sweep_then_kill9(out, logs, "40", "12", 12, dir, sizeof dir);
    snprintf(path, sizeof path, "%s/summary.csv", dir);
    assert_int_equal(access(path, F_OK), -1);
    struct cb_out o;
    cb_run(&o, "report", "--no-charts", dir, NULL);
    if (o.status != 0)
        fail_msg("report on a killed sweep: exit %d: %s", o.status, o.err);
    assert_non_null(strstr(o.out, "rebuilt"));
    cb_out_free(&o);
    assert_int_equal(access(path, R_OK), 0);
    snprintf(path, sizeof path, "%s/PARTIAL", dir);
    assert_int_equal(access(path, R_OK), 0);
    snprintf(path, sizeof path, "%s/report.md", dir);
    assert_int_equal(access(path, R_OK), 0);
    check_every_file(dir);
    assert_no_temp_files(dir);
    /* A second report finds the summary newer than the journal: nothing is rebuilt. */
    cb_run(&o, "report", "--no-charts", dir, NULL);
    assert_int_equal(o.status, 0);
    assert_null(strstr(o.out, "rebuilt"));
    cb_out_free(&o);
    rm_rf(out);
    rm_rf(logs);
}

/* kill -9, then `sweep --resume DIR`: the same seed and order, every run of the plan exactly
 * once, a complete folder. */
static void test_sweep_resume(void **state)
{
    (void)state;
    char out[64], logs[64], dir[4096], latest[4096], path[4200], err[256];
    struct sweep_plan plan;
    const unsigned runs = 3;
    const uint64_t seed = 18446744073709551557ULL;     /* beyond a double's exact integers */
    make_tmpdir(out, sizeof out);
    make_tmpdir(logs, sizeof logs);
    assert_int_equal(sweep_plan_build("test", runs, cli_online_cpus(), &plan, err, sizeof err),
                     0);
    sweep_then_kill9(out, logs, "3", "18446744073709551557", 10, dir, sizeof dir);
    snprintf(path, sizeof path, "%s/runs.jsonl", dir);
    FILE *f = fopen(path, "a");
    assert_non_null(f);
    fputs("{\"sweep_schema\":2,\"se", f);         /* a cut last line */
    fclose(f);

    struct cb_out o;
    cb_run(&o, "sweep", "--resume", dir, "--seed", "1", NULL);
    assert_int_equal(o.status, 2);                  /* the folder decides the seed */
    cb_out_free(&o);
    cb_run(&o, "sweep", "--resume", dir, "--no-hyperfine", NULL);
    if (o.status != 0)
        fail_msg("sweep --resume exited %d: %s", o.status, o.err);
    assert_non_null(strstr(o.err, "resuming"));
    assert_non_null(strstr(o.err, "cut"));
    assert_int_equal(cb_count_children(), 0);
    latest_dir(out, latest, sizeof latest);
    char rd[4096], rl[4096];
    assert_non_null(realpath(dir, rd));
    assert_non_null(realpath(latest, rl));
    assert_string_equal(rd, rl);
    assert_non_null(strstr(o.out, rd));
    cb_out_free(&o);

    check_summary(dir, &plan, runs, true);
    unsigned okc, intr;
    check_jsonl(dir, seed, &okc, &intr);            /* every line whole: the cut one is gone */
    /* The measured runs in the journal are the seed's order, each (cell, run) once. */
    size_t n = plan.ncells * runs, got = 0;
    unsigned *order = calloc(n, sizeof *order);
    for (size_t k = 0; k < n; k++)
        order[k] = (unsigned)k;
    sweep_shuffle(order, n, seed);
    char *text = slurp_in(dir, "runs.jsonl");
    size_t nl;
    char **l = lines_of(text, &nl);
    for (size_t k = 0; k < nl; k++) {
        struct json_value *v = json_parse(l[k], strlen(l[k]), err, sizeof err);
        assert_non_null(v);
        if (jnum(v, "run") > 0 && strcmp(jstr(v, "status"), "interrupted") != 0) {
            assert_true(got < n);
            unsigned want_cell = order[got] / runs, want_run = order[got] % runs + 1;
            if (jnum(v, "cell") != want_cell || jnum(v, "run") != want_run)
                fail_msg("journal line %zu: cell %g run %g, the order says cell %u run %u",
                         k + 1, jnum(v, "cell"), jnum(v, "run"), want_cell, want_run);
            got++;
        }
        json_free(v);
    }
    assert_int_equal(got, n);
    free(l);
    free(text);
    free(order);

    struct json_value *m = parse_file(dir, "metadata.json");
    assert_false(jbool(m, "partial"));
    assert_false(jbool(m, "rebuilt_from_journal"));
    assert_true(jnum(m, "resumed") == 1);
    assert_true(jnum(m, "seed") == seed);
    assert_true(jnum(m, "runs_ok") == n);
    json_free(m);
    snprintf(path, sizeof path, "%s/PARTIAL", dir);
    assert_int_equal(access(path, F_OK), -1);
    check_listed_files(dir);
    check_every_file(dir);
    assert_no_temp_files(dir);
    /* models.csv and workloads.csv beside summary.csv. */
    text = slurp_in(dir, "models.csv");
    assert_non_null(strstr(text, "name,order,color"));
    free(text);
    text = slurp_in(dir, "workloads.csv");
    assert_non_null(strstr(text, "name,kind"));
    free(text);
    /* Resuming a complete sweep runs nothing. */
    char *journal = slurp_in(dir, "runs.jsonl");
    cb_run(&o, "sweep", "--resume", dir, NULL);
    assert_int_equal(o.status, 0);
    assert_non_null(strstr(o.err, "complete"));
    cb_out_free(&o);
    text = slurp_in(dir, "runs.jsonl");
    assert_string_equal(text, journal);
    free(text);
    free(journal);
    sweep_plan_free(&plan);
    rm_rf(out);
    rm_rf(logs);
}

/* --out that cannot be a results folder fails at once, before any calibration. */
static void test_sweep_bad_out(void **state)
{
    (void)state;
    struct cb_out o;
    cb_run(&o, "sweep", "--profile", "test", "--out", "/etc/passwd", NULL);
    assert_int_equal(o.status, 2);
    assert_non_null(strstr(o.err, "not a folder"));
    assert_null(strstr(o.err, "calibrating"));
    assert_true(o.seconds < 5);
    cb_out_free(&o);
    cb_run(&o, "sweep", "--profile", "test", "--out", "/etc/passwd/sub", NULL);
    assert_int_equal(o.status, 3);
    assert_null(strstr(o.err, "calibrating"));
    cb_out_free(&o);
    cb_run(&o, "sweep", "--profile", "test", "--out", "/proc", NULL);
    assert_int_equal(o.status, 3);                  /* a folder nothing can be written in */
    assert_non_null(strstr(o.err, "cannot write results in '/proc'"));
    assert_null(strstr(o.err, "calibrating"));
    cb_out_free(&o);
    cb_run(&o, "sweep", "--resume", "/nonexistent/sweep", NULL);
    assert_int_equal(o.status, 3);
    cb_out_free(&o);
    cb_run(&o, "sweep", "--resume", "/tmp", NULL);  /* not a sweep's folder: no plan.json */
    assert_int_equal(o.status, 3);
    assert_non_null(strstr(o.err, "plan.json"));
    cb_out_free(&o);
}

/* A sweep onto a full disk (a 64 KiB tmpfs in a private mount namespace) stops at the first
 * failed write with exit 3 and a clear message, and no metadata.json claims a file that is
 * not there. Needs root and unshare(1); skipped, with the reason, otherwise. */
static void test_sweep_full_disk(void **state)
{
    (void)state;
    char logs[64], script[4096], path[8400], err[256];
    struct cb_out o;
    if (geteuid() != 0) {
        print_message("SKIPPED test_sweep_full_disk: needs root for a tmpfs mount\n");
        skip();
    }
    char *unshare = access("/usr/bin/unshare", X_OK) == 0 ? "/usr/bin/unshare" : "/bin/unshare";
    char *probe[] = { unshare, "-m", "true", NULL };
    if (access(unshare, X_OK) != 0 || cb_runv(&o, probe) != 0 || o.status != 0) {
        if (access(unshare, X_OK) == 0)
            cb_out_free(&o);
        print_message("SKIPPED test_sweep_full_disk: unshare -m is not available or not "
                      "allowed here\n");
        skip();
    }
    cb_out_free(&o);
    make_tmpdir(logs, sizeof logs);
    snprintf(script, sizeof script,
             "mkdir -p %s/mnt %s/copy && mount -t tmpfs -o size=64k tmpfs %s/mnt || exit 97\n"
             "%s sweep --profile test --runs 40 --seed 3 --no-hyperfine --out %s/mnt/out "
             ">%s/stdout 2>%s/stderr\n"
             "echo $? >%s/rc\n"
             "cp -a %s/mnt/out/. %s/copy/\n",
             logs, logs, logs, cb_path(), logs, logs, logs, logs, logs, logs);
    char *argv[] = { unshare, "-m", "/bin/sh", "-c", script, NULL };
    cb_runv(&o, argv);
    if (o.status == 97) {
        print_message("SKIPPED test_sweep_full_disk: cannot mount a tmpfs: %s\n", o.err);
        cb_out_free(&o);
        rm_rf(logs);
        skip();
    }
    assert_true(o.seconds < 120);
    cb_out_free(&o);
    char *rc = slurp_in(logs, "rc");
    snprintf(path, sizeof path, "%s/stderr", logs);
    char *log = slurp(path, NULL);
    if (atoi(rc) != 3)
        fail_msg("sweep on a full disk exited %s: %s", rc, log);
    assert_non_null(strstr(log, strerror(ENOSPC)));
    assert_non_null(strstr(log, "runs.jsonl"));
    free(rc);
    free(log);

    char copy[4200], dir[4096];
    snprintf(copy, sizeof copy, "%s/copy", logs);
    assert_true(find_run_dir(copy, dir, sizeof dir));
    /* No metadata claiming files (it would not fit anyway), and no latest link. */
    snprintf(path, sizeof path, "%s/metadata.json", dir);
    if (access(path, F_OK) == 0)
        check_listed_files(dir);
    snprintf(path, sizeof path, "%s/latest", copy);
    assert_int_equal(access(path, F_OK), -1);
    /* The journal holds whole lines only: the one that did not fit was cut off again. */
    size_t lines;
    unsigned measured, ok;
    journal_counts(dir, &lines, &measured, &ok);
    assert_true(lines > 0);
    check_every_file(dir);
    /* Once there is room (here: the copy), the runs journaled are not lost. */
    assert_int_equal(sweep_rebuild(dir, err, sizeof err), 0);
    snprintf(path, sizeof path, "%s/summary.csv", dir);
    assert_int_equal(access(path, R_OK), 0);
    rm_rf(logs);
}

static void test_sweep_usage(void **state)
{
    (void)state;
    struct cb_out o;
    cb_run(&o, "sweep", "--profile", "huge", NULL);
    assert_int_equal(o.status, 2);
    assert_non_null(strstr(o.err, "unknown profile 'huge'"));
    cb_out_free(&o);
    cb_run(&o, "sweep", "--runs", "0", NULL);
    assert_int_equal(o.status, 2);
    assert_non_null(strstr(o.err, "--runs"));
    cb_out_free(&o);
    cb_run(&o, "sweep", "--seed", "-3", NULL);
    assert_int_equal(o.status, 2);
    cb_out_free(&o);
    cb_run(&o, "sweep", "extra", NULL);
    assert_int_equal(o.status, 2);
    cb_out_free(&o);
    cb_run(&o, "sweep", "--help", NULL);
    assert_int_equal(o.status, 0);
    assert_non_null(strstr(o.out, "--profile"));
    cb_out_free(&o);
    /* A results folder that cannot be created: exit 3, nothing run. */
    cb_run(&o, "sweep", "--profile", "test", "--out", "/proc/no/such/place", NULL);
    assert_int_equal(o.status, 3);
    cb_out_free(&o);
}

/* The plan names every pair: nothing in the default and quick profiles is skipped once all
 * workloads and models are registered, and the quick profile covers all of them. */
static void test_plans(void **state)
{
    (void)state;
    struct sweep_plan plan;
    char err[128];
    const char *names[] = { "default", "quick" };
    for (int k = 0; k < 2; k++) {
        assert_int_equal(sweep_plan_build(names[k], 0, 2, &plan, err, sizeof err), 0);
        unsigned headline = 0, pairs_seen = 0;
        for (size_t i = 0; i < plan.ncells; i++) {
            const struct sweep_cell *c = &plan.cells[i];
            headline += c->part == SWEEP_HEADLINE;
            if (c->part == SWEEP_HEADLINE) {
                assert_int_equal(c->tasks, 16);
                assert_int_equal(c->concurrency, serial_model(c->model) ? 1
                                                 : waiting_workload(c->workload) ? 16 : 2);
                assert_true(c->hyperfine);
            }
            bool contended = strcmp(workload_find(c->workload)->kind->name, "contended") == 0;
            if (c->part == SWEEP_CONCURRENCY)
                assert_int_equal(c->tasks, waiting_workload(c->workload) ? 64
                                           : contended ? 16 : k == 0 ? 8 : 4);
            if (c->part == SWEEP_OVERHEAD)      /* no-op tasks: count 0, or a 0 ms sleep */
                assert_true(strstr(c->args, "--count 0") || strstr(c->args, "--sleep-ms 0"));
        }
        pairs_seen = headline + plan.nskipped;
        unsigned nmodels = 0, nworkloads = 0;
        for (const struct model *const *m = models; *m; m++)
            nmodels++;
        for (const struct workload *const *w = workloads; *w; w++)
            nworkloads += !(*w)->hidden;
        /* Every registered pair, measured or reported as skipped. */
        assert_int_equal(pairs_seen, nmodels * nworkloads);
        assert_int_equal(plan.runs, k == 0 ? 5 : 3);
        sweep_plan_free(&plan);
    }
    assert_int_equal(sweep_plan_build("nope", 0, 2, &plan, err, sizeof err), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_summary_csv_roundtrip),
        cmocka_unit_test(test_metadata_roundtrip),
        cmocka_unit_test(test_atomic_file),
        cmocka_unit_test(test_shuffle),
        cmocka_unit_test(test_plans),
        cmocka_unit_test(test_sweep_usage),
        cmocka_unit_test(test_sweep_test_profile),
        cmocka_unit_test(test_sweep_faults),
        cmocka_unit_test(test_sweep_sigint),
        cmocka_unit_test(test_sweep_sigterm),
        cmocka_unit_test(test_sweep_sighup),
        cmocka_unit_test(test_sweep_bad_out),
        cmocka_unit_test(test_sweep_kill9_rebuild),
        cmocka_unit_test(test_report_rebuilds_killed_sweep),
        cmocka_unit_test(test_sweep_resume),
        cmocka_unit_test(test_sweep_full_disk),
        cmocka_unit_test(test_sweep_interrupt_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
