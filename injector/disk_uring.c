/* SPDX-License-Identifier: Apache-2.0 */
#include "disk_uring.h"

#include <liburing.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>

#include "macro.h"
#include "time_util.h"

/* The longest the worker waits before it looks at the stop flag again. */
#define WAIT_SLICE_NS (10 * NSEC_PER_MSEC)
/* Layout writes are this large (or the buffer region, if smaller). */
#define LAYOUT_CHUNK (256 * 1024)
#define LAYOUT_DEPTH 8u

#ifndef MIN
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#endif
#define MAX(a, b) ((a) > (b) ? (a) : (b))
/* A rate-limited worker that fell this far behind (a stalled disk) does not
 * burst to catch up on all of it: its virtual clock restarts. */
#define RATE_MAX_BACKLOG_NS (500 * NSEC_PER_MSEC)
/* How long the worker waits for in-flight I/O when it stops (it is joined on the
 * event loop's thread). A device that has not answered by then may never: the
 * ring is closed anyway, and the kernel finishes or cancels what is in flight in
 * the background, the buffers staying pinned until it has. */
#define DRAIN_MAX_NS (1 * NSEC_PER_SEC)

struct uring_worker {
	struct uring_worker_config cfg;
	struct io_uring ring;
	bool ring_ready;
	void *buf; /* the registered region, page aligned */
	size_t buf_len;
	uint32_t nbufs; /* slots of block_size in buf */
	pthread_t thread;
	bool started;

	atomic_bool stop;
	atomic_int phase;
	atomic_uint_fast64_t ios, bytes, reads, writes, running_since_ns;
	atomic_int error;
	atomic_bool short_io;
};

/* Debian 12's liburing 2.3 declares io_uring_register_restrictions() and
 * io_uring_enable_rings() but its shared library does not export them (its
 * version script missed them), so the two registrations are made directly. */
static int ring_register(struct io_uring *ring, unsigned op, const void *arg, unsigned nr)
{
	long r = syscall(__NR_io_uring_register, ring->ring_fd, op, arg, nr);
	return r < 0 ? negative_errno() : 0;
}

static int ring_setup(struct io_uring *ring, unsigned entries, char *err, size_t errlen)
{
	struct io_uring_params p = {
		.flags = IORING_SETUP_R_DISABLED | IORING_SETUP_SINGLE_ISSUER |
			 IORING_SETUP_DEFER_TASKRUN,
	};
	int r = io_uring_queue_init_params(entries, ring, &p);

	if (r == -EINVAL) {
		/* A kernel before 6.1: no single issuer or deferred task work. */
		p = (struct io_uring_params){ .flags = IORING_SETUP_R_DISABLED };
		r = io_uring_queue_init_params(entries, ring, &p);
	}
	if (r == 0)
		return 0;

	_cleanup_fclose_ FILE *f = fopen("/proc/sys/kernel/io_uring_disabled", "re");
	int disabled = -1;
	if (f && fscanf(f, "%d", &disabled) != 1)
		disabled = -1;
	if (r == -ENOSYS)
		errbuf_set(err, errlen,
			   "io_uring is not available: io_uring_setup() failed with ENOSYS (a "
			   "kernel without CONFIG_IO_URING, or a seccomp profile that refuses it)");
	else if (r == -EPERM && disabled == 2)
		errbuf_set(
			err, errlen,
			"io_uring is disabled on this host (sysctl kernel.io_uring_disabled = 2)");
	else if (r == -EPERM && disabled == 1)
		errbuf_set(err, errlen,
			   "io_uring is restricted on this host (sysctl kernel.io_uring_disabled = "
			   "1) to members of kernel.io_uring_group, which the injector is not");
	else if (r == -EPERM)
		errbuf_set(err, errlen,
			   "io_uring_setup() was refused (EPERM) although kernel.io_uring_disabled "
			   "is %d: a seccomp profile (e.g. a container runtime's default) forbids "
			   "io_uring",
			   disabled);
	else
		errbuf_set(err, errlen, "io_uring_setup() of a %u-entry ring failed: %s", entries,
			   strerror(-r));
	return r;
}

/* READ_FIXED and WRITE_FIXED, on registered files only; no register op at all
 * once enabled. */
static int ring_restrict(struct io_uring *ring, char *err, size_t errlen)
{
	struct io_uring_restriction res[] = {
		{ .opcode = IORING_RESTRICTION_SQE_OP, .sqe_op = IORING_OP_READ_FIXED },
		{ .opcode = IORING_RESTRICTION_SQE_OP, .sqe_op = IORING_OP_WRITE_FIXED },
		{ .opcode = IORING_RESTRICTION_SQE_FLAGS_ALLOWED, .sqe_flags = IOSQE_FIXED_FILE },
		{ .opcode = IORING_RESTRICTION_SQE_FLAGS_REQUIRED, .sqe_flags = IOSQE_FIXED_FILE },
	};
	int r = ring_register(ring, IORING_REGISTER_RESTRICTIONS, res, ARRAY_SIZE(res));

	if (r < 0)
		errbuf_set(
			err, errlen, "io_uring_register_restrictions() failed: %s%s", strerror(-r),
			r == -EINVAL ? " (this kernel lacks io_uring restrictions, Linux 5.10+)" :
				       "");
	return r;
}

int uring_probe(char *err, size_t errlen)
{
	struct io_uring ring;
	int r = ring_setup(&ring, 1, err, errlen);

	if (r < 0)
		return r;
	r = ring_restrict(&ring, err, errlen);
	io_uring_queue_exit(&ring);
	return r;
}

int uring_worker_new(const struct uring_worker_config *cfg, struct uring_worker **ret, char *err,
		     size_t errlen)
{
	struct uring_worker *w;
	int r;

	if (cfg->block_size == 0 || cfg->queue_depth == 0 ||
	    cfg->queue_depth > URING_MAX_QUEUE_DEPTH || cfg->file_size < cfg->block_size ||
	    cfg->file_size % cfg->block_size || cfg->start_offset >= cfg->file_size) {
		errbuf_set(err, errlen, "invalid worker configuration");
		return -EINVAL;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->cfg = *cfg;
	w->nbufs = cfg->queue_depth;
	if ((uint64_t)w->nbufs * cfg->block_size > URING_BUFFER_BUDGET)
		w->nbufs = URING_BUFFER_BUDGET / cfg->block_size ?: 1;
	w->buf_len = (size_t)w->nbufs * cfg->block_size;
	/* The layout writes up to LAYOUT_CHUNK at a time from the same region. */
	if (cfg->layout && w->buf_len < LAYOUT_CHUNK) {
		w->nbufs = LAYOUT_CHUNK / cfg->block_size ?: 1;
		w->buf_len = (size_t)w->nbufs * cfg->block_size;
	}
	w->buf = mmap(NULL, w->buf_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (w->buf == MAP_FAILED) {
		w->buf = NULL;
		free(w);
		return -ENOMEM;
	}
	/* Data that no device can compress or deduplicate away. */
	uint64_t x = cfg->seed | 1;
	for (size_t i = 0; i < w->buf_len / sizeof(uint64_t); i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		((uint64_t *)w->buf)[i] = x;
	}

	r = ring_setup(&w->ring, MAX(cfg->queue_depth, LAYOUT_DEPTH), err, errlen);
	if (r < 0)
		goto fail;
	w->ring_ready = true;
	struct iovec iov = { .iov_base = w->buf, .iov_len = w->buf_len };
	r = io_uring_register_buffers(&w->ring, &iov, 1);
	if (r < 0) {
		errbuf_set(err, errlen,
			   "cannot register %zu bytes of I/O buffers with io_uring: %s%s",
			   w->buf_len, strerror(-r),
			   r == -ENOMEM ? " (pinned memory counts against RLIMIT_MEMLOCK)" : "");
		goto fail;
	}
	r = io_uring_register_files(&w->ring, &cfg->fd, 1);
	if (r < 0) {
		errbuf_set(err, errlen, "cannot register the file with io_uring: %s", strerror(-r));
		goto fail;
	}
	r = ring_restrict(&w->ring, err, errlen);
	if (r < 0)
		goto fail;
	atomic_init(&w->phase, cfg->layout ? URING_PHASE_LAYOUT : URING_PHASE_RUNNING);
	*ret = w;
	return 0;
fail:
	uring_worker_free(w);
	return r;
}

static uint64_t rng_next(uint64_t *s)
{
	/* xorshift64*: fast, and plenty for spreading offsets. */
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static void fail_with(struct uring_worker *w, int r, bool short_io)
{
	int expected = 0;
	if (atomic_compare_exchange_strong(&w->error, &expected, r))
		atomic_store(&w->short_io, short_io);
	atomic_store(&w->stop, true);
}

/* Submits what is queued and waits for up to wait_nr completions, at most
 * timeout_ns. Returns >= 0 or -errno (timeouts and interrupts are not errors). */
static int submit_wait(struct uring_worker *w, unsigned wait_nr, uint64_t timeout_ns)
{
	struct __kernel_timespec ts = {
		.tv_sec = (long long)(timeout_ns / NSEC_PER_SEC),
		.tv_nsec = (long long)(timeout_ns % NSEC_PER_SEC),
	};
	struct io_uring_cqe *cqe;
	int r = io_uring_submit_and_wait_timeout(&w->ring, &cqe, wait_nr, &ts, NULL);

	if (r == -ETIME || r == -EINTR || r == -EAGAIN || r == -EBUSY)
		return 0;
	return r;
}

/* user_data: bit 0 set for a write, the rest unused. */
static unsigned reap(struct uring_worker *w, bool timed)
{
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;
	uint64_t ios = 0, bytes = 0, reads = 0, writes = 0;

	io_uring_for_each_cqe(&w->ring, head, cqe)
	{
		n++;
		if (cqe->res < 0) {
			fail_with(w, cqe->res, false);
			continue;
		}
		/* Layout chunks are not counted, and the last one may be short. */
		if (cqe->user_data & 2)
			continue;
		if ((uint32_t)cqe->res != w->cfg.block_size) {
			fail_with(w, -EIO, true);
			continue;
		}
		if (!timed)
			continue;
		ios++;
		bytes += (uint64_t)cqe->res;
		if (cqe->user_data & 1)
			writes++;
		else
			reads++;
	}
	io_uring_cq_advance(&w->ring, n);
	if (ios) {
		atomic_fetch_add_explicit(&w->ios, ios, memory_order_relaxed);
		atomic_fetch_add_explicit(&w->bytes, bytes, memory_order_relaxed);
		atomic_fetch_add_explicit(&w->reads, reads, memory_order_relaxed);
		atomic_fetch_add_explicit(&w->writes, writes, memory_order_relaxed);
	}
	return n;
}

/* Waits for in-flight I/O; bounded (DRAIN_MAX_NS), since a dead device may
 * never answer. */
static void drain(struct uring_worker *w, unsigned *inflight, bool timed)
{
	uint64_t end = now_monotonic_ns() + DRAIN_MAX_NS;

	while (*inflight > 0 && now_monotonic_ns() < end) {
		if (submit_wait(w, 1, WAIT_SLICE_NS) < 0)
			break;
		*inflight -= reap(w, timed);
	}
}

/* Writes the file once, front to back, so that the timed reads reach the disk
 * (reading unwritten extents costs no I/O) and the timed writes are overwrites
 * (no extent conversion adding journal writes). */
static int layout(struct uring_worker *w)
{
	uint32_t chunk = w->buf_len < LAYOUT_CHUNK ? (uint32_t)w->buf_len : LAYOUT_CHUNK;
	uint32_t slots = (uint32_t)(w->buf_len / chunk);
	uint64_t off = 0;
	unsigned inflight = 0;
	uint32_t slot = 0;

	while (!atomic_load_explicit(&w->stop, memory_order_relaxed) &&
	       (off < w->cfg.file_size || inflight > 0)) {
		while (inflight < LAYOUT_DEPTH && off < w->cfg.file_size) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&w->ring);
			uint32_t len = (uint32_t)MIN((uint64_t)chunk, w->cfg.file_size - off);
			if (!sqe)
				break;
			io_uring_prep_write_fixed(sqe, 0, (char *)w->buf + (size_t)slot * chunk,
						  len, off, 0);
			sqe->flags |= IOSQE_FIXED_FILE;
			io_uring_sqe_set_data64(sqe, 2 | 1);
			slot = (slot + 1) % slots;
			off += len;
			inflight++;
		}
		int r = submit_wait(w, 1, WAIT_SLICE_NS);
		if (r < 0)
			return r;
		inflight -= reap(w, false);
	}
	drain(w, &inflight, false);
	return 0;
}

static void *worker_main(void *userdata)
{
	struct uring_worker *w = userdata;
	const struct uring_worker_config *c = &w->cfg;
	uint64_t nblocks = c->file_size / c->block_size;
	uint64_t rng = c->seed ?: 0x9E3779B97F4A7C15ULL;
	uint64_t seq = c->start_offset / c->block_size;
	unsigned inflight = 0;
	uint32_t slot = 0;
	int r;

	/* The restrictions are in place; from here the ring can do nothing else. */
	r = ring_register(&w->ring, IORING_REGISTER_ENABLE_RINGS, NULL, 0);
	if (r < 0) {
		fail_with(w, r, false);
		goto done;
	}
	if (c->layout) {
		r = layout(w);
		if (r < 0) {
			fail_with(w, r, false);
			goto done;
		}
		if (atomic_load(&w->stop))
			goto done;
	}

	/* The virtual clock: I/O number n is due at t0 + n / rate. */
	double interval_ns = c->rate_ops > 0 ? 1e9 / c->rate_ops : 0;
	uint64_t t0 = now_monotonic_ns(), issued = 0;
	atomic_store(&w->running_since_ns, t0);
	atomic_store(&w->phase, URING_PHASE_RUNNING);

	while (!atomic_load_explicit(&w->stop, memory_order_relaxed)) {
		uint64_t now = now_monotonic_ns();
		uint64_t due = 0;

		if (interval_ns > 0) {
			due = t0 + (uint64_t)llround((double)issued * interval_ns);
			if (now > due + RATE_MAX_BACKLOG_NS) {
				t0 = now;
				issued = 0;
				due = now;
			}
		}
		while (inflight < c->queue_depth && (interval_ns == 0 || due <= now)) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&w->ring);
			if (!sqe)
				break;
			uint64_t block = c->random ? rng_next(&rng) % nblocks : seq++ % nblocks;
			bool write = c->mode == URING_WRITE ||
				     (c->mode == URING_RANDRW && (rng_next(&rng) >> 63));
			void *b = (char *)w->buf + (size_t)slot * c->block_size;
			if (write)
				io_uring_prep_write_fixed(sqe, 0, b, c->block_size,
							  block * c->block_size, 0);
			else
				io_uring_prep_read_fixed(sqe, 0, b, c->block_size,
							 block * c->block_size, 0);
			sqe->flags |= IOSQE_FIXED_FILE;
			io_uring_sqe_set_data64(sqe, write ? 1 : 0);
			slot = slot + 1 == w->nbufs ? 0 : slot + 1;
			inflight++;
			issued++;
			if (interval_ns > 0)
				due = t0 + (uint64_t)llround((double)issued * interval_ns);
		}

		/* Wait for a completion, but never past the next due time or the next
		 * look at the stop flag. */
		uint64_t wait_ns = WAIT_SLICE_NS;
		if (interval_ns > 0 && inflight < c->queue_depth)
			wait_ns = due > now ? MIN(due - now, (uint64_t)WAIT_SLICE_NS) : 0;
		if (inflight == 0 && wait_ns > 0) {
			struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)wait_ns };
			io_uring_submit(&w->ring);
			clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
			continue;
		}
		r = submit_wait(w, 1, MAX(wait_ns, (uint64_t)NSEC_PER_USEC));
		if (r < 0) {
			fail_with(w, r, false);
			break;
		}
		inflight -= reap(w, true);
	}
	drain(w, &inflight, true);
done:
	atomic_store(&w->phase, URING_PHASE_DONE);
	return NULL;
}

int uring_worker_start(struct uring_worker *w)
{
	sigset_t all, old;
	int r;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = -pthread_create(&w->thread, NULL, worker_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r == 0)
		w->started = true;
	return r;
}

void uring_worker_request_stop(struct uring_worker *w)
{
	if (w)
		atomic_store(&w->stop, true);
}

void uring_worker_join(struct uring_worker *w)
{
	if (!w || !w->started)
		return;
	atomic_store(&w->stop, true);
	pthread_join(w->thread, NULL);
	w->started = false;
}

struct uring_worker *uring_worker_free(struct uring_worker *w)
{
	if (!w)
		return NULL;
	uring_worker_join(w);
	if (w->ring_ready)
		io_uring_queue_exit(&w->ring);
	if (w->buf)
		munmap(w->buf, w->buf_len);
	free(w);
	return NULL;
}

void uring_worker_stats(const struct uring_worker *w, struct uring_stats *ret)
{
	struct uring_worker *m = (struct uring_worker *)w; /* atomics are read-only here */

	*ret = (struct uring_stats){
		.phase = (enum uring_phase)atomic_load(&m->phase),
		.ios = atomic_load_explicit(&m->ios, memory_order_relaxed),
		.bytes = atomic_load_explicit(&m->bytes, memory_order_relaxed),
		.reads = atomic_load_explicit(&m->reads, memory_order_relaxed),
		.writes = atomic_load_explicit(&m->writes, memory_order_relaxed),
		.running_since_ns = atomic_load(&m->running_since_ns),
		.error = atomic_load(&m->error),
		.short_io = atomic_load(&m->short_io),
	};
}
