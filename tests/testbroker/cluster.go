package testbroker

import (
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// StartCluster starts n brokers that form one cluster: node ids 1..n, every
// node a metadata voter (--voters lists all of them), each on its own free
// ports and data dir. The processes start together because a voter cannot
// become ready before a quorum exists; StartCluster returns once every node
// answers /readyz. Options apply to every node (WithDataDir, WithAddrs and
// WithNodeID are not allowed here).
func StartCluster(t testing.TB, n int, opts ...Option) []*Broker {
	t.Helper()
	cfg := config{}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.dataDir != "" || cfg.addrs != nil || cfg.nodeID != 0 {
		t.Fatalf("StartCluster: WithDataDir, WithAddrs and WithNodeID are per node; not allowed")
	}
	var lastErr error
	for try := 0; try < startTries; try++ {
		addrs, err := FreeAddrs(3 * n)
		if err != nil {
			t.Fatalf("pick ports: %v", err)
		}
		voters := make([]string, n)
		for i := range voters {
			voters[i] = fmt.Sprintf("%d@%s", i+1, addrs[3*i+2])
		}
		nodes := make([]*Broker, n)
		for i := range nodes {
			nc := cfg
			nc.nodeID = i + 1
			nc.dataDir = filepath.Join(t.TempDir(), fmt.Sprintf("node%d", i+1))
			nc.args = append([]string{"--voters", strings.Join(voters, ",")}, cfg.args...)
			b := newBroker(t, nc)
			b.Addr, b.HTTPAddr, b.RaftAddr = addrs[3*i], addrs[3*i+1], addrs[3*i+2]
			nodes[i] = b
		}
		lastErr = startAll(nodes)
		if lastErr == nil {
			return nodes
		}
		clash := false
		for _, b := range nodes {
			b.Kill()
			clash = clash || b.portClash()
		}
		if !clash {
			break
		}
	}
	t.Fatalf("start %d-node cluster: %v (output logged below)", n, lastErr)
	return nil
}

func startAll(nodes []*Broker) error {
	for _, b := range nodes {
		if err := b.spawn(); err != nil {
			return fmt.Errorf("node %d: %w", b.NodeID, err)
		}
	}
	for _, b := range nodes {
		if err := b.waitReady(); err != nil {
			return fmt.Errorf("node %d: %w", b.NodeID, err)
		}
	}
	return nil
}

// Pause stops the process with SIGSTOP: it keeps its sockets but answers
// nothing, like a long GC pause or a hung VM.
func (b *Broker) Pause() {
	if b.Running() {
		_ = b.cmd.Process.Signal(syscall.SIGSTOP)
	}
}

// Resume continues a paused process (SIGCONT).
func (b *Broker) Resume() {
	if b.Running() {
		_ = b.cmd.Process.Signal(syscall.SIGCONT)
	}
}
