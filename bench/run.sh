#!/usr/bin/env bash
# bench/run.sh: one run that measures the disk, starts a fresh gregor node
# and compares its produce throughput with what the disk can take.
# See bench/README.md for what each phase does and the knobs below.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SECONDS_PER_RUN=${SECONDS_PER_RUN:-20}   # length of each produce run
DISK_MIB=${DISK_MIB:-1024}               # size of the disk write test
PRODUCERS=${PRODUCERS:-4}                # concurrent producer clients
PARTITIONS=${PARTITIONS:-8}              # partitions of the 100 B / 1 KiB topics
MANY_PARTITIONS=${MANY_PARTITIONS:-1000} # partitions of the load run
BENCH_DIR=${BENCH_DIR:-$ROOT}            # disk under test: test file and broker data go here

WORK=$(mktemp -d "$BENCH_DIR/.gregor-bench.XXXXXX")
BROKER_PID=""
cleanup() {
	if [[ -n "$BROKER_PID" ]] && kill -0 "$BROKER_PID" 2>/dev/null; then
		kill "$BROKER_PID" 2>/dev/null || true
		wait "$BROKER_PID" 2>/dev/null || true
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '\n== %s\n' "$*" >&2; }

# jget FILE KEY: a number field from gregor bench --json output.
jget() { sed -n "s/.*\"$2\": *\([-0-9.e+]*\).*/\1/p" "$1" | head -n 1; }

say "build"
if [[ -n "${BENCH_BIN:-}" ]]; then
	GREGOR="$BENCH_BIN" # a prebuilt binary, e.g. a release
else
	(cd "$ROOT" && go build -o "$WORK/gregor" ./cmd/gregor)
	GREGOR="$WORK/gregor"
fi
(cd "$ROOT" && go build -o "$WORK/diskwrite" ./bench/diskwrite)

say "disk: ${DISK_MIB} MiB sequential, fsync every 16 MiB, in $BENCH_DIR"
"$WORK/diskwrite" --dir "$WORK" --size-mib "$DISK_MIB" --json >"$WORK/disk.json"
DISK_MBS=$(jget "$WORK/disk.json" mb_per_s | awk '{ printf "%.1f", $1 }')
echo "disk: $DISK_MBS MB/s" >&2

# A port is free when nothing answers on it; three distinct ones are needed.
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && [[ " ${USED_PORTS:-} " != *" $p "* ]]; then
			USED_PORTS="${USED_PORTS:-} $p"
			echo "$p"
			return
		fi
	done
}

# launch_broker NAME: one attempt; 0 when it answers, 1 when it died.
launch_broker() {
	local data="$WORK/data-$1"
	KAFKA_PORT=$(free_port)
	HTTP_PORT=$(free_port)
	RAFT_PORT=$(free_port)
	BROKERS="127.0.0.1:$KAFKA_PORT"
	rm -rf "$data"
	# gregor serve reads GREGOR_* variables as broker configs; the
	# caller's client-side ones (GREGOR_BROKERS, ...) are not for it.
	env $(env | sed -n 's/^\(GREGOR_[A-Za-z0-9_]*\)=.*/-u \1/p') \
		"$GREGOR" serve --data-dir "$data" --kafka-addr "$BROKERS" \
		--http-addr "127.0.0.1:$HTTP_PORT" --raft-addr "127.0.0.1:$RAFT_PORT" \
		>"$WORK/broker-$1.log" 2>&1 &
	BROKER_PID=$!
	local i
	for i in $(seq 1 150); do
		if "$GREGOR" cluster info -b "$BROKERS" --timeout 2s >/dev/null 2>&1; then
			echo "broker pid $BROKER_PID on $BROKERS" >&2
			return 0
		fi
		if ! kill -0 "$BROKER_PID" 2>/dev/null; then
			return 1
		fi
		sleep 0.2
	done
	return 1
}

# start_broker NAME: a port that looked free may be taken by the time the
# broker binds it, so a node that dies at start-up gets fresh ports.
start_broker() {
	local try
	for try in 1 2 3; do
		if launch_broker "$1"; then
			return
		fi
		kill "$BROKER_PID" 2>/dev/null || true
		wait "$BROKER_PID" 2>/dev/null || true
		BROKER_PID=""
	done
	echo "broker did not start; its log:" >&2
	tail -n 50 "$WORK/broker-$1.log" >&2
	exit 1
}

stop_broker() {
	kill "$BROKER_PID"
	wait "$BROKER_PID" 2>/dev/null || true
	BROKER_PID=""
}

# Peak resident set size of the broker, in MiB, since start or the last
# reset_peak.
peak_rss_mib() { awk '/^VmHWM:/ { printf "%.0f", $2 / 1024 }' "/proc/$BROKER_PID/status"; }
# Writing 5 to clear_refs resets VmHWM (Linux >= 4.0), so each phase
# reports its own peak rather than the largest one so far.
reset_peak() { echo 5 >"/proc/$BROKER_PID/clear_refs" 2>/dev/null || echo "(cannot reset VmHWM; peaks are cumulative)" >&2; }

ROWS=()
# row NAME JSONFILE RSS
row() {
	local f=$2
	ROWS+=("$(printf '%s|%s|%s|%s|%s|%s|%s|%s' "$1" \
		"$(jget "$f" records_per_s | awk '{ printf "%.0f", $1 }')" \
		"$(jget "$f" mb_per_s | awk '{ printf "%.1f", $1 }')" \
		"$(jget "$f" p50_ms)" "$(jget "$f" p99_ms)" "$(jget "$f" p999_ms)" \
		"$3" \
		"$(awk -v a="$(jget "$f" mb_per_s)" -v b="$DISK_MBS" 'BEGIN { printf "%.2f", a / b }')")")
}

bench_produce() { # NAME TOPIC SIZE PARTITIONS
	say "produce $1: ${3} B records, acks=all, $PRODUCERS producers, $4 partitions, ${SECONDS_PER_RUN}s"
	reset_peak
	"$GREGOR" bench produce "$2" -b "$BROKERS" --record-size "$3" --partitions "$4" \
		--producers "$PRODUCERS" --acks all --records 0 --duration "${SECONDS_PER_RUN}s" \
		--json >"$WORK/$1.json"
	row "$1" "$WORK/$1.json" "$(peak_rss_mib)"
}

say "start gregor serve"
start_broker main
bench_produce produce-100B perf-100 100 "$PARTITIONS"
bench_produce produce-1KiB perf-1k 1024 "$PARTITIONS"

say "consume perf-1k from start to end"
reset_peak
"$GREGOR" bench consume perf-1k -b "$BROKERS" --json >"$WORK/consume-1KiB.json"
row consume-1KiB "$WORK/consume-1KiB.json" "$(peak_rss_mib)"
stop_broker

# The load run gets a fresh node so its peak RSS is its own.
say "start a fresh node for the $MANY_PARTITIONS-partition run"
start_broker many
bench_produce "produce-1KiB-${MANY_PARTITIONS}p" perf-many 1024 "$MANY_PARTITIONS"
stop_broker

say "results"
{
	echo "phase|records/s|MB/s|p50 ms|p99 ms|p99.9 ms|peak RSS MiB|÷ disk"
	echo "disk (fsync/16MiB)|-|$DISK_MBS|-|-|-|-|1.00"
	printf '%s\n' "${ROWS[@]}"
} | column -t -s '|'
echo
echo "MB = 1,000,000 bytes of record values; latency is produce call to ack (fetch round trip for consume)."
