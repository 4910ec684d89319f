// Package cluster implements `gregor cluster ...`: a view of the cluster as
// its metadata reports it.
//
// Concurrency: commands run on the caller's goroutine. No locks.
package cluster
