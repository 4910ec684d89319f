package txn

import (
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/gregor-stream/gregor/internal/cli/clikit"
)

func newDescribe(conn *clikit.Conn) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "describe TRANSACTIONAL-ID...",
		Short: "Show a transaction's state, producer, timeout and partitions",
		Long: `Describe transactional ids: the coordinator, the state, the producer id
and epoch, the transaction timeout, when the open transaction started and
how long ago, and the partitions it has written to (consumer group offset
commits show as __consumer_offsets partitions).

An id no coordinator knows fails with TRANSACTIONAL_ID_NOT_FOUND.`,
		Example: `  gregor txn describe payments-tx-1
  gregor txn describe etl-0 etl-1 etl-2 -b kafka1:9092`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			adm, err := conn.Admin()
			if err != nil {
				return err
			}
			defer adm.Close()
			ctx, cancel := conn.Context(cmd)
			defer cancel()
			described, err := adm.DescribeTransactions(ctx, args...)
			if err != nil {
				return fmt.Errorf("describe transactions: %w", err)
			}
			out := cmd.OutOrStdout()
			var firstErr error
			for i, id := range args {
				d, err := described.On(id, nil)
				if err == nil {
					err = d.Err
				}
				if err != nil {
					fmt.Fprintf(cmd.ErrOrStderr(), "transactional id %s: %v\n", id, err)
					if firstErr == nil {
						firstErr = fmt.Errorf("transactional id %s: %w", id, err)
					}
					continue
				}
				if i > 0 {
					fmt.Fprintln(out)
				}
				if err := printDescribed(out, d, time.Now()); err != nil {
					return err
				}
			}
			return firstErr
		},
	}
	return cmd
}

func printDescribed(w io.Writer, d kadm.DescribedTransaction, now time.Time) error {
	fmt.Fprintf(w, "Transactional ID: %s\n", d.TxnID)
	fmt.Fprintf(w, "Coordinator:      %d\n", d.Coordinator)
	fmt.Fprintf(w, "State:            %s\n", d.State)
	fmt.Fprintf(w, "Producer:         id %d, epoch %d\n", d.ProducerID, d.ProducerEpoch)
	fmt.Fprintf(w, "Timeout:          %v\n", time.Duration(d.TimeoutMillis)*time.Millisecond)
	if d.StartTimestamp >= 0 {
		start := time.UnixMilli(d.StartTimestamp)
		fmt.Fprintf(w, "Started:          %s (%v ago)\n", start.UTC().Format(time.RFC3339), now.Sub(start).Round(time.Second))
	} else {
		fmt.Fprintf(w, "Started:          -\n")
	}
	parts := d.Topics.Sorted()
	if len(parts) == 0 {
		fmt.Fprintf(w, "Partitions:       none\n")
		return nil
	}
	fmt.Fprintf(w, "Partitions:\n")
	tw := clikit.NewTable(w)
	fmt.Fprintln(tw, "  TOPIC\tPARTITION")
	for _, t := range parts {
		ps := append([]int32(nil), t.Partitions...)
		sort.Slice(ps, func(i, j int) bool { return ps[i] < ps[j] })
		for _, p := range ps {
			fmt.Fprintf(tw, "  %s\t%d\n", t.Topic, p)
		}
	}
	return tw.Flush()
}
