package partition

import (
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/gregor-stream/gregor/internal/config"
	"github.com/gregor-stream/gregor/internal/record"
	"github.com/gregor-stream/gregor/internal/storage"
)

// newLeader opens a real log in a temp dir and makes this node its leader.
func newLeader(t *testing.T, mutate func(*config.TopicConfig)) *Partition {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	store, err := storage.OpenManager(storage.Options{Dir: t.TempDir(), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	broker := config.DefaultBroker()
	m := NewManager(1, store, broker, log)
	cfg := config.EffectiveTopic(nil, broker, nil)
	if mutate != nil {
		mutate(&cfg)
	}
	p, err := m.ensure(TP{"t", 0}, [16]byte{1}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	p.setConfig(cfg)
	p.becomeLeader(3, []int32{1}, []int32{1})
	return p
}

func batch(t *testing.T, codec record.Codec, values ...string) []byte {
	t.Helper()
	recs := make([]record.Record, len(values))
	for i, v := range values {
		recs[i] = record.Record{OffsetDelta: int32(i), Key: []byte("k"), Value: []byte(v)}
	}
	b, err := record.Build(record.BuildOptions{Codec: codec, ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1, FirstTimestamp: time.Now().UnixMilli()}, recs)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type result struct {
	info storage.AppendInfo
	err  error
}

func appendWait(t *testing.T, p *Partition, acks int16, b []byte) result {
	t.Helper()
	ch := make(chan result, 1)
	p.Append(b, acks, func(info storage.AppendInfo, err error) { ch <- result{info, err} })
	select {
	case r := <-ch:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("append never completed")
		return result{}
	}
}

func TestAcksAllIsDurableAndVisible(t *testing.T) {
	p := newLeader(t, nil)
	r := appendWait(t, p, AcksAll, batch(t, record.None, "a", "b", "c"))
	if r.err != nil || r.info.FirstOffset != 0 || r.info.LastOffset != 2 {
		t.Fatalf("append: %+v %v", r.info, r.err)
	}
	if p.log.FlushedOffset() < 3 {
		t.Fatalf("acks=all answered before fsync: flushed %d", p.log.FlushedOffset())
	}
	if hw := p.HighWatermark(); hw != 3 {
		t.Fatalf("high watermark %d, want 3", hw)
	}
	res, err := p.Read(0, 1<<20, ReadUncommitted, true, -1)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	record.Split(res.Records, func(b record.Batch) error {
		if b.PartitionLeaderEpoch() != 3 {
			t.Errorf("batch leader epoch %d, want 3", b.PartitionLeaderEpoch())
		}
		n += int(b.NumRecords())
		return nil
	})
	if n != 3 {
		t.Fatalf("read %d records, want 3", n)
	}
}

func TestWatcherWakesOnNewData(t *testing.T) {
	p := newLeader(t, nil)
	w := NewWaiter()
	p.Watch(w)
	appendWait(t, p, AcksLeader, batch(t, record.None, "x"))
	select {
	case <-w.C:
	case <-time.After(5 * time.Second):
		t.Fatal("watcher not signalled after the high watermark moved")
	}
}

func TestRejectsBadBatchesAndAppendsNothing(t *testing.T) {
	p := newLeader(t, func(c *config.TopicConfig) { c.MaxMessageBytes = 200 })
	good := batch(t, record.None, "ok")
	corrupt := append([]byte(nil), good...)
	corrupt[len(corrupt)-1] ^= 0xff
	big := batch(t, record.None, string(make([]byte, 500)))
	for name, tc := range map[string]struct {
		b    []byte
		want error
	}{
		"bad crc":   {corrupt, record.ErrCorrupt},
		"too large": {big, ErrMessageTooLarge},
		"truncated": {good[:len(good)-3], record.ErrCorrupt},
	} {
		r := appendWait(t, p, AcksAll, tc.b)
		if !errors.Is(r.err, tc.want) {
			t.Errorf("%s: err %v, want %v", name, r.err, tc.want)
		}
	}
	if leo := p.log.LogEndOffset(); leo != 0 {
		t.Fatalf("log end offset %d after rejected batches", leo)
	}
}

func TestTopicCompressionTypeRecompresses(t *testing.T) {
	p := newLeader(t, func(c *config.TopicConfig) { c.CompressionType = "zstd" })
	appendWait(t, p, AcksAll, batch(t, record.Gzip, "one", "two"))
	res, err := p.Read(0, 1<<20, ReadUncommitted, true, -1)
	if err != nil {
		t.Fatal(err)
	}
	record.Split(res.Records, func(b record.Batch) error {
		if b.Codec() != record.Zstd {
			t.Errorf("stored codec %d, want zstd", b.Codec())
		}
		recs, err := b.Records()
		if err != nil || len(recs) != 2 || string(recs[1].Value) != "two" {
			t.Errorf("records %v %v", recs, err)
		}
		return nil
	})
}

func TestLogAppendTime(t *testing.T) {
	p := newLeader(t, func(c *config.TopicConfig) { c.MessageTimestampType = "LogAppendTime" })
	before := time.Now().UnixMilli()
	r := appendWait(t, p, AcksAll, batch(t, record.None, "v"))
	if r.err != nil || r.info.LogAppendTime < before {
		t.Fatalf("log append time %d (before %d), err %v", r.info.LogAppendTime, before, r.err)
	}
}

func TestFollowerRefusesProduceAndFetch(t *testing.T) {
	p := newLeader(t, nil)
	p.becomeFollower(2, 4, []int32{1, 2}, []int32{2})
	if r := appendWait(t, p, AcksAll, batch(t, record.None, "v")); !errors.Is(r.err, ErrNotLeader) {
		t.Fatalf("produce on follower: %v", r.err)
	}
	if _, err := p.Read(0, 100, ReadUncommitted, true, -1); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("fetch on follower: %v", err)
	}
}

func TestFencedLeaderEpoch(t *testing.T) {
	p := newLeader(t, nil)
	if _, err := p.Read(0, 100, ReadUncommitted, true, 2); !errors.Is(err, ErrFencedLeaderEpoch) {
		t.Fatalf("old epoch: %v", err)
	}
	if _, err := p.Read(0, 100, ReadUncommitted, true, 9); !errors.Is(err, ErrUnknownLeaderEpoch) {
		t.Fatalf("future epoch: %v", err)
	}
}

func TestAcksAllWithFlushPolicyNever(t *testing.T) {
	for _, policy := range []string{config.FlushNever, config.FlushInterval} {
		p := newLeader(t, func(c *config.TopicConfig) { c.FlushPolicy = policy })
		if r := appendWait(t, p, AcksAll, batch(t, record.None, "v")); r.err != nil {
			t.Fatalf("%s: %v", policy, r.err)
		}
	}
}
