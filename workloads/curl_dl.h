/* curl_dl.h — libcurl loaded on demand with dlopen, through a table of function pointers.
 *
 * concbench does not link libcurl: a process that never fetches a URL does not map it (and the
 * ~30 libraries it pulls in), which keeps every fork of the processes model cheap. The curl
 * headers still give the types and constants; only the calls go through `curl_dl`. */
#ifndef CONCBENCH_CURL_DL_H
#define CONCBENCH_CURL_DL_H

#include <curl/curl.h>
#include <stddef.h>

#define CURL_DL_SONAME "libcurl.so.4"

/* The libcurl functions concbench calls, each with its libcurl signature (curl_<name>). */
struct curl_dl {
    CURLcode (*global_init)(long flags);
    void (*global_cleanup)(void);
    char *(*version)(void);
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *h, CURLoption opt, ...);
    CURLcode (*easy_perform)(CURL *h);
    CURLcode (*easy_getinfo)(CURL *h, CURLINFO info, ...);
    void (*easy_reset)(CURL *h);
    void (*easy_cleanup)(CURL *h);
    const char *(*easy_strerror)(CURLcode rc);
    CURLM *(*multi_init)(void);
    CURLMcode (*multi_setopt)(CURLM *m, CURLMoption opt, ...);
    CURLMcode (*multi_add_handle)(CURLM *m, CURL *h);
    CURLMcode (*multi_remove_handle)(CURLM *m, CURL *h);
    CURLMcode (*multi_socket_action)(CURLM *m, curl_socket_t fd, int ev_bitmask, int *running);
    CURLMsg *(*multi_info_read)(CURLM *m, int *msgs_in_queue);
    CURLMcode (*multi_cleanup)(CURLM *m);
};

/* The table; every slot is valid once curl_dl_load() has returned 0, and must not be used
 * before. Read-only for everyone but curl_dl_load(). */
extern struct curl_dl curl_dl;

/* Load libcurl.so.4 (RTLD_NOW | RTLD_LOCAL) and fill `curl_dl`; the first call does the work,
 * later ones (any thread) return the first one's outcome without loading again. The library
 * stays loaded until the process exits. Returns 0, or -ENOENT with a message in err (len bytes)
 * saying what is missing and how to install it. Call it before using `curl_dl` and before any
 * thread or fork that will use it (the http workload's set-up does). Blocks only on the loader. */
int curl_dl_load(char *err, size_t len);

#endif
