package config

import (
	"fmt"
	"strings"
)

// Markdown renders docs/configuration.md from the Defs. The package's tests
// fail when the committed file differs; regenerate it with
// `go test ./internal/config -run TestConfigurationDoc -update`.
func Markdown() string {
	var b strings.Builder
	b.WriteString("# Configuration\n\n")
	b.WriteString("<!-- Generated from internal/config by `go test ./internal/config -run TestConfigurationDoc -update`. Do not edit. -->\n\n")
	b.WriteString("Every name is Kafka's where Kafka has the setting. `gregor serve` reads the broker\n")
	b.WriteString("configs, in increasing precedence, from their defaults, a Java `.properties` file\n")
	b.WriteString("(`--config FILE`), `GREGOR_*` environment variables (`GREGOR_NUM_PARTITIONS=3` sets\n")
	b.WriteString("`num.partitions`; `GREGOR_DATA_DIR` sets `log.dirs`) and `--set name=value`.\n")
	b.WriteString("The node flags set broker configs too: ")
	for i, f := range []string{"data-dir", "node-id", "kafka-addr", "advertise-kafka-addr", "http-addr", "raft-addr", "voters", "rack"} {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "`--%s` = `%s`", f, flagNames[f])
	}
	b.WriteString(".\nAn unknown name or a bad value stops the node with an error; of the `GREGOR_*`\n")
	b.WriteString("variables, only `GREGOR_CONFIG` (the config file) and `GREGOR_BROKERS` (used by the\n")
	b.WriteString("client commands) are not configs and are skipped.\n\n")
	b.WriteString("Topic configs are set per topic (CreateTopics, AlterConfigs, `kafka-configs.sh`);\n")
	b.WriteString("a topic without an override takes its broker synonym's dynamic value, else the\n")
	b.WriteString("node's static value, else the default.\n\n")
	b.WriteString("`gregor.flush.policy` is a Gregor extension: `always` (default) acknowledges `acks=all`\n")
	b.WriteString("writes only after they are fsynced (group commit), `interval` fsyncs by `flush.ms` and\n")
	b.WriteString("`flush.messages`, `never` leaves flushing to the operating system.\n\n")

	b.WriteString("## Topic configs\n\n")
	b.WriteString("| name | type | default | broker synonym | description |\n|---|---|---|---|---|\n")
	for _, d := range TopicDefs() {
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", d.Name, d.Type, code(d.Default), code(d.BrokerSynonym), cell(d.Doc))
	}
	b.WriteString("\n## Broker configs\n\n")
	b.WriteString("Dynamic ones can be changed at run time with AlterConfigs, cluster-wide or per node.\n\n")
	b.WriteString("| name | type | default | dynamic | description |\n|---|---|---|---|---|\n")
	for _, d := range BrokerDefs() {
		dyn := "yes"
		if d.ReadOnly {
			dyn = "no"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", d.Name, d.Type, code(d.Default), dyn, cell(d.Doc))
	}
	return b.String()
}

func code(s string) string {
	if s == "" {
		return ""
	}
	return "`" + s + "`"
}

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
