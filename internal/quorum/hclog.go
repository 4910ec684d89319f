package quorum

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"sort"
	"strings"

	"github.com/hashicorp/go-hclog"
)

// newHCLogger returns an hclog.Logger for raft whose lines end up in logger
// as slog records. Raft is chatty at info level (every election, every
// snapshot), so only warnings and errors pass.
func newHCLogger(logger *slog.Logger, name string) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{
		Name:       name,
		Level:      hclog.Warn,
		Output:     &slogWriter{logger: logger},
		JSONFormat: true,
	})
}

// routine are messages raft logs as warnings that are part of normal
// operation: every start of a node begins with an election.
var routine = map[string]bool{
	"heartbeat timeout reached, starting election": true,
}

// slogWriter turns hclog's JSON lines into slog records, keeping the level
// and the key/value pairs.
type slogWriter struct{ logger *slog.Logger }

func (w *slogWriter) Write(p []byte) (int, error) {
	for _, line := range bytes.Split(p, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		w.emit(line)
	}
	return len(p), nil
}

func (w *slogWriter) emit(line []byte) {
	var m map[string]any
	if err := json.Unmarshal(line, &m); err != nil {
		w.logger.Warn(strings.TrimSpace(string(line)), "component", "raft")
		return
	}
	level := slog.LevelInfo
	switch m["@level"] {
	case "trace", "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	}
	msg, _ := m["@message"].(string)
	if level > slog.LevelInfo && routine[msg] {
		level = slog.LevelInfo
	}
	module, _ := m["@module"].(string)
	attrs := []any{"component", module}
	keys := make([]string, 0, len(m))
	for k := range m {
		if !strings.HasPrefix(k, "@") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		attrs = append(attrs, k, m[k])
	}
	w.logger.Log(context.Background(), level, msg, attrs...)
}
