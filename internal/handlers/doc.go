// Package handlers implements the Kafka APIs, one file per API named by its
// key (00_produce.go, 01_fetch.go, ...). A handler decodes nothing itself:
// the server hands it a kmsg request and it answers with a kmsg response
// through Reply, either at once or later (two-phase: acks=all produce and
// long-polling fetch reply from another goroutine).
//
// errors.go is the only place that maps Go errors to Kafka error codes.
//
// State: handlers hold no locks of their own except the fetch session
// cache (fetchSessions.mu), which nests nothing.
package handlers
