/* sweep_journal.c — the sweep's journal (runs.jsonl: one whole, fsync'ed line per run, as it
 * ends) and plan (plan.json), read back to resume a sweep or to rebuild its results. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/atomic_file.h"
#include "harness/sweep_internal.h"
#include "harness/text.h"
#include "models/model.h"
#include "runtime/json.h"
#include "workloads/workload.h"

#define STDERR_KEPT 2000            /* bytes of a run's stderr kept in runs.jsonl */

int sweep_write_failed(struct sweep *s, const char *what, int err)
{
    if (!s->werr) {
        s->werr = err;
        str_copy(s->werr_what, sizeof s->werr_what, what);
    }
    return err;
}

int sweep_alloc(struct sweep *s, size_t extra_runs)
{
    size_t nc = s->plan.ncells, cap = nc * (s->plan.runs + 1) + extra_runs;
    s->runs = calloc(cap ? cap : 1, sizeof *s->runs);
    s->raw = calloc(cap ? cap : 1, sizeof *s->raw);
    s->runs_cap = cap;
    s->warmed = calloc(nc + 1, sizeof *s->warmed);
    s->done = calloc(nc + 1, sizeof *s->done);
    s->keep_raw = calloc(nc + 1, sizeof *s->keep_raw);
    s->have = calloc(nc * s->plan.runs + 1, 1);
    if (!s->runs || !s->raw || !s->warmed || !s->done || !s->keep_raw || !s->have)
        return -ENOMEM;
    sweep_mark_timeline_sources(s);
    return 0;
}

void sweep_free(struct sweep *s)
{
    if (s->journal_fd >= 0)
        close(s->journal_fd);
    s->journal_fd = -1;
    for (size_t k = 0; k < s->nruns; k++)
        free(s->raw ? s->raw[k] : NULL);
    free(s->raw);
    free(s->runs);
    free(s->warmed);
    free(s->done);
    free(s->keep_raw);
    free(s->have);
    free(s->calibs);
    sweep_plan_free(&s->plan);
    for (size_t k = 0; k < s->nowned; k++)
        free(s->owned[k]);
    free(s->owned);
}

/* ---- writing ---- */

static void json_text_sanitized(struct json_out *j, const char *key, const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n > max)
        n = max;
    char *copy = malloc(n + 1);
    if (!copy)
        return;
    for (size_t i = 0; i < n; i++)
        copy[i] = (unsigned char)s[i] >= 0x80 ? '?' : s[i];
    copy[n] = '\0';
    json_key_str(j, key, copy);
    free(copy);
}

/* The cell's key, as every journal line and plan.json carry it. */
static void cell_fields(struct json_out *j, const struct sweep_cell *c)
{
    json_key_uint(j, "cell", c->id);
    json_key_str(j, "part", sweep_part_name(c->part));
    json_key_str(j, "workload", c->workload);
    json_key_str(j, "model", c->model);
    json_key_uint(j, "tasks", c->tasks);
    json_key_uint(j, "jobs", c->jobs);
    json_key_uint(j, "concurrency", c->concurrency);
    json_key_str(j, "args", c->args);
    json_key_str(j, "params", c->params);
    json_key_str(j, "name", c->name);
    json_key_bool(j, "hyperfine", c->hyperfine);
    json_key_double(j, "estimated_s", c->est_run_s);
}

int sweep_journal_append(struct sweep *s, const struct sweep_cell *c, const struct sweep_run *r,
                         char *const argv[], const struct proc_child *ch, bool record_ok,
                         char **line_out)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return sweep_write_failed(s, SWEEP_JOURNAL, -ENOMEM);
    struct json_out j;
    json_init(&j, f);
    json_object_begin(&j);
    json_key_uint(&j, "sweep_schema", SWEEP_SCHEMA);
    json_key_uint(&j, "seed", s->seed);
    json_key_uint(&j, "order", s->seq);
    cell_fields(&j, c);
    json_key_uint(&j, "run", r->run);
    json_key_bool(&j, "warmup", r->run == 0);
    json_key_str(&j, "status", sweep_status_name(r->status));
    json_key_int(&j, "exit_code", r->exit_code);
    json_key_str(&j, "signal", ch->term_signal ? strsignal(ch->term_signal) : NULL);
    json_key_bool(&j, "timed_out", ch->timed_out);
    json_key_double(&j, "elapsed_s", r->elapsed_s);
    json_key_double(&j, "wall_s", r->wall_s);
    json_key_double(&j, "cpu_s", r->cpu_s);
    json_key_double(&j, "server_cpu_s", r->server_cpu_s);
    json_key_double(&j, "max_rss_kb", r->max_rss_kb);
    json_key_double(&j, "children_sum_rss_kb", r->children_sum_rss_kb);
    json_key_double(&j, "ctx_voluntary", r->ctx_voluntary);
    json_key_double(&j, "ctx_involuntary", r->ctx_involuntary);
    json_key(&j, "argv");
    json_array_begin(&j);
    json_str(&j, s->exe);
    for (int k = 1; argv[k]; k++)
        json_str(&j, argv[k]);
    json_array_end(&j);
    json_text_sanitized(&j, "stderr", ch->err ? ch->err : "", STDERR_KEPT);
    json_key(&j, "record");
    if (record_ok) {
        /* The record as `run` printed it, on this one line (a line break outside a string is
         * JSON whitespace; inside one it would not have parsed). */
        for (size_t k = 0; k < ch->out_len; k++)
            fputc(ch->out[k] == '\n' || ch->out[k] == '\r' ? ' ' : ch->out[k], f);
        j.need_comma[j.depth] = true;
    } else {
        json_null(&j);
        json_text_sanitized(&j, "stdout", ch->out ? ch->out : "", STDERR_KEPT);
    }
    json_object_end(&j);
    fputc('\n', f);
    if (fclose(f) != 0 || !buf) {
        free(buf);
        return sweep_write_failed(s, SWEEP_JOURNAL, -ENOMEM);
    }

    /* One write of the whole line, then fsync: a kill leaves whole lines, and at most the
     * last one cut; a failed write is cut off again so the journal stays whole lines. */
    int err = 0;
    off_t at = lseek(s->journal_fd, 0, SEEK_END);
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(s->journal_fd, buf + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            err = w < 0 ? -errno : -EIO;
            break;
        }
        off += (size_t)w;
    }
    while (!err && fsync(s->journal_fd) < 0)
        if (errno != EINTR)
            err = -errno;
    if (err) {
        if (at >= 0 && ftruncate(s->journal_fd, at) == 0)
            fsync(s->journal_fd);
        free(buf);
        return sweep_write_failed(s, SWEEP_JOURNAL, err);
    }
    s->seq++;
    if (line_out)
        *line_out = buf;
    else
        free(buf);
    return 0;
}

int sweep_journal_open(struct sweep *s)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/%s", s->dir, SWEEP_JOURNAL);
    s->journal_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (s->journal_fd < 0)
        return sweep_write_failed(s, SWEEP_JOURNAL, -errno);
    /* The journal's name itself must survive a power loss. */
    int dfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

int sweep_plan_save(struct sweep *s)
{
    struct afile a;
    struct json_out j;
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/%s", s->dir, SWEEP_PLAN_FILE);
    int err = afile_open(&a, path);
    if (err < 0)
        return sweep_write_failed(s, SWEEP_PLAN_FILE, err);
    json_init(&j, a.f);
    json_object_begin(&j);
    json_key_uint(&j, "sweep_schema", SWEEP_SCHEMA);
    json_key_str(&j, "tool", "concbench sweep");
    json_key_str(&j, "profile", s->plan.profile);
    json_key_uint(&j, "seed", s->seed);
    char seed[24];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)s->seed);
    json_key_str(&j, "seed_text", seed);    /* exact: a reader's double may round `seed` */
    json_key_uint(&j, "runs", s->plan.runs);
    json_key_uint(&j, "cores", s->plan.cores);
    json_key_bool(&j, "hyperfine", s->plan.hyperfine);
    json_key_double(&j, "run_timeout_s", s->run_timeout_s);
    json_key_double(&j, "estimated_s", s->estimate_s);
    json_key_str(&j, "stamp", s->stamp);
    json_key_str(&j, "started_utc", s->started_utc);
    json_key_uint(&j, "resumed", s->resumed);
    json_key(&j, "cells");
    json_array_begin(&j);
    for (size_t i = 0; i < s->plan.ncells; i++) {
        fputs("\n", a.f);
        json_object_begin(&j);
        cell_fields(&j, &s->plan.cells[i]);
        json_object_end(&j);
    }
    json_array_end(&j);
    json_key(&j, "skipped");
    json_array_begin(&j);
    for (unsigned k = 0; k < s->plan.nskipped; k++)
        json_str(&j, s->plan.skipped[k]);
    json_array_end(&j);
    json_key(&j, "notes");
    json_array_begin(&j);
    for (unsigned k = 0; k < s->plan.nnotes; k++)
        json_str(&j, s->plan.notes[k]);
    json_array_end(&j);
    json_object_end(&j);
    fputc('\n', a.f);
    if ((err = afile_commit(&a)) < 0)
        return sweep_write_failed(s, SWEEP_PLAN_FILE, err);
    return 0;
}

/* ---- reading ---- */

static double num(const struct json_value *o, const char *key)
{
    const struct json_value *v = json_get(o, key);
    return v && v->type == JSON_NUMBER ? v->number : NAN;
}

static const char *text(const struct json_value *o, const char *key)
{
    const struct json_value *v = json_get(o, key);
    return v && v->type == JSON_STRING ? v->string : NULL;
}

static unsigned uns(const struct json_value *o, const char *key)
{
    double v = num(o, key);
    return v >= 0 && v < 4294967296.0 ? (unsigned)v : 0;
}

/* A name as the registry spells it, or a copy s owns (NULL when it must be registered). */
static const char *intern(struct sweep *s, const char *name, bool workload, bool need_registry)
{
    if (!name)
        return NULL;
    if (workload && workload_find(name))
        return workload_find(name)->name;
    if (!workload && model_find(name))
        return model_find(name)->name;
    if (need_registry)
        return NULL;
    for (size_t k = 0; k < s->nowned; k++)
        if (strcmp(s->owned[k], name) == 0)
            return s->owned[k];
    char **o = realloc(s->owned, (s->nowned + 1) * sizeof *o);
    if (!o)
        return NULL;
    s->owned = o;
    if (!(o[s->nowned] = strdup(name)))
        return NULL;
    return o[s->nowned++];
}

static int part_of(const char *name)
{
    for (int p = 0; name && p < SWEEP_NPARTS; p++)
        if (strcmp(sweep_part_name(p), name) == 0)
            return p;
    return -1;
}

/* A cell from its fields in v; 0, or -EINVAL / -ENOENT (unregistered) with err. */
static int read_cell(struct sweep *s, const struct json_value *v, bool need_registry,
                     struct sweep_cell *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    c->id = uns(v, "cell");
    c->part = part_of(text(v, "part"));
    c->workload = intern(s, text(v, "workload"), true, need_registry);
    c->model = intern(s, text(v, "model"), false, need_registry);
    if (c->part < 0 || !c->workload || !c->model) {
        snprintf(err, errlen, "cell %u (%s x %s, part %s): %s", c->id,
                 text(v, "workload") ? text(v, "workload") : "?",
                 text(v, "model") ? text(v, "model") : "?",
                 text(v, "part") ? text(v, "part") : "?",
                 c->part < 0 || !text(v, "workload") || !text(v, "model")
                     ? "not a cell" : "not registered in this binary");
        return c->part < 0 || !text(v, "workload") || !text(v, "model") ? -EINVAL : -ENOENT;
    }
    c->tasks = uns(v, "tasks");
    c->jobs = uns(v, "jobs");
    c->concurrency = uns(v, "concurrency");
    str_copy(c->args, sizeof c->args, text(v, "args"));
    str_copy(c->params, sizeof c->params, text(v, "params"));
    str_copy(c->name, sizeof c->name, text(v, "name"));
    const struct json_value *h = json_get(v, "hyperfine");
    c->hyperfine = h && h->type == JSON_BOOL && h->boolean;
    c->est_run_s = num(v, "estimated_s");
    if (isnan(c->est_run_s))
        c->est_run_s = 0.05;
    return 0;
}

static int add_note(char **list, unsigned *n, const char *note)
{
    if (!note || *n == SWEEP_MAX_NOTES)
        return 0;
    if (!(list[*n] = strdup(note)))
        return -ENOMEM;
    (*n)++;
    return 0;
}

int sweep_plan_load(struct sweep *s, const char *dir, bool need_registry, char *err,
                    size_t errlen)
{
    char path[PATH_MAX + 32], perr[128];
    char *buf;
    size_t len;
    snprintf(path, sizeof path, "%s/%s", dir, SWEEP_PLAN_FILE);
    int e = text_slurp(path, 64u << 20, &buf, &len);
    if (e < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(-e));
        return e;
    }
    struct json_value *v = json_parse(buf, len, perr, sizeof perr);
    free(buf);
    const struct json_value *cells = v ? json_get(v, "cells") : NULL;
    if (!v || !cells || cells->type != JSON_ARRAY || num(v, "runs") < 1) {
        snprintf(err, errlen, "%s: not a sweep plan%s%s", path, v ? "" : ": ", v ? "" : perr);
        json_free(v);
        return -EINVAL;
    }
    struct sweep_plan *p = &s->plan;
    memset(p, 0, sizeof *p);
    s->seed = text(v, "seed_text") ? strtoull(text(v, "seed_text"), NULL, 10)
                                   : (uint64_t)num(v, "seed");
    p->runs = uns(v, "runs");
    p->cores = uns(v, "cores");
    if (!p->cores)
        p->cores = 1;
    const struct json_value *hf = json_get(v, "hyperfine");
    p->hyperfine = hf && hf->type == JSON_BOOL && hf->boolean;
    p->profile = strdup(text(v, "profile") ? text(v, "profile") : "?");   /* owned: sweep_plan_free frees it */
    s->run_timeout_s = num(v, "run_timeout_s") > 0 ? num(v, "run_timeout_s") : 0;
    s->estimate_s = num(v, "estimated_s");
    s->resumed = uns(v, "resumed");
    str_copy(s->stamp, sizeof s->stamp, text(v, "stamp"));
    str_copy(s->started_utc, sizeof s->started_utc, text(v, "started_utc"));
    p->cells = calloc(cells->n ? cells->n : 1, sizeof *p->cells);
    if (!p->cells) {
        json_free(v);
        return -ENOMEM;
    }
    for (size_t i = 0; i < cells->n && !e; i++) {
        char cerr[200];
        e = read_cell(s, &cells->items[i], need_registry, &p->cells[i], cerr, sizeof cerr);
        if (!e && p->cells[i].id != i)
            e = -EINVAL, snprintf(cerr, sizeof cerr, "cell %zu has id %u", i, p->cells[i].id);
        if (e)
            snprintf(err, errlen, "%s: %s", path, cerr);
        else
            p->ncells++;
    }
    const struct json_value *l = json_get(v, "skipped");
    for (size_t k = 0; !e && l && l->type == JSON_ARRAY && k < l->n; k++)
        e = add_note(p->skipped, &p->nskipped, l->items[k].string);
    l = json_get(v, "notes");
    for (size_t k = 0; !e && l && l->type == JSON_ARRAY && k < l->n; k++)
        e = add_note(p->notes, &p->nnotes, l->items[k].string);
    json_free(v);
    return e;
}

static int status_of(const char *name)
{
    for (int st = 0; name && st <= SR_INTERRUPTED; st++)
        if (strcmp(sweep_status_name(st), name) == 0)
            return st;
    return -1;
}

/* The plan's cell this journal line is about: by id when the key matches, else by key. */
static struct sweep_cell *find_cell(struct sweep *s, const struct sweep_cell *k)
{
    struct sweep_plan *p = &s->plan;
    for (size_t i = 0; i < p->ncells; i++) {
        struct sweep_cell *c = &p->cells[(k->id + i) % p->ncells];
        if (c->part == k->part && c->tasks == k->tasks && c->concurrency == k->concurrency &&
            strcmp(c->workload, k->workload) == 0 && strcmp(c->model, k->model) == 0 &&
            strcmp(c->args, k->args) == 0)
            return c;
    }
    return NULL;
}

static int add_cell(struct sweep *s, const struct sweep_cell *k)
{
    struct sweep_plan *p = &s->plan;
    struct sweep_cell *c = realloc(p->cells, (p->ncells + 1) * sizeof *c);
    if (!c)
        return -ENOMEM;
    p->cells = c;
    c[p->ncells] = *k;
    c[p->ncells].id = (unsigned)p->ncells;
    p->ncells++;
    return 0;
}

/* Call fn on every whole line of the journal text; the cut last line is reported once. */
struct line_walk {
    struct sweep *s;
    const char *path;
    bool add_cells, keep_interrupted, pass2, warn;
    unsigned max_run;
};

static int walk_line(struct line_walk *lw, const char *line, size_t len, size_t lineno,
                     char *err, size_t errlen)
{
    struct sweep *s = lw->s;
    char perr[128];
    struct json_value *v = json_parse(line, len, perr, sizeof perr);
    struct sweep_cell key;
    int e = 0;
    if (!v || v->type != JSON_OBJECT || !json_get(v, "run") || !json_get(v, "status")) {
        if (lw->warn)
            fprintf(stderr, "concbench: %s line %zu is not a run (%s): left out\n", lw->path,
                    lineno, v ? "fields missing" : perr);
        json_free(v);
        return 0;
    }
    e = read_cell(s, v, !lw->add_cells, &key, err, errlen);
    if (e < 0) {
        json_free(v);
        return e;
    }
    unsigned run = uns(v, "run");
    struct sweep_cell *c = find_cell(s, &key);
    if (!lw->pass2) {
        if (run > lw->max_run)
            lw->max_run = run;
        if (!c && lw->add_cells)
            e = add_cell(s, &key);
        else if (!c)
            snprintf(err, errlen, "%s line %zu: a run of a cell plan.json does not have (%s x "
                     "%s, n=%u)", lw->path, lineno, key.workload, key.model, key.tasks),
                e = -EINVAL;
        json_free(v);
        return e;
    }
    struct sweep_run r = {
        .cell = c->id,
        .run = run,
        .status = status_of(text(v, "status")),
        .exit_code = (int)num(v, "exit_code"),
        .elapsed_s = num(v, "elapsed_s"),
        .wall_s = num(v, "wall_s"),
        .cpu_s = num(v, "cpu_s"),
        .server_cpu_s = num(v, "server_cpu_s"),
        .max_rss_kb = num(v, "max_rss_kb"),
        .children_sum_rss_kb = num(v, "children_sum_rss_kb"),
        .ctx_voluntary = num(v, "ctx_voluntary"),
        .ctx_involuntary = num(v, "ctx_involuntary"),
        .rss_per_task_kb = json_get(v, "record") ? num(json_get(v, "record"), "rss_per_task_kb")
                                                 : NAN,
        .rss_set = json_get(v, "record") != NULL,
        .loop_syscalls = json_get(v, "record") ? num(json_get(v, "record"), "loop_syscalls") : NAN,
        .loop_cpu_s = json_get(v, "record") ? num(json_get(v, "record"), "loop_cpu_s") : NAN,
    };
    double order = num(v, "order");
    json_free(v);
    if (order >= s->seq)
        s->seq = (unsigned)order + 1;
    if (r.status < 0)
        r.status = SR_ERROR;
    if (r.status == SR_INTERRUPTED && !lw->keep_interrupted)
        return 0;
    size_t slot = (size_t)c->id * s->plan.runs + (run ? run - 1 : 0);
    if (run > s->plan.runs || (run > 0 && s->have[slot]) || s->nruns == s->runs_cap)
        return 0;                       /* beyond the plan, or a duplicate */
    if (run > 0 && r.status != SR_INTERRUPTED) {
        s->have[slot] = 1;
        s->done[c->id]++;
    }
    s->raw[s->nruns] = NULL;
    if (s->keep_raw[c->id] && r.status == SR_OK && run > 0 && !(s->raw[s->nruns] = strndup(line, len)))
        return -ENOMEM;
    s->runs[s->nruns++] = r;
    return 0;
}

static int walk(struct line_walk *lw, const char *buf, size_t len, char *err, size_t errlen)
{
    size_t start = 0, lineno = 0;
    for (size_t k = 0; k < len; k++) {
        if (buf[k] != '\n')
            continue;
        lineno++;
        if (k > start) {
            int e = walk_line(lw, buf + start, k - start, lineno, err, errlen);
            if (e < 0)
                return e;
        }
        start = k + 1;
    }
    return 0;
}

int sweep_journal_load(struct sweep *s, size_t extra, bool add_cells, bool cut_file,
                       bool keep_interrupted, char *err, size_t errlen)
{
    char path[PATH_MAX + 32];
    char *buf;
    size_t len;
    snprintf(path, sizeof path, "%s/%s", s->dir, SWEEP_JOURNAL);
    int e = text_slurp(path, 0, &buf, &len);
    if (e < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(-e));
        return e;
    }
    size_t whole = len;
    while (whole > 0 && buf[whole - 1] != '\n')
        whole--;
    if (whole < len) {
        fprintf(stderr, "concbench: %s: the last line is cut (%zu bytes, the sweep was stopped "
                "while writing it): left out\n", path, len - whole);
        if (cut_file && (e = truncate(path, (off_t)whole)) < 0)
            e = -errno;
        if (e < 0) {
            snprintf(err, errlen, "cannot cut %s to its whole lines: %s", path, strerror(-e));
            free(buf);
            return e;
        }
    }
    struct line_walk lw = { .s = s, .path = path, .add_cells = add_cells,
                            .keep_interrupted = keep_interrupted, .warn = true };
    e = walk(&lw, buf, whole, err, errlen);
    if (!e && add_cells && lw.max_run > s->plan.runs)
        s->plan.runs = lw.max_run;
    if (!e && !s->plan.runs)
        s->plan.runs = 1;
    size_t lines = 0;
    for (size_t k = 0; k < whole; k++)
        lines += buf[k] == '\n';
    if (!e)
        e = sweep_alloc(s, extra + lines);
    if (!e) {
        lw.pass2 = true;
        lw.warn = false;
        e = walk(&lw, buf, whole, err, errlen);
    }
    if (e == -ENOMEM)
        snprintf(err, errlen, "out of memory");
    free(buf);
    return e;
}
