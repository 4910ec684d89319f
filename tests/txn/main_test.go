package txn

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/gregor-stream/gregor/tests/testbroker"
)

func TestMain(m *testing.M) {
	if spec := os.Getenv(childEnv); spec != "" {
		runChild(spec)
		return
	}
	testbroker.Main(m)
}

const opTimeout = 60 * time.Second

// startBroker runs a broker with few internal-topic partitions (quick to
// create and load) and no initial rebalance delay.
func startBroker(t *testing.T, sets ...string) *testbroker.Broker {
	t.Helper()
	args := []string{
		"--set", "transaction.state.log.num.partitions=4",
		"--set", "offsets.topic.num.partitions=4",
		"--set", "group.initial.rebalance.delay.ms=0",
	}
	for _, s := range sets {
		args = append(args, "--set", s)
	}
	return testbroker.Start(t, testbroker.WithArgs(args...))
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	t.Cleanup(cancel)
	return ctx
}

// newClient returns a franz-go client for b, closed at cleanup.
func newClient(t *testing.T, b *testbroker.Broker, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl := openClient(t, b, opts...)
	t.Cleanup(cl.Close)
	return cl
}

// openClient returns a franz-go client for b that the caller closes.
func openClient(t *testing.T, b *testbroker.Broker, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(b.Addr)}, opts...)...)
	if err != nil {
		t.Fatalf("kgo client: %v", err)
	}
	return cl
}

func newAdmin(t *testing.T, b *testbroker.Broker) *kadm.Client {
	return kadm.NewClient(newClient(t, b))
}

func createTopic(t *testing.T, b *testbroker.Broker, topic string, partitions int32) {
	t.Helper()
	resp, err := newAdmin(t, b).CreateTopic(ctxT(t), partitions, 1, nil, topic)
	if err != nil {
		t.Fatalf("create topic %s: %v", topic, err)
	}
	if resp.Err != nil {
		t.Fatalf("create topic %s: %v (%s)", topic, resp.Err, resp.ErrMessage)
	}
}

// offsets lists, per partition, the high watermark (committed=false) or
// the last stable offset (committed=true, ListOffsets read_committed).
func offsets(t *testing.T, adm *kadm.Client, topic string, committed bool) map[int32]int64 {
	t.Helper()
	out, err := tryOffsets(t, adm, topic, committed)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// tryOffsets is offsets returning the first error instead of failing, for
// callers that wait through a leader failover.
func tryOffsets(t *testing.T, adm *kadm.Client, topic string, committed bool) (map[int32]int64, error) {
	t.Helper()
	list := adm.ListEndOffsets
	if committed {
		list = adm.ListCommittedOffsets
	}
	lo, err := list(ctxT(t), topic)
	if err != nil {
		return nil, fmt.Errorf("list offsets %s (read_committed=%v): %w", topic, committed, err)
	}
	out := map[int32]int64{}
	var first error
	lo.Each(func(o kadm.ListedOffset) {
		if o.Err != nil && first == nil {
			first = fmt.Errorf("offset %s/%d (read_committed=%v): %w", topic, o.Partition, committed, o.Err)
		}
		out[o.Partition] = o.Offset
	})
	return out, first
}

// waitStable waits until every partition's LSO equals its high watermark,
// i.e. no transaction keeps the partition open, and returns the offsets.
func waitStable(t *testing.T, adm *kadm.Client, topic string, within time.Duration) map[int32]int64 {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		// While a failed leader's partitions move, listing fails; a
		// client retries, and so does this wait, until the deadline.
		hw, err1 := tryOffsets(t, adm, topic, false)
		lso, err2 := tryOffsets(t, adm, topic, true)
		same := err1 == nil && err2 == nil && len(hw) == len(lso)
		for p, h := range hw {
			if lso[p] != h {
				same = false
			}
		}
		if same {
			return hw
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: last stable offsets %v never reached the high watermarks %v within %v (errors: %v, %v)", topic, lso, hw, within, err1, err2)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// readValues reads every partition of topic from the start at the
// isolation level until at least want records arrived, then keeps polling
// for another second so that records beyond want (aborted ones leaking,
// duplicates) show up too. Control records must never be returned to the
// application, so the values are the application's only.
func readValues(t *testing.T, b *testbroker.Broker, topic string, level kgo.IsolationLevel, want int) []string {
	t.Helper()
	cl := openClient(t, b, kgo.ConsumeTopics(topic), kgo.FetchIsolationLevel(level),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(200*time.Millisecond))
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out []string
	var extra <-chan time.Time
	for ctx.Err() == nil {
		if extra == nil && len(out) >= want {
			extra = time.After(time.Second)
		}
		if extra != nil {
			select {
			case <-extra:
				return out
			default:
			}
		}
		pctx, pcancel := context.WithTimeout(ctx, 300*time.Millisecond)
		fs := cl.PollFetches(pctx)
		pcancel()
		fs.EachError(func(_ string, p int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
				t.Errorf("fetch %s/%d: %v", topic, p, err)
			}
		})
		fs.EachRecord(func(r *kgo.Record) { out = append(out, string(r.Value)) })
	}
	t.Errorf("%s: %d records within 30 s, want at least %d", topic, len(out), want)
	return out
}

// isFenced reports whether err is one of the errors Kafka uses to tell a
// producer that a newer instance with its transactional id took over.
func isFenced(err error) bool {
	return errors.Is(err, kerr.ProducerFenced) || errors.Is(err, kerr.InvalidProducerEpoch) ||
		errors.Is(err, kerr.InvalidProducerIDMapping) || errors.Is(err, kerr.TransactionalIDAuthorizationFailed)
}

// countPrefix counts values starting with prefix.
func countPrefix(vals []string, prefix string) int {
	n := 0
	for _, v := range vals {
		if strings.HasPrefix(v, prefix) {
			n++
		}
	}
	return n
}

// values makes n values "<prefix>-<i>".
func values(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%d", prefix, i)
	}
	return out
}

// records turns values into records keyed by value (spread by the hash
// partitioner).
func records(topic string, vals []string) []*kgo.Record {
	out := make([]*kgo.Record, len(vals))
	for i, v := range vals {
		out[i] = &kgo.Record{Topic: topic, Key: []byte(v), Value: []byte(v)}
	}
	return out
}
