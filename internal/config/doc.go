// Package config owns every broker and topic configuration Gregor knows, by
// its Kafka name: the type, default, documentation and validation of each
// (the Defs), loading the node's static configuration (defaults, a Java
// .properties file, GREGOR_* environment variables, --set flags), and the
// resolution of a topic's effective configuration from its overrides, the
// dynamic broker configs and the static broker configs, with the source of
// each value as Kafka's DescribeConfigs reports it.
//
// Concurrency: the package holds no mutable state. Defs are built once at
// init and never modified; a *Broker is immutable after LoadBroker returns
// and may be shared freely between goroutines. There are no locks.
package config
