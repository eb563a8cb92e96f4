/* corpus.c — the deterministic, photograph-like PNG corpus the thumbnail workload reads. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "workloads/image.h"

/* splitmix64: small, seedable, the same on every platform. */
static uint64_t corpus_rand(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint32_t corpus_below(uint64_t *s, uint32_t n)
{
    return n ? (uint32_t)(corpus_rand(s) % n) : 0;
}

static uint8_t corpus_clamp(int v)
{
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* Background: a bilinear blend of four corner colours (integer arithmetic only). */
static void corpus_background(uint8_t *px, uint32_t w, uint32_t h, uint64_t *rng)
{
    int c[4][3];
    for (int k = 0; k < 4; k++)
        for (int ch = 0; ch < 3; ch++)
            c[k][ch] = 20 + (int)corpus_below(rng, 216);
    const int64_t W = w > 1 ? w - 1 : 1, H = h > 1 ? h - 1 : 1;
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++)
            for (int ch = 0; ch < 3; ch++) {
                int64_t v = (int64_t)c[0][ch] * (W - x) * (H - y) + (int64_t)c[1][ch] * x * (H - y) +
                            (int64_t)c[2][ch] * (W - x) * y + (int64_t)c[3][ch] * x * y;
                px[((size_t)y * w + x) * 3 + ch] = (uint8_t)(v / (W * H));
            }
}

/* A soft-edged ellipse with a linear shade across it, blended over what is there. */
static void corpus_ellipse(uint8_t *px, uint32_t w, uint32_t h, uint64_t *rng)
{
    int64_t cx = corpus_below(rng, w), cy = corpus_below(rng, h);
    int64_t rx = 4 + corpus_below(rng, w / 4 + 1), ry = 4 + corpus_below(rng, h / 4 + 1);
    int col[3], shade = (int)corpus_below(rng, 81) - 40;
    unsigned alpha = 96 + corpus_below(rng, 160);       /* of 256 */
    for (int ch = 0; ch < 3; ch++)
        col[ch] = (int)corpus_below(rng, 256);
    int64_t y0 = cy - ry - 2, y1 = cy + ry + 2, x0 = cx - rx - 2, x1 = cx + rx + 2;
    if (y0 < 0) y0 = 0;
    if (x0 < 0) x0 = 0;
    if (y1 >= h) y1 = h - 1;
    if (x1 >= w) x1 = w - 1;
    /* Inside when (dx/rx)^2 + (dy/ry)^2 < 1; the edge fades over about two pixels. */
    const int64_t R = rx * rx * ry * ry, edge = 2 * (rx > ry ? rx : ry) * rx * ry;
    for (int64_t y = y0; y <= y1; y++)
        for (int64_t x = x0; x <= x1; x++) {
            int64_t dx = x - cx, dy = y - cy;
            int64_t d = dx * dx * ry * ry + dy * dy * rx * rx;
            if (d >= R + edge)
                continue;
            int64_t cov = d <= R ? 256 : 256 - (d - R) * 256 / edge;
            int64_t a = (int64_t)alpha * cov / 256;
            int sh = (int)(shade * (dx + dy) / (rx + ry));
            uint8_t *p = px + ((size_t)y * w + (size_t)x) * 3;
            for (int ch = 0; ch < 3; ch++) {
                int v = corpus_clamp(col[ch] + sh);
                p[ch] = (uint8_t)((p[ch] * (256 - a) + v * a) / 256);
            }
        }
}

/* A rectangle with a vertical gradient, blended over what is there. */
static void corpus_rect(uint8_t *px, uint32_t w, uint32_t h, uint64_t *rng)
{
    uint32_t x0 = corpus_below(rng, w), y0 = corpus_below(rng, h);
    uint32_t x1 = x0 + 1 + corpus_below(rng, w / 3 + 1), y1 = y0 + 1 + corpus_below(rng, h / 3 + 1);
    int top[3], bot[3];
    unsigned alpha = 64 + corpus_below(rng, 160);
    for (int ch = 0; ch < 3; ch++) {
        top[ch] = (int)corpus_below(rng, 256);
        bot[ch] = (int)corpus_below(rng, 256);
    }
    if (x1 > w) x1 = w;
    if (y1 > h) y1 = h;
    for (uint32_t y = y0; y < y1; y++)
        for (uint32_t x = x0; x < x1; x++) {
            uint8_t *p = px + ((size_t)y * w + x) * 3;
            for (int ch = 0; ch < 3; ch++) {
                int v = top[ch] + (bot[ch] - top[ch]) * (int)(y - y0) / (int)(y1 - y0);
                p[ch] = (uint8_t)((p[ch] * (256 - alpha) + (unsigned)v * alpha) / 256);
            }
        }
}

/* Sensor-like grain: a small triangular noise on every sample. */
static void corpus_grain(uint8_t *px, size_t n, uint64_t *rng)
{
    uint64_t bits = 0;
    unsigned left = 0;
    for (size_t k = 0; k < n; k++) {
        if (left < 6) {
            bits = corpus_rand(rng);
            left = 64;
        }
        int noise = (int)(bits & 7) + (int)((bits >> 3) & 7) - 7;
        bits >>= 6;
        left -= 6;
        px[k] = corpus_clamp(px[k] + noise);
    }
}

void corpus_name(unsigned k, char *name, size_t len)
{
    snprintf(name, len, "img-%04u.png", k);
}

int corpus_image(uint64_t seed, unsigned k, uint32_t w, uint32_t h, uint8_t **out, size_t *len)
{
    struct image im = { .w = w, .h = h, .ch = 3 };
    uint64_t rng = seed * 0x100000001b3ull + k * 0x9e3779b97f4a7c15ull + 1;
    char mark[96], msg[IMAGE_MSG_LEN];

    if (w == 0 || h == 0)
        return -EINVAL;
    im.px = malloc((size_t)w * h * 3);
    if (!im.px)
        return -ENOMEM;
    corpus_background(im.px, w, h, &rng);
    unsigned shapes = 6 + corpus_below(&rng, 10);
    for (unsigned s = 0; s < shapes; s++) {
        if (corpus_below(&rng, 3) == 0)
            corpus_rect(im.px, w, h, &rng);
        else
            corpus_ellipse(im.px, w, h, &rng);
    }
    corpus_grain(im.px, (size_t)w * h * 3, &rng);
    snprintf(mark, sizeof mark, "seed=%llu size=%ux%u index=%u", (unsigned long long)seed, w, h,
             k);
    struct image_text text[] = { { CORPUS_MARK_KEY, mark } };
    int rc = image_encode(&im, 6, text, 1, out, len, msg);
    image_free(&im);
    return rc == IMAGE_EBAD ? -EIO : rc;
}

int corpus_is_ours(const char *path)
{
    return image_has_mark(path, CORPUS_MARK_KEY);
}

int image_has_mark(const char *path, const char *key)
{
    static const char sig[8] = "\x89PNG\r\n\x1a\n";
    char mark[96];                      /* the chunk type, then its key and the key's NUL */
    size_t mlen = (size_t)snprintf(mark, sizeof mark, "tEXt%s", key) + 1;
    char head[1024];
    ssize_t n;
    int fd;

    struct stat st;

    do
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return 0;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return 0;
    }
    do
        n = read(fd, head, sizeof head);
    while (n < 0 && errno == EINTR);
    close(fd);
    if (n < (ssize_t)sizeof sig || memcmp(head, sig, sizeof sig) != 0)
        return 0;
    return mlen <= sizeof mark && memmem(head, (size_t)n, mark, mlen) != NULL;
}

int corpus_write(const char *dir, unsigned n, uint32_t w, uint32_t h, uint64_t seed, char *err,
                 size_t errlen)
{
    char path[4096], name[32];
    int rc = image_mkdirs(dir);

    if (rc < 0) {
        snprintf(err, errlen, "cannot create folder %s: %s", dir, strerror(-rc));
        return rc;
    }
    /* Refuse before writing anything. */
    for (unsigned k = 0; k < n; k++) {
        struct stat st;
        corpus_name(k, name, sizeof name);
        snprintf(path, sizeof path, "%s/%s", dir, name);
        if (lstat(path, &st) < 0) {
            if (errno == ENOENT)
                continue;
            rc = -errno;
            snprintf(err, errlen, "cannot check %s: %s", path, strerror(errno));
            return rc;
        }
        if (!S_ISREG(st.st_mode) || !corpus_is_ours(path)) {
            snprintf(err, errlen, "refusing to overwrite %s: it is not a corpus image", path);
            return -EEXIST;
        }
    }
    for (unsigned k = 0; k < n; k++) {
        uint8_t *buf;
        size_t len;
        corpus_name(k, name, sizeof name);
        rc = corpus_image(seed, k, w, h, &buf, &len);
        if (rc < 0) {
            snprintf(err, errlen, "cannot make image %u: %s", k, strerror(-rc));
            return rc;
        }
        rc = image_write_file(dir, name, buf, len);
        free(buf);
        if (rc < 0) {
            snprintf(err, errlen, "cannot write %s/%s: %s", dir, name, strerror(-rc));
            return rc;
        }
    }
    return 0;
}
