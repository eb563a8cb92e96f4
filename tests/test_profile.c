/* test_profile.c — the profile format (harness/profile.c): selectors, lists, {args}, names,
 * skipped pairs, errors with file:line; the sweep's four profiles against the cells their
 * rules give from this binary's registries; and the gate (ci/regress) run A/A on two given
 * binaries. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/profile.h"
#include "harness/sweep.h"
#include "tests/helpers.h"

/* Parse text; asserts the outcome (0 or an error whose message holds `want`). */
static void parse(const char *text, unsigned cores, struct profile *p, int rc, const char *want)
{
    char err[512] = "";
    int e = profile_parse(text, "t.prof", cores, p, err, sizeof err);
    if (e != rc)
        fail_msg("profile_parse returned %d, not %d: %s\n---\n%s", e, rc, err, text);
    if (want && !strstr(err, want))
        fail_msg("error '%s' does not say '%s'", err, want);
}

static unsigned visible_workloads(const char *kind)
{
    unsigned n = 0;
    for (const struct workload *const *w = workloads; *w; w++)
        n += !(*w)->hidden && (!kind || strcmp((*w)->kind->name, kind) == 0);
    return n;
}

static unsigned count_models(int serial, int pool, int forks)
{
    unsigned n = 0;
    for (const struct model *const *m = models; *m; m++)
        n += (serial < 0 || (*m)->serial == serial) && (pool < 0 || (*m)->pool == pool) &&
             (forks < 0 || (*m)->forks == forks);
    return n;
}

static void test_selectors(void **state)
{
    (void)state;
    struct profile p;
    parse("cell headline - -w @all -m @all -n 2\n", 2, &p, 0, NULL);
    unsigned nm = count_models(-1, -1, -1), nsh = 0, nrem = 0;
    for (const struct workload *const *w = workloads; *w; w++)
        nsh += !(*w)->hidden && (*w)->shared_state;
    for (const struct model *const *m = models; *m; m++)
        nrem += (*m)->remote;
    /* Every pair but those of a workload whose tasks share memory under a remote model, which
     * are listed as skipped. */
    assert_int_equal(p.ncells, visible_workloads(NULL) * nm - nsh * nrem);
    assert_int_equal(p.nskipped, nsh * nrem);
    /* Workloads by kind order then their order, models by their order; hidden ones left out. */
    for (size_t k = 1; k < p.ncells; k++) {
        const struct profile_cell *a = &p.cells[k - 1], *b = &p.cells[k];
        assert_false(b->w->hidden);
        if (a->w == b->w)
            assert_true(a->m->order < b->m->order);
        else
            assert_true(a->w->kind->order < b->w->kind->order ||
                        (a->w->kind->order == b->w->kind->order && a->w->order < b->w->order));
    }
    profile_free(&p);

    parse("cell tasks - -w @io -m @!serial+!pool -n 2\n", 2, &p, 0, NULL);
    assert_int_equal(p.ncells, visible_workloads("io") * count_models(0, 0, -1));
    for (size_t k = 0; k < p.ncells; k++) {
        assert_true(p.cells[k].w->kind->waits);
        assert_false(p.cells[k].m->serial || p.cells[k].m->pool);
    }
    profile_free(&p);

    /* A comma list of selectors and names: each pair once. */
    char text[256];
    snprintf(text, sizeof text, "cell overhead - -w @cpu -m @!forks,@pool,%s -n 2\n",
             model_serial()->name);
    parse(text, 2, &p, 0, NULL);
    assert_int_equal(p.ncells, visible_workloads("cpu") *
                     (count_models(-1, -1, 0) + count_models(-1, 1, 1)));
    profile_free(&p);

    /* A hidden workload joins when named. */
    for (const struct workload *const *w = workloads; *w; w++)
        if ((*w)->hidden) {
            snprintf(text, sizeof text, "cell user - -w %s -m @serial -n 1\n", (*w)->name);
            parse(text, 2, &p, 0, NULL);
            assert_int_equal(p.ncells, count_models(1, -1, -1));
            assert_ptr_equal(p.cells[0].w, *w);
            profile_free(&p);
        }
}

static void test_lists_and_cores(void **state)
{
    (void)state;
    struct profile p;
    const struct model *serial = model_serial();
    const struct model *pool = NULL;
    for (const struct model *const *m = models; *m && !pool; m++)
        if ((*m)->pool)
            pool = *m;
    assert_non_null(serial);
    assert_non_null(pool);
    char text[256];
    snprintf(text, sizeof text, "cell concurrency {w}/{m}/{n}/{j} -w @all -m %s,%s "
             "-n 3,5 -j 1,cores\n", serial->name, pool->name);
    parse(text, 7, &p, 0, NULL);
    /* The serial model takes no -j: one cell per N, not one per -j. */
    assert_int_equal(p.ncells, visible_workloads(NULL) * (2 + 2 * 2));
    /* Order: workload, model, -n, -j. */
    const struct profile_cell *c = p.cells;
    assert_ptr_equal(c[0].m, serial);
    assert_int_equal(c[0].tasks, 3);
    assert_int_equal(c[0].jobs, 0);
    assert_int_equal(c[0].concurrency, 1);
    assert_int_equal(c[1].tasks, 5);
    assert_ptr_equal(c[2].m, pool);
    assert_int_equal(c[2].jobs, 1);
    assert_int_equal(c[3].jobs, 7);             /* cores */
    assert_int_equal(c[3].concurrency, 7);
    char want[128];
    snprintf(want, sizeof want, "%s/%s/5/7", c[5].w->name, pool->name);
    assert_string_equal(c[5].name, want);
    assert_int_equal(c[5].part, PROFILE_CONCURRENCY);
    assert_int_equal(c[5].line, 1);
    profile_free(&p);

    /* The pool's default concurrency is the cores given. */
    snprintf(text, sizeof text, "\n\ncell headline - -w @all -m %s -n 9\n", pool->name);
    parse(text, 3, &p, 0, NULL);
    assert_int_equal(p.cells[0].concurrency, 3);
    assert_int_equal(p.cells[0].line, 3);
    snprintf(want, sizeof want, "%s-%s-n9-j3", p.cells[0].w->name, pool->name);
    assert_string_equal(p.cells[0].name, want);
    profile_free(&p);
}

static void test_args_and_options(void **state)
{
    (void)state;
    struct profile p;
    const char *scales[] = { "quick", "default" };
    for (int s = 0; s < 2; s++) {
        char text[256];
        snprintf(text, sizeof text, "scale %s\nruns 4\nhyperfine on\n"
                 "cell headline - -w @all -m @serial -n 1 {args}\n"
                 "cell concurrency - -w @all -m @serial -n 1 {conc_args}\n", scales[s]);
        parse(text, 2, &p, 0, NULL);
        assert_int_equal(p.runs, 4);
        assert_true(p.hyperfine);
        size_t half = p.ncells / 2;
        for (size_t k = 0; k < half; k++) {
            const struct workload_sweep *sw = &p.cells[k].w->sweep[s];
            assert_string_equal(p.cells[k].args, sw->args ? sw->args : "");
            assert_string_equal(p.cells[half + k].args,
                                sw->conc_args ? sw->conc_args : sw->args ? sw->args : "");
        }
        profile_free(&p);
    }
    /* Options neither the workload, the model nor `run` declares are left out and noted; run
     * options stay; the params key holds the workload's options that differ from defaults. */
    const struct workload *w = NULL;
    for (const struct workload *const *x = workloads; *x && !w; x++)
        if ((*x)->opts && (*x)->opts[0].name && (*x)->opts[0].type == WOPT_UINT)
            w = *x;
    assert_non_null(w);
    const struct wopt *o = &w->opts[0];
    char text[256], want[128];
    unsigned long long v = o->min + 1;
    snprintf(text, sizeof text, "cell user x -w %s -m @serial -n 1 --frob 3 --%s %llu "
             "--chunk 2 --no-such-flag\n", w->name, o->name, v);
    parse(text, 2, &p, 0, NULL);
    assert_int_equal(p.ncells, 1);
    snprintf(want, sizeof want, "--%s %llu --chunk 2", o->name, v);
    assert_string_equal(p.cells[0].args, want);
    assert_int_equal(p.nnotes, 2);
    assert_non_null(strstr(p.notes[0], "--frob"));
    assert_non_null(strstr(p.notes[1], "--no-such-flag"));
    snprintf(want, sizeof want, "%s=%llu", o->name, v);
    if (!o->def || strtoull(o->def, NULL, 10) != v)
        assert_string_equal(p.cells[0].params, want);
    /* The argument vector the sweep and the gate give `run`. */
    char *argv[16];
    int n = profile_cell_argv(&p.cells[0], argv, 16);
    assert_int_equal(n, 6 + 4);
    assert_string_equal(argv[0], "-w");
    assert_string_equal(argv[1], w->name);
    assert_string_equal(argv[5], "1");
    assert_string_equal(argv[9], "2");
    while (n > 0)
        free(argv[--n]);
    profile_free(&p);
}

static void test_skipped_pairs(void **state)
{
    (void)state;
    struct profile p;
    char text[256];
    snprintf(text, sizeof text, "cell headline - -w nosuch,@all -m %s,ghost -n 1\nnote hello\n",
             model_serial()->name);
    parse(text, 2, &p, 0, NULL);
    unsigned nw = visible_workloads(NULL);
    assert_int_equal(p.ncells, nw);
    assert_int_equal(p.nskipped, 2 + nw);
    char want[128];
    snprintf(want, sizeof want, "nosuch x %s: workload nosuch not registered",
             model_serial()->name);
    assert_string_equal(p.skipped[0], want);
    assert_string_equal(p.skipped[1], "nosuch x ghost: workload nosuch not registered");
    snprintf(want, sizeof want, "%s x ghost: model ghost not registered", p.cells[0].w->name);
    assert_string_equal(p.skipped[2], want);
    assert_string_equal(p.notes[0], "hello");
    profile_free(&p);
    /* Only pairs this binary lacks: not an error, nothing to run. */
    parse("cell headline - -w nosuch -m ghost -n 1\n", 2, &p, 0, NULL);
    assert_int_equal(p.ncells, 0);
    assert_int_equal(p.nskipped, 1);
    profile_free(&p);
}

static void test_errors(void **state)
{
    (void)state;
    static const struct { const char *text, *want; } bad[] = {
        { "runs 3\nfrobnicate 2\n", "t.prof:2: unknown directive 'frobnicate'" },
        { "# c\n\ncell headline - -w @all -m @fast -n 1\n", "t.prof:3: unknown model selector" },
        { "cell headline - -w @all -m @serial+!frob -n 1\n", "t.prof:1: unknown model selector" },
        { "cell headline - -w @lock -m @all -n 1\n", "t.prof:1: unknown workload selector" },
        { "cell headline - -w @all -m @all -n 0\n", "t.prof:1: -n: '0' is not a positive" },
        { "cell headline - -w @all -m @all -n 1 -j many\n", "t.prof:1: -j: 'many'" },
        { "cell headline - -w @all -n 1\n", "t.prof:1: a cell needs -w, -m and -n" },
        { "cell headline - -w @all -m @all -n 1 -n 2\n", "t.prof:1: -n given twice" },
        { "cell headline - -w @all -m @all -n\n", "t.prof:1: -n needs a value" },
        { "cell sideways - -w @all -m @all -n 1\n", "t.prof:1: unknown part 'sideways'" },
        { "cell headline\n", "t.prof:1: expected 'cell PART NAME" },
        { "cell headline one -w @all -m @all -n 1\n", "t.prof:1: the name 'one' would name" },
        { "cell gate a -w @all -m @serial -n 1\n", "t.prof:1: the name 'a' would name" },
        { "cell gate {m} -w @io -m @serial -n 1\n", "t.prof:1: cell name" },
        { "runs 2\nruns 3\n", "t.prof:2: 'runs' given twice (first on line 1)" },
        { "runs zero\n", "t.prof:1: runs:" },
        { "hyperfine maybe\n", "t.prof:1: hyperfine: 'on' or 'off'" },
        { "scale huge\n", "t.prof:1: scale: 'quick' or 'default'" },
        { "runs 2\n", "no cells" },
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        struct profile p;
        parse(bad[k].text, 2, &p, -EINVAL, bad[k].want);
        profile_free(&p);
    }
    /* Through the sweep: an unknown name lists the profiles there are. */
    struct sweep_plan plan;
    char err[512];
    assert_int_equal(sweep_plan_build("nope", 0, 2, &plan, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "unknown profile 'nope'"));
    assert_non_null(strstr(err, "default"));
    assert_non_null(strstr(err, "test-faults"));
}

/* ---- the sweep's profiles: the cells the rules of the old C tables give ---- */

struct counts {
    unsigned part[SWEEP_NPARTS], total, runs;
    bool hyperfine;
};

static void plan_counts(const char *name, struct counts *k)
{
    struct sweep_plan plan;
    char err[512];
    memset(k, 0, sizeof *k);
    if (sweep_plan_build(name, 0, 2, &plan, err, sizeof err) != 0)
        fail_msg("%s: %s", name, err);
    for (size_t i = 0; i < plan.ncells; i++) {
        k->part[plan.cells[i].part]++;
        assert_int_equal(plan.cells[i].id, i);
    }
    k->total = (unsigned)plan.ncells;
    k->runs = plan.runs;
    k->hyperfine = plan.hyperfine;
    /* Nothing skipped but the pairs of a workload whose tasks share memory under a remote
     * model (they are listed, with the reason). */
    for (unsigned i = 0; i < plan.nskipped; i++)
        if (!strstr(plan.skipped[i], "share memory"))
            fail_msg("%s: skipped: %s", name, plan.skipped[i]);
    /* Sorted: part, then each workload's cells together, models in chart order. */
    for (size_t i = 1; i < plan.ncells; i++) {
        const struct sweep_cell *a = &plan.cells[i - 1], *b = &plan.cells[i];
        assert_true(a->part <= b->part);
        if (a->part == b->part && strcmp(a->workload, b->workload) == 0)
            assert_true(model_find(a->model)->order <= model_find(b->model)->order);
    }
    sweep_plan_free(&plan);
}

/* Per workload kind, the task sweep's cells: n_serial for the serial reference, n for each
 * other model, plus extra. */
static void test_sweep_profiles(void **state)
{
    (void)state;
    unsigned nm = count_models(-1, -1, -1), nio = visible_workloads("io");
    unsigned ncpu = visible_workloads("cpu"), nw = nio + ncpu;
    unsigned nser = count_models(1, -1, -1), nfork1 = count_models(-1, 0, 1);
    bool extra = workload_find("sleep") && model_find("async");
    bool extra_uring = workload_find("sleep") && model_find("async-uring");    /* its 10k line */
    struct counts k;
    /* Issue 21: contended work (5 --sync lines), the dispatch styles' overhead cells. */
    unsigned ncont = visible_workloads("contended"), nstart = 0;
    unsigned ndisp = (model_find("thread-pool") ? 2 : 0) + (model_find("process-pool") ? 1 : 0);
    for (const struct model *const *m = models; *m; m++)
        nstart += !(*m)->serial && !(*m)->cpu_inline && !(*m)->pool;
    nw += ncont;
    /* Remote models (mpi: a job started for every run) are left out of the task-count and
     * concurrency parts of default and quick, and of every part but the headline of test. */
    unsigned nrem = 0;
    for (const struct model *const *m = models; *m; m++)
        nrem += (*m)->remote;
    /* A workload whose tasks share memory is skipped under a remote model. */
    unsigned nsh = 0;
    for (const struct workload *const *w = workloads; *w; w++)
        nsh += !(*w)->hidden && (*w)->shared_state;

    plan_counts("default", &k);
    assert_int_equal(k.runs, 5);
    assert_true(k.hyperfine);
    assert_int_equal(k.part[SWEEP_HEADLINE], nw * nm - nsh * nrem);
    assert_int_equal(k.part[SWEEP_TASKS], nio * (2 * nser + 4 * (nm - nser - nrem)) + extra +
                                          extra_uring + ncpu * 4 * (nm - nrem));
    assert_int_equal(k.part[SWEEP_CONCURRENCY],
                     (nio * 7 + ncpu * 4 + ncont * 5 * 5) * (nm - nser - nrem));
    assert_int_equal(k.part[SWEEP_OVERHEAD], nm + ndisp);
    assert_int_equal(k.part[SWEEP_TIMELINE], nw * (nm - nser) - nsh * nrem);
    if (nm == 6 && nio == 2 && ncpu == 2 && ncont == 1) /* today's registries (822a356: 253) */
        assert_int_equal(k.total, 392);
    (void)nfork1;

    plan_counts("quick", &k);
    assert_int_equal(k.runs, 3);
    assert_int_equal(k.part[SWEEP_HEADLINE], nw * nm - nsh * nrem);
    assert_int_equal(k.part[SWEEP_TASKS], nio * (nser + 2 * (nm - nser - nrem)) + extra +
                                          extra_uring + ncpu * 2 * (nm - nrem));
    assert_int_equal(k.part[SWEEP_CONCURRENCY], (nio * 3 + ncpu * 3) * (nm - nser - nrem) +
                                                ncont * 5 * 2 * nstart);
    assert_int_equal(k.part[SWEEP_OVERHEAD], nm + ndisp);
    assert_int_equal(k.part[SWEEP_TIMELINE], nw * (nm - nser - nrem));
    if (nm == 6 && nio == 2 && ncpu == 2 && ncont == 1)    /* 822a356: 157 */
        assert_int_equal(k.total, 191);

    plan_counts("test", &k);
    assert_int_equal(k.runs, 2);
    assert_int_equal(k.part[SWEEP_HEADLINE], 2 * nm);
    assert_int_equal(k.part[SWEEP_TASKS], 2 * (nm - nrem) + extra);
    assert_int_equal(k.part[SWEEP_CONCURRENCY], 2 * (nm - nser - nrem));
    assert_int_equal(k.part[SWEEP_OVERHEAD], nm - nrem);
    assert_int_equal(k.part[SWEEP_TIMELINE], 2 * (nm - nrem));
    if (nm == 6)
        assert_int_equal(k.total, 53);

    plan_counts("test-faults", &k);
    assert_int_equal(k.runs, 1);
    assert_false(k.hyperfine);
    assert_int_equal(k.total, 4);
    assert_int_equal(k.part[SWEEP_HEADLINE], 4);
}

/* A gate part is not the sweep's. */
static void test_sweep_refuses_gate_cells(void **state)
{
    (void)state;
    char path[] = "/tmp/concbench-profile-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text = "runs 2\ncell gate - -w @all -m @serial -n 1\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    struct sweep_plan plan;
    char err[512];
    assert_int_equal(sweep_plan_build(path, 0, 2, &plan, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, ":2: part 'gate' is not one the sweep runs"));
    unlink(path);
}

/* ---- the gate on two given binaries ---- */

static void repo_file(const char *rel, char *out, size_t len)
{
    snprintf(out, len, "%s", __FILE__);
    char *slash = strrchr(out, '/');
    if (slash)
        snprintf(slash + 1, len - (size_t)(slash + 1 - out), "../%s", rel);
    else
        snprintf(out, len, "../%s", rel);
}

static void regress_path(char *out, size_t len)
{
    snprintf(out, len, "%s", cb_path());
    char *slash = strrchr(out, '/');
    snprintf(slash ? slash + 1 : out, len - (slash ? (size_t)(slash + 1 - out) : 0), "regress");
}

static void test_gate_aa(void **state)
{
    (void)state;
    char regress[4096], profile[4096], out[] = "/tmp/concbench-gate-XXXXXX", json[4200];
    regress_path(regress, sizeof regress);
    repo_file("ci/profile-tiny", profile, sizeof profile);
    assert_non_null(mkdtemp(out));
    snprintf(json, sizeof json, "%s/regress.json", out);
    if (access(regress, X_OK) != 0)
        fail_msg("%s is missing: `make check` builds it", regress);
    char *argv[] = { regress, "--base-bin", (char *)cb_path(), "--head-bin", (char *)cb_path(),
                     "--profile", profile, "--runs", "3", "--output", json, NULL };
    struct cb_out o;
    cb_runv(&o, argv);
    if (o.status != 0)
        fail_msg("A/A gate exited %d:\n%s\n%s", o.status, o.out, o.err);
    assert_true(o.seconds < 20);
    assert_non_null(strstr(o.out, "| cell | base median | head median | ratio |"));
    assert_non_null(strstr(o.out, "**0 regressed**"));
    assert_non_null(strstr(o.out, "→ exit 0"));
    /* Every cell of the profile has its row. */
    struct profile p;
    char err[512];
    assert_int_equal(profile_load(profile, 2, &p, err, sizeof err), 0);
    assert_true(p.ncells > 0);
    for (size_t k = 0; k < p.ncells; k++) {
        char row[96];
        snprintf(row, sizeof row, "| %s | ", p.cells[k].name);
        if (!strstr(o.out, row))
            fail_msg("no row for %s in:\n%s", p.cells[k].name, o.out);
    }
    char *text;
    size_t len;
    FILE *f = fopen(json, "r");
    assert_non_null(f);
    text = calloc(1, 1 << 16);
    len = fread(text, 1, (1 << 16) - 1, f);
    fclose(f);
    char jerr[128];
    struct json_value *v = json_parse(text, len, jerr, sizeof jerr);
    assert_non_null(v);
    assert_int_equal(v->type, JSON_ARRAY);
    assert_int_equal(v->n, p.ncells);
    json_free(v);
    free(text);
    profile_free(&p);
    cb_out_free(&o);
    unlink(json);
    rmdir(out);

    /* Could not run: a missing binary, a bad profile line (with its file:line). */
    char *argv2[] = { regress, "--base-bin", "/no/such/concbench", "--head-bin",
                      (char *)cb_path(), "--profile", profile, "--runs", "3", "--output", json,
                      NULL };
    cb_runv(&o, argv2);
    assert_int_equal(o.status, 2);
    cb_out_free(&o);
    char bad[] = "/tmp/concbench-gate-prof-XXXXXX";
    int fd = mkstemp(bad);
    assert_true(fd >= 0);
    const char *line = "cell gate x -w @all -m @serial -n 1 -j\n";
    assert_int_equal(write(fd, line, strlen(line)), (ssize_t)strlen(line));
    close(fd);
    char *argv3[] = { regress, "--base-bin", (char *)cb_path(), "--head-bin", (char *)cb_path(),
                      "--profile", bad, NULL };
    cb_runv(&o, argv3);
    assert_int_equal(o.status, 2);
    assert_non_null(strstr(o.err, ":1: -j needs a value"));
    cb_out_free(&o);
    unlink(bad);
    char *argv4[] = { regress, "--help", NULL };
    cb_runv(&o, argv4);
    assert_int_equal(o.status, 0);
    assert_non_null(strstr(o.out, "--base-bin PATH"));
    assert_non_null(strstr(o.out, "--write-baseline"));
    cb_out_free(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_selectors),
        cmocka_unit_test(test_lists_and_cores),
        cmocka_unit_test(test_args_and_options),
        cmocka_unit_test(test_skipped_pairs),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_sweep_profiles),
        cmocka_unit_test(test_sweep_refuses_gate_cells),
        cmocka_unit_test(test_gate_aa),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
