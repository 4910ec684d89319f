package clikit

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// DefaultBrokers is where a client connects when neither -b nor
// GREGOR_BROKERS says otherwise: a `gregor serve` started with no flags.
const DefaultBrokers = "127.0.0.1:9092"

// BrokersEnv names the environment variable that overrides DefaultBrokers.
const BrokersEnv = "GREGOR_BROKERS"

// Conn holds the connection flags of one command tree.
type Conn struct {
	Brokers []string
	Timeout time.Duration
}

// AddFlags registers -b/--brokers and --timeout as persistent flags on cmd so
// that every subcommand accepts them in any position.
func (c *Conn) AddFlags(cmd *cobra.Command) {
	def := []string{DefaultBrokers}
	if env := strings.TrimSpace(os.Getenv(BrokersEnv)); env != "" {
		def = SplitList(env)
	}
	cmd.PersistentFlags().StringSliceVarP(&c.Brokers, "brokers", "b", def,
		"bootstrap brokers, host:port, comma separated (env "+BrokersEnv+")")
	cmd.PersistentFlags().DurationVar(&c.Timeout, "timeout", 30*time.Second,
		"how long to wait for the cluster before giving up")
}

// SplitList splits a comma separated list, dropping blanks.
func SplitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// ClientOpts returns the options every client built from c starts with.
func (c *Conn) ClientOpts() []kgo.Opt {
	opts := []kgo.Opt{
		kgo.SeedBrokers(c.Brokers...),
		kgo.ClientID("gregor-cli"),
	}
	if c.Timeout > 0 {
		// Dialing and retrying must give up within the user's timeout,
		// otherwise an unreachable cluster hangs the command.
		opts = append(opts, kgo.DialTimeout(min(c.Timeout, 10*time.Second)), kgo.RetryTimeout(c.Timeout))
	}
	return opts
}

// Client builds a franz-go client from c plus extra options.
func (c *Conn) Client(extra ...kgo.Opt) (*kgo.Client, error) {
	if len(c.Brokers) == 0 {
		return nil, fmt.Errorf("no brokers given (use -b or %s)", BrokersEnv)
	}
	cl, err := kgo.NewClient(append(c.ClientOpts(), extra...)...)
	if err != nil {
		return nil, fmt.Errorf("new client: %w", err)
	}
	return cl, nil
}

// Admin builds an admin client; closing it closes the underlying client.
func (c *Conn) Admin(extra ...kgo.Opt) (*kadm.Client, error) {
	cl, err := c.Client(extra...)
	if err != nil {
		return nil, err
	}
	adm := kadm.NewClient(cl)
	if c.Timeout > 0 {
		adm.SetTimeoutMillis(int32(min(c.Timeout, time.Hour).Milliseconds()))
	}
	return adm, nil
}

// Context returns the command's context bounded by the timeout flag.
func (c *Conn) Context(cmd *cobra.Command) (context.Context, context.CancelFunc) {
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	if c.Timeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, c.Timeout)
}
