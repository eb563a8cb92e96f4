/* ext.c — external models (ext.h): descriptors read into spare model slots, and the run that
 * starts the program, hands it the spec and turns its output into results (docs/external.md). */
#include "models/ext.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "models/child.h"
#include "runtime/clock.h"
#include "runtime/event.h"
#include "runtime/json.h"

#define EXT_PROTOCOL 1
#define EXT_MAX_ARGS 32
#define EXT_TIMEOUT_MIN_S 30.0      /* a run's time limit: max(this, 10 x its estimate) */
#define EXT_KILL_GRACE_S 1.0        /* SIGTERM to the program's group, SIGKILL this much later */
#define EXT_ERR_KEEP 2048           /* the tail of its stderr kept for the failure message */

struct ext_model {
    struct model m;                 /* what the registry sees */
    const struct model *mirror;     /* the C model it mirrors */
    char name[48], summary[200], color[8], family[32], cost[200], dir[PATH_MAX];
    char *argv[EXT_MAX_ARGS + 1];   /* the command, {python} and {dir} replaced */
};

static struct ext_model ext[EXT_MAX_MODELS];
static unsigned n_ext;
static bool loaded;

/* ---- descriptors ---- */

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

static bool good_name(const char *s)
{
    if (!*s || strlen(s) >= 48)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
            return false;
    return true;
}

static const struct model *c_model(const char *name)
{
    for (const struct model *const *m = models; *m; m++)
        if (strcmp((*m)->name, name) == 0)
            return *m;
    return NULL;
}

/* Half way to white: the mirror's colour, lighter, when the descriptor gives none. */
static void lighter(const char *color, char out[8])
{
    unsigned long v = color && color[0] == '#' ? strtoul(color + 1, NULL, 16) : 0x808080;
    unsigned r = (unsigned)(v >> 16 & 255), g = (unsigned)(v >> 8 & 255), b = (unsigned)(v & 255);
    snprintf(out, 8, "#%02x%02x%02x", (r + 255) / 2, (g + 255) / 2, (b + 255) / 2);
}

/* Split the command into words, replacing {python} ($CONCBENCH_PYTHON, else /usr/bin/python3)
 * and {dir} (the descriptor's folder). */
static int split_command(struct ext_model *e, const char *cmd, char *err, size_t errlen)
{
    const char *py = getenv("CONCBENCH_PYTHON");
    char copy[1024], *save = NULL;
    unsigned n = 0;
    if (!py || !*py)
        py = "/usr/bin/python3";
    snprintf(copy, sizeof copy, "%s", cmd);
    for (char *t = strtok_r(copy, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
        char word[PATH_MAX + 256] = "";
        size_t used = 0;
        for (const char *s = t; *s && used < sizeof word - 1;) {
            const char *rep = NULL;
            if (strncmp(s, "{python}", 8) == 0)
                rep = py, s += 8;
            else if (strncmp(s, "{dir}", 5) == 0)
                rep = e->dir, s += 5;
            if (rep)
                used += (size_t)snprintf(word + used, sizeof word - used, "%s", rep);
            else
                word[used++] = *s++;
            if (used >= sizeof word)
                used = sizeof word - 1;
            word[used] = '\0';
        }
        if (n == EXT_MAX_ARGS) {
            snprintf(err, errlen, "more than %d words in command", EXT_MAX_ARGS);
            return -EINVAL;
        }
        if (!(e->argv[n++] = strdup(word)))
            return -ENOMEM;
    }
    e->argv[n] = NULL;
    if (!n) {
        snprintf(err, errlen, "empty command");
        return -EINVAL;
    }
    return 0;
}

static int ext_run_slot(unsigned k, const struct workload *w, void *ctx,
                        const struct run_params *p, struct task_result *results);

/* One run callback per slot: struct model's run does not say which model it is. */
#define EXT_SLOT(k) \
    static int ext_run_##k(const struct workload *w, void *ctx, const struct run_params *p, \
                           struct task_result *rs) { return ext_run_slot(k, w, ctx, p, rs); }
EXT_SLOT(0) EXT_SLOT(1) EXT_SLOT(2) EXT_SLOT(3) EXT_SLOT(4) EXT_SLOT(5) EXT_SLOT(6) EXT_SLOT(7)
EXT_SLOT(8) EXT_SLOT(9) EXT_SLOT(10) EXT_SLOT(11) EXT_SLOT(12) EXT_SLOT(13) EXT_SLOT(14)
EXT_SLOT(15) EXT_SLOT(16) EXT_SLOT(17) EXT_SLOT(18) EXT_SLOT(19) EXT_SLOT(20) EXT_SLOT(21)
EXT_SLOT(22) EXT_SLOT(23) EXT_SLOT(24) EXT_SLOT(25) EXT_SLOT(26) EXT_SLOT(27) EXT_SLOT(28)
EXT_SLOT(29) EXT_SLOT(30) EXT_SLOT(31)
static int (*const slot_run[EXT_MAX_MODELS])(const struct workload *, void *,
                                             const struct run_params *, struct task_result *) = {
    ext_run_0, ext_run_1, ext_run_2, ext_run_3, ext_run_4, ext_run_5, ext_run_6, ext_run_7,
    ext_run_8, ext_run_9, ext_run_10, ext_run_11, ext_run_12, ext_run_13, ext_run_14,
    ext_run_15, ext_run_16, ext_run_17, ext_run_18, ext_run_19, ext_run_20, ext_run_21,
    ext_run_22, ext_run_23, ext_run_24, ext_run_25, ext_run_26, ext_run_27, ext_run_28,
    ext_run_29, ext_run_30, ext_run_31,
};

static void free_slot(struct ext_model *e)
{
    for (unsigned k = 0; e->argv[k]; k++)
        free(e->argv[k]);
    memset(e, 0, sizeof *e);
}

/* Parse one descriptor into the next free slot. 0, or -EINVAL with "line N: ..." in err. */
static int load_descriptor(const char *path, const char *family_default, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot read it: %s", strerror(errno));
        return -errno;
    }
    if (n_ext == EXT_MAX_MODELS) {
        fclose(f);
        snprintf(err, errlen, "more than %d external models", EXT_MAX_MODELS);
        return -E2BIG;
    }
    struct ext_model *e = &ext[n_ext];
    char line[1200], command[1024] = "", mirrors[48] = "";
    bool have_order = false, have_serial = false, serial = false;
    unsigned order = 0, ln = 0;
    double dispatch = -1;
    int rc = -EINVAL;

    memset(e, 0, sizeof *e);
    char *real = realpath(path, NULL);      /* {dir} is absolute: the program runs anywhere */
    snprintf(e->dir, sizeof e->dir, "%s", real ? real : path);
    free(real);
    char *slash = strrchr(e->dir, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(e->dir, sizeof e->dir, ".");
    snprintf(e->family, sizeof e->family, "%s", family_default);
    while (fgets(line, sizeof line, f)) {
        ln++;
        char *s = trim(line);
        if (!*s || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            snprintf(err, errlen, "line %u: not KEY = VALUE", ln);
            goto out;
        }
        *eq = '\0';
        char *key = trim(s), *val = trim(eq + 1), *end;
        if (strcmp(key, "name") == 0 && good_name(val)) {
            snprintf(e->name, sizeof e->name, "%s", val);
        } else if (strcmp(key, "summary") == 0) {
            snprintf(e->summary, sizeof e->summary, "%s", val);
        } else if (strcmp(key, "mirrors") == 0) {
            snprintf(mirrors, sizeof mirrors, "%s", val);
        } else if (strcmp(key, "color") == 0 && val[0] == '#' && strlen(val) == 7 &&
                   strspn(val + 1, "0123456789abcdefABCDEF") == 6) {
            snprintf(e->color, sizeof e->color, "%s", val);
        } else if (strcmp(key, "order") == 0 && isdigit((unsigned char)val[0])) {
            order = (unsigned)strtoul(val, &end, 10);
            have_order = !*end;
            if (!have_order)
                goto bad;
        } else if (strcmp(key, "serial") == 0 &&
                   (strcmp(val, "yes") == 0 || strcmp(val, "no") == 0)) {
            serial = strcmp(val, "yes") == 0;
            have_serial = true;
        } else if (strcmp(key, "family") == 0 && good_name(val)) {
            snprintf(e->family, sizeof e->family, "%s", val);
        } else if (strcmp(key, "dispatch") == 0) {
            dispatch = strtod(val, &end);
            if (*end || !(dispatch >= 0))
                goto bad;
        } else if (strcmp(key, "cost") == 0) {
            snprintf(e->cost, sizeof e->cost, "%s", val);
        } else if (strcmp(key, "command") == 0) {
            snprintf(command, sizeof command, "%s", val);
        } else {
bad:
            snprintf(err, errlen, "line %u: bad or unknown %s '%s'", ln, key, val);
            goto out;
        }
    }
    if (!e->name[0] || !mirrors[0] || !command[0]) {
        snprintf(err, errlen, "name, mirrors and command are required");
        goto out;
    }
    if (!(e->mirror = c_model(mirrors))) {
        snprintf(err, errlen, "mirrors '%s': no such model", mirrors);
        goto out;
    }
    bool taken = c_model(e->name) != NULL;
    for (unsigned k = 0; k < n_ext && !taken; k++)
        taken = strcmp(ext[k].name, e->name) == 0;
    if (taken) {
        snprintf(err, errlen, "name '%s' is taken", e->name);
        goto out;
    }
    if ((rc = split_command(e, command, err, errlen)) < 0)
        goto out;
    if (!e->color[0])
        lighter(e->mirror->color, e->color);
    if (!e->summary[0])
        snprintf(e->summary, sizeof e->summary, "external: %s", command);
    const struct model *mm = e->mirror;
    e->m = (struct model){
        .name = e->name,
        .summary = e->summary,
        .order = have_order ? order : mm->order + 100,
        .color = e->color,
        .serial = have_serial ? serial : mm->serial,
        .family = e->family,
        .pool = mm->pool,
        .forks = mm->forks,
        .cpu_inline = mm->cpu_inline,
        .conc = mm->conc,
        .dispatch_s = dispatch >= 0 ? dispatch : mm->dispatch_s,
        .cost_text = e->cost[0] ? e->cost : mm->cost_text,
        .opts = NULL,
        .run = slot_run[n_ext],
    };
    n_ext++;
    rc = 0;
out:
    fclose(f);
    if (rc < 0)
        free_slot(e);
    return rc;
}

static int ends_with_model(const struct dirent *d)
{
    size_t n = strlen(d->d_name);
    return d->d_name[0] != '.' && n > 6 && strcmp(d->d_name + n - 6, ".model") == 0;
}

int ext_load_dir(const char *dir, char *err, size_t errlen)
{
    struct dirent **ents;
    char family[32], path[PATH_MAX + 300];
    int n = scandir(dir, &ents, ends_with_model, alphasort), added = 0;
    if (n < 0) {
        snprintf(err, errlen, "cannot read external model folder %s: %s", dir, strerror(errno));
        return -errno;
    }
    /* The family defaults to the folder above "models": ref/python/models -> python. */
    snprintf(path, sizeof path, "%s", dir);
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/')
        path[--len] = '\0';
    char *last = strrchr(path, '/');
    if (last && strcmp(last + 1, "models") == 0) {
        *last = '\0';
        last = strrchr(path, '/');
    }
    snprintf(family, sizeof family, "%s", last ? last + 1 : path);
    if (!good_name(family))
        snprintf(family, sizeof family, "external");
    for (int k = 0; k < n; k++) {
        char why[300];
        snprintf(path, sizeof path, "%s/%s", dir, ents[k]->d_name);
        if (load_descriptor(path, family, why, sizeof why) == 0)
            added++;
        else
            fprintf(stderr, "concbench: ignoring external model %s: %s\n", path, why);
        free(ents[k]);
    }
    free(ents);
    return added;
}

/* The folder of the running binary. */
static bool exe_dir(char *buf, size_t len)
{
    ssize_t n = readlink("/proc/self/exe", buf, len - 1);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    char *slash = strrchr(buf, '/');
    if (slash)
        *slash = '\0';
    return true;
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* ref/ (or share/concbench/ref/) in the binary's folder or one of the 4 above it. */
static bool ref_root(char *buf, size_t len)
{
    char dir[PATH_MAX];
    static const char *const subs[] = { "ref", "share/concbench/ref" };
    if (!exe_dir(dir, sizeof dir))
        return false;
    for (int up = 0; up < 5; up++) {
        for (int k = 0; k < 2; k++) {
            if (snprintf(buf, len, "%.*s/%s", PATH_MAX - 40, dir, subs[k]) < (int)len &&
                is_dir(buf))
                return true;
        }
        char *slash = strrchr(dir, '/');
        if (!slash || slash == dir)
            break;
        *slash = '\0';
    }
    return false;
}

static int has_models_dir(const struct dirent *d)
{
    return d->d_name[0] != '.';
}

static void load_all(void)
{
    char err[300], root[PATH_MAX], dir[PATH_MAX + 300];
    loaded = true;
    const char *env = getenv("CONCBENCH_EXTERNAL");
    if (env && *env) {
        char *copy = strdup(env), *save = NULL;
        for (char *t = copy ? strtok_r(copy, ":", &save) : NULL; t; t = strtok_r(NULL, ":", &save))
            if (ext_load_dir(t, err, sizeof err) < 0)
                fprintf(stderr, "concbench: CONCBENCH_EXTERNAL: %s\n", err);
        free(copy);
    }
    if (!ref_root(root, sizeof root))
        return;
    struct dirent **langs;
    int n = scandir(root, &langs, has_models_dir, alphasort);
    for (int k = 0; k < n; k++) {
        snprintf(dir, sizeof dir, "%s/%s/models", root, langs[k]->d_name);
        if (is_dir(dir))
            ext_load_dir(dir, err, sizeof err);
        free(langs[k]);
    }
    if (n > 0)
        free(langs);
}

const struct model *ext_find(const char *name)
{
    if (!loaded)
        load_all();
    for (unsigned k = 0; k < n_ext; k++)
        if (strcmp(ext[k].name, name) == 0)
            return &ext[k].m;
    return NULL;
}

unsigned ext_count(void)
{
    if (!loaded)
        load_all();
    return n_ext;
}

const struct model *ext_at(unsigned k)
{
    return k < ext_count() ? &ext[k].m : NULL;
}

static const struct ext_model *ext_of(const struct model *m)
{
    for (unsigned k = 0; k < n_ext; k++)
        if (&ext[k].m == m)
            return &ext[k];
    return NULL;
}

const char *ext_mirrors(const struct model *m)
{
    const struct ext_model *e = ext_of(m);
    return e ? e->mirror->name : NULL;
}

const char *ext_family(const struct model *m)
{
    const struct ext_model *e = ext_of(m);
    return e ? e->family : NULL;
}

int ext_reference_profile(const char *lang, char *buf, size_t len, char *err, size_t errlen)
{
    char root[PATH_MAX];
    if (!ref_root(root, sizeof root)) {
        snprintf(err, errlen, "no ref/ folder beside the binary: no reference implementations");
        return -ENOENT;
    }
    snprintf(buf, len, "%s/%s/profile", root, good_name(lang) ? lang : "?");
    struct stat st;
    if (stat(buf, &st) == 0 && S_ISREG(st.st_mode))
        return 0;
    char names[300] = "";
    struct dirent **langs;
    int n = scandir(root, &langs, has_models_dir, alphasort);
    for (int k = 0; k < n; k++) {
        size_t used = strlen(names);
        snprintf(names + used, sizeof names - used, "%s%s", used ? ", " : "", langs[k]->d_name);
        free(langs[k]);
    }
    if (n > 0)
        free(langs);
    snprintf(err, errlen, "no reference implementations for '%s' in %s (there are: %s)", lang,
             root, names[0] ? names : "none");
    return -ENOENT;
}

/* ---- the run ---- */

struct growbuf {
    char *p;
    size_t len, cap, limit;
    bool overflow;
};

static void grow_add(struct growbuf *b, const char *data, size_t n)
{
    if (b->len + n > b->limit) {
        b->overflow = true;
        n = b->limit > b->len ? b->limit - b->len : 0;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 65536;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *np = realloc(b->p, cap);
        if (!np) {
            b->overflow = true;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
}

/* The tail of stderr: the last EXT_ERR_KEEP bytes. */
static void tail_add(char *tail, size_t *tlen, const char *data, size_t n)
{
    if (n >= EXT_ERR_KEEP) {
        memcpy(tail, data + n - EXT_ERR_KEEP, EXT_ERR_KEEP);
        *tlen = EXT_ERR_KEEP;
        return;
    }
    if (*tlen + n > EXT_ERR_KEEP) {
        size_t drop = *tlen + n - EXT_ERR_KEEP;
        memmove(tail, tail + drop, *tlen - drop);
        *tlen -= drop;
    }
    memcpy(tail + *tlen, data, n);
    *tlen += n;
}

/* Read what is there; false at end of file (the descriptor is closed then). */
static bool drain(int *fd, struct growbuf *out, char *tail, size_t *tlen)
{
    char chunk[65536];
    for (;;) {
        ssize_t n = read(*fd, chunk, sizeof chunk);
        if (n > 0) {
            if (out)
                grow_add(out, chunk, (size_t)n);
            else
                tail_add(tail, tlen, chunk, (size_t)n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return true;
        close(*fd);
        *fd = -1;
        return false;
    }
}

struct exec_args {
    char *const *argv;
    int in, out, err;
};

/* In the child (after child_spawn's fork): its own process group, the spec on stdin, the
 * protocol pipe on stdout, signals as a fresh program expects them, then exec. */
static void exec_program(void *arg)
{
    const struct exec_args *a = arg;
    sigset_t none;
    setpgid(0, 0);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGCHLD, SIG_DFL);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (dup2(a->in, 0) < 0 || dup2(a->out, 1) < 0 || dup2(a->err, 2) < 0)
        _exit(127);
    if (strchr(a->argv[0], '/'))
        execv(a->argv[0], a->argv);
    else
        execvp(a->argv[0], a->argv);
    char msg[PATH_MAX + 100];
    int n = snprintf(msg, sizeof msg, "cannot run %s: %s\n", a->argv[0], strerror(errno));
    ssize_t wr = write(2, msg, n > 0 ? (size_t)n : 0);
    (void)wr;
    _exit(127);
}

/* The spec: what the program needs to run the batch (docs/external.md). */
static void write_spec(FILE *f, const struct ext_model *e, const struct workload *w, void *ctx,
                       const struct run_params *p)
{
    struct json_out j;
    json_init(&j, f);
    json_object_begin(&j);
    json_key_uint(&j, "protocol", EXT_PROTOCOL);
    json_key_str(&j, "workload", w->name);
    json_key_str(&j, "model", e->name);
    json_key_str(&j, "mirrors", e->mirror->name);
    json_key_uint(&j, "tasks", p->tasks);
    json_key_uint(&j, "concurrency", p->concurrency);
    json_key_bool(&j, "capped", p->capped);
    json_key_uint(&j, "chunk", p->chunk);
    json_key_double(&j, "timeout_s", p->timeout_s);
    json_key(&j, "options");
    json_object_begin(&j);
    for (const struct wopt *o = w->opts; o && o->name; o++) {
        const char *v = wopt_value(w->opts, p->workload_opts, o->name);
        if (o->type == WOPT_FLAG)
            json_key_bool(&j, o->name, workload_opt_flag(p->workload_opts, o->name));
        else if (!v)
            continue;
        else if (o->type == WOPT_UINT)
            json_key_uint(&j, o->name, strtoull(v, NULL, 10));
        else
            json_key_str(&j, o->name, v);
    }
    json_object_end(&j);
    json_key(&j, "setup");
    json_object_begin(&j);
    if (w->ext_describe)
        w->ext_describe(ctx, &j);
    json_object_end(&j);
    json_object_end(&j);
    fputc('\n', f);
}

static const char *status_names[] = { "not_started", "ok", "failed", "timeout", "cancelled" };

static int parse_status(const char *s)
{
    for (int k = TASK_OK; k <= TASK_CANCELLED; k++)
        if (strcmp(s, status_names[k]) == 0)
            return k;
    return -1;
}

/* Read the program's output into results. Returns 0, or -EPROTO with the reason in why. The
 * batch's wall time goes to *wall. */
static int take_output(const struct workload *w, void *ctx, const struct run_params *p,
                       struct task_result *rs, char *out, size_t len, double *wall, char *why,
                       size_t whylen)
{
    unsigned n = p->tasks, seen = 0, ln = 0;
    char *line = out, *end = out + len;
    bool *have = calloc(n ? n : 1, sizeof *have);
    int rc = 0;

    *wall = NAN;
    if (!have) {
        snprintf(why, whylen, "out of memory");
        return -ENOMEM;
    }
    while (line < end && rc == 0) {
        char *nl = memchr(line, '\n', (size_t)(end - line));
        size_t ll = nl ? (size_t)(nl - line) : (size_t)(end - line);
        char perr[160];
        ln++;
        bool blank = true;
        for (size_t k = 0; k < ll && blank; k++)
            blank = isspace((unsigned char)line[k]);
        if (blank)
            goto next;
        struct json_value *v = json_parse(line, ll, perr, sizeof perr);
        if (!v || v->type != JSON_OBJECT) {
            snprintf(why, whylen, "line %u is not a JSON object%s%s", ln, v ? "" : ": ",
                     v ? "" : perr);
            json_free(v);
            rc = -EPROTO;
            break;
        }
        const struct json_value *t = json_get(v, "task"), *wl = json_get(v, "wall");
        if (!t) {
            if (!wl || wl->type != JSON_NUMBER || !(wl->number > 0) || !isfinite(wl->number)) {
                snprintf(why, whylen, "line %u has neither \"task\" nor a positive \"wall\"",
                         ln);
                rc = -EPROTO;
            } else if (!isnan(*wall)) {
                snprintf(why, whylen, "line %u: a second batch line", ln);
                rc = -EPROTO;
            } else {
                *wall = wl->number;
            }
            json_free(v);
            goto next;
        }
        const struct json_value *st = json_get(v, "status"), *a = json_get(v, "start"),
                                *b = json_get(v, "end");
        double ti = t->type == JSON_NUMBER ? t->number : -1;
        int status = st && st->type == JSON_STRING ? parse_status(st->string) : -1;
        if (!(ti >= 0) || ti != floor(ti) || ti >= n) {
            snprintf(why, whylen, "line %u: bad task index (%u tasks: 0 to %u)", ln, n,
                     n ? n - 1 : 0);
            rc = -EPROTO;
        } else if (have[(unsigned)ti]) {
            snprintf(why, whylen, "line %u: task %u reported twice", ln, (unsigned)ti);
            rc = -EPROTO;
        } else if (status < 0) {
            snprintf(why, whylen, "line %u: task %u: \"status\" is not one of ok, failed, "
                     "timeout, cancelled", ln, (unsigned)ti);
            rc = -EPROTO;
        } else if (!a || !b || a->type != JSON_NUMBER || b->type != JSON_NUMBER ||
                   !(a->number >= 0) || !(b->number >= a->number) || !isfinite(b->number)) {
            snprintf(why, whylen, "line %u: task %u: \"start\" and \"end\" must be offsets in "
                     "seconds, 0 <= start <= end", ln, (unsigned)ti);
            rc = -EPROTO;
        }
        if (rc == 0) {
            unsigned i = (unsigned)ti;
            struct task_result *r = &rs[i];
            have[i] = true;
            seen++;
            r->start_s = a->number;
            r->end_s = b->number;
            if (status == TASK_OK) {
                r->status = w->ext_take(ctx, i, v, r);
            } else {
                const struct json_value *k = json_get(v, "error"), *m = json_get(v, "message");
                r->status = task_fail(r, status,
                                      k && k->type == JSON_STRING ? k->string : status_names[status],
                                      "task %u: %s", i, m && m->type == JSON_STRING ? m->string :
                                      k && k->type == JSON_STRING ? k->string :
                                      status_names[status]);
            }
        }
        json_free(v);
next:
        line = nl ? nl + 1 : end;
    }
    if (rc == 0 && seen < n) {
        unsigned first = 0;
        while (have[first])
            first++;
        snprintf(why, whylen, "%u of %u tasks missing from the output (first: task %u)",
                 n - seen, n, first);
        rc = -EPROTO;
    }
    if (rc == 0 && isnan(*wall)) {
        snprintf(why, whylen, "no batch line ({\"wall\": seconds}) in the output");
        rc = -EPROTO;
    }
    for (unsigned i = 0; rc == 0 && i < n; i++)
        if (rs[i].end_s > *wall + 1e-6) {
            snprintf(why, whylen, "task %u ends at %.6f s, after the batch's %.6f s", i,
                     rs[i].end_s, *wall);
            rc = -EPROTO;
        }
    free(have);
    return rc;
}

/* The run's time limit: CONCBENCH_EXT_TIMEOUT seconds, else max(30 s, 10 x the estimate): the
 * workload's ideal when it knows one (waiting work), the per-task timeout's worst case, and
 * the model's dispatch cost per task. */
static double run_limit(const struct ext_model *e, const struct workload *w,
                        const struct run_params *p)
{
    const char *env = getenv("CONCBENCH_EXT_TIMEOUT");
    if (env && atof(env) > 0)
        return atof(env);
    unsigned par = model_parallelism(&e->m, w, p->concurrency);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    struct ideal_in in = { .tasks = p->tasks, .parallel = par,
                           .cores = cores > 0 ? (unsigned)cores : 1, .t1 = NAN };
    double ideal = workload_ideal(w, p->workload_opts, &in), est = p->tasks * e->m.dispatch_s;
    if (isfinite(ideal))
        est += ideal;
    if (p->timeout_s > 0) {
        double worst = ceil((double)p->tasks / (par ? par : 1)) * p->timeout_s;
        if (worst > est)
            est = worst;
    }
    return 10 * est > EXT_TIMEOUT_MIN_S ? 10 * est : EXT_TIMEOUT_MIN_S;
}

/* Every task the run-level failure touches: all of them, or (cancel) those without a result. */
static void fail_all(const struct run_params *p, struct task_result *rs, int status,
                     const char *kind, const char *why, bool keep_reported)
{
    for (unsigned i = 0; i < p->tasks; i++) {
        if (keep_reported && rs[i].end_s >= 0)
            continue;
        task_fail(&rs[i], status, kind, "task %u: %s", i, why);
        rs[i].status = status;
    }
}

/* The last non-empty line of the program's stderr, for messages. */
static void last_line(const char *tail, size_t tlen, char *out, size_t len)
{
    size_t e = tlen;
    while (e && (tail[e - 1] == '\n' || tail[e - 1] == '\r' || tail[e - 1] == ' '))
        e--;
    size_t s = e;
    while (s && tail[s - 1] != '\n')
        s--;
    size_t n = e - s < len - 1 ? e - s : len - 1;
    memcpy(out, tail + s, n);
    out[n] = '\0';
}

static int ext_run_slot(unsigned k, const struct workload *w, void *ctx,
                        const struct run_params *p, struct task_result *rs)
{
    const struct ext_model *e = &ext[k];
    struct run_stats *stats = p->stats;
    char note[sizeof stats->note];
    int in = -1, po[2] = { -1, -1 }, pe[2] = { -1, -1 }, rc;
    FILE *spec = NULL;

    if (!w->ext_take) {
        if (stats)
            snprintf(stats->note, sizeof stats->note, "workload %s has no external form",
                     w->name);
        return -ENOTSUP;
    }
    /* The spec in a memory file, the program's stdin: no size limit, nothing on disk. */
    if ((in = memfd_create("concbench-spec", MFD_CLOEXEC)) < 0 || !(spec = fdopen(dup(in), "w")))
        goto env_fail;
    write_spec(spec, e, w, ctx, p);
    if (fclose(spec) != 0 || lseek(in, 0, SEEK_SET) < 0) {
        spec = NULL;
        goto env_fail;
    }
    spec = NULL;
    if (pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0)
        goto env_fail;

    struct child_set cs;
    struct child c;
    struct exec_args xa = { e->argv, in, po[1], pe[1] };
    if ((rc = child_set_init(&cs, p->cancel)) < 0)
        goto fail_rc;
    double started = clock_now(), limit = run_limit(e, w, p);
    if ((rc = child_spawn(&cs, &c, 0, exec_program, &xa)) < 0) {
        child_set_destroy(&cs);
        goto fail_rc;
    }
    setpgid(c.pid, c.pid);              /* also here: no race with kill(-pid) */
    pid_t pgid = c.pid;
    model_task_started();               /* run --ready-fd: the program is running */
    close(po[1]);
    close(pe[1]);
    close(in);
    po[1] = pe[1] = in = -1;
    fcntl(po[0], F_SETFL, O_NONBLOCK);
    fcntl(pe[0], F_SETFL, O_NONBLOCK);
    struct epoll_event ev1 = { .events = EPOLLIN, .data.u64 = 1 },
                       ev2 = { .events = EPOLLIN, .data.u64 = 2 };
    epoll_ctl(cs.epfd, EPOLL_CTL_ADD, po[0], &ev1);
    epoll_ctl(cs.epfd, EPOLL_CTL_ADD, pe[0], &ev2);

    struct growbuf out = { .limit = (size_t)p->tasks * 4096 + (64u << 20) };
    char tail[EXT_ERR_KEEP];
    size_t tlen = 0;
    bool ended = false, cancelled = false, timed_out = false, termed = false, killed = false;
    double kill_at = 0;
    while (!ended) {
        double now = clock_now();
        if (!termed && (cancelled || now >= started + limit)) {
            timed_out = !cancelled;
            kill(-pgid, SIGTERM);       /* Ctrl-C or the time limit reaches the whole group */
            termed = true;
            kill_at = now + EXT_KILL_GRACE_S;
        }
        if (termed && !killed && now >= kill_at) {
            kill(-pgid, SIGKILL);
            killed = true;
        }
        uint32_t tags[8];
        double deadline = termed ? (killed ? now + 0.1 : kill_at) : started + limit;
        int got = child_set_wait(&cs, deadline, tags, 8, &cancelled);
        for (int t = 0; t < got; t++) {
            if (tags[t] == 0)
                ended = true;
            else if (tags[t] == 1 && po[0] >= 0 && !drain(&po[0], &out, NULL, NULL))
                epoll_ctl(cs.epfd, EPOLL_CTL_DEL, po[0], NULL);
            else if (tags[t] == 2 && pe[0] >= 0 && !drain(&pe[0], NULL, tail, &tlen))
                epoll_ctl(cs.epfd, EPOLL_CTL_DEL, pe[0], NULL);
        }
        if (got < 0)
            break;
    }
    int status = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    if (!ended)
        child_kill(&c);
    child_reap(&cs, &c, &status, &ru);
    double elapsed = clock_now() - started;
    child_note_rusage(stats, &ru);
    /* Nothing of it outlives the run: whatever is left in its group goes now. */
    kill(-pgid, SIGKILL);
    for (int tries = 0; tries < 100 && (po[0] >= 0 || pe[0] >= 0); tries++) {
        if (po[0] >= 0)
            drain(&po[0], &out, NULL, NULL);
        if (pe[0] >= 0)
            drain(&pe[0], NULL, tail, &tlen);
        if (po[0] >= 0 || pe[0] >= 0)
            usleep(10000);
    }
    if (po[0] >= 0)
        close(po[0]);
    if (pe[0] >= 0)
        close(pe[0]);
    po[0] = pe[0] = -1;
    child_set_destroy(&cs);

    /* What became of the run. */
    char why[400] = "", kind[40] = "", errline[200];
    double wall = NAN;
    int run_status = TASK_FAILED;
    last_line(tail, tlen, errline, sizeof errline);
    rc = take_output(w, ctx, p, rs, out.p ? out.p : "", out.len, &wall, why, sizeof why);
    if (cancelled) {
        run_status = TASK_CANCELLED;
        snprintf(kind, sizeof kind, "cancelled");
        snprintf(why, sizeof why, "cancelled: the program's process group was sent SIGTERM");
    } else if (timed_out) {
        run_status = TASK_TIMEOUT;
        snprintf(kind, sizeof kind, "run timeout");
        snprintf(why, sizeof why, "the program ran past the run's time limit of %.0f s and was "
                 "killed", limit);
    } else if (!child_clean_exit(status)) {
        child_status_text(status, kind, sizeof kind);
        snprintf(why, sizeof why, "the program ended with %s%s%s", kind, errline[0] ? ": " : "",
                 errline);
    } else if (out.overflow) {
        snprintf(kind, sizeof kind, "protocol error");
        snprintf(why, sizeof why, "more than %zu bytes on stdout", out.limit);
    } else if (rc < 0) {
        snprintf(kind, sizeof kind, "protocol error");
        char reason[300];
        snprintf(reason, sizeof reason, "%s", why);
        snprintf(why, sizeof why, "protocol error: %s", reason);
    }
    if (kind[0]) {
        fail_all(p, rs, run_status, kind, why, run_status == TASK_CANCELLED);
        snprintf(note, sizeof note, "%s: %s", e->name, why);
        if (tlen && run_status != TASK_CANCELLED)
            fprintf(stderr, "concbench: %s: the program's stderr ends with:\n%.*s%s", e->name,
                    (int)tlen, tail, tail[tlen - 1] == '\n' ? "" : "\n");
    } else {
        if (stats)
            stats->wall_s = wall;
        const char *prog = e->argv[e->argv[1] ? 1 : 0], *base = strrchr(prog, '/');
        snprintf(note, sizeof note, "%s: batch %.4f s by its own clock; %.4f s from the start "
                 "of %s to its exit", e->name, wall, elapsed, base ? base + 1 : prog);
    }
    if (stats && !stats->note[0])
        snprintf(stats->note, sizeof stats->note, "%s", note);
    free(out.p);
    return 0;

env_fail:
    rc = -errno;
fail_rc:
    if (spec)
        fclose(spec);
    if (in >= 0)
        close(in);
    for (int q = 0; q < 2; q++) {
        if (po[q] >= 0)
            close(po[q]);
        if (pe[q] >= 0)
            close(pe[q]);
    }
    if (stats)
        snprintf(stats->note, sizeof stats->note, "%s: cannot start the program: %s", e->name,
                 strerror(-rc));
    return rc;
}
