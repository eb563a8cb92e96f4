/* image.c — PNG decode/encode (libpng), Pillow-style Gaussian blur, area-average shrink. */
#include "workloads/image.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- libpng plumbing: every piece of state belongs to one call ---- */

/* libpng's error callback: keep the message in the call's buffer, unwind to its setjmp. */
static void img_png_error(png_structp png, png_const_charp m)
{
    char *msg = png_get_error_ptr(png);
    if (msg)
        snprintf(msg, IMAGE_MSG_LEN, "%s", m ? m : "libpng error");
    png_longjmp(png, 1);
}

static void img_png_warning(png_structp png, png_const_charp m)
{
    (void)png;
    (void)m;
}

/* Ancillary chunks the thumbnail never uses: libpng skips them unread (in small pieces, no
 * allocation), so a text or ICC chunk declaring gigabytes costs nothing. */
static const png_byte img_skip_chunks[] =
    "bKGD\0cHRM\0eXIf\0gAMA\0hIST\0iCCP\0iTXt\0oFFs\0pCAL\0pHYs\0sBIT\0sCAL\0sPLT\0"
    "sRGB\0tEXt\0tIME\0zTXt";

/* What every read struct gets: 31-bit dimensions (our own pixel limit decides), at most 8 MiB
 * for any chunk libpng keeps, and the chunks above (and unknown ones) discarded. */
static void img_png_read_limits(png_structp png)
{
    png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
    png_set_chunk_malloc_max(png, 8u << 20);
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, NULL, 0);
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, img_skip_chunks,
                                (int)(sizeof img_skip_chunks / 5));
}

struct img_src {
    const uint8_t *buf;
    size_t len, pos;
};

static void img_png_read(png_structp png, png_bytep data, size_t n)
{
    struct img_src *s = png_get_io_ptr(png);
    if (n > s->len - s->pos)
        png_error(png, s->pos == s->len ? "unexpected end of file (truncated)"
                                        : "unexpected end of file inside a chunk (truncated)");
    memcpy(data, s->buf + s->pos, n);
    s->pos += n;
}

/* What a decode owns; kept outside the function that calls setjmp, so nothing it needs after
 * a longjmp lives in that function's registers. */
struct img_dec {
    png_structp png;
    png_infop info;
    struct img_src src;
    uint8_t *px;
    png_bytep *rows;
    uint64_t max_pixels;
    int result;             /* what to return when libpng unwinds */
};

static int img_decode_body(struct img_dec *d, struct image *out, char *msg)
{
    png_uint_32 w, h;
    int depth, ctype, interlace;

    if (setjmp(png_jmpbuf(d->png)))
        return d->result;
    png_set_read_fn(d->png, &d->src, img_png_read);
    img_png_read_limits(d->png);
    png_read_info(d->png, d->info);
    png_get_IHDR(d->png, d->info, &w, &h, &depth, &ctype, &interlace, NULL, NULL);
    if ((uint64_t)w * h > d->max_pixels) {
        snprintf(msg, IMAGE_MSG_LEN, "%ux%u is %llu pixels, more than the limit of %llu",
                 (unsigned)w, (unsigned)h, (unsigned long long)w * h,
                 (unsigned long long)d->max_pixels);
        return IMAGE_ETOOBIG;
    }
    if (ctype == PNG_COLOR_TYPE_PALETTE)
        png_set_palette_to_rgb(d->png);
    if (ctype == PNG_COLOR_TYPE_GRAY && depth < 8)
        png_set_expand_gray_1_2_4_to_8(d->png);
    if (png_get_valid(d->png, d->info, PNG_INFO_tRNS))
        png_set_tRNS_to_alpha(d->png);
    if (depth == 16)
        png_set_scale_16(d->png);
    if (ctype == PNG_COLOR_TYPE_GRAY || ctype == PNG_COLOR_TYPE_GRAY_ALPHA)
        png_set_gray_to_rgb(d->png);
    png_set_interlace_handling(d->png);
    png_read_update_info(d->png, d->info);

    unsigned ch = png_get_channels(d->png, d->info);
    if ((ch != 3 && ch != 4) || png_get_bit_depth(d->png, d->info) != 8 ||
        png_get_rowbytes(d->png, d->info) != (size_t)w * ch) {
        snprintf(msg, IMAGE_MSG_LEN, "unexpected layout after conversion (%u channels)", ch);
        return IMAGE_EBAD;
    }
    size_t stride = (size_t)w * ch;
    d->px = malloc(stride * h > 0 ? stride * h : 1);
    d->rows = malloc(sizeof *d->rows * (h ? h : 1));
    if (!d->px || !d->rows) {
        snprintf(msg, IMAGE_MSG_LEN, "out of memory for %ux%u pixels", (unsigned)w,
                 (unsigned)h);
        return -ENOMEM;
    }
    for (png_uint_32 y = 0; y < h; y++)
        d->rows[y] = d->px + y * stride;
    png_read_image(d->png, d->rows);
    png_read_end(d->png, NULL);
    out->w = w;
    out->h = h;
    out->ch = ch;
    out->px = d->px;
    d->px = NULL;
    return 0;
}


/* A libpng read struct and its info struct, errors reported into msg (per call: safe in any
 * thread). 0, or -ENOMEM with the message set. */
static int img_png_open(png_structp *png, png_infop *info, char *msg)
{
    *png = png_create_read_struct(PNG_LIBPNG_VER_STRING, msg, img_png_error, img_png_warning);
    if (!*png || !(*info = png_create_info_struct(*png))) {
        if (*png)
            png_destroy_read_struct(png, NULL, NULL);
        snprintf(msg, IMAGE_MSG_LEN, "out of memory (libpng)");
        return -ENOMEM;
    }
    return 0;
}

int image_decode(const void *buf, size_t len, uint64_t max_pixels, struct image *out,
                 char *msg)
{
    struct img_dec d = { .src = { buf, len, 0 }, .max_pixels = max_pixels,
                         .result = IMAGE_EBAD };
    int rc;

    memset(out, 0, sizeof *out);
    msg[0] = '\0';
    if (len == 0) {
        snprintf(msg, IMAGE_MSG_LEN, "empty file (0 bytes)");
        return IMAGE_EBAD;
    }
    if ((rc = img_png_open(&d.png, &d.info, msg)) != 0)
        return rc;
    rc = img_decode_body(&d, out, msg);     /* libpng checks the signature itself */
    png_destroy_read_struct(&d.png, &d.info, NULL);
    free(d.rows);
    free(d.px);
    if (rc != 0 && !msg[0])
        snprintf(msg, IMAGE_MSG_LEN, "libpng error");
    return rc;
}

struct img_hdr {
    png_structp png;
    png_infop info;
    struct img_src src;
};

static int img_size_body(struct img_hdr *d, uint32_t *w, uint32_t *h)
{
    if (setjmp(png_jmpbuf(d->png)))
        return IMAGE_EBAD;
    png_set_read_fn(d->png, &d->src, img_png_read);
    img_png_read_limits(d->png);
    png_read_info(d->png, d->info);
    *w = png_get_image_width(d->png, d->info);
    *h = png_get_image_height(d->png, d->info);
    return 0;
}

int image_png_size(const void *buf, size_t len, uint32_t *w, uint32_t *h, char *msg)
{
    struct img_hdr d = { .src = { buf, len, 0 } };
    int rc;

    msg[0] = '\0';
    if (len < 8 || png_sig_cmp(buf, 0, 8) != 0) {
        snprintf(msg, IMAGE_MSG_LEN, len ? "Not a PNG file (bad signature)"
                                         : "empty file (0 bytes)");
        return IMAGE_EBAD;
    }
    if ((rc = img_png_open(&d.png, &d.info, msg)) != 0)
        return rc;
    rc = img_size_body(&d, w, h);
    png_destroy_read_struct(&d.png, &d.info, NULL);
    return rc;
}

static int img_header_body(struct img_hdr *d, struct image_header *hd)
{
    png_uint_32 w, h;
    int depth, ctype, interlace;
    if (setjmp(png_jmpbuf(d->png)))
        return IMAGE_EBAD;
    png_set_read_fn(d->png, &d->src, img_png_read);
    img_png_read_limits(d->png);
    png_read_info(d->png, d->info);
    png_get_IHDR(d->png, d->info, &w, &h, &depth, &ctype, &interlace, NULL, NULL);
    hd->w = w;
    hd->h = h;
    hd->depth = (uint32_t)depth;
    hd->interlaced = interlace != PNG_INTERLACE_NONE;
    hd->ch = (ctype & PNG_COLOR_MASK_ALPHA) || png_get_valid(d->png, d->info, PNG_INFO_tRNS)
             ? 4 : 3;
    return 0;
}

int image_png_header(const void *buf, size_t len, struct image_header *hd, char *msg)
{
    struct img_hdr d = { .src = { buf, len, 0 } };
    int rc;

    memset(hd, 0, sizeof *hd);
    msg[0] = '\0';
    if (len < 8 || png_sig_cmp(buf, 0, 8) != 0) {
        snprintf(msg, IMAGE_MSG_LEN, len ? "Not a PNG file (bad signature)"
                                         : "empty file (0 bytes)");
        return IMAGE_EBAD;
    }
    if ((rc = img_png_open(&d.png, &d.info, msg)) != 0)
        return rc;
    rc = img_header_body(&d, hd);
    png_destroy_read_struct(&d.png, &d.info, NULL);
    if (rc != 0 && !msg[0])
        snprintf(msg, IMAGE_MSG_LEN, "libpng error");
    return rc;
}

/* ---- encode ---- */

struct img_sink {
    uint8_t *p;
    size_t len, cap;
};

static void img_png_write(png_structp png, png_bytep data, size_t n)
{
    struct img_sink *s = png_get_io_ptr(png);
    if (n > s->cap - s->len) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap - s->len < n)
            cap *= 2;
        uint8_t *p = realloc(s->p, cap);
        if (!p)
            png_error(png, "out of memory");
        s->p = p;
        s->cap = cap;
    }
    memcpy(s->p + s->len, data, n);
    s->len += n;
}

static void img_png_flush(png_structp png)
{
    (void)png;
}

struct img_enc {
    png_structp png;
    png_infop info;
    struct img_sink sink;
    png_bytep *rows;
    png_textp text;
};

static int img_encode_body(struct img_enc *e, const struct image *im, int level,
                           const struct image_text *text, unsigned ntext)
{
    if (setjmp(png_jmpbuf(e->png)))
        return IMAGE_EBAD;
    png_set_write_fn(e->png, &e->sink, img_png_write, img_png_flush);
    png_set_IHDR(e->png, e->info, im->w, im->h, 8,
                 im->ch == 4 ? PNG_COLOR_TYPE_RGB_ALPHA : PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_compression_level(e->png, level < 0 ? -1 : level);
    if (ntext) {
        for (unsigned k = 0; k < ntext; k++) {
            e->text[k].compression = PNG_TEXT_COMPRESSION_NONE;
            e->text[k].key = (png_charp)text[k].key;
            e->text[k].text = (png_charp)text[k].value;
            e->text[k].text_length = strlen(text[k].value);
        }
        png_set_text(e->png, e->info, e->text, (int)ntext);
    }
    png_write_info(e->png, e->info);
    png_write_image(e->png, e->rows);
    png_write_end(e->png, NULL);
    return 0;
}

int image_encode(const struct image *im, int level, const struct image_text *text,
                 unsigned ntext, uint8_t **out, size_t *len, char *msg)
{
    struct img_enc e = { 0 };
    int rc;

    msg[0] = '\0';
    *out = NULL;
    *len = 0;
    if (im->w == 0 || im->h == 0 || (im->ch != 3 && im->ch != 4)) {
        snprintf(msg, IMAGE_MSG_LEN, "cannot encode a %ux%u image of %u channels", im->w, im->h,
                 im->ch);
        return IMAGE_EBAD;
    }
    e.rows = malloc(sizeof *e.rows * im->h);
    e.text = ntext ? calloc(ntext, sizeof *e.text) : NULL;
    if (!e.rows || (ntext && !e.text)) {
        free(e.rows);
        free(e.text);
        snprintf(msg, IMAGE_MSG_LEN, "out of memory");
        return -ENOMEM;
    }
    for (uint32_t y = 0; y < im->h; y++)
        e.rows[y] = im->px + (size_t)y * im->w * im->ch;
    e.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, msg, img_png_error, img_png_warning);
    if (!e.png || !(e.info = png_create_info_struct(e.png))) {
        if (e.png)
            png_destroy_write_struct(&e.png, NULL);
        free(e.rows);
        free(e.text);
        snprintf(msg, IMAGE_MSG_LEN, "out of memory (libpng)");
        return -ENOMEM;
    }
    rc = img_encode_body(&e, im, level, text, ntext);
    png_destroy_write_struct(&e.png, &e.info);
    free(e.rows);
    free(e.text);
    if (rc != 0) {
        free(e.sink.p);
        if (!msg[0])
            snprintf(msg, IMAGE_MSG_LEN, "libpng error");
        return strstr(msg, "out of memory") ? -ENOMEM : rc;
    }
    *out = e.sink.p;
    *len = e.sink.len;
    return 0;
}

/* ---- blur ---- */

/* The fractional box radius that three passes need to approximate a Gaussian of standard
 * deviation sigma — Pillow's _gaussian_blur_radius (after Gwosdek et al., "Theoretical
 * foundations of Gaussian convolution by extended box filtering"), in the same float
 * arithmetic. */
static float blur_box_radius(float sigma, int passes)
{
    float sigma2 = sigma * sigma / (float)passes;
    float L = sqrtf(12.0f * sigma2 + 1.0f);
    float l = floorf((L - 1.0f) / 2.0f);
    float a = (2 * l + 1) * (l * (l + 1) - 3 * sigma2);
    a /= 6 * (sigma2 - (l + 1) * (l + 1));
    return l + a;
}

/* The integer radius r and the 24-bit fixed-point weights: ww for each of the 2r+1 inner
 * samples, fw for each of the two partial samples at distance r+1 (as Pillow computes them). */
struct blur_box {
    int r;
    uint32_t ww, fw;
};

static struct blur_box blur_box_of(double sigma)
{
    float fr = blur_box_radius((float)sigma, 3);
    struct blur_box b;
    b.r = (int)fr;
    b.ww = (uint32_t)((float)(1 << 24) / (fr * 2 + 1));
    b.fw = ((1u << 24) - (uint32_t)(b.r * 2 + 1) * b.ww) / 2;
    return b;
}

#define BLUR_HALF (1u << 23)

typedef uint8_t blur_v16u8 __attribute__((vector_size(16)));
typedef uint32_t blur_v16u32 __attribute__((vector_size(64)));

/* AVX2 where the CPU has it, chosen once at load time; plain SSE2 otherwise. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && \
    !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#define BLUR_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define BLUR_CLONES
#endif
#if defined(__GNUC__) && !defined(__clang__)
#define BLUR_VECTORIZE __attribute__((optimize("tree-vectorize", "vect-cost-model=dynamic")))
#else
#define BLUR_VECTORIZE
#endif

/* One output line of a box pass along a sequence of lines, n bytes wide, vectorised across
 * the line: acc (the window sum, per byte position) moves by +add −sub; the output is the
 * window times ww plus the two partial samples (sub is also the left one, far the right one)
 * times fw. out may not overlap anything else; add, sub and far may overlap each other. */
BLUR_CLONES BLUR_VECTORIZE
static void blur_line_step(uint32_t *restrict acc, const uint8_t *add, const uint8_t *sub,
                           const uint8_t *far, uint8_t *restrict out, size_t n, uint32_t ww,
                           uint32_t fw)
{
    for (size_t k = 0; k < n; k++) {
        uint32_t s = sub[k], a = acc[k] + add[k] - s;
        acc[k] = a;
        out[k] = (uint8_t)((a * ww + (s + far[k]) * fw + BLUR_HALF) >> 24);
    }
}

/* Scratch for one pass over lines of len bytes. */
struct blur_scratch {
    uint32_t *acc;
    uint8_t *ring;          /* the last r+1 original lines */
    uint8_t *first;         /* the original first line */
    uint8_t *tmp;           /* the output line being made */
    uint8_t *block;         /* rows turned into columns for the horizontal passes */
};

/* One box pass, in place, along n lines of len bytes (line k at base + k * stride): each
 * byte becomes the box average of the bytes at its position in the lines around it, lines
 * beyond either end repeating the end line. */
static void blur_pass_lines(uint8_t *base, size_t stride, size_t n, size_t len,
                            struct blur_box b, struct blur_scratch *s)
{
    const long r = b.r, last = (long)n - 1;
#define BLUR_LINE(k) (base + (size_t)((k) < 0 ? 0 : (k) > last ? last : (k)) * stride)

    memcpy(s->first, base, len);
    memset(s->acc, 0, len * sizeof *s->acc);
    /* The window of position −1: lines −1−r .. r−1. */
    for (long k = -1 - r; k <= r - 1; k++) {
        const uint8_t *l = BLUR_LINE(k);
        for (size_t i = 0; i < len; i++)
            s->acc[i] += l[i];
    }
    for (long y = 0; y <= last; y++) {
        uint8_t *slot = s->ring + (size_t)(y % (r + 1)) * len;
        const uint8_t *sub = y - r - 1 < 0 ? s->first : slot;
        uint8_t *cur = base + (size_t)y * stride;
        blur_line_step(s->acc, BLUR_LINE(y + r), sub, BLUR_LINE(y + r + 1), s->tmp, len, b.ww,
                       b.fw);
        memcpy(slot, cur, len);     /* line y's original is the sub line at step y + r + 1 */
        memcpy(cur, s->tmp, len);
    }
#undef BLUR_LINE
}

/* Copy rows y0..y0+nb-1 into the block as columns: block line x holds pixel x of each row. */
static void blur_rows_to_block(const struct image *im, uint32_t y0, unsigned nb, uint8_t *blk)
{
    const size_t stride = (size_t)im->w * im->ch, bl = (size_t)nb * im->ch;
    for (unsigned b = 0; b < nb; b++) {
        const uint8_t *row = im->px + (size_t)(y0 + b) * stride;
        uint8_t *col = blk + (size_t)b * im->ch;
        if (im->ch == 3)
            for (uint32_t x = 0; x < im->w; x++)
                memcpy(col + x * bl, row + (size_t)x * 3, 3);
        else
            for (uint32_t x = 0; x < im->w; x++)
                memcpy(col + x * bl, row + (size_t)x * 4, 4);
    }
}

static void blur_block_to_rows(struct image *im, uint32_t y0, unsigned nb, const uint8_t *blk)
{
    const size_t stride = (size_t)im->w * im->ch, bl = (size_t)nb * im->ch;
    for (unsigned b = 0; b < nb; b++) {
        uint8_t *row = im->px + (size_t)(y0 + b) * stride;
        const uint8_t *col = blk + (size_t)b * im->ch;
        if (im->ch == 3)
            for (uint32_t x = 0; x < im->w; x++)
                memcpy(row + (size_t)x * 3, col + x * bl, 3);
        else
            for (uint32_t x = 0; x < im->w; x++)
                memcpy(row + (size_t)x * 4, col + x * bl, 4);
    }
}

/* Rows blurred together in the horizontal passes: 16, fewer for very wide images so the
 * block stays near 1 MiB. */
static unsigned blur_block_rows(const struct image *im)
{
    size_t row = (size_t)im->w * im->ch, nb = ((size_t)1 << 20) / (row ? row : 1);
    return nb >= 16 ? 16 : nb < 1 ? 1 : (unsigned)nb;
}

int image_blur(struct image *im, double sigma)
{
    if (!(sigma > 0) || im->w == 0 || im->h == 0)
        return 0;
    const struct blur_box b = blur_box_of(sigma);
    const size_t stride = (size_t)im->w * im->ch;
    const unsigned nb = blur_block_rows(im);
    const size_t blen = (size_t)nb * im->ch;           /* a block line: one pixel of nb rows */
    const size_t len = stride > blen ? stride : blen;
    struct blur_scratch s = {
        .acc = malloc(len * sizeof(uint32_t)),
        .ring = malloc((size_t)(b.r + 1) * len),
        .first = malloc(len),
        .tmp = malloc(len),
        .block = nb > 1 ? malloc((size_t)im->w * blen) : NULL,
    };
    if (!s.acc || !s.ring || !s.first || !s.tmp || (nb > 1 && !s.block)) {
        free(s.acc), free(s.ring), free(s.first), free(s.tmp), free(s.block);
        return -ENOMEM;
    }
    /* Along rows, three passes: nb rows at a time turned into columns, so the running sums
     * of nb rows advance together in vector registers; a lone row is its own block. */
    for (uint32_t y0 = 0; y0 < im->h; y0 += nb) {
        unsigned rows = im->h - y0 < nb ? im->h - y0 : nb;
        if (rows == 1 || nb == 1) {
            for (unsigned k = 0; k < rows; k++)
                for (int p = 0; p < 3; p++)
                    blur_pass_lines(im->px + (size_t)(y0 + k) * stride, im->ch, im->w, im->ch,
                                    b, &s);
            continue;
        }
        blur_rows_to_block(im, y0, rows, s.block);
        for (int p = 0; p < 3; p++)
            blur_pass_lines(s.block, (size_t)rows * im->ch, im->w, (size_t)rows * im->ch, b,
                            &s);
        blur_block_to_rows(im, y0, rows, s.block);
    }
    /* Along columns, three passes over whole rows. */
    for (int p = 0; p < 3; p++)
        blur_pass_lines(im->px, stride, im->h, stride, b, &s);
    free(s.acc), free(s.ring), free(s.first), free(s.tmp), free(s.block);
    return 0;
}

/* One box pass, the obvious way: each output sample sums its window from a copy. */
static void blur_ref_pass(uint8_t *base, size_t step, size_t n, const uint8_t *orig, size_t ostep,
                          struct blur_box b)
{
    const long last = (long)n - 1;
#define REF_AT(k) ((uint32_t)orig[(size_t)((k) < 0 ? 0 : (k) > last ? last : (k)) * ostep])
    for (long x = 0; x <= last; x++) {
        uint32_t sum = 0;
        for (long k = x - b.r; k <= x + b.r; k++)
            sum += REF_AT(k);
        uint32_t v = sum * b.ww + (REF_AT(x - b.r - 1) + REF_AT(x + b.r + 1)) * b.fw + BLUR_HALF;
        base[(size_t)x * step] = (uint8_t)(v >> 24);
    }
#undef REF_AT
}

int image_blur_reference(struct image *im, double sigma)
{
    if (!(sigma > 0) || im->w == 0 || im->h == 0)
        return 0;
    const struct blur_box b = blur_box_of(sigma);
    const size_t size = (size_t)im->w * im->h * im->ch, stride = (size_t)im->w * im->ch;
    uint8_t *copy = malloc(size);
    if (!copy)
        return -ENOMEM;
    for (int p = 0; p < 3; p++) {
        memcpy(copy, im->px, size);
        for (uint32_t y = 0; y < im->h; y++)
            for (uint32_t c = 0; c < im->ch; c++)
                blur_ref_pass(im->px + y * stride + c, im->ch, im->w, copy + y * stride + c,
                              im->ch, b);
    }
    for (int p = 0; p < 3; p++) {
        memcpy(copy, im->px, size);
        for (size_t x = 0; x < stride; x++)
            blur_ref_pass(im->px + x, stride, im->h, copy + x, stride, b);
    }
    free(copy);
    return 0;
}

/* ---- shrink ---- */

/* Pillow's round_aspect: floor or ceil of v, whichever key prefers (floor on a tie), at
 * least 1. */
static uint32_t thumb_pick(double v, double kf, double kc)
{
    double f = floor(v), c = ceil(v);
    double pick = kc < kf ? c : f;
    return pick < 1 ? 1 : (uint32_t)pick;
}

void image_thumb_size(uint32_t w, uint32_t h, uint32_t s, uint32_t *tw, uint32_t *th)
{
    *tw = w;
    *th = h;
    if (w == 0 || h == 0 || s == 0 || (w <= s && h <= s))
        return;
    double aspect = (double)w / h, x = s, y = s;
    if (x / y >= aspect) {
        double v = y * aspect, f = floor(v), c = ceil(v);
        *tw = thumb_pick(v, fabs(aspect - f / y), fabs(aspect - c / y));
        *th = s;
    } else {
        double v = x / aspect, f = floor(v), c = ceil(v);
        *tw = s;
        *th = thumb_pick(v, f == 0 ? 0 : fabs(aspect - x / f), c == 0 ? 0 : fabs(aspect - x / c));
    }
    if (*tw > w)
        *tw = w;
    if (*th > h)
        *th = h;
}

typedef uint32_t shrink_v16u32 __attribute__((vector_size(64)));

/* acc[k] += row[k] * wt for k < n (the vertical step of the shrink). */
BLUR_CLONES
static void shrink_acc_row(uint32_t *acc, const uint8_t *row, size_t n, uint32_t wt)
{
    size_t k = 0;
    for (; k + 16 <= n; k += 16) {
        blur_v16u8 r8;
        shrink_v16u32 a;
        memcpy(&r8, row + k, 16);
        memcpy(&a, acc + k, 64);
        a += __builtin_convertvector(r8, shrink_v16u32) * wt;
        memcpy(acc + k, &a, 64);
    }
    for (; k < n; k++)
        acc[k] += row[k] * wt;
}

/* The source span of output cell o of `out` cells over `in` source cells, in units where a
 * source cell is `out` long and an output cell `in` long: cells first..last, the first and
 * last covered by wfirst and wlast units (every cell between, by `out`). */
struct shrink_span {
    uint64_t first, last;
    uint64_t wfirst, wlast;
};

static struct shrink_span shrink_span_of(uint64_t o, uint64_t in, uint64_t out)
{
    struct shrink_span s;
    uint64_t a = o * in, b = (o + 1) * in;              /* [a, b) in units */
    s.first = a / out;
    s.last = (b - 1) / out;
    if (s.first == s.last) {
        s.wfirst = s.wlast = b - a;
    } else {
        s.wfirst = (s.first + 1) * out - a;
        s.wlast = b - s.last * out;
    }
    return s;
}

int image_shrink(const struct image *src, uint32_t tw, uint32_t th, struct image *dst)
{
    const uint32_t W = src->w, H = src->h, C = src->ch;
    const size_t stride = (size_t)W * C;

    memset(dst, 0, sizeof *dst);
    if (tw == 0 || th == 0 || tw > W || th > H || (C != 3 && C != 4))
        return -EINVAL;
    /* Column sums weigh at most 255 * H: 32 bits hold them up to H of 16 million. */
    const int wide = (uint64_t)H * 255 >= ((uint64_t)1 << 32);
    uint32_t *acc32 = wide ? NULL : malloc(stride * sizeof *acc32);
    uint64_t *acc64 = wide ? malloc(stride * sizeof *acc64) : NULL;
    uint8_t *out = malloc((size_t)tw * th * C);
    if ((!acc32 && !acc64) || !out) {
        free(acc32), free(acc64), free(out);
        return -ENOMEM;
    }
    const uint64_t total = (uint64_t)W * H;             /* the weight of one output pixel */
    for (uint32_t oy = 0; oy < th; oy++) {
        struct shrink_span sy = shrink_span_of(oy, H, th);
        if (acc32)
            memset(acc32, 0, stride * sizeof *acc32);
        else
            memset(acc64, 0, stride * sizeof *acc64);
        for (uint64_t y = sy.first; y <= sy.last; y++) {
            uint32_t wt = (uint32_t)(y == sy.first ? sy.wfirst : y == sy.last ? sy.wlast : th);
            const uint8_t *row = src->px + y * stride;
            if (acc32)
                shrink_acc_row(acc32, row, stride, wt);
            else
                for (size_t k = 0; k < stride; k++)
                    acc64[k] += (uint64_t)row[k] * wt;
        }
        for (uint32_t ox = 0; ox < tw; ox++) {
            struct shrink_span sx = shrink_span_of(ox, W, tw);
            for (uint32_t c = 0; c < C; c++) {
                uint64_t sum = 0;
                for (uint64_t x = sx.first; x <= sx.last; x++) {
                    uint64_t wt = x == sx.first ? sx.wfirst : x == sx.last ? sx.wlast : tw;
                    sum += (acc32 ? acc32[x * C + c] : acc64[x * C + c]) * wt;
                }
                out[((size_t)oy * tw + ox) * C + c] = (uint8_t)((sum + total / 2) / total);
            }
        }
    }
    free(acc32);
    free(acc64);
    dst->w = tw;
    dst->h = th;
    dst->ch = C;
    dst->px = out;
    return 0;
}

void image_free(struct image *im)
{
    free(im->px);
    memset(im, 0, sizeof *im);
}

uint64_t image_checksum(const void *buf, size_t len)
{
    const uint8_t *p = buf;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t k = 0; k < len; k++) {
        h ^= p[k];
        h *= 0x100000001b3ull;
    }
    return h;
}

/* ---- files ---- */

int image_mkdirs(const char *dir)
{
    char path[4096];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof path)
        return -ENAMETOOLONG;
    memcpy(path, dir, n + 1);
    for (char *p = path + 1; ; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        if (mkdir(path, 0777) < 0 && errno != EEXIST)
            return -errno;
        *p = c;
        if (c == '\0')
            break;
    }
    struct stat st;
    if (stat(dir, &st) < 0)
        return -errno;
    return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

int image_read_file(const char *path, uint8_t **buf, size_t *len)
{
    struct stat st;
    int fd, e;

    *buf = NULL;
    *len = 0;
    /* O_NONBLOCK: a FIFO with a PNG name must not hang the task in open(). */
    do
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0 || (!S_ISREG(st.st_mode) &&
                               (errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL))) {
        e = -errno;
        close(fd);
        return e;
    }
    if (st.st_size > IMAGE_FILE_MAX) {
        close(fd);
        return -EFBIG;
    }
    size_t cap = st.st_size > 0 ? (size_t)st.st_size + 1 : 65536, n = 0;
    uint8_t *p = malloc(cap);
    if (!p) {
        close(fd);
        return -ENOMEM;
    }
    for (;;) {
        if (n == cap) {
            if (n > IMAGE_FILE_MAX) {       /* a file that grew while we read it */
                free(p);
                close(fd);
                return -EFBIG;
            }
            uint8_t *q = realloc(p, cap * 2);
            if (!q) {
                free(p);
                close(fd);
                return -ENOMEM;
            }
            p = q;
            cap *= 2;
        }
        ssize_t got = read(fd, p + n, cap - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            e = -errno;
            free(p);
            close(fd);
            return e;
        }
        if (got == 0)
            break;
        n += (size_t)got;
    }
    close(fd);
    *buf = p;
    *len = n;
    return 0;
}

static int img_write_file(const char *dir, const char *name, const void *data, size_t len,
                          int (*replaceable)(const char *path));

int image_write_file(const char *dir, const char *name, const void *data, size_t len)
{
    return img_write_file(dir, name, data, len, NULL);
}

int image_write_file_guarded(const char *dir, const char *name, const void *data, size_t len,
                             int (*replaceable)(const char *path))
{
    return img_write_file(dir, name, data, len, replaceable);
}

static int img_write_file(const char *dir, const char *name, const void *data, size_t len,
                          int (*replaceable)(const char *path))
{
    const uint8_t *buf = data;
    char tmp[4400], path[4400];
    int fd, e = 0;

    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path ||
        snprintf(tmp, sizeof tmp, "%s/.%s.XXXXXX", dir, name) >= (int)sizeof tmp)
        return -ENAMETOOLONG;
    if ((fd = mkstemp(tmp)) < 0)
        return -errno;
    for (size_t off = 0; off < len;) {
        ssize_t n = write(fd, buf + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            e = -errno;
            break;
        }
        off += (size_t)n;
    }
    if (!e && fchmod(fd, 0644) < 0)
        e = -errno;
    if (close(fd) < 0 && !e)
        e = -errno;
    if (!e && replaceable) {
        /* A new name never replaces anything; an existing one only when it is ours. */
        if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
            return 0;
        if (errno == EEXIST)
            e = replaceable(path) ? 0 : -EEXIST;
        else if (errno != EINVAL && errno != ENOSYS)  /* a file system without the flag */
            e = -errno;
    }
    if (!e && rename(tmp, path) < 0)
        e = -errno;
    if (e)
        unlink(tmp);
    return e;
}

/* ---- what a thumbnail task costs ---- */

static uint64_t img_sat_mul(uint64_t a, uint64_t b)
{
    uint64_t r;
    return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}

static uint64_t img_sat_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

#define IMG_LIBPNG_FIXED (256u << 10)   /* libpng's structs, zlib's inflate or deflate state */

uint64_t image_thumb_bytes(const struct image_header *hd, size_t file_len, double sigma,
                           uint32_t tw, uint32_t th)
{
    const uint64_t W = hd->w, H = hd->h, C = hd->ch ? hd->ch : 4;
    const uint64_t stride = img_sat_mul(W, C), px = img_sat_mul(stride, H);

    /* Decode: the file is still held; libpng keeps the row being read and the previous one,
     * each at the widest pixel its transformations pass through (16-bit RGBA: 8 bytes). */
    uint64_t libpng_row = img_sat_add(img_sat_mul(W, 8), 64);
    uint64_t decode = img_sat_add(img_sat_add(file_len, px),
                                  img_sat_add(img_sat_mul(H, sizeof(void *)),
                                              img_sat_add(img_sat_mul(libpng_row, 2),
                                                          IMG_LIBPNG_FIXED)));
    /* Blur (image_blur): lines of len bytes — the running sums (4 bytes each), a ring of r+1
     * lines, the first line and the output line — and the block of nb rows turned into
     * columns. */
    uint64_t blur = px;
    if (sigma > 0) {
        struct blur_box b = blur_box_of(sigma);
        uint64_t nb = stride ? ((uint64_t)1 << 20) / stride : 16;
        nb = nb >= 16 ? 16 : nb < 1 ? 1 : nb;
        uint64_t blen = nb * C, len = stride > blen ? stride : blen;
        uint64_t scratch = img_sat_mul(len, 4 + (uint64_t)b.r + 1 + 2);
        if (nb > 1)
            scratch = img_sat_add(scratch, img_sat_mul(W, blen));
        blur = img_sat_add(px, scratch);
    }
    /* Shrink: column sums of one row (4 or 8 bytes a sample) and the thumbnail. */
    uint64_t tpx = (uint64_t)tw * th * C;
    uint64_t shrink = img_sat_add(px, img_sat_add(img_sat_mul(stride, H * 255 >= (1ull << 32)
                                                                          ? 8 : 4), tpx));
    /* Encode: the thumbnail, its row pointers, the PNG growing in memory (at most about the
     * thumbnail's size, doubled by realloc) and zlib's deflate state. */
    uint64_t encode = tpx * 3 + (uint64_t)th * sizeof(void *) + IMG_LIBPNG_FIXED;
    uint64_t peak = decode;
    if (blur > peak) peak = blur;
    if (shrink > peak) peak = shrink;
    if (encode > peak) peak = encode;
    return peak;
}
