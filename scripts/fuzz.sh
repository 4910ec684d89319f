#!/usr/bin/env bash
# Runs each Fuzz target for the given time (default 30s), one at a time:
# `go test -fuzz` accepts a single target per run.
# Usage: scripts/fuzz.sh [FUZZTIME] [PACKAGES...]   (default ./...)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
fuzztime="${1:-30s}"
shift || true
pkgs=("$@")
if [ ${#pkgs[@]} -eq 0 ]; then
	pkgs=(./...)
fi

found=0
for pkg in $(go list "${pkgs[@]}"); do
	for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
		found=1
		echo "== $pkg $target ($fuzztime)"
		go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg"
	done
done
if [ "$found" = 0 ]; then
	echo "no Fuzz targets found"
fi
