// Package httpapi owns the HTTP listener: /metrics (Prometheus), /healthz
// (the process is up) and /readyz (the node serves Kafka requests). The
// admin API, REST proxy and web console will live here too.
//
// Metrics are gathered on scrape by a custom collector that reads the
// subsystems' counters and the partitions' offsets, so the hot paths pay
// nothing for them. No locks of its own.
package httpapi
