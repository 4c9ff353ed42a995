/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The write-ahead journal. journal.h describes the file layout, the record format
 * and the locking; this file adds the implementation details:
 *
 * - Trust: at recovery the records drive privileged undo actions (resume pids,
 *   delete qdiscs, restore io.max lines, remove fill files), so a forged record
 *   would be a privilege escalation. The directory must therefore be owned by our
 *   euid and writable by nobody else, every entry is opened relative to it with
 *   O_NOFOLLOW, and only regular files we own and nobody else can write are read.
 * - Lock dance: between open() and flock() another process may unlink or rename
 *   the file (a recovery finishing an orphan). After locking we check that the
 *   name still refers to the inode we locked, and retry or skip when it does not.
 * - A short write or a failed fdatasync() cuts the file back to its previous end,
 *   so a partial line never glues itself to the next record.
 */
#include <assert.h>
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

#include "journal.h"
#include "log.h"
#include "macro.h"

#define JOURNAL_PREFIX "journal."
#define JOURNAL_SUFFIX ".jsonl"
/* No run journals this much; recovery must not allocate without bound for a bad file. */
#define JOURNAL_MAX_SIZE ((off_t)64 << 20)

struct journal {
	int dir_fd;
	int fd;
	char *name; /* "journal.<pid>.jsonl", relative to dir_fd */
	char *path;
	uint64_t seq; /* of the last record written */
	off_t size; /* end of the last complete record */
};

/* json_decrefp() comes with jansson (for its json_auto_t). */
#define _cleanup_json_ _cleanup_(json_decrefp)

static inline void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

static const char *const record_names[] = {
	[JOURNAL_INTENT] = "intent",
	[JOURNAL_APPLIED] = "applied",
	[JOURNAL_REVERTED] = "reverted",
	[JOURNAL_FAILED] = "failed",
};

const char *journal_record_type_to_string(enum journal_record_type t)
{
	if ((unsigned)t >= ARRAY_SIZE(record_names))
		return NULL;
	return record_names[t];
}

static int record_type_from_string(const char *s)
{
	for (size_t i = 0; s && i < ARRAY_SIZE(record_names); i++)
		if (streq(s, record_names[i]))
			return (int)i;
	return -EINVAL;
}

static json_int_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (json_int_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Opens dir; with trusted, also checks that nobody but our euid can change it. */
static int open_dir(const char *dir, bool create, bool trusted, int *ret_fd)
{
	struct stat st;

	if (create && mkdir(dir, 0700) < 0 && errno != EEXIST)
		return negative_errno();
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return negative_errno();
	if (trusted) {
		if (fstat(fd, &st) < 0)
			return negative_errno();
		if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH)))
			return log_debug_errno(EPERM, "journal: %s is writable by others", dir);
	}
	*ret_fd = TAKE_FD(fd);
	return 0;
}

/* flock(LOCK_NB), retried a few times: a journal_live_instances() probe or a journal
 * being set aside holds a lock for microseconds, and must not make us take a dead
 * injector's journal for a live one. Returns 0, -EAGAIN when it stays held, or -errno. */
static int lock_retry(int fd, int op, unsigned tries, unsigned delay_ms)
{
	for (unsigned i = 0;; i++) {
		if (flock(fd, op | LOCK_NB) >= 0)
			return 0;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return negative_errno();
		if (i + 1 >= tries)
			return -EAGAIN;
		sleep_ms(delay_ms);
	}
}

/* 1 when name in dir still refers to the file open as fd, 0 when it was unlinked or
 * replaced since we opened it, or -errno. */
static int still_linked(int dir_fd, const char *name, int fd)
{
	struct stat a, b;

	if (fstat(fd, &a) < 0)
		return negative_errno();
	if (fstatat(dir_fd, name, &b, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : negative_errno();
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static int write_all_at(int fd, const char *buf, size_t len, off_t off)
{
	while (len > 0) {
		ssize_t n = pwrite(fd, buf, len, off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return negative_errno();
		}
		if (n == 0)
			return -EIO;
		buf += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

/* Writes one record line at *size and waits for it to be durable; advances *size. */
static int write_record(int fd, off_t *size, uint64_t seq, const char *rec, const char *fault,
			const char *kind, json_int_t session, json_int_t uid, const json_t *data)
{
	/* "O?" takes a reference; the count is bookkeeping, data itself is not changed. */
	_cleanup_json_ json_t *o =
		json_pack("{s:I,s:I,s:s,s:s,s:s,s:I,s:I,s:O?}", "seq", (json_int_t)seq, "ts",
			  now_ms(), "rec", rec, "fault", fault, "kind", kind, "session", session,
			  "uid", uid, "data", (json_t *)data);
	if (!o)
		return -EINVAL; /* a string that is not UTF-8 */
	_cleanup_free_ char *s = json_dumps(o, JSON_COMPACT);
	if (!s)
		return -ENOMEM;
	size_t len = strlen(s);
	_cleanup_free_ char *line = malloc(len + 1);
	if (!line)
		return -ENOMEM;
	memcpy(line, s, len);
	line[len++] = '\n';

	int r = write_all_at(fd, line, len, *size);
	if (r >= 0 && fdatasync(fd) < 0)
		r = negative_errno();
	if (r < 0) {
		if (ftruncate(fd, *size) < 0)
			log_debug_errno(errno, "journal: cannot cut back a partial record");
		return r;
	}
	*size += (off_t)len;
	return 0;
}

/*
 * A non-empty, unlocked file with our pid was left by an earlier process with the
 * same pid whose journal was never recovered (or whose recovery failed). Its records
 * may be the only undo state of faults still in the kernel, so it is never truncated:
 * it is renamed to "journal.<pid>.<ms>.jsonl", which recovery still replays. We hold
 * its lock across the rename, so no recovery is reading it meanwhile.
 */
static int set_aside(int dir_fd, const char *name)
{
	_cleanup_free_ char *aside = NULL;

	if (asprintf(&aside, JOURNAL_PREFIX "%d.%" PRId64 JOURNAL_SUFFIX, (int)getpid(),
		     (int64_t)now_ms()) < 0)
		return -ENOMEM;
	if (renameat2(dir_fd, name, dir_fd, aside, RENAME_NOREPLACE) < 0)
		return log_debug_errno(errno, "journal: cannot set %s aside", name);
	log_debug("journal: kept an unrecovered journal of pid %d as %s", (int)getpid(), aside);
	return 0;
}

int journal_open(const char *dir, struct journal **ret)
{
	_cleanup_close_ int dir_fd = -1, fd = -1;
	_cleanup_free_ char *name = NULL, *path = NULL;
	struct stat st;
	int r;

	r = open_dir(dir, true, true, &dir_fd);
	if (r < 0)
		return r;
	if (asprintf(&name, JOURNAL_PREFIX "%d" JOURNAL_SUFFIX, (int)getpid()) < 0)
		return -ENOMEM;
	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return -ENOMEM;

	for (unsigned attempt = 0;; attempt++) {
		fd = safe_close(fd);
		if (attempt >= 8)
			return -EBUSY;
		/* O_NONBLOCK: a FIFO planted here must fail, not hang us. */
		fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
			    0600);
		if (fd < 0)
			return negative_errno();
		/* Held for a second at most by a probe or a recovery; held for longer, it is an
		 * injector in another pid namespace with our pid sharing this dir. */
		r = lock_retry(fd, LOCK_EX, 50, 20);
		if (r == -EAGAIN)
			return -EBUSY;
		if (r < 0)
			return r;
		r = still_linked(dir_fd, name, fd);
		if (r < 0)
			return r;
		if (r == 0)
			continue;
		if (fstat(fd, &st) < 0)
			return negative_errno();
		if (!S_ISREG(st.st_mode))
			return -EEXIST;
		if (st.st_size == 0)
			break;
		r = set_aside(dir_fd, name);
		if (r < 0)
			return r;
	}
	if (fchmod(fd, 0600) < 0 || fsync(dir_fd) < 0)
		return negative_errno();

	struct journal *j = malloc(sizeof(*j));
	if (!j)
		return -ENOMEM;
	*j = (struct journal){ .dir_fd = TAKE_FD(dir_fd),
			       .fd = TAKE_FD(fd),
			       .name = TAKE_PTR(name),
			       .path = TAKE_PTR(path) };
	*ret = j;
	return 0;
}

int journal_append(struct journal *j, enum journal_record_type type, const char *fault_id,
		   const char *kind, uint64_t session_id, uint32_t uid, const json_t *data)
{
	const char *rec = journal_record_type_to_string(type);
	int r;

	assert(j);
	if (!rec || !fault_id || !*fault_id || !kind || !*kind || session_id > INT64_MAX)
		return -EINVAL;
	r = write_record(j->fd, &j->size, j->seq + 1, rec, fault_id, kind, (json_int_t)session_id,
			 uid, data);
	if (r < 0)
		return log_debug_errno(r, "journal: cannot append %s of %s", rec, fault_id);
	j->seq++;
	return 0;
}

int journal_truncate(struct journal *j)
{
	assert(j);
	if (ftruncate(j->fd, 0) < 0 || fdatasync(j->fd) < 0)
		return negative_errno();
	j->size = 0; /* seq goes on, so records stay ordered across truncations */
	return 0;
}

const char *journal_path(const struct journal *j)
{
	return j->path;
}

struct journal *journal_close(struct journal *j, bool remove)
{
	if (!j)
		return NULL;
	/* Unlink while still holding the lock: an unlocked file would look like an orphan. */
	if (remove && unlinkat(j->dir_fd, j->name, 0) >= 0)
		(void)fsync(j->dir_fd);
	safe_close(j->fd);
	safe_close(j->dir_fd);
	free(j->name);
	free(j->path);
	return mfree(j);
}

/* A DIR stream over its own duplicate of dir_fd, so that dir_fd stays usable for *at(). */
static int opendir_at(int dir_fd, DIR **ret)
{
	int fd = fcntl(dir_fd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return negative_errno();
	DIR *d = fdopendir(fd);
	if (!d) {
		int r = negative_errno();
		safe_close(fd);
		return r;
	}
	*ret = d;
	return 0;
}

static bool is_journal_name(const char *name)
{
	size_t n = strlen(name), p = strlen(JOURNAL_PREFIX), s = strlen(JOURNAL_SUFFIX);

	return n > p + s && strncmp(name, JOURNAL_PREFIX, p) == 0 &&
	       streq(name + n - s, JOURNAL_SUFFIX);
}

/* Only "journal.<pid>.jsonl" names a live instance; a set-aside file never does. */
static bool pid_from_name(const char *name, int *ret_pid)
{
	const char *p = name + strlen(JOURNAL_PREFIX);
	long long pid = 0;

	if (!is_journal_name(name) || *p == '0')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		pid = pid * 10 + (*p - '0');
		if (pid > INT_MAX)
			return false;
	}
	if (pid <= 0 || !streq(p, JOURNAL_SUFFIX))
		return false;
	*ret_pid = (int)pid;
	return true;
}

static int read_all(int fd, size_t size, char **ret_buf, size_t *ret_len)
{
	_cleanup_free_ char *buf = malloc(size + 1);
	size_t len = 0;

	if (!buf)
		return -ENOMEM;
	while (len < size) {
		ssize_t n = pread(fd, buf + len, size - len, (off_t)len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return negative_errno();
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*ret_len = len;
	*ret_buf = TAKE_PTR(buf);
	return 0;
}

/*
 * Folds the records, in file order, into an object: fault id -> the record to undo it
 * with. intent and applied enter it, reverted and failed remove it. An intent that
 * follows an applied record without a revert in between keeps the applied record: it
 * names what really is in the kernel. The object keeps insertion order, so it lists
 * the outstanding faults in the order their last cycle began. Sets *ret_good_len to the
 * end of the last complete line and *ret_max_seq to the highest seq seen.
 */
static json_t *fold_records(const char *buf, size_t len, size_t *ret_good_len,
			    uint64_t *ret_max_seq, unsigned *torn)
{
	json_t *pending = json_object();
	size_t off = 0;

	if (!pending)
		return NULL;
	*ret_max_seq = 0;
	while (off < len) {
		const char *nl = memchr(buf + off, '\n', len - off);
		if (!nl) {
			(*torn)++; /* the crash hit during the write() */
			break;
		}
		size_t n = (size_t)(nl - (buf + off));
		const char *at = buf + off;
		off += n + 1;
		if (n == 0)
			continue;

		_cleanup_json_ json_t *rec = json_loadb(at, n, JSON_REJECT_DUPLICATES, NULL);
		json_t *seq = json_object_get(rec, "seq");
		const char *fault = json_string_value(json_object_get(rec, "fault"));
		int type = record_type_from_string(json_string_value(json_object_get(rec, "rec")));
		if (!json_is_object(rec) || !json_is_integer(seq) || !fault || !*fault ||
		    type < 0 || !json_is_string(json_object_get(rec, "kind"))) {
			(*torn)++;
			continue;
		}
		if (json_integer_value(seq) > 0 && (uint64_t)json_integer_value(seq) > *ret_max_seq)
			*ret_max_seq = (uint64_t)json_integer_value(seq);

		const char *cur =
			json_string_value(json_object_get(json_object_get(pending, fault), "rec"));
		if (type == JOURNAL_REVERTED || type == JOURNAL_FAILED)
			json_object_del(pending, fault);
		else if (type == JOURNAL_APPLIED || !streq_ptr(cur, "applied"))
			json_object_set(pending, fault, rec);
	}
	*ret_good_len = off; /* a torn tail stays outside */
	return pending;
}

/* Replays one candidate file. Returns 0 when it is done with or not ours to touch,
 * -EAGAIN when some fault could not be undone (the file is kept), or -errno. */
static int recover_one(int dir_fd, const char *name, journal_undo_cb cb, void *userdata,
		       struct journal_recovery_stats *stats)
{
	_cleanup_free_ char *buf = NULL;
	_cleanup_free_ const char **ids = NULL;
	_cleanup_free_ json_t **recs = NULL;
	_cleanup_json_ json_t *pending = NULL;
	size_t len, good_len, n = 0;
	uint64_t seq;
	struct stat st;
	unsigned failed = 0;
	int r;

	if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
		return 0;
	_cleanup_close_ int fd = openat(dir_fd, name, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ELOOP ? 0 : negative_errno();
	if (fstat(fd, &st) < 0)
		return negative_errno();
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		log_debug("journal: ignoring %s, not a private regular file of ours", name);
		return 0;
	}
	r = lock_retry(fd, LOCK_EX, 5, 10);
	if (r == -EAGAIN)
		return 0; /* a live injector's journal, maybe our own */
	if (r < 0)
		return r;
	r = still_linked(dir_fd, name, fd);
	if (r <= 0)
		return r; /* another recovery finished it, or it was set aside */

	stats->journals++;
	if (fstat(fd, &st) < 0)
		return negative_errno();
	if (st.st_size > JOURNAL_MAX_SIZE)
		return log_debug_errno(EFBIG, "journal: %s is too large, kept", name);
	r = read_all(fd, (size_t)st.st_size, &buf, &len);
	if (r < 0)
		return r;
	pending = fold_records(buf, len, &good_len, &seq, &stats->torn);
	if (!pending)
		return -ENOMEM;

	size_t count = json_object_size(pending);
	const char *id;
	json_t *rec;
	ids = calloc(count + 1, sizeof(*ids));
	recs = calloc(count + 1, sizeof(*recs));
	if (!ids || !recs)
		return -ENOMEM;
	json_object_foreach(pending, id, rec) {
		ids[n] = id;
		recs[n++] = rec;
	}

	/* Undo the most recent first, as a stack: a later fault may sit on an earlier one. */
	for (size_t i = n; i-- > 0;) {
		r = cb(recs[i], userdata);
		if (r < 0) {
			log_debug_errno(r, "journal: %s: cannot undo fault %s", name, ids[i]);
			stats->failed++;
			failed++;
			recs[i] = NULL;
		} else {
			stats->undone++;
		}
	}

	if (failed == 0) {
		if (unlinkat(dir_fd, name, 0) < 0)
			return negative_errno();
		(void)fsync(dir_fd);
		return 0;
	}

	/* Keep the file, but record what was undone so that a retry only redoes the rest.
	 * A torn tail is cut first, or our records would be glued to it. */
	off_t size = (off_t)good_len;
	if (size < st.st_size && ftruncate(fd, size) < 0)
		return negative_errno();
	for (size_t i = 0; i < n; i++) {
		if (!recs[i])
			continue;
		json_t *s = json_object_get(recs[i], "session"),
		       *u = json_object_get(recs[i], "uid");
		r = write_record(fd, &size, ++seq, "reverted", ids[i],
				 json_string_value(json_object_get(recs[i], "kind")),
				 json_integer_value(s), json_integer_value(u), NULL);
		if (r < 0)
			return r;
	}
	return -EAGAIN;
}

int journal_recover(const char *dir, journal_undo_cb cb, void *userdata,
		    struct journal_recovery_stats *ret_stats)
{
	struct journal_recovery_stats stats = {};
	_cleanup_close_ int dir_fd = -1;
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *de;
	int r, result = 0;

	assert(cb);
	r = open_dir(dir, false, true, &dir_fd);
	if (r == -ENOENT) {
		if (ret_stats)
			*ret_stats = stats;
		return 0;
	}
	if (r < 0)
		return r;
	r = opendir_at(dir_fd, &d);
	if (r < 0)
		return r;

	for (errno = 0; (de = readdir(d)); errno = 0) {
		if (!is_journal_name(de->d_name))
			continue;
		r = recover_one(dir_fd, de->d_name, cb, userdata, &stats);
		if (r < 0)
			log_debug_errno(r, "journal: recovery of %s incomplete", de->d_name);
		/* A file we could not read at all outranks faults that could not be undone. */
		if (r < 0 && (result == 0 || result == -EAGAIN))
			result = r;
	}
	if (errno > 0 && result >= 0)
		result = -errno;
	/* Filled also on failure: the counts are what the caller reports. */
	if (ret_stats)
		*ret_stats = stats;
	return result;
}

int journal_live_instances(const char *dir, int *ret_pids, size_t max)
{
	_cleanup_close_ int dir_fd = -1;
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *de;
	size_t n = 0;
	int r, pid;

	/* Read-only information, so no ownership check on dir here. */
	r = open_dir(dir, false, false, &dir_fd);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	r = opendir_at(dir_fd, &d);
	if (r < 0)
		return r;

	for (errno = 0; n < max && (de = readdir(d)); errno = 0) {
		if (!pid_from_name(de->d_name, &pid))
			continue;
		_cleanup_close_ int fd =
			openat(dir_fd, de->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		struct stat st;
		if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		/* A shared lock: probes never block each other. close() drops it at once. */
		if (flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK)
			ret_pids[n++] = pid;
	}
	if (errno > 0)
		return -errno;
	return (int)n;
}
