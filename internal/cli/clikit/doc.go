// Package clikit holds what every client subcommand shares: the connection
// flags (-b/--brokers, --timeout), building franz-go clients from them,
// name=value parsing and turning Kafka errors into readable messages.
//
// Concurrency: nothing here is shared between goroutines except the
// clients it returns, which are safe for concurrent use. No locks.
package clikit
