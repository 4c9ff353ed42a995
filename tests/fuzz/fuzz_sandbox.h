/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What a fuzz target needs before it may drive the injector's real request path:
 * the guarantee that nothing it does reaches a process, a cgroup, a qdisc or a
 * namespace of the machine it runs on.
 *
 * fuzz_sandbox_init() (once per process) sets up three layers:
 *
 * 1. A fake /proc (procfs_set_root()) in a temporary directory, holding a few
 *    invented processes with pids from FUZZ_PID_BASE up (above the pid_max of
 *    most machines), plus pid 1 and a kernel thread. Target selection reads only
 *    this tree, so it can only ever choose invented processes.
 * 2. pidfd_open() and pidfd_send_signal() are defined by the fuzz binary, which
 *    takes precedence over glibc's for the static libraries linked into it. The
 *    stubs hand out /dev/null descriptors for the invented pids only and count
 *    signals without sending any. An invented process "dies" of a signal whose
 *    default action terminates: it leaves the fake /proc until
 *    fuzz_sandbox_reset().
 * 3. A seccomp filter that makes these syscalls fail with EPERM, whoever makes
 *    them: pidfd_send_signal, pidfd_open, tkill, and kill, tgkill,
 *    rt_sigqueueinfo and rt_tgsigqueueinfo aimed at another process; openat2
 *    (cgroup_freeze.c opens cgroup.freeze only through it); socket(AF_NETLINK)
 *    (rtnetlink for qdiscs, the process connector); setns and unshare.
 *
 * Then it checks that each layer works (a stubbed signal is counted, a raw
 * pidfd_send_signal and a netlink socket are refused) and aborts if one does
 * not: it never fuzzes unprotected.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define FUZZ_PID_BASE 4000000
/* The injector's own pid as the fuzzed server states it (fault ids f4000000-N). */
#define FUZZ_SELF_PID 4000000
/* The login shell and the controller of the fuzzed sessions. */
#define FUZZ_SHELL_PID 4000001
#define FUZZ_CONTROLLER_PID 4000002

/* Sets everything up; aborts with a message when it cannot. Idempotent. */
void fuzz_sandbox_init(void);

/* Brings back every invented process that died since the last call: call it
 * before each input, so that each input sees the same /proc. */
void fuzz_sandbox_reset(void);

/* Whether pid is one of the invented processes of the fake /proc. */
bool fuzz_sandbox_is_fake_pid(pid_t pid);

/* How many signals the stubs swallowed so far. */
uint64_t fuzz_sandbox_signals(void);
