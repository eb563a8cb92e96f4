/* catalog.c — the registries as data for charts and tables (models.csv, workloads.csv) and the
 * `params` key of a cell. */
#include "harness/catalog.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/atomic_file.h"
#include "runtime/utf8.h"

/* A CSV field: quoted when it holds a comma, a quote or a line break. */
static void csv_field(FILE *f, const char *s)
{
    char clean[1024];
    if (!s)
        s = "";
    if (!utf8_is_clean(s, 0))
        s = utf8_sanitize(s, clean, sizeof clean, 0);
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s == '\n' || *s == '\r' ? ' ' : *s, f);
    }
    fputc('"', f);
}

unsigned long catalog_rgb(const char *color)
{
    if (!color || color[0] != '#' || strlen(color) != 7)
        return 0;
    char *end;
    unsigned long v = strtoul(color + 1, &end, 16);
    return *end ? 0 : v;
}

static int write_models(const char *path)
{
    struct afile a;
    int err = afile_open(&a, path);
    if (err < 0)
        return err;
    fprintf(a.f, "name,order,color,rgb,serial,pool,forks,cpu_inline,summary\n");
    for (const struct model *const *m = models; *m; m++) {
        csv_field(a.f, (*m)->name);
        fprintf(a.f, ",%u,%s,%lu,%d,%d,%d,%d,", (*m)->order, (*m)->color ? (*m)->color : "",
                catalog_rgb((*m)->color), (*m)->serial, (*m)->pool, (*m)->forks,
                (*m)->cpu_inline);
        csv_field(a.f, (*m)->summary);
        fputc('\n', a.f);
    }
    return afile_commit(&a);
}

static int write_workloads(const char *path)
{
    struct afile a;
    int err = afile_open(&a, path);
    if (err < 0)
        return err;
    fprintf(a.f, "name,kind,kind_label,kind_order,order,label,summary\n");
    for (const struct workload *const *w = workloads; *w; w++) {
        csv_field(a.f, (*w)->name);
        fputc(',', a.f);
        csv_field(a.f, (*w)->kind->name);
        fputc(',', a.f);
        csv_field(a.f, (*w)->kind->label);
        fprintf(a.f, ",%u,%u,", (*w)->kind->order, (*w)->order);
        csv_field(a.f, (*w)->label);
        fputc(',', a.f);
        csv_field(a.f, (*w)->summary);
        fputc('\n', a.f);
    }
    return afile_commit(&a);
}

int catalog_write(const char *dir)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/models.csv", dir) >= (int)sizeof path)
        return -ENAMETOOLONG;
    int err = write_models(path);
    if (err < 0)
        return err;
    snprintf(path, sizeof path, "%s/workloads.csv", dir);
    return write_workloads(path);
}

struct kv {
    char name[64], value[128];
};

static int cmp_kv(const void *a, const void *b)
{
    return strcmp(((const struct kv *)a)->name, ((const struct kv *)b)->name);
}

size_t catalog_params(const struct workload *w, const struct model *m, const char *args,
                      char *buf, size_t len)
{
    struct kv kv[32];
    unsigned n = 0;
    char copy[1024], *save = NULL;

    snprintf(copy, sizeof copy, "%s", args ? args : "");
    for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
        if (t[0] != '-' || t[1] != '-')
            continue;
        const char *name = t + 2, *eq = strchr(name, '=');
        char nm[64];
        snprintf(nm, sizeof nm, "%.*s", eq ? (int)(eq - name) : (int)strlen(name), name);
        const struct wopt *o = wopt_find(w ? w->opts : NULL, nm);
        if (!o)
            o = wopt_find(m ? m->opts : NULL, nm);
        if (!o)
            continue;
        const char *v = "1";
        if (o->type != WOPT_FLAG) {
            v = eq ? eq + 1 : strtok_r(NULL, " ", &save);
            if (!v)
                continue;
            if (o->def && strcmp(o->def, v) == 0)
                continue;
        }
        if (n == sizeof kv / sizeof kv[0])
            break;
        snprintf(kv[n].name, sizeof kv[n].name, "%s", nm);
        snprintf(kv[n].value, sizeof kv[n].value, "%s", v);
        n++;
    }
    qsort(kv, n, sizeof kv[0], cmp_kv);
    size_t used = 0;
    if (len)
        buf[0] = '\0';
    for (unsigned k = 0; k < n && len; k++) {
        int r = snprintf(buf + used, len - used, "%s%s=%s", k ? ";" : "", kv[k].name,
                         kv[k].value);
        if (r < 0 || (size_t)r >= len - used) {
            used = len - 1;
            break;
        }
        used += (size_t)r;
    }
    return used;
}

unsigned catalog_options(const struct workload *w, const struct model *m, const char *args,
                         struct options *o, char *store, size_t len)
{
    char *save = NULL;
    o->n = 0;
    if (!len)
        return 0;
    snprintf(store, len, "%s", args ? args : "");
    for (char *t = strtok_r(store, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
        if (t[0] != '-' || t[1] != '-')
            continue;
        char *name = t + 2, *eq = strchr(name, '=');
        if (eq)
            *eq = '\0';
        const struct wopt *d = wopt_find(w ? w->opts : NULL, name);
        if (!d)
            d = wopt_find(m ? m->opts : NULL, name);
        const char *v = "";
        if (d && d->type != WOPT_FLAG)
            v = eq ? eq + 1 : strtok_r(NULL, " ", &save);
        else if (!d && !eq && save && *save && *save != '-')
            strtok_r(NULL, " ", &save);        /* an unknown option's value */
        if (!d || !v || o->n == OPTIONS_MAX)
            continue;
        o->kv[o->n].name = d->name;
        o->kv[o->n].value = v;
        o->n++;
    }
    return o->n;
}

double catalog_ideal_s(const struct workload *w, const struct model *m, const char *args,
                       unsigned tasks, unsigned concurrency, unsigned cores, double t1)
{
    struct options o;
    char store[1024];
    if (!w || !m)
        return NAN;
    catalog_options(w, m, args, &o, store, sizeof store);
    struct ideal_in in = {
        .tasks = tasks,
        .parallel = model_parallelism(m, w, concurrency),
        .cores = cores,
        .t1 = t1,
    };
    return workload_ideal(w, &o, &in);
}
