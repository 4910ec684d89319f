package partition

import (
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
)

// Errors the handlers map to Kafka codes (handlers/errors.go).
var (
	ErrNotLeader           = errors.New("not the leader of this partition")
	ErrUnknownPartition    = errors.New("unknown topic or partition")
	ErrMessageTooLarge     = errors.New("record batch larger than max.message.bytes")
	ErrNotEnoughReplicas   = errors.New("fewer in-sync replicas than min.insync.replicas")
	ErrInvalidTimestamp    = errors.New("record timestamp out of the allowed range")
	ErrFencedLeaderEpoch   = errors.New("leader epoch older than the current one")
	ErrUnknownLeaderEpoch  = errors.New("leader epoch newer than the current one")
	ErrInvalidRequiredAcks = errors.New("acks must be -1, 0 or 1")
)

// ErrNotEnoughReplicasAfterAppend answers an acks=all produce whose data
// was written while the ISR shrank below min.insync.replicas. It carries
// its Kafka code, as handlers map kerr errors directly.
var ErrNotEnoughReplicasAfterAppend = fmt.Errorf("fewer in-sync replicas than min.insync.replicas after the append: %w", kerr.NotEnoughReplicasAfterAppend)
