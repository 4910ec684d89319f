package compat

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gregor-stream/gregor/tests/testbroker"
)

// TestKcat drives the kcat CLI as a real process: it produces keyed lines in
// every codec with headers, then consumes the topic to its end and prints
// partition, offset, timestamp, key, headers and value of each message.
func TestKcat(t *testing.T) {
	kcat, err := exec.LookPath("kcat")
	if err != nil {
		t.Fatalf("kcat not installed (scripts/test.sh installs it): %v", err)
	}
	b := testbroker.Start(t)
	adm := newAdmin(t, b)
	const topic, partitions = "kcat-compat", 3
	createTopic(t, adm, topic, partitions, nil)

	w := newWorkload("kcat")
	var sent []rec
	before := time.Now()
	for _, codec := range codecs {
		batch := w.run(codec)
		var in bytes.Buffer
		for i := range batch {
			// kcat sets the same headers on every message of a run and
			// stamps messages with the send time.
			batch[i].Headers = []header{{"codec", codec}, {"client", "kcat"}}
			fmt.Fprintf(&in, "%s:%s\n", batch[i].Key, batch[i].Value)
		}
		runKcat(t, kcat, &in, "-P", "-b", b.Addr, "-t", topic, "-K", ":",
			"-X", "compression.codec="+codec, "-H", "codec="+codec, "-H", "client=kcat")
		sent = append(sent, batch...)
	}
	after := time.Now()

	awaitEndOffsets(t, adm, topic, len(sent))
	out := runKcat(t, kcat, nil, "-C", "-b", b.Addr, "-t", topic, "-o", "beginning", "-e", "-q",
		"-f", `%p\t%o\t%T\t%k\t%h\t%s\n`)
	got := parseKcat(t, out)
	checkConsumed(t, sent, got, checkOpts{tsLow: before, tsHigh: after, partitionCount: partitions})
	checkStoredBatches(t, b, topic, partitions, codecs)
}

func runKcat(t *testing.T, kcat string, stdin *bytes.Buffer, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, kcat, args...)
	if stdin != nil {
		cmd.Stdin = stdin
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("kcat %s: %v\nstderr:\n%s", strings.Join(args, " "), err, stderr.String())
	}
	if stderr.Len() > 0 {
		t.Logf("kcat %s stderr:\n%s", args[0], stderr.String())
	}
	return stdout.Bytes()
}

// parseKcat reads the lines printed by the -f format of TestKcat.
func parseKcat(t *testing.T, out []byte) []rec {
	t.Helper()
	var recs []rec
	for _, line := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
		if line == "" {
			continue
		}
		f := strings.SplitN(line, "\t", 6)
		if len(f) != 6 {
			t.Errorf("kcat line with %d fields: %q", len(f), line)
			continue
		}
		p, err1 := strconv.ParseInt(f[0], 10, 32)
		off, err2 := strconv.ParseInt(f[1], 10, 64)
		ts, err3 := strconv.ParseInt(f[2], 10, 64)
		if err1 != nil || err2 != nil || err3 != nil {
			t.Errorf("kcat line: %q", line)
			continue
		}
		r := rec{Partition: int32(p), Offset: off, Timestamp: time.UnixMilli(ts), Key: []byte(f[3]), Value: []byte(f[5])}
		if f[4] != "" {
			for _, kv := range strings.Split(f[4], ",") {
				k, v, _ := strings.Cut(kv, "=")
				r.Headers = append(r.Headers, header{k, v})
			}
		}
		recs = append(recs, r)
	}
	return recs
}

// TestKcatGroup runs kcat as a balanced (group) consumer to the end of a
// topic; on exit it commits, and the group's offsets are the end offsets.
func TestKcatGroup(t *testing.T) {
	kcat, err := exec.LookPath("kcat")
	if err != nil {
		t.Fatalf("kcat not installed (scripts/test.sh installs it): %v", err)
	}
	b := testbroker.Start(t)
	adm := newAdmin(t, b)
	const topic, group = "kcat-group", "g-kcat"
	createTopic(t, adm, topic, 3, nil)
	produceN(t, b, topic, "kg", 50)

	out := runKcat(t, kcat, nil, "-b", b.Addr, "-G", group, "-o", "beginning", "-e", "-q",
		"-f", `%p\t%o\t%T\t%k\t%h\t%s\n`, topic)
	got := parseKcat(t, out)
	seen := map[string]int{}
	for _, r := range got {
		seen[string(r.Value)]++
	}
	if len(got) != 50 || len(seen) != 50 {
		t.Errorf("kcat group consumer printed %d records (%d distinct), want 50", len(got), len(seen))
	}
	checkCommitted(t, adm, group, topic)
}
