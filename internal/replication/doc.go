// Package replication owns what crosses the network between brokers:
//
//   - Controller (controller.go): metadata.Remote over Kafka's controller
//     APIs (BrokerRegistration, BrokerHeartbeat, AlterPartition,
//     AllocateProducerIds) and admin-request forwarding, sent to the broker
//     that leads the metadata quorum and retried on NOT_CONTROLLER until the
//     caller's deadline.
//   - Heartbeats (heartbeat.go): the broker's session with the controller.
//   - Join (join.go): a node outside --voters asks the controller, through
//     any node's Kafka listener (--join), to add it to the metadata quorum
//     as an observer.
//   - Fetcher (fetcher.go): the follower side of ISR replication. One
//     goroutine per leader broker fetches every partition this node follows
//     from it, with this node's replica id; before fetching a partition in a
//     new leader epoch it truncates divergent history found with
//     OffsetForLeaderEpoch.
//
// The leader side (replica fetches, follower log end offsets, the high
// watermark and ISR changes) is in internal/partition.
//
// Concurrency model: Fetcher.mu guards the map of leader fetchers and is
// taken by the metadata subscriber (OnImage) and Close only. Each
// leaderFetcher has its own mu guarding its partition set; its goroutine
// takes a copy and does I/O without locks. Network clients (pool.go) are
// one franz-go client per broker address, shared, guarded by pool.mu.
// Lock order: Fetcher.mu -> leaderFetcher.mu; pool.mu is a leaf.
package replication
