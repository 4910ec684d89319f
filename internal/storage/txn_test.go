package storage

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"testing"

	"github.com/gregor-stream/gregor/internal/record"
)

// txnBatch is a transactional batch of n records from producer pid.
func txnBatch(t testing.TB, pid int64, epoch int16, seq int32, n int, tag string) []byte {
	t.Helper()
	recs := make([]record.Record, n)
	for i := range recs {
		recs[i] = record.Record{OffsetDelta: int32(i), Key: []byte(fmt.Sprint(i)), Value: []byte(fmt.Sprintf("%s/%d", tag, i))}
	}
	raw, err := record.Build(record.BuildOptions{
		ProducerID: pid, ProducerEpoch: epoch, BaseSequence: seq, Transactional: true, FirstTimestamp: 1000,
	}, recs)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// txnProducer drives one transactional producer against a log.
type txnProducer struct {
	t     testing.TB
	l     *Log
	pid   int64
	epoch int16
	seq   int32
}

func (p *txnProducer) send(n int) AppendInfo {
	p.t.Helper()
	info := mustAppend(p.t, p.l, txnBatch(p.t, p.pid, p.epoch, p.seq, n, fmt.Sprintf("p%d", p.pid)), 0)
	p.seq += int32(n)
	return info
}

func (p *txnProducer) end(commit bool) AppendInfo {
	p.t.Helper()
	info, err := p.l.AppendControl(p.pid, p.epoch, commit, 0, 0, 2000)
	if err != nil {
		p.t.Fatalf("marker for %d: %v", p.pid, err)
	}
	return info
}

func wantUnstable(t testing.TB, l *Log, want int64) {
	t.Helper()
	l.mu.RLock()
	counted, kept := countOngoing(l.producers), l.ongoingTxns
	l.mu.RUnlock()
	if counted != kept {
		t.Fatalf("%d open transactions counted, %d tracked", counted, kept)
	}
	got, ok := l.FirstUnstableOffset()
	if want < 0 && ok {
		t.Fatalf("first unstable offset %d, want none", got)
	}
	if want >= 0 && (!ok || got != want) {
		t.Fatalf("first unstable offset %d (ok %v), want %d", got, ok, want)
	}
}

// dataEnd is the offset after the last batch Read returns.
func dataEnd(t testing.TB, l *Log) int64 {
	t.Helper()
	off := l.LogStartOffset()
	for off < l.LogEndOffset() {
		data, err := l.Read(off, 1<<20, l.LogEndOffset(), true)
		if err != nil {
			t.Fatalf("read at %d: %v", off, err)
		}
		if len(data) == 0 {
			break
		}
		_ = record.Split(data, func(b record.Batch) error { off = b.LastOffset() + 1; return nil })
	}
	return off
}

// markersIn reads the log and returns the control batches it holds.
func markersIn(t testing.TB, l *Log) map[int64]record.ControlInfo {
	t.Helper()
	out := map[int64]record.ControlInfo{}
	for off := l.LogStartOffset(); off < l.LogEndOffset(); {
		data, err := l.Read(off, 1<<20, l.LogEndOffset(), true)
		if err != nil {
			t.Fatalf("read at %d: %v", off, err)
		}
		if len(data) == 0 {
			break // a gap a power cut left at the end (see dataEnd)
		}
		_ = record.Split(data, func(b record.Batch) error {
			// Not record.Validate: compaction leaves empty batches and gaps.
			if b.ComputeCRC() != b.CRC() {
				t.Fatalf("stored batch at %d: bad crc", b.BaseOffset())
			}
			if b.IsControl() {
				ci, err := record.ParseControl(b)
				if err != nil {
					t.Fatalf("marker at %d: %v", b.BaseOffset(), err)
				}
				out[b.BaseOffset()] = ci
			}
			off = b.LastOffset() + 1
			return nil
		})
	}
	return out
}

func TestCommitAndAbortMarkers(t *testing.T) {
	e := newEnv(t, nil)
	l := e.log("txn", testConfig())
	p := &txnProducer{t: t, l: l, pid: 5, epoch: 2}
	wantUnstable(t, l, -1)
	first := p.send(3)
	p.send(2)
	wantUnstable(t, l, first.FirstOffset)
	commit := p.end(true)
	if commit.FirstOffset != 5 || commit.LastOffset != 5 || l.LogEndOffset() != 6 {
		t.Fatalf("commit marker at %d-%d, log end %d", commit.FirstOffset, commit.LastOffset, l.LogEndOffset())
	}
	wantUnstable(t, l, -1)
	second := p.send(4)
	wantUnstable(t, l, second.FirstOffset)
	abort := p.end(false)
	wantUnstable(t, l, -1)

	got := markersIn(t, l)
	want := map[int64]record.ControlInfo{
		commit.FirstOffset: {Type: record.ControlCommit, CoordinatorEpoch: 0},
		abort.FirstOffset:  {Type: record.ControlAbort, CoordinatorEpoch: 0},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("markers %+v, want %+v", got, want)
	}
	aborted := l.AbortedTransactions(0, l.LogEndOffset())
	wantAborted := []AbortedTxn{{ProducerID: 5, FirstOffset: second.FirstOffset, LastOffset: abort.FirstOffset}}
	if !reflect.DeepEqual(aborted, wantAborted) {
		t.Fatalf("aborted %+v, want %+v", aborted, wantAborted)
	}
	if _, err := os.Stat(segmentFile(l.Dir(), 0, extTxnIndex)); err != nil {
		t.Fatalf("no .txnindex after an abort: %v", err)
	}
	// Ranges that miss the transaction.
	if a := l.AbortedTransactions(0, second.FirstOffset); len(a) != 0 {
		t.Fatalf("aborted before the transaction started: %+v", a)
	}
	if a := l.AbortedTransactions(abort.FirstOffset+1, l.LogEndOffset()+10); len(a) != 0 {
		t.Fatalf("aborted after its marker: %+v", a)
	}
	if a := l.AbortedTransactions(abort.FirstOffset, abort.FirstOffset+1); len(a) != 1 {
		t.Fatalf("range holding only the marker: %+v", a)
	}

	// A marker with nothing ongoing is written (coordinator retry) and
	// changes nothing else.
	retry := p.end(false)
	if retry.FirstOffset != abort.FirstOffset+1 {
		t.Fatalf("retried marker at %d", retry.FirstOffset)
	}
	if a := l.AbortedTransactions(0, l.LogEndOffset()); len(a) != 1 {
		t.Fatalf("retried abort added an aborted transaction: %+v", a)
	}
	// Idempotence continues across markers.
	if _, err := l.Append(txnBatch(t, 5, 2, p.seq+1, 1, "gap"), 0, -1); !errors.Is(err, ErrOutOfOrderSequence) {
		t.Fatalf("sequence gap after markers: %v", err)
	}
	if _, err := l.Append(txnBatch(t, 5, 2, 0, 3, "dup"), 0, -1); !errors.Is(err, ErrDuplicateSequence) {
		t.Fatalf("retry of the first batch: %v", err)
	}
	infos := l.Producers()
	if len(infos) != 1 || infos[0].ProducerID != 5 || infos[0].Epoch != 2 || infos[0].LastSequence != p.seq-1 ||
		infos[0].TxnStartOffset != -1 || infos[0].CoordinatorEpoch != 0 || infos[0].LastTimestamp != 2000 {
		t.Fatalf("producers %+v", infos)
	}
}

func TestLastStableOffsetWaitsForOldestTransaction(t *testing.T) {
	e := newEnv(t, nil)
	l := e.log("lso", testConfig())
	a := &txnProducer{t: t, l: l, pid: 1}
	b := &txnProducer{t: t, l: l, pid: 2}
	mustAppend(t, l, makeBatch(t, batchSpec{n: 2}), 0) // plain data: stable at once
	wantUnstable(t, l, -1)
	aFirst := a.send(1).FirstOffset
	bFirst := b.send(2).FirstOffset
	a.send(1)
	wantUnstable(t, l, aFirst)
	b.end(true) // the younger one ends: the LSO cannot move
	wantUnstable(t, l, aFirst)
	bFirst = b.send(1).FirstOffset // b starts again, after a
	a.end(false)
	wantUnstable(t, l, bFirst)
	b.end(true)
	wantUnstable(t, l, -1)

	infos := l.Producers()
	if len(infos) != 2 || infos[0].TxnStartOffset != -1 || infos[1].TxnStartOffset != -1 {
		t.Fatalf("producers %+v", infos)
	}
	// A non-transactional write inside a transaction is refused.
	a.send(1)
	raw := makeBatch(t, batchSpec{pid: 1, epoch: 0, seq: a.seq})
	if _, err := l.Append(raw, 0, -1); !errors.Is(err, ErrInvalidTxnState) {
		t.Fatalf("plain batch inside a transaction: %v", err)
	}
	// So is a control batch from a client.
	if _, err := l.Append(record.BuildMarker(record.MarkerOptions{ProducerID: 1, Commit: true}), 0, -1); !errors.Is(err, record.ErrInvalidRecord) {
		t.Fatalf("client control batch: %v", err)
	}
}

func TestMarkerEpochFencing(t *testing.T) {
	e := newEnv(t, nil)
	l := e.log("fence", testConfig())
	p := &txnProducer{t: t, l: l, pid: 9, epoch: 3}
	first := p.send(2).FirstOffset
	end := l.LogEndOffset()
	if _, err := l.AppendControl(9, 2, true, 0, 0, 0); !errors.Is(err, ErrInvalidProducerEpoch) {
		t.Fatalf("marker with an older epoch: %v", err)
	}
	if l.LogEndOffset() != end {
		t.Fatal("a refused marker was written")
	}
	wantUnstable(t, l, first)
	// The coordinator aborts with a bumped epoch: the zombie is fenced.
	info, err := l.AppendControl(9, 4, false, 1, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	wantUnstable(t, l, -1)
	if a := l.AbortedTransactions(0, l.LogEndOffset()); len(a) != 1 || a[0].FirstOffset != first || a[0].LastOffset != info.FirstOffset {
		t.Fatalf("aborted %+v", a)
	}
	if _, err := l.Append(txnBatch(t, 9, 3, p.seq, 1, "zombie"), 0, -1); !errors.Is(err, ErrInvalidProducerEpoch) {
		t.Fatalf("zombie write after the fencing marker: %v", err)
	}
	if ep, _, _ := l.ProducerState(9); ep != 4 {
		t.Fatalf("epoch %d after fencing marker", ep)
	}
	// The new epoch starts at sequence 0.
	mustAppend(t, l, txnBatch(t, 9, 4, 0, 1, "new"), 0)
	// A marker from an older coordinator epoch is fenced.
	if _, err := l.AppendControl(9, 4, true, 0, 0, 0); !errors.Is(err, ErrTransactionCoordinatorFenced) {
		t.Fatalf("marker from an old coordinator: %v", err)
	}
	if _, err := l.AppendControl(9, 4, true, 1, 0, 0); err != nil {
		t.Fatal(err)
	}
	// A marker for a producer never seen is written and remembered.
	if _, err := l.AppendControl(77, 0, false, 0, 0, 0); err != nil {
		t.Fatal(err)
	}
	if ep, _, ok := l.ProducerState(77); !ok || ep != 0 {
		t.Fatalf("unknown producer after its marker: %d %v", ep, ok)
	}
}

// txnWorkload writes interleaved transactions from three producers over
// many small segments, leaving producer 3's last transaction open. It
// returns the aborted transactions and the ongoing one's first offset.
func txnWorkload(t *testing.T, l *Log) ([]AbortedTxn, int64) {
	t.Helper()
	return txnWorkloadPIDs(t, l, 0)
}

// txnWorkloadPIDs is txnWorkload with producers base+1..base+3.
func txnWorkloadPIDs(t *testing.T, l *Log, base int64) ([]AbortedTxn, int64) {
	t.Helper()
	ps := []*txnProducer{{t: t, l: l, pid: base + 1}, {t: t, l: l, pid: base + 2}, {t: t, l: l, pid: base + 3}}
	var aborted []AbortedTxn
	for round := 0; round < 12; round++ {
		firsts := make([]int64, len(ps))
		for i, p := range ps {
			firsts[i] = p.send(1 + round%3).FirstOffset
			mustAppend(t, l, makeBatch(t, batchSpec{n: 1, valueSize: 200}), 0)
		}
		for i, p := range ps {
			p.send(2)
			if i == 2 && round == 11 {
				continue // left open
			}
			commit := (round+i)%3 != 0
			m := p.end(commit)
			if !commit {
				aborted = append(aborted, AbortedTxn{ProducerID: p.pid, FirstOffset: firsts[i], LastOffset: m.FirstOffset})
			}
		}
	}
	if l.NumSegments() < 4 {
		t.Fatalf("workload spans only %d segments", l.NumSegments())
	}
	for _, p := range l.Producers() {
		if p.ProducerID == base+3 {
			return aborted, p.TxnStartOffset
		}
	}
	t.Fatal("producer 3 unknown")
	return nil, -1
}

// overlapping is the model's answer to AbortedTransactions.
func overlapping(all []AbortedTxn, from, upTo int64) []AbortedTxn {
	var out []AbortedTxn
	for _, a := range all {
		if a.LastOffset >= from && a.FirstOffset < upTo {
			out = append(out, a)
		}
	}
	return out
}

func checkAborted(t *testing.T, l *Log, all []AbortedTxn) {
	t.Helper()
	end := l.LogEndOffset()
	for from := int64(0); from <= end; from += 7 {
		for _, upTo := range []int64{from + 1, from + 13, from + 50, end + 1} {
			got := l.AbortedTransactions(from, upTo)
			want := overlapping(all, from, upTo)
			if !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
				t.Fatalf("AbortedTransactions(%d, %d) = %+v, want %+v", from, upTo, got, want)
			}
		}
	}
}

func txnSegConfig() LogConfig {
	c := testConfig()
	c.SegmentBytes = 2048
	return c
}

func TestAbortedTransactionsAcrossSegmentsAndRestarts(t *testing.T) {
	ffs := NewFaultFS(nil)
	e := newEnv(t, ffs)
	l := e.log("aborts", txnSegConfig())
	all, open := txnWorkload(t, l)
	if len(all) < 8 || open < 0 {
		t.Fatalf("workload made %d aborts, open txn at %d", len(all), open)
	}
	checkAborted(t, l, all)
	wantUnstable(t, l, open)

	e.restart()
	l = e.m.Get("aborts", 0)
	checkAborted(t, l, all)
	wantUnstable(t, l, open)

	// kill -9: the page cache survives, nothing was checkpointed.
	e.crashRestart(nil)
	l = e.m.Get("aborts", 0)
	checkAborted(t, l, all)
	wantUnstable(t, l, open)

	// Power loss after everything was flushed.
	if err := waitFlushed(t, l, l.LogEndOffset()); err != nil {
		t.Fatal(err)
	}
	e.crashRestart(func() {
		if err := ffs.Crash(); err != nil {
			t.Fatal(err)
		}
	})
	l = e.m.Get("aborts", 0)
	checkAborted(t, l, all)
	wantUnstable(t, l, open)

	// The open transaction ends after the restarts.
	info, err := l.AppendControl(3, 0, false, 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	all = append(all, AbortedTxn{ProducerID: 3, FirstOffset: open, LastOffset: info.FirstOffset})
	wantUnstable(t, l, -1)
	checkAborted(t, l, all)
}

func TestLostTxnIndexIsRederived(t *testing.T) {
	e := newEnv(t, nil)
	l := e.log("rederive", txnSegConfig())
	all, open := txnWorkload(t, l)
	active := l.NumSegments() - 1
	base := l.segs[active].base
	p := &txnProducer{t: t, l: l, pid: 1, seq: l.Producers()[0].LastSequence + 1}
	first := p.send(1).FirstOffset
	m := p.end(false) // lands in the active segment, after the last snapshot
	all = append(all, AbortedTxn{ProducerID: 1, FirstOffset: first, LastOffset: m.FirstOffset})
	if l.NumSegments()-1 != active {
		t.Fatal("the abort rolled a segment; the test needs it in the active one")
	}
	e.crashRestart(func() {
		// As if the crash lost the file.
		if err := os.Remove(segmentFile(l.Dir(), base, extTxnIndex)); err != nil {
			t.Fatal(err)
		}
	})
	l = e.m.Get("rederive", 0)
	checkAborted(t, l, all)
	wantUnstable(t, l, open)
}

func TestPowerLossBeforeFlushKeepsTxnStateConsistent(t *testing.T) {
	ffs := NewFaultFS(nil)
	e := newEnv(t, ffs)
	cfg := txnSegConfig()
	cfg.FlushPolicy = FlushNever
	l := e.log("powerloss", cfg)
	durable, open := txnWorkloadPIDs(t, l, 0)
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	flushedEnd := l.LogEndOffset()
	// From here nothing reaches the disk: the second workload's segments
	// (and the tail the first one's active segment gets) are lost in the
	// power cut, while their directory entries survive.
	ffs.FailSync(errors.New("disk gone"))
	lost, _ := txnWorkloadPIDs(t, l, 10)
	e.crashRestart(func() {
		if err := ffs.Crash(); err != nil {
			t.Fatal(err)
		}
		ffs.FailSync(nil)
	})
	l = e.m.Get("powerloss", 0)
	end := dataEnd(t, l)
	// A flush already under way when the disk failed may have made a few
	// more records durable; never fewer than were flushed, and no hole.
	if end < flushedEnd {
		t.Fatalf("data ends at %d, flushed up to %d", end, flushedEnd)
	}
	for off := int64(0); off < flushedEnd; {
		data, err := l.Read(off, 1<<20, flushedEnd, true)
		if err != nil || len(data) == 0 {
			t.Fatalf("read at %d: %v", off, err)
		}
		_ = record.Split(data, func(b record.Batch) error {
			if b.BaseOffset() != off {
				t.Fatalf("flushed offsets %d..%d lost", off, b.BaseOffset()-1)
			}
			off = b.LastOffset() + 1
			return nil
		})
	}
	t.Logf("data ends at %d (flushed %d), log end %d", end, flushedEnd, l.LogEndOffset())
	var survived []AbortedTxn
	for _, a := range append(durable, lost...) {
		if a.LastOffset < end {
			survived = append(survived, a)
		}
	}
	if len(survived) < len(durable) {
		t.Fatalf("%d aborts survived, %d were flushed", len(survived), len(durable))
	}
	// Exactly the surviving aborts are reported, none of the lost ones,
	// though the log end offset lies past the data.
	if got := l.AbortedTransactions(0, l.LogEndOffset()+1); !reflect.DeepEqual(got, survived) {
		t.Fatalf("aborted %+v, want %+v", got, survived)
	}
	markers := markersIn(t, l)
	for _, a := range survived {
		if ci, ok := markers[a.LastOffset]; !ok || ci.Type != record.ControlAbort {
			t.Fatalf("aborted %+v has no ABORT marker in the log", a)
		}
	}
	// The first workload's open transaction is open again, and nothing
	// from the lost data is.
	first, ok := l.FirstUnstableOffset()
	if !ok || first != open {
		t.Fatalf("first unstable %d %v, want %d", first, ok, open)
	}
	for _, p := range l.Producers() {
		if p.TxnStartOffset >= end {
			t.Fatalf("producer %d has a transaction at %d, past the data", p.ProducerID, p.TxnStartOffset)
		}
	}
}

func TestFollowerReplicatesTransactions(t *testing.T) {
	e := newEnv(t, nil)
	leader := e.log("leader", txnSegConfig())
	all, open := txnWorkload(t, leader)
	follower := e.log("follower", txnSegConfig())
	for off := int64(0); off < leader.LogEndOffset(); {
		data, err := leader.Read(off, 1500, leader.LogEndOffset(), true)
		if err != nil {
			t.Fatal(err)
		}
		if err := follower.AppendAsFollower(data); err != nil {
			t.Fatal(err)
		}
		off = follower.LogEndOffset()
	}
	checkAborted(t, follower, all)
	wantUnstable(t, follower, open)
	if !reflect.DeepEqual(leader.Producers(), follower.Producers()) {
		t.Fatalf("producers differ:\nleader   %+v\nfollower %+v", leader.Producers(), follower.Producers())
	}
}

func TestTruncateUndoesMarkers(t *testing.T) {
	e := newEnv(t, nil)
	l := e.log("trunc", txnSegConfig())
	all, _ := txnWorkload(t, l)
	last := all[len(all)-1]
	// Cut just before the last abort's marker: its transaction is ongoing
	// again and no longer aborted.
	if err := l.TruncateTo(last.LastOffset); err != nil {
		t.Fatal(err)
	}
	checkAborted(t, l, all[:len(all)-1])
	first, ok := l.FirstUnstableOffset()
	if !ok || first > last.FirstOffset {
		t.Fatalf("first unstable %d %v, want at most %d", first, ok, last.FirstOffset)
	}
	found := false
	for _, p := range l.Producers() {
		if p.ProducerID == last.ProducerID {
			found = p.TxnStartOffset == last.FirstOffset
		}
	}
	if !found {
		t.Fatalf("producer %d's transaction is not ongoing again: %+v", last.ProducerID, l.Producers())
	}
	e.restart()
	l = e.m.Get("trunc", 0)
	checkAborted(t, l, all[:len(all)-1])
	// Cutting below everything leaves nothing.
	if err := l.TruncateTo(0); err != nil {
		t.Fatal(err)
	}
	if a := l.AbortedTransactions(0, 1<<40); len(a) != 0 {
		t.Fatalf("aborted after truncating everything: %+v", a)
	}
	wantUnstable(t, l, -1)
}

func TestRetentionDeletesTxnIndex(t *testing.T) {
	e := newEnv(t, nil)
	cfg := txnSegConfig()
	l := e.log("ret", cfg)
	all, _ := txnWorkload(t, l)
	var withIdx []int64
	for _, s := range l.segs[:len(l.segs)-1] {
		if s.txn.n > 0 {
			withIdx = append(withIdx, s.base)
		}
	}
	if len(withIdx) == 0 {
		t.Fatal("no sealed segment has a .txnindex")
	}
	cfg.RetentionBytes = 1
	l.SetConfig(cfg)
	e.m.RunRetention()
	e.m.runDeletes(true)
	for _, base := range withIdx {
		if base >= l.LogStartOffset() {
			continue
		}
		for _, name := range []string{segmentFile(l.Dir(), base, extTxnIndex), segmentFile(l.Dir(), base, extTxnIndex) + extDeleted} {
			if _, err := os.Stat(name); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("%s survives retention: %v", name, err)
			}
		}
	}
	checkAborted(t, l, overlapping(all, l.LogStartOffset(), 1<<40))
}

func TestTornTxnIndexTailIsCut(t *testing.T) {
	e := newEnv(t, nil)
	l := e.log("torn", txnSegConfig())
	all, open := txnWorkload(t, l)
	var victim int64 = -1
	for _, s := range l.segs[:len(l.segs)-1] {
		if s.txn.n > 0 {
			victim = s.base
		}
	}
	if victim < 0 {
		t.Fatal("no sealed segment with a .txnindex")
	}
	path := segmentFile(l.Dir(), victim, extTxnIndex)
	e.crashRestart(func() {
		f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write([]byte{0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}); err != nil {
			t.Fatal(err)
		}
		f.Close()
	})
	l = e.m.Get("torn", 0)
	checkAborted(t, l, all)
	wantUnstable(t, l, open)
	st, err := os.Stat(path)
	if err != nil || st.Size()%txnEntrySize != 0 {
		t.Fatalf("torn .txnindex not cut back: %v", err)
	}
}
