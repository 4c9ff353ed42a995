#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# The http probe against the demo service on loopback (no privileges needed):
# - accuracy: the service sleeps 20 ms per request; the probe measures it (its
#   p50 over a zero-delay reference probe in the same run) as 20 ms
#   within 1 ms, every request reached the service (its own counter agrees) over
#   a few kept-alive connections;
# - coordinated omission: with 2 slots, the service stalls for 2 s; the samples
#   scheduled during the stall carry the rest of the stall in their latency
#   (latency = stall end - scheduled time), though they were sent late;
# - a closed port gives refused samples, a slow answer timeout samples, an
#   unexpected status bad_status samples, a connection closed without an answer
#   reset samples, and the run goes on;
# - https (a Python TLS server on loopback): a self-signed certificate gives tls
#   samples, and is accepted with insecure: true or with itself as ca_file.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_probes.sh"

expect_ok() {
	local out
	out=$(samples_check "$1" "$2")
	if [ "$out" != ok ]; then
		echo "  $out" >&2
		return 1
	fi
}

# ---- accuracy ------------------------------------------------------------------------------
# The build machines are small and shared: CPU contention (fuzzers, VMs, builds)
# delays the service's own wakeups as much as ours. This part measures how well
# the probe measures a known service time, not the host's scheduler: as root,
# the service and the probes run SCHED_FIFO (chrt); and in the same run a second
# probe asks the same service for no delay at all (?sleep=0), so that the cost of
# loopback, HTTP and the host's wakeups, which both probes pay alike, can be told
# apart. Checked: the 20 ms probe's p50 minus the reference's p50 is 20 ms within
# 1 ms, and the absolute p50 is printed beside it. A run may be repeated (5 at
# most), and every attempt's figures are printed.
RT=()
if [ "$(id -u)" = 0 ] && command -v chrt >/dev/null && chrt -f 10 true 2>/dev/null; then
	RT=(chrt -f 10)
fi
accuracy() {
	DEMO_SERVICE_BIN="${RT[*]} $DEMO_SERVICE_BIN" start_demo "slow$1"
	slow_port=$DEMO_PORT
	write_scenario "$TEST_TMP/acc$1.yaml" \
		"  web: {http: {url: \"http://127.0.0.1:$slow_port/?sleep=20\"}, rate: 20/s}
  ref: {http: {url: \"http://127.0.0.1:$slow_port/?sleep=0\"}, rate: 20/s}"
	PROBE_RUN_BIN="${RT[*]} $PROBE_RUN_BIN" run_probes "acc$1" 6s || return 1
	n=$(grep -c '^\(web\|ref\),' "$TEST_TMP/acc$1.csv")
	acc_line=$(samples_check "acc$1" '
w, ref = probe("web"), probe("ref")
p50 = statistics.median(sorted(r["lat"] for r in w))
p50_ref = statistics.median(sorted(r["lat"] for r in ref))
bad = [r for r in w + ref if r["error"] != "ok" or r["status"] != 200]
added = p50 - p50_ref
print(("ok" if len(w) >= 110 and not bad and abs(added - 20.0) <= 1.0 else "off") +
      f" n={len(w)} failed={len(bad)} p50={p50:.3f} ms, reference p50={p50_ref:.3f} ms, "
      f"measured service time={added:.3f} ms")')
	echo "  attempt $1${RT:+ (SCHED_FIFO)}: $acc_line"
	[ "${acc_line%% *}" = ok ]
}
accurate=no
acc_line="off no run"
for attempt in 1 2 3 4 5; do
	if accuracy "$attempt"; then
		accurate=yes
		break
	fi
	# Sanitizers slow the service and the probes alike: the figures are printed,
	# the 1 ms bound is checked in normal builds only.
	if [ "${FAULTLINE_SANITIZE:-0}" = 1 ]; then
		echo "  sanitizer build: the 1 ms bound is not checked"
		accurate=sanitizer
		break
	fi
done
if [ "$accurate" = sanitizer ]; then
	check "every sample ok (sanitizer build)" grep -q " failed=0 " <<<"$acc_line"
else
	check "the probe measures a 20 ms service time as 20 ms within 1 ms, every sample ok" \
		test "$accurate" = yes
fi
served=$(metric "$slow_port" 'faultline_demo_requests_total{code="200"}')
check "the service counted every request ($served served, $n samples)" test "$served" = "$n"
conns=$(metric "$slow_port" faultline_demo_connections_total)
check "connections are kept alive ($conns for $n requests)" test "$conns" -le 10

# ---- coordinated omission ------------------------------------------------------------------
start_demo stall
stall_port=$DEMO_PORT
write_scenario "$TEST_TMP/co.yaml" \
	"  web: {http: {url: \"http://127.0.0.1:$stall_port/\", timeout: 5s}, rate: 50/s, concurrency: 2}"
(sleep 2 && curl -sf "http://127.0.0.1:$stall_port/stall?ms=2000" >/dev/null) &
stall_pid=$!
check "probes run for 6 s through a 2 s stall" run_probes co 6s
wait "$stall_pid" || true
check "stalled samples carry the remaining stall" expect_ok co '
w = probe("web")
slow = [r for r in w if r["lat"] > 1000]
# The stall ends when the late ones all complete: t + latency is the same for them.
end = statistics.median(r["t"] + r["lat"] for r in slow) if slow else 0
during = [r for r in w if end - 1900 <= r["t"] <= end - 100]
off = [r for r in during if abs((end - r["t"]) - r["lat"]) > 100]
span = (max(r["t"] for r in slow) - min(r["t"] for r in slow)) if slow else 0
bad = [r for r in w if r["error"] != "ok"]
print("ok" if len(slow) >= 40 and span >= 900 and len(during) >= 80 and not off and not bad else
      f"slow={len(slow)} span={span:.0f} ms during={len(during)} off={len(off)} failed={len(bad)}")'

# ---- failures are samples --------------------------------------------------------------------
closed=$(free_port)
start_demo fast
write_scenario "$TEST_TMP/fail.yaml" "  closed: {http: {url: \"http://127.0.0.1:$closed/\"}, rate: 20/s}
  slow: {http: {url: \"http://127.0.0.1:$DEMO_PORT/?sleep=2000\", timeout: 300ms}, rate: 5/s}
  status: {http: {url: \"http://127.0.0.1:$DEMO_PORT/?status=503\"}, rate: 10/s}
  expected: {http: {url: \"http://127.0.0.1:$DEMO_PORT/?status=503\", expect_status: [503]}, rate: 10/s}
  dropped: {http: {url: \"http://127.0.0.1:$DEMO_PORT/?drop=1\"}, rate: 10/s}"
check "probes against failures run and exit 0" run_probes fail 2s
check "a closed port gives refused samples" expect_ok fail '
c = probe("closed")
print("ok" if len(c) >= 35 and all(r["error"] == "refused" and r["status"] == 0 for r in c)
      else str(len(c)) + " samples: " + str(set(r["error"] for r in c)))'
check "a slow answer gives timeout samples near the timeout" expect_ok fail '
s = probe("slow")
print("ok" if len(s) >= 8 and all(r["error"] == "timeout" and 290 <= r["lat"] <= 800 for r in s)
      else str([(r["error"], round(r["lat"])) for r in s]))'
check "an unexpected status gives bad_status samples with the status" expect_ok fail '
s, e = probe("status"), probe("expected")
print("ok" if len(s) >= 15 and all(r["error"] == "bad_status" and r["status"] == 503 for r in s)
      and len(e) >= 15 and all(r["error"] == "ok" and r["status"] == 503 for r in e)
      else str([(r["error"], r["status"]) for r in s + e][:6]))'
check "a connection closed without an answer gives reset samples" expect_ok fail '
s = probe("dropped")
print("ok" if len(s) >= 15 and all(r["error"] == "reset" and r["status"] == 0 for r in s)
      else str([(r["error"], r["status"]) for r in s][:6]))'
check "the refused probe keeps the reason" grep -q "^probe closed: .*Couldn.t connect" "$TEST_TMP/fail.summary"

# ---- TLS ------------------------------------------------------------------------------------
# A throwaway self-signed certificate for 127.0.0.1, served by Python's ssl module.
if command -v openssl >/dev/null; then
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TEST_TMP/key.pem" -out "$TEST_TMP/cert.pem" \
		-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -days 1 2>/dev/null
	tls_port=$(free_port)
	$PYTHON - "$tls_port" "$TEST_TMP/cert.pem" "$TEST_TMP/key.pem" >"$TEST_TMP/tls.log" 2>&1 <<'PY' &
import http.server, ssl, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "3")
        self.end_headers()
        self.wfile.write(b"ok\n")
    def log_message(self, *args):
        pass
srv = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[2], sys.argv[3])
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
PY
	track_pid $!
	for ((i = 0; i < 100; i++)); do
		curl -sk -o /dev/null "https://127.0.0.1:$tls_port/" && break
		sleep 0.05
	done
	# Slow rates and long timeouts: a failed verification costs libcurl tens of
	# milliseconds of CPU (a second under sanitizers), during which the loop waits.
	write_scenario "$TEST_TMP/tls.yaml" "  unknown: {http: {url: \"https://127.0.0.1:$tls_port/\", timeout: 20s}, rate: 2/s}
  insecure: {http: {url: \"https://127.0.0.1:$tls_port/\", insecure: true, timeout: 20s}, rate: 4/s}
  ca: {http: {url: \"https://127.0.0.1:$tls_port/\", ca_file: \"$TEST_TMP/cert.pem\", timeout: 20s}, rate: 4/s}"
	check "https probes run" run_probes tls 2s
	check "a certificate nobody vouches for gives tls samples" expect_ok tls '
s = probe("unknown")
print("ok" if len(s) >= 4 and all(r["error"] == "tls" for r in s) else str([(r["error"], r["status"]) for r in s][:4]))'
	check "insecure: true and ca_file both accept it" expect_ok tls '
s = probe("insecure") + probe("ca")
print("ok" if len(s) >= 16 and all(r["error"] == "ok" and r["status"] == 200 for r in s)
      else str([(r["probe"], r["error"], r["status"]) for r in s][:4]))'
else
	echo "skip: openssl is not installed; no TLS cases"
fi

finish
