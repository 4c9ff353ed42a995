#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `cmake --install` puts the binaries, the docs, the scenarios and the hardened
# systemd unit in place (into a DESTDIR here). The unit starts the installed
# faultlined, keeps the journal across restarts, and carries the hardening that
# docs/security.md lists; systemd's own offline security analysis rates it.
source "$(dirname "$0")/lib.sh"
: "${FAULTLINE_BUILD_DIR:?set by ctest}"

dest="$TEST_TMP/root"
DESTDIR="$dest" cmake --install "$FAULTLINE_BUILD_DIR" >"$TEST_TMP/install.log" 2>&1 ||
	{ cat "$TEST_TMP/install.log"; fail "cmake --install"; finish; }
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$FAULTLINE_BUILD_DIR/CMakeCache.txt")
unit="$dest$prefix/lib/systemd/system/faultlined.service"

check "faultline is installed" test -x "$dest$prefix/bin/faultline"
check "faultlined is installed" test -x "$dest$prefix/sbin/faultlined"
check "the scenarios are installed" test -n "$(ls "$dest$prefix/share/faultline/scenarios")"
check "docs/security.md is installed" test -f "$dest$prefix/share/doc/faultline/security.md"
check "the systemd unit is installed" test -f "$unit"
check "it starts the installed faultlined" \
	grep -qx "ExecStart=$prefix/sbin/faultlined --socket /run/faultline/faultlined.sock --state-dir /run/faultline" "$unit"
check "it keeps the journal across restarts" grep -qx "RuntimeDirectoryPreserve=yes" "$unit"
for setting in "NoNewPrivileges=yes" "ProtectSystem=strict" "ProtectHome=yes" \
	"RestrictAddressFamilies=AF_UNIX AF_NETLINK" "SystemCallArchitectures=native" \
	"CapabilityBoundingSet=CAP_KILL CAP_NET_ADMIN CAP_SYS_ADMIN CAP_SYS_PTRACE CAP_DAC_OVERRIDE CAP_CHOWN"; do
	check "the unit sets $setting" grep -qx "$setting" "$unit"
done
if command -v systemd-analyze >/dev/null; then
	systemd-analyze security --offline=true "$unit" >"$TEST_TMP/security.txt" 2>&1 || true
	level=$(sed -n 's/.*Overall exposure level for faultlined.service: \([0-9.]*\).*/\1/p' "$TEST_TMP/security.txt")
	echo "systemd-analyze security: exposure $level"
	# 10 is an unconfined root service; a fault injector needs CAP_SYS_ADMIN,
	# CAP_NET_ADMIN and /sys/fs/cgroup, so it cannot reach the lowest levels.
	check "systemd rates the unit's exposure below 6.5 (found ${level:-none})" \
		awk -v l="${level:-99}" 'BEGIN { exit !(l < 6.5) }'
else
	echo "ok - # SKIP systemd-analyze is not installed"
fi
finish
