/* test_processes.c — what only the process models promise: pool chunks, crashing and killed
 * children, the timeout backstop, children ignoring Ctrl-C, memory figures, few descriptors,
 * fork failure, and no child left behind after any run. The contract every model keeps (same
 * results as the serial reference, each task once, the bound) is in test_models.c. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/clock.h"
#include "tests/helpers.h"

static const char *const fork_models[] = { "processes", "process-pool" };
#define N_FORK_MODELS 2

/* Run concbench with args (NULL-terminated, without the binary) and parse its JSON record; the
 * exit code is the caller's to check (o->status). */
#define run_json_v(o, args) cb_run_json_v(o, -1, args)
#define run_json(o, ...) cb_run_json(o, -1, __VA_ARGS__)

static void expect_no_children(const char *what)
{
    int left = cb_count_children();
    if (left)
        fail_msg("%s: %d child process(es) left behind", what, left);
}

/* Fixed chunks of every size hand out every task once, too. */
static void test_pool_chunks(void **state)
{
    const char *chunks[] = { "1", "3", "64", "5000" };
    (void)state;
    for (size_t k = 0; k < sizeof chunks / sizeof chunks[0]; k++) {
        struct cb_out o;
        struct json_value *v = run_json(&o, "run", "-w", "probe", "-m", "process-pool", "-n",
                                        "1000", "-j", "3", "--sleep-ms", "0", "--chunk",
                                        chunks[k], "--json");
        if (o.status != 0)
            fail_msg("--chunk %s: exit %d: %s", chunks[k], o.status, o.out);
        assert_int_equal((int)jnum(v, "probe_ran_once"), 1000);
        assert_true(jnum(v, "probe_max_in_flight") <= 3);
        json_free(v);
        cb_out_free(&o);
        expect_no_children("process-pool --chunk");
    }
}

/* ---- a task that crashes its own process ---- */

static void expect_one_failed(const struct json_value *v, unsigned bad, const char *kind,
                              const char *model)
{
    const struct json_value *st = json_get(v, "task_status");
    for (size_t i = 0; i < st->n; i++)
        if (strcmp(st->items[i].string, i == bad ? "failed" : "ok") != 0)
            fail_msg("%s: task %zu is %s", model, i, st->items[i].string);
    assert_int_equal((int)jnum(v, "errors"), 1);
    assert_int_equal((int)jnum(json_get(v, "error_kinds"), kind), 1);
    char key[16], msg[80];
    snprintf(key, sizeof key, "%u", bad);
    snprintf(msg, sizeof msg, "task %u: %s", bad, kind);
    assert_string_equal(jstr(json_get(v, "task_errors"), key), msg);
    assert_false(jbool(v, "verified"));
}

static void test_task_crashes_its_process(void **state)
{
    (void)state;
    for (int m = 0; m < N_FORK_MODELS; m++) {
        const char *model = fork_models[m];
        const char *const jobs[] = { "2", "8" };
        for (size_t j = 0; j < 2; j++) {
            const char *const crash[] = { "0", "3", "15" };
            for (size_t c = 0; c < 3; c++) {
                struct cb_out o;
                struct json_value *v = run_json(&o, "run", "-w", "probe", "-m", model, "-n",
                                                "16", "-j", jobs[j], "--probe-crash", crash[c],
                                                "--json");
                if (o.status != 1)
                    fail_msg("%s -j %s crash %s: exit %d, expected 1", model, jobs[j], crash[c],
                             o.status);
                expect_one_failed(v, (unsigned)atoi(crash[c]), "killed by SIGSEGV", model);
                assert_int_equal((int)jnum(v, "probe_ran_once"), 16);
                if (strcmp(model, "process-pool") == 0)
                    assert_true(jnum(v, "workers_replaced") <= 1);
                json_free(v);
                cb_out_free(&o);
                expect_no_children(model);
            }
        }
    }
}

/* The same with one task a hand-out, and the text output names the reason. */
static void test_crash_text_output(void **state)
{
    struct cb_out o;
    (void)state;
    assert_int_equal(cb_run(&o, "run", "-w", "probe", "-m", "process-pool", "-n", "10", "-j",
                            "2", "--chunk", "1", "--probe-crash", "4", NULL), 1);
    assert_non_null(strstr(o.out, "task 4: killed by SIGSEGV"));
    cb_out_free(&o);
    assert_int_equal(cb_run(&o, "run", "-w", "probe", "-m", "processes", "-n", "10",
                            "--probe-crash", "9", NULL), 1);
    assert_non_null(strstr(o.out, "task 9: killed by SIGSEGV"));
    cb_out_free(&o);
    expect_no_children("crash text");
}

/* ---- children signalled from outside ---- */

/* The pid and parent pid of process `pid`, from /proc; false if it is gone. */
static bool proc_parent(pid_t pid, pid_t *ppid, char *comm, size_t len)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    bool ok = fgets(buf, sizeof buf, f) != NULL;
    fclose(f);
    char *lp = strchr(buf, '('), *rp = strrchr(buf, ')');
    int pp;
    char st;
    if (!ok || !lp || !rp || sscanf(rp + 2, "%c %d", &st, &pp) != 2 || st == 'Z')
        return false;
    snprintf(comm, len, "%.*s", (int)(rp - lp - 1), lp + 1);
    *ppid = pp;
    return true;
}

/* Up to max live processes whose parent is `parent` (and, if comm is given, named so). */
static int children_of(pid_t parent, const char *comm, pid_t *out, int max)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    int n = 0;
    if (!d)
        return 0;
    while ((e = readdir(d)) && n < max) {
        pid_t pid = (pid_t)atoi(e->d_name), pp;
        char name[64];
        if (pid > 0 && proc_parent(pid, &pp, name, sizeof name) && pp == parent &&
            (!comm || strcmp(name, comm) == 0))
            out[n++] = pid;
    }
    closedir(d);
    return n;
}

/* The first child of the binary `pid` (cb_signal.target): a worker or a task's process. */
static pid_t first_child(pid_t pid, void *arg)
{
    pid_t kids[64];
    (void)arg;
    return children_of(pid, NULL, kids, 64) > 0 ? kids[0] : 0;
}

/* Run args (--ready-fd is added) and send `sig` to one of concbench's children `after` seconds
 * after the first task started. */
static struct json_value *run_poked(struct cb_out *o, double after, int sig, pid_t *victim,
                                    const char *const *args)
{
    char *argv[40];
    int n = 0;
    struct cb_signal plan = { .sig = sig, .after = after, .on_ready = true,
                              .target = first_child };
    argv[n++] = (char *)cb_path();
    while (*args && n < 39)
        argv[n++] = (char *)*args++;
    argv[n] = NULL;
    cb_runv_plan(o, argv, &plan, NULL);
    if (o->ready_s < 0)
        fail_msg("no ready byte on --ready-fd; stderr: %s", o->err);
    *victim = o->signalled;
    return cb_json(o);
}

static unsigned count_status(const struct json_value *v, const char *status)
{
    const struct json_value *st = json_get(v, "task_status");
    unsigned n = 0;
    for (size_t i = 0; i < st->n; i++)
        n += strcmp(st->items[i].string, status) == 0;
    return n;
}

/* A pool worker killed from outside mid-run: its task fails with the reason, a replacement
 * finishes the batch, nothing hangs, nothing is left behind. Tasks of 300 ms and the kill
 * 0.1 s after the first task started: both workers are inside their first task. */
static void test_pool_worker_killed(void **state)
{
    struct cb_out o;
    pid_t victim;
    (void)state;
    struct json_value *v = run_poked(&o, 0.1, SIGKILL, &victim, (const char *const[]){
        "run", "-w", "probe", "-m", "process-pool", "-n", "8", "-j", "2", "--sleep-ms", "300",
        "--json", NULL });
    assert_true(victim > 0);
    if (o.status != 1)
        fail_msg("exit %d, expected 1; %s", o.status, o.err);
    if (cb_timing())
        assert_true(o.seconds < 10.0);  /* sanity bound only: the batch needs about 1.2 s */
    assert_int_equal(count_status(v, "failed"), 1);
    assert_int_equal(count_status(v, "ok"), 7);
    assert_int_equal((int)jnum(json_get(v, "error_kinds"), "killed by SIGKILL"), 1);
    assert_int_equal((int)jnum(v, "workers_replaced"), 1);
    assert_int_equal((int)jnum(v, "probe_ran_once"), 8);
    json_free(v);
    cb_out_free(&o);
    expect_no_children("process-pool, worker killed");
}

/* The same for a child of the processes model, killed inside its task. */
static void test_process_killed(void **state)
{
    struct cb_out o;
    pid_t victim;
    (void)state;
    struct json_value *v = run_poked(&o, 0.1, SIGKILL, &victim, (const char *const[]){
        "run", "-w", "probe", "-m", "processes", "-n", "6", "-j", "3", "--sleep-ms", "300",
        "--json", NULL });
    assert_true(victim > 0);
    if (o.status != 1)
        fail_msg("exit %d, expected 1; %s", o.status, o.out);
    assert_int_equal(count_status(v, "failed"), 1);
    assert_int_equal(count_status(v, "ok"), 5);
    assert_int_equal((int)jnum(json_get(v, "error_kinds"), "killed by SIGKILL"), 1);
    json_free(v);
    cb_out_free(&o);
    expect_no_children("processes, child killed");
}

/* A child that stops making progress (SIGSTOP: the task cannot honour its deadline) is killed
 * by the parent timeout + 1 s after its task started, and the task times out. */
static void test_timeout_backstop(void **state)
{
    (void)state;
    for (int m = 0; m < N_FORK_MODELS; m++) {
        struct cb_out o;
        pid_t victim;
        struct json_value *v = run_poked(&o, 0.1, SIGSTOP, &victim, (const char *const[]){
            "run", "-w", "probe", "-m", fork_models[m], "-n", "6", "-j", "2", "--sleep-ms",
            "250", "--timeout-ms", "400", "--json", NULL });
        assert_true(victim > 0);
        if (o.status != 1)
            fail_msg("%s: exit %d, expected 1", fork_models[m], o.status);
        assert_int_equal(count_status(v, "timeout"), 1);
        assert_int_equal(count_status(v, "ok"), 5);
        assert_int_equal((int)jnum(json_get(v, "error_kinds"), "timeout"), 1);
        /* Stopped 0.1 s into its task, killed 1.4 s after its start: the run cannot end much
         * sooner, and must not hang. */
        assert_true(o.seconds > 1.3);
        if (cb_timing())
            assert_true(o.seconds < 10.0);
        json_free(v);
        cb_out_free(&o);
        expect_no_children(fork_models[m]);
    }
}

/* A terminal's Ctrl-C reaches every process of the foreground group: a child that gets SIGINT
 * carries on (the parent decides what Ctrl-C does), and its task ends ok. */
static void test_child_ignores_sigint(void **state)
{
    (void)state;
    for (int m = 0; m < N_FORK_MODELS; m++) {
        struct cb_out o;
        pid_t victim;
        struct json_value *v = run_poked(&o, 0.05, SIGINT, &victim, (const char *const[]){
            "run", "-w", "probe", "-m", fork_models[m], "-n", "4", "-j", "4", "--sleep-ms",
            "300", "--json", NULL });
        assert_true(victim > 0);
        if (o.status != 0)
            fail_msg("%s: exit %d after SIGINT to a child: %s", fork_models[m], o.status, o.out);
        assert_int_equal(count_status(v, "ok"), 4);
        json_free(v);
        cb_out_free(&o);
        expect_no_children(fork_models[m]);
    }
}

/* ---- memory figures ---- */

static void test_memory_figures(void **state)
{
    (void)state;
    for (int m = 0; m < N_FORK_MODELS; m++) {
        struct cb_out o;
        struct json_value *v = run_json(&o, "run", "-w", "count", "-m", fork_models[m], "-n",
                                        "4", "-j", "2", "--count", "1000", "--json");
        assert_int_equal(o.status, 0);
        double parent = jnum(v, "parent_rss_kb"), most = jnum(v, "children_max_rss_kb");
        double sum = jnum(v, "children_sum_rss_kb");
        if (!(parent > 0 && most > 0 && sum >= most))
            fail_msg("%s: parent %.0f kB, largest child %.0f kB, sum %.0f kB", fork_models[m],
                     parent, most, sum);
        /* Four children (processes) or two workers (pool): the sum is more than one child. */
        assert_true(sum > most);
        json_free(v);
        cb_out_free(&o);
    }
}

/* With few descriptors, the processes model runs fewer children at once and says so; the
 * results are still right. Last: it lowers this test program's own limit. */
static void test_few_descriptors(void **state)
{
    struct rlimit old, low = { 100, 100 };
    struct cb_out o;
    (void)state;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
    struct json_value *v = run_json(&o, "run", "-w", "probe", "-m", "processes", "-n", "80",
                                    "--sleep-ms", "5", "--json");
    setrlimit(RLIMIT_NOFILE, &old);
    assert_int_equal(o.status, 0);
    assert_true(jbool(v, "verified"));
    assert_non_null(strstr(jstr(v, "note"), "RLIMIT_NOFILE"));
    assert_true(jnum(v, "probe_max_in_flight") < 80);
    json_free(v);
    cb_out_free(&o);
    expect_no_children("few descriptors");
}

/* Under AddressSanitizer or ThreadSanitizer, a child's SIGSEGV would become a report and exit
 * status 1; the crash tests want the signal itself. */
static void sanitizers_pass_segv(void)
{
    const char *vars[] = { "ASAN_OPTIONS", "TSAN_OPTIONS" };
    for (int k = 0; k < 2; k++) {
        const char *old = getenv(vars[k]);
        char buf[512];
        snprintf(buf, sizeof buf, "%s%shandle_segv=0", old ? old : "", old && *old ? ":" : "");
        setenv(vars[k], buf, 1);
    }
}

/* ---- fork failure ---- */

static bool write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    bool ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text);
    close(fd);
    return ok;
}

#define PIDS_ROOT "/sys/fs/cgroup/pids"

/* Move this process into a new pids cgroup (v1) allowing `max` tasks, so that the binary it
 * runs soon cannot fork. False when this machine does not allow it (not root, no controller). */
static bool pids_limit_enter(char *dir, size_t len, unsigned max)
{
    char path[300], num[32];
    snprintf(dir, len, PIDS_ROOT "/concbench-test-%d", (int)getpid());
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        return false;
    snprintf(path, sizeof path, "%s/pids.max", dir);
    snprintf(num, sizeof num, "%u", max);
    if (!write_file(path, num))
        goto out;
    snprintf(path, sizeof path, "%s/cgroup.procs", dir);
    snprintf(num, sizeof num, "%d", (int)getpid());
    if (write_file(path, num))
        return true;
out:
    rmdir(dir);
    return false;
}

static void pids_limit_leave(const char *dir)
{
    char num[32];
    snprintf(num, sizeof num, "%d", (int)getpid());
    assert_true(write_file(PIDS_ROOT "/cgroup.procs", num));
    rmdir(dir);
}

/* When fork fails, processes stops starting, reaps what runs and leaves the rest not started;
 * process-pool runs the batch with the workers it could start. Both say so in the note. */
static void test_fork_fails(void **state)
{
    char dir[200];
    struct cb_out o;
    (void)state;
    /* This process, the binary's two threads, and a few children. */
    if (!pids_limit_enter(dir, sizeof dir, 10))
        cb_skip("cannot make a pids cgroup (v1, " PIDS_ROOT ", needs root): fork failure untested");
    struct json_value *v = run_json(&o, "run", "-w", "probe", "-m", "processes", "-n", "20",
                                    "--sleep-ms", "200", "--json");
    struct json_value *pool = NULL;
    struct cb_out po;
    pool = run_json(&po, "run", "-w", "probe", "-m", "process-pool", "-n", "40", "-j", "16",
                    "--sleep-ms", "5", "--json");
    pids_limit_leave(dir);

    assert_int_equal(o.status, 1);
    assert_non_null(strstr(jstr(v, "note"), "could not fork the child for task"));
    unsigned ok = count_status(v, "ok"), not_started = count_status(v, "not_started");
    if (ok < 1 || ok >= 20 || ok + not_started != 20)
        fail_msg("processes: %u ok, %u not started", ok, not_started);
    const struct json_value *st = json_get(v, "task_status");
    for (size_t i = 0; i < st->n; i++)      /* the first ones ran, the rest never started */
        assert_string_equal(st->items[i].string, i < ok ? "ok" : "not_started");
    json_free(v);
    cb_out_free(&o);

    if (po.status != 0)
        fail_msg("process-pool: exit %d: %s", po.status, po.out);
    assert_non_null(strstr(jstr(pool, "note"), "could start only"));
    assert_int_equal(count_status(pool, "ok"), 40);
    json_free(pool);
    cb_out_free(&po);
    expect_no_children("fork failure");
}

int main(void)
{
    sanitizers_pass_segv();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool_chunks),
        cmocka_unit_test(test_task_crashes_its_process),
        cmocka_unit_test(test_crash_text_output),
        cmocka_unit_test(test_pool_worker_killed),
        cmocka_unit_test(test_process_killed),
        cmocka_unit_test(test_timeout_backstop),
        cmocka_unit_test(test_child_ignores_sigint),
        cmocka_unit_test(test_memory_figures),
        cmocka_unit_test(test_fork_fails),
        cmocka_unit_test(test_few_descriptors),
    };
    return cmocka_run_group_tests_name("processes", tests, NULL, NULL);
}
