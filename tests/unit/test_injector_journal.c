/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the write-ahead journal. Orphans are made the way they happen in
 * production: a forked child opens a journal, writes records and dies without
 * closing it, so the kernel drops its lock. Each test works in its own directory.
 */
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <cmocka.h>

#include "journal.h"
#include "macro.h"

struct fixture {
	char dir[64];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	strcpy(f->dir, "/tmp/faultline-journal-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	*state = f;
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	chmod(f->dir, 0700);
	nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static char *path_in(const char *dir, const char *name)
{
	char *p;

	assert_true(asprintf(&p, "%s/%s", dir, name) > 0);
	return p;
}

static char *journal_name_of(const char *dir, pid_t pid)
{
	char *p;

	assert_true(asprintf(&p, "%s/journal.%d.jsonl", dir, (int)pid) > 0);
	return p;
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static size_t count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void write_file(const char *path, const char *text, int flags, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | flags, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0;

	assert_non_null(f);
	assert_non_null(buf = calloc(1, 1 << 16));
	len = fread(buf, 1, (1 << 16) - 1, f);
	buf[len] = '\0';
	fclose(f);
	return buf;
}

/* Every line of the file, parsed; fails the test on a line that does not parse. */
static json_t *read_records(const char *path)
{
	char *text = read_text(path), *line, *save = NULL;
	json_t *arr = json_array();
	size_t len = strlen(text);

	assert_true(len == 0 || text[len - 1] == '\n');
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_t *rec = json_loads(line, JSON_REJECT_DUPLICATES, NULL);
		assert_non_null(rec);
		json_array_append_new(arr, rec);
	}
	free(text);
	return arr;
}

static const char *str_at(json_t *arr, size_t i, const char *key)
{
	return json_string_value(json_object_get(json_array_get(arr, i), key));
}

static json_int_t int_at(json_t *arr, size_t i, const char *key)
{
	return json_integer_value(json_object_get(json_array_get(arr, i), key));
}

/* Records every call, and fails for one fault id. */
struct undo_log {
	json_t *calls;
	const char *fail_fault;
};

static int undo_cb(const json_t *record, void *userdata)
{
	struct undo_log *u = userdata;
	const char *fault = json_string_value(json_object_get(record, "fault"));

	json_array_append_new(u->calls, json_deep_copy(record));
	return streq_ptr(fault, u->fail_fault) ? -EIO : 0;
}

/* Forks a child that opens a journal in dir, runs fn, and dies without closing it. */
typedef int (*child_fn)(struct journal *j);

static pid_t make_orphan(const char *dir, child_fn fn)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		struct journal *j;
		if (journal_open(dir, &j) < 0)
			_exit(2);
		_exit(fn(j) < 0 ? 3 : 0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	return pid;
}

static int append_abc(struct journal *j)
{
	json_t *plan = json_pack("{s:[i,i]}", "pids", 100, 101);
	json_t *undo = json_pack("{s:[i,i],s:s}", "pids", 100, 101, "sig", "CONT");
	int r = 0;

	r = r ?: journal_append(j, JOURNAL_INTENT, "A", "process.pause", 7, 1000, plan);
	r = r ?: journal_append(j, JOURNAL_APPLIED, "A", "process.pause", 7, 1000, undo);
	r = r ?: journal_append(j, JOURNAL_INTENT, "B", "disk.fill", 7, 1000, NULL);
	r = r ?: journal_append(j, JOURNAL_APPLIED, "B", "disk.fill", 7, 1000, NULL);
	r = r ?: journal_append(j, JOURNAL_REVERTED, "B", "disk.fill", 7, 1000, NULL);
	r = r ?: journal_append(j, JOURNAL_INTENT, "C", "network", 8, 0, plan);
	json_decref(plan);
	json_decref(undo);
	return r;
}

static void test_record_type_names(void **state)
{
	assert_string_equal(journal_record_type_to_string(JOURNAL_INTENT), "intent");
	assert_string_equal(journal_record_type_to_string(JOURNAL_APPLIED), "applied");
	assert_string_equal(journal_record_type_to_string(JOURNAL_REVERTED), "reverted");
	assert_string_equal(journal_record_type_to_string(JOURNAL_FAILED), "failed");
	assert_null(journal_record_type_to_string((enum journal_record_type)42));
}

static void test_open_creates_private_dir_and_file(void **state)
{
	struct fixture *f = *state;
	char *dir = path_in(f->dir, "state"), *want = journal_name_of(dir, getpid());
	struct journal *j = NULL;
	struct stat st;

	mode_t old = umask(0); /* the modes must not depend on the caller's umask */
	assert_int_equal(journal_open(dir, &j), 0);
	umask(old);
	assert_string_equal(journal_path(j), want);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(stat(want, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, 0);

	/* The lock is held: another open file description cannot take it. */
	int fd = open(want, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_SH | LOCK_NB), -1);
	assert_int_equal(errno, EWOULDBLOCK);

	assert_null(journal_close(j, true));
	assert_false(exists(want));
	/* Closing dropped the lock. */
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
	close(fd);
	assert_null(journal_close(NULL, true));
	free(dir);
	free(want);
}

static void test_append_reopen_read_back(void **state)
{
	struct fixture *f = *state;
	struct journal *j = NULL;
	json_t *data = json_pack("{s:s,s:i}", "iface", "veth0", "handle", 0xfa17);
	json_int_t before = (json_int_t)time(NULL) * 1000;

	assert_int_equal(journal_open(f->dir, &j), 0);
	char *path = strdup(journal_path(j));
	assert_int_equal(journal_append(j, JOURNAL_INTENT, "f-1", "network", 3, 1000, data), 0);
	assert_int_equal(journal_append(j, JOURNAL_APPLIED, "f-1", "network", 3, 1000, data), 0);
	assert_int_equal(journal_append(j, JOURNAL_REVERTED, "f-1", "network", 3, 1000, NULL), 0);
	/* Bad arguments write nothing. */
	assert_int_equal(journal_append(j, JOURNAL_INTENT, "", "network", 3, 0, NULL), -EINVAL);
	assert_int_equal(journal_append(j, JOURNAL_INTENT, "f-2", NULL, 3, 0, NULL), -EINVAL);
	assert_int_equal(journal_append(j, JOURNAL_INTENT, "f-\xff", "network", 3, 0, NULL),
			 -EINVAL);
	assert_int_equal(data->refcount, 1); /* not consumed */
	json_int_t after = (json_int_t)time(NULL) * 1000 + 1000;

	json_t *recs = read_records(path);
	const char *types[] = { "intent", "applied", "reverted" };
	assert_int_equal(json_array_size(recs), 3);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(int_at(recs, i, "seq"), (json_int_t)i + 1);
		assert_true(int_at(recs, i, "ts") >= before && int_at(recs, i, "ts") <= after);
		assert_string_equal(str_at(recs, i, "rec"), types[i]);
		assert_string_equal(str_at(recs, i, "fault"), "f-1");
		assert_string_equal(str_at(recs, i, "kind"), "network");
		assert_int_equal(int_at(recs, i, "session"), 3);
		assert_int_equal(int_at(recs, i, "uid"), 1000);
	}
	assert_true(json_equal(json_object_get(json_array_get(recs, 1), "data"), data));
	assert_true(json_is_null(json_object_get(json_array_get(recs, 2), "data")));
	json_decref(recs);
	assert_null(journal_close(j, false));
	assert_true(exists(path));

	/* Reopening with the same pid never discards records: the old file is set aside
	 * under a name recovery still replays, and the new journal starts empty. */
	assert_int_equal(journal_open(f->dir, &j), 0);
	assert_string_equal(journal_path(j), path);
	assert_int_equal(count_entries(f->dir), 2);
	recs = read_records(path);
	assert_int_equal(json_array_size(recs), 0);
	json_decref(recs);
	assert_int_equal(journal_append(j, JOURNAL_INTENT, "f-2", "network", 4, 0, NULL), 0);
	recs = read_records(path);
	assert_int_equal(json_array_size(recs), 1);
	assert_int_equal(int_at(recs, 0, "seq"), 1);
	json_decref(recs);

	DIR *d = opendir(f->dir);
	struct dirent *de;
	char prefix[64], own[64];
	bool found = false;
	snprintf(prefix, sizeof(prefix), "journal.%d.", (int)getpid());
	snprintf(own, sizeof(own), "journal.%d.jsonl", (int)getpid());
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, prefix, strlen(prefix)) != 0 || streq(de->d_name, own))
			continue;
		char *aside = path_in(f->dir, de->d_name);
		recs = read_records(aside);
		assert_int_equal(json_array_size(recs), 3);
		assert_string_equal(str_at(recs, 2, "rec"), "reverted");
		json_decref(recs);
		free(aside);
		found = true;
	}
	closedir(d);
	assert_true(found);

	assert_null(journal_close(j, true));
	json_decref(data);
	free(path);
}

static void test_truncate(void **state)
{
	struct fixture *f = *state;
	struct journal *j = NULL;
	struct stat st;

	assert_int_equal(journal_open(f->dir, &j), 0);
	assert_int_equal(journal_append(j, JOURNAL_INTENT, "t", "disk.fill", 1, 0, NULL), 0);
	assert_int_equal(journal_append(j, JOURNAL_REVERTED, "t", "disk.fill", 1, 0, NULL), 0);
	assert_int_equal(stat(journal_path(j), &st), 0);
	assert_true(st.st_size > 0);
	assert_int_equal(journal_truncate(j), 0);
	assert_int_equal(stat(journal_path(j), &st), 0);
	assert_int_equal(st.st_size, 0);

	/* Appends go to the start again, and seq goes on. */
	assert_int_equal(journal_append(j, JOURNAL_INTENT, "u", "disk.fill", 1, 0, NULL), 0);
	json_t *recs = read_records(journal_path(j));
	assert_int_equal(json_array_size(recs), 1);
	assert_int_equal(int_at(recs, 0, "seq"), 3);
	assert_string_equal(str_at(recs, 0, "fault"), "u");
	json_decref(recs);
	assert_null(journal_close(j, true));
}

static void test_recover_orphan(void **state)
{
	struct fixture *f = *state;
	struct undo_log u = { .calls = json_array() };
	struct journal_recovery_stats stats;
	pid_t child = make_orphan(f->dir, append_abc);
	char *orphan = journal_name_of(f->dir, child);

	assert_true(exists(orphan));
	assert_int_equal(journal_recover(f->dir, undo_cb, &u, &stats), 0);

	/* Exactly A (applied, with its undo data) and C (intent), the latest first. */
	assert_int_equal(json_array_size(u.calls), 2);
	assert_string_equal(str_at(u.calls, 0, "fault"), "C");
	assert_string_equal(str_at(u.calls, 0, "rec"), "intent");
	assert_string_equal(str_at(u.calls, 0, "kind"), "network");
	assert_int_equal(int_at(u.calls, 0, "session"), 8);
	assert_string_equal(str_at(u.calls, 1, "fault"), "A");
	assert_string_equal(str_at(u.calls, 1, "rec"), "applied");
	assert_string_equal(str_at(u.calls, 1, "kind"), "process.pause");
	assert_int_equal(int_at(u.calls, 1, "uid"), 1000);
	json_t *want = json_pack("{s:[i,i],s:s}", "pids", 100, 101, "sig", "CONT");
	assert_true(json_equal(json_object_get(json_array_get(u.calls, 1), "data"), want));
	json_decref(want);

	assert_int_equal(stats.journals, 1);
	assert_int_equal(stats.undone, 2);
	assert_int_equal(stats.failed, 0);
	assert_int_equal(stats.torn, 0);
	assert_false(exists(orphan));
	assert_int_equal(count_entries(f->dir), 0);

	/* Nothing is left to do a second time. */
	json_array_clear(u.calls);
	assert_int_equal(journal_recover(f->dir, undo_cb, &u, &stats), 0);
	assert_int_equal(json_array_size(u.calls), 0);
	assert_int_equal(stats.journals, 0);
	json_decref(u.calls);
	free(orphan);
}

static int append_torn_base(struct journal *j)
{
	int r = 0;

	r = r ?: journal_append(j, JOURNAL_INTENT, "A", "process.pause", 1, 0, NULL);
	r = r ?: journal_append(j, JOURNAL_APPLIED, "A", "process.pause", 1, 0, NULL);
	r = r ?: journal_append(j, JOURNAL_INTENT, "B", "disk.fill", 1, 0, NULL);
	return r;
}

static void test_recover_torn_record(void **state)
{
	struct fixture *f = *state;
	struct undo_log u = { .calls = json_array() };
	struct journal_recovery_stats stats;
	pid_t child = make_orphan(f->dir, append_torn_base);
	char *orphan = journal_name_of(f->dir, child);

	/* Half of B's revert: it must not count, so B is still undone. */
	write_file(orphan, "{\"seq\":4,\"ts\":1,\"rec\":\"reverted\",\"fault\":\"B", O_APPEND,
		   0600);
	assert_int_equal(journal_recover(f->dir, undo_cb, &u, &stats), 0);
	assert_int_equal(json_array_size(u.calls), 2);
	assert_string_equal(str_at(u.calls, 0, "fault"), "B");
	assert_string_equal(str_at(u.calls, 0, "rec"), "intent");
	assert_string_equal(str_at(u.calls, 1, "fault"), "A");
	assert_string_equal(str_at(u.calls, 1, "rec"), "applied");
	assert_int_equal(stats.journals, 1);
	assert_int_equal(stats.undone, 2);
	assert_int_equal(stats.torn, 1);
	assert_false(exists(orphan));
	json_decref(u.calls);
	free(orphan);
}

static void test_recover_skips_bad_lines(void **state)
{
	struct fixture *f = *state;
	struct undo_log u = { .calls = json_array() };
	struct journal_recovery_stats stats;
	char *orphan = path_in(f->dir, "journal.424242.jsonl");

	/* Garbage, a record without a fault id, an unknown type and trailing bytes after a
	 * record are skipped; the records around them still count. W's second intent after
	 * its applied record (no revert between) keeps the applied record's undo state. */
	write_file(
		orphan,
		"{\"seq\":1,\"ts\":1,\"rec\":\"intent\",\"fault\":\"X\",\"kind\":\"network\","
		"\"session\":1,\"uid\":0,\"data\":null}\n"
		"not json at all\n"
		"{\"seq\":2,\"ts\":1,\"rec\":\"intent\",\"kind\":\"network\"}\n"
		"{\"seq\":3,\"ts\":1,\"rec\":\"bogus\",\"fault\":\"Y\",\"kind\":\"network\"}\n"
		"\n"
		"{\"seq\":4,\"ts\":1,\"rec\":\"intent\",\"fault\":\"Z\",\"kind\":\"network\","
		"\"session\":1,\"uid\":0,\"data\":{\"k\":1}}\n"
		"{\"seq\":5,\"ts\":1,\"rec\":\"reverted\",\"fault\":\"X\",\"kind\":\"network\","
		"\"session\":1,\"uid\":0,\"data\":null}\n"
		"{\"seq\":6,\"ts\":1,\"rec\":\"applied\",\"fault\":\"W\",\"kind\":\"disk.fill\","
		"\"session\":1,\"uid\":0,\"data\":{\"path\":\"/srv/fill\"}}\n"
		"{\"seq\":7,\"ts\":1,\"rec\":\"intent\",\"fault\":\"W\",\"kind\":\"disk.fill\","
		"\"session\":1,\"uid\":0,\"data\":null}\n"
		"{\"seq\":8,\"ts\":1,\"rec\":\"intent\",\"fault\":\"T\",\"kind\":\"network\"} x\n",
		O_TRUNC, 0600);
	assert_int_equal(journal_recover(f->dir, undo_cb, &u, &stats), 0);
	assert_int_equal(json_array_size(u.calls), 2);
	assert_string_equal(str_at(u.calls, 0, "fault"), "W");
	assert_string_equal(str_at(u.calls, 0, "rec"), "applied");
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(json_array_get(u.calls, 0), "data"), "path")),
			    "/srv/fill");
	assert_string_equal(str_at(u.calls, 1, "fault"), "Z");
	assert_int_equal(stats.torn, 4);
	assert_int_equal(stats.undone, 2);
	assert_false(exists(orphan));
	json_decref(u.calls);
	free(orphan);
}

static int append_x(struct journal *j)
{
	return journal_append(j, JOURNAL_INTENT, "X", "process.pause", 5, 0, NULL);
}

static void test_recover_skips_live_journal(void **state)
{
	struct fixture *f = *state;
	struct undo_log u = { .calls = json_array() };
	struct journal_recovery_stats stats;
	struct journal *own = NULL;
	int ready[2], release[2], pids[4], status;
	char c = 0;

	assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
	assert_int_equal(pipe2(release, O_CLOEXEC), 0);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct journal *j;
		close(ready[0]);
		close(release[1]);
		if (journal_open(f->dir, &j) < 0 || append_x(j) < 0)
			_exit(2);
		if (write(ready[1], "r", 1) != 1)
			_exit(3);
		(void)!read(release[0], &c, 1); /* holds the lock until released */
		_exit(0);
	}
	close(ready[1]);
	close(release[0]);
	assert_int_equal(read(ready[0], &c, 1), 1);

	/* Our own journal is live too, and recovery must not touch it either. */
	assert_int_equal(journal_open(f->dir, &own), 0);
	assert_int_equal(journal_append(own, JOURNAL_APPLIED, "own", "network", 1, 0, NULL), 0);

	char *theirs = journal_name_of(f->dir, child);
	char *before = read_text(theirs);
	assert_int_equal(journal_recover(f->dir, undo_cb, &u, &stats), 0);
	assert_int_equal(json_array_size(u.calls), 0);
	assert_int_equal(stats.journals, 0);
	char *after = read_text(theirs);
	assert_string_equal(before, after);
	json_t *recs = read_records(journal_path(own));
	assert_int_equal(json_array_size(recs), 1);
	json_decref(recs);

	assert_int_equal(journal_live_instances(f->dir, pids, ARRAY_SIZE(pids)), 2);
	assert_true((pids[0] == child && pids[1] == getpid()) ||
		    (pids[1] == child && pids[0] == getpid()));
	assert_int_equal(journal_live_instances(f->dir, pids, 1), 1);

	/* Once the child is gone, its journal is an orphan. */
	assert_int_equal(write(release[1], "x", 1), 1);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(journal_live_instances(f->dir, pids, ARRAY_SIZE(pids)), 1);
	assert_int_equal(pids[0], getpid());
	assert_int_equal(journal_recover(f->dir, undo_cb, &u, &stats), 0);
	assert_int_equal(json_array_size(u.calls), 1);
	assert_string_equal(str_at(u.calls, 0, "fault"), "X");
	assert_false(exists(theirs));
	assert_true(exists(journal_path(own)));

	assert_null(journal_close(own, true));
	assert_int_equal(count_entries(f->dir), 0);
	close(ready[0]);
	close(release[1]);
	free(before);
	free(after);
	free(theirs);
	json_decref(u.calls);
}

static int append_failing(struct journal *j)
{
	json_t *undo = json_pack("{s:s}", "line", "8:0 rbps=max");
	int r = 0;

	r = r ?: journal_append(j, JOURNAL_INTENT, "A", "disk.throttle", 2, 0, NULL);
	r = r ?: journal_append(j, JOURNAL_APPLIED, "A", "disk.throttle", 2, 0, undo);
	r = r ?: journal_append(j, JOURNAL_INTENT, "B", "process.pause", 2, 1000, NULL);
	json_decref(undo);
	return r;
}

static void test_recover_callback_failure(void **state)
{
	struct fixture *f = *state;
	struct undo_log u = { .calls = json_array(), .fail_fault = "A" };
	struct journal_recovery_stats stats;
	pid_t child = make_orphan(f->dir, append_failing);
	char *orphan = journal_name_of(f->dir, child);

	/* A torn tail longer than the records recovery appends, so it must be cut. */
	char torn[1024];
	int len = snprintf(torn, sizeof(torn), "{\"seq\":9,\"rec\":\"applied\",\"data\":\"");
	memset(torn + len, 'x', sizeof(torn) - (size_t)len - 1);
	torn[sizeof(torn) - 1] = '\0';
	write_file(orphan, torn, O_APPEND, 0600);
	assert_int_equal(journal_recover(f->dir, undo_cb, &u, &stats), -EAGAIN);
	assert_int_equal(json_array_size(u.calls), 2);
	assert_int_equal(stats.journals, 1);
	assert_int_equal(stats.undone, 1);
	assert_int_equal(stats.failed, 1);
	assert_int_equal(stats.torn, 1);

	/* Kept, the torn tail cut, and B's undo recorded after the original records. */
	assert_true(exists(orphan));
	json_t *recs = read_records(orphan);
	assert_int_equal(json_array_size(recs), 4);
	assert_string_equal(str_at(recs, 3, "rec"), "reverted");
	assert_string_equal(str_at(recs, 3, "fault"), "B");
	assert_string_equal(str_at(recs, 3, "kind"), "process.pause");
	assert_int_equal(int_at(recs, 3, "uid"), 1000);
	assert_int_equal(int_at(recs, 3, "seq"), 4);
	json_decref(recs);

	/* The retry only redoes A, with its undo state, and then removes the file. */
	json_array_clear(u.calls);
	u.fail_fault = NULL;
	assert_int_equal(journal_recover(f->dir, undo_cb, &u, &stats), 0);
	assert_int_equal(json_array_size(u.calls), 1);
	assert_string_equal(str_at(u.calls, 0, "fault"), "A");
	assert_string_equal(str_at(u.calls, 0, "rec"), "applied");
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(json_array_get(u.calls, 0), "data"), "line")),
			    "8:0 rbps=max");
	assert_int_equal(stats.undone, 1);
	assert_int_equal(stats.failed, 0);
	assert_int_equal(stats.torn, 0);
	assert_false(exists(orphan));
	json_decref(u.calls);
	free(orphan);
}

static void test_recover_missing_dir(void **state)
{
	struct fixture *f = *state;
	struct undo_log u = { .calls = json_array() };
	struct journal_recovery_stats stats;
	char *dir = path_in(f->dir, "missing");
	int pids[2];

	memset(&stats, 0xff, sizeof(stats));
	assert_int_equal(journal_recover(dir, undo_cb, &u, &stats), 0);
	assert_int_equal(stats.journals, 0);
	assert_int_equal(stats.undone, 0);
	assert_int_equal(stats.failed, 0);
	assert_int_equal(stats.torn, 0);
	assert_int_equal(journal_live_instances(dir, pids, ARRAY_SIZE(pids)), 0);
	assert_false(exists(dir));
	json_decref(u.calls);
	free(dir);
}

static void test_recover_ignores_foreign_entries(void **state)
{
	struct fixture *f = *state;
	struct undo_log u = { .calls = json_array() };
	struct journal_recovery_stats stats;
	const char *rec = "{\"seq\":1,\"ts\":1,\"rec\":\"intent\",\"fault\":\"F\","
			  "\"kind\":\"disk.fill\",\"session\":1,\"uid\":0,\"data\":null}\n";
	char *outside = path_in(f->dir, "elsewhere"); /* removed by teardown, also on failure */
	char *target, *names[6];

	assert_int_equal(mkdir(outside, 0700), 0);
	target = path_in(outside, "journal.1.jsonl");
	write_file(target, rec, O_TRUNC, 0600);

	names[0] = path_in(f->dir, "notes.txt");
	names[1] = path_in(f->dir, "journal.jsonl");
	names[2] = path_in(f->dir, "journal.1.jsonl"); /* symlink out of the dir */
	names[3] = path_in(f->dir, "journal.2.jsonl"); /* a directory */
	names[4] = path_in(f->dir, "journal.3.jsonl"); /* writable by others */
	write_file(names[0], rec, O_TRUNC, 0600);
	write_file(names[1], rec, O_TRUNC, 0600);
	assert_int_equal(symlink(target, names[2]), 0);
	assert_int_equal(mkdir(names[3], 0700), 0);
	write_file(names[4], rec, O_TRUNC, 0600);
	assert_int_equal(chmod(names[4], 0666), 0);
	names[5] = path_in(f->dir, "journal.4.jsonl"); /* somebody else's */
	write_file(names[5], rec, O_TRUNC, 0600);
	if (geteuid() == 0)
		assert_int_equal(chown(names[5], 65534, 65534), 0);
	else
		assert_int_equal(chmod(names[5], 0620), 0); /* cannot chown; group-writable */

	assert_int_equal(journal_recover(f->dir, undo_cb, &u, &stats), 0);
	assert_int_equal(json_array_size(u.calls), 0);
	assert_int_equal(stats.journals, 0);
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		assert_true(exists(names[i]));
		free(names[i]);
	}
	char *text = read_text(target);
	assert_string_equal(text, rec);
	free(text);
	free(outside);
	free(target);
	json_decref(u.calls);
}

static void test_shared_dir_refused(void **state)
{
	struct fixture *f = *state;
	struct undo_log u = { .calls = json_array() };
	struct journal *j = NULL;

	/* Anyone who can write here could forge undo records for us to replay as root. */
	assert_int_equal(chmod(f->dir, 0777), 0);
	assert_int_equal(journal_open(f->dir, &j), -EPERM);
	assert_null(j);
	assert_int_equal(journal_recover(f->dir, undo_cb, &u, NULL), -EPERM);
	assert_int_equal(count_entries(f->dir), 0);
	json_decref(u.calls);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_type_names),
		cmocka_unit_test_setup_teardown(test_open_creates_private_dir_and_file, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_append_reopen_read_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recover_orphan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recover_torn_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recover_skips_bad_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recover_skips_live_journal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recover_callback_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recover_missing_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recover_ignores_foreign_entries, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_shared_dir_refused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
