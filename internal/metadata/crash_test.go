package metadata

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// crashChildEnv makes the test binary a child process that creates topics
// until it is killed, printing each acknowledged one.
const crashChildEnv = "METADATA_CRASH_CHILD"

func crashChild() {
	dir, addr, start := os.Getenv("CRASH_DIR"), os.Getenv("CRASH_ADDR"), os.Getenv("CRASH_START")
	n, err := Start(Config{NodeID: 1, DataDir: dir, RaftAddr: addr, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	ctx := context.Background()
	if err := n.RegisterBroker(ctx, Broker{ID: 1, Host: "127.0.0.1", Port: 9092}); err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	for i := 0; ; i++ {
		name := fmt.Sprintf("crash-%s-%d", start, i)
		r := n.CreateTopics(ctx, []CreateTopic{{Name: name, NumPartitions: 1, ReplicationFactor: 1, Configs: map[string]string{"retention.ms": fmt.Sprint(i + 1)}}}, false)
		if r[0].Err != nil {
			fmt.Println("error", r[0].Err)
			os.Exit(2)
		}
		first, err := n.AllocateProducerIDs(ctx, 10)
		if err != nil {
			fmt.Println("error", err)
			os.Exit(2)
		}
		fmt.Printf("ok %s %d\n", name, first)
	}
}

// TestKillNineLosesNoAcknowledgedChange kills a process creating topics at
// an arbitrary moment, several times over the same directory, and checks
// that every acknowledged topic, config and producer id block survived.
func TestKillNineLosesNoAcknowledgedChange(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	dir, addr := t.TempDir(), freeAddr(t)
	acked := map[string]string{} // topic -> retention.ms
	var lastPID int64 = -1
	for round := 0; round < 3; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashChildEnv+"=1", "CRASH_DIR="+dir, "CRASH_ADDR="+addr, fmt.Sprintf("CRASH_START=%d", round))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		want := 20 + round*7 // kill at a different point each round
		got := 0
		for got < want && sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) == 3 && f[0] == "ok" {
				var i int
				fmt.Sscanf(f[1][strings.LastIndex(f[1], "-")+1:], "%d", &i)
				acked[f[1]] = fmt.Sprint(i + 1)
				var pid int64
				fmt.Sscanf(f[2], "%d", &pid)
				if pid <= lastPID {
					t.Fatalf("producer id block %d handed out after %d", pid, lastPID)
				}
				lastPID = pid
				got++
			} else {
				t.Fatalf("child: %s", sc.Text())
			}
		}
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		if got < want {
			t.Fatalf("round %d: child stopped after %d acks", round, got)
		}
	}

	n := startNode(t, dir, addr, nil)
	defer n.Close()
	img := n.Image()
	for name, retention := range acked {
		if img.Topic(name) == nil {
			t.Errorf("acknowledged topic %s lost", name)
			continue
		}
		if img.TopicConfigs[name]["retention.ms"] != retention {
			t.Errorf("%s retention.ms = %q, want %s", name, img.TopicConfigs[name]["retention.ms"], retention)
		}
	}
	if img.NextProducerID < lastPID+10 {
		t.Errorf("next producer id %d would reuse the acknowledged block at %d", img.NextProducerID, lastPID)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if first, err := n.AllocateProducerIDs(ctx, 1); err != nil || first < lastPID+10 {
		t.Errorf("after crashes: producer id %d, %v", first, err)
	}
	t.Logf("%d acknowledged topics survived three kill -9", len(acked))
}
