// Package quorum wires hashicorp/raft for the metadata log: a crash-safe
// file log store and stable store, the file snapshot store, the TCP
// transport, bootstrap of the voter configuration, and raft's hclog output
// adapted to slog. It knows nothing of what the log holds;
// internal/metadata supplies the FSM.
//
// Files in <data>/metadata/:
//
//	LOCK              flock'ed while a process has the directory open
//	raft.log          the log: frames of u32 length, u32 CRC32C, payload
//	                  (index, term, type, appended-at, data, extensions),
//	                  fsynced per append; a torn tail is cut at open; a
//	                  compacted prefix is removed by rewriting the file
//	                  (temp, fsync, rename, fsync dir)
//	raft-stable.json  current term and vote, replaced crash-safely
//	snapshots/        raft's file snapshot store (the FSM's JSON image)
//
// Close hands leadership to another voter first when this node leads, so
// a clean stop of the controller costs no election timeout.
//
// Concurrency: raft calls the stores from several goroutines; LogStore and
// StableStore each guard their state with one mutex (never held while
// calling out, so there is no lock order between them). Raft itself runs
// its own goroutines; the FSM is called from raft's single FSM goroutine.
package quorum
