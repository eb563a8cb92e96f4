/* test_mpi.c — the mpi model beyond the contract every model keeps (test_models.c): every
 * workload under mpi gives what the serial reference gives (count, sleep, thumbnail byte for
 * byte, http against the embedded server), --chunk, a rank killed mid-batch, mpirun missing,
 * Ctrl-C, and the multi-host path for real: two "hosts" made here as network namespaces joined
 * by a veth pair, ranks placed on them by Open MPI's own launcher (tests/mpi_netns_agent.sh as
 * its rsh agent), talking over TCP (btl tcp,self), an unreachable host and one that never
 * answers. Needs Open MPI (mpirun, bin/concbench-rank): skipped with the reason otherwise. */
#include <dirent.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/helpers.h"

static char rank_bin[4096];

/* Open MPI and bin/concbench-rank beside the binary under test, or the reason they are not. */
static const char *mpi_missing(void)
{
    snprintf(rank_bin, sizeof rank_bin, "%s", cb_path());
    char *slash = strrchr(rank_bin, '/');
    snprintf(slash ? slash + 1 : rank_bin,
             sizeof rank_bin - (size_t)(slash ? slash + 1 - rank_bin : 0), "concbench-rank");
    if (access(rank_bin, X_OK) != 0)
        return "no concbench-rank beside the binary (Open MPI's libopenmpi-dev missing at build)";
    if (system("command -v mpirun >/dev/null 2>&1") != 0)
        return "mpirun not installed (apt-get install openmpi-bin)";
    return NULL;
}

#define NEED_MPI() do { const char *why_ = mpi_missing(); if (why_) { cb_skip("%s", why_); } } while (0)

static void expect_no_children(const char *what)
{
    int left = cb_count_children();
    if (left)
        fail_msg("%s: %d process(es) left behind (ranks, orted or mpirun)", what, left);
}

/* Run one cell under single and under mpi; the same statuses task by task, both verified. */
static void same_as_single(const char *const *args, const char *j, const char *compare_key)
{
    const char *a[32];
    int n = 0;
    a[n++] = "run";
    for (const char *const *p = args; *p; p++)
        a[n++] = *p;
    a[n++] = "--json";
    a[n++] = "-m";
    a[n++] = "single";
    a[n] = NULL;
    struct json_value *ref = cb_run_json_v(NULL, 0, a);
    a[n - 1] = "mpi";
    a[n++] = "-j";
    a[n++] = j;
    a[n] = NULL;
    struct json_value *v = cb_run_json_v(NULL, 0, a);
    assert_true(jbool(ref, "verified"));
    if (!jbool(v, "verified"))
        fail_msg("%s under mpi: not verified: %s", args[1], jstr(v, "verify_error"));
    assert_int_equal((int)jnum(v, "errors"), 0);
    assert_true(jnum(v, "startup_s") > 0);
    assert_int_equal((int)jnum(v, "concurrency"), atoi(j));
    const struct json_value *sa = json_get(ref, "task_status"), *sb = json_get(v, "task_status");
    assert_int_equal(sa->n, sb->n);
    for (size_t i = 0; i < sa->n; i++)
        assert_string_equal(sa->items[i].string, sb->items[i].string);
    const struct json_value *ts = json_get(v, "task_start_s");
    for (size_t i = 0; i < ts->n; i++)
        if (ts->items[i].type != JSON_NUMBER)
            fail_msg("%s: task %zu has no start time", args[1], i);
    if (compare_key) {
        const struct json_value *x = json_get(ref, compare_key), *y = json_get(v, compare_key);
        assert_non_null(x);
        assert_non_null(y);
        assert_int_equal(x->n, y->n);
        for (size_t i = 0; i < x->n; i++)
            if (strcmp(x->items[i].string, y->items[i].string) != 0)
                fail_msg("%s: %s[%zu] is %s under mpi, %s under single", args[1], compare_key,
                         i, y->items[i].string, x->items[i].string);
    }
    json_free(ref);
    json_free(v);
    expect_no_children(args[1]);
}

static void test_workloads_as_single(void **state)
{
    (void)state;
    NEED_MPI();
    same_as_single((const char *const[]){ "-w", "count", "-n", "40", "--count", "200000",
                                          NULL }, "2", NULL);
    same_as_single((const char *const[]){ "-w", "sleep", "-n", "12", "--sleep-ms", "10", NULL },
                   "3", NULL);
    same_as_single((const char *const[]){ "-w", "thumbnail", "-n", "6", "--corpus-images", "3",
                                          "--corpus-size", "96x64", NULL }, "2", "output_fnv1a");
    same_as_single((const char *const[]){ "-w", "http", "-n", "10", "--sleep-ms", "5", NULL },
                   "2", NULL);
}

/* --chunk C: ranges of C tasks, every task once; the shared probe counters reach the ranks. */
static void test_chunk(void **state)
{
    (void)state;
    NEED_MPI();
    struct json_value *v = cb_run_json(NULL, 0, "run", "-w", "probe", "-m", "mpi", "-n", "50",
                                       "-j", "3", "--chunk", "7", "--sleep-ms", "1", "--json");
    assert_true(jbool(v, "verified"));
    assert_int_equal((int)jnum(v, "probe_ran_once"), 50);
    unsigned max = (unsigned)jnum(v, "probe_max_in_flight");
    assert_true(max >= 1 && max <= 3);
    assert_non_null(strstr(jstr(v, "task_clock"), "0 of 3 workers off this host"));
    json_free(v);
    expect_no_children("chunk");
}

/* The worker rank 1 of the job the binary `bin` launched (its socket name holds bin's pid). */
static pid_t find_rank1(pid_t bin, void *arg)
{
    (void)arg;
    char key[64], path[64], buf[8192];
    snprintf(key, sizeof key, "concbench-mpi-%d-", (int)bin);
    DIR *d = opendir("/proc");
    struct dirent *e;
    pid_t found = 0;
    while (d && !found && (e = readdir(d))) {
        pid_t pid = (pid_t)atoi(e->d_name);
        if (pid <= 0)
            continue;
        snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
        FILE *f = fopen(path, "r");
        size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
        if (f)
            fclose(f);
        bool ours = false;
        for (size_t k = 0; k < n; k += strlen(buf + k) + 1) {
            buf[n] = '\0';
            ours |= strstr(buf + k, key) != NULL;
        }
        if (!ours || !memmem(buf, n, "concbench-rank", 14))
            continue;
        snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
        f = fopen(path, "r");
        n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
        if (f)
            fclose(f);
        if (memmem(buf, n, "OMPI_COMM_WORLD_RANK=1", 23))   /* with its NUL: exactly 1 */
            found = pid;
    }
    if (d)
        closedir(d);
    return found;
}

/* A worker rank SIGKILLed mid-batch: its task fails with the reason, the batch ends, exit 1,
 * the finished results are kept, nothing is left running. */
static void test_rank_killed(void **state)
{
    (void)state;
    NEED_MPI();
    char *argv[] = { (char *)cb_path(), "run", "-w", "probe", "-m", "mpi", "-n", "40", "-j",
                     "2", "--chunk", "1", "--sleep-ms", "100", "--json", NULL };
    struct cb_signal plan = { .sig = SIGKILL, .on_ready = true, .after = 0.35,
                              .target = find_rank1 };
    struct cb_out o;
    double after;
    cb_runv_plan(&o, argv, &plan, &after);
    if (o.status != 1)
        fail_msg("exit %d after a rank was killed, expected 1; stderr: %.400s", o.status, o.err);
    struct json_value *v = cb_json(&o);
    const struct json_value *kinds = json_get(v, "error_kinds");
    assert_int_equal((int)jnum(kinds, "killed by SIGKILL"), 1);
    const struct json_value *st = json_get(v, "task_status");
    unsigned ok = 0, failed = 0;
    for (size_t i = 0; i < st->n; i++) {
        ok += strcmp(st->items[i].string, "ok") == 0;
        failed += strcmp(st->items[i].string, "failed") == 0;
    }
    assert_int_equal(failed, 1);
    if (ok < 1)
        fail_msg("no finished result kept: %.300s", o.out);
    assert_false(jbool(v, "verified"));
    assert_non_null(strstr(jstr(v, "note"), "rank 1 killed by SIGKILL"));
    json_free(v);
    cb_out_free(&o);
    expect_no_children("rank killed");
}

/* A rank whose task runs past its deadline (stopped here with SIGSTOP, so it cannot honour
 * it): the backstop ends the job timeout + 1 s after the task began; that task times out. */
static void test_timeout_backstop(void **state)
{
    (void)state;
    NEED_MPI();
    char *argv[] = { (char *)cb_path(), "run", "-w", "sleep", "-m", "mpi", "-n", "6", "-j",
                     "2", "--sleep-ms", "150", "--timeout-ms", "300", "--json", NULL };
    struct cb_signal plan = { .sig = SIGSTOP, .on_ready = true, .after = 0.05,
                              .target = find_rank1 };
    struct cb_out o;
    double after;
    cb_runv_plan(&o, argv, &plan, &after);
    if (o.status != 1)
        fail_msg("exit %d with a stopped rank, expected 1; stderr: %.400s", o.status, o.err);
    struct json_value *v = cb_json(&o);
    assert_int_equal((int)jnum(json_get(v, "error_kinds"), "timeout"), 1);
    assert_non_null(strstr(jstr(v, "note"), "ignored its deadline"));
    if (cb_timing() && after > 3.0)
        fail_msg("the backstop took %.2f s", after);
    json_free(v);
    cb_out_free(&o);
    expect_no_children("timeout backstop");
}

/* No mpirun on PATH: exit 3 and the command that installs it. */
static void test_mpirun_missing(void **state)
{
    (void)state;
    char *argv[] = { "/usr/bin/env", "PATH=/nonexistent", (char *)cb_path(), "run", "-w",
                     "count", "-m", "mpi", "-n", "4", NULL };
    struct cb_out o;
    cb_runv(&o, argv);
    assert_int_equal(o.status, 3);
    if (!strstr(o.err, "apt-get install openmpi-bin"))
        fail_msg("no install command in: %s", o.err);
    cb_out_free(&o);
}

/* Ctrl-C mid-batch: exit 130 within 1 s, the tasks in flight cancelled, no rank, orted or
 * mpirun left. */
static void test_ctrl_c(void **state)
{
    (void)state;
    NEED_MPI();
    char *argv[] = { (char *)cb_path(), "run", "-w", "sleep", "-m", "mpi", "-n", "20", "-j",
                     "3", "--sleep-ms", "60000", "--json", NULL };
    struct cb_signal plan = { .sig = SIGINT, .on_ready = true, .after = 0.1 };
    struct cb_out o;
    double after;
    cb_runv_plan(&o, argv, &plan, &after);
    assert_int_equal(o.status, 130);
    if (cb_timing() && after > 1.0)
        fail_msg("%.2f s from Ctrl-C to the end, the promise is 1 s", after);
    struct json_value *v = cb_json(&o);
    assert_int_equal((int)jnum(json_get(v, "error_kinds"), "cancelled"), 3);
    json_free(v);
    cb_out_free(&o);
    expect_no_children("Ctrl-C");
}

/* The dispatcher waits without burning a core: its CPU is a small share of the batch. */
static void test_dispatcher_idle(void **state)
{
    (void)state;
    NEED_MPI();
    struct json_value *v = cb_run_json(NULL, 0, "run", "-w", "sleep", "-m", "mpi", "-n", "4",
                                       "-j", "2", "--sleep-ms", "400", "--json");
    double cpu = jnum(v, "dispatch_cpu_s"), wall = jnum(v, "wall_s");
    print_message("dispatcher CPU %.4f s in %.3f s (%.1f %%)\n", cpu, wall, 100 * cpu / wall);
    if (cb_timing() && cpu > 0.05 * wall)
        fail_msg("the dispatcher took %.3f s of CPU in %.3f s", cpu, wall);
    /* The ranks' CPU is in the record: two workers that sleep, and the dispatcher. */
    assert_true(jnum(v, "cpu_user_s") + jnum(v, "cpu_sys_s") >= cpu);
    json_free(v);
}

/* ---- two hosts: network namespaces joined by a veth pair ---- */

static char ns_a[32], ns_b[32], veth[16];
static char hostfile[256], agent[4096];

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
    char cmd[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void hosts_down(void)
{
    if (ns_a[0])
        sh("ip netns del %s 2>/dev/null", ns_a);
    if (ns_b[0])
        sh("ip netns del %s 2>/dev/null", ns_b);   /* takes the veth pair with it */
    ns_a[0] = ns_b[0] = '\0';
    if (hostfile[0])
        unlink(hostfile);
}

/* Hosts 10.77.0.1 (ns_a, where concbench runs) and 10.77.0.2 (ns_b). Returns the reason when
 * they cannot be made. */
static const char *hosts_up(void)
{
    if (geteuid() != 0)
        return "network namespaces need root";
    if (system("command -v ip >/dev/null 2>&1") != 0)
        return "no ip command (iproute2)";
    snprintf(ns_a, sizeof ns_a, "cbmpi-a-%d", (int)getpid());
    snprintf(ns_b, sizeof ns_b, "cbmpi-b-%d", (int)getpid());
    snprintf(veth, sizeof veth, "cbv%d", (int)getpid() % 100000);
    if (sh("ip netns add %s 2>/dev/null && ip netns add %s", ns_a, ns_b) != 0) {
        hosts_down();
        return "cannot create network namespaces here (ip netns add failed)";
    }
    if (sh("ip link add %sa type veth peer name %sb && ip link set %sa netns %s && "
           "ip link set %sb netns %s && ip -n %s addr add 10.77.0.1/24 dev %sa && "
           "ip -n %s addr add 10.77.0.2/24 dev %sb && ip -n %s link set %sa up && "
           "ip -n %s link set %sb up && ip -n %s link set lo up && ip -n %s link set lo up",
           veth, veth, veth, ns_a, veth, ns_b, ns_a, veth, ns_b, veth, ns_a, veth, ns_b, veth,
           ns_a, ns_b) != 0) {
        hosts_down();
        return "cannot join the namespaces with a veth pair";
    }
    snprintf(agent, sizeof agent, "%s", __FILE__);
    char *slash = strrchr(agent, '/');
    snprintf(slash ? slash + 1 : agent, sizeof agent - (size_t)(slash ? slash + 1 - agent : 0),
             "mpi_netns_agent.sh");
    if (agent[0] != '/') {      /* __FILE__ relative to the build's folder: make it whole */
        char *abs = realpath(agent, NULL);
        if (abs) {
            snprintf(agent, sizeof agent, "%.4000s", abs);
            free(abs);
        }
    }
    snprintf(hostfile, sizeof hostfile, "/tmp/cbmpi-hosts-%d", (int)getpid());
    return NULL;
}

static void write_hostfile(const char *text)
{
    FILE *f = fopen(hostfile, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* concbench run ARGS in ns_a with the hostfile and the agent; the network is TCP. */
static void run_in_a(struct cb_out *o, const char *map, const char *const *args)
{
    char mapenv[256], mpiargs[4608];
    char *argv[48];
    int n = 0;
    snprintf(mapenv, sizeof mapenv, "CB_NETNS_MAP=%s", map);
    snprintf(mpiargs, sizeof mpiargs, "--mca plm_rsh_agent %s --mca btl tcp,self "
             "--mca oob_tcp_if_include 10.77.0.0/24 --mca btl_tcp_if_include 10.77.0.0/24",
             agent);
    argv[n++] = "/usr/bin/env";
    argv[n++] = mapenv;
    argv[n++] = "CONCBENCH_MPI_PINGPONG=1";
    argv[n++] = "ip";
    argv[n++] = "netns";
    argv[n++] = "exec";
    argv[n++] = ns_a;
    argv[n++] = (char *)cb_path();
    argv[n++] = "run";
    while (*args)
        argv[n++] = (char *)*args++;
    argv[n++] = "-m";
    argv[n++] = "mpi";
    argv[n++] = "--hosts";
    argv[n++] = hostfile;
    argv[n++] = "--mpi-args";
    argv[n++] = mpiargs;
    argv[n] = NULL;
    cb_runv(o, argv);
}

static void test_two_hosts(void **state)
{
    (void)state;
    NEED_MPI();
    const char *why = hosts_up();
    if (why)
        cb_skip("multi-host path not run: %s", why);
    char map[128];
    snprintf(map, sizeof map, "10.77.0.1=%s 10.77.0.2=%s", ns_a, ns_b);
    /* rank 0 (the dispatcher) on 10.77.0.1 beside concbench, two workers on 10.77.0.2 */
    write_hostfile("10.77.0.1 slots=1\n10.77.0.2 slots=2\n");
    struct cb_out o;
    run_in_a(&o, map, (const char *const[]){ "-w", "count", "-n", "30", "--count", "100000",
                                             "-j", "2", "--json", NULL });
    if (o.status != 0)
        fail_msg("two hosts: exit %d; stderr: %.600s", o.status, o.err);
    struct json_value *v = cb_json(&o);
    assert_true(jbool(v, "verified"));
    const char *clock = jstr(v, "task_clock");
    print_message("two hosts: %s\n", clock);
    assert_non_null(strstr(clock, "2 of 2 workers off this host"));
    assert_non_null(strstr(clock, "ping-pong"));
    json_free(v);
    cb_out_free(&o);

    run_in_a(&o, map, (const char *const[]){ "-w", "sleep", "-n", "8", "--sleep-ms", "20",
                                             "-j", "2", "--json", NULL });
    if (o.status != 0)
        fail_msg("two hosts, sleep: exit %d; stderr: %.600s", o.status, o.err);
    v = cb_json(&o);
    assert_true(jbool(v, "verified"));
    json_free(v);
    cb_out_free(&o);
    hosts_down();
    expect_no_children("two hosts");
}

/* A host nobody answers for: a clear error, exit 3, in bounded time. 10.77.0.3 has no
 * namespace: real ssh from ns_a finds no one; 10.77.0.4 never answers at all (the agent
 * waits), so --mpi-start-ms ends it. */
static void test_unreachable_host(void **state)
{
    (void)state;
    NEED_MPI();
    const char *why = hosts_up();
    if (why)
        cb_skip("multi-host faults not run: %s", why);
    char map[160];
    snprintf(map, sizeof map, "10.77.0.1=%s 10.77.0.2=%s 10.77.0.4=@hang", ns_a, ns_b);
    struct cb_out o;

    write_hostfile("10.77.0.1 slots=1\n10.77.0.3 slots=2\n");
    run_in_a(&o, map, (const char *const[]){ "-w", "count", "-n", "4", "-j", "2",
                                             "--mpi-start-ms", "20000", NULL });
    assert_int_equal(o.status, 3);
    print_message("unreachable: %.300s", o.err);
    if (!strstr(o.err, "failed to start") || !strstr(o.err, "10.77.0.3"))
        fail_msg("unclear error for an unreachable host: %s", o.err);
    assert_true(o.seconds < 20);
    cb_out_free(&o);

    write_hostfile("10.77.0.1 slots=1\n10.77.0.4 slots=2\n");
    run_in_a(&o, map, (const char *const[]){ "-w", "count", "-n", "4", "-j", "2",
                                             "--mpi-start-ms", "1500", NULL });
    assert_int_equal(o.status, 3);
    if (!strstr(o.err, "did not start within 1.5 s"))
        fail_msg("unclear error for a host that never answers: %s", o.err);
    assert_true(o.seconds < 10);
    cb_out_free(&o);
    hosts_down();
    expect_no_children("unreachable host");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_workloads_as_single),
        cmocka_unit_test(test_chunk),
        cmocka_unit_test(test_rank_killed),
        cmocka_unit_test(test_timeout_backstop),
        cmocka_unit_test(test_mpirun_missing),
        cmocka_unit_test(test_ctrl_c),
        cmocka_unit_test(test_dispatcher_idle),
        cmocka_unit_test(test_two_hosts),
        cmocka_unit_test(test_unreachable_host),
    };
    int rc = cmocka_run_group_tests_name("mpi", tests, NULL, NULL);
    hosts_down();
    return rc;
}
