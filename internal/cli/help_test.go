package cli_test

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/gregor-stream/gregor/internal/cli"
)

// Every command a user can reach must explain itself in --help.
func TestEveryCommandDocumented(t *testing.T) {
	var walk func(c *cobra.Command)
	seen := 0
	walk = func(c *cobra.Command) {
		seen++
		name := c.CommandPath()
		if strings.TrimSpace(c.Short) == "" || strings.Contains(c.Short, "\n") {
			t.Errorf("%s: Short must be one line, got %q", name, c.Short)
		}
		if strings.TrimSpace(c.Long) == "" {
			t.Errorf("%s: no Long text", name)
		}
		if strings.TrimSpace(c.Example) == "" {
			t.Errorf("%s: no Example", name)
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	root := &cobra.Command{Use: "gregor"}
	root.AddCommand(cli.Commands()...)
	for _, c := range root.Commands() {
		walk(c)
	}
	if seen < 14 {
		t.Errorf("walked %d commands, want at least 14 (5 top-level plus their verbs)", seen)
	}
	want := []string{"topic", "produce", "consume", "cluster", "bench"}
	for _, w := range want {
		if c, _, err := root.Find([]string{w}); err != nil || c.Name() != w {
			t.Errorf("top-level command %q missing", w)
		}
	}
}

// The connection flags are accepted by every command, before or after
// the verb.
func TestConnectionFlagsEverywhere(t *testing.T) {
	root := &cobra.Command{Use: "gregor"}
	root.AddCommand(cli.Commands()...)
	for _, path := range [][]string{
		{"topic", "create"}, {"topic", "list"}, {"topic", "describe"}, {"topic", "delete"},
		{"topic", "alter-config"}, {"topic", "add-partitions"}, {"produce"}, {"consume"},
		{"cluster", "info"}, {"bench", "produce"}, {"bench", "consume"},
	} {
		c, _, err := root.Find(path)
		if err != nil {
			t.Fatalf("find %v: %v", path, err)
		}
		for _, flag := range []string{"brokers", "timeout"} {
			if c.Flag(flag) == nil && c.InheritedFlags().Lookup(flag) == nil {
				t.Errorf("%s has no --%s", c.CommandPath(), flag)
			}
		}
	}
}
