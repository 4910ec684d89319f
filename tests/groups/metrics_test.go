package groups

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
)

// TestLagMetrics: /metrics exports each group's committed offset and lag
// per partition, and they follow new commits.
func TestLagMetrics(t *testing.T) {
	b := startBroker(t)
	const topic, group = "metrics-topic", "g-metrics"
	createTopic(t, b, topic, 1)
	produce(t, b, topic, "a", 100)
	adm := newAdmin(t, b)
	commitAt := func(at int64) {
		var os kadm.Offsets
		os.Add(kadm.Offset{Topic: topic, Partition: 0, At: at, LeaderEpoch: -1})
		resp, err := adm.CommitOffsets(ctxT(t), group, os)
		if err == nil {
			err = resp.Error()
		}
		if err != nil {
			t.Fatalf("commit: %v", err)
		}
	}
	scrape := func() string {
		resp, err := http.Get("http://" + b.HTTPAddr + "/metrics")
		if err != nil {
			t.Fatalf("scrape: %v", err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return string(body)
	}
	labels := fmt.Sprintf(`{group=%q,partition="0",topic=%q}`, group, topic)
	for _, at := range []int64{40, 90} {
		commitAt(at)
		wantCommitted := fmt.Sprintf("gregor_group_committed_offset%s %d", labels, at)
		wantLag := fmt.Sprintf("gregor_group_lag%s %d", labels, 100-at)
		waitFor(t, 10*time.Second, "metrics to show the commit", func() bool {
			body := scrape()
			return strings.Contains(body, wantCommitted) && strings.Contains(body, wantLag)
		})
	}
}
