/* curl_dl.c — loads libcurl.so.4 on first use and fills the table of its functions (curl_dl.h). */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "workloads/curl_dl.h"

struct curl_dl curl_dl;

/* Each slot of struct curl_dl and the libcurl symbol that fills it. */
#define CURL_DL_SYM(slot) { "curl_" #slot, offsetof(struct curl_dl, slot) }
static const struct {
    const char *name;
    size_t off;
} curl_dl_syms[] = {
    CURL_DL_SYM(global_init),
    CURL_DL_SYM(global_cleanup),
    CURL_DL_SYM(version),
    CURL_DL_SYM(easy_init),
    CURL_DL_SYM(easy_setopt),
    CURL_DL_SYM(easy_perform),
    CURL_DL_SYM(easy_getinfo),
    CURL_DL_SYM(easy_reset),
    CURL_DL_SYM(easy_cleanup),
    CURL_DL_SYM(easy_strerror),
    CURL_DL_SYM(multi_init),
    CURL_DL_SYM(multi_setopt),
    CURL_DL_SYM(multi_add_handle),
    CURL_DL_SYM(multi_remove_handle),
    CURL_DL_SYM(multi_socket_action),
    CURL_DL_SYM(multi_info_read),
    CURL_DL_SYM(multi_cleanup),
};

/* Every slot is named above (a new slot without a row would stay NULL). */
_Static_assert(sizeof(struct curl_dl) == sizeof curl_dl_syms / sizeof curl_dl_syms[0] *
               sizeof(void (*)(void)), "struct curl_dl and curl_dl_syms disagree");
_Static_assert(sizeof(void *) == sizeof(void (*)(void)), "dlsym needs data-sized code pointers");

static pthread_once_t curl_dl_once = PTHREAD_ONCE_INIT;
static int curl_dl_result;              /* the first load's outcome: 0 or -errno */
static char curl_dl_msg[512];           /* and its message when it failed */

static void curl_dl_do_load(void)
{
    struct curl_dl t;
    void *lib = dlopen(CURL_DL_SONAME, RTLD_NOW | RTLD_LOCAL);

    if (!lib) {
        snprintf(curl_dl_msg, sizeof curl_dl_msg,
                 "cannot load " CURL_DL_SONAME ": %s (apt-get install libcurl4)", dlerror());
        curl_dl_result = -ENOENT;
        return;
    }
    for (size_t k = 0; k < sizeof curl_dl_syms / sizeof curl_dl_syms[0]; k++) {
        void *f;
        dlerror();
        if (!(f = dlsym(lib, curl_dl_syms[k].name))) {
            const char *why = dlerror();
            snprintf(curl_dl_msg, sizeof curl_dl_msg,
                     CURL_DL_SONAME " has no %s (%s): libcurl too old? (apt-get install libcurl4)",
                     curl_dl_syms[k].name, why ? why : "null symbol");
            dlclose(lib);
            curl_dl_result = -ENOENT;
            return;
        }
        memcpy((char *)&t + curl_dl_syms[k].off, &f, sizeof f);
    }
    curl_dl = t;        /* published whole: no half-filled table is ever visible */
    curl_dl_result = 0;
}

int curl_dl_load(char *err, size_t len)
{
    pthread_once(&curl_dl_once, curl_dl_do_load);
    if (curl_dl_result < 0 && err && len)
        snprintf(err, len, "%s", curl_dl_msg);
    return curl_dl_result;
}
