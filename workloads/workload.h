/* workload.h — what a task is: the interface every workload implements, and the registry.
 *
 * A workload knows how to prepare, run one task, and check the results; it knows nothing of
 * models. Models (models/model.h) run N tasks of any workload through this interface. */
#ifndef CONCBENCH_WORKLOAD_H
#define CONCBENCH_WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct loop;
struct event;
struct json_out;
struct json_value;

/* What became of one task. Zero is "never started", so zeroed results read as such. */
enum task_status {
    TASK_NOT_STARTED = 0,
    TASK_OK,
    TASK_FAILED,
    TASK_TIMEOUT,      /* ran past --timeout-ms from its own start */
    TASK_CANCELLED,    /* stopped by SIGINT/SIGTERM (the run's cancel event) */
};
const char *task_status_name(int status);

/* Error text of one task, kept apart from the result so that the pages of a batch without
 * errors are never touched. */
struct task_error {
    char kind[40];          /* short, countable: "HTTP 500", "killed by SIGSEGV", "timeout" */
    char msg[200];          /* for people: "task 7: killed by SIGSEGV" */
};

/* One task's result. The harness allocates the array in MAP_SHARED memory before any fork, so
 * a forked child writes its results where the parent reads them. 64 bytes: a million no-op
 * tasks cost 64 MB, not more. */
struct task_result {
    double start_s;         /* offset from the batch start; < 0 while never started */
    double end_s;           /* offset from the batch start; < 0 while not finished */
    int32_t status;         /* enum task_status */
    uint32_t index;         /* the task's index, set by the harness */
    uint64_t value;         /* the task's answer, checked by verify() */
    int64_t extra[3];       /* workload-defined figures (http: status code, bytes) */
    struct task_error *err; /* this task's error slot (shared memory too) */
};

/* Everything a running task may look at besides its index. */
struct task_env {
    struct event *cancel;   /* set when the run is cancelled (Ctrl-C); NULL: never */
    double deadline;        /* absolute CLOCK_MONOTONIC seconds; 0: no per-task timeout */
};

/* Record a failure (status, kind, message) in r; returns the status for convenience. Any
 * thread or process. kind is copied and truncated as needed. */
int task_fail(struct task_result *r, int status, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The status a task ends with when it stops early: TASK_CANCELLED when the run is cancelled,
 * TASK_TIMEOUT when its deadline has passed, TASK_OK when neither (it may go on). */
int task_interrupted(const struct task_env *env, double now);

/* What sort of work a workload is. Kinds are data: the charts and the report group workloads by
 * kind (name, label, order) as the sweep writes them, so a new kind is one more definition in
 * workload.c, never a case in the harness. */
struct workload_kind {
    const char *name;       /* the `kind` column of the CSVs: "io", "cpu" */
    const char *label;      /* for people: "I/O-bound" */
    unsigned order;         /* groups in charts and tables, lower first */
    bool waits;             /* tasks mostly wait: their ideal does not depend on the cores */
};
extern const struct workload_kind workload_kind_io, workload_kind_cpu;
/* Tasks that fight over shared state (one counter, one lock): neither waiting nor plain
 * computing. A workload of this kind writes into its record (its `report`) the numbers the
 * report draws: "updates" (updates the tasks made), "lost_updates" (made but missing from
 * the shared state) and "contended" (acquisitions that found the lock taken; absent: not
 * counted), and tells its synchronisation apart by the option `sync` (in the params). */
extern const struct workload_kind workload_kind_contended;

/* What the ideal batch time of a cell depends on (workload.ideal_s). */
struct ideal_in {
    unsigned tasks;         /* N */
    unsigned parallel;      /* tasks that may run at once: the model's concurrency, 1 for a
                             * model that runs this workload inline (model_parallelism) */
    unsigned cores;         /* CPUs available to the run */
    double t1;              /* the serial reference's median time per task; NaN: unknown */
};

/* A workload option (--NAME VALUE), declared by the workload and parsed by the CLI. */
enum wopt_type { WOPT_UINT, WOPT_STRING, WOPT_FLAG, WOPT_ENUM };
struct wopt {
    const char *name;       /* long option, without the dashes */
    enum wopt_type type;
    const char *def;        /* default as text; NULL: none */
    uint64_t min, max;      /* bounds, for WOPT_UINT */
    const char *help;
    const char *const *choices; /* WOPT_ENUM: the allowed values, NULL-terminated; any other
                             * value is a usage error that lists them */
};
/* The index of value v among d's choices (WOPT_ENUM), or -1. */
int wopt_choice(const struct wopt *d, const char *v);

/* The options given on the command line (values as text, validated against their wopt). */
#define OPTIONS_MAX 32
struct options {
    unsigned n;
    struct { const char *name, *value; } kv[OPTIONS_MAX];
};

/* What a model asks of a batch; also given to setup. */
struct run_params {
    unsigned tasks;         /* N */
    unsigned concurrency;   /* most tasks allowed in flight: 1 single, W pools, K with -j, else N */
    bool capped;            /* -j was given */
    unsigned chunk;         /* task indices per hand-out in the pools; 0: the model's choice */
    double t0;              /* batch start (clock_now()); task offsets are relative to it */
    double timeout_s;       /* per-task timeout from the task's own start; 0: none */
    bool timeout_set;       /* --timeout-ms was given (0 included): no workload default */
    double inject_pct;      /* calibration: extra busy work, % of each task's own duration */
    struct event *cancel;   /* set on SIGINT/SIGTERM; models stop dispatching and cancel */
    const struct options *model_opts;   /* the model's own options (model_opt); may be NULL */
    struct run_stats *stats;/* filled by the model */
    const struct options *workload_opts;    /* the workload's (external models pass them on);
                                             * may be NULL */
};

/* Figures only a model can know; the harness records them. */
struct run_stats {
    long parent_rss_kb;     /* the parent's RSS when it forked (process models), else 0 */
    long children_max_rss_kb;   /* largest child peak RSS (wait4), process models */
    long children_sum_rss_kb;   /* sum of the children's peak RSS (wait4), process models */
    unsigned workers_replaced;  /* pool workers that died and were replaced */
    double wall_s;          /* the batch's wall time as the model measured it (an external
                             * program times its own batch, models/ext.h); 0: the harness's */
    unsigned long long loop_syscalls;   /* event-loop models: the loop's system calls */
    double loop_cpu_s;      /* event-loop models: CPU time of the loop thread in loop_run */
    double startup_s;       /* the model's start-up before the timed region (model.prepare) */
    double other_cpu_user_s, other_cpu_sys_s;   /* CPU of the batch in processes getrusage
                             * cannot see (mpi ranks, on any host): added to the record's */
    double dispatch_cpu_s;  /* CPU of the model's own hand-out during the batch (mpi: rank 0) */
    char clock[96];         /* whose clock task times are on, when not this process's */
    char note[256];         /* one line for the user ("could not start thread 4097 of 10000: ...") */
    unsigned conc_reached;  /* most tasks in flight at once, when the model had to cap its
                               concurrency below run_params.concurrency; 0: not capped */
    char conc_cap[128];     /* why it was capped ("RLIMIT_NOFILE leaves 61 descriptors") */
};

/* The sweep's profile scales: a profile line's {args} and {conc_args} take the workload's
 * options for the profile's scale (profiles/README). */
enum { WL_SCALE_QUICK, WL_SCALE_DEFAULT, WL_NSCALES };
struct workload_sweep {
    const char *args;       /* options of its headline, task-count and timeline cells */
    const char *conc_args;  /* options of its concurrency cells; NULL: args */
};

struct workload {
    const char *name, *summary;
    const struct workload_kind *kind;
    const char *label;      /* chart label under its name: "add in a loop" */
    unsigned order;         /* position in charts and tables within its kind, lower first */
    bool hidden;            /* left out of `concbench list` (test-only workloads) */
    bool shared_state;      /* its tasks share memory with each other (the lock's counter): a
                             * `remote` model, whose tasks may run on other hosts, cannot run it */
    const struct wopt *opts;/* NULL-name-terminated; may be NULL */
    struct workload_sweep sweep[WL_NSCALES];

    /* The ideal batch time in seconds of N tasks with options o (NaN: none known). NULL: none
     * known. workload_ideal_wait / workload_ideal_cpu are the two usual rules. */
    double (*ideal_s)(const struct workload *w, const struct options *o,
                      const struct ideal_in *in);

    /* Once, before timing and before any fork. Returns 0, -EINVAL for bad input (usage error,
     * exit 2) or another negative errno (environment error, exit 3), with a message in err. */
    int (*setup)(const struct options *o, const struct run_params *p, void **ctx,
                 char *err, size_t errlen);

    /* Blocking form: run task i to the end in the calling thread or process. Fills r->value,
     * r->extra and, on failure, the error (task_fail). Returns the task's status. Must be
     * callable from many threads at once, and from forked children. Honours env->cancel and
     * env->deadline promptly (never a bare sleep). */
    int (*run)(void *ctx, unsigned i, const struct task_env *env, struct task_result *r);

    /* Async form, on the loop's thread only; NULL: the async model runs `run` inline, blocking
     * the loop. Starts task i and returns 0; done(arg, status) is called exactly once later
     * from a loop callback. A non-zero return is a status: the task ended at once, done is
     * not called. */
    int (*start)(void *ctx, unsigned i, struct loop *l, const struct task_env *env,
                 struct task_result *r, void (*done)(void *arg, int status), void *arg);
    /* Stop an async task started by `start` that has not called done yet: release its loop
     * resources and call done(arg, why) before returning. why: TASK_TIMEOUT or TASK_CANCELLED. */
    void (*stop)(void *ctx, unsigned i, struct loop *l, int why);

    /* Check every result against what the workload knows to be right. Returns true when
     * verified; otherwise writes the first reason into why. */
    bool (*verify)(void *ctx, const struct task_result *rs, unsigned n, char *why, size_t len);

    /* Optional: add workload-specific fields to the run's JSON record. */
    void (*report)(void *ctx, const struct task_result *rs, unsigned n, struct json_out *j);

    void (*teardown)(void *ctx);

    /* External implementations (models/ext.h, docs/external.md); both NULL: the workload has
     * no external form. ext_describe writes what set-up produced (URL, folders) as members of
     * the open "setup" object the program reads. ext_take reads task i's result object from
     * the program into r (value, extra) so that verify can judge it, checks what only an
     * external result needs (a thumbnail close to our own), and returns the task's status
     * (task_fail for a bad result). Parent process, after the program has ended. */
    void (*ext_describe)(void *ctx, struct json_out *j);
    int (*ext_take)(void *ctx, unsigned i, const struct json_value *res, struct task_result *r);
    /* Optional: options that make a set-up of this workload in another process (an mpi rank)
     * run the same tasks without repeating this set-up's one-off parts (http: the embedded
     * server's URL). Appends to o, strings in buf. Returns 0 or a negative errno. */
    int (*share)(void *ctx, struct options *o, char *buf, size_t len);
};

/* The registry, NULL-terminated; one line a workload in workload.c. */
extern const struct workload *const workloads[];
const struct workload *workload_find(const char *name);

/* An option's value for workload w: given on the command line, else w's default, else NULL. */
const char *workload_opt(const struct workload *w, const struct options *o, const char *name);
/* The same, as a number (the CLI has validated it); 0 when absent. */
uint64_t workload_opt_u64(const struct workload *w, const struct options *o, const char *name);
/* An option's value from a table: given in o, else the table's default, else NULL. */
const char *wopt_value(const struct wopt *table, const struct options *o, const char *name);
/* The option of that name in a table, or NULL. */
const struct wopt *wopt_find(const struct wopt *table, const char *name);
/* True when a WOPT_FLAG option was given. */
bool workload_opt_flag(const struct options *o, const char *name);

/* The ideal of tasks that wait `wait_s` each: ceil(N / parallel) x wait_s. */
double workload_ideal_wait(double wait_s, const struct ideal_in *in);
/* The ideal of CPU-bound tasks: t1 x ceil(N / min(parallel, cores)); NaN when t1 is unknown. */
double workload_ideal_cpu(const struct ideal_in *in);
/* w's ideal for these options (NaN when it has none). */
double workload_ideal(const struct workload *w, const struct options *o, const struct ideal_in *in);

#endif
