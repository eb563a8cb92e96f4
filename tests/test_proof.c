/* test_proof.c — the proof of issue 16, run against the proof build (make proof): a test model
 * (tests/model_inline.c, "inline") and a test workload (tests/workload_spin.c, "spin"), each one
 * file plus one guarded registry line, are in `concbench list`, run under every model / with
 * every workload and verify, the model's option reaches it from the command line, and both
 * go through a sweep (summary.csv with their order and colour, models.csv, workloads.csv),
 * every chart, report.md and a ci/regress run with no other file of the project changed (the
 * test writes its own sweep and gate profiles). (The contract test, test_models.c, runs every
 * model of this build too, inline included.) */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "models/model.h"
#include "tests/helpers.h"
#include "workloads/workload.h"

#define TEST_MODEL "inline"
#define TEST_WORKLOAD "spin"

static char tmp_root[] = "/tmp/concbench-test-proof-XXXXXX";

static int setup(void **state)
{
    (void)state;
    if (!mkdtemp(tmp_root))
        return -1;
    /* The thumbnail workload's default corpus goes to a cache of this test's own. */
    char cache[600];
    snprintf(cache, sizeof cache, "%s/cache", tmp_root);
    setenv("XDG_CACHE_HOME", cache, 1);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cb_rm_rf(tmp_root);
    return 0;
}

static bool listed(const char *section, const char *name)
{
    char names[64][CB_NAME_MAX];
    unsigned n = cb_list(section, names, 64);
    for (unsigned k = 0; k < n; k++)
        if (strcmp(names[k], name) == 0)
            return true;
    return false;
}

/* Both are in this build's registries and in `concbench list`, the workload with its kind. */
static void test_listed(void **state)
{
    struct cb_out o;
    (void)state;
    const struct model *m = model_find(TEST_MODEL);
    const struct workload *w = workload_find(TEST_WORKLOAD);
    if (!m || !w)
        fail_msg("not the proof build: %s %s, %s %s (make proof builds it)", TEST_MODEL,
                 m ? "present" : "missing", TEST_WORKLOAD, w ? "present" : "missing");
    assert_true(listed("models", TEST_MODEL));
    assert_true(listed("workloads", TEST_WORKLOAD));
    assert_int_equal(cb_run(&o, "list", NULL), 0);
    const char *line = strstr(o.out, "  " TEST_WORKLOAD " ");
    assert_non_null(line);
    const char *eol = strchr(line, '\n'), *kind = strstr(line, w->kind->label);
    assert_true(kind && kind < eol);
    cb_out_free(&o);
    /* Its own order and colour, different from every other model's. */
    for (const struct model *const *o2 = models; *o2; o2++)
        if (*o2 != m) {
            assert_true((*o2)->order != m->order);
            assert_true(strcmp((*o2)->color, m->color) != 0);
        }
    assert_false(m->serial);
    assert_true(model_serial() != m);
}

/* spin under every model of the registry: every task's answer verified, the concurrency the
 * registry's rule gives, each task's own spin at least --spin-us long (verify checks it). */
static void test_spin_under_every_model(void **state)
{
    (void)state;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    for (const struct model *const *m = models; *m; m++) {
        const char *const js[] = { NULL, "3" };
        for (size_t k = 0; k < 2; k++) {
            const char *args[20] = { "run", "-w", TEST_WORKLOAD, "-m", (*m)->name, "-n", "12",
                                     "--spin-us", "2000", "--json" };
            int n = 10;
            if (js[k]) {
                args[n++] = "-j";
                args[n++] = js[k];
            }
            args[n] = NULL;
            struct json_value *v = cb_run_json_v(NULL, 0, args);
            if (!jbool(v, "verified"))
                fail_msg("spin x %s: %s", (*m)->name, jstr(v, "verify_error"));
            assert_string_equal(jstr(v, "workload"), TEST_WORKLOAD);
            assert_string_equal(jstr(v, "kind"), workload_find(TEST_WORKLOAD)->kind->name);
            assert_int_equal((int)jnum(v, "concurrency"),
                             (int)model_concurrency(*m, 12, js[k] ? 3 : 0,
                                                    cores > 0 ? (unsigned)cores : 1));
            assert_int_equal((int)jnum(v, "errors"), 0);
            json_free(v);
            assert_int_equal(cb_count_children(), 0);
        }
    }
}

/* Each workload's options for a run of a few small tasks; a workload missing here fails the
 * test, so a new one is added with its tiny options. */
static const struct { const char *workload, *opts[6]; } tiny[] = {
    { "sleep", { "--sleep-ms", "1" } },
    { "count", { "--count", "1000" } },
    { "http", { "--sleep-ms", "1", "--bytes", "64" } },
    { "thumbnail", { "--corpus-images", "2", "--corpus-size", "64x48" } },
    { "probe", { "--sleep-ms", "1" } },
    { "spin", { "--spin-us", "500" } },
};

/* Every workload of the registry (hidden ones too) under the test model: verified. */
static void test_every_workload_under_inline(void **state)
{
    (void)state;
    for (const struct workload *const *w = workloads; *w; w++) {
        size_t t;
        for (t = 0; t < sizeof tiny / sizeof tiny[0]; t++)
            if (strcmp(tiny[t].workload, (*w)->name) == 0)
                break;
        const char *args[24] = { "run", "-w", (*w)->name, "-m", TEST_MODEL, "-n", "4" };
        int n = 7;
        char quick[256], *save = NULL;
        if (t < sizeof tiny / sizeof tiny[0]) {
            for (int k = 0; tiny[t].opts[k]; k++)
                args[n++] = tiny[t].opts[k];
        } else {
            /* A workload this table does not know: its own quick sweep options. */
            snprintf(quick, sizeof quick, "%s", (*w)->sweep[WL_SCALE_QUICK].args ?
                     (*w)->sweep[WL_SCALE_QUICK].args : "");
            for (char *tok = strtok_r(quick, " ", &save); tok && n < 20;
                 tok = strtok_r(NULL, " ", &save))
                args[n++] = tok;
        }
        args[n++] = "--json";
        args[n] = NULL;
        struct cb_out o;
        struct json_value *v = cb_run_json_v(&o, -1, args);
        if (o.status != 0 || !jbool(v, "verified"))
            fail_msg("%s x %s: exit %d: %.300s %s", (*w)->name, TEST_MODEL, o.status, o.err,
                     jbool(v, "verified") ? "" : jstr(v, "verify_error"));
        assert_string_equal(jstr(v, "model"), TEST_MODEL);
        assert_int_equal((int)jnum(v, "concurrency"), 1);
        assert_int_equal(cb_max_overlap(v), 1);     /* one after another */
        json_free(v);
        cb_out_free(&o);
    }
}

/* The model's own option: --inline-reverse starts the last index first; without it, the
 * first. It is listed under the model in run --help, and refused with another model. */
static void test_model_option(void **state)
{
    (void)state;
    for (int reverse = 0; reverse < 2; reverse++) {
        struct json_value *v = reverse
            ? cb_run_json(NULL, 0, "run", "-w", "probe", "-m", TEST_MODEL, "-n", "6",
                          "--sleep-ms", "1", "--inline-reverse", "--json")
            : cb_run_json(NULL, 0, "run", "-w", "probe", "-m", TEST_MODEL, "-n", "6",
                          "--sleep-ms", "1", "--json");
        const struct json_value *ts = json_get(v, "task_start_s");
        assert_int_equal(ts->n, 6);
        assert_int_equal((int)jnum(v, "probe_ran_once"), 6);
        for (size_t i = 1; i < ts->n; i++) {
            bool later = ts->items[i].number > ts->items[i - 1].number;
            if (later == (bool)reverse)
                fail_msg("--inline-reverse %s: task %zu started at %.6f, task %zu at %.6f",
                         reverse ? "given" : "absent", i - 1, ts->items[i - 1].number, i,
                         ts->items[i].number);
        }
        json_free(v);
    }

    struct cb_out o;
    assert_int_equal(cb_run(&o, "run", "--help", NULL), 0);
    const char *mo = strstr(o.out, "model options:");
    assert_non_null(mo);
    const char *opt = strstr(mo, "--inline-reverse");
    assert_non_null(opt);
    assert_non_null(strstr(opt, "(" TEST_MODEL ")"));
    cb_out_free(&o);

    const struct model *other = model_serial();
    assert_non_null(other);
    assert_int_equal(cb_run(&o, "run", "-w", "sleep", "-m", other->name, "--inline-reverse",
                            NULL), 2);
    assert_non_null(strstr(o.err, "option --inline-reverse does not apply"));
    assert_string_equal(o.out, "");
    cb_out_free(&o);
}

/* The workload's verification can fail: a spin cut by its timeout is not verified. */
static void test_spin_timeout(void **state)
{
    (void)state;
    struct json_value *v = cb_run_json(NULL, 1, "run", "-w", TEST_WORKLOAD, "-m", TEST_MODEL,
                                       "-n", "2", "--spin-us", "5000000", "--timeout-ms", "30",
                                       "--json");
    assert_false(jbool(v, "verified"));
    assert_int_equal((int)jnum(json_get(v, "error_kinds"), "timeout"), 2);
    json_free(v);
}

/* Ctrl-C reaches the test workload under the test model, once a task is running. */
static void test_cancel(void **state)
{
    char *argv[] = { (char *)cb_path(), "run", "-w", TEST_WORKLOAD, "-m", TEST_MODEL, "-n", "5",
                     "--spin-us", "30000000", "--json", NULL };
    struct cb_signal plan = { .sig = SIGINT, .on_ready = true };
    struct cb_out o;
    (void)state;
    cb_runv_plan(&o, argv, &plan, NULL);
    assert_true(o.ready_s >= 0);
    assert_int_equal(o.status, 130);
    struct json_value *v = cb_json(&o);
    const struct json_value *st = json_get(v, "task_status");
    assert_string_equal(st->items[0].string, "cancelled");
    for (size_t i = 1; i < st->n; i++)
        assert_string_equal(st->items[i].string, "not_started");
    json_free(v);
    cb_out_free(&o);
}

/* ---- the sweep, the charts, the report and the gate ---- */

static char *slurp_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n + 65536 + 1 > cap) {
            cap = cap ? cap * 2 : 131072;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        size_t got = fread(buf + n, 1, 65536, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

/* The sweep folder the last test made (test_sweep writes it, the later tests read it). */
static char sweep_dir[4096];

/* The quick profile, untouched, already has cells of the test model and the test workload:
 * its lines select by kind and attribute, never by name. */
static void test_real_profile_selects_them(void **state)
{
    (void)state;
    struct cb_out o;
    cb_run(&o, "sweep", "--profile", "quick", "--dry-run", "--no-hyperfine", "--out", tmp_root,
           NULL);
    if (o.status != 0)
        fail_msg("sweep --dry-run: exit %d: %s", o.status, o.err);
    const char *both[] = { "-w " TEST_WORKLOAD " -m " TEST_MODEL " ",
                           "-w sleep -m " TEST_MODEL " ", "-w " TEST_WORKLOAD " -m threads " };
    const char *all = o.out && o.out[0] ? o.out : o.err;
    for (size_t k = 0; k < sizeof both / sizeof both[0]; k++)
        if (!strstr(o.out, both[k]) && !strstr(o.err, both[k]))
            fail_msg("the quick profile has no '%s' cell:\n%.3000s", both[k], all);
    cb_out_free(&o);
}

/* A sweep of a temporary profile (every part, models by selector): the test cells are in
 * summary.csv with the registry's order and colour, and in models.csv / workloads.csv. */
static void test_sweep(void **state)
{
    (void)state;
    char profile[700], out[700];
    snprintf(profile, sizeof profile, "%s/proof.profile", tmp_root);
    snprintf(out, sizeof out, "%s/sweep", tmp_root);
    write_file(profile,
               "runs 2\n"
               "hyperfine off\n"
               "cell headline - -w sleep,count," TEST_WORKLOAD " -m @all -n 4 -j 4 --sleep-ms 2"
               " --count 100000 --spin-us 300\n"
               "cell tasks - -w count," TEST_WORKLOAD " -m @all -n 1,4 -j cores --count 100000"
               " --spin-us 300\n"
               "cell concurrency - -w count," TEST_WORKLOAD " -m @!serial -n 4 -j 1,2"
               " --count 100000 --spin-us 300\n"
               "cell overhead - -w count -m @all -n 200 --count 0\n"
               "cell timeline - -w count," TEST_WORKLOAD " -m @all -n 4 -j 2 --count 100000"
               " --spin-us 300\n");
    struct cb_out o;
    cb_run(&o, "sweep", "--profile", profile, "--no-hyperfine", "--seed", "7", "--out", out,
           NULL);
    if (o.status != 0)
        fail_msg("sweep: exit %d: %s", o.status, o.err);
    cb_out_free(&o);
    char latest[800];
    snprintf(latest, sizeof latest, "%s/latest", out);
    ssize_t n = readlink(latest, sweep_dir, sizeof sweep_dir - 1);
    assert_true(n > 0);
    sweep_dir[n] = '\0';
    if (sweep_dir[0] != '/') {
        char rel[4096];
        snprintf(rel, sizeof rel, "%s", sweep_dir);
        snprintf(sweep_dir, sizeof sweep_dir, "%s/%s", out, rel);
    }

    const struct model *m = model_find(TEST_MODEL);
    assert_non_null(m);
    char path[4200], want[256];
    snprintf(path, sizeof path, "%s/summary.csv", sweep_dir);
    char *summary = slurp_file(path);
    assert_non_null(summary);
    /* The model's rows carry its order and colour (0xRRGGBB as a decimal number). */
    unsigned long rgb = strtoul(m->color + 1, NULL, 16);
    snprintf(want, sizeof want, ",%u,%lu,0,", m->order, rgb);
    unsigned model_rows = 0, workload_rows = 0;
    for (char *line = strtok(summary, "\n"); line; line = strtok(NULL, "\n")) {
        if (strncmp(line, TEST_WORKLOAD ",", strlen(TEST_WORKLOAD) + 1) == 0) {
            workload_rows++;
            assert_non_null(strstr(line, ",cpu,"));
        }
        if (strstr(line, "," TEST_MODEL ",")) {
            model_rows++;
            if (!strstr(line, want))
                fail_msg("row without the model's order and colour (%s): %s", want, line);
            assert_non_null(strstr(line, ",2,2,"));     /* runs_ok, runs_total */
        }
    }
    assert_true(workload_rows >= 5 * 2);    /* every part, every model */
    assert_true(model_rows >= 5);
    free(summary);
    snprintf(path, sizeof path, "%s/models.csv", sweep_dir);
    char *models = slurp_file(path);
    assert_non_null(models);
    snprintf(want, sizeof want, "\n" TEST_MODEL ",%u,%s,", m->order, m->color);
    assert_non_null(strstr(models, want));
    free(models);
    snprintf(path, sizeof path, "%s/workloads.csv", sweep_dir);
    char *wls = slurp_file(path);
    assert_non_null(wls);
    assert_non_null(strstr(wls, "\n" TEST_WORKLOAD ",cpu,"));
    free(wls);
}

/* `concbench report` on that folder: every chart shows the test model in its own colour, the
 * test workload has its own charts, and report.md's tables name both. */
static void test_report_and_charts(void **state)
{
    (void)state;
    assert_true(sweep_dir[0]);
    struct cb_out o;
    cb_run(&o, "report", sweep_dir, NULL);
    if (o.status != 0)
        fail_msg("report: exit %d: %s", o.status, o.err);
    cb_out_free(&o);
    const struct model *m = model_find(TEST_MODEL);
    const char *charts[] = { "io-vs-cpu", "resources", "overhead", "scaling-" TEST_WORKLOAD,
                             "concurrency-" TEST_WORKLOAD, "timeline-" TEST_WORKLOAD,
                             "scaling-count", "concurrency-count", "timeline-count" };
    char path[4200], color[32];
    unsigned long rgb = strtoul(m->color + 1, NULL, 16);
    /* gnuplot's SVG writes colours as rgb(%3d, %3d, %3d) */
    snprintf(color, sizeof color, "rgb(%3lu, %3lu, %3lu)", rgb >> 16, (rgb >> 8) & 0xff,
             rgb & 0xff);
    for (size_t k = 0; k < sizeof charts / sizeof charts[0]; k++) {
        snprintf(path, sizeof path, "%s/%s.png", sweep_dir, charts[k]);
        assert_int_equal(access(path, R_OK), 0);
        snprintf(path, sizeof path, "%s/%s.svg", sweep_dir, charts[k]);
        char *svg = slurp_file(path);
        if (!svg)
            fail_msg("no chart %s", path);
        if (!strstr(svg, TEST_MODEL))
            fail_msg("%s does not name the model %s", path, TEST_MODEL);
        if (!strstr(svg, color))
            fail_msg("%s does not draw in the model's colour %s", path, color);
        free(svg);
    }
    snprintf(path, sizeof path, "%s/report.md", sweep_dir);
    char *md = slurp_file(path);
    assert_non_null(md);
    assert_non_null(strstr(md, "| " TEST_MODEL " |"));
    assert_non_null(strstr(md, TEST_WORKLOAD));
    free(md);
}

/* ci/regress, A/A on the proof binary, with gate cells of the test model and workload. */
static void test_gate(void **state)
{
    (void)state;
    char regress[4096], profile[700], json[700];
    snprintf(regress, sizeof regress, "%s", cb_path());
    char *slash = strrchr(regress, '/');
    assert_non_null(slash);
    snprintf(slash + 1, sizeof regress - (size_t)(slash + 1 - regress), "regress");
    if (access(regress, X_OK) != 0)
        fail_msg("%s is missing: `make proof` builds it", regress);
    snprintf(profile, sizeof profile, "%s/gate.profile", tmp_root);
    snprintf(json, sizeof json, "%s/regress.json", tmp_root);
    write_file(profile,
               "cell gate spin-serial -w " TEST_WORKLOAD " -m @serial -n 4 --spin-us 300\n"
               "cell gate spin-inline -w " TEST_WORKLOAD " -m " TEST_MODEL " -n 4 --spin-us 300\n"
               "cell gate count-inline -w count -m " TEST_MODEL " -n 2 --count 100000\n");
    char *argv[] = { regress, "--base-bin", (char *)cb_path(), "--head-bin", (char *)cb_path(),
                     "--profile", profile, "--runs", "3", "--output", json, NULL };
    struct cb_out o;
    cb_runv(&o, argv);
    if (o.status != 0)
        fail_msg("gate exited %d:\n%s\n%s", o.status, o.out, o.err);
    assert_non_null(strstr(o.out, "| spin-inline | "));
    assert_non_null(strstr(o.out, "| count-inline | "));
    assert_non_null(strstr(o.out, "| spin-serial | "));
    assert_null(strstr(o.out, "skipped"));
    cb_out_free(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_listed),
        cmocka_unit_test(test_spin_under_every_model),
        cmocka_unit_test(test_every_workload_under_inline),
        cmocka_unit_test(test_model_option),
        cmocka_unit_test(test_spin_timeout),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_real_profile_selects_them),
        cmocka_unit_test(test_sweep),
        cmocka_unit_test(test_report_and_charts),
        cmocka_unit_test(test_gate),
    };
    return cmocka_run_group_tests_name("proof", tests, setup, teardown);
}
