// Package server owns the Kafka listener: it accepts connections, reads
// size-prefixed request frames, parses the request header, decodes the body
// with kmsg and hands it to the handler table; replies are written back in
// request order.
//
// Concurrency: each connection has one read goroutine and one write
// goroutine. The read goroutine queues a slot per request on a bounded
// channel (maxInFlight) and the write goroutine drains the slots in order,
// waiting on each slot's reply. Handlers may reply from any goroutine. A
// broker-wide byte budget (queued.max.request.bytes) bounds request bytes
// held in memory: the read goroutine blocks before reading a frame body
// when the budget is spent, which is backpressure on the socket.
//
// Locks: Server.mu guards the connection set only; nothing nests under it.
package server
