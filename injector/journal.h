/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The write-ahead journal: what this injector changed in the kernel, recorded
 * before and after each change, so that a restart can undo it.
 *
 * Layout: one file per live injector instance, "<dir>/journal.<pid>.jsonl",
 * created with O_CLOEXEC and mode 0600, and held under flock(LOCK_EX) for the
 * instance's whole life. A file whose lock nobody holds belongs to a dead
 * injector: it is an orphan, and recovery replays it.
 *
 * Each record is one JSON object on one line, written with a single write() and
 * made durable with fdatasync() before journal_append() returns:
 *   {"seq":N,"ts":UNIX_MS,"rec":"intent"|"applied"|"reverted"|"failed",
 *    "fault":"ID","kind":"process.pause","session":N,"uid":U,"data":{...}}
 * - intent: written before the kernel is touched; "data" is the plan, which
 *   already names every object the apply may change (so a crash half way can be
 *   undone from it).
 * - applied: "data" is the undo state.
 * - reverted: the fault is fully undone; "data" may be null.
 * - failed: the apply failed and was rolled back; nothing is left.
 * A last line without its newline, or that does not parse, is a torn record from
 * a crash: it is ignored (the earlier records still count) and reported.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct journal;

enum journal_record_type {
	JOURNAL_INTENT,
	JOURNAL_APPLIED,
	JOURNAL_REVERTED,
	JOURNAL_FAILED,
};

const char *journal_record_type_to_string(enum journal_record_type t);

/* Creates dir (mode 0700) if missing, creates and locks this instance's journal.
 * Returns 0 and *ret, or -errno. May block on the filesystem. */
int journal_open(const char *dir, struct journal **ret);

/* Appends one record and waits for it to be durable. data may be NULL (written as
 * null); it is not consumed. Returns 0 or -errno (the record may then be absent). */
int journal_append(struct journal *j, enum journal_record_type type, const char *fault_id,
		   const char *kind, uint64_t session_id, uint32_t uid, const json_t *data);

/* Empties the journal once nothing is applied, so it never grows without bound.
 * The caller guarantees no fault is outstanding. Returns 0 or -errno. */
int journal_truncate(struct journal *j);

/* The journal file's path, owned by j. */
const char *journal_path(const struct journal *j);

/* Closes the journal. With remove, the file is unlinked first (a clean shutdown
 * that left nothing applied). Accepts NULL; returns NULL. */
struct journal *journal_close(struct journal *j, bool remove);

/* Called by recovery for each fault whose last record is intent or applied.
 * record is the whole record (fault, kind, data, ...). Return 0 when the fault is
 * now undone, or -errno to keep the orphan journal for a later retry. */
typedef int (*journal_undo_cb)(const json_t *record, void *userdata);

struct journal_recovery_stats {
	unsigned journals; /* orphan files examined */
	unsigned undone; /* faults the callback undid */
	unsigned failed; /* faults the callback could not undo */
	unsigned torn; /* torn or unparsable records skipped */
};

/* Replays every orphan journal in dir (including a file of our own pid left by an
 * earlier process with a reused pid, but never a file some live process holds
 * locked). Each orphan is locked while it is replayed, so two recoveries never
 * undo the same fault twice. An orphan whose faults were all undone is removed;
 * one with failures is kept. A missing dir is not an error. Returns 0 when every
 * fault was undone, -EAGAIN when some could not be, or another -errno. */
int journal_recover(const char *dir, journal_undo_cb cb, void *userdata,
		    struct journal_recovery_stats *ret_stats);

/* Fills ret_pids with up to max pids of live injectors that hold a journal in
 * dir (read from the file names and confirmed by the lock being held).
 * Returns the count, or -errno. */
int journal_live_instances(const char *dir, int *ret_pids, size_t max);
