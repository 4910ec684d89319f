package metadata

import (
	"errors"

	"github.com/gregor-stream/gregor/internal/config"
)

// Errors returned per item by the controller; handlers map them to Kafka
// error codes. Each is wrapped with detail, so use errors.Is.
var (
	ErrTopicExists              = errors.New("topic already exists")
	ErrUnknownTopic             = errors.New("unknown topic")
	ErrUnknownTopicID           = errors.New("unknown topic id")
	ErrInvalidTopic             = errors.New("invalid topic")
	ErrInvalidPartitions        = errors.New("invalid partitions")
	ErrInvalidReplicationFactor = errors.New("invalid replication factor")
	ErrInvalidReplicaAssignment = errors.New("invalid replica assignment")
	ErrInvalidConfig            = config.ErrInvalidConfig
	ErrNotController            = errors.New("not the controller")
	ErrInvalidRequest           = errors.New("invalid request")
	ErrTopicDeletionDisabled    = errors.New("topic deletion disabled")
	ErrReassignmentInProgress   = errors.New("reassignment in progress")
	ErrNoReassignmentInProgress = errors.New("no reassignment in progress")
	ErrUnknownBroker            = errors.New("unknown broker")
	ErrStaleBrokerEpoch         = errors.New("stale broker epoch")
	ErrClosed                   = errors.New("metadata node closed")
	ErrTimeout                  = errors.New("metadata request timed out")
	ErrCorruptRecord            = errors.New("corrupt metadata record")
)

// Errors of AlterPartition (ISR changes requested by partition leaders).
var (
	ErrNotLeader            = errors.New("not the partition leader")
	ErrFencedLeaderEpoch    = errors.New("fenced leader epoch")
	ErrInvalidUpdateVersion = errors.New("stale partition epoch")
	ErrIneligibleReplica    = errors.New("ineligible replica")
)

// Errors of ElectLeaders.
var (
	ErrElectionNotNeeded           = errors.New("election not needed")
	ErrPreferredLeaderNotAvailable = errors.New("preferred leader not available")
	ErrEligibleLeadersNotAvailable = errors.New("eligible leaders not available")
)

// Errors of AlterScramCredentials.
var (
	ErrUnsupportedSASLMechanism = errors.New("unsupported sasl mechanism")
	ErrResourceNotFound         = errors.New("resource not found")
	ErrDuplicateResource        = errors.New("duplicate resource")
	ErrUnacceptableCredential   = errors.New("unacceptable credential")
)
