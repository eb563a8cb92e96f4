/* perf/checks.c — the list of promised figures: each check names what is measured (a
 * `concbench run`, or a probe), the machine's limit it is held against (a probe of
 * harness/perf_probes.c, the run's ideal, or a promised absolute figure) and its budget. Like a
 * profile file it names the cells it measures, so it lives beside profiles/, not in harness/:
 * the harness code (harness/perf*.c) names no model or workload. A check whose model or
 * workload this binary lacks is skipped and listed. A new model or workload adds its rows here,
 * as it may add lines to a profile. */
#include "harness/perf.h"

/* The sleeps' length, seconds, for the checks that subtract it. */
#define SLEEP_S 0.100

const struct perf_check_def perf_check_table[] = {
    /* async: timers on one epoll loop (README: 10k within 2 %, 100k within 15 % of 100 ms) */
    { .name = "async-sleep-10k", .what = "10,000 sleeps of 100 ms on the loop: batch wall time",
      .workload = "sleep", .model = "async", .args = "-n 10000 --sleep-ms 100",
      .figure = "wall_s", .limit_probe = "timers 10000 100", .limit_figure = "wall_s",
      .basis = PERF_BASIS_IDEAL, .cmp = PERF_LE, .budget = 1.02, .unit = PERF_UNIT_S,
      .story = "{n} sleeps of 100 ms took {m} ({r} the ideal {i}; a bare timer heap firing the "
               "same timers from one epoll_pwait2 loop: {l})" },
    { .name = "async-loop-cpu-10k", .what = "CPU time (user + system) of those 10,000 sleeps",
      .workload = "sleep", .model = "async", .args = "-n 10000 --sleep-ms 100",
      .figure = "cpu_s", .limit_probe = "timers 10000 100", .limit_figure = "cpu_s",
      .basis = PERF_BASIS_LIMIT, .cmp = PERF_LE, .budget = 10, .unit = PERF_UNIT_S,
      .story = "the loop's CPU for them was {m} ({mper} a task), {r} the bare heap's {l}" },
    { .name = "async-sleep-100k", .what = "100,000 sleeps of 100 ms on the loop: batch wall time",
      .workload = "sleep", .model = "async", .args = "-n 100000 --sleep-ms 100",
      .figure = "wall_s", .limit_probe = "timers 100000 100", .limit_figure = "wall_s",
      .basis = PERF_BASIS_IDEAL, .cmp = PERF_LE, .budget = 1.15, .unit = PERF_UNIT_S,
      .story = "{n} sleeps took {m} ({r} the ideal; the bare heap: {l})" },

    /* threads: one thread a task, 128 KiB stacks (models/threads.c) */
    { .name = "threads-sleep-10k", .what = "10,000 sleeping threads of 100 ms: batch wall time",
      .workload = "sleep", .model = "threads", .args = "-n 10000 --sleep-ms 100",
      .figure = "wall_s", .limit_probe = "spawn 10000 100 128", .limit_figure = "wall_s",
      .basis = PERF_BASIS_LIMIT, .cmp = PERF_LE, .budget = 1.15, .unit = PERF_UNIT_S,
      .story = "{n} sleeping threads took {m}, {r} a bare program that creates the same threads "
               "with the same 128 KiB stacks and joins them ({l})" },

    /* processes: one fork a task */
    { .name = "processes-sleep-1k", .what = "1,000 forked sleeps of 100 ms: time beyond the sleep",
      .workload = "sleep", .model = "processes", .args = "-n 1000 --sleep-ms 100",
      .figure = "wall_s", .limit_probe = "fork 1000 100", .limit_figure = "wall_s",
      .basis = PERF_BASIS_LIMIT, .minus = SLEEP_S, .cmp = PERF_LE, .budget = 1.5,
      .unit = PERF_UNIT_S,
      .story = "{n} forked sleeps took {m}: {mx} beyond the 100 ms sleep ({mper} a child), "
               "{r} the {lx} ({lper} a child) of a bare fork-all-then-wait-all loop run from "
               "the same binary" },

    /* pools: dispatch of no-op tasks against a bare atomic index-claim loop that does what
     * every task costs besides its work: two clock reads and a 64-byte result (perf_probes.c;
     * a claim that records nothing, ~10 ns, was no limit for a task recorded in ~40 ns) */
    { .name = "thread-pool-dispatch", .what = "1,000,000 no-op tasks (count 0), -j cores: "
      "batch time a task", .workload = "count", .model = "thread-pool",
      .args = "-n 1000000 --count 0 -j {cores}", .figure = "wall_s/tasks",
      .limit_probe = "claim 1000000 {cores}", .limit_figure = "per_index_s",
      .basis = PERF_BASIS_LIMIT, .cmp = PERF_LE, .budget = 3, .unit = PERF_UNIT_S,
      .story = "handing out {n} no-op tasks cost {m} a task, {r} a bare loop of the same "
               "threads claiming indices one at a time from one atomic counter and recording "
               "each as a task is recorded, two clock reads and a 64-byte result ({l})" },
    { .name = "process-pool-dispatch", .what = "1,000,000 no-op tasks (count 0), -j cores: "
      "batch time a task", .workload = "count", .model = "process-pool",
      .args = "-n 1000000 --count 0 -j {cores}", .figure = "wall_s/tasks",
      .limit_probe = "claim 1000000 {cores}", .limit_figure = "per_index_s",
      .basis = PERF_BASIS_LIMIT, .cmp = PERF_LE, .budget = 3, .unit = PERF_UNIT_S,
      .story = "handing out {n} no-op tasks cost {m} a task (forking the workers included), "
               "{r} the bare atomic index-claim loop with threads, recording each task ({l})" },

    /* count: CPU-bound speed-up of every parallel model over the serial reference */
    { .name = "count-speedup-{m}", .what = "count, cores tasks of 10^9 additions, -j cores: "
      "speed-up over the serial reference", .workload = "count", .model = "@parallel",
      .args = "-n {cores} --count 1000000000 -j {cores}", .figure = "speedup",
      .limit_probe = "add 1000000000", .limit_figure = "speedup", .basis = PERF_BASIS_LIMIT,
      .cmp = PERF_GE, .budget = 0.95, .unit = PERF_UNIT_X,
      .story = "counting: a speed-up of {m} over the serial reference, {r} the bare all-core "
               "speed-up of one add a cycle measured beside it ({l})" },

    /* http against the embedded server (50 ms an answer); ideal: ceil(N / in flight) x 50 ms */
    { .name = "http-async", .what = "1,000 fetches, all in flight", .workload = "http",
      .model = "async", .args = "-n 1000", .figure = "wall_s", .basis = PERF_BASIS_IDEAL,
      .cmp = PERF_LE, .budget = 4, .unit = PERF_UNIT_S,
      .story = "{n} fetches of a 50 ms answer took {m}, {r} the ideal {i}" },
    { .name = "http-threads", .what = "1,000 fetches, a thread each", .workload = "http",
      .model = "threads", .args = "-n 1000", .figure = "wall_s", .basis = PERF_BASIS_IDEAL,
      .cmp = PERF_LE, .budget = 10, .unit = PERF_UNIT_S,
      .story = "{n} fetches of a 50 ms answer took {m}, {r} the ideal {i}" },
    { .name = "http-thread-pool", .what = "1,000 fetches, 100 workers", .workload = "http",
      .model = "thread-pool", .args = "-n 1000 -j 100", .figure = "wall_s",
      .basis = PERF_BASIS_IDEAL, .cmp = PERF_LE, .budget = 1.2, .unit = PERF_UNIT_S,
      .story = "{n} fetches with 100 workers took {m}, {r} the ideal {i} (10 rounds of 50 ms)" },
    { .name = "http-process-pool", .what = "1,000 fetches, 100 workers", .workload = "http",
      .model = "process-pool", .args = "-n 1000 -j 100", .figure = "wall_s",
      .basis = PERF_BASIS_IDEAL, .cmp = PERF_NONE, .unit = PERF_UNIT_S,
      .story = "{n} fetches with 100 workers took {m}, {r} the ideal {i}" },
    { .name = "http-processes", .what = "1,000 fetches, a process each", .workload = "http",
      .model = "processes", .args = "-n 1000", .figure = "wall_s", .basis = PERF_BASIS_IDEAL,
      .cmp = PERF_NONE, .unit = PERF_UNIT_S,
      .story = "{n} fetches took {m}, {r} the ideal {i}" },
    { .name = "http-single", .what = "20 fetches, one after another", .workload = "http",
      .model = "single", .args = "-n 20", .figure = "wall_s", .basis = PERF_BASIS_IDEAL,
      .cmp = PERF_LE, .budget = 1.1, .unit = PERF_UNIT_S,
      .story = "{n} fetches one after another took {m}, {r} the ideal {i}" },

    /* the embedded server under wrk (README: at least 20,000 requests/s on one thread) */
    { .name = "server-rps", .what = "`concbench serve` under wrk -t1 -c100 -d3s /status/200",
      .probe = "server 3 100", .figure = "rps", .basis = PERF_BASIS_CONST,
      .basis_value = 20000, .cmp = PERF_GE, .budget = 1, .unit = PERF_UNIT_RPS,
      .flags = PERF_NEEDS_WRK,
      .story = "the embedded server answered {m} under wrk (one wrk thread, 100 connections "
               "sharing the machine with it), {r} the promised 20,000" },

    /* the async http client against wrk on the same (embedded) server, no delay: the rate of
     * 10,000 keep-alive GETs (issue 18: >= 0.4x wrk at -j 100; all in flight: information) */
    { .name = "http-async-rate-j100", .what = "10,000 GETs, no delay, 100 in flight: requests/s "
      "against wrk's on the same server", .workload = "http", .model = "async",
      .args = "-n 10000 -j 100 --sleep-ms 0", .figure = "tasks/wall_s",
      .limit_probe = "server 3 100", .limit_figure = "rps", .limit_label = "wrk", .basis = PERF_BASIS_LIMIT,
      .cmp = PERF_GE, .budget = 0.4, .unit = PERF_UNIT_RPS, .flags = PERF_NEEDS_WRK,
      .story = "with no delay and 100 GETs in flight the client made {m}, {r} wrk's rate on "
               "the same server ({l})" },
    { .name = "http-async-rate-all", .what = "10,000 GETs, no delay, all in flight: "
      "requests/s against wrk's", .workload = "http", .model = "async",
      .args = "-n 10000 --sleep-ms 0", .figure = "tasks/wall_s", .limit_probe = "server 3 100",
      .limit_figure = "rps", .limit_label = "wrk", .basis = PERF_BASIS_LIMIT, .cmp = PERF_NONE,
      .unit = PERF_UNIT_RPS, .flags = PERF_NEEDS_WRK,
      .story = "with all 10,000 in flight (fresh connections) {m}, {r} wrk's rate" },
    { .name = "http-async-rate-all-c100", .what = "10,000 GETs, no delay, all started at once, "
      "at most 100 connections (--max-connections): requests/s against wrk's",
      .workload = "http", .model = "async",
      .args = "-n 10000 --sleep-ms 0 --max-connections 100", .figure = "tasks/wall_s",
      .limit_probe = "server 3 100", .limit_figure = "rps", .limit_label = "wrk",
      .basis = PERF_BASIS_LIMIT, .cmp = PERF_NONE, .unit = PERF_UNIT_RPS,
      .flags = PERF_NEEDS_WRK,
      .story = "with all 10,000 started at once and at most 100 connections (the rest wait for "
               "one and reuse it) {m}, {r} wrk's rate" },

    /* thumbnail: per-stage times of one 1920x1080 image, and the speed-ups */
    { .name = "thumbnail-stages", .what = "one 1920x1080 image under single: blur + shrink "
      "against decode (median stage times)", .workload = "thumbnail", .model = "single",
      .args = "-n 16", .figure = "stage_ms.blur+stage_ms.shrink",
      .limit_figure = "=stage_ms.decode", .basis = PERF_BASIS_LIMIT, .cmp = PERF_LE,
      .budget = 1.0, .unit = PERF_UNIT_MS, .flags = PERF_WARMUP,
      .extras = "stage_ms.read stage_ms.decode stage_ms.blur stage_ms.shrink stage_ms.encode "
                "stage_ms.write",
      .story = "a 1920x1080 image costs (median ms) read {x0}, decode {x1}, blur {x2}, shrink "
               "{x3}, encode {x4}, write {x5}: blur + shrink is {r} the decode" },
    { .name = "thumbnail-speedup-{m}", .what = "16 images, -j cores: speed-up over the serial "
      "reference", .workload = "thumbnail", .model = "@parallel", .args = "-n 16 -j {cores}",
      .figure = "speedup", .limit_probe = "add 1000000000", .limit_figure = "speedup",
      .basis = PERF_BASIS_LIMIT, .cmp = PERF_GE, .budget = 0.90, .unit = PERF_UNIT_X,
      .flags = PERF_WARMUP,
      .story = "16 thumbnails: a speed-up of {m} over the serial reference, {r} the bare "
               "all-core speed-up ({l})" },

    /* the quick sweep (README: make bench QUICK=1 within 60 s) */
    { .name = "sweep-quick", .what = "one `concbench sweep --profile quick`: its duration",
      .probe = "sweep quick", .figure = "duration_s", .basis = PERF_BASIS_CONST,
      .basis_value = 60, .cmp = PERF_LE, .budget = 1, .unit = PERF_UNIT_S,
      .flags = PERF_ALL_ONLY | PERF_ONCE,
      .story = "the quick sweep took {m}, {r} the promised 60 s" },

    /* ---- issue 21 (H8): one shared counter under each --sync, and the pools' dispatch
     * styles. Two tasks of 10^7 increments, -j 2: ns an increment (wall time / increments),
     * the same under the serial reference (one task at a time: the uncontended cost), and the
     * speed-up over it (below 1: two tasks on one counter are slower than one at a time).
     * local shares nothing until its one add, so it must scale as bare adds do. */
#define LOCK_ARGS(s) "-n 2 -j 2 --increments 10000000 --sync " s
#define LOCK_NS(s, m)                                                                          \
    { .name = "lock-" s "-" m, .what = "lock --sync " s ", 2 tasks of 10^7 increments under "  \
      m ": time an increment", .workload = "lock", .model = m, .args = LOCK_ARGS(s),           \
      .figure = "wall_s/updates", .basis = PERF_BASIS_LIMIT, .cmp = PERF_NONE,              \
      .unit = PERF_UNIT_S,                                                                     \
      .story = "--sync " s ": {m} an increment with 2 tasks, -j 2" }
#define LOCK_X1(s, m, cmp_, budget_)                                                           \
    { .name = "lock-" s "-" m "-x1", .what = "lock --sync " s ", 2 tasks, -j 2 under " m       \
      ": speed-up over one task at a time", .workload = "lock", .model = m,                    \
      .args = LOCK_ARGS(s), .figure = "speedup", .limit_probe = "add 10000000 2",              \
      .limit_figure = "speedup", .basis = PERF_BASIS_LIMIT, .cmp = cmp_, .budget = budget_,    \
      .unit = PERF_UNIT_X,                                                                     \
      .story = "--sync " s ": 2 tasks at once ran at {m} the speed of one at a time ({r} the "  \
               "bare 2-thread speed-up of adds, {l})" }
    LOCK_NS("none", "single"), LOCK_NS("mutex", "single"), LOCK_NS("spin", "single"),
    LOCK_NS("atomic", "single"), LOCK_NS("local", "single"),
    LOCK_NS("none", "threads"), LOCK_X1("none", "threads", PERF_NONE, 0),
    LOCK_NS("mutex", "threads"), LOCK_X1("mutex", "threads", PERF_NONE, 0),
    LOCK_NS("spin", "threads"), LOCK_X1("spin", "threads", PERF_NONE, 0),
    LOCK_NS("atomic", "threads"), LOCK_X1("atomic", "threads", PERF_NONE, 0),
    LOCK_NS("local", "threads"), LOCK_X1("local", "threads", PERF_GE, 0.93),
    LOCK_NS("none", "processes"), LOCK_X1("none", "processes", PERF_NONE, 0),
    LOCK_NS("mutex", "processes"), LOCK_X1("mutex", "processes", PERF_NONE, 0),
    LOCK_NS("spin", "processes"), LOCK_X1("spin", "processes", PERF_NONE, 0),
    LOCK_NS("atomic", "processes"), LOCK_X1("atomic", "processes", PERF_NONE, 0),
    LOCK_NS("local", "processes"), LOCK_X1("local", "processes", PERF_GE, 0.93),
    { .name = "lock-none-threads-lost", .what = "lock --sync none, 2 threads of 10^7: updates "
      "lost", .workload = "lock", .model = "threads", .args = LOCK_ARGS("none"),
      .figure = "lost_updates", .limit_figure = "=updates", .basis = PERF_BASIS_LIMIT,
      .cmp = PERF_NONE, .unit = PERF_UNIT_COUNT,
      .story = "--sync none lost {m} of the {l} updates ({r}): a relaxed load and store are "
               "no lock" },
    { .name = "lock-none-processes-lost", .what = "lock --sync none, 2 processes of 10^7: "
      "updates lost", .workload = "lock", .model = "processes", .args = LOCK_ARGS("none"),
      .figure = "lost_updates", .limit_figure = "=updates", .basis = PERF_BASIS_LIMIT,
      .cmp = PERF_NONE, .unit = PERF_UNIT_COUNT,
      .story = "--sync none lost {m} of the {l} updates ({r})" },
#undef LOCK_NS
#undef LOCK_X1
#undef LOCK_ARGS

    /* Dispatch styles: 100,000 no-op tasks, -j cores, time a task against the bare atomic
     * index claim. A queue hand-off costs a lock and a signal; when the caller can put in bulk
     * (the queue holds every index) the workers never sleep: under 2 µs (issue 21). One slot
     * makes every hand-off a wake-up of a sleeping thread on another CPU: bimodal. */
#define DISPATCH(name_, m, extra, what_)                                                       \
    { .name = name_, .what = "100,000 no-op tasks (count 0), -j cores, " what_ ": time a task", \
      .workload = "count", .model = m, .args = "-n 100000 --count 0 -j {cores} " extra,        \
      .figure = "wall_s/tasks", .limit_probe = "claim 100000 {cores}",                         \
      .limit_figure = "per_index_s", .basis = PERF_BASIS_LIMIT, .cmp = PERF_NONE,              \
      .unit = PERF_UNIT_S, .story = what_ ": {m} a task, {r} a bare atomic index claim ({l})" }
    DISPATCH("dispatch-thread-pool-map", "thread-pool", "--dispatch map",
             "thread-pool --dispatch map"),
    DISPATCH("dispatch-thread-pool-submit", "thread-pool", "--dispatch submit",
             "thread-pool --dispatch submit (a future a task)"),
    DISPATCH("dispatch-thread-pool-queue", "thread-pool", "--dispatch queue",
             "thread-pool --dispatch queue (64 slots)"),
    DISPATCH("dispatch-thread-pool-queue-1", "thread-pool", "--dispatch queue --queue-size 1",
             "thread-pool --dispatch queue with one slot (a wake-up a hand-off)"),
    { .name = "dispatch-thread-pool-queue-bulk", .what = "100,000 no-op tasks, -j cores, "
      "--dispatch queue holding them all (put in bulk): time a hand-off", .workload = "count",
      .model = "thread-pool",
      .args = "-n 100000 --count 0 -j {cores} --dispatch queue --queue-size 100000",
      .figure = "wall_s/tasks", .basis = PERF_BASIS_CONST, .basis_value = 2e-6,
      .cmp = PERF_LE, .budget = 1, .unit = PERF_UNIT_S,
      .story = "a queue hand-off put in bulk: {m} a task, {r} the promised 2 µs" },
    DISPATCH("dispatch-process-pool-map", "process-pool", "--dispatch map",
             "process-pool --dispatch map"),
    DISPATCH("dispatch-process-pool-pipe", "process-pool", "--dispatch pipe",
             "process-pool --dispatch pipe (guided ranges; a result a write)"),
    DISPATCH("dispatch-process-pool-pipe-1", "process-pool", "--dispatch pipe --chunk 1",
             "process-pool --dispatch pipe --chunk 1 (an index a message)"),
#undef DISPATCH
    /* ---- async-uring (issue 20): async on the loop's io_uring backend, side by side with
     * async on epoll. The "run ..." limits are async's own runs with the same arguments (one
     * run a round, shared with the async checks above). Targets: io_uring no slower than
     * epoll (wall time within 5 %, requests/s at least 95 % of epoll's: the margin is the
     * runs' noise, not a concession), its sleeps as close to the ideal as async's, and on
     * http fewer loop system calls per fetch. */
    { .name = "uring-sleep-10k", .what = "10,000 sleeps of 100 ms on the io_uring loop: batch "
      "wall time", .workload = "sleep", .model = "async-uring",
      .args = "-n 10000 --sleep-ms 100", .figure = "wall_s",
      .limit_probe = "timers 10000 100", .limit_figure = "wall_s", .basis = PERF_BASIS_IDEAL,
      .cmp = PERF_LE, .budget = 1.02, .unit = PERF_UNIT_S,
      .story = "{n} sleeps of 100 ms on io_uring took {m} ({r} the ideal {i}; the bare epoll "
               "timer heap: {l})" },
    { .name = "uring-vs-epoll-sleep-10k", .what = "those 10,000 sleeps: io_uring's wall time "
      "against epoll's", .workload = "sleep", .model = "async-uring",
      .args = "-n 10000 --sleep-ms 100", .figure = "wall_s",
      .limit_probe = "run -w sleep -m async -n 10000 --sleep-ms 100", .limit_figure = "wall_s",
      .limit_label = "epoll", .basis = PERF_BASIS_LIMIT, .cmp = PERF_LE, .budget = 1.05,
      .unit = PERF_UNIT_S, .story = "io_uring {m}, epoll {l}: {r}" },
    { .name = "uring-sleep-100k", .what = "100,000 sleeps of 100 ms on the io_uring loop: batch "
      "wall time", .workload = "sleep", .model = "async-uring",
      .args = "-n 100000 --sleep-ms 100", .figure = "wall_s",
      .limit_probe = "timers 100000 100", .limit_figure = "wall_s", .basis = PERF_BASIS_IDEAL,
      .cmp = PERF_LE, .budget = 1.15, .unit = PERF_UNIT_S,
      .story = "{n} sleeps on io_uring took {m} ({r} the ideal; the bare heap: {l})" },
    { .name = "uring-vs-epoll-sleep-100k", .what = "those 100,000 sleeps: io_uring's wall time "
      "against epoll's", .workload = "sleep", .model = "async-uring",
      .args = "-n 100000 --sleep-ms 100", .figure = "wall_s",
      .limit_probe = "run -w sleep -m async -n 100000 --sleep-ms 100", .limit_figure = "wall_s",
      .limit_label = "epoll", .basis = PERF_BASIS_LIMIT, .cmp = PERF_LE, .budget = 1.05,
      .unit = PERF_UNIT_S, .story = "io_uring {m}, epoll {l}: {r}" },
    { .name = "uring-loop-cpu-sleep-10k", .what = "10,000 sleeps: the loop thread's CPU a task, "
      "io_uring against epoll", .workload = "sleep", .model = "async-uring",
      .args = "-n 10000 --sleep-ms 100", .figure = "loop_cpu_s/tasks",
      .limit_probe = "run -w sleep -m async -n 10000 --sleep-ms 100",
      .limit_figure = "loop_cpu_s/tasks", .limit_label = "epoll", .basis = PERF_BASIS_LIMIT,
      .cmp = PERF_LE, .budget = 1.10, .unit = PERF_UNIT_S,
      .story = "the loop's CPU a sleep: io_uring {m}, epoll {l} ({r})" },
    { .name = "uring-loop-syscalls-sleep-10k", .what = "10,000 sleeps: the loop's system calls a "
      "task, io_uring against epoll (information: a few dozen turns in all)",
      .workload = "sleep", .model = "async-uring", .args = "-n 10000 --sleep-ms 100",
      .figure = "loop_syscalls/tasks",
      .limit_probe = "run -w sleep -m async -n 10000 --sleep-ms 100",
      .limit_figure = "loop_syscalls/tasks", .limit_label = "epoll", .basis = PERF_BASIS_LIMIT,
      .cmp = PERF_NONE, .unit = PERF_UNIT_COUNT, .extras = "loop_syscalls",
      .story = "the loop's system calls a sleep: io_uring {m}, epoll {l} ({x0} io_uring_enter "
               "for all {n})" },
    { .name = "uring-http", .what = "1,000 fetches of 50 ms, all in flight, on io_uring",
      .workload = "http", .model = "async-uring", .args = "-n 1000", .figure = "wall_s",
      .basis = PERF_BASIS_IDEAL, .cmp = PERF_LE, .budget = 4, .unit = PERF_UNIT_S,
      .story = "{n} fetches of a 50 ms answer on io_uring took {m}, {r} the ideal {i}" },
    { .name = "uring-vs-epoll-http", .what = "those 1,000 fetches: io_uring's wall time against "
      "epoll's", .workload = "http", .model = "async-uring", .args = "-n 1000",
      .figure = "wall_s", .limit_probe = "run -w http -m async -n 1000",
      .limit_figure = "wall_s", .limit_label = "epoll", .basis = PERF_BASIS_LIMIT,
      .cmp = PERF_LE, .budget = 1.05, .unit = PERF_UNIT_S,
      .story = "io_uring {m}, epoll {l}: {r}" },
    { .name = "uring-loop-syscalls-http", .what = "those 1,000 fetches: the loop's system calls "
      "a fetch, io_uring against epoll (fewer)", .workload = "http", .model = "async-uring",
      .args = "-n 1000", .figure = "loop_syscalls/tasks",
      .limit_probe = "run -w http -m async -n 1000", .limit_figure = "loop_syscalls/tasks",
      .limit_label = "epoll", .basis = PERF_BASIS_LIMIT, .cmp = PERF_LE, .budget = 0.99,
      .unit = PERF_UNIT_COUNT, .extras = "loop_syscalls",
      .story = "a fetch cost the loop {m} system calls on io_uring ({x0} io_uring_enter in "
               "all), {l} on epoll (epoll_ctl for each socket's add, change and removal, and "
               "the waits): {r}" },
    { .name = "uring-loop-cpu-http", .what = "those 1,000 fetches: the loop thread's CPU a fetch, "
      "io_uring against epoll", .workload = "http", .model = "async-uring", .args = "-n 1000",
      .figure = "loop_cpu_s/tasks", .limit_probe = "run -w http -m async -n 1000",
      .limit_figure = "loop_cpu_s/tasks", .limit_label = "epoll", .basis = PERF_BASIS_LIMIT,
      .cmp = PERF_LE, .budget = 1.10, .unit = PERF_UNIT_S,
      .story = "the loop thread's CPU a fetch (libcurl included): io_uring {m}, epoll {l} "
               "({r})" },
    { .name = "uring-http-rate-j100", .what = "10,000 GETs, no delay, 100 in flight: io_uring's "
      "requests/s against epoll's", .workload = "http", .model = "async-uring",
      .args = "-n 10000 -j 100 --sleep-ms 0", .figure = "tasks/wall_s",
      .limit_probe = "run -w http -m async -n 10000 -j 100 --sleep-ms 0",
      .limit_figure = "tasks/wall_s", .limit_label = "epoll", .basis = PERF_BASIS_LIMIT,
      .cmp = PERF_GE, .budget = 0.95, .unit = PERF_UNIT_RPS, .extras = "loop_syscalls",
      .story = "with no delay and 100 GETs in flight io_uring made {m}, epoll {l} ({r}); "
               "io_uring_enter {x0} times for {n}" },
    /* ---- end of async-uring ---- */
    /* ---- issue 18 parts 3 and 4: memory per task in flight (the record's rss_per_task_kb:
     * peak RSS growth during the batch over the most tasks in flight; the runs are the same
     * as async-sleep-100k's and threads-sleep-10k's, so a round runs them once), and what
     * pinning with --cpus does to the spread of one hand-off figure (information) ---- */
    { .name = "async-memory-100k", .what = "100,000 sleeps on the loop: memory per task in "
      "flight", .workload = "sleep", .model = "async", .args = "-n 100000 --sleep-ms 100",
      .figure = "rss_per_task_kb", .basis = PERF_BASIS_CONST, .basis_value = 1,
      .cmp = PERF_LE, .budget = 1, .unit = PERF_UNIT_KB,
      .story = "each of {n} sleeping tasks held {m} of memory at the peak: a timer and a task "
               "record, no stack" },
    { .name = "threads-memory-10k", .what = "10,000 sleeping threads: memory per thread in "
      "flight (the peak growth over the most sleeps seen overlapping: creating 10,000 threads "
      "outlasts a 100 ms sleep)", .workload = "sleep", .model = "threads",
      .args = "-n 10000 --sleep-ms 100", .figure = "rss_growth_kb/tasks_in_flight_seen", .basis = PERF_BASIS_CONST, .basis_value = 32,
      .cmp = PERF_LE, .budget = 1, .unit = PERF_UNIT_KB,
      .story = "a sleeping thread held {m} of memory at the peak (of {n} created, fewer "
               "overlapped): the touched part of its 128 KiB stack, its TLS and descriptor" },
    { .name = "handoff-1cpu", .what = "1,000,000 no-op tasks handed out one at a time (--chunk "
      "1) to 2 pool threads pinned to CPU 0: batch time a task", .workload = "count",
      .model = "thread-pool", .args = "-n 1000000 --count 0 -j 2 --chunk 1 --cpus 0",
      .figure = "wall_s/tasks", .limit_probe = "pinned 0 claim 1000000 2",
      .limit_figure = "per_index_s", .basis = PERF_BASIS_LIMIT, .cmp = PERF_NONE,
      .unit = PERF_UNIT_S, .flags = PERF_PINNING,
      .story = "pinned to one CPU, a hand-off took {m} a task ({r} a bare index claim by 2 "
               "threads on that CPU, {l})" },
    { .name = "handoff-2cpus", .what = "the same, spread over CPUs 0-1", .workload = "count",
      .model = "thread-pool", .args = "-n 1000000 --count 0 -j 2 --chunk 1 --cpus 0-1",
      .figure = "wall_s/tasks", .limit_probe = "pinned 0-1 claim 1000000 2",
      .limit_figure = "per_index_s", .basis = PERF_BASIS_LIMIT, .cmp = PERF_NONE,
      .unit = PERF_UNIT_S, .flags = PERF_PINNING | PERF_NEEDS_2CPUS,
      .story = "spread over two CPUs, {m} a task ({r} the bare claim's {l}); the table's "
               "min–max of handoff-1cpu and handoff-2cpus is what pinning does to the spread" },
    /* mpi (issue 22): Open MPI worker ranks fed by a dispatcher rank (models/mpi.c); beside
     * process-pool-dispatch above, in the same session. Start-up is outside the timed region
     * and reported on its own (mpi-startup). */
    { .name = "mpi-dispatch", .what = "1,000,000 no-op tasks (count 0), -j cores, automatic "
      "chunks, shared-memory transport: batch time a task", .workload = "count", .model = "mpi",
      .args = "-n 1000000 --count 0 -j {cores}", .figure = "wall_s/tasks",
      .basis = PERF_BASIS_CONST, .basis_value = 2e-6, .cmp = PERF_LE, .budget = 1,
      .unit = PERF_UNIT_S,
      .story = "handing out {n} no-op tasks to worker ranks and getting their 64-byte results "
               "back over MPI cost {m} a task, {r} the promised 2 us (process-pool-dispatch, "
               "above, is the same batch through shared memory)" },
    { .name = "mpi-dispatch-tcp", .what = "the same over TCP (--mpi-btl tcp,self): batch time "
      "a task", .workload = "count", .model = "mpi",
      .args = "-n 1000000 --count 0 -j {cores} --mpi-btl tcp,self", .figure = "wall_s/tasks",
      .basis = PERF_BASIS_CONST, .basis_value = 2e-6, .cmp = PERF_NONE, .unit = PERF_UNIT_S,
      .story = "over the TCP transport (loopback) the same hand-out cost {m} a task" },
    { .name = "mpi-count-speedup", .what = "count, 2 tasks of 10^9 additions on 2 worker ranks: "
      "speed-up over the serial reference", .workload = "count", .model = "mpi",
      .args = "-n 2 --count 1000000000 -j 2", .figure = "speedup", .basis = PERF_BASIS_CONST,
      .basis_value = 1.9, .cmp = PERF_GE, .budget = 1, .unit = PERF_UNIT_X,
      .story = "2 x 10^9 additions on 2 worker ranks ran {m} faster than one after another, "
               "{r} the promised 1.9x (the dispatcher rank naps while it waits)" },
    { .name = "mpi-dispatcher-cpu", .what = "CPU of the dispatcher rank during that batch, "
      "against its wall time", .workload = "count", .model = "mpi",
      .args = "-n 2 --count 1000000000 -j 2", .figure = "dispatch_cpu_s",
      .limit_figure = "=wall_s", .limit_label = "wall", .basis = PERF_BASIS_LIMIT,
      .cmp = PERF_LE, .budget = 0.05, .unit = PERF_UNIT_S,
      .story = "the dispatcher took {m} of CPU in a batch of {l}: {r} of its wall time "
               "(MPI_Iprobe with naps of up to 1 ms, never a busy MPI_Recv)" },
    { .name = "mpi-sleep-1k", .what = "1,000 sleeps of 50 ms on 64 worker ranks: batch wall "
      "time", .workload = "sleep", .model = "mpi", .args = "-n 1000 --sleep-ms 50 -j 64",
      .figure = "wall_s", .basis = PERF_BASIS_IDEAL, .cmp = PERF_LE, .budget = 1.05,
      .unit = PERF_UNIT_S,
      .story = "{n} sleeps of 50 ms on 64 ranks took {m}, {r} the ideal {i} (16 rounds)" },
    { .name = "mpi-startup", .what = "start-up of a job of 3 ranks (mpirun, MPI_Init, set-up), "
      "untimed in every mpi run", .workload = "count", .model = "mpi",
      .args = "-n 2 --count 0 -j 2", .figure = "startup_s", .basis = PERF_BASIS_CONST,
      .basis_value = 1, .cmp = PERF_NONE, .unit = PERF_UNIT_S,
      .story = "starting the job (mpirun, 3 ranks through MPI_Init, the workload's set-up on "
               "each) took {m}; every mpi run pays it before its clock starts" },
};
const size_t perf_check_count = sizeof perf_check_table / sizeof perf_check_table[0];
