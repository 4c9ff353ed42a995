/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The io_uring engine of disk.pressure: one worker thread per ring, each on one
 * file, issuing fixed-size reads and/or writes from registered buffers into a
 * registered file.
 *
 * Every ring is created disabled (IORING_SETUP_R_DISABLED) by the caller's
 * thread, given its buffers and its one file, then restricted to READ_FIXED and
 * WRITE_FIXED on registered files only, with no register operation allowed
 * afterwards. The worker thread enables it (so that it is the ring's single
 * issuer) and is the only thread that touches it. Because io_uring operations
 * bypass seccomp, the restrictions are what keeps the ring to what it was made
 * for, even if the worker's code were subverted.
 *
 * Nothing here blocks the caller for long: creation is a few syscalls, and
 * uring_worker_stop() waits at most for the worker's in-flight I/O to drain.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum uring_mode {
	URING_READ,
	URING_WRITE,
	URING_RANDRW, /* each I/O a read or a write, at random, half and half */
};

enum uring_phase {
	URING_PHASE_LAYOUT, /* writing the file once, so that later I/O reaches the disk */
	URING_PHASE_RUNNING,
	URING_PHASE_DONE, /* stopped, or failed (see error) */
};

struct uring_worker_config {
	int fd; /* borrowed: the worker registers it; the caller may close it afterwards */
	uint64_t file_size; /* bytes used, a multiple of block_size */
	uint32_t block_size;
	uint32_t queue_depth; /* 1..URING_MAX_QUEUE_DEPTH */
	enum uring_mode mode;
	bool random; /* else sequential from start_offset, wrapping */
	bool layout; /* write the whole file once before the timed I/O */
	uint64_t start_offset; /* a multiple of block_size below file_size */
	double rate_ops; /* I/Os per second for this worker; 0: unlimited */
	uint64_t seed;
};

#define URING_MAX_QUEUE_DEPTH 4096
/* Registered buffers are pinned and count against RLIMIT_MEMLOCK (we keep no
 * CAP_IPC_LOCK): a worker registers at most this much, and in-flight I/Os beyond
 * it share buffers (their contents mean nothing to a load generator). */
#define URING_BUFFER_BUDGET (1024 * 1024)

/* Progress, read by another thread while the worker runs. */
struct uring_stats {
	enum uring_phase phase;
	uint64_t ios; /* completed timed I/Os (layout writes excluded) */
	uint64_t bytes;
	uint64_t reads, writes;
	uint64_t running_since_ns; /* CLOCK_MONOTONIC; 0 before the running phase */
	int error; /* 0, or the -errno that stopped the worker */
	bool short_io; /* the error was a short transfer, not an errno from the kernel */
};

struct uring_worker;

/*
 * Creates the worker's ring, registers its buffers and file and restricts it.
 * Does not start the thread. Returns 0 and *ret, or -errno with a message in err
 * that names the step that failed. Blocks only on the few syscalls involved.
 */
int uring_worker_new(const struct uring_worker_config *cfg, struct uring_worker **ret, char *err,
		     size_t errlen);

/* Starts the worker thread, with every signal blocked in it. Returns 0 or -errno. */
int uring_worker_start(struct uring_worker *w);

/* Asks the worker to stop; returns at once. */
void uring_worker_request_stop(struct uring_worker *w);

/* Stops the worker if it runs and waits for its thread (see below). Idempotent;
 * the stats stay readable afterwards. */
void uring_worker_join(struct uring_worker *w);

/*
 * Stops the worker if it runs (it notices within 10 ms, submits nothing more and
 * waits for what is in flight), joins it, closes the ring and frees everything.
 * Accepts NULL; returns NULL.
 */
struct uring_worker *uring_worker_free(struct uring_worker *w);

/* A consistent-enough snapshot of the worker's progress (each field is atomic). */
void uring_worker_stats(const struct uring_worker *w, struct uring_stats *ret);

/*
 * Checks that io_uring can be used here at all, with the restrictions we need,
 * without doing any I/O: a small disabled ring is created, restricted and closed.
 * Returns 0, or -errno with a message naming the cause (kernel.io_uring_disabled,
 * a seccomp profile, a kernel without restrictions).
 */
int uring_probe(char *err, size_t errlen);
