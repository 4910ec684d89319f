package quorum

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/hashicorp/raft"

	"github.com/gregor-stream/gregor/internal/config"
)

// Config says where the quorum keeps its state and who votes.
type Config struct {
	NodeID int32
	// Dir holds the raft log, stable store and snapshots
	// (<data>/metadata).
	Dir string
	// BindAddr is the transport's listen address; AdvertiseAddr what the
	// other voters dial (BindAddr when empty).
	BindAddr      string
	AdvertiseAddr string
	// Voters of a new cluster; empty = this node alone.
	Voters []config.Voter
	Logger *slog.Logger
	// SnapshotThreshold and TrailingLogs tune log compaction: a snapshot
	// is taken after SnapshotThreshold new entries, and TrailingLogs
	// entries are kept behind it for slow followers. 0 = 4096 each.
	SnapshotThreshold uint64
	TrailingLogs      uint64
}

// Quorum is a running raft node over the metadata log.
type Quorum struct {
	Raft      *raft.Raft
	logs      *LogStore
	stable    *StableStore
	transport *raft.NetworkTransport
	logger    *slog.Logger
	lock      *os.File
	// Bootstrapped is true when this Open created a fresh cluster.
	Bootstrapped bool
}

// ServerID is the raft id of a node.
func ServerID(node int32) raft.ServerID { return raft.ServerID(strconv.Itoa(int(node))) }

// NodeOf parses a raft server id back into a node id (-1 if it is not one).
func NodeOf(id raft.ServerID) int32 {
	n, err := strconv.ParseInt(string(id), 10, 32)
	if err != nil {
		return -1
	}
	return int32(n)
}

// Open starts raft with fsm. A directory without raft state is bootstrapped
// with the voter configuration (every voter bootstraps the same one, which
// raft allows); an existing one is reopened: the latest snapshot is restored
// into fsm and the log replays as the leader commits.
func Open(cfg Config, fsm raft.FSM) (*Quorum, error) {
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	hc := newHCLogger(logger, "raft")
	logger = logger.With("component", "quorum")
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("create metadata dir: %w", err)
	}
	voters := cfg.Voters
	advertise := cfg.AdvertiseAddr
	if advertise == "" {
		// A voter is reached at its address in the voter list, which also
		// makes a wildcard bind address (0.0.0.0:9093) usable.
		for _, v := range voters {
			if v.ID == cfg.NodeID {
				advertise = v.Addr
			}
		}
	}
	if advertise == "" {
		advertise = cfg.BindAddr
	}
	if len(voters) == 0 {
		voters = []config.Voter{{ID: cfg.NodeID, Addr: advertise}}
	}
	isVoter := false
	for _, v := range voters {
		isVoter = isVoter || v.ID == cfg.NodeID
	}

	rc := raft.DefaultConfig()
	rc.LocalID = ServerID(cfg.NodeID)
	rc.Logger = hc
	rc.LogLevel = "WARN"
	if len(voters) == 1 && isVoter {
		// Nobody else can be leader: elect ourselves as soon as possible.
		rc.HeartbeatTimeout = 100 * time.Millisecond
		rc.ElectionTimeout = 100 * time.Millisecond
		rc.LeaderLeaseTimeout = 50 * time.Millisecond
	} else {
		rc.HeartbeatTimeout = 500 * time.Millisecond
		rc.ElectionTimeout = 500 * time.Millisecond
		rc.LeaderLeaseTimeout = 250 * time.Millisecond
	}
	rc.CommitTimeout = 5 * time.Millisecond
	rc.SnapshotThreshold = 4096
	rc.TrailingLogs = 4096
	if cfg.SnapshotThreshold > 0 {
		rc.SnapshotThreshold = cfg.SnapshotThreshold
	}
	if cfg.TrailingLogs > 0 {
		rc.TrailingLogs = cfg.TrailingLogs
	}
	rc.SnapshotInterval = 30 * time.Second

	lock, err := lockDir(cfg.Dir)
	if err != nil {
		return nil, err
	}
	logs, err := OpenLogStore(filepath.Join(cfg.Dir, "raft.log"), logger)
	if err != nil {
		unlock(lock)
		return nil, err
	}
	stable, err := OpenStableStore(filepath.Join(cfg.Dir, "raft-stable.json"))
	if err != nil {
		logs.Close()
		unlock(lock)
		return nil, err
	}
	snaps, err := raft.NewFileSnapshotStoreWithLogger(cfg.Dir, 2, hc)
	if err != nil {
		logs.Close()
		unlock(lock)
		return nil, fmt.Errorf("open snapshot store: %w", err)
	}
	var adv net.Addr
	if advertise != cfg.BindAddr {
		if adv, err = net.ResolveTCPAddr("tcp", advertise); err != nil {
			logs.Close()
			unlock(lock)
			return nil, fmt.Errorf("resolve raft advertise address: %w", err)
		}
	}
	transport, err := raft.NewTCPTransportWithLogger(cfg.BindAddr, adv, 3, 10*time.Second, hc)
	if err != nil {
		logs.Close()
		unlock(lock)
		return nil, fmt.Errorf("listen raft on %s: %w", cfg.BindAddr, err)
	}
	q := &Quorum{logs: logs, stable: stable, transport: transport, logger: logger, lock: lock}
	fail := func(err error) (*Quorum, error) {
		transport.Close()
		logs.Close()
		unlock(lock)
		return nil, err
	}

	existing, err := raft.HasExistingState(logs, stable, snaps)
	if err != nil {
		return fail(fmt.Errorf("inspect raft state: %w", err))
	}
	if !existing && isVoter {
		var servers []raft.Server
		for _, v := range voters {
			addr := v.Addr
			if v.ID == cfg.NodeID {
				addr = string(transport.LocalAddr())
			}
			servers = append(servers, raft.Server{Suffrage: raft.Voter, ID: ServerID(v.ID), Address: raft.ServerAddress(addr)})
		}
		if err := raft.BootstrapCluster(rc, logs, stable, snaps, transport, raft.Configuration{Servers: servers}); err != nil {
			return fail(fmt.Errorf("bootstrap metadata quorum: %w", err))
		}
		q.Bootstrapped = true
		logger.Info("bootstrapped metadata quorum", "voters", len(servers))
	}
	r, err := raft.NewRaft(rc, fsm, logs, stable, snaps, transport)
	if err != nil {
		return fail(fmt.Errorf("start raft: %w", err))
	}
	q.Raft = r
	return q, nil
}

// Addr is the transport's address.
func (q *Quorum) Addr() string { return string(q.transport.LocalAddr()) }

// IsLeader reports whether this node leads the quorum now.
func (q *Quorum) IsLeader() bool { return q.Raft.State() == raft.Leader }

// Leader returns the current leader's node id and raft address, -1 if
// unknown.
func (q *Quorum) Leader() (int32, string) {
	addr, id := q.Raft.LeaderWithID()
	if id == "" {
		return -1, ""
	}
	return NodeOf(id), string(addr)
}

// ErrShutdown is returned by Close when raft did not stop cleanly.
var ErrShutdown = errors.New("quorum shutdown")

// Close stops raft and releases the transport and files.
func (q *Quorum) Close() error {
	var errs []error
	if q.Raft != nil {
		q.handOff()
		if err := q.Raft.Shutdown().Error(); err != nil {
			errs = append(errs, fmt.Errorf("%w: %v", ErrShutdown, err))
		}
	}
	// Pooled outgoing connections outlive raft: close them so the peers'
	// connection handlers see EOF instead of waiting forever.
	q.transport.CloseStreams()
	if err := q.transport.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close raft transport: %w", err))
	}
	if err := q.logs.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close raft log: %w", err))
	}
	unlock(q.lock)
	return errors.Join(errs...)
}

// unlock releases the directory lock (closing the file drops the flock).
func unlock(f *os.File) {
	if f != nil {
		f.Close()
	}
}

// handOffTimeout bounds how long a stopping leader waits to hand off.
const handOffTimeout = 3 * time.Second

// handOff passes leadership to another voter when this one leads and is
// stopping, so the quorum has a leader again at once rather than after
// the followers' heartbeat timeout; the new leader is caught up first, so
// the last commits (a controlled shutdown's fence) reach it too.
func (q *Quorum) handOff() {
	if q.Raft.State() != raft.Leader {
		return
	}
	f := q.Raft.GetConfiguration()
	if f.Error() != nil {
		return
	}
	voters := 0
	for _, s := range f.Configuration().Servers {
		if s.Suffrage == raft.Voter {
			voters++
		}
	}
	if voters < 2 {
		return
	}
	done := make(chan error, 1)
	go func() { done <- q.Raft.LeadershipTransfer().Error() }()
	select {
	case <-done:
	case <-time.After(handOffTimeout):
	}
}
