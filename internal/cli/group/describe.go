package group

import (
	"fmt"
	"io"
	"sort"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/gregor-stream/gregor/internal/cli/clikit"
)

func newDescribe(conn *clikit.Conn) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "describe GROUP...",
		Short: "Show a group's state, members, assignments and lag",
		Long: `Describe consumer groups: state, protocol, coordinator, each member
(client id, host, instance id) and, per partition, the committed offset,
the log end offset, the lag and the member that owns it.`,
		Example: `  gregor group describe orders-service
  gregor group describe orders-service billing -b kafka1:9092`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			adm, err := conn.Admin()
			if err != nil {
				return err
			}
			defer adm.Close()
			ctx, cancel := conn.Context(cmd)
			defer cancel()
			lags, err := adm.Lag(ctx, args...)
			if err != nil {
				return fmt.Errorf("describe groups: %w", err)
			}
			out := cmd.OutOrStdout()
			var firstErr error
			for i, name := range args {
				l, ok := lags[name]
				if !ok {
					continue
				}
				if i > 0 {
					fmt.Fprintln(out)
				}
				if err := l.Error(); err != nil {
					fmt.Fprintf(cmd.ErrOrStderr(), "group %s: %v\n", name, err)
					if firstErr == nil {
						firstErr = fmt.Errorf("group %s: %w", name, err)
					}
					continue
				}
				if err := printDescribed(out, l); err != nil {
					return err
				}
			}
			return firstErr
		},
	}
	return cmd
}

func printDescribed(w io.Writer, l kadm.DescribedGroupLag) error {
	fmt.Fprintf(w, "Group:       %s\n", l.Group)
	fmt.Fprintf(w, "State:       %s\n", l.State)
	fmt.Fprintf(w, "Protocol:    %s/%s\n", dash(l.ProtocolType), dash(l.Protocol))
	fmt.Fprintf(w, "Coordinator: %d\n", l.Coordinator.NodeID)
	fmt.Fprintf(w, "Members:     %d\n", len(l.Members))
	fmt.Fprintf(w, "Total lag:   %d\n\n", l.Lag.Total())
	if len(l.Members) > 0 {
		tw := clikit.NewTable(w)
		fmt.Fprintln(tw, "MEMBER-ID\tINSTANCE-ID\tCLIENT-ID\tHOST\tPARTITIONS")
		for _, m := range l.Members {
			n := 0
			if a, ok := m.Assigned.AsConsumer(); ok {
				for _, t := range a.Topics {
					n += len(t.Partitions)
				}
			}
			inst := "-"
			if m.InstanceID != nil {
				inst = *m.InstanceID
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\n", m.MemberID, inst, m.ClientID, m.ClientHost, n)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintln(w)
	}
	return printLag(w, l.Lag)
}

// printLag prints one row per partition, sorted by topic and partition.
func printLag(w io.Writer, lag kadm.GroupLag) error {
	tw := clikit.NewTable(w)
	fmt.Fprintln(tw, "TOPIC\tPARTITION\tCURRENT-OFFSET\tLOG-END-OFFSET\tLAG\tMEMBER-ID\tCLIENT-ID")
	topics := make([]string, 0, len(lag))
	for t := range lag {
		topics = append(topics, t)
	}
	sort.Strings(topics)
	for _, t := range topics {
		ps := lag[t]
		parts := make([]int32, 0, len(ps))
		for p := range ps {
			parts = append(parts, p)
		}
		sort.Slice(parts, func(i, j int) bool { return parts[i] < parts[j] })
		for _, p := range parts {
			m := ps[p]
			cur := "-"
			if m.Commit.At >= 0 {
				cur = fmt.Sprint(m.Commit.At)
			}
			member, client := "-", "-"
			if m.Member != nil {
				member, client = m.Member.MemberID, m.Member.ClientID
			}
			if m.Err != nil {
				fmt.Fprintf(tw, "%s\t%d\t%s\t-\t-\t%s\t%s (%v)\n", t, p, cur, member, client, m.Err)
				continue
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%d\t%s\t%s\n", t, p, cur, m.End.Offset, m.Lag, member, client)
		}
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
