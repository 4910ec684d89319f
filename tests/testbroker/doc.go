// Package testbroker runs the real gregor binary as a child process for
// black-box tests.
//
// It owns: building ./cmd/gregor once per test binary (or reusing the binary
// named by GREGOR_BIN), choosing free loopback ports, starting
// `gregor serve`, waiting for /readyz, capturing the broker's output to a
// file in the test's temp dir, and stopping, killing and restarting the
// process.
//
// Concurrency: a Broker is meant to be driven from one goroutine (the test's);
// the only background goroutine per process is the one blocked in
// exec.Cmd.Wait, which publishes the exit through a channel. The build is
// guarded by a sync.Once shared by every test in the binary. There are no
// nested locks.
package testbroker
