/* image.h — pure image operations for the thumbnail workload: PNG decode/encode with libpng,
 * Gaussian blur, area-average shrink, and the deterministic test-image corpus.
 *
 * Every function keeps all of its state in its arguments and locals: any thread, any forked
 * child and the async loop (inline) may call any of them at the same time. None prints. */
#ifndef CONCBENCH_IMAGE_H
#define CONCBENCH_IMAGE_H

#include <stddef.h>
#include <stdint.h>

/* An 8-bit image, channels interleaved, rows packed (stride = w * ch). */
struct image {
    uint32_t w, h;
    uint32_t ch;            /* 3 (RGB) or 4 (RGBA) */
    uint8_t *px;            /* w * h * ch bytes, malloc'd; free with image_free */
};

#define IMAGE_MSG_LEN 160
/* Hard ceiling on --max-pixels: 2^32 pixels (16 GiB of RGBA). */
#define IMAGE_MAX_PIXELS_CAP (1ull << 32)
#define IMAGE_FILE_MAX (1l << 30)   /* bytes of one input file image_read_file reads */

/* The return values of image_decode besides 0. */
enum {
    IMAGE_EBAD = -1000,     /* not a PNG, or libpng refused it: msg has libpng's message */
    IMAGE_ETOOBIG = -1001,  /* the header declares more than max_pixels pixels */
};

/* Decode the PNG in buf[0..len) into 8-bit RGB (no alpha in the file) or RGBA (alpha channel
 * or tRNS), whatever its colour type, bit depth and interlacing. A header declaring more than
 * max_pixels pixels is refused before any pixel is decoded. Returns 0 and fills *out;
 * IMAGE_EBAD or IMAGE_ETOOBIG with a message in msg (IMAGE_MSG_LEN bytes); -ENOMEM. On
 * failure *out is left empty. */
int image_decode(const void *buf, size_t len, uint64_t max_pixels, struct image *out,
                 char *msg);

/* The dimensions in a PNG's IHDR, without decoding (libpng checks the signature and the
 * header chunk). Returns 0 or IMAGE_EBAD with a message in msg. */
int image_png_size(const void *buf, size_t len, uint32_t *w, uint32_t *h, char *msg);

/* What a PNG's header says, read without decoding a pixel (image_png_header). */
struct image_header {
    uint32_t w, h;
    uint32_t ch;            /* channels image_decode will give: 3, or 4 with alpha or tRNS */
    uint32_t depth;         /* bits per sample in the file: 1, 2, 4, 8 or 16 */
    uint32_t interlaced;    /* 1 for Adam7 */
};

/* The header of the PNG in buf (libpng reads the chunks before the first IDAT, skipping the
 * ancillary ones image_decode skips). 0, or IMAGE_EBAD with a message in msg, or -ENOMEM. */
int image_png_header(const void *buf, size_t len, struct image_header *hd, char *msg);

/* The most memory one thumbnail task can hold at once for an image with header hd, read from a
 * file of file_len bytes and shrunk to tw x th with a blur of sigma, in bytes: the largest of
 *   decode: the file's bytes + the pixels (w x h x ch) + the row pointers (h pointers) +
 *           libpng's two row buffers (at its widest pixel, 8 bytes) + zlib's state;
 *   blur:   the pixels + its scratch (a window of rows, the running sums, a block of rows);
 *   shrink: the pixels + its column sums + the thumbnail;
 * each rounded up. Computed from the header alone, before anything is allocated: the
 * thumbnail workload refuses an image whose cost is over its --decode-budget-mb. */
uint64_t image_thumb_bytes(const struct image_header *hd, size_t file_len, double sigma,
                           uint32_t tw, uint32_t th);

/* A text chunk (tEXt key/value) to write. */
struct image_text {
    const char *key, *value;
};

/* Encode im as an 8-bit RGB or RGBA, non-interlaced PNG in memory with the given zlib level
 * (0..9; -1: zlib's default), adding the text chunks (ntext may be 0) and nothing
 * time-dependent: the same pixels always give the same bytes. Returns 0 with *out a malloc'd
 * buffer of *len bytes (free it), or -ENOMEM / IMAGE_EBAD with a message in msg. */
int image_encode(const struct image *im, int level, const struct image_text *text,
                 unsigned ntext, uint8_t **out, size_t *len, char *msg);

/* Gaussian blur with standard deviation sigma, in place, done as Pillow's GaussianBlur does
 * it: three box blurs of the same fractional radius (computed from sigma as Pillow does),
 * first along rows then along columns, in 24-bit fixed point, edges extended. The cost per
 * pixel does not depend on sigma. Returns 0 or -ENOMEM. */
int image_blur(struct image *im, double sigma);

/* The same result computed the slow, obvious way, one pixel at a time (tests compare). */
int image_blur_reference(struct image *im, double sigma);

/* The size of a thumbnail that fits inside s x s, keeping the aspect ratio as Pillow's
 * Image.thumbnail rounds it (1920x1080 in 50 gives 50x28); never larger than the image. */
void image_thumb_size(uint32_t w, uint32_t h, uint32_t s, uint32_t *tw, uint32_t *th);

/* Shrink src to tw x th (each at most src's), each output pixel the exact, rounded average
 * of the source area it covers (fractional coverage at its edges). Fills *dst (its own
 * buffer). Returns 0, -EINVAL or -ENOMEM. */
int image_shrink(const struct image *src, uint32_t tw, uint32_t th, struct image *dst);

void image_free(struct image *im);

/* 64-bit FNV-1a of len bytes: the fingerprint of an output file. */
uint64_t image_checksum(const void *buf, size_t len);

/* ---- the corpus ---- */

/* The text chunk key every corpus image carries; its value names the parameters. */
#define CORPUS_MARK_KEY "concbench-corpus"
/* The text chunk key every thumbnail carries: how a thumbnail run recognises its own earlier
 * outputs, the only files it ever replaces. */
#define THUMB_MARK_KEY "concbench-thumbnail"
/* The largest corpus image made (8192 x 8192): generating one costs about 3 bytes a pixel and
 * a few seconds per 10^7 pixels, and decoding it must fit the default --decode-budget-mb. */
#define CORPUS_MAX_PIXELS (1ull << 26)

/* Write image k of the corpus (seed, w x h, 8-bit RGB, photograph-like: smooth gradients,
 * soft shapes, grain) as PNG into memory; the same arguments always give the same bytes.
 * Returns 0 with *out malloc'd (free it), or a negative errno. */
int corpus_image(uint64_t seed, unsigned k, uint32_t w, uint32_t h, uint8_t **out, size_t *len);

/* The file name of corpus image k: "img-0007.png". */
void corpus_name(unsigned k, char *name, size_t len);

/* Write n corpus images into dir (created, parents too, if missing), each through a
 * temporary name then renamed. Refuses (-EEXIST, message in err) when a file it would write
 * exists and is not a corpus PNG (checked by name and its marker chunk); such files are
 * never touched. Returns 0 or a negative errno with a message in err. Blocks on file I/O. */
int corpus_write(const char *dir, unsigned n, uint32_t w, uint32_t h, uint64_t seed, char *err,
                 size_t errlen);

/* True when path is a PNG holding the corpus marker chunk. */
int corpus_is_ours(const char *path);
/* True when path is a regular file (not followed through a symbolic link) that is a PNG with
 * a tEXt chunk of key `key` in its first KiB. */
int image_has_mark(const char *path, const char *key);

/* mkdir -p: create dir and its missing parents (mode 0777 & ~umask). 0 or negative errno. */
int image_mkdirs(const char *dir);

/* Read a whole regular file into a malloc'd buffer (EINTR retried). 0 or a negative errno:
 * -EISDIR for a folder, -EINVAL for anything else that is not a regular file (FIFO, device),
 * which is never opened for blocking reads; -EFBIG past IMAGE_FILE_MAX bytes. */
int image_read_file(const char *path, uint8_t **buf, size_t *len);

/* Write len bytes to dir/name (mode 0644) under a temporary name in dir (".NAME.XXXXXX"), then
 * rename it: a reader sees the whole file or none. No fsync: outputs are measured, not kept
 * safe across a crash. 0 or a negative errno; on failure the temporary file is removed. */
int image_write_file(const char *dir, const char *name, const void *data, size_t len);
/* The same, but an existing dir/name is replaced only when replaceable(path) says so (a
 * thumbnail of ours, image_has_mark): a new name is made with renameat2(RENAME_NOREPLACE), so a
 * file appearing meanwhile is not replaced either. -EEXIST when the file there is not
 * replaceable (it is left as it was). */
int image_write_file_guarded(const char *dir, const char *name, const void *data, size_t len,
                             int (*replaceable)(const char *path));

#endif
