package txn

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-stream/gregor/internal/cli/clikit"
)

// abortTarget is the open transaction an abort marker ends.
type abortTarget struct {
	topic            string
	partition        int32
	leader           int32
	producerID       int64
	producerEpoch    int16
	coordinatorEpoch int32
	startOffset      int64 // -1 when given explicitly and unknown
}

type abortFlags struct {
	topic            string
	partition        int32
	startOffset      int64
	producerID       int64
	producerEpoch    int32
	coordinatorEpoch int32
}

func newAbort(conn *clikit.Conn) *cobra.Command {
	var f abortFlags
	cmd := &cobra.Command{
		Use:   "abort --topic TOPIC --partition N (--start-offset OFFSET | --producer-id ID)",
		Short: "Abort a hanging transaction on one partition by writing an abort marker",
		Long: `Abort one producer's open transaction on one partition, as Kafka's
kafka-transactions.sh abort does: find the producer through DescribeProducers
on the partition leader, then send WriteTxnMarkers (abort) for it to that
leader. Its records on that partition are then skipped by read_committed
consumers and the partition's last stable offset moves on.

Pick the transaction by the offset it started at (--start-offset, shown by
"gregor txn producers" as TXN-START-OFFSET) or by --producer-id. With
--producer-id, --producer-epoch and --coordinator-epoch together no lookup
is made, for a producer the leader no longer describes.

Use this only for a transaction its coordinator cannot end (the
coordinator aborts timed-out transactions by itself): the marker touches
this one partition only, not the transaction's other partitions.`,
		Example: `  gregor txn producers orders --partition 3
  gregor txn abort --topic orders --partition 3 --start-offset 1200
  gregor txn abort --topic orders --partition 3 --producer-id 4001
  gregor txn abort --topic orders --partition 3 --producer-id 4001 --producer-epoch 2 --coordinator-epoch 0`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.topic == "" || f.partition < 0 {
				return errors.New("--topic and --partition are required")
			}
			if f.startOffset < 0 && f.producerID < 0 {
				return errors.New("give --start-offset or --producer-id to pick the transaction")
			}
			cl, err := conn.Client()
			if err != nil {
				return err
			}
			defer cl.Close()
			adm := kadm.NewClient(cl)
			ctx, cancel := conn.Context(cmd)
			defer cancel()
			target, err := findTarget(ctx, adm, f)
			if err != nil {
				return err
			}
			if err := writeAbortMarker(ctx, cl, target); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			from := ""
			if target.startOffset >= 0 {
				from = fmt.Sprintf(", started at offset %d", target.startOffset)
			}
			fmt.Fprintf(out, "Aborted the transaction of producer %d (epoch %d) on %s/%d%s.\n",
				target.producerID, target.producerEpoch, target.topic, target.partition, from)
			if lso, hw, err := stableOffsets(ctx, adm, target.topic, target.partition); err == nil {
				fmt.Fprintf(out, "Last stable offset now %d, high watermark %d.\n", lso, hw)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.topic, "topic", "", "topic of the hanging transaction (required)")
	fl.Int32Var(&f.partition, "partition", -1, "partition of the hanging transaction (required)")
	fl.Int64Var(&f.startOffset, "start-offset", -1, "first offset of the transaction to abort")
	fl.Int64Var(&f.producerID, "producer-id", -1, "producer id of the transaction to abort")
	fl.Int32Var(&f.producerEpoch, "producer-epoch", -1, "producer epoch (with --producer-id and --coordinator-epoch: no lookup)")
	fl.Int32Var(&f.coordinatorEpoch, "coordinator-epoch", -1, "coordinator epoch (with --producer-id and --producer-epoch: no lookup)")
	return cmd
}

// findTarget resolves the flags to one producer and the partition leader.
func findTarget(ctx context.Context, adm *kadm.Client, f abortFlags) (abortTarget, error) {
	t := abortTarget{topic: f.topic, partition: f.partition, startOffset: -1}
	if f.producerID >= 0 && f.producerEpoch >= 0 && f.coordinatorEpoch >= 0 {
		if f.producerEpoch > 32767 {
			return t, fmt.Errorf("--producer-epoch %d out of range", f.producerEpoch)
		}
		leader, err := leaderOf(ctx, adm, f.topic, f.partition)
		if err != nil {
			return t, err
		}
		t.leader, t.producerID, t.producerEpoch, t.coordinatorEpoch = leader, f.producerID, int16(f.producerEpoch), f.coordinatorEpoch
		return t, nil
	}
	set := kadm.TopicsSet{}
	set.Add(f.topic, f.partition)
	described, err := adm.DescribeProducers(ctx, set)
	if err != nil {
		return t, fmt.Errorf("describe producers of %s/%d: %w", f.topic, f.partition, err)
	}
	dp, ok := described[f.topic].Partitions[f.partition]
	if !ok {
		return t, fmt.Errorf("%s/%d: %w", f.topic, f.partition, kerr.UnknownTopicOrPartition)
	}
	if dp.Err != nil {
		return t, fmt.Errorf("%s/%d: %w", f.topic, f.partition, clikit.KafkaErr(dp.Err, dp.ErrMessage))
	}
	var open []string
	for _, d := range dp.ActiveProducers.Sorted() {
		if d.CurrentTxnStartOffset < 0 {
			continue
		}
		open = append(open, fmt.Sprintf("producer %d epoch %d from offset %d", d.ProducerID, d.ProducerEpoch, d.CurrentTxnStartOffset))
		if (f.startOffset < 0 || d.CurrentTxnStartOffset == f.startOffset) && (f.producerID < 0 || d.ProducerID == f.producerID) {
			t.leader, t.producerID, t.producerEpoch = dp.Leader, d.ProducerID, d.ProducerEpoch
			t.coordinatorEpoch, t.startOffset = d.CoordinatorEpoch, d.CurrentTxnStartOffset
			if f.producerEpoch >= 0 {
				t.producerEpoch = int16(f.producerEpoch)
			}
			if f.coordinatorEpoch >= 0 {
				t.coordinatorEpoch = f.coordinatorEpoch
			}
			return t, nil
		}
	}
	if len(open) == 0 {
		return t, fmt.Errorf("%s/%d has no open transaction", f.topic, f.partition)
	}
	return t, fmt.Errorf("no open transaction on %s/%d matches; open: %s", f.topic, f.partition, strings.Join(open, "; "))
}

func leaderOf(ctx context.Context, adm *kadm.Client, topic string, partition int32) (int32, error) {
	md, err := adm.Metadata(ctx, topic)
	if err != nil {
		return -1, fmt.Errorf("metadata of %s: %w", topic, err)
	}
	td, ok := md.Topics[topic]
	if !ok || td.Err != nil {
		if ok {
			return -1, fmt.Errorf("topic %s: %w", topic, td.Err)
		}
		return -1, fmt.Errorf("topic %s: %w", topic, kerr.UnknownTopicOrPartition)
	}
	pd, ok := td.Partitions[partition]
	if !ok {
		return -1, fmt.Errorf("%s/%d: %w", topic, partition, kerr.UnknownTopicOrPartition)
	}
	if pd.Err != nil {
		return -1, fmt.Errorf("%s/%d: %w", topic, partition, pd.Err)
	}
	return pd.Leader, nil
}

// writeAbortMarker sends WriteTxnMarkers (abort) to the partition leader.
func writeAbortMarker(ctx context.Context, cl *kgo.Client, t abortTarget) error {
	req := kmsg.NewPtrWriteTxnMarkersRequest()
	m := kmsg.NewWriteTxnMarkersRequestMarker()
	m.ProducerID, m.ProducerEpoch, m.Committed, m.CoordinatorEpoch = t.producerID, t.producerEpoch, false, t.coordinatorEpoch
	mt := kmsg.NewWriteTxnMarkersRequestMarkerTopic()
	mt.Topic, mt.Partitions = t.topic, []int32{t.partition}
	m.Topics = append(m.Topics, mt)
	req.Markers = append(req.Markers, m)
	resp, err := req.RequestWith(ctx, cl.Broker(int(t.leader)))
	if err != nil {
		return fmt.Errorf("write abort marker to broker %d: %w", t.leader, err)
	}
	for _, rm := range resp.Markers {
		for _, rt := range rm.Topics {
			for _, rp := range rt.Partitions {
				if rp.Partition != t.partition || rt.Topic != t.topic {
					continue
				}
				if err := kerr.ErrorForCode(rp.ErrorCode); err != nil {
					return fmt.Errorf("write abort marker to %s/%d: %w", t.topic, t.partition, err)
				}
				return nil
			}
		}
	}
	return fmt.Errorf("write abort marker: broker %d did not answer for %s/%d", t.leader, t.topic, t.partition)
}

// stableOffsets returns the partition's last stable offset and high
// watermark.
func stableOffsets(ctx context.Context, adm *kadm.Client, topic string, partition int32) (lso, hw int64, err error) {
	committed, err := adm.ListCommittedOffsets(ctx, topic)
	if err != nil {
		return 0, 0, err
	}
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return 0, 0, err
	}
	c, ok1 := committed.Lookup(topic, partition)
	e, ok2 := ends.Lookup(topic, partition)
	if !ok1 || !ok2 || c.Err != nil || e.Err != nil {
		return 0, 0, errors.New("offsets unavailable")
	}
	return c.Offset, e.Offset, nil
}
