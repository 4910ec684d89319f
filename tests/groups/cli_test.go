package groups

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kgo"

	groupcli "github.com/gregor-stream/gregor/internal/cli/group"
	"github.com/gregor-stream/gregor/tests/testbroker"
)

// groupCmd runs `gregor group ARGS` in-process against b.
func groupCmd(t *testing.T, b *testbroker.Broker, args ...string) (string, error) {
	t.Helper()
	root := &cobra.Command{Use: "gregor", SilenceUsage: true, SilenceErrors: true}
	root.AddCommand(groupcli.New())
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(append(append([]string{"group"}, args...), "-b", b.Addr, "--timeout", "20s"))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err := root.ExecuteContext(ctx)
	return out.String(), err
}

func mustGroupCmd(t *testing.T, b *testbroker.Broker, args ...string) string {
	t.Helper()
	out, err := groupCmd(t, b, args...)
	if err != nil {
		t.Fatalf("gregor group %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// row returns the fields of the first output line whose leading fields
// equal prefix.
func row(out string, prefix ...string) []string {
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) >= len(prefix) && strings.Join(f[:len(prefix)], " ") == strings.Join(prefix, " ") {
			return f
		}
	}
	return nil
}

func TestGroupCLI(t *testing.T) {
	b := startBroker(t)
	const topic, group = "cli-topic", "g-cli"
	createTopic(t, b, topic, 2)
	produce(t, b, topic, "a", 100)
	ends := map[int32]int64{}
	lo, err := newAdmin(t, b).ListEndOffsets(ctxT(t), topic)
	if err != nil {
		t.Fatal(err)
	}
	for p, o := range lo[topic] {
		ends[p] = o.Offset
	}

	// A live member consumes half of partition 0's records and commits.
	s := newSeen()
	m := startKgoMember(t, b, group, topic, kgo.RangeBalancer(), s)
	s.waitAll(t, []string{"a-0"}, 30*time.Second)
	waitStable(t, b, group, 1)

	out := mustGroupCmd(t, b, "list")
	if f := row(out, group); len(f) < 3 || f[1] != "Stable" || f[2] != "consumer" {
		t.Errorf("list: row for %s = %v\n%s", group, f, out)
	}
	out = mustGroupCmd(t, b, "list", "--state", "Empty")
	if row(out, group) != nil {
		t.Errorf("list --state Empty shows the stable group:\n%s", out)
	}
	out = mustGroupCmd(t, b, "describe", group)
	for _, want := range []string{"State:       Stable", "Members:     1", topic} {
		if !strings.Contains(out, want) {
			t.Errorf("describe lacks %q:\n%s", want, out)
		}
	}
	// Reset is refused while the group has members.
	if out, err := groupCmd(t, b, "reset-offsets", group, "--topic", topic, "--to-earliest", "--execute"); err == nil || !strings.Contains(err.Error(), "stop its consumers") {
		t.Errorf("reset of an active group: err %v\n%s", err, out)
	}
	m.stop(t)
	waitFor(t, 10*time.Second, "group empty", func() bool { return describe(t, b, group).State == "Empty" })

	out = mustGroupCmd(t, b, "lag", group)
	for p, end := range ends {
		f := row(out, group, topic, itoa32(p))
		if len(f) != 6 || f[3] != itoa64(end) || f[4] != itoa64(end) || f[5] != "0" {
			t.Errorf("lag row for partition %d = %v (end %d)\n%s", p, f, end, out)
		}
	}

	// Dry run changes nothing.
	out = mustGroupCmd(t, b, "reset-offsets", group, "--topic", topic, "--to-earliest")
	if !strings.Contains(out, "Dry run") {
		t.Errorf("reset without --execute did not say dry run:\n%s", out)
	}
	if c := committed(t, b, group, topic); c[0] != ends[0] {
		t.Errorf("dry run moved partition 0 to %d", c[0])
	}
	// Shift back by 10, then to an exact offset on one partition.
	mustGroupCmd(t, b, "reset-offsets", group, "--topic", topic, "--shift-by", "-10", "--execute")
	c := committed(t, b, group, topic)
	for p, end := range ends {
		if want := max(end-10, 0); c[p] != want {
			t.Errorf("after --shift-by -10: partition %d at %d, want %d", p, c[p], want)
		}
	}
	mustGroupCmd(t, b, "reset-offsets", group, "--topic", topic+":1", "--to-offset", "3", "--execute")
	if c := committed(t, b, group, topic); c[1] != min(3, ends[1]) || c[0] != max(ends[0]-10, 0) {
		t.Errorf("after --to-offset 3 on partition 1: %v", c)
	}
	mustGroupCmd(t, b, "reset-offsets", group, "--all-topics", "--to-earliest", "--execute")
	if c := committed(t, b, group, topic); c[0] != 0 || c[1] != 0 {
		t.Errorf("after --to-earliest: %v", c)
	}
	mustGroupCmd(t, b, "reset-offsets", group, "--all-topics", "--to-datetime", time.Now().Add(time.Hour).Format(time.RFC3339), "--execute")
	if c := committed(t, b, group, topic); c[0] != ends[0] || c[1] != ends[1] {
		t.Errorf("after --to-datetime in the future: %v, want the ends %v", c, ends)
	}
	if _, err := groupCmd(t, b, "reset-offsets", group, "--topic", topic, "--to-earliest", "--to-latest"); err == nil {
		t.Errorf("two reset targets accepted")
	}

	out = mustGroupCmd(t, b, "delete-offsets", group, "--topic", topic+":1")
	if f := row(out, topic, "1"); len(f) != 3 || f[2] != "deleted" {
		t.Errorf("delete-offsets: %v\n%s", f, out)
	}
	if c := committed(t, b, group, topic); len(c) != 1 {
		t.Errorf("after delete-offsets partition 1: %v", c)
	}
	out = mustGroupCmd(t, b, "delete", group)
	if !strings.Contains(out, "deleted group "+group) {
		t.Errorf("delete: %s", out)
	}
	if out, err := groupCmd(t, b, "delete", group); err == nil || !strings.Contains(err.Error(), "GROUP_ID_NOT_FOUND") {
		t.Errorf("second delete: err %v\n%s", err, out)
	}
}

func itoa32(v int32) string { return itoa64(int64(v)) }
func itoa64(v int64) string { return strconv.FormatInt(v, 10) }
