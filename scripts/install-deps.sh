#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs the Debian 12 packages faultline builds and tests with. Run as root.
set -euo pipefail

packages=(
	build-essential cmake pkg-config
	libnl-3-dev libnl-route-3-dev liburing-dev libseccomp-dev libcap-dev
	libyaml-dev libjansson-dev libcurl4-openssl-dev libcmocka-dev
	# tests: iproute2 as an oracle, procps for ps/pkill, python3 for the socket client
	iproute2 procps python3
	# tests: script(1) gives a run a pty for the live status line (test_live_status.sh)
	bsdutils
	# disk tests and benches: fio as the independent I/O oracle; a loop
	# device with an ext4 filesystem of the test's own (mount, e2fsprogs)
	fio mount e2fsprogs
	# tests: curl for the probe tests and benchmark, a real Prometheus for the
	# prometheus probe (started by the test on loopback, never as a service),
	# openssl for a throwaway TLS server
	curl prometheus openssl
	# tests/vm: qemu boots Debian's cloud kernel with a busybox initramfs (cpio);
	# xz-utils and zstd unpack compressed kernel modules
	qemu-system-x86 busybox-static cpio xz-utils zstd
	# tests: xmllint validates the JUnit report against tests/data/junit/junit-10.xsd;
	# headless chromium renders the HTML report (test_report_html.sh)
	libxml2-utils chromium
	# tests/fuzz: clang with libFuzzer (-fsanitize=fuzzer) and llvm-symbolizer
	clang libclang-rt-14-dev llvm-14
)

if [ "$(id -u)" != 0 ]; then
	echo "install-deps: run as root (apt-get needs it)" >&2
	exit 1
fi
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
	echo "install-deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
