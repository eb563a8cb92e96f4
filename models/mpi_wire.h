/* mpi_wire.h — what the mpi model's processes say to each other: the launcher (models/mpi.c, in
 * concbench's own process, never linked with libmpi), the dispatcher (rank 0 of the job) and
 * the worker ranks 1..W (both models/mpi_rank.c, bin/concbench-rank).
 *
 *   launcher <-- abstract Unix socket --> dispatcher (rank 0, on the launcher's host)
 *   dispatcher <-- MPI point-to-point --> workers (any host)
 *
 * Frames on the socket are a struct mpi_frame followed by `bytes` bytes. Worker messages over
 * MPI are a struct mpi_batch followed by its results and error texts. Every process is the
 * same binary build of the same tree, so the structures travel as they are. */
#ifndef CONCBENCH_MPI_WIRE_H
#define CONCBENCH_MPI_WIRE_H

#include <stdint.h>

#include "workloads/workload.h"

#define MPI_WIRE_VERSION 1

/* Socket frame types. */
enum {
    /* launcher -> any local rank, at once on connect: the workload's shared mappings (fds by
     * SCM_RIGHTS; the payload is uint64 sizes, in the order the launcher's set-up made them) */
    MPI_F_SHM = 1,
    /* dispatcher -> launcher */
    MPI_F_READY,        /* payload: struct mpi_ready, then `ranks` x struct mpi_rank_info */
    MPI_F_FAIL,         /* payload: text (a rank's set-up failed, or the job cannot run) */
    MPI_F_ASSIGN,       /* a = worker rank, b = lo, c = hi: tasks [lo, hi) handed to it */
    MPI_F_RESULTS,      /* a = worker rank; payload: struct mpi_batch + results + errors */
    MPI_F_DONE,         /* payload: struct mpi_done */
    /* launcher -> dispatcher */
    MPI_F_GO,           /* t = the batch start on the shared CLOCK_MONOTONIC */
    MPI_F_CANCEL,
    /* a worker rank -> launcher, first thing on connect: a = its rank (to receive MPI_F_SHM) */
    MPI_F_HELLO,
};

struct mpi_frame {
    uint32_t type;
    uint32_t a;
    uint64_t b, c;
    double t;
    uint64_t bytes;     /* payload that follows */
};

/* One task's result as it travels (struct task_result without its error pointer). */
struct mpi_result {
    double start_s, end_s;      /* offsets from the batch start, on the launcher's clock */
    int32_t status;
    uint32_t index;
    uint64_t value;
    int64_t extra[3];
};

/* The error text of a failed task, after the results of a batch. */
struct mpi_error {
    uint32_t index;
    uint32_t pad;
    struct task_error e;
};

/* A worker's message to the dispatcher (MPI tag MPI_TAG_RESULTS), forwarded to the launcher. */
struct mpi_batch {
    uint32_t results, errors;   /* counts that follow */
    uint32_t want_more;         /* 1: this ends its range, send the next one */
    uint32_t last;              /* 1: its final message (no more ranges): the CPU figures hold */
    double cpu_user_s, cpu_sys_s;   /* the worker's CPU during the batch (last message) */
    int64_t max_rss_kb;         /* the worker's peak RSS (last message) */
};

/* MPI tags. */
enum {
    MPI_TAG_READY = 1,  /* worker -> dispatcher: struct mpi_rank_info */
    MPI_TAG_PING,       /* clock offset ping-pong: double */
    MPI_TAG_GO,         /* dispatcher -> worker: double t0 on the dispatcher's clock */
    MPI_TAG_RANGE,      /* dispatcher -> worker: uint64 lo, hi; lo == hi: no more */
    MPI_TAG_RESULTS,    /* worker -> dispatcher: struct mpi_batch + ... */
};

/* What a rank reports once it is set up. */
struct mpi_rank_info {
    int32_t rank, ok;
    int32_t pid, local;         /* local: it received the launcher's shared mappings */
    int32_t same_clock;         /* its CLOCK_MONOTONIC is the dispatcher's (same boot id) */
    int32_t pad;
    double offset_s;            /* its clock minus the dispatcher's (0 when same_clock) */
    double rtt_s;               /* the best ping-pong round trip that measured it */
    char host[64];
    char err[256];              /* set-up error when !ok */
};

struct mpi_ready {
    uint32_t ranks;             /* infos that follow (the dispatcher's own first) */
    uint32_t hosts;             /* distinct host names */
};

struct mpi_done {
    double cpu_user_s, cpu_sys_s;   /* every rank's CPU during the batch, dispatcher included */
    double dispatcher_cpu_s;        /* the dispatcher's alone */
    double dispatcher_wall_s;       /* from GO to the end */
    int64_t max_rss_kb, sum_rss_kb;
    uint64_t messages;              /* worker messages the dispatcher received */
};

#endif
