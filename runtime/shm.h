/* shm.h — anonymous MAP_SHARED memory: what a forked child writes, its parent reads. */
#ifndef CONCBENCH_SHM_H
#define CONCBENCH_SHM_H

#include <stddef.h>

/* Zeroed memory shared with every process forked after the call. NULL (errno set) on failure.
 * Any thread may call it. Free with shm_free and the same size. */
void *shm_alloc(size_t size);
void shm_free(void *p, size_t size);

#endif
