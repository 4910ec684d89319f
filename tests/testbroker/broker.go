package testbroker

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	readyTimeout = 30 * time.Second
	stopTimeout  = 30 * time.Second
	startTries   = 5
	tailLines    = 150
)

// Broker is one gregor node running as a child process.
type Broker struct {
	// Addr is the Kafka listener, host:port.
	Addr string
	// HTTPAddr is the HTTP listener (health, metrics, admin), host:port.
	HTTPAddr string
	// RaftAddr is the metadata quorum listener, host:port.
	RaftAddr string
	// DataDir is the broker's --data-dir; it survives Stop, Kill and Restart.
	DataDir string
	// NodeID is the broker's --node-id.
	NodeID int

	bin     string
	extra   []string
	env     []string
	logPath string
	starts  int
	logMark int64 // log size when the current process started

	cmd     *exec.Cmd
	logFile *os.File
	done    chan struct{} // closed when the current process has exited
	exitErr error         // valid once done is closed
	// asked is set when Stop or Kill brought the process down; an exit
	// without it is a crash, and fails the test at cleanup.
	asked bool
}

type config struct {
	addrs   []string // kafka, http, raft; nil: pick free ports
	args    []string
	dataDir string
	nodeID  int
	env     []string
}

// Option changes how Start runs the broker.
type Option func(*config)

// WithArgs appends arguments to `gregor serve`, e.g.
// WithArgs("--set", "num.partitions=3").
func WithArgs(args ...string) Option {
	return func(c *config) { c.args = append(c.args, args...) }
}

// WithDataDir runs the broker on an existing data directory instead of a
// fresh one.
func WithDataDir(dir string) Option {
	return func(c *config) { c.dataDir = dir }
}

// WithAddrs fixes the Kafka, HTTP and raft listen addresses, for tests that
// must know them before the broker starts (e.g. a --voters list). Start does
// not retry on a port clash then. FreeAddrs finds candidates.
func WithAddrs(kafka, http, raft string) Option {
	return func(c *config) { c.addrs = []string{kafka, http, raft} }
}

// WithNodeID sets --node-id (default 1).
func WithNodeID(id int) Option {
	return func(c *config) { c.nodeID = id }
}

// WithEnv adds KEY=VALUE pairs to the broker's environment.
func WithEnv(kv ...string) Option {
	return func(c *config) { c.env = append(c.env, kv...) }
}

// Start builds (once) and starts a broker on free loopback ports, waits until
// its /readyz answers 200, and registers its shutdown with t.Cleanup. On a
// failed test the tail of the broker's output is logged.
func Start(t testing.TB, opts ...Option) *Broker {
	t.Helper()
	cfg := config{nodeID: 1}
	for _, o := range opts {
		o(&cfg)
	}
	b := newBroker(t, cfg)
	var lastErr error
	for try := 0; try < startTries; try++ {
		addrs := cfg.addrs
		if addrs == nil {
			var err error
			if addrs, err = FreeAddrs(3); err != nil {
				t.Fatalf("pick ports: %v", err)
			}
		}
		b.Addr, b.HTTPAddr, b.RaftAddr = addrs[0], addrs[1], addrs[2]
		lastErr = b.launch()
		if lastErr == nil {
			return b
		}
		if cfg.addrs != nil || !b.portClash() {
			break
		}
	}
	t.Fatalf("start gregor: %v (its output is logged below)", lastErr)
	return nil
}

// newBroker makes a Broker for cfg (not started) and registers its cleanup:
// stop the process, fail the test if it had crashed, log its output tail
// if the test failed.
func newBroker(t testing.TB, cfg config) *Broker {
	t.Helper()
	bin := Binary(t)
	logDir := t.TempDir()
	if cfg.dataDir == "" {
		cfg.dataDir = filepath.Join(t.TempDir(), "data")
	}
	b := &Broker{
		DataDir: cfg.dataDir,
		NodeID:  cfg.nodeID,
		bin:     bin,
		extra:   cfg.args,
		env:     cfg.env,
		logPath: filepath.Join(logDir, "gregor.log"),
	}
	// Registered after the TempDir cleanups, so it runs before them: the
	// process is gone before its directories are removed.
	t.Cleanup(func() {
		if b.cmd != nil && !b.Running() && !b.asked {
			t.Errorf("gregor node %d (pid %d) exited on its own during the test: %v", b.NodeID, b.PID(), b.exitErr)
		}
		if b.Running() {
			if err := b.Stop(); err != nil {
				t.Logf("gregor node %d: stop at cleanup: %v", b.NodeID, err)
			}
		}
		if t.Failed() {
			t.Logf("gregor node %d output (last %d lines of %s):\n%s", b.NodeID, tailLines, b.logPath, b.Tail(tailLines))
		}
		if b.logFile != nil {
			b.logFile.Close()
		}
	})
	return b
}

// Restart starts the broker again on the same data dir and ports, stopping it
// first (SIGTERM) if it still runs. Failures are reported on t.
func (b *Broker) Restart(t testing.TB) {
	t.Helper()
	if b.Running() {
		if err := b.Stop(); err != nil {
			t.Logf("gregor: stop before restart: %v", err)
		}
	}
	var err error
	for try := 0; try < startTries; try++ {
		if err = b.launch(); err == nil {
			return
		}
		if !b.portClash() {
			break
		}
		// Someone else holds one of our ports for a moment; it cannot be
		// changed because clients and the data dir know it.
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatalf("restart gregor: %v (its output is logged below)", err)
}

// Stop sends SIGTERM and waits for the process to exit. It returns an error
// if the broker did not exit with status 0 within 30 s (it is then killed).
func (b *Broker) Stop() error {
	if b.cmd == nil {
		return nil
	}
	select {
	case <-b.done:
		return fmt.Errorf("already exited: %w", b.exitErr)
	default:
	}
	b.asked = true
	if err := b.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("send SIGTERM: %w", err)
	}
	select {
	case <-b.done:
		return b.exitErr
	case <-time.After(stopTimeout):
		b.Kill()
		return fmt.Errorf("no exit %v after SIGTERM; killed", stopTimeout)
	}
}

// Kill sends SIGKILL (kill -9) and waits until the process is gone.
func (b *Broker) Kill() {
	if b.cmd == nil {
		return
	}
	select {
	case <-b.done:
		return
	default:
	}
	b.asked = true
	_ = b.cmd.Process.Signal(syscall.SIGKILL)
	<-b.done
}

// PID is the process id of the current (or last) broker process.
func (b *Broker) PID() int {
	if b.cmd == nil || b.cmd.Process == nil {
		return 0
	}
	return b.cmd.Process.Pid
}

// Running reports whether the broker process is alive.
func (b *Broker) Running() bool {
	if b.cmd == nil {
		return false
	}
	select {
	case <-b.done:
		return false
	default:
		return true
	}
}

// Exited returns a channel closed when the current process exits.
func (b *Broker) Exited() <-chan struct{} { return b.done }

// LogPath is the file holding the broker's stdout and stderr of every run.
func (b *Broker) LogPath() string { return b.logPath }

// Tail returns the last n lines of the broker's output.
func (b *Broker) Tail(n int) string {
	data, err := os.ReadFile(b.logPath)
	if err != nil {
		return fmt.Sprintf("(read %s: %v)", b.logPath, err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Args is the full `gregor serve` command line the broker runs with.
func (b *Broker) Args() []string {
	args := []string{
		"serve",
		"--data-dir", b.DataDir,
		"--node-id", strconv.Itoa(b.NodeID),
		"--kafka-addr", b.Addr,
		"--http-addr", b.HTTPAddr,
		"--raft-addr", b.RaftAddr,
	}
	return append(args, b.extra...)
}

// launch starts the process and waits until it is ready; a broker that does
// not get ready is killed.
func (b *Broker) launch() error {
	if err := b.spawn(); err != nil {
		return err
	}
	if err := b.waitReady(); err != nil {
		b.Kill()
		return err
	}
	return nil
}

// spawn starts the process without waiting for it.
func (b *Broker) spawn() error {
	if b.logFile == nil {
		f, err := os.OpenFile(b.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("open log: %w", err)
		}
		b.logFile = f
	}
	b.starts++
	fmt.Fprintf(b.logFile, "=== testbroker: start %d: %s %s\n", b.starts, b.bin, strings.Join(b.Args(), " "))
	b.logMark = b.fileSize()

	cmd := exec.Command(b.bin, b.Args()...)
	cmd.Stdout = b.logFile
	cmd.Stderr = b.logFile
	cmd.Env = append(childEnv(), b.env...)
	// Its own process group keeps a terminal's ^C away from it; Pdeathsig
	// makes sure no broker outlives a crashed test binary.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("exec %s: %w", b.bin, err)
	}
	done := make(chan struct{})
	b.cmd, b.done, b.exitErr, b.asked = cmd, done, nil, false
	go func() {
		err := cmd.Wait()
		b.exitErr = err
		close(done)
	}()
	return nil
}

func (b *Broker) waitReady() error {
	client := &http.Client{Timeout: time.Second}
	url := "http://" + b.HTTPAddr + "/readyz"
	deadline := time.Now().Add(readyTimeout)
	var last string
	for time.Now().Before(deadline) {
		select {
		case <-b.done:
			return fmt.Errorf("broker exited before ready: %v", b.exitErr)
		default:
		}
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s not ready after %v (last: %s)", url, readyTimeout, last)
}

// portClash reports whether the last run died because a port was taken.
func (b *Broker) portClash() bool {
	data, err := os.ReadFile(b.logPath)
	if err != nil || int64(len(data)) < b.logMark {
		return false
	}
	return strings.Contains(string(data[b.logMark:]), "address already in use")
}

func (b *Broker) fileSize() int64 {
	fi, err := b.logFile.Stat()
	if err != nil {
		return 0
	}
	return fi.Size()
}

// FreeAddrs asks the kernel for n distinct free TCP ports on 127.0.0.1 and
// returns them as host:port. They are free when returned, not reserved.
func FreeAddrs(n int) ([]string, error) {
	addrs := make([]string, 0, n)
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("listen: %w", err)
		}
		ls = append(ls, l)
		addrs = append(addrs, loopback(l.Addr().(*net.TCPAddr).Port))
	}
	return addrs, nil
}

// childEnv is the test's environment without GREGOR_* variables: the broker
// reads those as configs, and the harness's own (GREGOR_BIN, ...) are not.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GREGOR_") {
			env = append(env, kv)
		}
	}
	return env
}

func loopback(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }
