/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The files of disk.pressure: where they live, how they are created, opened and
 * removed, and the rules that keep the fault from touching anything else.
 *
 * Safety rule (docs/faults.md):
 * - Files we create have reserved names, PRESSURE_FILE_PREFIX followed by a random
 *   token and the worker's number, and are created with O_CREAT | O_EXCL |
 *   O_NOFOLLOW in a directory opened without following symlinks
 *   (openat2 RESOLVE_NO_SYMLINKS on its canonical path). Only names with the
 *   prefix are ever removed, and only when they are still the inode we created.
 * - A file the user names is only ever read: write and randrw need a directory,
 *   in which we write to files of our own.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PRESSURE_FILE_PREFIX ".faultline-pressure-"

/* Which file a name held when we created it. The inode number alone is not
 * enough: a filesystem reuses a freed inode number at once, so a file created in
 * place of ours may carry it. The birth time (statx STATX_BTIME, in ns) tells
 * them apart where the filesystem records it; 0 where it does not. All zero: no
 * identity recorded (a plan without its undo state). */
struct pressure_file_id {
	uint64_t dev, ino, btime_ns;
};

/* Reads the identity of an open file (name NULL) or of name in dirfd, without
 * following a symlink. Returns 0 or -errno. */
int pressure_file_id_of(int fd, const char *name, struct pressure_file_id *ret);

/* Opens the canonical directory path without following any symlink on the way
 * (O_PATH | O_DIRECTORY). Returns the fd or -errno (-ELOOP: a symlink appeared). */
int pressure_open_dir(const char *dir);

/* Whether name is one of our reserved names: the prefix, no '/', not too long. */
bool pressure_name_is_ours(const char *name);

/*
 * Checks, without leaving anything behind, that a file in dir (a directory) can be
 * opened with O_DIRECT: an unnamed O_TMPFILE is opened and closed. When direct is
 * false, only the statx alignment is skipped. Returns 0; -EINVAL with a message
 * offering `direct: false` when the filesystem refuses O_DIRECT, or when
 * block_size is not a multiple of its direct I/O alignment; 0 when the
 * filesystem has no O_TMPFILE (apply checks again).
 */
int pressure_probe_direct(const char *dir, const char *file, uint32_t block_size, char *err,
			  size_t errlen);

/*
 * Creates name in dirfd with O_EXCL | O_NOFOLLOW, mode 0600, and reserves size
 * bytes (fallocate, else ftruncate). On success returns 0 with the new file's
 * identity. On failure nothing is left (the file is removed again) and a
 * message says why. May block on the filesystem.
 */
int pressure_create_file(int dirfd, const char *dir, const char *name, uint64_t size, bool direct,
			 struct pressure_file_id *ret_id, char *err, size_t errlen);

/*
 * Opens name in dirfd for the I/O (O_NOFOLLOW, O_CLOEXEC, O_DIRECT when direct,
 * read-only unless write), and checks it is a regular file, and the file
 * created when id records one. Returns the fd and its size, or -errno with a
 * message.
 */
int pressure_open_file(int dirfd, const char *dir, const char *name, bool write, bool direct,
		       const struct pressure_file_id *id, uint64_t *ret_size, char *err,
		       size_t errlen);

/*
 * Removes name from dir if it is one of ours (else -EINVAL) and still the file
 * id records (else -ESTALE), or whatever file holds our reserved name when id
 * records none (after a crash between intent and apply). Returns 1 when
 * removed, 0 when it was already gone, -errno otherwise.
 */
int pressure_remove_file(int dirfd, const char *name, const struct pressure_file_id *id);
