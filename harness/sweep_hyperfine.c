/* sweep_hyperfine.c — the headline cells timed whole by hyperfine (hyperfine/NAME.json) and
 * hyperfine.csv beside the sweep's own medians. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/atomic_file.h"
#include "harness/signals.h"
#include "harness/sweep_internal.h"
#include "harness/text.h"
#include "runtime/json.h"

/* Quote a word for hyperfine's shell-words splitting (single quotes when needed). */
static void shell_word(char *out, size_t len, const char *w)
{
    bool plain = *w != '\0';
    for (const char *p = w; *p; p++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./=:,+-",
                    *p))
            plain = false;
    if (plain) {
        snprintf(out, len, "%s", w);
        return;
    }
    size_t n = 0;
    if (n + 1 < len)
        out[n++] = '\'';
    for (const char *p = w; *p && n + 5 < len; p++) {
        if (*p == '\'') {
            memcpy(out + n, "'\\''", 4);
            n += 4;
        } else {
            out[n++] = *p;
        }
    }
    if (n + 1 < len)
        out[n++] = '\'';
    out[n] = '\0';
}

/* WORKLOAD-MODEL, with the cell's id after it when an earlier hyperfine cell has that name. */
static void hyperfine_name(const struct sweep *s, const struct sweep_cell *c, char *buf,
                           size_t len)
{
    bool taken = false;
    for (size_t k = 0; k < c->id && k < s->plan.ncells; k++) {
        const struct sweep_cell *o = &s->plan.cells[k];
        taken |= o->hyperfine && strcmp(o->workload, c->workload) == 0 &&
                 strcmp(o->model, c->model) == 0;
    }
    if (taken)
        snprintf(buf, len, "%s-%s-%u", c->workload, c->model, c->id);
    else
        snprintf(buf, len, "%s-%s", c->workload, c->model);
}

unsigned sweep_run_hyperfine(struct sweep *s, const char **note)
{
    unsigned written = 0;
    char hdir[PATH_MAX + 16];
    snprintf(hdir, sizeof hdir, "%s/hyperfine", s->dir);
    if (mkdir(hdir, 0755) < 0 && errno != EEXIST) {
        *note = "cannot create the hyperfine folder";
        return 0;
    }
    for (size_t i = 0; i < s->plan.ncells && !sigwatch_signal(); i++) {
        struct sweep_cell *c = &s->plan.cells[i];
        if (!c->hyperfine)
            continue;
        struct run_argv ra;
        char cmd[2048], word[600], name[128], tmp[PATH_MAX + 200], final[PATH_MAX + 200];
        char warm[16], runs[16];
        size_t used = 0;
        sweep_build_argv(c, s->exe, &ra);
        cmd[0] = '\0';
        for (int k = 0; ra.argv[k]; k++) {
            shell_word(word, sizeof word, ra.argv[k]);
            int n = snprintf(cmd + used, sizeof cmd - used, "%s%s", k ? " " : "", word);
            if (n > 0 && (size_t)n < sizeof cmd - used)
                used += (size_t)n;
        }
        hyperfine_name(s, c, name, sizeof name);
        snprintf(tmp, sizeof tmp, "%s/.%s.json.tmp", hdir, name);
        snprintf(final, sizeof final, "%s/%s.json", hdir, name);
        snprintf(warm, sizeof warm, "%u", 1u);
        snprintf(runs, sizeof runs, "%u", s->plan.runs < 2 ? 2 : s->plan.runs);
        char *argv[] = { "hyperfine", "-N", "--warmup", warm, "--runs", runs, "--export-json",
                         tmp, cmd, NULL };
        struct proc_child ch;
        double limit = 10 * sweep_hyperfine_estimate(s, c);
        if (limit < 60)
            limit = 60;
        if (s->tty) {
            fprintf(stderr, "\r  hyperfine: %s x %s\033[K", c->workload, c->model);
            fflush(stderr);
        }
        struct proc_opts po = { .search = true, .timeout_s = limit, .stop = s->cancel };
        if (proc_run(argv, &po, &ch) < 0) {
            *note = "hyperfine could not be started";
            break;
        }
        if (ch.exit_code == 0 && !ch.interrupted && rename(tmp, final) == 0) {
            written++;
            if (!s->tty)
                fprintf(stderr, "  hyperfine: %s x %s done\n", c->workload, c->model);
        } else {
            unlink(tmp);
            if (!ch.interrupted) {
                if (s->tty)
                    fputc('\n', stderr);
                fprintf(stderr, "  hyperfine failed for %s x %s (exit %d): %.300s\n",
                        c->workload, c->model, ch.exit_code, ch.err ? ch.err : "");
                *note = "hyperfine failed for some cells (see the sweep's stderr)";
            }
        }
        proc_child_free(&ch);
    }
    if (s->tty)
        fprintf(stderr, "\r\033[K");
    return written;
}

int sweep_write_hyperfine_csv(struct sweep *s, const struct sweep_row *rows)
{
    struct afile a;
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/hyperfine.csv", s->dir);
    int err = afile_open(&a, path);
    if (err < 0)
        return err;
    fprintf(a.f, "workload,model,tasks,concurrency,runs,mean_s,stddev_s,median_s,min_s,max_s,"
                 "inprocess_median_s,params\n");
    for (size_t i = 0; i < s->plan.ncells; i++) {
        const struct sweep_cell *c = &s->plan.cells[i];
        char name[128], file[PATH_MAX + 200], perr[128];
        char *text = NULL;
        size_t len = 0;
        if (!c->hyperfine)
            continue;
        hyperfine_name(s, c, name, sizeof name);
        snprintf(file, sizeof file, "%s/hyperfine/%s.json", s->dir, name);
        if (text_slurp(file, 64u << 20, &text, &len) < 0)
            continue;
        struct json_value *v = json_parse(text, len, perr, sizeof perr);
        free(text);
        const struct json_value *res = v ? json_get(v, "results") : NULL;
        if (res && res->type == JSON_ARRAY && res->n > 0) {
            const struct json_value *r0 = &res->items[0];
            const struct json_value *times = json_get(r0, "times");
            const char *keys[] = { "mean", "stddev", "median", "min", "max" };
            sweep_csv_text(a.f, c->workload);
            fputc(',', a.f);
            sweep_csv_text(a.f, c->model);
            fprintf(a.f, ",%u,%u,%zu", c->tasks, c->concurrency,
                    times && times->type == JSON_ARRAY ? times->n : (size_t)0);
            for (int k = 0; k < 5; k++) {
                const struct json_value *x = json_get(r0, keys[k]);
                fputc(',', a.f);
                if (x && x->type == JSON_NUMBER)
                    sweep_csv_number(a.f, x->number, 9);
            }
            fputc(',', a.f);
            sweep_csv_number(a.f, rows[i].median_s, 9);
            fputc(',', a.f);
            sweep_csv_text(a.f, c->params);
            fputc('\n', a.f);
        }
        json_free(v);
    }
    return afile_commit(&a);
}
