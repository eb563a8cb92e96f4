/* test_plots.c — the gnuplot chart scripts on the hand-made fixture upgraded to the registry
 * columns (each draws a non-empty PNG and SVG and prints nothing on stderr), `concbench report`
 * end to end (an old folder is upgraded; a model the binary does not know appears in every chart
 * and table from its rows alone), and the report's findings on fixtures whose answers are known. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/catalog.h"
#include "harness/report.h"
#include "models/model.h"
#include "tests/helpers.h"

#define FIXTURE "tests/fixtures/bench"

extern char **environ;

/* A fresh temporary folder; the caller removes it with rm_tree. */
static void make_tmpdir(char *buf, size_t len)
{
    snprintf(buf, len, "/tmp/concbench-plots-XXXXXX");
    assert_non_null(mkdtemp(buf));
}

static void rm_tree(const char *dir)
{
    pid_t pid;
    char *argv[] = { "rm", "-rf", (char *)dir, NULL };
    assert_int_equal(posix_spawnp(&pid, "rm", NULL, NULL, argv, environ), 0);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    size_t got = fread(buf, 1, (size_t)n, f);
    fclose(f);
    buf[got] = '\0';
    if (len)
        *len = got;
    return buf;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

/* Run gnuplot -c script args... with stderr into a file; returns the exit code and the stderr
 * text (free it). Written apart from report_run_gnuplot so the test does not trust the code it
 * checks. */
static int gnuplot(char **err, const char *script, const char *const *args)
{
    char errpath[] = "/tmp/concbench-gnuplot-err-XXXXXX";
    int fd = mkstemp(errpath);
    assert_true(fd >= 0);
    close(fd);
    char *argv[16];
    int n = 0;
    argv[n++] = "gnuplot";
    argv[n++] = "-c";
    argv[n++] = (char *)script;
    while (*args && n < 15)
        argv[n++] = (char *)*args++;
    argv[n] = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, errpath, O_WRONLY | O_TRUNC, 0);
    pid_t pid;
    int rc = posix_spawnp(&pid, "gnuplot", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        fail_msg("cannot start gnuplot: %s", strerror(rc));
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    *err = read_file(errpath, NULL);
    unlink(errpath);
    assert_non_null(*err);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* The file exists, is larger than `min` bytes and starts with `magic`. */
static void expect_file(const char *path, size_t min, const char *magic)
{
    size_t len;
    char *text = read_file(path, &len);
    if (!text)
        fail_msg("%s was not written", path);
    if (len < min)
        fail_msg("%s has only %zu bytes", path, len);
    if (memcmp(text, magic, strlen(magic)) != 0 && !strstr(text, magic))
        fail_msg("%s does not look like %s", path, magic);
    free(text);
}

static const char png_magic[] = "\x89PNG\r\n\x1a\n";

/* Copy the fixture into a temporary results folder. */
static void copy_fixture(const char *dir)
{
    static const char *const files[] = { "summary.csv", "runs.csv", "timeline.csv",
                                         "metadata.json", "runs.jsonl",
                                         "hyperfine/headline-sleep.json" };
    char path[256];
    snprintf(path, sizeof path, "%s/hyperfine", dir);
    assert_int_equal(mkdir(path, 0755), 0);
    for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
        char src[256], *text;
        snprintf(src, sizeof src, FIXTURE "/%s", files[k]);
        snprintf(path, sizeof path, "%s/%s", dir, files[k]);
        text = read_file(src, NULL);
        if (!text)
            fail_msg("fixture file %s missing", src);
        write_file(path, text);
        free(text);
    }
}

/* The fixture (written before the registry columns) copied and upgraded in place. */
static void upgraded_fixture(const char *dir)
{
    char err[512];
    bool changed = false;
    copy_fixture(dir);
    if (report_upgrade(dir, &changed, err, sizeof err) != 0)
        fail_msg("report_upgrade: %s", err);
    assert_true(changed);
}

static void test_each_script_on_the_fixture(void **state)
{
    (void)state;
    static const struct {
        const char *script, *data, *out, *workload;
    } charts[] = {
        { "plots/io-vs-cpu.gp", "summary.csv", "io-vs-cpu.png", NULL },
        { "plots/scaling.gp", "summary.csv", "scaling-sleep.png", NULL },   /* from the name */
        { "plots/scaling.gp", "summary.csv", "s.png", "count" },            /* from ARG4 */
        { "plots/concurrency.gp", "summary.csv", "concurrency-http.png", NULL },
        { "plots/concurrency.gp", "summary.csv", "concurrency-thumbnail.png", NULL },
        { "plots/timeline.gp", "timeline.csv", "timeline-http.png", NULL },
        { "plots/timeline.gp", "timeline.csv", "timeline-count.png", NULL },
        { "plots/resources.gp", "summary.csv", "resources.png", NULL },
        { "plots/overhead.gp", "summary.csv", "overhead.png", NULL },
    };
    char dir[64];
    make_tmpdir(dir, sizeof dir);
    upgraded_fixture(dir);
    for (size_t k = 0; k < sizeof charts / sizeof charts[0]; k++) {
        char data[256], out[256], svg[256], *err;
        snprintf(data, sizeof data, "%s/%s", dir, charts[k].data);
        snprintf(out, sizeof out, "%s/%s", dir, charts[k].out);
        snprintf(svg, sizeof svg, "%.*s.svg", (int)(strlen(out) - 4), out);
        const char *args[] = { data, out, "2 cores · test_plots machine_with_underscores",
                               charts[k].workload, NULL };
        int rc = gnuplot(&err, charts[k].script, args);
        if (rc != 0 || err[0])
            fail_msg("%s -> %s: exit %d, stderr: %s", charts[k].script, charts[k].out, rc, err);
        free(err);
        expect_file(out, 10000, png_magic);
        expect_file(svg, 2000, "<svg");
    }
    rm_tree(dir);
}

static void test_script_refuses_missing_data(void **state)
{
    (void)state;
    char dir[64], out[128], *err;
    make_tmpdir(dir, sizeof dir);
    snprintf(out, sizeof out, "%s/scaling-nosuch.png", dir);
    /* No rows for the workload: a clear message and a non-zero exit, not an empty chart. */
    const char *args[] = { FIXTURE "/summary.csv", out, NULL };
    int rc = gnuplot(&err, "plots/scaling.gp", args);
    assert_int_not_equal(rc, 0);
    assert_non_null(strstr(err, "no 'tasks' rows for workload 'nosuch'"));
    free(err);
    /* A summary from before the registry columns: the scripts say how to upgrade it. */
    const char *old[] = { FIXTURE "/summary.csv", out, NULL };
    rc = gnuplot(&err, "plots/io-vs-cpu.gp", old);
    assert_int_not_equal(rc, 0);
    if (!strstr(err, "no 'model_order' column") || !strstr(err, "concbench report DIR upgrades"))
        fail_msg("old summary: %s", err);
    free(err);
    /* Too few arguments: usage. */
    const char *none[] = { NULL };
    rc = gnuplot(&err, "plots/io-vs-cpu.gp", none);
    assert_int_not_equal(rc, 0);
    free(err);
    rm_tree(dir);
}

static void test_report_command(void **state)
{
    (void)state;
    char dir[64], path[256];
    struct cb_out o;
    make_tmpdir(dir, sizeof dir);
    copy_fixture(dir);
    cb_run(&o, "report", dir, NULL);
    if (o.status != 0 || o.err[0])
        fail_msg("report: exit %d, stderr: %s", o.status, o.err);
    snprintf(path, sizeof path, "report: %s/report.md", dir);
    assert_non_null(strstr(o.out, path));
    assert_non_null(strstr(o.out, "  1. "));            /* the findings follow */
    static const char *const charts[] = {
        "io-vs-cpu", "resources", "overhead", "scaling-sleep", "scaling-http", "scaling-count",
        "scaling-thumbnail", "concurrency-sleep", "concurrency-count", "timeline-sleep",
        "timeline-thumbnail",
    };
    for (size_t k = 0; k < sizeof charts / sizeof charts[0]; k++) {
        snprintf(path, sizeof path, "%s/%s.png", dir, charts[k]);
        expect_file(path, 10000, png_magic);
    }
    snprintf(path, sizeof path, "%s/report.md", dir);
    char *md = read_file(path, NULL);
    assert_non_null(md);
    assert_null(strstr(md, "machine was busy"));    /* the fixture's single got a whole core */
    assert_non_null(strstr(md, "Fixture CPU 2.0GHz"));                 /* the machine */
    assert_non_null(strstr(md, "![speed-up over single"));             /* the headline chart */
    assert_non_null(strstr(md, "](io-vs-cpu.png)"));
    assert_non_null(strstr(md, "### thumbnail (CPU-bound)"));          /* a table a workload */
    assert_non_null(strstr(md, "| headline | async | 16 | 2 |"));
    /* params is part of a cell's key and shown where a table has any (the overhead cells ran
     * --count 0, as the fixture's metadata says). */
    assert_non_null(strstr(md, "| overhead | async | count=0 | 1,000 |"));
    assert_non_null(strstr(md, "**15.2 % noisy**"));                    /* http x processes */
    assert_non_null(strstr(md, "1 of 233 cells are noisy"));
    assert_non_null(strstr(md, "run 3: unverified, exit 1: thumbnail 7: output PNG missing"));
    assert_non_null(strstr(md, "| sleep | async | 102 ms | 104 ms |")); /* hyperfine */
    assert_non_null(strstr(md, "single runs only up to N = 10"));      /* the sweep's notes */
    assert_null(strstr(md, "nan"));
    free(md);
    /* No temporary file left behind. */
    snprintf(path, sizeof path, "%s/.report.md.tmp", dir);
    assert_int_equal(access(path, F_OK), -1);
    cb_out_free(&o);

    /* --publish: the headline PNG and a generated results.md for README.md. */
    char docs[64];
    make_tmpdir(docs, sizeof docs);
    cb_run(&o, "report", "--no-charts", "--publish", docs, dir, NULL);
    if (o.status != 0)
        fail_msg("report --publish: exit %d, stderr: %s", o.status, o.err);
    snprintf(path, sizeof path, "%s/io-vs-cpu.png", docs);
    expect_file(path, 10000, png_magic);
    snprintf(path, sizeof path, "%s/results.md", docs);
    md = read_file(path, NULL);
    assert_non_null(md);
    assert_non_null(strstr(md, "do not edit by hand"));
    assert_non_null(strstr(md, "| model | sleep (I/O, 16 tasks) | http (I/O, 16 tasks) |"));
    assert_non_null(strstr(md, "| async | 102 ms (16.0x) | 51 ms (15.9x) |"));
    assert_non_null(strstr(md, "(0.99x)"));     /* async on count, within the findings */
    free(md);
    cb_out_free(&o);
    rm_tree(docs);
    rm_tree(dir);
}

static const char header[] =
    "workload,kind,model,part,tasks,concurrency,runs_ok,runs_total,min_s,median_s,max_s,cv,"
    "speedup,ideal_s,efficiency,cpu_s,max_rss_kb,children_sum_rss_kb,ctx_voluntary,"
    "ctx_involuntary,server_cpu_s,per_task_us\n";

/* The index of column `name` in a CSV header line, or -1. */
static int header_col(const char *header, const char *name)
{
    int k = 0;
    size_t len = strlen(name);
    for (const char *p = header;; k++) {
        const char *end = p + strcspn(p, ",\n");
        if ((size_t)(end - p) == len && strncmp(p, name, len) == 0)
            return k;
        if (*end != ',')
            return -1;
        p = end + 1;
    }
}

/* Field k of a CSV line (no quoted commas: the upgraded fixture has none), into buf. */
static const char *field(const char *line, int k, char *buf, size_t len)
{
    const char *p = line;
    for (int i = 0; i < k && p; i++)
        p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL;
    assert_non_null(p);
    size_t n = strcspn(p, ",\n");
    snprintf(buf, len, "%.*s", (int)(n < len ? n : len - 1), p);
    return buf;
}

/* Append to path a copy of every row whose `model` is `from`, with the fields named in set[]
 * (name, value pairs, NULL-terminated) replaced. Returns the rows added. */
static size_t clone_rows(const char *path, const char *from, const char *const set[])
{
    char *text = read_file(path, NULL), buf[64];
    assert_non_null(text);
    const char *nl = strchr(text, '\n');
    assert_non_null(nl);
    int cm = header_col(text, "model");
    assert_true(cm >= 0);
    FILE *f = fopen(path, "a");
    assert_non_null(f);
    size_t added = 0;
    for (const char *line = nl + 1; *line; line = strchr(line, '\n') + 1) {
        if (strcmp(field(line, cm, buf, sizeof buf), from) == 0) {
            int ncols = 0;
            for (const char *q = text; q < nl; q++)
                ncols += *q == ',';
            for (int k = 0; k <= ncols; k++) {
                const char *v = NULL;
                for (size_t s2 = 0; set[s2]; s2 += 2)
                    if (header_col(text, set[s2]) == k)
                        v = set[s2 + 1];
                char cell[256];
                fprintf(f, "%s%s", k ? "," : "", v ? v : field(line, k, cell, sizeof cell));
            }
            fputc('\n', f);
            added++;
        }
        if (!strchr(line, '\n'))
            break;
    }
    assert_int_equal(fclose(f), 0);
    free(text);
    return added;
}

/* A model this binary does not have, given only as rows (its own order and colour, not the serial
 * reference), appears in every chart and in report.md's tables: nothing in the code names it. */
static void test_unknown_model_everywhere(void **state)
{
    (void)state;
    char dir[64], path[256], rgb[32], svgcolour[64];
    struct cb_out o;
    const unsigned long colour = 0xab12cd;
    make_tmpdir(dir, sizeof dir);
    upgraded_fixture(dir);
    snprintf(rgb, sizeof rgb, "%lu", colour);
    const char *const set[] = { "model", "zz-test", "model_order", "0", "model_rgb", rgb,
                                "serial", "0", NULL };
    /* A copy of a model that is not the reference, at every part, and in the timeline. */
    const char *twin = NULL;
    for (const struct model *const *m = models; *m && !twin; m++)
        if (!(*m)->serial && !(*m)->cpu_inline)
            twin = (*m)->name;
    assert_non_null(twin);
    snprintf(path, sizeof path, "%s/summary.csv", dir);
    assert_true(clone_rows(path, twin, set) > 20);
    snprintf(path, sizeof path, "%s/timeline.csv", dir);
    const char *const set_tl[] = { "model", "zz-test", NULL };
    assert_true(clone_rows(path, twin, set_tl) > 4);

    cb_run(&o, "report", dir, NULL);
    if (o.status != 0 || o.err[0])
        fail_msg("report: exit %d, stderr: %s", o.status, o.err);
    assert_null(strstr(o.out, "upgraded"));        /* already has the columns */
    cb_out_free(&o);
    /* Every chart: the model's name, and its colour as gnuplot's SVG writes it. */
    snprintf(svgcolour, sizeof svgcolour, "rgb(%3lu, %3lu, %3lu)", colour >> 16,
             (colour >> 8) & 0xff, colour & 0xff);
    static const char *const charts[] = {
        "io-vs-cpu", "resources", "overhead", "scaling-sleep", "scaling-http", "scaling-count",
        "scaling-thumbnail", "concurrency-sleep", "concurrency-http", "concurrency-count",
        "concurrency-thumbnail", "timeline-sleep", "timeline-http", "timeline-count",
        "timeline-thumbnail",
    };
    for (size_t k = 0; k < sizeof charts / sizeof charts[0]; k++) {
        snprintf(path, sizeof path, "%s/%s.svg", dir, charts[k]);
        char *svg = read_file(path, NULL);
        if (!svg)
            fail_msg("%s was not drawn", path);
        if (!strstr(svg, "zz-test"))
            fail_msg("%s does not name zz-test", path);
        if (!strstr(svg, svgcolour))
            fail_msg("%s does not draw in zz-test's colour %s", path, svgcolour);
        free(svg);
    }
    /* report.md: in the headline grid before the reference (model_order 0), in the tables. */
    snprintf(path, sizeof path, "%s/report.md", dir);
    char *md = read_file(path, NULL);
    assert_non_null(md);
    const char *grid = strstr(md, "| model |");
    assert_non_null(grid);
    const char *zz = strstr(grid, "\n| zz-test |"), *ref = strstr(grid, "\n| single |");
    assert_non_null(zz);
    assert_non_null(ref);
    assert_true(zz < ref);
    assert_non_null(strstr(md, "| headline | zz-test | 16 |"));
    assert_non_null(strstr(md, "| tasks | zz-test |"));
    assert_non_null(strstr(md, "| overhead | zz-test |"));
    free(md);
    rm_tree(dir);
}

/* `concbench report` on a folder from before the registry columns (the fixture, commit 312fb15)
 * fills them from the registry, writes models.csv and workloads.csv, and does it once. */
static void test_report_upgrades_old_folder(void **state)
{
    (void)state;
    char dir[64], path[256], buf[64];
    struct cb_out o;
    make_tmpdir(dir, sizeof dir);
    copy_fixture(dir);
    cb_run(&o, "report", "--no-charts", dir, NULL);
    if (o.status != 0 || o.err[0])
        fail_msg("report: exit %d, stderr: %s", o.status, o.err);
    assert_non_null(strstr(o.out, "upgraded: "));
    cb_out_free(&o);
    snprintf(path, sizeof path, "%s/summary.csv", dir);
    char *text = read_file(path, NULL);
    assert_non_null(text);
    /* The old columns first, unchanged; the registry's appended in the contract's order. */
    assert_int_equal(strncmp(text, header, strlen(header) - 1), 0);
    assert_int_equal(strncmp(text + strlen(header) - 1, ",params,model_order,model_rgb,serial,"
                             "parallel,kind_order,kind_label,workload_order,workload_label\n",
                             strlen(",params,model_order,model_rgb,serial,parallel,kind_order,"
                                    "kind_label,workload_order,workload_label\n")), 0);
    int cm = header_col(text, "model"), cw = header_col(text, "workload"),
        co = header_col(text, "model_order"), cc = header_col(text, "model_rgb"),
        cs = header_col(text, "serial"), cpar = header_col(text, "params"),
        cpart = header_col(text, "part"), cid = header_col(text, "ideal_s"),
        cwo = header_col(text, "workload_order"), cpl = header_col(text, "parallel"),
        cj = header_col(text, "concurrency");
    size_t rows = 0, cpu_ideals = 0;
    for (const char *line = strchr(text, '\n') + 1; *line; line = strchr(line, '\n') + 1) {
        char m[64], w[64], part[32], v[64];
        const struct model *rm = model_find(field(line, cm, m, sizeof m));
        const struct workload *rw = workload_find(field(line, cw, w, sizeof w));
        field(line, cpart, part, sizeof part);
        assert_non_null(rm);
        assert_non_null(rw);
        assert_int_equal(atoi(field(line, co, v, sizeof v)), rm->order);
        assert_int_equal(strtoul(field(line, cc, v, sizeof v), NULL, 10), catalog_rgb(rm->color));
        assert_int_equal(atoi(field(line, cs, v, sizeof v)), rm->serial);
        assert_int_equal(atoi(field(line, cwo, v, sizeof v)), rw->order);
        assert_int_equal(atoi(field(line, cpl, v, sizeof v)),
                         model_parallelism(rm, rw, (unsigned)atoi(field(line, cj, buf, sizeof buf))));
        /* The overhead cells ran --count 0 (metadata's workload_args): their own key, and no
         * ideal (no reference headline with those params); the CPU headline gets one. */
        field(line, cpar, v, sizeof v);
        assert_string_equal(v, strcmp(part, "overhead") == 0 ? "count=0" : "");
        if (strcmp(part, "overhead") == 0)
            assert_string_equal(field(line, cid, v, sizeof v), "");
        else if (!rw->kind->waits && strcmp(part, "headline") == 0 && *field(line, cid, v, sizeof v))
            cpu_ideals++;
        rows++;
        if (!strchr(line, '\n'))
            break;
    }
    assert_int_equal(rows, 233);
    assert_true(cpu_ideals >= 12);          /* 2 CPU workloads x 6 models */
    snprintf(path, sizeof path, "%s/models.csv", dir);
    assert_int_equal(access(path, R_OK), 0);
    snprintf(path, sizeof path, "%s/workloads.csv", dir);
    assert_int_equal(access(path, R_OK), 0);
    /* Once: a second report leaves summary.csv as it is. */
    cb_run(&o, "report", "--no-charts", dir, NULL);
    assert_int_equal(o.status, 0);
    assert_null(strstr(o.out, "upgraded"));
    cb_out_free(&o);
    snprintf(path, sizeof path, "%s/summary.csv", dir);
    char *again = read_file(path, NULL);
    assert_string_equal(again, text);
    free(again);
    free(text);
    rm_tree(dir);
}

static void test_report_bad_input(void **state)
{
    (void)state;
    struct cb_out o;
    cb_run(&o, "report", NULL);
    assert_int_equal(o.status, 2);
    assert_non_null(strstr(o.err, "no results folder given"));
    cb_out_free(&o);
    cb_run(&o, "report", "/nonexistent/concbench-results", NULL);
    assert_int_equal(o.status, 2);
    assert_non_null(strstr(o.err, "summary.csv"));
    cb_out_free(&o);
    cb_run(&o, "report", "--bogus", "x", NULL);
    assert_int_equal(o.status, 2);
    cb_out_free(&o);

    char dir[64], path[128];
    make_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/summary.csv", dir);
    write_file(path, "workload,model,tasks\nsleep,single,1\n");     /* no part, no median_s */
    cb_run(&o, "report", "--no-charts", dir, NULL);
    assert_int_equal(o.status, 3);
    assert_non_null(strstr(o.err, "no 'part' column"));
    cb_out_free(&o);
    rm_tree(dir);
}


/* Load a summary given as text (plus a metadata.json saying 2 cores) and compute findings. */
static size_t findings_of(const char *rows, char (*out)[REPORT_FINDING_LEN])
{
    char dir[64], path[128], err[256];
    struct report_data d;
    make_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/summary.csv", dir);
    char *text = malloc(strlen(header) + strlen(rows) + 1);
    assert_non_null(text);
    strcpy(text, header);
    strcat(text, rows);
    write_file(path, text);
    free(text);
    snprintf(path, sizeof path, "%s/metadata.json", dir);
    write_file(path, "{\"machine\": {\"cores_online\": 2, \"cpu_model\": \"Known CPU\"}}");
    if (report_load(dir, &d, err, sizeof err) != 0)
        fail_msg("report_load: %s", err);
    assert_int_equal(report_cores(&d), 2);
    size_t n = report_findings(&d, out, 5);
    report_free(&d);
    rm_tree(dir);
    return n;
}

static const char *find_line(char (*f)[REPORT_FINDING_LEN], size_t n, const char *start)
{
    for (size_t k = 0; k < n; k++)
        if (strncmp(f[k], start, strlen(start)) == 0)
            return f[k];
    return NULL;
}

#define expect_in(hay, needle)                                                              \
    do {                                                                                    \
        if (!(hay) || !strstr((hay), (needle)))                                             \
            fail_msg("expected '%s' in: %s", (needle), (hay) ? (hay) : "(no such finding)"); \
    } while (0)

static void test_findings_known_answers(void **state)
{
    (void)state;
    char f[5][REPORT_FINDING_LEN];
    /* sleep: async fastest (101 ms vs single 1.6 s: 15.8x); count: threads 1.92x, async 0.99x;
     * async ran 10,000 sleeps; dispatch: async 0.5 µs, processes 400 µs; processes' memory. */
    size_t n = findings_of(
        "sleep,io,single,headline,16,1,5,5,1.6,1.6,1.6,0.01,1,1.6,1,0.01,3000,,1,1,,100000\n"
        "sleep,io,threads,headline,16,16,5,5,0.11,0.11,0.11,0.01,14.5,0.1,0.91,0.01,4000,,1,1,,6875\n"
        "sleep,io,async,headline,16,16,5,5,0.101,0.101,0.101,0.01,15.8,0.1,0.99,0.01,2048,,1,1,,6312\n"
        "sleep,io,processes,headline,16,16,5,5,0.12,0.12,0.12,0.01,13.3,0.1,0.83,0.01,3000,40960,1,1,,7500\n"
        "sleep,io,async,tasks,10000,10000,5,5,0.13,0.13,0.13,0.01,,0.1,0.77,0.1,9000,,1,1,,13\n"
        "sleep,io,threads,tasks,1000,1000,5,5,0.6,0.6,0.6,0.01,,0.1,0.17,0.1,9000,,1,1,,600\n"
        "count,cpu,single,headline,16,1,5,5,1.0,1.0,1.0,0.01,1,,,1,3000,,1,1,,62500\n"
        "count,cpu,threads,headline,16,2,5,5,0.52,0.52,0.52,0.01,1.92,,,1,3000,,1,1,,32500\n"
        "count,cpu,async,headline,16,2,5,5,1.01,1.01,1.01,0.01,0.99,,,1,3000,,1,1,,63125\n"
        "count,cpu,async,overhead,1000,16,5,5,0.0005,0.0005,0.0005,0.01,,,,0,3000,,1,1,,0.5\n"
        "count,cpu,processes,overhead,1000,16,5,5,0.4,0.4,0.4,0.01,,,,0,3000,60000,1,1,,400\n",
        f);
    assert_int_equal(n, 5);
    const char *io = find_line(f, n, "I/O-bound");
    expect_in(io, "on sleep (16 tasks that each wait 100 ms, up to 16 at once), async finished "
                  "in 101 ms, 15.8x faster than single's 1.60 s");
    const char *cpu = find_line(f, n, "CPU-bound");
    expect_in(cpu, "threads was 1.92x faster than single");
    expect_in(cpu, "close to the 2x that 2 cores allow");
    expect_in(cpu, "async gained nothing (0.99x)");
    const char *big = find_line(f, n, "The largest batch");
    expect_in(big, "async ran 10,000 sleep tasks of 100 ms each in 130 ms");
    expect_in(big, "with 1,000 tasks, threads took 600 ms");
    const char *ov = find_line(f, n, "Dispatch cost");
    expect_in(ov, "0.50 µs per task with async, 400 µs with processes, 800x as much");
    const char *mem = find_line(f, n, "Memory");
    expect_in(mem, "processes peaked at 40.0 MB summed over its child processes, async at 2.0 MB");

    /* The opposite world: async wins on CPU and threads on I/O. The findings must follow the
     * numbers, not a script. */
    n = findings_of(
        "sleep,io,single,headline,8,1,3,3,0.8,0.8,0.8,0.01,1,0.8,1,0.01,3000,,1,1,,100000\n"
        "sleep,io,threads,headline,8,8,3,3,0.2,0.2,0.2,0.01,4,0.1,0.5,0.01,3000,,1,1,,25000\n"
        "sleep,io,async,headline,8,8,3,3,0.4,0.4,0.4,0.01,2,0.1,0.25,0.01,3000,,1,1,,50000\n"
        "count,cpu,single,headline,8,1,3,3,1.0,1.0,1.0,0.01,1,,,1,3000,,1,1,,125000\n"
        "count,cpu,threads,headline,8,2,3,3,0.9,0.9,0.9,0.01,1.11,,,1,3000,,1,1,,112500\n"
        "count,cpu,async,headline,8,2,3,3,0.5,0.5,0.5,0.01,2,,,1,3000,,1,1,,62500\n",
        f);
    io = find_line(f, n, "I/O-bound");
    expect_in(io, "threads finished in 200 ms, 4.0x faster than single's 800 ms");
    assert_null(strstr(io, "about one task's wait"));      /* 200 ms is two waits of 100 ms */
    cpu = find_line(f, n, "CPU-bound");
    expect_in(cpu, "threads was 1.11x faster than single (2 cores would allow up to 2x)");
    expect_in(cpu, "async reached 2.00x");
    assert_null(strstr(cpu, "gained nothing"));
    assert_null(find_line(f, n, "Dispatch cost"));         /* no overhead rows: no finding */
    assert_null(find_line(f, n, "The largest batch"));
}

static void test_findings_on_the_fixture(void **state)
{
    (void)state;
    struct report_data d;
    char err[256], f[5][REPORT_FINDING_LEN], line[256];
    assert_int_equal(report_load(FIXTURE, &d, err, sizeof err), 0);
    assert_int_equal(report_cores(&d), 2);
    report_machine_line(&d, line, sizeof line);
    assert_string_equal(line, "2 cores · Fixture CPU 2.0GHz (hand-made fixture) · Linux 6.1.0-fixture");
    assert_int_equal(d.ntimeline, 4);
    assert_int_equal(d.nhf, 6);
    size_t bad = 0;
    for (size_t i = 0; i < d.nruns; i++)
        if (!d.runs[i].ok) {
            bad++;
            assert_string_equal(d.runs[i].why,
                                "unverified, exit 1: thumbnail 7: output PNG missing; 1 x io");
        }
    assert_int_equal(bad, 1);
    size_t n = report_findings(&d, f, 5);
    assert_int_equal(n, 5);
    /* The fixture's fastest I/O model on sleep is process-pool (101.3 ms); async ran the
     * 10,000-task batch; processes is the dearest dispatch. */
    expect_in(find_line(f, n, "I/O-bound"), "process-pool finished in 101 ms");
    expect_in(find_line(f, n, "The largest batch"), "async ran 10,000 sleep tasks");
    expect_in(find_line(f, n, "Dispatch cost"), "with async, 430 µs with processes");
    report_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_script_on_the_fixture),
        cmocka_unit_test(test_script_refuses_missing_data),
        cmocka_unit_test(test_report_command),
        cmocka_unit_test(test_report_bad_input),
        cmocka_unit_test(test_report_upgrades_old_folder),
        cmocka_unit_test(test_unknown_model_everywhere),
        cmocka_unit_test(test_findings_known_answers),
        cmocka_unit_test(test_findings_on_the_fixture),
    };
    return cmocka_run_group_tests_name("plots", tests, NULL, NULL);
}
