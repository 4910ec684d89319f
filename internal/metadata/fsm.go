package metadata

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/raft"
)

// fsm replays batches onto images for hashicorp/raft and publishes them.
type fsm struct {
	cur    atomic.Pointer[Image]
	logger *slog.Logger

	subMu   sync.Mutex
	subCond *sync.Cond
	subs    []subscriber
	nextSub uint64
	queue   []change
	seq     uint64 // publications so far
	closed  bool
	done    chan struct{}
}

type subscriber struct {
	id   uint64
	from uint64 // first publication it is told about
	fn   func(prev, next *Image)
}

type change struct {
	seq        uint64
	prev, next *Image
}

var _ raft.FSM = (*fsm)(nil)

func newFSM(logger *slog.Logger) *fsm {
	f := &fsm{logger: logger, done: make(chan struct{})}
	f.subCond = sync.NewCond(&f.subMu)
	f.cur.Store(emptyImage())
	go f.dispatch()
	return f
}

// Apply is called by raft, on one goroutine, for every committed entry. The
// response is the new *Image, or an error when the batch was rejected (it
// reaches the proposer through ApplyFuture.Response).
func (f *fsm) Apply(l *raft.Log) any {
	if l.Type != raft.LogCommand {
		return nil
	}
	recs, err := decodeBatch(l.Data)
	if err != nil {
		f.logger.Error("undecodable metadata entry skipped", "index", l.Index, "err", err)
		return err
	}
	prev := f.cur.Load()
	next, err := applyBatch(prev, recs, l.Index, l.Term)
	if err != nil {
		f.logger.Debug("metadata batch rejected", "index", l.Index, "err", err)
		return err
	}
	f.publish(prev, next)
	return next
}

// publish stores the image and queues it for subscribers under one lock,
// so a subscriber is told about exactly the images published after it
// subscribed: never one older than what Image() returned to it.
func (f *fsm) publish(prev, next *Image) {
	f.subMu.Lock()
	f.cur.Store(next)
	f.seq++
	f.queue = append(f.queue, change{f.seq, prev, next})
	f.subMu.Unlock()
	f.subCond.Signal()
}

// dispatch calls subscribers, in apply order, from this one goroutine.
func (f *fsm) dispatch() {
	defer close(f.done)
	for {
		f.subMu.Lock()
		for len(f.queue) == 0 && !f.closed {
			f.subCond.Wait()
		}
		if len(f.queue) == 0 {
			f.subMu.Unlock()
			return
		}
		c := f.queue[0]
		f.queue[0] = change{}
		f.queue = f.queue[1:]
		subs := append([]subscriber(nil), f.subs...)
		f.subMu.Unlock()
		for _, s := range subs {
			if c.seq >= s.from {
				s.fn(c.prev, c.next)
			}
		}
	}
}

func (f *fsm) subscribe(fn func(prev, next *Image)) func() {
	f.subMu.Lock()
	defer f.subMu.Unlock()
	f.nextSub++
	id := f.nextSub
	f.subs = append(f.subs, subscriber{id: id, from: f.seq + 1, fn: fn})
	return func() {
		f.subMu.Lock()
		defer f.subMu.Unlock()
		for i, s := range f.subs {
			if s.id == id {
				f.subs = append(f.subs[:i:i], f.subs[i+1:]...)
				return
			}
		}
	}
}

// close stops the dispatcher after it delivered what is queued.
func (f *fsm) close() {
	f.subMu.Lock()
	f.closed = true
	f.subMu.Unlock()
	f.subCond.Broadcast()
	<-f.done
}

// Snapshot captures the current image; Persist serialises it later, off
// the FSM goroutine. Images are immutable, so no copy is needed.
func (f *fsm) Snapshot() (raft.FSMSnapshot, error) {
	return imageSnapshot{f.cur.Load()}, nil
}

// Restore replaces the image with a snapshot's.
func (f *fsm) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return fmt.Errorf("read metadata snapshot: %w", err)
	}
	img, err := decodeSnapshot(data)
	if err != nil {
		return err
	}
	f.publish(f.cur.Load(), img)
	return nil
}

type imageSnapshot struct{ img *Image }

func (s imageSnapshot) Persist(sink raft.SnapshotSink) error {
	data, err := encodeSnapshot(s.img)
	if err == nil {
		_, err = sink.Write(data)
	}
	if err != nil {
		sink.Cancel()
		return fmt.Errorf("persist metadata snapshot: %w", err)
	}
	return sink.Close()
}

func (imageSnapshot) Release() {}

// snapshotV1 is the on-disk form of an image.
type snapshotV1 struct {
	Version         int                          `json:"version"`
	Offset          uint64                       `json:"offset"`
	Epoch           uint64                       `json:"epoch"`
	ClusterID       string                       `json:"cluster_id"`
	ControllerID    int32                        `json:"controller_id"`
	ControllerEpoch uint64                       `json:"controller_epoch"`
	Brokers         []Broker                     `json:"brokers"`
	Topics          []*Topic                     `json:"topics"`
	TopicConfigs    map[string]map[string]string `json:"topic_configs"`
	BrokerConfigs   map[string]map[string]string `json:"broker_configs"`
	NextProducerID  int64                        `json:"next_producer_id"`
	ACLs            []aclRecord                  `json:"acls,omitempty"`
	Scram           []scramRecord                `json:"scram,omitempty"`
	Quotas          []ClientQuota                `json:"quotas,omitempty"`
}

func encodeSnapshot(img *Image) ([]byte, error) {
	s := snapshotV1{
		Version: 1, Offset: img.Offset, Epoch: img.Epoch, ClusterID: img.ClusterID,
		ControllerID: img.ControllerID, ControllerEpoch: img.ControllerEpoch,
		Brokers: img.BrokerList(), TopicConfigs: img.TopicConfigs, BrokerConfigs: img.BrokerConfigs,
		NextProducerID: img.NextProducerID,
	}
	for _, n := range img.TopicNames() {
		s.Topics = append(s.Topics, img.Topics[n])
	}
	for id, a := range img.ACLs {
		s.ACLs = append(s.ACLs, aclRecord{ID: id, ACL: a})
	}
	sort.Slice(s.ACLs, func(i, j int) bool { return string(s.ACLs[i].ID[:]) < string(s.ACLs[j].ID[:]) })
	s.Quotas = img.QuotaList()
	for _, u := range img.ScramUsers() {
		for _, m := range []int8{ScramSHA256, ScramSHA512} {
			if c, ok := img.ScramCredentials[u][m]; ok {
				s.Scram = append(s.Scram, scramRecord{User: u, Mechanism: m, Salt: c.Salt, StoredKey: c.StoredKey, ServerKey: c.ServerKey, Iterations: c.Iterations})
			}
		}
	}
	return json.Marshal(s)
}

func decodeSnapshot(data []byte) (*Image, error) {
	var s snapshotV1
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("%w: snapshot: %v", ErrCorruptRecord, err)
	}
	if s.Version != 1 {
		return nil, fmt.Errorf("%w: snapshot version %d", ErrCorruptRecord, s.Version)
	}
	img := emptyImage()
	img.Changes.All = true
	img.Offset, img.Epoch, img.ClusterID = s.Offset, s.Epoch, s.ClusterID
	img.ControllerID, img.ControllerEpoch, img.NextProducerID = s.ControllerID, s.ControllerEpoch, s.NextProducerID
	for _, b := range s.Brokers {
		img.Brokers[b.ID] = b
	}
	for _, t := range s.Topics {
		if t == nil || img.Topics[t.Name] != nil || img.TopicsByID[t.ID] != nil {
			return nil, fmt.Errorf("%w: snapshot: bad or duplicate topic", ErrCorruptRecord)
		}
		for i, p := range t.Partitions {
			if int(p.Partition) != i {
				return nil, fmt.Errorf("%w: snapshot: topic %s partition %d at %d", ErrCorruptRecord, t.Name, p.Partition, i)
			}
		}
		img.Topics[t.Name], img.TopicsByID[t.ID] = t, t
	}
	for k, v := range s.TopicConfigs {
		if img.Topics[k] == nil {
			return nil, fmt.Errorf("%w: snapshot: configs of unknown topic %s", ErrCorruptRecord, k)
		}
		img.TopicConfigs[k] = v
	}
	for k, v := range s.BrokerConfigs {
		img.BrokerConfigs[k] = v
	}
	for _, a := range s.ACLs {
		if _, dup := img.ACLs[a.ID]; dup || a.ID == ([16]byte{}) {
			return nil, fmt.Errorf("%w: snapshot: bad or duplicate acl", ErrCorruptRecord)
		}
		img.ACLs[a.ID] = a.ACL
	}
	for _, q := range s.Quotas {
		if err := validateQuotaEntity(q.Entity); err != nil || len(q.Values) == 0 {
			return nil, fmt.Errorf("%w: snapshot: bad quota", ErrCorruptRecord)
		}
		q.Entity = sortedEntity(q.Entity)
		img.ClientQuotas[quotaEntityKey(q.Entity)] = q
	}
	for _, c := range s.Scram {
		if c.User == "" || ScramMechanismName(c.Mechanism) == "" {
			return nil, fmt.Errorf("%w: snapshot: bad scram credential", ErrCorruptRecord)
		}
		if img.ScramCredentials[c.User] == nil {
			img.ScramCredentials[c.User] = map[int8]ScramCredential{}
		}
		img.ScramCredentials[c.User][c.Mechanism] = ScramCredential{Salt: c.Salt, StoredKey: c.StoredKey, ServerKey: c.ServerKey, Iterations: c.Iterations}
	}
	return img, nil
}
