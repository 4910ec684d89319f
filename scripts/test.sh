#!/usr/bin/env bash
# The project's test command: installs what the black-box tests need, then
# vets and tests every package. Run from anywhere inside the repository.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# kcat is one of the real clients tests/compat drives as a process.
if ! command -v kcat >/dev/null 2>&1; then
	sudo=""
	if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then
		sudo="sudo"
	fi
	echo "scripts/test.sh: installing kcat"
	# A failed install is reported, not fatal: every other test still runs
	# and TestKcat fails naming the missing tool.
	if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq kcat >/dev/null; }; then
		echo "scripts/test.sh: warning: could not install kcat" >&2
	fi
fi

# confluent-kafka-go links a bundled static librdkafka through cgo.
export CGO_ENABLED=1

# Build the broker once for every test binary that runs it.
bindir="$(mktemp -d)"
trap 'rm -rf "$bindir"' EXIT
CGO_ENABLED=0 go build -o "$bindir/gregor" ./cmd/gregor
export GREGOR_BIN="$bindir/gregor"

go vet ./...
go test -count=1 -p 2 -timeout 20m "$@" ./...
