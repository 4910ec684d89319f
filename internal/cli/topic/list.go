package topic

import (
	"encoding/base64"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/gregor-stream/gregor/internal/cli/clikit"
)

func newList(conn *clikit.Conn) *cobra.Command {
	var internal bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List topics with their partition count, replication factor and id",
		Long: `List every topic the cluster reports in its metadata, sorted by name.
Internal topics such as __consumer_offsets are hidden unless --internal
is given.`,
		Example: `  gregor topic list
  gregor topic list --internal -b 127.0.0.1:9092`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			adm, err := conn.Admin()
			if err != nil {
				return err
			}
			defer adm.Close()
			ctx, cancel := conn.Context(cmd)
			defer cancel()

			topics, err := adm.ListTopicsWithInternal(ctx)
			if err != nil {
				return fmt.Errorf("list topics: %w", err)
			}
			tw := clikit.NewTable(cmd.OutOrStdout())
			fmt.Fprintln(tw, "NAME\tPARTITIONS\tRF\tID")
			for _, d := range topics.Sorted() {
				if d.IsInternal && !internal {
					continue
				}
				if d.Err != nil {
					fmt.Fprintf(cmd.ErrOrStderr(), "topic %s: %v\n", d.Topic, d.Err)
					continue
				}
				fmt.Fprintf(tw, "%s\t%d\t%d\t%s\n", d.Topic, len(d.Partitions), d.Partitions.NumReplicas(), topicID(d.ID))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&internal, "internal", false, "include internal topics")
	return cmd
}

func topicID(id kadm.TopicID) string {
	if id == (kadm.TopicID{}) {
		return "-"
	}
	// Kafka prints topic ids as unpadded URL-safe base64; match it so ids
	// can be compared with other tools' output.
	return base64.RawURLEncoding.EncodeToString(id[:])
}
