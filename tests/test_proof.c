/* test_proof.c — the proof of issue 16, run against the proof build (make proof): a test model
 * (tests/model_inline.c, "inline") and a test workload (tests/workload_spin.c, "spin"), each one
 * file plus one guarded registry line, are in `concbench list`, run under every model / with
 * every workload and verify, and the model's option reaches it from the command line. (The
 * contract test, test_models.c, runs every model of this build too, inline included.) */
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
        if (t == sizeof tiny / sizeof tiny[0])
            fail_msg("workload %s: no tiny options in test_proof.c's table", (*w)->name);
        const char *args[24] = { "run", "-w", (*w)->name, "-m", TEST_MODEL, "-n", "4" };
        int n = 7;
        for (int k = 0; tiny[t].opts[k]; k++)
            args[n++] = tiny[t].opts[k];
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

/* TODO after the merge (issue 16 item 6, the parts that need H1-H3's work): a sweep with a
 * temporary profile naming the spin and inline cells -> both in summary.csv (their own
 * model_order/model_rgb), in every chart, in report.md's tables, and in a ci/regress run. */

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_listed),
        cmocka_unit_test(test_spin_under_every_model),
        cmocka_unit_test(test_every_workload_under_inline),
        cmocka_unit_test(test_model_option),
        cmocka_unit_test(test_spin_timeout),
        cmocka_unit_test(test_cancel),
    };
    return cmocka_run_group_tests_name("proof", tests, setup, teardown);
}
