# Gregor developer targets. `make test` is the same command CI runs.

FUZZTIME ?= 30s

.PHONY: build test fuzz

build:
	CGO_ENABLED=0 go build -o bin/gregor ./cmd/gregor

test:
	scripts/test.sh

# Runs every Fuzz target of every package for $(FUZZTIME) each.
fuzz:
	scripts/fuzz.sh $(FUZZTIME)
