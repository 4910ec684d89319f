package cluster

import (
	"fmt"
	"net"
	"slices"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/gregor-stream/gregor/internal/cli/clikit"
)

func newInfo(conn *clikit.Conn) *cobra.Command {
	return &cobra.Command{
		Use:   "info",
		Short: "Show the cluster id, controller, brokers and topic counts",
		Long: `Ask any broker for the cluster metadata and print the cluster id, the
active controller, every registered broker (id, advertised host:port,
rack) and how many topics and partitions exist, internal ones included.`,
		Example: `  gregor cluster info
  GREGOR_BROKERS=10.0.0.1:9092 gregor cluster info`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			adm, err := conn.Admin()
			if err != nil {
				return err
			}
			defer adm.Close()
			ctx, cancel := conn.Context(cmd)
			defer cancel()

			m, err := adm.Metadata(ctx)
			if err != nil {
				return fmt.Errorf("metadata: %w", err)
			}
			topics, partitions, internal := 0, 0, 0
			for _, t := range m.Topics {
				topics++
				partitions += len(t.Partitions)
				if t.IsInternal {
					internal++
				}
			}
			out := cmd.OutOrStdout()
			controller := "none"
			if m.Controller >= 0 {
				controller = fmt.Sprint(m.Controller)
			}
			fmt.Fprintf(out, "Cluster ID:  %s\n", m.Cluster)
			fmt.Fprintf(out, "Controller:  %s\n", controller)
			fmt.Fprintf(out, "Topics:      %d (%d internal)\n", topics, internal)
			fmt.Fprintf(out, "Partitions:  %d\n", partitions)
			fmt.Fprintf(out, "Brokers:     %d\n", len(m.Brokers))
			brokers := slices.Clone(m.Brokers)
			slices.SortFunc(brokers, func(a, b kadm.BrokerDetail) int { return int(a.NodeID) - int(b.NodeID) })
			tw := clikit.NewTable(out)
			fmt.Fprintln(tw, "ID\tADDRESS\tRACK\tCONTROLLER")
			for _, b := range brokers {
				rack := "-"
				if b.Rack != nil && *b.Rack != "" {
					rack = *b.Rack
				}
				ctl := ""
				if b.NodeID == m.Controller {
					ctl = "yes"
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", b.NodeID, net.JoinHostPort(b.Host, strconv.Itoa(int(b.Port))), rack, ctl)
			}
			return tw.Flush()
		},
	}
}
