package group

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/gregor-stream/gregor/internal/cli/clikit"
)

func newDeleteOffsets(conn *clikit.Conn) *cobra.Command {
	var topics []string
	cmd := &cobra.Command{
		Use:   "delete-offsets GROUP --topic TOPIC[:P,P...]...",
		Short: "Delete a group's committed offsets for some topics or partitions",
		Long: `Delete the committed offsets of a group for whole topics or some of
their partitions. The group may be active, but not subscribed to those
topics (GROUP_SUBSCRIBED_TO_TOPIC otherwise).`,
		Example: `  gregor group delete-offsets orders-service --topic retired-topic
  gregor group delete-offsets orders-service --topic orders:0,1`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sels, err := parseTopicSels(topics)
			if err != nil {
				return err
			}
			if len(sels) == 0 {
				return fmt.Errorf("give at least one --topic")
			}
			adm, err := conn.Admin()
			if err != nil {
				return err
			}
			defer adm.Close()
			ctx, cancel := conn.Context(cmd)
			defer cancel()
			group := args[0]
			set := kadm.TopicsSet{}
			var whole []string
			for _, s := range sels {
				if s.parts == nil {
					whole = append(whole, s.topic)
					continue
				}
				set.Add(s.topic, s.parts...)
			}
			if len(whole) > 0 {
				// Every partition of a whole topic: those the group has
				// committed offsets for.
				fo, err := adm.FetchOffsets(ctx, group)
				if err != nil {
					return fmt.Errorf("fetch offsets of %s: %w", group, err)
				}
				for _, t := range whole {
					ps, ok := fo[t]
					if !ok {
						fmt.Fprintf(cmd.ErrOrStderr(), "group %s has no offsets for topic %s\n", group, t)
						continue
					}
					for p := range ps {
						set.Add(t, p)
					}
				}
			}
			if len(set) == 0 {
				return nil
			}
			res, err := adm.DeleteOffsets(ctx, group, set)
			if err != nil {
				return fmt.Errorf("delete offsets of %s: %w", group, err)
			}
			tw := clikit.NewTable(cmd.OutOrStdout())
			fmt.Fprintln(tw, "TOPIC\tPARTITION\tRESULT")
			var firstErr error
			for t, ps := range res {
				for p, e := range ps {
					result := "deleted"
					if e != nil {
						result = e.Error()
						if firstErr == nil {
							firstErr = fmt.Errorf("delete offset %s/%d: %w", t, p, e)
						}
					}
					fmt.Fprintf(tw, "%s\t%d\t%s\n", t, p, result)
				}
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			return firstErr
		},
	}
	cmd.Flags().StringArrayVar(&topics, "topic", nil, "topic, or topic:p,p,... (repeatable)")
	return cmd
}
