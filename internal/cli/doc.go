// Package cli gathers Gregor's client subcommands (topic, produce, consume,
// cluster, bench) for the root command. They are clients of any
// Kafka-compatible cluster, built on franz-go's kgo and kadm, and never
// import the broker's own packages.
//
// Layout: one package per noun (cli/topic, cli/produce, ...), one file per
// verb; shared flags and helpers live in cli/clikit.
//
// Concurrency: see each subpackage; this package only builds commands.
package cli
