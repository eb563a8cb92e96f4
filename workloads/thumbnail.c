/* thumbnail.c — the thumbnail workload: each task decodes one PNG, blurs it (Gaussian, sigma
 * 2), shrinks it to fit S x S and writes it as PNG (CPU-bound; Pillow's GaussianBlur() then
 * thumbnail((50, 50)), in C). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/clock.h"
#include "runtime/json.h"
#include "runtime/shm.h"
#include "workloads/image.h"
#include "workloads/workload.h"

#define THUMB_SIGMA 2.0
#define THUMB_LEVEL 6               /* zlib level of the thumbnails */

enum { ST_READ, ST_DECODE, ST_BLUR, ST_SHRINK, ST_ENCODE, ST_WRITE, ST_N };
static const char *const thumb_stage_names[ST_N] = {
    "read", "decode", "blur", "shrink", "encode", "write",
};

struct thumb_input {
    char *path;             /* as opened */
    char *shown;            /* the path for messages: control characters replaced */
    char *base;             /* output base name: safe characters only, never empty or dotted */
    uint32_t tw, th;        /* expected thumbnail size; 0: the header is unreadable */
};

struct thumb_ctx {
    struct thumb_input *in;
    unsigned nin, tasks;
    char *out;              /* output folder */
    bool out_is_temp;       /* ours: removed in teardown */
    bool per_task_names;    /* <base>-<task>.png */
    uint32_t size;
    uint64_t max_pixels;
    uint64_t budget;        /* bytes one task may hold (--decode-budget-mb) */
    int64_t *stage_ns;      /* [task][2][ST_N] wall, then thread CPU time; MAP_SHARED, so
                               forked children fill the parent's copy */
    size_t stage_size;
    struct image *ext_ref;  /* external programs: our own thumbnail of each input, made once */
};

extern const struct workload workload_thumbnail;

/* ---- setup ---- */

static int thumb_is_png_name(const char *name)
{
    size_t n = strlen(name);
    return n > 4 && strcasecmp(name + n - 4, ".png") == 0;
}

static int thumb_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every *.png in dir, sorted by name. 0, -EINVAL (missing, not a folder, no PNG) or -ENOMEM. */
static int thumb_list(const char *dir, char ***names, unsigned *n, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **v = NULL;
    unsigned cnt = 0, cap = 0;

    if (!d) {
        snprintf(err, errlen, "cannot open --images folder %s: %s", dir, strerror(errno));
        return -EINVAL;
    }
    while ((e = readdir(d))) {
        if (!thumb_is_png_name(e->d_name))
            continue;
        if (cnt == cap) {
            cap = cap ? cap * 2 : 64;
            char **nv = realloc(v, cap * sizeof *v);
            if (!nv)
                goto nomem;
            v = nv;
        }
        if (!(v[cnt] = strdup(e->d_name)))
            goto nomem;
        cnt++;
    }
    closedir(d);
    if (cnt == 0) {
        free(v);
        snprintf(err, errlen, "no *.png file in --images folder %s", dir);
        return -EINVAL;
    }
    qsort(v, cnt, sizeof *v, thumb_cmp);
    *names = v;
    *n = cnt;
    return 0;
nomem:
    closedir(d);
    for (unsigned k = 0; k < cnt; k++)
        free(v[k]);
    free(v);
    snprintf(err, errlen, "out of memory");
    return -ENOMEM;
}

/* The output base of an input name: ".png" dropped, every byte outside [A-Za-z0-9._+-] made
 * '_', a leading '.' made '_' (so never "." or ".." or hidden), at most 200 bytes. */
static char *thumb_base(const char *name)
{
    size_t n = strlen(name) - 4;
    if (n > 200)
        n = 200;
    char *b = malloc(n + 2);
    if (!b)
        return NULL;
    for (size_t k = 0; k < n; k++) {
        unsigned char c = (unsigned char)name[k];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '_' || c == '+' || c == '-';
        b[k] = ok && !(k == 0 && c == '.') ? (char)c : '_';
    }
    if (n == 0)
        b[n++] = '_';
    b[n] = '\0';
    return b;
}

static char *thumb_shown(const char *path)
{
    char *s = strdup(path);
    for (char *p = s; p && *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    return s;
}

/* Width and height from the IHDR at the start of a PNG file, without decoding; 0 when the
 * file is unreadable or does not start like a PNG (the task will say why). */
static void thumb_header(const char *path, uint32_t *w, uint32_t *h)
{
    unsigned char b[24];
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);     /* a FIFO must not hang us */
    *w = *h = 0;
    if (fd < 0)
        return;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && read(fd, b, sizeof b) == sizeof b &&
        memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0 && memcmp(b + 12, "IHDR", 4) == 0) {
        *w = (uint32_t)b[16] << 24 | (uint32_t)b[17] << 16 | (uint32_t)b[18] << 8 | b[19];
        *h = (uint32_t)b[20] << 24 | (uint32_t)b[21] << 16 | (uint32_t)b[22] << 8 | b[23];
    }
    close(fd);
}

/* The corpus cache: $XDG_CACHE_HOME/concbench, ~/.cache/concbench or /tmp/concbench-cache-UID. */
static void thumb_cache_root(char *root, size_t len)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (xdg && xdg[0] == '/')
        snprintf(root, len, "%s/concbench", xdg);
    else if (home && home[0] == '/')
        snprintf(root, len, "%s/.cache/concbench", home);
    else
        snprintf(root, len, "/tmp/concbench-cache-%u", (unsigned)getuid());
}

/* The default corpus folder for these parameters, in the corpus cache. */
static void thumb_cache_dir(char *out, size_t len, unsigned n, uint32_t w, uint32_t h,
                            uint64_t seed)
{
    char root[3000];
    thumb_cache_root(root, sizeof root);
    snprintf(out, len, "%s/corpus-%u-%ux%u-seed%llu", root, n, w, h, (unsigned long long)seed);
}

static int thumb_corpus_complete(const char *dir, unsigned n)
{
    char path[4200], name[32];
    for (unsigned k = 0; k < n; k++) {
        corpus_name(k, name, sizeof name);
        snprintf(path, sizeof path, "%s/%s", dir, name);
        if (!corpus_is_ours(path))
            return 0;
    }
    return 1;
}

/* Remove every entry of a flat folder we made, then the folder. */
static void thumb_rmdir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[4096];
    if (d) {
        while ((e = readdir(d)))
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
                snprintf(path, sizeof path, "%s/%s", dir, e->d_name) < (int)sizeof path)
                unlink(path);
        closedir(d);
    }
    rmdir(dir);
}

/* Make sure the default corpus exists in its cache folder: generated once into a private
 * folder, then renamed into place, so concurrent first runs never see half of it. */
static int thumb_default_corpus(const struct options *o, char *dir, size_t dirlen, char *err,
                                size_t errlen)
{
    const char *size = workload_opt(&workload_thumbnail, o, "corpus-size");
    unsigned n = (unsigned)workload_opt_u64(&workload_thumbnail, o, "corpus-images");
    uint64_t seed = workload_opt_u64(&workload_thumbnail, o, "corpus-seed");
    unsigned w, h;
    char extra;
    int rc;

    if (!size || sscanf(size, "%ux%u%c", &w, &h, &extra) != 2 || w < 1 || h < 1 || w > 65535 ||
        h > 65535) {
        snprintf(err, errlen, "bad --corpus-size '%s': WIDTHxHEIGHT, each 1 to 65535",
                 size ? size : "");
        return -EINVAL;
    }
    /* Before generating anything: an image the tasks would refuse, or one too large to make,
     * is a usage error now rather than minutes of generating and a cache full of it. */
    uint64_t pixels = (uint64_t)w * h;
    uint64_t max_pixels = workload_opt_u64(&workload_thumbnail, o, "max-pixels");
    uint64_t budget_mb = workload_opt_u64(&workload_thumbnail, o, "decode-budget-mb");
    if (pixels > max_pixels) {
        snprintf(err, errlen, "--corpus-size %ux%u is %llu pixels, more than --max-pixels %llu: "
                 "every task would refuse it", w, h, (unsigned long long)pixels,
                 (unsigned long long)max_pixels);
        return -EINVAL;
    }
    if (pixels > CORPUS_MAX_PIXELS) {
        snprintf(err, errlen, "--corpus-size %ux%u is %llu pixels, more than the corpus "
                 "generator's ceiling of %llu (8192x8192)", w, h, (unsigned long long)pixels,
                 (unsigned long long)CORPUS_MAX_PIXELS);
        return -EINVAL;
    }
    struct image_header hd = { .w = w, .h = h, .ch = 3, .depth = 8 };
    uint32_t tw, tht;
    image_thumb_size(w, h, (uint32_t)workload_opt_u64(&workload_thumbnail, o, "thumb-size"),
                     &tw, &tht);
    /* A corpus image's file is smaller than its raw pixels: count those as its size. */
    uint64_t need = image_thumb_bytes(&hd, (size_t)pixels * 3, THUMB_SIGMA, tw, tht);
    if (need > budget_mb << 20) {
        snprintf(err, errlen, "--corpus-size %ux%u needs about %llu MiB a task, more than "
                 "--decode-budget-mb %llu", w, h, (unsigned long long)(need >> 20) + 1,
                 (unsigned long long)budget_mb);
        return -EINVAL;
    }
    thumb_cache_dir(dir, dirlen, n, w, h, seed);
    if (thumb_corpus_complete(dir, n))
        return 0;
    struct stat st;
    if (stat(dir, &st) == 0) {
        /* A folder of ours with files missing: complete it (files are renamed into place). */
        rc = corpus_write(dir, n, w, h, seed, err, errlen);
        return rc == -EEXIST ? -EINVAL : rc;
    }
    char tmp[4200], parent[4096];
    snprintf(parent, sizeof parent, "%s", dir);
    *strrchr(parent, '/') = '\0';
    if ((rc = image_mkdirs(parent)) < 0) {
        snprintf(err, errlen, "cannot create the corpus cache %s: %s", parent, strerror(-rc));
        return rc;
    }
    snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", dir);
    if (!mkdtemp(tmp)) {
        rc = -errno;
        snprintf(err, errlen, "cannot create a folder beside %s: %s", dir, strerror(errno));
        return rc;
    }
    rc = corpus_write(tmp, n, w, h, seed, err, errlen);
    if (rc == 0 && rename(tmp, dir) < 0) {
        /* Someone else finished first: theirs is the same. */
        if ((errno != EEXIST && errno != ENOTEMPTY) || !thumb_corpus_complete(dir, n)) {
            rc = -errno;
            snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, dir, strerror(errno));
        }
        thumb_rmdir(tmp);
    } else if (rc < 0) {
        thumb_rmdir(tmp);
    }
    return rc;
}

/* ---- where outputs may go ---- */

/* The absolute, symlink-free form of path into out (PATH_MAX bytes), for a path that may not
 * exist yet: realpath() of its longest existing prefix, then the rest with "." and ".."
 * applied as written (mkdir -p makes them real folders, never links). 0 or -errno. */
static int thumb_resolve(const char *path, char *out)
{
    char abs[PATH_MAX], head[PATH_MAX];
    if (path[0] == '/') {
        if (snprintf(abs, sizeof abs, "%s", path) >= (int)sizeof abs)
            return -ENAMETOOLONG;
    } else {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd))
            return -errno;
        if (snprintf(abs, sizeof abs, "%s/%s", cwd, path) >= (int)sizeof abs)
            return -ENAMETOOLONG;
    }
    /* Shorten abs from the end until realpath() succeeds; split is where the rest begins. */
    size_t split = strlen(abs);
    memcpy(head, abs, split + 1);
    while (!realpath(head, out)) {
        char *slash = strrchr(head, '/');
        if (!slash)
            return -ENOENT;
        if (slash == head) {            /* "/" always resolves */
            head[1] = '\0';
            split = 1;
            continue;
        }
        *slash = '\0';
        split = (size_t)(slash - head);
    }
    /* The rest, a component at a time. */
    const char *p = abs + split;
    while (*p) {
        while (*p == '/')
            p++;
        size_t n = strcspn(p, "/");
        if (n == 0)
            break;
        if (n == 1 && p[0] == '.') {
            /* nothing */
        } else if (n == 2 && p[0] == '.' && p[1] == '.') {
            char *slash = strrchr(out, '/');
            if (slash && slash != out)
                *slash = '\0';
            else
                out[1] = '\0';
        } else {
            size_t len = strlen(out);
            if (len + 1 + n >= PATH_MAX)
                return -ENAMETOOLONG;
            if (len > 1)
                out[len++] = '/';
            memcpy(out + len, p, n);
            out[len + n] = '\0';
        }
        p += n;
    }
    return 0;
}

/* True when a is b or lies inside it (both resolved). */
static bool thumb_within(const char *a, const char *b)
{
    size_t n = strlen(b);
    if (strcmp(b, "/") == 0)
        return true;
    return strncmp(a, b, n) == 0 && (a[n] == '\0' || a[n] == '/');
}

/* --out must not be, hold or lie inside the input folder or the corpus cache: thumbnails are
 * named after their inputs (and the corpus's names), so writing them there destroys the inputs.
 * Compared as real paths, after symbolic links. 0, or -EINVAL with the reason in err. */
static int thumb_check_out(const char *out, const char *images, char *err, size_t errlen)
{
    char ro[PATH_MAX], other[PATH_MAX], cache[3000];
    const char *what[2] = { "the --images folder", "the corpus cache" };
    const char *paths[2] = { images, cache };
    int rc;

    thumb_cache_root(cache, sizeof cache);
    if ((rc = thumb_resolve(out, ro)) < 0) {
        snprintf(err, errlen, "cannot resolve --out %s: %s", out, strerror(-rc));
        return -EINVAL;
    }
    for (int k = 0; k < 2; k++) {
        if (thumb_resolve(paths[k], other) < 0)
            continue;
        if (thumb_within(ro, other) || thumb_within(other, ro)) {
            snprintf(err, errlen, "refusing --out %s: it %s %s (%s), whose files the thumbnails "
                     "would replace; give a folder of its own", out,
                     strcmp(ro, other) == 0 ? "is" : thumb_within(ro, other) ? "is inside"
                                                                              : "contains",
                     what[k], other);
            return -EINVAL;
        }
    }
    return 0;
}

/* What a thumbnail may replace in --out: an earlier thumbnail of ours (a regular file with the
 * THUMB_MARK_KEY text chunk that every thumbnail carries), or a symbolic link (replacing the
 * link never touches what it points to). Anything else — a user's file, a corpus image, a
 * folder — is left alone and the task fails. */
static int thumb_replaceable(const char *path)
{
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
        return 1;
    return image_has_mark(path, THUMB_MARK_KEY);
}

/* The temporary output folders of runs that are gone. Ours are named
 * concbench-thumbs-PID-XXXXXX after the run's process id; a run removes its own in teardown
 * (also after SIGINT, SIGTERM or SIGHUP), but not after SIGKILL or a second Ctrl-C. So each
 * new run removes those in its temporary folder whose process no longer exists (kill(PID, 0)
 * says ESRCH) and that belong to this user. A live run's folder is never touched; a folder of
 * a run in another PID namespace sharing /tmp may look gone: it is the one known blind spot. */
static void thumb_remove_stale(const char *tmpdir)
{
    static const char prefix[] = "concbench-thumbs-";
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    char path[PATH_MAX];

    if (!d)
        return;
    while ((e = readdir(d))) {
        const char *p = e->d_name;
        char *end;
        struct stat st;
        if (strncmp(p, prefix, sizeof prefix - 1) != 0)
            continue;
        p += sizeof prefix - 1;
        if (*p < '1' || *p > '9')
            continue;
        errno = 0;
        long pid = strtol(p, &end, 10);
        if (errno || *end != '-' || strlen(end + 1) != 6 || pid <= 0 || pid > INT_MAX ||
            pid == (long)getpid())
            continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;                   /* alive (or not ours to ask about) */
        if (snprintf(path, sizeof path, "%s/%s", tmpdir, e->d_name) >= (int)sizeof path ||
            lstat(path, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid())
            continue;
        thumb_rmdir(path);
    }
    closedir(d);
}

static void thumb_free(struct thumb_ctx *c)
{
    for (unsigned k = 0; k < c->nin; k++) {
        free(c->in[k].path);
        free(c->in[k].shown);
        free(c->in[k].base);
    }
    free(c->in);
    free(c->out);
    if (c->stage_ns)
        shm_free(c->stage_ns, c->stage_size);
    for (unsigned k = 0; c->ext_ref && k < c->nin; k++)
        image_free(&c->ext_ref[k]);
    free(c->ext_ref);
    free(c);
}

static int thumb_setup(const struct options *o, const struct run_params *p, void **ctx,
                       char *err, size_t errlen)
{
    const struct workload *w = &workload_thumbnail;
    const char *images = workload_opt(w, o, "images"), *out = workload_opt(w, o, "out");
    char corpus[4096], **names = NULL;
    unsigned n = 0;
    int rc;
    struct thumb_ctx *c = calloc(1, sizeof *c);

    if (!c) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    c->tasks = p->tasks;
    c->size = (uint32_t)workload_opt_u64(w, o, "thumb-size");
    c->max_pixels = workload_opt_u64(w, o, "max-pixels");
    c->budget = workload_opt_u64(w, o, "decode-budget-mb") << 20;
    if (out && !out[0]) {
        snprintf(err, errlen, "--out is empty: give a folder for the thumbnails");
        rc = -EINVAL;
        goto fail;
    }
    if (images && !images[0]) {
        snprintf(err, errlen, "--images is empty: give a folder of PNG files");
        rc = -EINVAL;
        goto fail;
    }
    if (!images) {
        if ((rc = thumb_default_corpus(o, corpus, sizeof corpus, err, errlen)) < 0)
            goto fail;
        images = corpus;
    }
    if ((rc = thumb_list(images, &names, &n, err, errlen)) < 0)
        goto fail;
    c->in = calloc(n, sizeof *c->in);
    rc = -ENOMEM;
    if (!c->in)
        goto fail_names;
    c->nin = n;
    for (unsigned k = 0; k < n; k++) {
        struct thumb_input *in = &c->in[k];
        uint32_t iw, ih;
        size_t len = strlen(images) + strlen(names[k]) + 2;
        if (!(in->path = malloc(len)))
            goto fail_names;
        snprintf(in->path, len, "%s/%s", images, names[k]);
        if (!(in->shown = thumb_shown(in->path)) || !(in->base = thumb_base(names[k])))
            goto fail_names;
        thumb_header(in->path, &iw, &ih);
        image_thumb_size(iw, ih, c->size, &in->tw, &in->th);
    }
    /* Named after the input when each input is used at most once and no two safe names
     * collide; otherwise <base>-<task>.png. */
    c->per_task_names = p->tasks > n;
    for (unsigned a = 0; a < n && !c->per_task_names; a++)
        for (unsigned b = a + 1; b < n && !c->per_task_names; b++)
            c->per_task_names = strcmp(c->in[a].base, c->in[b].base) == 0;

    if (out) {
        if ((rc = thumb_check_out(out, images, err, errlen)) < 0)
            goto fail_names;
        if ((rc = image_mkdirs(out)) < 0) {
            snprintf(err, errlen, "cannot create --out folder %s: %s", out, strerror(-rc));
            goto fail_names;
        }
        c->out = strdup(out);
    } else {
        const char *t = getenv("TMPDIR");
        size_t len = (t && *t ? strlen(t) : 4) + 64;
        thumb_remove_stale(t && *t ? t : "/tmp");
        if ((c->out = malloc(len))) {
            snprintf(c->out, len, "%s/concbench-thumbs-%ld-XXXXXX", t && *t ? t : "/tmp",
                     (long)getpid());
            if (!mkdtemp(c->out)) {
                rc = -errno;
                snprintf(err, errlen, "cannot create a temporary output folder: %s",
                         strerror(errno));
                goto fail_names;
            }
            c->out_is_temp = true;
        }
    }
    rc = -ENOMEM;
    if (!c->out)
        goto fail_names;
    c->stage_size = (size_t)p->tasks * 2 * ST_N * sizeof *c->stage_ns;
    if (!(c->stage_ns = shm_alloc(c->stage_size))) {
        rc = -errno;
        snprintf(err, errlen, "shared memory: %s", strerror(errno));
        goto fail_names;
    }
    for (unsigned k = 0; k < n; k++)
        free(names[k]);
    free(names);
    *ctx = c;
    return 0;

fail_names:
    if (rc == -ENOMEM)
        snprintf(err, errlen, "out of memory");
    for (unsigned k = 0; k < n; k++)
        free(names[k]);
    free(names);
fail:
    if (c->out_is_temp)
        rmdir(c->out);
    thumb_free(c);
    return rc;
}

/* ---- one task ---- */

static void thumb_out_name(const struct thumb_ctx *c, unsigned i, char *name, size_t len)
{
    const struct thumb_input *in = &c->in[i % c->nin];
    if (c->per_task_names)
        snprintf(name, len, "%s-%u.png", in->base, i);
    else
        snprintf(name, len, "%s.png", in->base);
}

/* CPU time of the calling thread, in seconds: what a stage cost, however busy the machine. */
static double thumb_cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Between stages: stop when the run is cancelled or the task's time is up. */
static int thumb_check(const struct task_env *env, unsigned i, const char *stage,
                       struct task_result *r)
{
    int st = task_interrupted(env, clock_now());
    if (st == TASK_OK)
        return TASK_OK;
    return task_fail(r, st, st == TASK_TIMEOUT ? "timeout" : "cancelled", "task %u: %s before %s",
                     i, st == TASK_TIMEOUT ? "timed out" : "cancelled", stage);
}

static int thumb_run(void *ctx, unsigned i, const struct task_env *env, struct task_result *r)
{
    struct thumb_ctx *c = ctx;
    const struct thumb_input *in = &c->in[i % c->nin];
    int64_t *ns = c->stage_ns + (size_t)i * 2 * ST_N, *cpu = ns + ST_N;
    struct image im = { 0 }, th = { 0 };
    uint8_t *buf = NULL, *png = NULL;
    size_t len = 0, plen = 0;
    char msg[IMAGE_MSG_LEN], name[256];
    int rc, status = TASK_OK;
    uint32_t tw, tht;
    double t = clock_now(), t1, u = thumb_cpu_now(), u1;

#define THUMB_LAP(stage) (t1 = clock_now(), ns[stage] = (int64_t)((t1 - t) * 1e9), t = t1, \
                          u1 = thumb_cpu_now(), cpu[stage] = (int64_t)((u1 - u) * 1e9), u = u1)
    rc = image_read_file(in->path, &buf, &len);
    THUMB_LAP(ST_READ);
    if (rc < 0) {
        status = task_fail(r, TASK_FAILED, rc == -ENOMEM ? "out of memory" : "unreadable",
                           "task %u: %s: cannot read: %s", i, in->shown,
                           rc == -EINVAL ? "not a regular file" : strerror(-rc));
        goto out;
    }
    /* The task's memory, from the header, before anything is allocated for the pixels. */
    struct image_header hd;
    rc = image_png_header(buf, len, &hd, msg);
    if (rc == 0 && (uint64_t)hd.w * hd.h <= c->max_pixels) {
        image_thumb_size(hd.w, hd.h, c->size, &tw, &tht);
        uint64_t need = image_thumb_bytes(&hd, len, THUMB_SIGMA, tw, tht);
        if (need > c->budget) {
            free(buf);
            buf = NULL;
            THUMB_LAP(ST_DECODE);
            status = task_fail(r, TASK_FAILED, "over decode budget",
                               "task %u: %s: %ux%u needs about %llu MiB to decode and shrink, "
                               "over the per-task budget of %llu MiB (--decode-budget-mb)", i,
                               in->shown, hd.w, hd.h, (unsigned long long)(need >> 20) + 1,
                               (unsigned long long)(c->budget >> 20));
            goto out;
        }
    }
    /* A header libpng refuses, or too many pixels: image_decode says so in its own words. */
    rc = image_decode(buf, len, c->max_pixels, &im, msg);
    free(buf);
    buf = NULL;
    THUMB_LAP(ST_DECODE);
    if (rc < 0) {
        status = task_fail(r, TASK_FAILED,
                           rc == IMAGE_ETOOBIG ? "too many pixels" :
                           rc == IMAGE_EBAD ? "bad PNG" : "out of memory",
                           "task %u: %s: %s: %s", i, in->shown,
                           rc == IMAGE_ETOOBIG ? "too many pixels" : "bad PNG", msg);
        goto out;
    }
    if ((status = thumb_check(env, i, "blur", r)) != TASK_OK)
        goto out;
    rc = image_blur(&im, THUMB_SIGMA);
    THUMB_LAP(ST_BLUR);
    if (rc < 0)
        goto nomem;
    if ((status = thumb_check(env, i, "shrink", r)) != TASK_OK)
        goto out;
    image_thumb_size(im.w, im.h, c->size, &tw, &tht);
    rc = image_shrink(&im, tw, tht, &th);
    image_free(&im);                    /* the full image is not needed from here on */
    THUMB_LAP(ST_SHRINK);
    if (rc < 0)
        goto nomem;
    /* The mark that makes it ours: a later run may replace it, and nothing else. */
    char mark[64];
    snprintf(mark, sizeof mark, "sigma=%g size=%u", THUMB_SIGMA, (unsigned)c->size);
    struct image_text text[] = { { THUMB_MARK_KEY, mark } };
    rc = image_encode(&th, THUMB_LEVEL, text, 1, &png, &plen, msg);
    THUMB_LAP(ST_ENCODE);
    if (rc < 0) {
        status = task_fail(r, TASK_FAILED, "encode", "task %u: %s: cannot encode: %s", i,
                           in->shown, msg);
        goto out;
    }
    if ((status = thumb_check(env, i, "write", r)) != TASK_OK)
        goto out;
    thumb_out_name(c, i, name, sizeof name);
    rc = image_write_file_guarded(c->out, name, png, plen, thumb_replaceable);
    THUMB_LAP(ST_WRITE);
    if (rc == -EEXIST) {
        status = task_fail(r, TASK_FAILED, "would overwrite",
                           "task %u: refusing to replace %s/%s: it is not a thumbnail of ours",
                           i, c->out, name);
        goto out;
    }
    if (rc < 0) {
        status = task_fail(r, TASK_FAILED, "write", "task %u: cannot write %s/%s: %s", i,
                           c->out, name, strerror(-rc));
        goto out;
    }
    r->value = image_checksum(png, plen);
    r->extra[0] = th.w;
    r->extra[1] = th.h;
    r->extra[2] = (int64_t)plen;
    goto out;
nomem:
    status = task_fail(r, TASK_FAILED, "out of memory", "task %u: %s: out of memory", i,
                       in->shown);
out:
#undef THUMB_LAP
    free(buf);
    free(png);
    image_free(&im);
    image_free(&th);
    return status;
}

/* ---- after the batch ---- */

static bool thumb_verify(void *ctx, const struct task_result *rs, unsigned n, char *why,
                         size_t len)
{
    struct thumb_ctx *c = ctx;
    unsigned bad = 0, first_bad = 0;
    char name[256], path[4400], msg[IMAGE_MSG_LEN];

    for (unsigned i = 0; i < n; i++) {
        const struct thumb_input *in = &c->in[i % c->nin];
        if (rs[i].status != TASK_OK) {
            if (!bad++)
                first_bad = i;
            continue;
        }
        uint8_t *buf;
        size_t blen;
        struct image im;
        thumb_out_name(c, i, name, sizeof name);
        snprintf(path, sizeof path, "%s/%s", c->out, name);
        int rc = image_read_file(path, &buf, &blen);
        if (rc < 0) {
            snprintf(why, len, "task %u: cannot read its output %s: %s", i, path, strerror(-rc));
            return false;
        }
        uint64_t sum = image_checksum(buf, blen);
        rc = image_decode(buf, blen, c->max_pixels, &im, msg);
        free(buf);
        if (rc < 0) {
            snprintf(why, len, "task %u: its output %s does not decode: %s", i, path, msg);
            return false;
        }
        uint32_t w = im.w, h = im.h;
        image_free(&im);
        if (w != in->tw || h != in->th || w != rs[i].extra[0] || h != rs[i].extra[1]) {
            snprintf(why, len, "task %u: output %s is %ux%u, expected %ux%u", i, path, w, h,
                     in->tw, in->th);
            return false;
        }
        if (sum != rs[i].value) {
            snprintf(why, len, "task %u: output %s changed after the task wrote it", i, path);
            return false;
        }
    }
    if (bad) {
        snprintf(why, len, "%u task%s made no thumbnail (first: task %u, %s)", bad,
                 bad == 1 ? "" : "s", first_bad, task_status_name(rs[first_bad].status));
        return false;
    }
    return true;
}

static int thumb_cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* "stage_ms": per-stage median over the tasks that completed, "stage_ms_total": the sums,
 * "output": the folder (null when temporary), "output_fnv1a": each task's output checksum. */
/* One per-stage object: the median (or the sum) over the completed tasks of figure `which`
 * (0 wall, 1 thread CPU time), in ms. */
static void thumb_stage_object(struct thumb_ctx *c, const struct task_result *rs, unsigned n,
                               struct json_out *j, const char *key, int which, bool total)
{
    int64_t *v = malloc(sizeof *v * (n ? n : 1));
    json_key(j, key);
    json_object_begin(j);
    for (int s = 0; s < ST_N; s++) {
        unsigned ok = 0;
        double sum = 0, med = 0;
        for (unsigned i = 0; i < n; i++)
            if (rs[i].status == TASK_OK) {
                int64_t x = c->stage_ns[((size_t)i * 2 + which) * ST_N + s];
                sum += (double)x / 1e6;
                if (v)
                    v[ok] = x;
                ok++;
            }
        if (ok && v) {
            qsort(v, ok, sizeof *v, thumb_cmp_i64);
            med = (ok % 2 ? (double)v[ok / 2] : ((double)v[ok / 2 - 1] + (double)v[ok / 2]) / 2) /
                  1e6;
        }
        json_key_double(j, thumb_stage_names[s], total ? sum : med);
    }
    json_object_end(j);
    free(v);
}

/* "stage_ms": per-stage median wall time over the tasks that completed, "stage_cpu_ms": the
 * same in thread CPU time, "stage_ms_total": the sums of wall time, "output": the folder
 * (null when temporary), "output_fnv1a": each task's output checksum. */
static void thumb_report(void *ctx, const struct task_result *rs, unsigned n, struct json_out *j)
{
    struct thumb_ctx *c = ctx;
    unsigned ok = 0;

    for (unsigned i = 0; i < n; i++)
        ok += rs[i].status == TASK_OK;
    json_key_uint(j, "thumbnails", ok);
    thumb_stage_object(c, rs, n, j, "stage_ms", 0, false);
    thumb_stage_object(c, rs, n, j, "stage_cpu_ms", 1, false);
    thumb_stage_object(c, rs, n, j, "stage_ms_total", 0, true);
    json_key_str(j, "output", c->out_is_temp ? NULL : c->out);
    /* Each task's output fingerprint, so runs under different models can be compared
     * byte for byte; null for a task that made no thumbnail. */
    if (n <= 100000) {
        json_key(j, "output_fnv1a");
        json_array_begin(j);
        for (unsigned i = 0; i < n; i++) {
            char hex[17];
            snprintf(hex, sizeof hex, "%016llx", (unsigned long long)rs[i].value);
            if (rs[i].status == TASK_OK)
                json_str(j, hex);
            else
                json_null(j);
        }
        json_array_end(j);
    }
}

static void thumb_teardown(void *ctx)
{
    struct thumb_ctx *c = ctx;
    if (c->out_is_temp)
        thumb_rmdir(c->out);
    thumb_free(c);
}

/* ---- external programs (models/ext.h) ----
 * Their thumbnails come from another encoder and another shrink (Pillow's thumbnail() reduces
 * by an integer factor, then resamples bicubically; ours is an exact area average), so they are
 * compared with ours pixel by pixel within a tolerance instead of byte for byte. Measured with
 * Pillow 9.4 on the generated corpora (1920x1080, 1280x720, 480x270, 64x40): mean |difference|
 * at most 0.95 of 255 per channel, largest 15, at sharp edges; a thumbnail of another corpus
 * image differs by 41 or more on average. Tolerance: mean <= 4, largest <= 40. (A missing blur
 * shows only where the shrink is small: 64x40 gives mean 9, largest 74.) */
#define THUMB_EXT_MEAN 4.0
#define THUMB_EXT_MAX 40

/* "images": the inputs, task i reads images[i % length]; "outputs": task i writes outputs[i];
 * "size": thumbnails fit inside size x size. */
static void thumb_ext_describe(void *ctx, struct json_out *j)
{
    struct thumb_ctx *c = ctx;
    char name[256], path[4400];
    json_key(j, "images");
    json_array_begin(j);
    for (unsigned k = 0; k < c->nin; k++)
        json_str(j, c->in[k].path);
    json_array_end(j);
    json_key(j, "outputs");
    json_array_begin(j);
    for (unsigned i = 0; i < c->tasks; i++) {
        thumb_out_name(c, i, name, sizeof name);
        snprintf(path, sizeof path, "%s/%s", c->out, name);
        json_str(j, path);
    }
    json_array_end(j);
    json_key_uint(j, "size", c->size);
}

/* Our own thumbnail of input k, made the first time it is asked for. */
static int thumb_ext_ref(struct thumb_ctx *c, unsigned k, struct image **out)
{
    char msg[IMAGE_MSG_LEN];
    if (!c->ext_ref && !(c->ext_ref = calloc(c->nin, sizeof *c->ext_ref)))
        return -ENOMEM;
    struct image *ref = &c->ext_ref[k], im = { 0 };
    if (!ref->px) {
        uint8_t *buf;
        size_t len;
        uint32_t tw, th;
        int rc = image_read_file(c->in[k].path, &buf, &len);
        if (rc < 0)
            return rc;
        rc = image_decode(buf, len, c->max_pixels, &im, msg);
        free(buf);
        if (rc == 0 && (rc = image_blur(&im, THUMB_SIGMA)) == 0) {
            image_thumb_size(im.w, im.h, c->size, &tw, &th);
            rc = image_shrink(&im, tw, th, ref);
        }
        image_free(&im);
        if (rc < 0)
            return rc;
    }
    *out = ref;
    return 0;
}

/* "output": the path it wrote (outputs[i]). Its checksum and size go into r for verify; its
 * pixels must be close to our own thumbnail of the same input. */
static int thumb_ext_take(void *ctx, unsigned i, const struct json_value *res,
                          struct task_result *r)
{
    struct thumb_ctx *c = ctx;
    const struct json_value *o = json_get(res, "output");
    char name[256], path[4400], msg[IMAGE_MSG_LEN];
    thumb_out_name(c, i, name, sizeof name);
    snprintf(path, sizeof path, "%s/%s", c->out, name);
    if (!o || o->type != JSON_STRING || strcmp(o->string, path) != 0)
        return task_fail(r, TASK_FAILED, "bad result", "task %u: \"output\" must be %s", i,
                         path);
    uint8_t *buf;
    size_t len;
    struct image im, *ref;
    int rc = image_read_file(path, &buf, &len);
    if (rc < 0)
        return task_fail(r, TASK_FAILED, "no output", "task %u: cannot read %s: %s", i, path,
                         strerror(-rc));
    r->value = image_checksum(buf, len);
    r->extra[2] = (int64_t)len;
    rc = image_decode(buf, len, c->max_pixels, &im, msg);
    free(buf);
    if (rc < 0)
        return task_fail(r, TASK_FAILED, "bad PNG", "task %u: %s does not decode: %s", i, path,
                         msg);
    r->extra[0] = im.w;
    r->extra[1] = im.h;
    if ((rc = thumb_ext_ref(c, i % c->nin, &ref)) < 0) {
        image_free(&im);
        return task_fail(r, TASK_FAILED, "reference", "task %u: cannot make our own thumbnail "
                         "of %s to compare: %s", i, c->in[i % c->nin].shown, strerror(-rc));
    }
    if (im.w != ref->w || im.h != ref->h || im.ch != ref->ch) {
        uint32_t ch = im.ch;
        image_free(&im);        /* a wrong size is verify's to report; channels are ours */
        return ch == ref->ch ? TASK_OK :
               task_fail(r, TASK_FAILED, "bad result", "task %u: %s has %u channels, ours %u",
                         i, path, ch, ref->ch);
    }
    uint64_t sum = 0;
    unsigned worst = 0;
    size_t nb = (size_t)im.w * im.h * im.ch;
    for (size_t k = 0; k < nb; k++) {
        unsigned d = (unsigned)abs((int)im.px[k] - (int)ref->px[k]);
        sum += d;
        worst = d > worst ? d : worst;
    }
    image_free(&im);
    double mean = nb ? (double)sum / (double)nb : 0;
    if (mean > THUMB_EXT_MEAN || worst > THUMB_EXT_MAX)
        return task_fail(r, TASK_FAILED, "differs from ours", "task %u: %s differs from "
                         "concbench's thumbnail: mean |difference| %.2f, largest %u (tolerance "
                         "%.0f and %d of 255)", i, path, mean, worst, THUMB_EXT_MEAN,
                         THUMB_EXT_MAX);
    return TASK_OK;
}

/* A copy of this set-up elsewhere (an mpi rank) writes into this set-up's output folder, which
 * verify reads back (ranks on other hosts need --out on a folder every host shares). */
static int thumb_share(void *ctx, struct options *o, char *buf, size_t len)
{
    struct thumb_ctx *c = ctx;
    if (!c->out_is_temp || o->n == OPTIONS_MAX)
        return 0;
    snprintf(buf, len, "%s", c->out);
    o->kv[o->n].name = "out";
    o->kv[o->n++].value = buf;
    return 0;
}

static const struct wopt thumb_opts[] = {
    { "images", WOPT_STRING, NULL, 0, 0,
      "folder of input images: every *.png in it, sorted by name; task i takes image i mod "
      "count (default: the generated corpus, cached)", NULL },
    { "out", WOPT_STRING, NULL, 0, 0,
      "folder for the thumbnails (default: a temporary folder removed afterwards)", NULL },
    { "thumb-size", WOPT_UINT, "50", 1, 65535, "thumbnails fit inside S x S", NULL },
    { "max-pixels", WOPT_UINT, "100000000", 1, IMAGE_MAX_PIXELS_CAP,
      "refuse an image whose header declares more pixels", NULL },
    { "decode-budget-mb", WOPT_UINT, "512", 1, 1u << 20,
      "memory one task may use, in MiB, computed from the PNG header before decoding (pixels, "
      "row pointers, libpng's and the blur's buffers); an image over it fails its task", NULL },
    { "corpus-images", WOPT_UINT, "16", 1, 10000, "default corpus: number of images", NULL },
    { "corpus-size", WOPT_STRING, "1920x1080", 0, 0, "default corpus: WIDTHxHEIGHT", NULL },
    { "corpus-seed", WOPT_UINT, "1", 0, UINT64_MAX, "default corpus: seed", NULL },
    { 0 },
};

/* CPU-bound: t1 x ceil(N / min(j, cores)). */
static double thumb_ideal(const struct workload *w, const struct options *o,
                          const struct ideal_in *in)
{
    (void)w;
    (void)o;
    return workload_ideal_cpu(in);
}

const struct workload workload_thumbnail = {
    .name = "thumbnail",
    .summary = "each task: decode a PNG, Gaussian blur (sigma 2), shrink to fit 50x50, "
               "encode PNG",
    .kind = &workload_kind_cpu,
    .label = "decode + blur + encode",
    .order = 2,
    .opts = thumb_opts,
    .sweep = {
        [WL_SCALE_QUICK] = { "--corpus-images 4 --corpus-size 480x270", NULL },
        [WL_SCALE_DEFAULT] = { "--corpus-size 1280x720", NULL },
    },
    .ideal_s = thumb_ideal,
    .setup = thumb_setup,
    .run = thumb_run,
    .verify = thumb_verify,
    .report = thumb_report,
    .teardown = thumb_teardown,
    .ext_describe = thumb_ext_describe,
    .ext_take = thumb_ext_take,
    .share = thumb_share,
};
