package metadata

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"

	"github.com/gregor-stream/gregor/internal/config"
	"github.com/gregor-stream/gregor/internal/quorum"
)

// Voter is one metadata quorum voter (id@host:port).
type Voter = config.Voter

// Config configures a metadata node.
type Config struct {
	NodeID int32
	// DataDir holds meta.properties; the raft state goes under
	// <DataDir>/metadata.
	DataDir string
	// RaftAddr is the quorum transport's listen address;
	// AdvertiseRaftAddr what other voters dial (RaftAddr when empty).
	RaftAddr          string
	AdvertiseRaftAddr string
	// Voters of the quorum; empty = this node alone.
	Voters []Voter
	Logger *slog.Logger
	// Broker supplies defaults (num.partitions, default.replication.factor,
	// delete.topic.enable, topic config defaults); nil = all defaults.
	Broker *config.Broker
	// StartTimeout bounds how long Start waits for a leader and a caught up
	// image; 0 = 30 s.
	StartTimeout time.Duration
}

// Node is this process's member of the metadata quorum: it replays the
// metadata log into Images and, while it leads the quorum, is the
// controller.
type Node struct {
	cfg    Config
	broker *config.Broker
	logger *slog.Logger
	fsm    *fsm
	q      *quorum.Quorum

	// ctrlMu serialises controller operations from validation to commit.
	ctrlMu sync.Mutex
	sess   sessions
	// remote reaches the controller when it is another node.
	remote atomic.Pointer[remoteHolder]

	stop      chan struct{}
	stopCtx   context.Context // cancelled by Close, for work of the node itself
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// Start opens (or bootstraps) the metadata quorum and returns once this
// node leads it, or follows a leader and has applied the log up to that
// leader's announcement. A fresh single-node data directory becomes a new
// cluster: a cluster id is generated, recorded in the log and written to
// <DataDir>/meta.properties.
func Start(cfg Config) (*Node, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("metadata: no data dir")
	}
	if cfg.RaftAddr == "" {
		// net.Listen would pick a random port on every interface.
		return nil, errors.New("metadata: no raft address")
	}
	if cfg.NodeID < 0 {
		return nil, fmt.Errorf("metadata: bad node id %d", cfg.NodeID)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.StartTimeout == 0 {
		cfg.StartTimeout = 30 * time.Second
	}
	b := cfg.Broker
	if b == nil {
		b = config.DefaultBroker()
	}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	mp, haveMP, err := readMetaProperties(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	if haveMP && mp.NodeID != cfg.NodeID {
		return nil, fmt.Errorf("data dir %s belongs to node %d, not %d", cfg.DataDir, mp.NodeID, cfg.NodeID)
	}
	logger := cfg.Logger.With("component", "metadata")
	n := &Node{cfg: cfg, broker: b, logger: logger, fsm: newFSM(logger), stop: make(chan struct{})}
	n.stopCtx, n.cancel = context.WithCancel(context.Background())
	n.sess.last = map[int32]time.Time{}
	n.q, err = quorum.Open(quorum.Config{
		NodeID: cfg.NodeID, Dir: filepath.Join(cfg.DataDir, "metadata"),
		BindAddr: cfg.RaftAddr, AdvertiseAddr: cfg.AdvertiseRaftAddr,
		Voters: cfg.Voters, Logger: cfg.Logger,
	}, n.fsm)
	if err != nil {
		n.cancel()
		n.fsm.close()
		return nil, err
	}
	n.wg.Add(3)
	go n.watchLeadership(mp.ClusterID)
	go n.expireSessions()
	go n.rebalanceLeaders()

	img, err := n.waitReady(cfg.StartTimeout)
	if err != nil {
		n.Close()
		return nil, err
	}
	if haveMP && mp.ClusterID != "" && mp.ClusterID != img.ClusterID {
		n.Close()
		return nil, fmt.Errorf("data dir %s belongs to cluster %s, the metadata log to %s", cfg.DataDir, mp.ClusterID, img.ClusterID)
	}
	if !haveMP || mp.ClusterID == "" {
		if err := writeMetaProperties(cfg.DataDir, metaProperties{NodeID: cfg.NodeID, ClusterID: img.ClusterID}); err != nil {
			n.Close()
			return nil, err
		}
	}
	logger.Info("metadata ready", "cluster_id", img.ClusterID, "controller", img.ControllerID,
		"offset", img.Offset, "topics", len(img.Topics), "bootstrapped", n.q.Bootstrapped)
	return n, nil
}

// waitReady waits until the image holds the announcement of the current
// leader: everything committed before this term has then been applied.
func (n *Node) waitReady(timeout time.Duration) (*Image, error) {
	deadline := time.Now().Add(timeout)
	for {
		// The leader must be known: after a restart the restored image may
		// carry the previous run's announcement from the same term, before
		// any election has happened.
		img := n.Image()
		leader, _ := n.q.Leader()
		if img.ClusterID != "" && leader >= 0 && img.ControllerID == leader && img.ControllerEpoch == n.q.Raft.CurrentTerm() {
			return img, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("metadata quorum not ready after %v (leader %v)", timeout, n.leaderString())
		}
		select {
		case <-n.stop:
			return nil, ErrClosed
		case <-time.After(2 * time.Millisecond):
		}
	}
}

func (n *Node) leaderString() string {
	id, addr := n.q.Leader()
	if id < 0 {
		return "unknown"
	}
	return fmt.Sprintf("%d@%s", id, addr)
}

// watchLeadership announces this node as controller each time it becomes
// the quorum leader (and fixes the cluster id on the very first term).
func (n *Node) watchLeadership(clusterID string) {
	defer n.wg.Done()
	ch := n.q.Raft.LeaderCh()
	for {
		select {
		case <-n.stop:
			return
		case leader := <-ch:
			if leader {
				n.announce(clusterID)
			}
		}
	}
}

func (n *Node) announce(clusterID string) {
	n.ctrlMu.Lock()
	defer n.ctrlMu.Unlock()
	for attempt := 0; ; attempt++ {
		err := n.tryAnnounce(clusterID)
		if err == nil {
			n.logger.Info("controller elected", "node", n.cfg.NodeID, "epoch", n.Image().ControllerEpoch)
			return
		}
		if n.q.Raft.State() != raft.Leader || n.stopCtx.Err() != nil || attempt == 5 {
			n.logger.Warn("announce controller", "err", err)
			return
		}
		time.Sleep(time.Duration(attempt+1) * 50 * time.Millisecond)
	}
}

// tryAnnounce applies everything committed before this term first (a new
// leader's image may lag), so the cluster id is only ever proposed once.
// n.ctrlMu must be held.
func (n *Node) tryAnnounce(clusterID string) error {
	ctx, cancel := context.WithTimeout(n.stopCtx, 10*time.Second)
	defer cancel()
	if err := n.q.Raft.Barrier(10 * time.Second).Error(); err != nil {
		return raftErr(err)
	}
	var recs []record
	if n.Image().ClusterID == "" {
		if clusterID == "" {
			clusterID = NewClusterID()
		}
		recs = append(recs, clusterRecord{ClusterID: clusterID})
	}
	recs = append(recs, controllerRecord{ID: n.cfg.NodeID})
	_, err := n.propose(ctx, recs)
	return err
}

// NewClusterID returns a random cluster id in Kafka's form: a UUID in
// unpadded URL-safe base64 (22 characters).
func NewClusterID() string {
	id := newUUID()
	return base64.RawURLEncoding.EncodeToString(id[:])
}

// newUUID returns a random version 4 UUID; it is never all zeros.
func newUUID() [16]byte {
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		panic("crypto/rand: " + err.Error())
	}
	id[6] = id[6]&0x0f | 0x40
	id[8] = id[8]&0x3f | 0x80
	return id
}

// Image returns the current image. It never changes; load it again for
// newer state.
func (n *Node) Image() *Image { return n.fsm.cur.Load() }

// Subscribe calls fn with every image published after Subscribe returns,
// and the one before it, in apply order, from one goroutine. To start from
// a complete state, subscribe first and then read Image(): an image
// published in between arrives as a notification too. fn must not block
// long (it holds up every later notification). cancel stops the calls; a
// call already under way on the dispatcher may still finish.
func (n *Node) Subscribe(fn func(prev, next *Image)) (cancel func()) { return n.fsm.subscribe(fn) }

// NodeID is this node's id.
func (n *Node) NodeID() int32 { return n.cfg.NodeID }

// IsController reports whether this node is the controller now.
func (n *Node) IsController() bool {
	img := n.Image()
	return n.q.IsLeader() && img.ControllerID == n.cfg.NodeID && img.ControllerEpoch == n.q.Raft.CurrentTerm()
}

// Controller returns the controller's node id, -1 when unknown.
func (n *Node) Controller() int32 {
	id, _ := n.q.Leader()
	return id
}

// Close stops the node. It is safe to call more than once.
func (n *Node) Close() error {
	n.closeOnce.Do(func() {
		close(n.stop)
		n.cancel()
		n.wg.Wait()
		n.closeErr = n.q.Close()
		n.fsm.close()
	})
	return n.closeErr
}

// lead takes the controller lock and checks this node may act as
// controller against an up-to-date image. The caller must unlock ctrlMu.
func (n *Node) lead() (*Image, error) {
	n.ctrlMu.Lock()
	select {
	case <-n.stop:
		n.ctrlMu.Unlock()
		return nil, ErrClosed
	default:
	}
	if !n.IsController() {
		n.ctrlMu.Unlock()
		return nil, fmt.Errorf("%w: controller is %s", ErrNotController, n.leaderString())
	}
	return n.Image(), nil
}

// propose commits recs as one raft entry and returns the image they
// produced. n.ctrlMu must be held.
func (n *Node) propose(ctx context.Context, recs []record) (*Image, error) {
	data, err := encodeBatch(recs)
	if err != nil {
		return nil, err
	}
	timeout := 30 * time.Second
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d)
		if timeout <= 0 {
			return nil, fmt.Errorf("%w: %v", ErrTimeout, ctx.Err())
		}
	}
	f := n.q.Raft.Apply(data, timeout)
	done := make(chan error, 1)
	go func() { done <- f.Error() }()
	select {
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %v", ErrTimeout, ctx.Err())
	case err = <-done:
	}
	if err != nil {
		return nil, raftErr(err)
	}
	switch r := f.Response().(type) {
	case error:
		return nil, r
	case *Image:
		return r, nil
	}
	return n.Image(), nil
}
