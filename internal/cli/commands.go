package cli

import (
	"github.com/spf13/cobra"

	"github.com/gregor-stream/gregor/internal/cli/bench"
	"github.com/gregor-stream/gregor/internal/cli/cluster"
	"github.com/gregor-stream/gregor/internal/cli/consume"
	"github.com/gregor-stream/gregor/internal/cli/produce"
	"github.com/gregor-stream/gregor/internal/cli/topic"
)

// Commands returns fresh top-level client commands: topic, produce,
// consume, cluster and bench. Each call builds new commands with their own
// flag state, so tests can run them repeatedly in one process.
func Commands() []*cobra.Command {
	return []*cobra.Command{
		topic.New(),
		produce.New(),
		consume.New(),
		cluster.New(),
		bench.New(),
	}
}
