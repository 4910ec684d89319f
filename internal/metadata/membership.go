package metadata

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/raft"

	"github.com/gregor-stream/gregor/internal/quorum"
)

// QuorumMember is one server of the metadata quorum.
type QuorumMember struct {
	ID    int32
	Addr  string // raft address
	Voter bool
}

// QuorumMembers returns the quorum's current configuration as this node
// knows it: the voters and the observers (non-voters) replaying the log.
func (n *Node) QuorumMembers() ([]QuorumMember, error) {
	f := n.q.Raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return nil, fmt.Errorf("read quorum configuration: %w", err)
	}
	var out []QuorumMember
	for _, s := range f.Configuration().Servers {
		out = append(out, QuorumMember{ID: quorum.NodeOf(s.ID), Addr: string(s.Address), Voter: s.Suffrage == raft.Voter})
	}
	return out, nil
}

// AddObserver lets node id, listening for raft at addr, replay the
// metadata log as a non-voting observer. Its Start returns once it has
// caught up. Adding a current member again with the same address is a
// no-op.
func (n *Node) AddObserver(ctx context.Context, id int32, addr string) error {
	if id < 0 || addr == "" {
		return fmt.Errorf("%w: observer %d@%s", ErrInvalidRequest, id, addr)
	}
	if _, err := n.lead(); err != nil {
		return err
	}
	defer n.ctrlMu.Unlock()
	members, err := n.QuorumMembers()
	if err != nil {
		return err
	}
	for _, m := range members {
		if m.ID == id && m.Voter {
			return fmt.Errorf("%w: node %d is a voter", ErrInvalidRequest, id)
		}
	}
	return raftErr(n.q.Raft.AddNonvoter(quorum.ServerID(id), raft.ServerAddress(addr), 0, timeoutOf(ctx)).Error())
}

// RemoveObserver stops replicating the log to observer id.
func (n *Node) RemoveObserver(ctx context.Context, id int32) error {
	if _, err := n.lead(); err != nil {
		return err
	}
	defer n.ctrlMu.Unlock()
	members, err := n.QuorumMembers()
	if err != nil {
		return err
	}
	for _, m := range members {
		if m.ID == id {
			if m.Voter {
				return fmt.Errorf("%w: node %d is a voter", ErrInvalidRequest, id)
			}
			return raftErr(n.q.Raft.RemoveServer(quorum.ServerID(id), 0, timeoutOf(ctx)).Error())
		}
	}
	return fmt.Errorf("%w: node %d is not an observer", ErrUnknownBroker, id)
}

func timeoutOf(ctx context.Context) time.Duration {
	if d, ok := ctx.Deadline(); ok {
		return max(time.Until(d), time.Millisecond)
	}
	return 30 * time.Second
}

// raftErr maps raft's errors to the package's.
func raftErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrLeadershipLost), errors.Is(err, raft.ErrLeadershipTransferInProgress):
		return fmt.Errorf("%w: %v", ErrNotController, err)
	case errors.Is(err, raft.ErrRaftShutdown):
		return ErrClosed
	case errors.Is(err, raft.ErrEnqueueTimeout):
		return fmt.Errorf("%w: %v", ErrTimeout, err)
	}
	return fmt.Errorf("metadata quorum: %w", err)
}

// QuorumStatus is this node's view of the metadata quorum, for
// DescribeQuorum and the admin API.
type QuorumStatus struct {
	LeaderID      int32  // -1 when unknown
	LeaderEpoch   uint64 // the raft term
	HighWatermark uint64 // the commit index
	LastIndex     uint64 // last entry in this node's log
	AppliedIndex  uint64 // last entry applied to this node's image
	Members       []QuorumMember
}

// QuorumStatus reports the quorum as this node sees it.
func (n *Node) QuorumStatus() (QuorumStatus, error) {
	members, err := n.QuorumMembers()
	if err != nil {
		return QuorumStatus{}, err
	}
	leader, _ := n.q.Leader()
	return QuorumStatus{
		LeaderID: leader, LeaderEpoch: n.q.Raft.CurrentTerm(), HighWatermark: n.q.Raft.CommitIndex(),
		LastIndex: n.q.Raft.LastIndex(), AppliedIndex: n.q.Raft.AppliedIndex(), Members: members,
	}, nil
}
