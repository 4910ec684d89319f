package txn_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	txncli "github.com/gregor-stream/gregor/internal/cli/txn"
	"github.com/gregor-stream/gregor/tests/testbroker"
)

func TestMain(m *testing.M) { testbroker.Main(m) }

// txnCmd runs `gregor txn ARGS` in-process against b.
func txnCmd(t *testing.T, b *testbroker.Broker, args ...string) (string, error) {
	t.Helper()
	root := &cobra.Command{Use: "gregor", SilenceUsage: true, SilenceErrors: true}
	root.AddCommand(txncli.New())
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(append(append([]string{"txn"}, args...), "-b", b.Addr, "--timeout", "20s"))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err := root.ExecuteContext(ctx)
	return out.String(), err
}

func mustTxnCmd(t *testing.T, b *testbroker.Broker, args ...string) string {
	t.Helper()
	out, err := txnCmd(t, b, args...)
	if err != nil {
		t.Fatalf("gregor txn %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// row returns the fields of the first output line whose first field is
// first.
func row(out, first string) []string {
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) > 0 && f[0] == first {
			return f
		}
	}
	return nil
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func client(t *testing.T, b *testbroker.Broker, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(b.Addr), kgo.RetryTimeout(20 * time.Second)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func recs(topic, prefix string, n int) []*kgo.Record {
	out := make([]*kgo.Record, n)
	for i := range out {
		out[i] = &kgo.Record{Topic: topic, Value: []byte(fmt.Sprintf("%s-%d", prefix, i))}
	}
	return out
}

// offsetsOf returns partition 0's last stable offset and high watermark.
func offsetsOf(t *testing.T, adm *kadm.Client, topic string) (lso, hw int64) {
	t.Helper()
	c, err := adm.ListCommittedOffsets(ctxT(t), topic)
	if err != nil {
		t.Fatal(err)
	}
	e, err := adm.ListEndOffsets(ctxT(t), topic)
	if err != nil {
		t.Fatal(err)
	}
	co, _ := c.Lookup(topic, 0)
	eo, _ := e.Lookup(topic, 0)
	return co.Offset, eo.Offset
}

// TestTxnCLI: one committed transaction and one left hanging (its
// producer keeps it open with a long timeout). list, describe and
// producers show them as they are; abort by start offset ends the hanging
// one on its partition, so the last stable offset reaches the high
// watermark and read_committed skips its records.
func TestTxnCLI(t *testing.T) {
	b := testbroker.Start(t, testbroker.WithArgs("--set", "transaction.state.log.num.partitions=2"))
	const topic = "cli-txn"
	adm := kadm.NewClient(client(t, b))
	// One partition makes the hanging transaction's start offset known.
	if resp, err := adm.CreateTopic(ctxT(t), 1, 1, nil, topic); err != nil || resp.Err != nil {
		t.Fatalf("create topic: %v %v", err, resp.Err)
	}

	done := client(t, b, kgo.TransactionalID("cli-done"))
	if err := done.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := done.ProduceSync(ctxT(t), recs(topic, "done", 5)...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	if err := done.EndTransaction(ctxT(t), kgo.TryCommit); err != nil {
		t.Fatal(err)
	}
	// 5 records and a commit marker: the hanging transaction starts at 6.
	hang := client(t, b, kgo.TransactionalID("cli-hang"), kgo.TransactionTimeout(10*time.Minute))
	if err := hang.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := hang.ProduceSync(ctxT(t), recs(topic, "hang", 7)...).FirstErr(); err != nil {
		t.Fatal(err)
	}

	out := mustTxnCmd(t, b, "list")
	t.Logf("gregor txn list:\n%s", out)
	if r := row(out, "cli-done"); len(r) < 2 || r[1] != "CompleteCommit" {
		t.Errorf("list: cli-done row %v, want state CompleteCommit\n%s", r, out)
	}
	hangRow := row(out, "cli-hang")
	if len(hangRow) < 4 || hangRow[1] != "Ongoing" {
		t.Fatalf("list: cli-hang row %v, want state Ongoing\n%s", hangRow, out)
	}
	hangPID := hangRow[2]

	out = mustTxnCmd(t, b, "list", "--state", "Ongoing")
	if row(out, "cli-done") != nil || row(out, "cli-hang") == nil {
		t.Errorf("list --state Ongoing: want only cli-hang\n%s", out)
	}
	out = mustTxnCmd(t, b, "list", "--producer-id", hangPID)
	if row(out, "cli-done") != nil || row(out, "cli-hang") == nil {
		t.Errorf("list --producer-id %s: want only cli-hang\n%s", hangPID, out)
	}

	out = mustTxnCmd(t, b, "describe", "cli-hang")
	t.Logf("gregor txn describe cli-hang:\n%s", out)
	for _, want := range []string{"State:            Ongoing", "Producer:         id " + hangPID, "Timeout:          10m0s", topic} {
		if !strings.Contains(out, want) {
			t.Errorf("describe cli-hang: no %q in\n%s", want, out)
		}
	}
	if r := row(out, topic); len(r) != 2 || r[1] != "0" {
		t.Errorf("describe cli-hang: partition row %v, want %s 0\n%s", r, topic, out)
	}
	out, err := txnCmd(t, b, "describe", "no-such-id")
	if err == nil || !strings.Contains(err.Error(), "TRANSACTIONAL_ID_NOT_FOUND") {
		t.Errorf("describe no-such-id: error %v, want TRANSACTIONAL_ID_NOT_FOUND\n%s", err, out)
	}

	out = mustTxnCmd(t, b, "producers", topic)
	t.Logf("gregor txn producers %s:\n%s", topic, out)
	var open []string
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) == 9 && f[0] == topic && f[3] == hangPID {
			open = f
		}
	}
	if open == nil || open[8] != "6" {
		t.Fatalf("producers: row of producer %s is %v, want TXN-START-OFFSET 6\n%s", hangPID, open, out)
	}

	lso, hw := offsetsOf(t, adm, topic)
	if lso != 6 || hw != 13 {
		t.Fatalf("before abort: LSO %d, high watermark %d; want 6 and 13", lso, hw)
	}
	_, err = txnCmd(t, b, "abort", "--topic", topic, "--partition", "0", "--start-offset", "3")
	if err == nil || !strings.Contains(err.Error(), "no open transaction") {
		t.Errorf("abort at a wrong start offset: %v, want 'no open transaction'", err)
	}
	if _, err = txnCmd(t, b, "abort", "--topic", topic, "--partition", "0"); err == nil {
		t.Errorf("abort without --start-offset or --producer-id succeeded")
	}

	out = mustTxnCmd(t, b, "abort", "--topic", topic, "--partition", "0", "--start-offset", "6")
	t.Logf("gregor txn abort:\n%s", out)
	if !strings.Contains(out, "Aborted the transaction of producer "+hangPID) {
		t.Errorf("abort: output\n%s", out)
	}
	lso, hw = offsetsOf(t, adm, topic)
	if lso != hw || hw != 14 {
		t.Errorf("after abort: LSO %d, high watermark %d; want both 14 (13 plus the abort marker)", lso, hw)
	}

	// read_committed now reads past the aborted records to the end.
	c := client(t, b, kgo.ConsumeTopics(topic), kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	var got []string
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		c.PollFetches(ctx).EachRecord(func(r *kgo.Record) { got = append(got, string(r.Value)) })
	}
	if len(got) != 5 || strings.Join(got, ",") != "done-0,done-1,done-2,done-3,done-4" {
		t.Errorf("read_committed after abort: %v, want the 5 committed records", got)
	}

	out, err = txnCmd(t, b, "abort", "--topic", topic, "--partition", "0", "--start-offset", "6")
	if err == nil || !strings.Contains(err.Error(), "no open transaction") {
		t.Errorf("second abort: %v, want 'no open transaction'\n%s", err, out)
	}
}

// Every txn command explains itself in --help with examples.
func TestTxnHelp(t *testing.T) {
	cmd := txncli.New()
	var walk func(c *cobra.Command)
	n := 0
	walk = func(c *cobra.Command) {
		n++
		if strings.TrimSpace(c.Short) == "" || strings.TrimSpace(c.Long) == "" || strings.TrimSpace(c.Example) == "" {
			t.Errorf("%s: Short, Long and Example must all be set", c.CommandPath())
		}
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(cmd)
	if n != 5 {
		t.Errorf("walked %d commands, want txn and its 4 verbs", n)
	}
	for _, verb := range []string{"list", "describe", "producers", "abort"} {
		root := &cobra.Command{Use: "gregor"}
		root.AddCommand(txncli.New())
		var out bytes.Buffer
		root.SetOut(&out)
		root.SetArgs([]string{"txn", verb, "--help"})
		if err := root.Execute(); err != nil {
			t.Errorf("txn %s --help: %v", verb, err)
		}
		if !strings.Contains(out.String(), "Examples:") || !strings.Contains(out.String(), "gregor txn "+verb) {
			t.Errorf("txn %s --help shows no examples:\n%s", verb, out.String())
		}
	}
}
