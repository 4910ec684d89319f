package txn

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/gregor-stream/gregor/internal/cli/clikit"
)

func newProducers(conn *clikit.Conn) *cobra.Command {
	var parts []int32
	cmd := &cobra.Command{
		Use:   "producers TOPIC",
		Short: "Show the producers a partition leader tracks, with their open transactions",
		Long: `Ask each partition's leader which producers it tracks (DescribeProducers):
producer id and epoch, last sequence number and write time, the epoch of
the transaction coordinator that last wrote a marker, and the first offset
of the producer's open transaction ("-" when it has none).

A producer with an open transaction holds the partition's last stable
offset at that start offset; "gregor txn abort" can end it.`,
		Example: `  gregor txn producers orders
  gregor txn producers orders --partition 0 --partition 3`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			adm, err := conn.Admin()
			if err != nil {
				return err
			}
			defer adm.Close()
			ctx, cancel := conn.Context(cmd)
			defer cancel()
			set := kadm.TopicsSet{}
			set.Add(args[0], parts...)
			described, err := adm.DescribeProducers(ctx, set)
			if err != nil {
				return fmt.Errorf("describe producers of %s: %w", args[0], err)
			}
			tw := clikit.NewTable(cmd.OutOrStdout())
			fmt.Fprintln(tw, "TOPIC\tPARTITION\tLEADER\tPRODUCER-ID\tEPOCH\tLAST-SEQUENCE\tLAST-WRITE\tCOORDINATOR-EPOCH\tTXN-START-OFFSET")
			var firstErr error
			for _, p := range described.SortedPartitions() {
				if p.Err != nil {
					fmt.Fprintf(tw, "%s\t%d\t%d\t%v\n", p.Topic, p.Partition, p.Leader, clikit.KafkaErr(p.Err, p.ErrMessage))
					if firstErr == nil {
						firstErr = fmt.Errorf("%s/%d: %w", p.Topic, p.Partition, clikit.KafkaErr(p.Err, p.ErrMessage))
					}
					continue
				}
				for _, d := range p.ActiveProducers.Sorted() {
					start := "-"
					if d.CurrentTxnStartOffset >= 0 {
						start = fmt.Sprint(d.CurrentTxnStartOffset)
					}
					written := "-"
					if d.LastTimestamp > 0 {
						written = time.UnixMilli(d.LastTimestamp).UTC().Format(time.RFC3339)
					}
					fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%s\t%d\t%s\n", d.Topic, d.Partition, d.Leader,
						d.ProducerID, d.ProducerEpoch, d.LastSequence, written, d.CoordinatorEpoch, start)
				}
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			return firstErr
		},
	}
	cmd.Flags().Int32SliceVarP(&parts, "partition", "p", nil, "only this partition (repeatable; default all)")
	return cmd
}
