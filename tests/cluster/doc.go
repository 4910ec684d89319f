// Package cluster holds multi-node black-box tests: several gregor
// processes form one cluster (every node a metadata voter), and the tests
// check what an operator relies on: every node tells the same story about
// brokers, controller and topics; replicated topics keep every acknowledged
// record when a partition leader is killed with SIGKILL; a restarted node
// catches up and rejoins the ISR.
//
// Concurrency: each test owns its nodes and clients; no shared state, no
// locks.
package cluster
