/* test_lock.c — the lock workload (one shared counter in MAP_SHARED memory): every --sync
 * strategy under every model of the registry (models[], never a name) ends with the exact
 * count, except none, whose shortfall is the record's lost_updates: 0 wherever the model runs
 * one task at a time, and real lost updates where two tasks run at once on two cores. The lock
 * figures (contended) are recorded; a bad --sync is a usage error listing the strategies. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "models/model.h"
#include "tests/helpers.h"
#include "workloads/workload.h"

static unsigned cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

/* The strategies, from the workload's own declaration. */
static const struct wopt *sync_opt(void)
{
    const struct workload *w = workload_find("lock");
    assert_non_null(w);
    const struct wopt *d = wopt_find(w->opts, "sync");
    assert_non_null(d);
    assert_int_equal(d->type, WOPT_ENUM);
    return d;
}

static struct json_value *run_lock(const struct model *m, const char *sync, const char *n,
                                   const char *j, const char *c)
{
    return cb_run_json(NULL, 0, "run", "-w", "lock", "-m", m->name, "-n", n, "-j", j,
                       "--sync", sync, "--increments", c, "--json");
}

/* 4 tasks of 20,000 increments, -j 2, under every model and every strategy. */
static void test_every_sync_every_model(void **state)
{
    const struct wopt *d = sync_opt();
    const struct workload *w = workload_find("lock");
    (void)state;
    for (const struct model *const *m = models; *m; m++) {
        unsigned conc = model_concurrency(*m, 4, 2, cores());
        unsigned par = model_parallelism(*m, w, conc);
        if (w->shared_state && (*m)->remote) {
            /* Its tasks may run on other hosts: the pair is refused with the reason. */
            struct cb_out o;
            cb_run(&o, "run", "-w", "lock", "-m", (*m)->name, "-n", "2", NULL);
            assert_int_equal(o.status, 2);
            assert_non_null(strstr(o.err, "skipped"));
            cb_out_free(&o);
            continue;
        }
        for (const char *const *s = d->choices; *s; s++) {
            char what[96];
            snprintf(what, sizeof what, "lock --sync %s x %s", *s, (*m)->name);
            struct json_value *v = run_lock(*m, *s, "4", "2", "20000");
            if (!jbool(v, "verified"))
                fail_msg("%s: not verified: %s", what, jstr(v, "verify_error"));
            assert_string_equal(jstr(v, "kind"), "contended");
            assert_string_equal(jstr(v, "sync"), *s);
            double made = jnum(v, "updates"), counter = jnum(v, "counter");
            double lost = jnum(v, "lost_updates");
            if (made != 80000)
                fail_msg("%s: %g increments made, expected 80000", what, made);
            if (counter + lost != made)
                fail_msg("%s: counter %g + lost %g != %g made", what, counter, lost, made);
            if (strcmp(*s, "none") != 0 && counter != 80000)
                fail_msg("%s: the counter is %g, expected 80000 exactly", what, counter);
            if (par == 1 && lost != 0)
                fail_msg("%s: %g updates lost by a model that runs one task at a time", what,
                         lost);
            bool has_lock = strcmp(*s, "mutex") == 0 || strcmp(*s, "spin") == 0;
            if (has_lock != (json_get(v, "contended") != NULL))
                fail_msg("%s: 'contended' %s", what, has_lock ? "missing" : "unexpected");
            if (has_lock && par == 1 && jnum(v, "contended") != 0)
                fail_msg("%s: the lock was contended with one task at a time", what);
            json_free(v);
        }
    }
}

/* none is really unguarded: two threads on two cores lose updates (within a few tries of
 * 2 x 2,000,000 increments); a guarded strategy never does, with the lock contended. */
static void test_none_loses_updates(void **state)
{
    const struct model *threads = model_find("threads");
    (void)state;
    if (!threads)
        cb_skip("no threads model in this binary");
    if (cores() < 2)
        cb_skip("one CPU: two tasks never run at the same instant");
    double lost = 0;
    for (int t = 0; t < 5 && lost == 0; t++) {
        struct json_value *v = run_lock(threads, "none", "2", "2", "2000000");
        assert_true(jbool(v, "verified"));
        lost = jnum(v, "lost_updates");
        assert_true(lost < 4000000);
        json_free(v);
    }
    if (lost == 0)
        fail_msg("--sync none lost no update in 5 runs of 2 threads on %u cores", cores());
    double contended = 0;
    for (int t = 0; t < 5 && contended == 0; t++) {
        struct json_value *v = run_lock(threads, "mutex", "2", "2", "1000000");
        assert_true(jbool(v, "verified"));
        assert_int_equal((long)jnum(v, "counter"), 2000000);
        contended = jnum(v, "contended");
        json_free(v);
    }
    if (contended == 0)
        fail_msg("--sync mutex: two threads on %u cores never found the lock taken", cores());
}

/* A bad strategy is a usage error (exit 2) that lists the allowed ones. */
static void test_bad_sync(void **state)
{
    const struct wopt *d = sync_opt();
    struct cb_out o;
    (void)state;
    cb_run(&o, "run", "-w", "lock", "-m", "single", "--sync", "mutexx", NULL);
    assert_int_equal(o.status, 2);
    assert_non_null(strstr(o.err, "mutexx"));
    for (const char *const *s = d->choices; *s; s++)
        if (!strstr(o.err, *s))
            fail_msg("the usage error does not list '%s': %s", *s, o.err);
    cb_out_free(&o);
    cb_run(&o, "run", "-w", "lock", "-m", "single", "--increments", "-1", NULL);
    assert_int_equal(o.status, 2);
    cb_out_free(&o);
    /* --sync belongs to the lock workload only. */
    cb_run(&o, "run", "-w", "count", "-m", "single", "--sync", "mutex", NULL);
    assert_int_equal(o.status, 2);
    assert_non_null(strstr(o.err, "--sync"));
    cb_out_free(&o);
}

/* `list` shows it with its kind's label. */
static void test_listed(void **state)
{
    struct cb_out o;
    (void)state;
    cb_run(&o, "list", NULL);
    assert_int_equal(o.status, 0);
    const char *l = strstr(o.out, "  lock ");
    assert_non_null(l);
    assert_non_null(strstr(l, workload_kind_contended.label));
    cb_out_free(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_sync_every_model),
        cmocka_unit_test(test_none_loses_updates),
        cmocka_unit_test(test_bad_sync),
        cmocka_unit_test(test_listed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
