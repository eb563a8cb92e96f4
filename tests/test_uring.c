/* test_uring.c — the async-uring model (async on the loop's io_uring backend): every workload
 * verified under it, the probe's exact in-flight counts, the loop's system calls counted in
 * the record (on http, far fewer than async's on epoll for the same fetches), and the
 * unavailable path forced with the test-only switch CONCBENCH_URING_FAIL: `list` says why,
 * `run` exits 3 with the reason, async on epoll is untouched, nothing crashes. The contract
 * every model keeps (results, cancellation, timeouts, failures) is in test_models.c, which
 * covers it through the registry. The loop's own tests run on both backends in test_loop.c.
 *
 * io_uring must work where this runs (it does in CI); on a machine where the kernel refuses it,
 * set CONCBENCH_URING_OPTIONAL=1 to skip the tests that need a ring (they say so). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/model.h"
#include "runtime/loop.h"
#include "tests/helpers.h"

#define MODEL_NAME "async-uring"
#define run_json(want_exit, ...) cb_run_json(NULL, want_exit, __VA_ARGS__, "--json")

static bool ring_here(void)
{
    char why[256];
    if (loop_backend_probe(LOOP_URING, why, sizeof why) == 0)
        return true;
    const char *opt = getenv("CONCBENCH_URING_OPTIONAL");
    if (opt && *opt && strcmp(opt, "0") != 0) {
        fprintf(stderr, "io_uring unavailable here, skipped: %s\n", why);
        skip();
    }
    fail_msg("io_uring is unavailable here (%s); set CONCBENCH_URING_OPTIONAL=1 where that "
             "is expected", why);
    return false;
}

/* In the registry, right after async in chart order, its own colour, inline for CPU work. */
static void test_registry_entry(void **state)
{
    (void)state;
    const struct model *u = model_find("async-uring"), *a = model_find("async");
    assert_non_null(u);
    assert_non_null(a);
    assert_true(u->order > a->order);
    for (const struct model *const *m = models; *m; m++)
        if (*m != u) {
            assert_true(strcmp((*m)->color, u->color) != 0);
            assert_true((*m)->order != u->order);
            /* nothing between async and async-uring but the proof build's test model */
            if (*m != a && (*m)->order > a->order && (*m)->order < u->order)
                assert_non_null(strstr((*m)->name, "inline"));
        }
    assert_true(u->cpu_inline);
    assert_int_equal(u->conc, a->conc);
    assert_non_null(u->available);
}

static void test_every_workload_verified(void **state)
{
    (void)state;
    if (!ring_here())
        return;
    struct {
        const char *w, *n, *opt, *val;
    } cases[] = {
        { "sleep", "500", "--sleep-ms", "20" },
        { "probe", "64", "--sleep-ms", "20" },
        { "count", "4", "--count", "100000" },
        { "http", "100", "--sleep-ms", "10" },
        { "thumbnail", "2", NULL, NULL },
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        struct json_value *v = cases[k].opt
            ? run_json(0, "run", "-w", cases[k].w, "-m", "async-uring", "-n", cases[k].n,
                       cases[k].opt, cases[k].val)
            : run_json(0, "run", "-w", cases[k].w, "-m", "async-uring", "-n", cases[k].n);
        if (!jbool(v, "verified"))
            fail_msg("%s under async-uring not verified: %s", cases[k].w,
                     jstr(v, "verify_error"));
        assert_int_equal((int)jnum(v, "errors"), 0);
        assert_string_equal(jstr(v, "model"), "async-uring");
        /* the loop's figures are in the record */
        assert_true(jnum(v, "loop_syscalls") >= 1);
        assert_true(jnum(v, "loop_cpu_s") >= 0);
        if (strcmp(cases[k].w, "probe") == 0) {
            assert_int_equal((int)jnum(v, "probe_ran_once"), 64);
            assert_int_equal((int)jnum(v, "probe_max_in_flight"), 64);   /* all at once */
        }
        if (strcmp(cases[k].w, "sleep") == 0 && cb_timing() && jnum(v, "wall_s") > 0.5)
            fail_msg("500 sleeps of 20 ms took %.3f s", jnum(v, "wall_s"));
        json_free(v);
    }
    /* a cap: exactly K in flight, as under async */
    struct json_value *v = run_json(0, "run", "-w", "probe", "-m", "async-uring", "-n", "40",
                                    "-j", "3", "--sleep-ms", "5");
    assert_int_equal((int)jnum(v, "probe_max_in_flight"), 3);
    assert_true(cb_max_overlap(v) <= 3);
    json_free(v);
}

/* The same 200 fetches under both: epoll pays epoll_ctl for every socket's add, change and
 * removal; io_uring queues them in the ring and enters the kernel once a turn. */
static void test_http_syscalls_against_epoll(void **state)
{
    (void)state;
    if (!ring_here())
        return;
    struct json_value *e = run_json(0, "run", "-w", "http", "-m", "async", "-n", "200",
                                    "--sleep-ms", "20");
    struct json_value *u = run_json(0, "run", "-w", "http", "-m", "async-uring", "-n", "200",
                                    "--sleep-ms", "20");
    double es = jnum(e, "loop_syscalls"), us = jnum(u, "loop_syscalls");
    assert_true(jbool(e, "verified") && jbool(u, "verified"));
    if (!(es >= 2 * 200))
        fail_msg("epoll: %.0f loop system calls for 200 fetches; at least an add and a removal "
                 "each expected", es);
    if (!(us < es / 4))
        fail_msg("io_uring: %.0f loop system calls for 200 fetches, epoll %.0f", us, es);
    if (!(us >= 1))
        fail_msg("io_uring: no loop system call counted");
    json_free(e);
    json_free(u);

    /* sleep: turns only, on both (a few for 1,000 timers due together) */
    u = run_json(0, "run", "-w", "sleep", "-m", "async-uring", "-n", "1000", "--sleep-ms", "20");
    if (!(jnum(u, "loop_syscalls") < 100))
        fail_msg("io_uring: %.0f loop system calls for 1,000 sleeps", jnum(u, "loop_syscalls"));
    json_free(u);
    /* a model without a loop has no loop figures */
    u = run_json(0, "run", "-w", "sleep", "-m", "single", "-n", "2", "--sleep-ms", "1");
    assert_null(json_get(u, "loop_syscalls"));
    json_free(u);
}

/* ---- io_uring unavailable (forced) ---- */

static void test_unavailable_in_process(void **state)
{
    (void)state;
    const char *cases[][2] = { { "1", "ENOSYS" }, { "EPERM", "EPERM" }, { "ENOMEM", "ENOMEM" } };
    for (size_t k = 0; k < 3; k++) {
        setenv("CONCBENCH_URING_FAIL", cases[k][0], 1);
        errno = 0;
        assert_null(loop_new_backend(LOOP_URING));
        int e = errno;
        char why[256];
        assert_int_equal(loop_backend_probe(LOOP_URING, why, sizeof why), -e);
        if (!strstr(why, cases[k][1]) || !strstr(why, "CONCBENCH_URING_FAIL"))
            fail_msg("reason for %s: '%s'", cases[k][0], why);
        char mwhy[256];
        assert_false(model_available(model_find("async-uring"), mwhy, sizeof mwhy));
        assert_string_equal(mwhy, why);
        /* epoll is untouched */
        struct loop *l = loop_new();
        assert_non_null(l);
        loop_free(l);
        assert_true(model_available(model_find("async"), mwhy, sizeof mwhy));
        assert_string_equal(mwhy, "");
    }
    unsetenv("CONCBENCH_URING_FAIL");
}

static void test_unavailable_list_and_run(void **state)
{
    struct cb_out o;
    (void)state;
    setenv("CONCBENCH_URING_FAIL", "EPERM", 1);
    assert_int_equal(cb_run(&o, "list", NULL), 0);
    const char *line = strstr(o.out, "  async-uring ");
    assert_non_null(line);
    const char *eol = strchr(line, '\n'), *mark = strstr(line, "(unavailable: ");
    assert_true(mark && mark < eol);
    const char *why = strstr(line, "EPERM");
    assert_true(why && why < eol);
    line = strstr(o.out, "  async ");
    assert_non_null(line);
    mark = strstr(line, "unavailable");
    assert_true(!mark || mark > strchr(line, '\n'));
    cb_out_free(&o);

    /* every workload: exit 3, the reason on stderr, no record, no crash */
    const char *ws[] = { "sleep", "http", "count", "probe" };
    for (size_t k = 0; k < 4; k++) {
        assert_int_equal(cb_run(&o, "run", "-w", ws[k], "-m", "async-uring", "-n", "3",
                                "--json", NULL), 3);
        if (!strstr(o.err, "async-uring is unavailable") || !strstr(o.err, "EPERM"))
            fail_msg("%s: stderr '%s'", ws[k], o.err);
        assert_string_equal(o.out, "");
        cb_out_free(&o);
    }
    /* a usage error is still a usage error */
    assert_int_equal(cb_run(&o, "run", "-w", "sleep", "-m", "async-uring", "-n", "x", NULL), 2);
    cb_out_free(&o);
    /* async on epoll runs as ever */
    assert_int_equal(cb_run(&o, "run", "-w", "sleep", "-m", "async", "-n", "3", "--sleep-ms",
                            "1", NULL), 0);
    cb_out_free(&o);
    unsetenv("CONCBENCH_URING_FAIL");
}

/* The sweep skips the model when io_uring is unavailable, and metadata.json says why; the
 * other models' cells still run. */
static void test_unavailable_sweep_skips(void **state)
{
    (void)state;
    char out[] = "/tmp/concbench-uring-sweep-XXXXXX";
    assert_non_null(mkdtemp(out));
    setenv("CONCBENCH_URING_FAIL", "EPERM", 1);
    struct cb_out o;
    cb_run(&o, "sweep", "--profile", "test", "--runs", "1", "--no-hyperfine", "--out", out, NULL);
    unsetenv("CONCBENCH_URING_FAIL");
    if (o.status != 0)
        fail_msg("sweep without io_uring: exit %d: %s", o.status, o.err);
    assert_non_null(strstr(o.err, MODEL_NAME ": model unavailable"));
    cb_out_free(&o);
    char path[200];
    snprintf(path, sizeof path, "%s/latest/metadata.json", out);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char *text = calloc(1, 1 << 20);
    assert_non_null(text);
    size_t n = fread(text, 1, (1 << 20) - 1, f);
    fclose(f);
    text[n] = '\0';
    assert_non_null(strstr(text, MODEL_NAME ": model unavailable: io_uring is refused"));
    free(text);
    snprintf(path, sizeof path, "%s/latest/summary.csv", out);
    f = fopen(path, "r");
    assert_non_null(f);
    char line[4096];
    unsigned rows = 0;
    while (fgets(line, sizeof line, f)) {
        assert_null(strstr(line, "," MODEL_NAME ","));
        rows++;
    }
    fclose(f);
    assert_true(rows > 1);
    cb_rm_rf(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry_entry),
        cmocka_unit_test(test_every_workload_verified),
        cmocka_unit_test(test_http_syscalls_against_epoll),
        cmocka_unit_test(test_unavailable_in_process),
        cmocka_unit_test(test_unavailable_list_and_run),
        cmocka_unit_test(test_unavailable_sweep_skips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
