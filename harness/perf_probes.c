/* perf_probes.c — the machine's own limits: minimal C programs of the same shape as what a
 * concbench model does, with nothing of concbench in the timed part. Each runs as a fresh
 * process (`concbench perf --probe NAME ARGS`, started by perf through proc_run), so it pays
 * the same process costs as the `concbench run` beside it: the same binary, the same mappings
 * to copy on fork. Each prints one JSON object on one line. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness/cli.h"
#include "harness/machine.h"
#include "harness/perf.h"
#include "harness/proc.h"
#include "harness/signals.h"
#include "harness/text.h"
#include "runtime/event.h"

static double now_s(clockid_t id)
{
    struct timespec t;
    clock_gettime(id, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static double mono(void) { return now_s(CLOCK_MONOTONIC); }

static int arg_uint(int argc, char **argv, int i, uint64_t min, uint64_t max, uint64_t *v)
{
    if (i >= argc || !cli_parse_uint(argv[i], min, max, v)) {
        fprintf(stderr, "concbench perf --probe %s: argument %d: expected a number in [%llu, "
                "%llu]\n", argv[0], i, (unsigned long long)min, (unsigned long long)max);
        return -1;
    }
    return 0;
}

static void sleep_ms(unsigned ms)
{
    struct timespec d = { ms / 1000, (long)(ms % 1000) * 1000000L };
    while (nanosleep(&d, &d) != 0 && errno == EINTR)
        ;
}

/* ---- threads N SLEEP_MS STACK_KB: create all N threads (each sleeps), then join all ---- */

static unsigned probe_sleep_ms;

static void *sleeper(void *arg)
{
    (void)arg;
    sleep_ms(probe_sleep_ms);
    return NULL;
}

static int probe_threads(int argc, char **argv)
{
    uint64_t n, ms, kb;
    if (arg_uint(argc, argv, 1, 1, 1000000, &n) || arg_uint(argc, argv, 2, 0, 3600000, &ms) ||
        arg_uint(argc, argv, 3, 16, 1 << 20, &kb))
        return EXIT_USAGE;
    probe_sleep_ms = (unsigned)ms;
    pthread_t *t = calloc(n, sizeof *t);
    pthread_attr_t attr;
    if (!t || pthread_attr_init(&attr) || pthread_attr_setstacksize(&attr, kb * 1024)) {
        fprintf(stderr, "probe threads: cannot set up\n");
        return EXIT_ENV;
    }
    double t0 = mono();
    for (uint64_t i = 0; i < n; i++) {
        int e = pthread_create(&t[i], &attr, sleeper, NULL);
        if (e) {
            fprintf(stderr, "probe threads: thread %llu: %s\n", (unsigned long long)i,
                    strerror(e));
            return EXIT_ENV;
        }
    }
    double t1 = mono();
    for (uint64_t i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    double t2 = mono();
    printf("{\"wall_s\":%.9g,\"create_s\":%.9g}\n", t2 - t0, t1 - t0);
    free(t);
    return EXIT_OK;
}

/* ---- fork N SLEEP_MS: fork all N children (each sleeps and exits), then wait for all ----
 * From a process of the same shape as a `concbench run`: the harness's signal watcher
 * (harness/signals.c) runs beside the forking thread. Two threads is what every model forks
 * from, and glibc's fork does more then than in a lone thread (it takes and releases the malloc
 * and stdio locks around the fork and resets them in the child: about 14 more copy-on-write
 * faults a child, parent and child together). That cost comes with the harness's shape, not
 * with a model, so the limit pays it too. */

static int probe_fork(int argc, char **argv)
{
    uint64_t n, ms;
    if (arg_uint(argc, argv, 1, 1, 100000, &n) || arg_uint(argc, argv, 2, 0, 3600000, &ms))
        return EXIT_USAGE;
    struct event cancel;
    if (event_init(&cancel) < 0 || sigwatch_start(&cancel, true) < 0) {
        fprintf(stderr, "probe fork: cannot start the signal watcher\n");
        return EXIT_ENV;
    }
    double t0 = mono();
    for (uint64_t i = 0; i < n; i++) {
        pid_t p = fork();
        if (p < 0) {
            fprintf(stderr, "probe fork: child %llu: %s\n", (unsigned long long)i,
                    strerror(errno));
            while (wait(NULL) > 0)
                ;
            return EXIT_ENV;
        }
        if (p == 0) {
            sleep_ms((unsigned)ms);
            _exit(0);
        }
    }
    double t1 = mono();
    while (wait(NULL) > 0 || errno == EINTR)
        ;
    double t2 = mono();
    sigwatch_stop();
    event_destroy(&cancel);
    printf("{\"wall_s\":%.9g,\"fork_s\":%.9g}\n", t2 - t0, t1 - t0);
    return EXIT_OK;
}

/* ---- timers N SLEEP_MS: a binary min-heap of N deadlines, fired from one epoll wait ---- */

static void heap_push(double *h, size_t *n, double v)
{
    size_t i = (*n)++;
    while (i > 0 && h[(i - 1) / 2] > v) {
        h[i] = h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h[i] = v;
}

static double heap_pop(double *h, size_t *n)
{
    double top = h[0], last = h[--*n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n)
            break;
        if (c + 1 < *n && h[c + 1] < h[c])
            c++;
        if (h[c] >= last)
            break;
        h[i] = h[c];
        i = c;
    }
    if (*n)
        h[i] = last;
    return top;
}

static int probe_timers(int argc, char **argv)
{
    uint64_t n, ms;
    if (arg_uint(argc, argv, 1, 1, 10000000, &n) || arg_uint(argc, argv, 2, 0, 3600000, &ms))
        return EXIT_USAGE;
    double *h = malloc(n * sizeof *h);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (!h || ep < 0) {
        fprintf(stderr, "probe timers: cannot set up\n");
        return EXIT_ENV;
    }
    double c0 = now_s(CLOCK_PROCESS_CPUTIME_ID), t0 = mono();
    size_t len = 0, fired = 0;
    for (uint64_t i = 0; i < n; i++)
        heap_push(h, &len, mono() + ms / 1000.0);
    while (len) {
        double t = mono();
        while (len && h[0] <= t) {
            heap_pop(h, &len);
            fired++;
        }
        if (!len)
            break;
        double wait = h[0] - t;
        struct timespec ts = { (time_t)wait, (long)((wait - (time_t)wait) * 1e9) };
        struct epoll_event ev;
        epoll_pwait2(ep, &ev, 1, &ts, NULL);
    }
    double t1 = mono(), c1 = now_s(CLOCK_PROCESS_CPUTIME_ID);
    printf("{\"wall_s\":%.9g,\"cpu_s\":%.9g,\"fired\":%zu}\n", t1 - t0, c1 - c0, fired);
    free(h);
    close(ep);
    return EXIT_OK;
}

/* ---- claim N W: W threads claim N indices from one atomic counter, one at a time, and do
 * for each what every concbench task costs a model besides its own work: two clock reads (its
 * start and end) and one 64-byte result written into a shared array (start, end, status and
 * value, as model_exec_task does). A claim that writes nothing (~6-10 ns) is no limit for a
 * dispatch that must record each task (~40 ns under single); both are printed, the first as
 * bare_per_index_s. ---- */

struct claim_result {           /* the shape of struct task_result: 64 bytes */
    double start_s, end_s;
    int32_t status;
    uint32_t index;
    uint64_t value;
    int64_t extra[3];
    void *err;
};
_Static_assert(sizeof(struct claim_result) == 64, "a task's result is 64 bytes");

static atomic_ulong claim_next;
static unsigned long claim_n;
static bool claim_record;
static struct claim_result *claim_results;
static double claim_t0;

static void *claimer(void *arg)
{
    unsigned long mine = 0, i;
    if (!claim_record) {
        while (atomic_fetch_add_explicit(&claim_next, 1, memory_order_relaxed) < claim_n)
            mine++;
    } else {
        while ((i = atomic_fetch_add_explicit(&claim_next, 1, memory_order_relaxed)) < claim_n) {
            struct claim_result *r = &claim_results[i];
            r->start_s = mono() - claim_t0;
            r->value = i;
            r->end_s = mono() - claim_t0;
            r->status = 0;
            mine++;
        }
    }
    *(unsigned long *)arg = mine;
    return NULL;
}

/* One pass: W threads through N indices; seconds, or -1. */
static double claim_pass(uint64_t n, uint64_t w, bool record)
{
    pthread_t t[1024];
    unsigned long got[1024] = { 0 }, total = 0;
    atomic_store(&claim_next, 0);
    claim_n = n;
    claim_record = record;
    double t0 = claim_t0 = mono();
    for (uint64_t i = 0; i < w; i++)
        if (pthread_create(&t[i], NULL, claimer, &got[i])) {
            fprintf(stderr, "probe claim: cannot start thread %llu\n", (unsigned long long)i);
            return -1;
        }
    for (uint64_t i = 0; i < w; i++) {
        pthread_join(t[i], NULL);
        total += got[i];
    }
    double t1 = mono();
    if (total != n) {
        fprintf(stderr, "probe claim: %lu indices claimed, %llu expected\n", total,
                (unsigned long long)n);
        return -1;
    }
    return t1 - t0;
}

static int probe_claim(int argc, char **argv)
{
    uint64_t n, w;
    if (arg_uint(argc, argv, 1, 1, 1000000000, &n) || arg_uint(argc, argv, 2, 1, 1024, &w))
        return EXIT_USAGE;
    /* As the harness's: shared memory, every record set before the batch (batch.c). */
    size_t len = n * sizeof *claim_results;
    claim_results = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (claim_results == MAP_FAILED) {
        fprintf(stderr, "probe claim: cannot map %llu results\n", (unsigned long long)n);
        return EXIT_ENV;
    }
    for (uint64_t i = 0; i < n; i++)
        claim_results[i] = (struct claim_result){ .start_s = -1, .end_s = -1,
                                                  .index = (uint32_t)i };
    double bare = claim_pass(n, w, false), rec = claim_pass(n, w, true);
    munmap(claim_results, len);
    if (bare < 0 || rec < 0)
        return EXIT_ENV;
    printf("{\"wall_s\":%.9g,\"per_index_s\":%.9g,\"bare_per_index_s\":%.9g}\n", rec, rec / n,
           bare / n);
    return EXIT_OK;
}

/* ---- add C: one dependent add per cycle, cores x C on one thread, then C on each core ---- */

static uint64_t add_count;

static void *adder(void *arg)
{
    uint64_t x = 0;
    for (uint64_t i = 0; i < add_count; i++) {
        x++;
        __asm__ volatile("" : "+r"(x));
    }
    *(uint64_t *)arg = x;
    return NULL;
}

static double add_run(unsigned threads, uint64_t each)
{
    pthread_t t[256];
    uint64_t out[256];
    add_count = each;
    double t0 = mono();
    for (unsigned i = 0; i < threads; i++)
        if (pthread_create(&t[i], NULL, adder, &out[i]))
            return -1;
    for (unsigned i = 0; i < threads; i++)
        pthread_join(t[i], NULL);
    return mono() - t0;
}

static int probe_add(int argc, char **argv)
{
    uint64_t c, k = cli_cores();
    if (arg_uint(argc, argv, 1, 1, UINT64_C(1) << 40, &c) ||
        (argc > 2 && arg_uint(argc, argv, 2, 1, 256, &k)))
        return EXIT_USAGE;
    double one = add_run(1, c * k), all = add_run((unsigned)k, c);
    if (one < 0 || all < 0) {
        fprintf(stderr, "probe add: cannot start its threads\n");
        return EXIT_ENV;
    }
    printf("{\"one_s\":%.9g,\"all_s\":%.9g,\"speedup\":%.9g,\"cores\":%llu}\n", one, all,
           one / all, (unsigned long long)k);
    return EXIT_OK;
}

/* ---- server SECONDS CONNECTIONS: `concbench serve` under wrk -t1 -cC -dS /status/200 ---- */

static int probe_server(int argc, char **argv)
{
    uint64_t secs, conns;
    if (arg_uint(argc, argv, 1, 1, 3600, &secs) || arg_uint(argc, argv, 2, 1, 100000, &conns))
        return EXIT_USAGE;
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) < 0)
        return EXIT_ENV;
    pid_t srv = fork();
    if (srv < 0)
        return EXIT_ENV;
    if (srv == 0) {
        dup2(pfd[1], 1);
        int dn = open("/dev/null", O_RDWR);
        if (dn >= 0)
            dup2(dn, 0);
        execl("/proc/self/exe", "concbench", "serve", "--port", "0", (char *)NULL);
        _exit(127);
    }
    close(pfd[1]);
    char url[256] = "";
    size_t got = 0;
    ssize_t r;
    while (got + 1 < sizeof url && (r = read(pfd[0], url + got, sizeof url - 1 - got)) > 0) {
        got += (size_t)r;
        url[got] = '\0';
        if (strchr(url, '\n'))
            break;
    }
    close(pfd[0]);
    char *nl = strchr(url, '\n');
    int rc = EXIT_OK;
    if (!nl) {
        fprintf(stderr, "probe server: the server printed no URL\n");
        rc = EXIT_ENV;
    } else {
        *nl = '\0';
        char target[300], c[32], d[32];
        snprintf(target, sizeof target, "%s/status/200", url);
        snprintf(c, sizeof c, "%llu", (unsigned long long)conns);
        snprintf(d, sizeof d, "%llus", (unsigned long long)secs);
        char *av[] = { "wrk", "-t1", "-c", c, "-d", d, target, NULL };
        struct proc_opts o = { .search = true, .capture_out = true, .timeout_s = secs + 30.0 };
        struct proc_child ch;
        int e = proc_run(av, &o, &ch);
        const char *rps = e == 0 && ch.out ? strstr(ch.out, "Requests/sec:") : NULL;
        if (e < 0 || ch.exit_code != 0 || !rps) {
            fprintf(stderr, "probe server: wrk failed (%s)\n",
                    e < 0 ? strerror(-e) : ch.err ? ch.err : "");
            rc = EXIT_ENV;
        } else {
            const char *errs = strstr(ch.out, "Non-2xx");
            printf("{\"rps\":%.9g,\"errors\":%d}\n", strtod(rps + 13, NULL), errs ? 1 : 0);
        }
        if (e == 0)
            proc_child_free(&ch);
    }
    kill(srv, SIGTERM);
    int st;
    while (waitpid(srv, &st, 0) < 0 && errno == EINTR)
        ;
    return rc;
}

/* ---- sweep PROFILE: one `concbench sweep --profile PROFILE` into a temporary folder ---- */

static int rm_tree(const char *path)
{
    char *av[] = { "rm", "-rf", "--", (char *)path, NULL };
    struct proc_opts o = { .search = true, .timeout_s = 60 };
    struct proc_child c;
    if (proc_run(av, &o, &c) < 0)
        return -1;
    int rc = c.exit_code;
    proc_child_free(&c);
    return rc;
}

static int probe_sweep(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "probe sweep: which profile?\n");
        return EXIT_USAGE;
    }
    char tmp[] = "/tmp/concbench-perf-sweep.XXXXXX";
    if (!mkdtemp(tmp))
        return EXIT_ENV;
    char *av[] = { "/proc/self/exe", "sweep", "--profile", argv[1], "--out", tmp, NULL };
    struct proc_opts o = { .capture_out = true, .timeout_s = 1800 };
    struct proc_child c;
    double t0 = mono();
    int e = proc_run(av, &o, &c);
    double wall = mono() - t0;
    int rc = EXIT_OK;
    if (e < 0 || c.exit_code > 1 || !c.out || !c.out[0]) {
        fprintf(stderr, "probe sweep: the sweep failed (exit %d)\n", e < 0 ? -1 : c.exit_code);
        rc = EXIT_ENV;
    } else {
        char *nl = strchr(c.out, '\n'), meta[4200], *text = NULL;
        if (nl)
            *nl = '\0';
        snprintf(meta, sizeof meta, "%s/metadata.json", c.out);
        if (text_slurp(meta, 0, &text, NULL) == 0) {
            printf("{\"wall_s\":%.9g,\"duration_s\":%.9g,\"estimated_s\":%.9g}\n", wall,
                   perf_figure(text, "duration_s"), perf_figure(text, "estimated_s"));
            free(text);
        } else {
            printf("{\"wall_s\":%.9g}\n", wall);
        }
    }
    if (e == 0)
        proc_child_free(&c);
    rm_tree(tmp);
    return rc;
}

/* ---- pinned CPUS PROBE ARGS...: another probe, pinned to CPUS (as `run --cpus`) ---- */

static int probe_pinned(int argc, char **argv);

struct probe {
    const char *name, *usage, *what;
    int (*main)(int argc, char **argv);
};
static const struct probe probes[] = {
    { "pinned", "CPUS PROBE ARGS...", "run another probe pinned to the CPU list CPUS (0, 0-1)",
      probe_pinned },
    { "spawn", "N SLEEP_MS STACK_KB", "create N threads that each sleep, then join them all",
      probe_threads },
    { "fork", "N SLEEP_MS", "fork N children that each sleep and exit, then wait for them all "
      "(beside a signal watcher thread, as in a run)",
      probe_fork },
    { "timers", "N SLEEP_MS", "a binary heap of N deadlines fired from one epoll_pwait2 loop",
      probe_timers },
    { "claim", "N W", "W threads claim N indices from one atomic counter, one a time, each "
      "with two clock reads and a 64-byte result (and bare: nothing)",
      probe_claim },
    { "add", "C [CORES]", "one add a cycle: CORES x C adds on one thread, then C on each core",
      probe_add },
    { "server", "SECONDS CONNECTIONS", "`concbench serve` under wrk -t1 on /status/200",
      probe_server },
    { "sweep", "PROFILE", "one `concbench sweep --profile PROFILE` into a temporary folder",
      probe_sweep },
};

static int probe_pinned(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "concbench perf --probe pinned: a CPU list and a probe, please\n");
        return EXIT_USAGE;
    }
    int rc = cli_set_cpus("perf --probe pinned", argv[1]);
    if (rc != EXIT_OK)
        return rc;
    if (strcmp(argv[2], "pinned") == 0)
        return EXIT_USAGE;
    return perf_probe_main(argc - 2, argv + 2);
}

void perf_probe_help(FILE *f)
{
    for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++)
        fprintf(f, "  %-8s %-20s %s\n", probes[i].name, probes[i].usage, probes[i].what);
}

int perf_probe_main(int argc, char **argv)
{
    for (size_t i = 0; argc > 0 && i < sizeof probes / sizeof probes[0]; i++)
        if (strcmp(argv[0], probes[i].name) == 0) {
            int rc = probes[i].main(argc, argv);
            if (fflush(stdout) != 0)
                return EXIT_ENV;
            return rc;
        }
    fprintf(stderr, "concbench perf: unknown probe '%s'; probes:\n", argc > 0 ? argv[0] : "");
    perf_probe_help(stderr);
    return EXIT_USAGE;
}
