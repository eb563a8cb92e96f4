/* test_external.c — external models (models/ext.h, docs/external.md): every CPython reference
 * model on every workload through the protocol, verified by the workload's own rules; and the
 * protocol's failures (garbage, a missing task, a duplicate, a crash, a hang, Ctrl-C), each a
 * clear failure of the run or exit 130, with nothing left running. Skipped under the sanitizer
 * builds (nothing of ours runs in the programs) and when Debian's python3 with Pillow is
 * missing (sh scripts/deps.sh installs python3-pil). */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/helpers.h"

static char fakes[256];         /* a folder of fake external models, CONCBENCH_EXTERNAL */

static const char *python(void)
{
    const char *p = getenv("CONCBENCH_PYTHON");
    return p && *p ? p : "/usr/bin/python3";
}

/* Skip (visibly) where these tests have nothing to check or cannot run. */
static bool usable(void)
{
    if (getenv("CONCBENCH_SANITIZER")) {
        cb_skip("sanitizer build: the external programs run none of our code");
        return false;
    }
    char cmd[600];
    snprintf(cmd, sizeof cmd, "%s -c 'import PIL' >/dev/null 2>&1", python());
    if (system(cmd) != 0) {
        cb_skip("%s with Pillow is missing (sh scripts/deps.sh installs python3-pil)", python());
        return false;
    }
    return true;
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

/* A fake external model NAME mirroring `mirrors`, running the shell script `script`. */
static void fake(const char *name, const char *mirrors, const char *script)
{
    char desc[512], file[80];
    snprintf(file, sizeof file, "%s.sh", name);
    write_file(fakes, file, script);
    snprintf(desc, sizeof desc, "name = %s\nmirrors = %s\ncommand = /bin/sh {dir}/%s\n", name,
             mirrors, file);
    snprintf(file, sizeof file, "%s.model", name);
    write_file(fakes, file, desc);
}

static int setup_fakes(void **state)
{
    (void)state;
    snprintf(fakes, sizeof fakes, "/tmp/concbench-test-ext-%d", (int)getpid());
    cb_rm_rf(fakes);
    if (mkdir(fakes, 0755) < 0)
        return -1;
    /* A correct program in four lines of shell: sleep tasks of 0 ms. */
    fake("fake-good", "single",
         "cat >/dev/null\n"
         "echo '{\"task\": 0, \"status\": \"ok\", \"start\": 0.001, \"end\": 0.002}'\n"
         "echo '{\"task\": 1, \"status\": \"failed\", \"start\": 0.002, \"end\": 0.003, "
         "\"error\": \"no luck\", \"message\": \"task 1 had no luck\"}'\n"
         "echo '{\"wall\": 0.004}'\n");
    fake("fake-garbage", "single", "echo hello\n");
    fake("fake-missing", "single",
         "echo '{\"task\": 0, \"status\": \"ok\", \"start\": 0, \"end\": 0}'\n"
         "echo '{\"wall\": 0.001}'\n");
    fake("fake-duplicate", "single",
         "echo '{\"task\": 0, \"status\": \"ok\", \"start\": 0, \"end\": 0}'\n"
         "echo '{\"task\": 0, \"status\": \"ok\", \"start\": 0, \"end\": 0}'\n"
         "echo '{\"wall\": 0.001}'\n");
    fake("fake-nowall", "single",
         "echo '{\"task\": 0, \"status\": \"ok\", \"start\": 0, \"end\": 0}'\n"
         "echo '{\"task\": 1, \"status\": \"ok\", \"start\": 0, \"end\": 0}'\n");
    fake("fake-crash", "single",
         "echo '{\"task\": 0, \"status\": \"ok\", \"start\": 0, \"end\": 0}'\n"
         "echo 'about to crash' >&2\nkill -SEGV $$\n");
    /* Hangs, with a grandchild in its group that would outlive it if nobody cleaned up. */
    fake("fake-hang", "processes", "sleep 600 &\nsleep 600\n");
    /* Writes a thumbnail of the right size that is not the image's: all black. */
    char script[1024];
    snprintf(script, sizeof script,
             "exec %s -c '\n"
             "import json, sys\nfrom PIL import Image\n"
             "s = json.load(sys.stdin); out = s[\"setup\"][\"outputs\"]\n"
             "for i, path in enumerate(out):\n"
             "    im = Image.open(s[\"setup\"][\"images\"][i %% len(s[\"setup\"][\"images\"])])\n"
             "    im.thumbnail((s[\"setup\"][\"size\"],) * 2)\n"
             "    Image.new(\"RGB\", im.size).save(path)\n"
             "    print(json.dumps(dict(task=i, status=\"ok\", start=0, end=0, output=path)))\n"
             "print(json.dumps(dict(wall=0.001)))\n'\n", python());
    fake("fake-black", "single", script);
    /* Not a descriptor concbench accepts: ignored with a message. */
    write_file(fakes, "broken.model", "name = fake-broken\nmirrors = nothing-like-it\n"
                                      "command = /bin/true\n");
    setenv("CONCBENCH_EXTERNAL", fakes, 1);
    return 0;
}

static int teardown_fakes(void **state)
{
    (void)state;
    unsetenv("CONCBENCH_EXTERNAL");
    cb_rm_rf(fakes);
    return 0;
}

/* ---- the reference models ---- */

static const char *const ref_models[] = {
    "python-single", "python-threads", "python-thread-pool", "python-processes",
    "python-process-pool", "python-async",
};

/* One verified run; returns the record (json_free it). */
static struct json_value *ok_run(const char *const *args)
{
    struct cb_out o;
    struct json_value *v = cb_run_json_v(&o, 0, args);
    if (!jbool(v, "verified"))
        fail_msg("not verified: %s\n%s", jstr(v, "verify_error"), o.err);
    cb_out_free(&o);
    return v;
}

static void check_run(const struct json_value *v, const char *model, unsigned n, unsigned j)
{
    bool single = strcmp(model, "python-single") == 0;
    assert_string_equal(jstr(v, "model"), model);
    assert_int_equal((int)jnum(v, "tasks"), (int)n);
    assert_int_equal((int)jnum(v, "concurrency"), single ? 1 : (int)j);
    assert_true(jnum(v, "wall_s") > 0);
    assert_true(jnum(v, "children_max_rss_kb") > 1000);     /* the interpreter's tree */
    assert_true(cb_max_overlap(v) <= (single ? 1u : j));
}

static void test_reference_sleep_http(void **state)
{
    (void)state;
    if (!usable())
        return;
    for (size_t k = 0; k < sizeof ref_models / sizeof ref_models[0]; k++) {
        const char *m = ref_models[k];
        bool single = strcmp(m, "python-single") == 0;
        struct json_value *v = ok_run((const char *const[]){ "run", "-w", "sleep", "-m", m,
            "-n", "6", "-j", "3", "--sleep-ms", "30", "--json", NULL });
        check_run(v, m, 6, 3);
        /* Its own clock: never less than the ideal, ceil(N / j) x D. */
        assert_true(jnum(v, "wall_s") >= (single ? 6 : 2) * 0.030 - 1e-6);
        if (cb_timing() && !single)
            assert_true(cb_max_overlap(v) >= 2);
        json_free(v);
        v = ok_run((const char *const[]){ "run", "-w", "http", "-m", m, "-n", "6", "-j", "3",
            "--sleep-ms", "10", "--bytes", "3000", "--json", NULL });
        check_run(v, m, 6, 3);
        json_free(v);
    }
    /* urllib.request's form: a new connection per request. */
    struct json_value *v = ok_run((const char *const[]){ "run", "-w", "http", "-m",
        "python-thread-pool", "-n", "4", "-j", "2", "--sleep-ms", "5", "--no-reuse", "--json",
        NULL });
    json_free(v);
    v = ok_run((const char *const[]){ "run", "-w", "http", "-m", "python-async", "-n", "4",
        "-j", "2", "--sleep-ms", "5", "--no-reuse", "--json", NULL });
    json_free(v);
}

static void test_reference_cpu(void **state)
{
    (void)state;
    if (!usable())
        return;
    for (size_t k = 0; k < sizeof ref_models / sizeof ref_models[0]; k++) {
        const char *m = ref_models[k];
        struct json_value *v = ok_run((const char *const[]){ "run", "-w", "count", "-m", m,
            "-n", "4", "-j", "2", "--count", "100000", "--json", NULL });
        check_run(v, m, 4, 2);
        json_free(v);
        v = ok_run((const char *const[]){ "run", "-w", "thumbnail", "-m", m, "-n", "5", "-j",
            "2", "--corpus-images", "3", "--corpus-size", "320x180", "--json", NULL });
        check_run(v, m, 5, 2);
        assert_int_equal((int)jnum(v, "thumbnails"), 5);
        json_free(v);
    }
}

/* A thumbnail of the right size but the wrong pixels fails its task, with the measure. */
static void test_thumbnail_differs(void **state)
{
    (void)state;
    if (!usable())
        return;
    struct cb_out o;
    struct json_value *v = cb_run_json(&o, 1, "run", "-w", "thumbnail", "-m", "fake-black",
                                       "-n", "2", "--corpus-images", "3", "--corpus-size",
                                       "320x180", "--json");
    assert_false(jbool(v, "verified"));
    const struct json_value *kinds = json_get(v, "error_kinds");
    assert_non_null(json_get(kinds, "differs from ours"));
    assert_non_null(strstr(o.out, "differs from concbench's thumbnail"));
    json_free(v);
    cb_out_free(&o);
}

/* ---- the protocol ---- */

/* The four-line shell program: its own results (one failed task) and its own wall time. */
static void test_protocol_good(void **state)
{
    (void)state;
    if (!usable())
        return;
    struct cb_out o;
    struct json_value *v = cb_run_json(&o, 1, "run", "-w", "sleep", "-m", "fake-good", "-n",
                                       "2", "--sleep-ms", "0", "--json");
    assert_true(fabs(jnum(v, "wall_s") - 0.004) < 1e-9);
    assert_non_null(json_get(json_get(v, "error_kinds"), "no luck"));
    assert_non_null(strstr(o.out, "task 1 had no luck"));
    assert_int_equal((int)jnum(v, "errors"), 1);
    /* The broken descriptor beside it was refused, with the reason. */
    assert_non_null(strstr(o.err, "broken.model"));
    assert_non_null(strstr(o.err, "nothing-like-it"));
    json_free(v);
    cb_out_free(&o);
}

/* A run whose program broke the protocol: exit 1, every task failed with `kind`, the note
 * saying why. */
static void expect_failure(const char *model, const char *kind, const char *why)
{
    struct cb_out o;
    struct json_value *v = cb_run_json(&o, 1, "run", "-w", "sleep", "-m", model, "-n", "2",
                                       "--sleep-ms", "0", "--json");
    const struct json_value *k = json_get(json_get(v, "error_kinds"), kind);
    if (!k || strstr(jstr(v, "note"), why) == NULL)
        fail_msg("%s: expected kind '%s' and '%s' in the note:\n%s", model, kind, why, o.out);
    assert_int_equal((int)k->number, 2);
    assert_false(jbool(v, "verified"));
    assert_int_equal(cb_count_children(), 0);
    json_free(v);
    cb_out_free(&o);
}

static void test_protocol_errors(void **state)
{
    (void)state;
    if (!usable())
        return;
    expect_failure("fake-garbage", "protocol error", "line 1 is not a JSON object");
    expect_failure("fake-missing", "protocol error", "1 of 2 tasks missing");
    expect_failure("fake-duplicate", "protocol error", "task 0 reported twice");
    expect_failure("fake-nowall", "protocol error", "no batch line");
    expect_failure("fake-crash", "killed by SIGSEGV", "about to crash");
}

/* A workload without an external form is refused: the model could not run. */
static void test_no_external_form(void **state)
{
    (void)state;
    if (!usable())
        return;
    struct cb_out o;
    struct json_value *v = cb_run_json(&o, 3, "run", "-w", "probe", "-m", "python-single",
                                       "--json");
    assert_non_null(strstr(jstr(v, "note"), "no external form"));
    json_free(v);
    cb_out_free(&o);
}

/* A hang past the run's time limit: killed with its whole group, a clear failure. */
static void test_hang(void **state)
{
    (void)state;
    if (!usable())
        return;
    setenv("CONCBENCH_EXT_TIMEOUT", "1", 1);
    struct cb_out o;
    struct json_value *v = cb_run_json(&o, 1, "run", "-w", "sleep", "-m", "fake-hang", "-n", "2",
                                       "--sleep-ms", "0", "--json");
    unsetenv("CONCBENCH_EXT_TIMEOUT");
    assert_int_equal((int)jnum(json_get(v, "error_kinds"), "timeout"), 2);      /* by status */
    assert_non_null(strstr(jstr(v, "note"), "time limit of 1 s"));
    if (cb_timing())
        assert_true(o.seconds < 5);
    assert_int_equal(cb_count_children(), 0);
    json_free(v);
    cb_out_free(&o);
}

/* Ctrl-C reaches the program's process group: exit 130 at once, nothing left. */
static void interrupt(const char *model, const char *workload_ms)
{
    char *argv[] = { (char *)cb_path(), "run", "-w", "sleep", "-m", (char *)model, "-n", "4",
                     "-j", "2", "--sleep-ms", (char *)workload_ms, NULL };
    struct cb_signal plan = { .sig = SIGINT, .after = 0.3, .on_ready = true };
    struct cb_out o;
    double exit_after = 0;
    cb_runv_plan(&o, argv, &plan, &exit_after);
    assert_true(o.ready_s >= 0);
    if (o.status != 130)
        fail_msg("%s: exit %d, expected 130\n%s%s", model, o.status, o.out, o.err);
    assert_non_null(strstr(o.out, "interrupted by SIGINT"));
    if (cb_timing())
        assert_true(exit_after < 3);
    assert_int_equal(cb_count_children(), 0);
    cb_out_free(&o);
}

static void test_ctrl_c(void **state)
{
    (void)state;
    if (!usable())
        return;
    interrupt("fake-hang", "0");
    interrupt("python-processes", "60000");
    interrupt("python-threads", "60000");
}

/* profiles/reference holds every cell of ref/python/profile (what --with-reference python
 * adds), and the sweep plans them: every Python model found by name, none skipped. */
static void test_reference_profile(void **state)
{
    char dir[512], path[600], *line = NULL;
    size_t cap = 0;
    (void)state;
    cb_fuzz_dir("..", dir, sizeof dir);         /* tests/fuzz/.. = tests/ */
    snprintf(path, sizeof path, "%s/../profiles/reference", dir);
    FILE *ref = fopen(path, "r");
    assert_non_null(ref);
    char *all = NULL;
    size_t alen = 0;
    FILE *mem = open_memstream(&all, &alen);
    while (getline(&line, &cap, ref) > 0)
        fputs(line, mem);
    fclose(mem);
    fclose(ref);
    snprintf(path, sizeof path, "%s/../ref/python/profile", dir);
    FILE *py = fopen(path, "r");
    assert_non_null(py);
    unsigned cells = 0;
    while (getline(&line, &cap, py) > 0)
        if (strncmp(line, "cell ", 5) == 0) {
            cells++;
            if (!strstr(all, line))
                fail_msg("profiles/reference lacks this line of ref/python/profile:\n%s", line);
        }
    fclose(py);
    free(line);
    free(all);
    assert_true(cells >= 5);
    struct cb_out o;
    cb_run(&o, "sweep", "--profile", "reference", "--dry-run", NULL);
    assert_int_equal(o.status, 0);
    for (size_t k = 0; k < sizeof ref_models / sizeof ref_models[0]; k++)
        assert_non_null(strstr(o.out, ref_models[k]));
    assert_null(strstr(o.out, "skipped"));
    cb_out_free(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_sleep_http),
        cmocka_unit_test(test_reference_cpu),
        cmocka_unit_test(test_thumbnail_differs),
        cmocka_unit_test(test_protocol_good),
        cmocka_unit_test(test_protocol_errors),
        cmocka_unit_test(test_no_external_form),
        cmocka_unit_test(test_hang),
        cmocka_unit_test(test_ctrl_c),
        cmocka_unit_test(test_reference_profile),
    };
    return cmocka_run_group_tests_name("external", tests, setup_fakes, teardown_fakes);
}
