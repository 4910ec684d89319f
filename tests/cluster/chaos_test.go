package cluster

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/gregor-stream/gregor/tests/testbroker"
)

// fastFailure makes a dead broker fenced (and its leaderships moved) in
// seconds rather than Kafka's defaults, so the test spends its time on
// many failures rather than on waiting.
var fastFailure = testbroker.WithArgs(
	"--set", "broker.session.timeout.ms=3000",
	"--set", "broker.heartbeat.interval.ms=500",
	"--set", "replica.lag.time.max.ms=4000",
)

// workload produces to every partition of a topic with acks=all from an
// idempotent franz-go producer (values pP-SEQ) and optionally a librdkafka
// one (cP-SEQ), recording each acknowledgement, while a consumer reads
// everything and records each read.
type workload struct {
	t      *testing.T
	topic  string
	parts  int32
	chk    *Checker
	prod   *kgo.Client
	cons   *kgo.Client
	stop   chan struct{}
	wg     sync.WaitGroup
	failed atomic.Int64
	// lastAck is, per partition, when the latest acknowledged record was
	// sent (unix nanos): an acknowledgement of a record sent after a
	// failure shows producing resumed, not one already in flight.
	lastAck []atomic.Int64
	acks    []atomic.Int64
}

func startWorkload(t *testing.T, nodes []*testbroker.Broker, topic string, parts int32) *workload {
	return startWorkloadWith(t, nodes, topic, parts, false)
}

// startWorkloadWith also runs a librdkafka (confluent-kafka-go) producer
// beside the franz-go one when librdkafka is set.
func startWorkloadWith(t *testing.T, nodes []*testbroker.Broker, topic string, parts int32, librdkafka bool) *workload {
	w := &workload{t: t, topic: topic, parts: parts, chk: NewChecker(), stop: make(chan struct{}),
		lastAck: make([]atomic.Int64, parts), acks: make([]atomic.Int64, parts)}
	w.prod = client(t, seeds(nodes), kgo.DefaultProduceTopic(topic), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.RequiredAcks(kgo.AllISRAcks()), kgo.ProducerLinger(2*time.Millisecond))
	w.cons = client(t, seeds(nodes), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxWait(200*time.Millisecond))
	w.wg.Add(2)
	go w.produce()
	go w.consume()
	if librdkafka {
		w.wg.Add(1)
		go w.produceConfluent(strings.Join(seeds(nodes), ","))
	}
	return w
}

// produceConfluent writes values cP-SEQ with librdkafka, acks=all and
// idempotence on, recording its acknowledgements like produce does.
func (w *workload) produceConfluent(bootstrap string) {
	defer w.wg.Done()
	p, err := kafka.NewProducer(&kafka.ConfigMap{
		"bootstrap.servers":  bootstrap,
		"acks":               "all",
		"enable.idempotence": true,
		"linger.ms":          5,
	})
	if err != nil {
		w.t.Errorf("librdkafka producer: %v", err)
		return
	}
	defer p.Close()
	topic := w.topic
	deliveries := make(chan kafka.Event, 256)
	sem := make(chan struct{}, 64)
	done, quit := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			var ev kafka.Event
			select {
			case ev = <-deliveries:
			case <-quit:
				return
			}
			m, ok := ev.(*kafka.Message)
			if !ok {
				continue
			}
			<-sem
			if m.TopicPartition.Error != nil {
				w.failed.Add(1)
				continue
			}
			v := string(m.Value)
			seq, _ := strconv.ParseInt(v[strings.LastIndexByte(v, '-')+1:], 10, 64)
			part := m.TopicPartition.Partition
			w.chk.Ack(v, seq, Pos{part, int64(m.TopicPartition.Offset)})
			w.acks[part].Add(1)
			storeMax(&w.lastAck[part], m.Opaque.(int64))
		}
	}()
	seq := make([]int64, w.parts)
	for i := 0; ; i++ {
		select {
		case <-w.stop:
			p.Flush(60_000)
			for end := time.Now().Add(10 * time.Second); len(sem) > 0 && time.Now().Before(end); {
				time.Sleep(10 * time.Millisecond)
			}
			close(quit)
			<-done
			return
		case sem <- struct{}{}:
		}
		part := int32(i) % w.parts
		value := fmt.Sprintf("c%d-%08d", part, seq[part])
		seq[part]++
		m := &kafka.Message{TopicPartition: kafka.TopicPartition{Topic: &topic, Partition: part}, Value: []byte(value), Opaque: time.Now().UnixNano()}
		if err := p.Produce(m, deliveries); err != nil {
			// Not sent (local queue full): not acknowledged, not
			// written; the same seq is not reused, so order holds.
			<-sem
			w.failed.Add(1)
			time.Sleep(10 * time.Millisecond)
		}
	}
}

func (w *workload) produce() {
	defer w.wg.Done()
	sem := make(chan struct{}, 64)
	seq := make([]int64, w.parts)
	for i := 0; ; i++ {
		select {
		case <-w.stop:
			w.prod.Flush(context.Background())
			return
		case sem <- struct{}{}:
		}
		p := int32(i) % w.parts
		s := seq[p]
		seq[p]++
		value := fmt.Sprintf("p%d-%08d", p, s)
		r := &kgo.Record{Partition: p, Value: []byte(value)}
		sent := time.Now().UnixNano()
		w.prod.Produce(context.Background(), r, func(r *kgo.Record, err error) {
			<-sem
			if err != nil {
				w.failed.Add(1)
				return
			}
			w.chk.Ack(value, s, Pos{r.Partition, r.Offset})
			w.acks[r.Partition].Add(1)
			storeMax(&w.lastAck[r.Partition], sent)
		})
	}
}

func (w *workload) consume() {
	defer w.wg.Done()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		fs := w.cons.PollFetches(ctx)
		cancel()
		fs.EachRecord(func(r *kgo.Record) {
			v := string(r.Value)
			seq := seqOf(v)
			w.chk.Read(v, seq, Pos{r.Partition, r.Offset})
		})
		select {
		case <-w.stop:
			return
		default:
		}
	}
}

func storeMax(a *atomic.Int64, v int64) {
	for {
		cur := a.Load()
		if v <= cur || a.CompareAndSwap(cur, v) {
			return
		}
	}
}

// waitProgress waits until every partition acknowledged a record sent
// after since, and returns how long after since each one did (to the
// 20 ms it polls at).
func (w *workload) waitProgress(since time.Time, timeout time.Duration) map[int32]time.Duration {
	w.t.Helper()
	deadline := time.Now().Add(timeout)
	out := map[int32]time.Duration{}
	for time.Now().Before(deadline) {
		for p := range w.parts {
			if last := w.lastAck[p].Load(); last > since.UnixNano() {
				if _, ok := out[p]; !ok {
					out[p] = time.Since(since)
				}
			}
		}
		if len(out) == int(w.parts) {
			return out
		}
		time.Sleep(20 * time.Millisecond)
	}
	w.t.Fatalf("producing did not resume on every partition within %v (resumed: %v)", timeout, out)
	return nil
}

// finish stops producing, waits until the consumer has read every
// acknowledged record (or the timeout) and checks the history.
func (w *workload) finish(timeout time.Duration) Report {
	w.t.Helper()
	close(w.stop)
	w.wg.Wait()
	// Keep reading until every acknowledgement has been read back.
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if r := w.chk.Check(); len(r.Lost) == 0 {
			break
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		fs := w.cons.PollFetches(ctx)
		cancel()
		fs.EachRecord(func(r *kgo.Record) {
			v := string(r.Value)
			seq := seqOf(v)
			w.chk.Read(v, seq, Pos{r.Partition, r.Offset})
		})
	}
	return w.chk.Check()
}

// partitionState is one partition's leader and ISR as metadata reports it.
func partitionState(t *testing.T, nodes []*testbroker.Broker, topic string) (map[int32]kadm.PartitionDetail, int32) {
	t.Helper()
	adm := kadm.NewClient(client(t, seeds(nodes)))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	md, err := adm.Metadata(ctx, topic)
	if err != nil {
		return nil, -1
	}
	out := map[int32]kadm.PartitionDetail{}
	for _, p := range md.Topics[topic].Partitions {
		out[p.Partition] = p
	}
	return out, md.Controller
}

// waitFullISR waits until every partition has a leader and all n replicas
// in its ISR.
func waitFullISR(t *testing.T, nodes []*testbroker.Broker, topic string, n int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last map[int32]kadm.PartitionDetail
	for time.Now().Before(deadline) {
		ps, _ := partitionState(t, nodes, topic)
		full := len(ps) > 0
		for _, p := range ps {
			if p.Leader < 0 || len(p.ISR) != n {
				full = false
			}
		}
		if full {
			return
		}
		last = ps
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s: ISR not full after %v: %v", topic, timeout, last)
}

// TestAckedWritesSurviveFailures produces with acks=all to RF=3,
// min.insync.replicas=2 while it kills the leader of a partition with
// SIGKILL, then the controller, then pauses a broker with SIGSTOP for
// longer than its session. Every acknowledged record must be read back
// exactly once, at its acknowledged offset, in order, and the replicas'
// logs must end up identical byte for byte.
func TestAckedWritesSurviveFailures(t *testing.T) {
	nodes := testbroker.StartCluster(t, 3, fastFailure)
	const topic, parts = "chaos", 3
	adm := kadm.NewClient(client(t, seeds(nodes)))
	resp, err := adm.CreateTopic(ctxT(t), parts, 3, map[string]*string{"min.insync.replicas": kadm.StringPtr("2")}, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatalf("create topic: %v", err)
	}
	waitFullISR(t, nodes, topic, 3, 30*time.Second)
	w := startWorkloadWith(t, nodes, topic, parts, true)
	w.waitProgress(time.Now(), 30*time.Second)
	time.Sleep(time.Second)

	// 1. kill -9 the leader of partition 0.
	ps, _ := partitionState(t, nodes, topic)
	victim := nodes[ps[0].Leader-1]
	t.Logf("kill -9 node %d, leader of %s/0", victim.NodeID, topic)
	killed := time.Now()
	victim.Kill()
	resumed := w.waitProgress(killed, 60*time.Second)
	t.Logf("failover: first acknowledged produce sent after the kill on %s/0 %v after it (all partitions: %v)", topic, resumed[0].Round(time.Millisecond), resumed)
	victim.Restart(t)
	waitFullISR(t, nodes, topic, 3, 60*time.Second)

	// 2. kill -9 the controller.
	_, ctrl := partitionState(t, nodes, topic)
	if ctrl < 1 || int(ctrl) > len(nodes) {
		t.Fatalf("no controller reported (%d)", ctrl)
	}
	victim = nodes[ctrl-1]
	t.Logf("kill -9 node %d, the controller", victim.NodeID)
	killed = time.Now()
	victim.Kill()
	resumed = w.waitProgress(killed, 60*time.Second)
	t.Logf("controller failover: producing resumed on every partition within %v", maxDur(resumed).Round(time.Millisecond))
	victim.Restart(t)
	waitFullISR(t, nodes, topic, 3, 60*time.Second)

	// 3. SIGSTOP a broker for longer than its session, then SIGCONT.
	ps, _ = partitionState(t, nodes, topic)
	victim = nodes[ps[1].Leader-1]
	t.Logf("SIGSTOP node %d, leader of %s/1, for 6s", victim.NodeID, topic)
	paused := time.Now()
	victim.Pause()
	time.Sleep(6 * time.Second)
	victim.Resume()
	w.waitProgress(paused, 60*time.Second)
	waitFullISR(t, nodes, topic, 3, 60*time.Second)
	time.Sleep(time.Second)

	report := w.finish(60 * time.Second)
	t.Logf("history: %d acknowledged, %d produce errors (not acknowledged, allowed); %v", w.chk.Acked(), w.failed.Load(), report)
	if !report.OK() {
		t.Errorf("history check failed: %v", report)
		describeForDiagnosis(t, nodes, topic)
	}
	if w.chk.Acked() < 1000 {
		t.Errorf("only %d records acknowledged; the workload did not run", w.chk.Acked())
	}
	for p := range parts {
		if w.acks[p].Load() == 0 {
			t.Errorf("nothing acknowledged on partition %d", p)
		}
	}
	compareReplicas(t, nodes, topic, parts)
}

func maxDur(m map[int32]time.Duration) time.Duration {
	var out time.Duration
	for _, d := range m {
		out = max(out, d)
	}
	return out
}

// compareReplicas waits until every replica's log of each partition holds
// the same bytes (the followers have fetched the last batches), failing
// after a timeout with the sizes seen.
func compareReplicas(t *testing.T, nodes []*testbroker.Broker, topic string, parts int32) {
	t.Helper()
	for p := range parts {
		deadline := time.Now().Add(30 * time.Second)
		for {
			logs := make([][]byte, len(nodes))
			var sizes []int
			for i, b := range nodes {
				data, err := readLog(filepath.Join(b.DataDir, fmt.Sprintf("%s-%d", topic, p)))
				if err != nil {
					t.Fatalf("node %d: %v", b.NodeID, err)
				}
				logs[i] = data
				sizes = append(sizes, len(data))
			}
			same := true
			for i := 1; i < len(logs); i++ {
				same = same && bytes.Equal(logs[0], logs[i])
			}
			if same && len(logs[0]) > 0 {
				t.Logf("%s/%d: %d bytes, identical on all %d replicas", topic, p, len(logs[0]), len(nodes))
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("%s/%d: replicas differ (log sizes %v)", topic, p, sizes)
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
}

// readLog concatenates a partition directory's segment files in offset
// order.
func readLog(dir string) ([]byte, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.log"))
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []byte
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			return nil, fmt.Errorf("read segment: %w", err)
		}
		out = append(out, data...)
	}
	return out, nil
}

// seqOf is the SEQ of a STREAM-SEQ value, -1 if there is none.
func seqOf(v string) int64 {
	i := strings.LastIndexByte(v, '-')
	if i < 0 {
		return -1
	}
	seq, err := strconv.ParseInt(v[i+1:], 10, 64)
	if err != nil {
		return -1
	}
	return seq
}

// describeForDiagnosis logs what each node says about the topic's
// partitions: leader, epoch, ISR and the end offsets it serves.
func describeForDiagnosis(t *testing.T, nodes []*testbroker.Broker, topic string) {
	t.Helper()
	for _, b := range nodes {
		if !b.Running() {
			continue
		}
		adm := kadm.NewClient(client(t, []string{b.Addr}))
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		md, err := adm.Metadata(ctx, topic)
		ends, eerr := adm.ListEndOffsets(ctx, topic)
		cancel()
		for _, p := range md.Topics[topic].Partitions {
			end, _ := ends.Lookup(topic, p.Partition)
			t.Logf("node %d says %s/%d: leader %d epoch %d isr %v; end offset %d (%v) (%v %v)", b.NodeID, topic, p.Partition, p.Leader, p.LeaderEpoch, p.ISR, end.Offset, end.Err, err, eerr)
		}
	}
}
