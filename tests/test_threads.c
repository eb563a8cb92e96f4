/* test_threads.c — what only the thread models promise: the pool's chunk sizes, and a thread
 * the system refuses (RLIMIT_NPROC as an unprivileged user): the run stops starting tasks and
 * says so. The contract every model keeps (same results as the serial reference, each task
 * once, the bound, parallelism) is in test_models.c. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/clock.h"
#include "tests/helpers.h"

#define run_json(want_exit, ...) cb_run_json(NULL, want_exit, __VA_ARGS__, "--json")

/* Every chunk size hands every task out once; no-op tasks in bulk go through the pool. */
static void test_pool_chunks(void **state)
{
    const char *const chunks[] = { "1", "3", "64", "999", "1000", "5000" };
    (void)state;
    for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
        struct json_value *v = run_json(0, "run", "-w", "probe", "-m", "thread-pool", "-n",
                                        "1000", "-j", "3", "--sleep-ms", "0", "--chunk",
                                        chunks[c]);
        if (!jbool(v, "verified"))
            fail_msg("--chunk %s: %s", chunks[c], jstr(v, "verify_error"));
        assert_int_equal((int)jnum(v, "probe_ran_once"), 1000);
        assert_true(jnum(v, "probe_max_in_flight") <= 3);
        json_free(v);
    }
    struct json_value *v = run_json(0, "run", "-w", "count", "-m", "thread-pool", "-n", "100000",
                                    "-j", "2", "--count", "0");
    assert_true(jbool(v, "verified"));
    json_free(v);
}

/* ---- A thread the system refuses ---- */

/* Copy the binary under test where an unprivileged user can run it. Returns the new path
 * (static buffer) or NULL. */
static const char *copy_binary_for_nobody(char *dir, size_t dirlen)
{
    static char path[512];
    snprintf(dir, dirlen, "/tmp/concbench-nproc-XXXXXX");
    if (!mkdtemp(dir))
        return NULL;
    chmod(dir, 0755);
    snprintf(path, sizeof path, "%s/concbench", dir);
    int in = open(cb_path(), O_RDONLY | O_CLOEXEC);
    int out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
    if (in < 0 || out < 0)
        return NULL;
    char buf[1 << 16];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)n) != n)
            return NULL;
    close(in);
    close(out);
    chmod(path, 0755);
    return path;
}

/* As `nobody` with RLIMIT_NPROC at 40, 300 threads cannot all start: the run stops starting,
 * lets the started ones finish, leaves the rest not_started with a clear note, and exits 1. */
static void test_thread_refused(void **state)
{
    (void)state;
    struct passwd *pw = getpwnam("nobody");
    struct group *gr = getgrnam("nogroup");
    if (!gr)
        gr = getgrnam("nobody");
    if (!pw || !gr || access("/usr/bin/setpriv", X_OK) != 0 ||
        access("/usr/bin/prlimit", X_OK) != 0) {
        cb_skip("no user nobody (or no setpriv/prlimit): EAGAIN path untested");
    }
    if (geteuid() != 0) {
        /* Without root we cannot switch users; as an ordinary user the limit applies to us
         * directly, but then it counts every process we own: too unpredictable to test. */
        cb_skip("not root, cannot run as nobody: EAGAIN path untested");
    }
    char dir[64];
    const char *bin = copy_binary_for_nobody(dir, sizeof dir);
    assert_non_null(bin);
    char uid[32], gid[32];
    snprintf(uid, sizeof uid, "--reuid=%u", (unsigned)pw->pw_uid);
    snprintf(gid, sizeof gid, "--regid=%u", (unsigned)gr->gr_gid);
    char *argv[] = { "/usr/bin/setpriv", uid, gid, "--clear-groups", "/usr/bin/prlimit",
                     "--nproc=40", (char *)bin, "run", "-w", "sleep", "-m", "threads", "-n",
                     "300", "--sleep-ms", "300", "--json", NULL };
    struct cb_out o;
    cb_runv(&o, argv);
    cb_rm_rf(dir);
    if (o.status != 1)
        fail_msg("exit %d, expected 1; stderr: %s; stdout: %.300s", o.status, o.err, o.out);
    if (cb_timing())
        assert_true(o.seconds < 20);
    struct json_value *v = cb_json(&o);
    const char *note = jstr(v, "note");
    unsigned k = 0, of = 0;
    if (sscanf(note, "could not start thread %u of %u: ", &k, &of) != 2)
        fail_msg("note is '%s'", note);
    assert_int_equal(of, 300);
    assert_true(k >= 1 && k <= 300);
    assert_non_null(strstr(note, ": Resource temporarily unavailable"));
    const struct json_value *st = json_get(v, "task_status");
    const struct json_value *ts = json_get(v, "task_start_s");
    const struct json_value *te = json_get(v, "task_end_s");
    assert_int_equal(st->n, 300);
    /* Threads 1..k-1 started and finished normally, with their times kept; k.. never ran. */
    for (size_t i = 0; i < st->n; i++) {
        const char *want = i + 1 < k ? "ok" : "not_started";
        if (strcmp(st->items[i].string, want) != 0)
            fail_msg("task %zu is %s, expected %s (note: %s)", i, st->items[i].string, want,
                     note);
        if (i + 1 < k) {
            assert_int_equal(ts->items[i].type, JSON_NUMBER);
            assert_true(te->items[i].number - ts->items[i].number >= 0.3 - 1e-3);
        } else {
            assert_int_equal(ts->items[i].type, JSON_NULL);
        }
    }
    assert_true(k < 300);                       /* the limit did bite */
    json_free(v);
    cb_out_free(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool_chunks),
        cmocka_unit_test(test_thread_refused),
    };
    return cmocka_run_group_tests_name("threads", tests, NULL, NULL);
}
