// Package quorum wires hashicorp/raft for the metadata log: a crash-safe
// file log store and stable store in <data>/metadata/, the file snapshot
// store, the TCP transport, bootstrap of the voter configuration, and
// raft's hclog output adapted to slog.
//
// It knows nothing of what the log holds; internal/metadata supplies the
// FSM.
//
// Concurrency: raft calls the stores from several goroutines; LogStore and
// StableStore each guard their state with one mutex (never held while
// calling out, so there is no lock order between them). Raft itself runs
// its own goroutines; the FSM is called from raft's single FSM goroutine.
package quorum
