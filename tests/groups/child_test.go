package groups

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/gregor-stream/gregor/tests/testbroker"
)

// childEnv makes the test binary run as a group member process instead of
// running tests, so a test can kill -9 a real consumer.
const childEnv = "GREGOR_GROUPS_CHILD"

// runChild is a franz-go group member that prints every value it consumed
// ("V value") until it is killed.
func runChild() {
	spec := strings.Split(os.Getenv(childEnv), ",")
	addr, group, topic := spec[0], spec[1], spec[2]
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(addr),
		kgo.ConsumerGroup(group),
		kgo.ConsumeTopics(topic),
		kgo.Balancers(kgo.CooperativeStickyBalancer()),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.SessionTimeout(6*time.Second),
		kgo.HeartbeatInterval(500*time.Millisecond),
		kgo.AutoCommitInterval(200*time.Millisecond),
		kgo.AutoCommitMarks(),
	)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	w := bufio.NewWriter(os.Stdout)
	for {
		fs := cl.PollFetches(context.Background())
		fs.EachRecord(func(r *kgo.Record) {
			fmt.Fprintf(w, "V %s\n", r.Value)
			cl.MarkCommitRecords(r)
		})
		w.Flush()
	}
}

// childMember is a group member in its own process.
type childMember struct {
	cmd  *exec.Cmd
	done chan struct{}
}

func startChild(t *testing.T, b *testbroker.Broker, group, topic string, s *seen) *childMember {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+b.Addr+","+group+","+topic)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start member process: %v", err)
	}
	c := &childMember{cmd: cmd, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "V "); ok {
				s.add(v)
			}
		}
		_ = cmd.Wait()
	}()
	t.Cleanup(c.kill)
	return c
}

// kill sends SIGKILL: no LeaveGroup, no final commit.
func (c *childMember) kill() {
	if c.cmd.Process != nil {
		_ = c.cmd.Process.Signal(syscall.SIGKILL)
	}
	<-c.done
}
