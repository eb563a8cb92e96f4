/* record.c — text and JSON output of one run. */
#include "harness/record.h"

#include <string.h>

#include "harness/cli.h"
#include "runtime/json.h"
#include "runtime/utf8.h"

static const char *kind_of(const struct task_result *r)
{
    if (r->status == TASK_FAILED)
        return r->err && r->err->kind[0] ? r->err->kind : "failed";
    return task_status_name(r->status);
}

static const char *signal_name(int sig)
{
    switch (sig) {
    case 0: return NULL;
    case 1: return "SIGHUP";
    case 2: return "SIGINT";
    case 15: return "SIGTERM";
    default: return "a signal";
    }
}

void record_error_kinds(const struct task_result *rs, unsigned n, struct error_kinds *out)
{
    memset(out, 0, sizeof *out);
    for (unsigned i = 0; i < n; i++) {
        if (rs[i].status == TASK_OK)
            continue;
        out->errors++;
        const char *kind = kind_of(&rs[i]);
        unsigned k;
        for (k = 0; k < out->n && strcmp(out->k[k].kind, kind) != 0; k++)
            ;
        if (k == out->n) {
            if (out->n == RECORD_MAX_KINDS)
                kind = "other", k = out->n - 1;
            else
                snprintf(out->k[out->n++].kind, sizeof out->k[0].kind, "%s", kind);
        }
        out->k[k].count++;
    }
}

/* Text for a terminal: names, URLs and messages come from the user and from servers, so no
 * control byte (ESC, CSI, a bare CR) and no invalid UTF-8 reaches it. */
static void put_clean(FILE *f, const char *s)
{
    utf8_fputs(s, f, UTF8_NO_CONTROLS);
}

void record_write_text(const struct record *r, FILE *f)
{
    struct error_kinds ek;
    const struct task_result *rs = r->results;
    unsigned n = r->params->tasks;

    record_error_kinds(rs, n, &ek);
    fprintf(f, "%s x %s: %u tasks in %.3f s", r->workload->name, r->model->name, n, r->wall_s);
    if (!r->model->serial && r->stats.conc_reached)
        fprintf(f, " (concurrency %u, capped from %u)", r->stats.conc_reached,
                r->params->concurrency);
    else if (!r->model->serial)
        fprintf(f, " (concurrency %u)", r->params->concurrency);
    if (r->verified) {
        fprintf(f, ", verified\n");
    } else {
        fprintf(f, ", NOT verified: ");
        put_clean(f, r->verify_error ? r->verify_error : "?");
        fprintf(f, "\n");
    }
    if (ek.errors) {
        fprintf(f, "  %u task%s not ok:", ek.errors, ek.errors == 1 ? "" : "s");
        for (unsigned k = 0; k < ek.n; k++) {
            fprintf(f, "%s %u x ", k ? "," : "", ek.k[k].count);
            put_clean(f, ek.k[k].kind);
        }
        fprintf(f, "\n");
        unsigned shown = 0;
        for (unsigned i = 0; i < n && shown < 5; i++)
            if ((rs[i].status == TASK_FAILED || rs[i].status == TASK_TIMEOUT) && rs[i].err &&
                rs[i].err->msg[0]) {
                fprintf(f, "  ");
                put_clean(f, rs[i].err->msg);
                fprintf(f, "\n");
                shown++;
            }
    }
    if (r->stats.conc_reached) {
        fprintf(f, "  capped: at most %u tasks at once, not %u: ", r->stats.conc_reached,
                r->params->concurrency);
        put_clean(f, r->stats.conc_cap[0] ? r->stats.conc_cap : "?");
        fprintf(f, "\n");
    }
    if (r->stats.note[0]) {
        fprintf(f, "  note: ");
        put_clean(f, r->stats.note);
        fprintf(f, "\n");
    }
    if (r->stats.startup_s > 0) {
        fprintf(f, "  start-up (untimed): %.3f s", r->stats.startup_s);
        if (r->stats.clock[0]) {
            fprintf(f, "; task clock: ");
            put_clean(f, r->stats.clock);
        }
        fprintf(f, "\n");
    }
    if (r->signal)
        fprintf(f, "  interrupted by %s: completed tasks are kept above\n",
                signal_name(r->signal));
}

void record_write_json(const struct record *r, FILE *f)
{
    struct json_out j;
    struct error_kinds ek;
    const struct task_result *rs = r->results;
    unsigned n = r->params->tasks;

    record_error_kinds(rs, n, &ek);
    json_init(&j, f);
    json_object_begin(&j);
    json_key_uint(&j, "schema", RECORD_SCHEMA);
    json_key_str(&j, "workload", r->workload->name);
    json_key_str(&j, "kind", r->workload->kind->name);
    json_key_str(&j, "model", r->model->name);
    json_key_uint(&j, "tasks", n);
    json_key_uint(&j, "concurrency", r->params->concurrency);
    /* The concurrency the model could give: below "concurrency" only when it had to cap it
     * (processes: descriptors), with the reason; otherwise the same and null. */
    json_key_uint(&j, "concurrency_reached",
                  r->stats.conc_reached ? r->stats.conc_reached : r->params->concurrency);
    json_key_str(&j, "concurrency_cap", r->stats.conc_reached ? r->stats.conc_cap : NULL);
    json_key_double(&j, "wall_s", r->wall_s);
    json_key_double(&j, "cpu_user_s", r->cpu_user_s);
    json_key_double(&j, "cpu_sys_s", r->cpu_sys_s);
    json_key_int(&j, "max_rss_kb", r->max_rss_kb);
    json_key_int(&j, "children_max_rss_kb", r->stats.children_max_rss_kb);
    json_key_int(&j, "children_sum_rss_kb", r->stats.children_sum_rss_kb);
    json_key_int(&j, "parent_rss_kb", r->stats.parent_rss_kb);
    json_key_int(&j, "ctx_voluntary", r->ctx_voluntary);
    json_key_int(&j, "ctx_involuntary", r->ctx_involuntary);
    json_key_uint(&j, "timeout_ms", r->timeout_ms);
    json_key_uint(&j, "workers_replaced", r->stats.workers_replaced);
    if (r->stats.loop_syscalls || r->stats.loop_cpu_s > 0) {  /* event-loop models only */
        json_key_uint(&j, "loop_syscalls", r->stats.loop_syscalls);
        json_key_double(&j, "loop_cpu_s", r->stats.loop_cpu_s);
    }
    /* Memory per task in flight (batch.c); null when the peak could not be reset. */
    json_key(&j, "rss_before_kb");
    r->rss_before_kb >= 0 ? json_int(&j, r->rss_before_kb) : json_null(&j);
    json_key(&j, "rss_peak_kb");
    r->rss_peak_kb >= 0 ? json_int(&j, r->rss_peak_kb) : json_null(&j);
    json_key(&j, "rss_growth_kb");
    r->rss_growth_kb >= 0 ? json_int(&j, r->rss_growth_kb) : json_null(&j);
    json_key_uint(&j, "tasks_in_flight", r->tasks_in_flight);
    json_key_uint(&j, "tasks_in_flight_seen", r->tasks_seen);
    json_key_double(&j, "rss_per_task_kb", r->rss_per_task_kb);
    json_key_str(&j, "rss_basis", r->rss_basis);
    if (r->model->forks)
        json_key_uint(&j, "children", r->children);
    json_key_str(&j, "cpus", r->cpus[0] ? r->cpus : NULL);
    json_key_uint(&j, "cores", r->cores);
    json_key_double(&j, "startup_s", r->stats.startup_s);
    if (r->stats.dispatch_cpu_s > 0)
        json_key_double(&j, "dispatch_cpu_s", r->stats.dispatch_cpu_s);
    if (r->stats.clock[0])
        json_key_str(&j, "task_clock", r->stats.clock);
    json_key(&j, "options");
    json_object_begin(&j);
    for (const struct wopt *o = r->workload->opts; o && o->name; o++) {
        const char *v = workload_opt(r->workload, r->opts, o->name);
        if (v)
            json_key_str(&j, o->name, v);
    }
    json_object_end(&j);
    json_key_uint(&j, "errors", ek.errors);
    json_key(&j, "error_kinds");
    json_object_begin(&j);
    for (unsigned k = 0; k < ek.n; k++)
        json_key_uint(&j, ek.k[k].kind, ek.k[k].count);
    json_object_end(&j);
    json_key_bool(&j, "verified", r->verified);
    json_key_str(&j, "verify_error", r->verify_error);
    json_key_bool(&j, "interrupted", r->signal != 0);
    json_key_str(&j, "signal", signal_name(r->signal));
    json_key_str(&j, "note", r->stats.note[0] ? r->stats.note : NULL);
    if (r->workload->report)
        r->workload->report(r->ctx, rs, n, &j);

    json_key(&j, "task_status");
    json_array_begin(&j);
    for (unsigned i = 0; i < n; i++)
        json_str(&j, task_status_name(rs[i].status));
    json_array_end(&j);
    json_key(&j, "task_start_s");
    json_array_begin(&j);
    for (unsigned i = 0; i < n; i++)
        rs[i].start_s < 0 ? json_null(&j) : json_double(&j, rs[i].start_s);
    json_array_end(&j);
    json_key(&j, "task_end_s");
    json_array_begin(&j);
    for (unsigned i = 0; i < n; i++)
        rs[i].start_s < 0 || rs[i].end_s < 0 ? json_null(&j) : json_double(&j, rs[i].end_s);
    json_array_end(&j);
    json_key(&j, "task_errors");        /* the messages of tasks not ok, by index */
    json_object_begin(&j);
    unsigned shown = 0;
    for (unsigned i = 0; i < n && shown < 100; i++)
        if (rs[i].status != TASK_OK && rs[i].status != TASK_NOT_STARTED && rs[i].err &&
            rs[i].err->msg[0]) {
            char key[16];
            snprintf(key, sizeof key, "%u", i);
            json_key_str(&j, key, rs[i].err->msg);
            shown++;
        }
    json_object_end(&j);
    json_key(&j, "argv");
    json_array_begin(&j);
    json_str(&j, "concbench");
    for (int k = 0; k < r->argc; k++)
        json_str(&j, r->argv[k]);
    json_array_end(&j);
    json_object_end(&j);
    fputc('\n', f);
}

int record_exit_code(const struct record *r)
{
    struct error_kinds ek;
    if (r->signal)
        return EXIT_INTERRUPTED;
    if (r->model_error)
        return EXIT_ENV;
    record_error_kinds(r->results, r->params->tasks, &ek);
    return ek.errors || !r->verified ? EXIT_TASKS : EXIT_OK;
}
