package quorum

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestHCLogGoesToSlogAtWarn(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	hc := newHCLogger(logger, "raft")
	hc.Info("chatty election detail", "term", 3)
	hc.Warn("heartbeat failed", "peer", "2", "backoff", 10)
	hc.Error("snapshot failed", "error", "disk full")
	hc.Warn("heartbeat timeout reached, starting election")
	out := buf.String()
	if !strings.Contains(out, `level=INFO msg="heartbeat timeout reached, starting election"`) {
		t.Errorf("routine election warning not downgraded: %s", out)
	}
	if strings.Count(out, "component=") != 3 {
		t.Errorf("component attribute repeated or missing: %s", out)
	}
	if strings.Contains(out, "chatty") {
		t.Errorf("info passed the warn filter: %s", out)
	}
	for _, want := range []string{"level=WARN", `msg="heartbeat failed"`, "peer=2", "backoff=10", "level=ERROR", `error="disk full"`, "component=raft"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %s in %s", want, out)
		}
	}
}
