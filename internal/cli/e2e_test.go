package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"go.uber.org/goleak"

	"github.com/gregor-stream/gregor/internal/cli"
	"github.com/gregor-stream/gregor/tests/testbroker"
)

func TestMain(m *testing.M) { testbroker.Main(m) }

// runLimit bounds one CLI invocation in these tests.
var runLimit = 60 * time.Second

type result struct {
	stdout, stderr string
	err            error
}

// gregor runs one CLI invocation in-process, exactly as the binary would
// parse it, against the given brokers.
func gregor(t *testing.T, brokers, stdin string, args ...string) result {
	t.Helper()
	root := &cobra.Command{Use: "gregor", SilenceUsage: true, SilenceErrors: true}
	root.AddCommand(cli.Commands()...)
	var out, errOut bytes.Buffer
	root.SetIn(strings.NewReader(stdin))
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(append(args, "-b", brokers, "--timeout", "20s"))
	ctx, cancel := context.WithTimeout(context.Background(), runLimit)
	defer cancel()
	err := root.ExecuteContext(ctx)
	if ctx.Err() != nil {
		// Commands treat a cancelled context like Ctrl-C and exit
		// cleanly, so a command that would never have ended on its own
		// must be caught here.
		t.Errorf("gregor %s did not finish by itself within %v", strings.Join(args, " "), runLimit)
	}
	return result{out.String(), errOut.String(), err}
}

func mustRun(t *testing.T, brokers, stdin string, args ...string) result {
	t.Helper()
	r := gregor(t, brokers, stdin, args...)
	if r.err != nil {
		t.Fatalf("gregor %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.err, r.stdout, r.stderr)
	}
	return r
}

func mustFail(t *testing.T, brokers, wantInErr string, args ...string) {
	t.Helper()
	r := gregor(t, brokers, "", args...)
	if r.err == nil {
		t.Fatalf("gregor %s succeeded, want an error with %q\nstdout:\n%s", strings.Join(args, " "), wantInErr, r.stdout)
	}
	if !strings.Contains(r.err.Error(), wantInErr) {
		t.Fatalf("gregor %s: error %q does not name %q", strings.Join(args, " "), r.err, wantInErr)
	}
}

// rowFields finds the output line starting with first and splits it.
func rowFields(out, first string) []string {
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) > 0 && f[0] == first {
			return f
		}
	}
	return nil
}

func TestCLI(t *testing.T) {
	// Every client a command builds must be closed when it returns.
	// Registered before the broker starts, so it runs after the broker's
	// own cleanup has reaped the process.
	t.Cleanup(func() { goleak.VerifyNone(t) })
	b := testbroker.Start(t)
	addr, node := b.Addr, fmt.Sprint(b.NodeID)

	t.Run("topic lifecycle", func(t *testing.T) { testTopicLifecycle(t, addr, node) })
	t.Run("produce and consume formats", func(t *testing.T) { testProduceConsume(t, addr) })
	t.Run("consumer group", func(t *testing.T) { testConsumerGroup(t, addr) })
	t.Run("transactions", func(t *testing.T) { testTransactions(t, addr) })
	t.Run("consume from time", func(t *testing.T) { testConsumeFromTime(t, addr) })
	t.Run("cluster info", func(t *testing.T) { testClusterInfo(t, addr, node) })
	t.Run("bench", func(t *testing.T) { testBench(t, addr) })
	t.Run("errors", func(t *testing.T) { testErrors(t, addr) })
}

func testTopicLifecycle(t *testing.T, addr, node string) {
	r := mustRun(t, addr, "", "topic", "create", "orders", "-p", "3", "-c", "retention.ms=3600000")
	if !strings.Contains(r.stdout, "created topic orders (partitions 3, replication factor 1") {
		t.Errorf("create said %q", r.stdout)
	}
	mustFail(t, addr, "TOPIC_ALREADY_EXISTS", "topic", "create", "orders")
	r = mustRun(t, addr, "", "topic", "create", "orders", "--if-not-exists")
	if !strings.Contains(r.stdout, "already exists") {
		t.Errorf("create --if-not-exists said %q", r.stdout)
	}
	mustRun(t, addr, "", "topic", "create", "dry-run", "-p", "2", "--validate-only")

	r = mustRun(t, addr, "", "topic", "list")
	row := rowFields(r.stdout, "orders")
	if len(row) != 4 || row[1] != "3" || row[2] != "1" || row[3] == "-" {
		t.Errorf("list row for orders = %q in\n%s", row, r.stdout)
	}
	if rowFields(r.stdout, "dry-run") != nil {
		t.Errorf("--validate-only created the topic:\n%s", r.stdout)
	}

	r = mustRun(t, addr, "", "topic", "describe", "orders")
	for p := 0; p < 3; p++ {
		f := rowFields(r.stdout, fmt.Sprint(p))
		// PARTITION LEADER EPOCH REPLICAS ISR OFFLINE LOG-START LOG-END
		if len(f) < 8 || f[1] != node || f[3] != node || f[4] != node || f[6] != "0" || f[7] != "0" {
			t.Errorf("describe partition %d row = %q in\n%s", p, f, r.stdout)
		}
	}
	if f := rowFields(r.stdout, "retention.ms"); len(f) != 3 || f[1] != "3600000" || f[2] != "DYNAMIC_TOPIC_CONFIG" {
		t.Errorf("describe config row = %q in\n%s", f, r.stdout)
	}

	mustRun(t, addr, "", "topic", "alter-config", "orders", "--set", "retention.ms=7200000", "--set", "cleanup.policy=compact")
	r = mustRun(t, addr, "", "topic", "describe", "orders")
	if f := rowFields(r.stdout, "retention.ms"); len(f) != 3 || f[1] != "7200000" {
		t.Errorf("after --set, retention.ms row = %q", f)
	}
	if f := rowFields(r.stdout, "cleanup.policy"); len(f) != 3 || f[1] != "compact" {
		t.Errorf("after --set, cleanup.policy row = %q", f)
	}
	mustRun(t, addr, "", "topic", "alter-config", "orders", "--delete", "retention.ms")
	r = mustRun(t, addr, "", "topic", "describe", "orders")
	if f := rowFields(r.stdout, "retention.ms"); f != nil && f[2] == "DYNAMIC_TOPIC_CONFIG" {
		t.Errorf("after --delete, retention.ms is still a topic override: %q", f)
	}
	if f := rowFields(r.stdout, "cleanup.policy"); len(f) != 3 || f[1] != "compact" {
		t.Errorf("--delete of another config dropped cleanup.policy: %q", f)
	}

	mustRun(t, addr, "", "topic", "add-partitions", "orders", "-p", "5")
	r = mustRun(t, addr, "", "topic", "list")
	if row := rowFields(r.stdout, "orders"); len(row) != 4 || row[1] != "5" {
		t.Errorf("after add-partitions, list row = %q", row)
	}
	mustFail(t, addr, "INVALID_PARTITIONS", "topic", "add-partitions", "orders", "-p", "2")

	r = mustRun(t, addr, "", "topic", "delete", "orders")
	if !strings.Contains(r.stdout, "deleted topic orders") {
		t.Errorf("delete said %q", r.stdout)
	}
	waitFor(t, "orders to leave the topic list", func() bool {
		return rowFields(mustRun(t, addr, "", "topic", "list").stdout, "orders") == nil
	})
	mustFail(t, addr, "UNKNOWN_TOPIC_OR_PARTITION", "topic", "delete", "orders")
	mustRun(t, addr, "", "topic", "delete", "orders", "--if-exists")
	mustFail(t, addr, "UNKNOWN_TOPIC_OR_PARTITION", "topic", "describe", "orders")
}

func testProduceConsume(t *testing.T, addr string) {
	mustRun(t, addr, "", "topic", "create", "lines", "-p", "1")
	r := mustRun(t, addr, "k1:hello\nk2:world, with: colons\r\nnokey\n",
		"produce", "lines", "-k", ":", "-H", "src=test", "-H", "v=1", "-z", "zstd")
	if !strings.Contains(r.stderr, "produced 3 records") {
		t.Errorf("produce summary = %q", r.stderr)
	}

	r = mustRun(t, addr, "", "consume", "lines")
	if want := "hello\nworld, with: colons\nnokey\n"; r.stdout != want {
		t.Errorf("--format value printed %q, want %q", r.stdout, want)
	}
	if !strings.Contains(r.stderr, "consumed 3 records") {
		t.Errorf("consume summary = %q", r.stderr)
	}
	r = mustRun(t, addr, "", "consume", "lines", "--format", "kv")
	if want := "k1\thello\nk2\tworld, with: colons\n\tnokey\n"; r.stdout != want {
		t.Errorf("--format kv printed %q, want %q", r.stdout, want)
	}
	r = mustRun(t, addr, "", "consume", "lines", "--format", "{{.Partition}}/{{.Offset}} {{.Key}} [{{.Headers}}]")
	if want := "0/0 k1 [src=test,v=1]\n0/1 k2 [src=test,v=1]\n0/2  [src=test,v=1]\n"; r.stdout != want {
		t.Errorf("template printed %q, want %q", r.stdout, want)
	}

	r = mustRun(t, addr, "", "consume", "lines", "--format", "json")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 3 {
		t.Fatalf("--format json printed %d lines:\n%s", len(lines), r.stdout)
	}
	type jrec struct {
		Topic     string
		Partition int32
		Offset    int64
		Timestamp int64
		Key       *string
		Value     *string
		Headers   []struct{ Key, Value string }
	}
	for i, l := range lines {
		var j jrec
		if err := json.Unmarshal([]byte(l), &j); err != nil {
			t.Fatalf("line %d is not JSON: %v: %s", i, err, l)
		}
		if j.Topic != "lines" || j.Offset != int64(i) || len(j.Headers) != 2 || j.Headers[0].Key != "src" || j.Headers[0].Value != "test" {
			t.Errorf("json line %d = %+v", i, j)
		}
		if age := time.Since(time.UnixMilli(j.Timestamp)); age < 0 || age > time.Minute {
			t.Errorf("json line %d timestamp %d is %v old", i, j.Timestamp, age)
		}
		if i == 2 && j.Key != nil {
			t.Errorf("keyless line got key %q", *j.Key)
		}
		if i == 0 && (j.Key == nil || *j.Key != "k1" || *j.Value != "hello") {
			t.Errorf("first json line = %s", l)
		}
	}

	r = mustRun(t, addr, "", "consume", "lines", "-n", "2")
	if r.stdout != "hello\nworld, with: colons\n" {
		t.Errorf("-n 2 printed %q", r.stdout)
	}
	r = mustRun(t, addr, "", "consume", "lines", "--from", "2", "-p", "0")
	if r.stdout != "nokey\n" {
		t.Errorf("--from 2 printed %q", r.stdout)
	}
	r = mustRun(t, addr, "", "consume", "lines", "--from", "end")
	if r.stdout != "" {
		t.Errorf("--from end without -f printed %q", r.stdout)
	}

	// Keys decide the partition; -p overrides it.
	mustRun(t, addr, "", "topic", "create", "spread", "-p", "4")
	mustRun(t, addr, "a\nb\nc\n", "produce", "spread", "-p", "3", "--acks", "1")
	// acks=1 answers before the high watermark has to move (a broker may
	// advance it only once the data is flushed), so wait for visibility.
	waitFor(t, "acks=1 records to become readable", func() bool {
		r = mustRun(t, addr, "", "consume", "spread", "--format", "{{.Partition}}:{{.Value}}")
		return r.stdout != ""
	})
	if r.stdout != "3:a\n3:b\n3:c\n" {
		t.Errorf("records produced with -p 3 read back as %q", r.stdout)
	}
	r = mustRun(t, addr, "", "consume", "spread", "-p", "0", "-p", "1")
	if r.stdout != "" {
		t.Errorf("partitions 0 and 1 should be empty, got %q", r.stdout)
	}

	// --follow waits for records produced after it started.
	done := make(chan result, 1)
	go func() {
		done <- gregor(t, addr, "", "consume", "lines", "--from", "end", "-f", "-n", "1")
	}()
	deadline := time.Now().Add(20 * time.Second)
	var got result
	for got.err == nil && got.stdout == "" && time.Now().Before(deadline) {
		// The consumer may not have started yet; keep producing until it
		// sees one.
		mustRun(t, addr, "late\n", "produce", "lines")
		select {
		case got = <-done:
		case <-time.After(time.Second):
		}
	}
	if got.err != nil || got.stdout != "late\n" {
		t.Errorf("--follow -n 1 returned %q, %v", got.stdout, got.err)
	}
}

func testConsumerGroup(t *testing.T, addr string) {
	if missing := missingGroupAPIs(t, addr); len(missing) > 0 {
		t.Skipf("broker does not implement %v yet", missing)
	}
	mustRun(t, addr, "", "topic", "create", "grouped", "-p", "2")
	mustRun(t, addr, "k1:a\nk2:b\nk3:c\n", "produce", "grouped", "-k", ":")
	// A group starts where it left off: everything once, then nothing,
	// then only what came after.
	r := mustRun(t, addr, "", "consume", "grouped", "-g", "cli-group")
	if got := strings.Fields(r.stdout); len(got) != 3 || !sameSet(got, []string{"a", "b", "c"}) {
		t.Errorf("first group run printed %q", r.stdout)
	}
	r = mustRun(t, addr, "", "consume", "grouped", "-g", "cli-group")
	if r.stdout != "" {
		t.Errorf("second group run printed %q, want nothing", r.stdout)
	}
	mustRun(t, addr, "d\n", "produce", "grouped")
	r = mustRun(t, addr, "", "consume", "grouped", "-g", "cli-group")
	if r.stdout != "d\n" {
		t.Errorf("group run after one more record printed %q", r.stdout)
	}
	// Another group has its own position.
	r = mustRun(t, addr, "", "consume", "grouped", "-g", "other-group", "-n", "4")
	if got := strings.Fields(r.stdout); !sameSet(got, []string{"a", "b", "c", "d"}) {
		t.Errorf("a second group printed %q", r.stdout)
	}
}

// A log that ends in transaction markers must still let consume reach
// its end, and read_committed must hide the aborted records.
func testTransactions(t *testing.T, addr string) {
	if missing := missingAPIs(t, addr, kmsg.InitProducerID, kmsg.AddPartitionsToTxn, kmsg.EndTxn, kmsg.FindCoordinator); len(missing) > 0 {
		t.Skipf("broker does not implement %v yet", missing)
	}
	mustRun(t, addr, "", "topic", "create", "txns", "-p", "1")
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.TransactionalID("cli-e2e"), kgo.DefaultProduceTopic("txns"))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	txn := func(commit kgo.TransactionEndTry, values ...string) {
		t.Helper()
		if err := cl.BeginTransaction(); err != nil {
			t.Fatalf("begin: %v", err)
		}
		for _, v := range values {
			if err := cl.ProduceSync(ctx, kgo.StringRecord(v)).FirstErr(); err != nil {
				t.Fatalf("produce %s: %v", v, err)
			}
		}
		if err := cl.EndTransaction(ctx, commit); err != nil {
			t.Fatalf("end transaction: %v", err)
		}
	}
	txn(kgo.TryCommit, "c1", "c2")
	txn(kgo.TryAbort, "x")

	r := mustRun(t, addr, "", "consume", "txns", "--isolation", "read_committed")
	if r.stdout != "c1\nc2\n" {
		t.Errorf("read_committed printed %q", r.stdout)
	}
	r = mustRun(t, addr, "", "consume", "txns")
	if r.stdout != "c1\nc2\nx\n" {
		t.Errorf("read_uncommitted printed %q", r.stdout)
	}
	r = mustRun(t, addr, "", "bench", "consume", "txns", "--json", "-q")
	if !strings.Contains(r.stdout, `"records": 3`) {
		t.Errorf("bench consume over a transactional log: %s", r.stdout)
	}
}

// missingGroupAPIs lists the consumer-group requests the broker does not
// advertise in ApiVersions.
func missingGroupAPIs(t *testing.T, addr string) []string {
	t.Helper()
	return missingAPIs(t, addr, kmsg.FindCoordinator, kmsg.JoinGroup, kmsg.SyncGroup, kmsg.Heartbeat,
		kmsg.OffsetCommit, kmsg.OffsetFetch, kmsg.LeaveGroup)
}

// missingAPIs lists the requests among keys that the broker does not
// advertise in ApiVersions.
func missingAPIs(t *testing.T, addr string, keys ...kmsg.Key) []string {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := kmsg.NewPtrApiVersionsRequest().RequestWith(ctx, cl)
	if err != nil {
		t.Fatalf("api versions: %v", err)
	}
	have := map[int16]bool{}
	for _, k := range resp.ApiKeys {
		have[k.ApiKey] = true
	}
	var missing []string
	for _, k := range keys {
		if !have[int16(k)] {
			missing = append(missing, k.Name())
		}
	}
	return missing
}

func sameSet(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	seen := map[string]int{}
	for _, g := range got {
		seen[g]++
	}
	for _, w := range want {
		if seen[w] != 1 {
			return false
		}
	}
	return true
}

func testConsumeFromTime(t *testing.T, addr string) {
	mustRun(t, addr, "", "topic", "create", "timed", "-p", "2")
	mustRun(t, addr, "old-1\nold-2\n", "produce", "timed")
	time.Sleep(50 * time.Millisecond)
	cut := time.Now()
	time.Sleep(50 * time.Millisecond)
	mustRun(t, addr, "new-1\nnew-2\nnew-3\n", "produce", "timed")

	for _, from := range []string{
		cut.Format(time.RFC3339Nano),
		"@" + fmt.Sprint(cut.UnixMilli()),
		fmt.Sprint(cut.UnixMilli()),
	} {
		r := mustRun(t, addr, "", "consume", "timed", "--from", from)
		got := strings.Fields(r.stdout)
		if len(got) != 3 || strings.Join(got, " ") != strings.Join(sortedNew(got), " ") {
			t.Errorf("--from %s printed %q, want the three new-* records", from, r.stdout)
		}
	}
	r := mustRun(t, addr, "", "consume", "timed", "--from", cut.Add(time.Hour).Format(time.RFC3339))
	if r.stdout != "" {
		t.Errorf("--from a future time printed %q", r.stdout)
	}
}

// sortedNew returns got if it holds exactly new-1..new-3 in some order
// (two partitions interleave freely), otherwise nil.
func sortedNew(got []string) []string {
	seen := map[string]bool{}
	for _, g := range got {
		seen[g] = true
	}
	if len(seen) == 3 && seen["new-1"] && seen["new-2"] && seen["new-3"] {
		return got
	}
	return nil
}

func testClusterInfo(t *testing.T, addr, node string) {
	r := mustRun(t, addr, "", "cluster", "info")
	if !regexp.MustCompile(`(?m)^Cluster ID:\s+\S+`).MatchString(r.stdout) {
		t.Errorf("no cluster id in\n%s", r.stdout)
	}
	if !regexp.MustCompile(`(?m)^Controller:\s+` + node + `$`).MatchString(r.stdout) {
		t.Errorf("controller is not node %s in\n%s", node, r.stdout)
	}
	host, port, _ := net.SplitHostPort(addr)
	if f := rowFields(r.stdout, node); len(f) < 2 || f[1] != net.JoinHostPort(host, port) {
		t.Errorf("broker row = %q, want address %s, in\n%s", f, addr, r.stdout)
	}
}

func testBench(t *testing.T, addr string) {
	r := mustRun(t, addr, "", "bench", "produce", "perf", "--records", "5000", "--record-size", "200",
		"--partitions", "3", "--producers", "2", "--json")
	var p struct {
		Records       int64   `json:"records"`
		Bytes         int64   `json:"bytes"`
		Errors        int64   `json:"errors"`
		RecordsPerSec float64 `json:"records_per_s"`
		MBPerSec      float64 `json:"mb_per_s"`
		Partitions    int     `json:"partitions"`
		Samples       uint64  `json:"latency_samples"`
		Latency       struct {
			P50  float64 `json:"p50_ms"`
			P99  float64 `json:"p99_ms"`
			P999 float64 `json:"p999_ms"`
			Max  float64 `json:"max_ms"`
		} `json:"latency"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &p); err != nil {
		t.Fatalf("bench produce --json printed %q: %v", r.stdout, err)
	}
	if p.Records != 5000 || p.Errors != 0 || p.Bytes != 5000*200 || p.Partitions != 3 || p.Samples != 5000 {
		t.Errorf("bench produce summary = %+v", p)
	}
	if p.RecordsPerSec <= 0 || p.MBPerSec <= 0 {
		t.Errorf("no throughput: %+v", p)
	}
	l := p.Latency
	if !(l.P50 > 0 && l.P50 <= l.P99 && l.P99 <= l.P999 && l.P999 <= l.Max) {
		t.Errorf("latency quantiles out of order: %+v", l)
	}

	r = mustRun(t, addr, "", "bench", "produce", "perf", "--records", "2000", "-q")
	for _, want := range []string{"produce perf: 2000 records", "records/s", "MB/s", "p50", "p99.9", "max"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("text summary lacks %q:\n%s", want, r.stdout)
		}
	}

	r = mustRun(t, addr, "", "bench", "consume", "perf", "--json")
	var c struct {
		Records       int64   `json:"records"`
		Bytes         int64   `json:"bytes"`
		RecordsPerSec float64 `json:"records_per_s"`
		Samples       uint64  `json:"latency_samples"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &c); err != nil {
		t.Fatalf("bench consume --json printed %q: %v", r.stdout, err)
	}
	if c.Records != 7000 || c.Bytes != 5000*200+2000*100 || c.RecordsPerSec <= 0 || c.Samples == 0 {
		t.Errorf("bench consume summary = %+v", c)
	}
}

func testErrors(t *testing.T, addr string) {
	mustFail(t, addr, "UNKNOWN_TOPIC_OR_PARTITION", "consume", "no-such-topic")
	mustFail(t, addr, "UNKNOWN_TOPIC_OR_PARTITION", "topic", "describe", "no-such-topic")
	mustFail(t, addr, "unknown compression", "produce", "x", "-z", "brotli")
	r := gregor(t, addr, "lost\n", "produce", "no-such-topic")
	if r.err == nil || !strings.Contains(r.err.Error(), "1 of 1 records not acknowledged") ||
		!strings.Contains(r.err.Error(), "UNKNOWN_TOPIC_OR_PARTITION") {
		t.Errorf("produce to a missing topic: %v", r.err)
	}
	mustFail(t, addr, "--from", "consume", "x", "--from", "yesterday")
	mustFail(t, addr, "INVALID_CONFIG", "topic", "create", "bad-config", "-c", "retention.ms=soon")
	mustFail(t, addr, "INVALID_REPLICATION_FACTOR", "topic", "create", "too-many-replicas", "-r", "3")
	mustFail(t, addr, "INVALID_TOPIC_EXCEPTION", "topic", "create", "bad/name")
	mustRun(t, addr, "", "topic", "create", "one-part", "-p", "1")
	mustFail(t, addr, "INVALID_CONFIG", "topic", "alter-config", "one-part", "--set", "no.such.config=1")
	mustRun(t, addr, "", "topic", "alter-config", "one-part", "--set", "retention.ms=5000", "--validate-only")
	if f := rowFields(mustRun(t, addr, "", "topic", "describe", "one-part").stdout, "retention.ms"); f != nil {
		t.Errorf("alter-config --validate-only changed the topic: %q", f)
	}
	mustFail(t, addr, "no partition 7", "consume", "one-part", "-p", "7")
	mustFail(t, addr, "--format", "consume", "one-part", "--format", "{{.Nope}}")

	// Nothing listens on a port we just closed: the command must give up
	// within its --timeout rather than hang.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	l.Close()
	start := time.Now()
	root := &cobra.Command{Use: "gregor", SilenceUsage: true, SilenceErrors: true}
	root.AddCommand(cli.Commands()...)
	root.SetOut(&bytes.Buffer{})
	root.SetErr(&bytes.Buffer{})
	root.SetArgs([]string{"topic", "list", "-b", dead, "--timeout", "2s"})
	if err := root.Execute(); err == nil {
		t.Error("topic list against a closed port succeeded")
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("topic list against a closed port took %v with --timeout 2s", took)
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
