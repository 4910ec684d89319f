package txn

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

// childEnv makes the test binary act as a client process instead of
// running tests, so that a test can kill -9 a real producer. Its value is
// "mode|broker|args..." split on '|'.
const childEnv = "GREGOR_TXN_CHILD"

// Child modes.
const (
	// childHang begins a transaction (timeout 3 s), writes hangCount
	// records "hung-<i>" to topic, prints "READY" and waits to be killed.
	childHang = "hang"
	// childMember is a GroupTransactSession member copying group's input
	// topic to the output topic until killed.
	childMember = "member"
)

const hangCount = 20

func runChild(spec string) {
	f := strings.Split(spec, "|")
	var err error
	switch f[0] {
	case childHang:
		err = hangInTxn(f[1], f[2], f[3])
	case childMember:
		err = runMember(context.Background(), f[1], f[2], f[3], f[4], nil)
	default:
		err = fmt.Errorf("unknown child mode %q", f[0])
	}
	fmt.Fprintln(os.Stderr, "txn child:", err)
	os.Exit(2)
}

func hangInTxn(addr, topic, txnID string) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.TransactionalID(txnID),
		kgo.TransactionTimeout(3*time.Second), kgo.DefaultProduceTopic(topic), kgo.RetryTimeout(20*time.Second))
	if err != nil {
		return err
	}
	if err := cl.BeginTransaction(); err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := cl.ProduceSync(ctx, records(topic, values("hung", hangCount))...).FirstErr(); err != nil {
		return fmt.Errorf("produce: %w", err)
	}
	fmt.Println("READY")
	select {}
}

// child is a client process started by startChild.
type child struct {
	cmd   *exec.Cmd
	ready chan struct{}
	done  chan struct{}
}

// startChild runs the test binary as a child client in the given mode.
// The child is SIGKILLed at cleanup at the latest.
func startChild(t *testing.T, b *testbroker.Broker, mode string, args ...string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+strings.Join(append([]string{mode, b.Addr}, args...), "|"))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start child %s: %v", mode, err)
	}
	c := &child{cmd: cmd, ready: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		sc := bufio.NewScanner(out)
		once := false
		for sc.Scan() {
			if sc.Text() == "READY" && !once {
				once = true
				close(c.ready)
			}
		}
		_ = cmd.Wait()
	}()
	t.Cleanup(c.kill)
	return c
}

// waitReady waits until the child printed READY.
func (c *child) waitReady(t *testing.T, within time.Duration) {
	t.Helper()
	select {
	case <-c.ready:
	case <-c.done:
		t.Fatalf("child exited before it was ready: %v", c.cmd.ProcessState)
	case <-time.After(within):
		t.Fatalf("child not ready within %v", within)
	}
}

// kill sends SIGKILL: no EndTxn, no LeaveGroup, nothing flushed.
func (c *child) kill() {
	if c.cmd.Process != nil {
		_ = c.cmd.Process.Signal(syscall.SIGKILL)
	}
	<-c.done
}
