/* report_upgrade.c — results folders written before the registry columns existed: the columns a
 * summary.csv lacks are filled from this binary's registries by name, and written back. */
#include "harness/report_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/atomic_file.h"
#include "harness/catalog.h"
#include "harness/text.h"

/* The data contract's registry columns, in the order the sweep appends them. */
enum { C_PARAMS, C_MODEL_ORDER, C_MODEL_RGB, C_SERIAL, C_PARALLEL, C_KIND_ORDER, C_KIND_LABEL,
       C_WORKLOAD_ORDER, C_WORKLOAD_LABEL, C_N };
static const char *const registry_cols[C_N] = {
    "params", "model_order", "model_rgb", "serial", "parallel", "kind_order", "kind_label",
    "workload_order", "workload_label",
};

#define UNKNOWN_ORDER 1000          /* models and workloads this binary lacks go last */
#define UNKNOWN_RGB 0x999999UL      /* and grey */

unsigned meta_cores(const struct json_value *meta)
{
    /* The cores the sweep counted with (its CPU affinity set, `sweep --cpus`) first. */
    const struct json_value *v = meta_find(meta, "cores_used_for_cpu_bound", 0);
    if (!v || v->type != JSON_NUMBER || v->number < 1)
        v = meta_find(meta, "cores_online", 0);
    if (!v || v->type != JSON_NUMBER)
        v = meta_find(meta, "cores", 0);
    return v && v->type == JSON_NUMBER && v->number >= 1 ? (unsigned)v->number : 0;
}

void upgrade_params(const struct json_value *meta, const char *part, const char *workload,
                    const char *model, char *buf, size_t len)
{
    const struct json_value *args = json_get(json_get(meta_find(meta, "workload_args", 0), part),
                                             workload);
    const struct workload *w = workload_find(workload);
    const struct model *m = model_find(model);
    buf[0] = '\0';
    if (args && args->type == JSON_STRING && (w || m))
        catalog_params(w, m, args->string, buf, len);
}

/* A kind this binary knows by name (any registered workload of that kind), or NULL. */
static const struct workload_kind *kind_find(const char *name)
{
    for (const struct workload *const *w = workloads; *w; w++)
        if (strcmp((*w)->kind->name, name) == 0)
            return (*w)->kind;
    return NULL;
}

/* "k=v;k=v" back into "--k v --k v", the form catalog_ideal_s reads. */
static void params_args(const char *params, char *buf, size_t len)
{
    char copy[512], *save = NULL;
    str_copy(copy, sizeof copy, params);
    buf[0] = '\0';
    for (char *kv = strtok_r(copy, ";", &save); kv; kv = strtok_r(NULL, ";", &save)) {
        char *eq = strchr(kv, '=');
        if (eq)
            *eq = '\0';
        str_append(buf, len, "%s--%s %s", buf[0] ? " " : "", kv, eq ? eq + 1 : "1");
    }
}

/* A text field for summary.csv: gnuplot splits quoted fields at their commas too, so a comma
 * in a label becomes a semicolon. */
static int set_text(struct csv *c, size_t r, int col, const char *v)
{
    char buf[256];
    str_copy(buf, sizeof buf, v);
    for (char *p = buf; (p = strchr(p, ',')); p++)
        *p = ';';
    return csv_set(c, r, col, buf);
}

static int set_num(struct csv *c, size_t r, int col, const char *fmt, double v)
{
    char buf[64];
    snprintf(buf, sizeof buf, fmt, v);
    return csv_set(c, r, col, buf);
}

/* Fill the registry columns of row r (those in `added`). */
static int fill_row(struct csv *c, size_t r, const int col[], const bool added[],
                    const struct json_value *meta, unsigned *unknown)
{
    const char *wn = csv_str(c, r, csv_col(c, "workload")), *mn = csv_str(c, r, csv_col(c, "model"));
    const struct workload *w = workload_find(wn);
    const struct model *m = model_find(mn);
    const struct workload_kind *k = w ? w->kind : kind_find(csv_str(c, r, csv_col(c, "kind")));
    unsigned conc = csv_uint(c, r, csv_col(c, "concurrency"));
    char buf[256];
    int rc = 0;
    if (added[C_PARAMS]) {
        upgrade_params(meta, csv_str(c, r, csv_col(c, "part")), wn, mn, buf, sizeof buf);
        rc |= csv_set(c, r, col[C_PARAMS], buf);
    }
    if (added[C_MODEL_ORDER]) {
        unsigned order = m ? m->order : 0;
        for (size_t s = 0; !m && s < r && !order; s++)     /* an unknown model seen before */
            if (is(csv_str(c, s, csv_col(c, "model")), mn))
                order = (unsigned)csv_num(c, s, col[C_MODEL_ORDER]);
        if (!order)
            order = UNKNOWN_ORDER + (*unknown)++;
        rc |= set_num(c, r, col[C_MODEL_ORDER], "%.0f", order);
    }
    if (added[C_MODEL_RGB])
        rc |= set_num(c, r, col[C_MODEL_RGB], "%.0f",
                      (double)(m && catalog_rgb(m->color) ? catalog_rgb(m->color) : UNKNOWN_RGB));
    if (added[C_SERIAL])
        rc |= csv_set(c, r, col[C_SERIAL], m && m->serial ? "1" : "0");
    if (added[C_PARALLEL])
        rc |= set_num(c, r, col[C_PARALLEL], "%.0f", m ? model_parallelism(m, w, conc) : conc);
    if (added[C_KIND_ORDER])
        rc |= set_num(c, r, col[C_KIND_ORDER], "%.0f", k ? k->order : UNKNOWN_ORDER);
    if (added[C_KIND_LABEL])
        rc |= set_text(c, r, col[C_KIND_LABEL], k ? k->label : csv_str(c, r, csv_col(c, "kind")));
    if (added[C_WORKLOAD_ORDER])
        rc |= set_num(c, r, col[C_WORKLOAD_ORDER], "%.0f", w ? w->order : UNKNOWN_ORDER);
    if (added[C_WORKLOAD_LABEL])
        rc |= set_text(c, r, col[C_WORKLOAD_LABEL], w ? w->label : "");
    return rc ? -ENOMEM : 0;
}

/* The ideal time of every row that has none, by the one rule (catalog_ideal_s), with t1 the
 * serial reference's headline median per task for the same workload and params. */
static int fill_ideals(struct csv *c, const int col[], unsigned cores, bool *changed)
{
    int ci = csv_col(c, "ideal_s"), ce = csv_col(c, "efficiency"), cmed = csv_col(c, "median_s"),
        cw = csv_col(c, "workload"), cm = csv_col(c, "model"), cp = csv_col(c, "part"),
        ct = csv_col(c, "tasks"), cj = csv_col(c, "concurrency");
    if (ci < 0)
        return 0;
    for (size_t r = 0; r < c->nrows; r++) {
        if (*csv_str(c, r, ci))
            continue;
        const char *wn = csv_str(c, r, cw), *params = csv_str(c, r, col[C_PARAMS]);
        const struct workload *w = workload_find(wn);
        const struct model *m = model_find(csv_str(c, r, cm));
        if (!w || !m)
            continue;
        double t1 = NAN;
        for (size_t s = 0; s < c->nrows && !isfinite(t1); s++)
            if (is(csv_str(c, s, col[C_SERIAL]), "1") && is(csv_str(c, s, cw), wn) &&
                is(csv_str(c, s, cp), "headline") && is(csv_str(c, s, col[C_PARAMS]), params) &&
                csv_uint(c, s, ct) > 0 && csv_num(c, s, cmed) > 0)
                t1 = csv_num(c, s, cmed) / csv_uint(c, s, ct);
        char args[512];
        params_args(params, args, sizeof args);
        double ideal = catalog_ideal_s(w, m, args, csv_uint(c, r, ct), csv_uint(c, r, cj), cores,
                                       t1), median = csv_num(c, r, cmed);
        if (!isfinite(ideal))
            continue;
        if (set_num(c, r, ci, "%.6f", ideal))
            return -ENOMEM;
        if (ce >= 0 && !*csv_str(c, r, ce) && median > 0 && set_num(c, r, ce, "%.3f", ideal / median))
            return -ENOMEM;
        *changed = true;
    }
    return 0;
}

int upgrade_summary(struct csv *c, const struct json_value *meta, unsigned cores, bool *changed)
{
    int col[C_N];
    bool added[C_N], any = false;
    unsigned unknown = 0;
    *changed = false;
    for (int k = 0; k < C_N; k++) {
        col[k] = csv_col(c, registry_cols[k]);
        added[k] = col[k] < 0;
        if (added[k] && (col[k] = csv_add_col(c, registry_cols[k])) < 0)
            return col[k];
        any |= added[k];
    }
    if (!any)
        return 0;
    *changed = true;
    for (size_t r = 0; r < c->nrows; r++)
        if (fill_row(c, r, col, added, meta, &unknown))
            return -ENOMEM;
    return fill_ideals(c, col, cores, changed);
}

int report_upgrade(const char *dir, bool *changed, char *err, size_t errlen)
{
    char path[4200], *text;
    size_t len;
    struct csv c;
    struct json_value *meta = NULL;
    *changed = false;
    snprintf(path, sizeof path, "%s/metadata.json", dir);
    if (text_slurp(path, 0, &text, &len) == 0) {
        char perr[128];
        meta = json_parse(text, len, perr, sizeof perr);     /* NULL: no registry args */
        free(text);
    }
    snprintf(path, sizeof path, "%s/summary.csv", dir);
    int rc = csv_load(path, &c);
    if (rc) {
        snprintf(err, errlen, "%s: %s", path, rc == -EINVAL ? "empty file" : strerror(-rc));
        json_free(meta);
        return rc;
    }
    rc = upgrade_summary(&c, meta, meta_cores(meta), changed);
    json_free(meta);
    if (!rc && *changed) {
        struct afile a;
        if ((rc = afile_open(&a, path)) == 0) {
            csv_write(&c, a.f);
            rc = afile_commit(&a);
        }
    }
    csv_free(&c);
    if (rc) {
        snprintf(err, errlen, "upgrading %s: %s", path, strerror(-rc));
        return rc;
    }
    char models_csv[4200], workloads_csv[4200];
    snprintf(models_csv, sizeof models_csv, "%s/models.csv", dir);
    snprintf(workloads_csv, sizeof workloads_csv, "%s/workloads.csv", dir);
    if (access(models_csv, F_OK) != 0 && access(workloads_csv, F_OK) != 0 &&
        (rc = catalog_write(dir)) < 0) {
        snprintf(err, errlen, "%s: %s", models_csv, strerror(-rc));
        return rc;
    }
    return 0;
}
