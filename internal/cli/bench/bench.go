package bench

import (
	"github.com/spf13/cobra"

	"github.com/gregor-stream/gregor/internal/cli/clikit"
)

// New returns the `bench` command with its produce and consume load tests.
func New() *cobra.Command {
	conn := &clikit.Conn{}
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure produce and consume throughput and latency",
		Long: `Load generators for any Kafka-compatible cluster, like
kafka-producer-perf-test and kafka-consumer-perf-test. A progress line goes
to stderr every second; the summary goes to stdout, as JSON with --json.

MB/s counts record value bytes, with 1 MB = 1,000,000 bytes.`,
		Example: `  gregor bench produce perf --records 1000000 --record-size 100
  gregor bench consume perf`,
	}
	conn.AddFlags(cmd)
	cmd.AddCommand(newProduce(conn), newConsume(conn))
	return cmd
}
