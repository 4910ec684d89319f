package handlers

import (
	"errors"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/gregor-stream/gregor/internal/metadata"
	"github.com/gregor-stream/gregor/internal/partition"
	"github.com/gregor-stream/gregor/internal/record"
	"github.com/gregor-stream/gregor/internal/storage"
)

// errorCode maps an internal error to its Kafka error code. nil is 0.
func errorCode(err error) int16 {
	if err == nil {
		return 0
	}
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return ke.Code
	}
	for _, m := range errorMap {
		if errors.Is(err, m.err) {
			return m.code.Code
		}
	}
	return kerr.UnknownServerError.Code
}

var errorMap = []struct {
	err  error
	code *kerr.Error
}{
	{partition.ErrNotLeader, kerr.NotLeaderForPartition},
	{partition.ErrUnknownPartition, kerr.UnknownTopicOrPartition},
	{partition.ErrMessageTooLarge, kerr.MessageTooLarge},
	{partition.ErrNotEnoughReplicas, kerr.NotEnoughReplicas},
	{partition.ErrInvalidTimestamp, kerr.InvalidTimestamp},
	{partition.ErrFencedLeaderEpoch, kerr.FencedLeaderEpoch},
	{partition.ErrUnknownLeaderEpoch, kerr.UnknownLeaderEpoch},
	{partition.ErrInvalidRequiredAcks, kerr.InvalidRequiredAcks},
	{record.ErrCorrupt, kerr.CorruptMessage},
	{record.ErrInvalidRecord, kerr.InvalidRecord},
	{record.ErrUnsupportedCodec, kerr.UnsupportedCompressionType},
	{storage.ErrOffsetOutOfRange, kerr.OffsetOutOfRange},
	{storage.ErrOutOfOrderSequence, kerr.OutOfOrderSequenceNumber},
	{storage.ErrInvalidProducerEpoch, kerr.InvalidProducerEpoch},
	{storage.ErrCorrupt, kerr.CorruptMessage},
	{storage.ErrStorage, kerr.KafkaStorageError},
	{storage.ErrClosed, kerr.NotLeaderForPartition},
	{storage.ErrTransactionCoordinatorFenced, kerr.TransactionCoordinatorFenced},
	{storage.ErrInvalidTxnState, kerr.InvalidTxnState},
	{metadata.ErrTopicExists, kerr.TopicAlreadyExists},
	{metadata.ErrUnknownTopic, kerr.UnknownTopicOrPartition},
	{metadata.ErrInvalidTopic, kerr.InvalidTopicException},
	{metadata.ErrInvalidPartitions, kerr.InvalidPartitions},
	{metadata.ErrInvalidReplicationFactor, kerr.InvalidReplicationFactor},
	{metadata.ErrInvalidReplicaAssignment, kerr.InvalidReplicaAssignment},
	{metadata.ErrInvalidConfig, kerr.InvalidConfig},
	{metadata.ErrNotController, kerr.NotController},
	{metadata.ErrInvalidRequest, kerr.InvalidRequest},
	{metadata.ErrTopicDeletionDisabled, kerr.TopicDeletionDisabled},
	{metadata.ErrUnknownTopicID, kerr.UnknownTopicID},
	{metadata.ErrTimeout, kerr.RequestTimedOut},
	{metadata.ErrReassignmentInProgress, kerr.ReassignmentInProgress},
	{metadata.ErrNoReassignmentInProgress, kerr.NoReassignmentInProgress},
	{metadata.ErrElectionNotNeeded, kerr.ElectionNotNeeded},
	{metadata.ErrPreferredLeaderNotAvailable, kerr.PreferredLeaderNotAvailable},
	{metadata.ErrEligibleLeadersNotAvailable, kerr.EligibleLeadersNotAvailable},
	{metadata.ErrNotLeader, kerr.NotLeaderForPartition},
	{metadata.ErrFencedLeaderEpoch, kerr.FencedLeaderEpoch},
	{metadata.ErrInvalidUpdateVersion, kerr.InvalidUpdateVersion},
	{metadata.ErrIneligibleReplica, kerr.IneligibleReplica},
	{metadata.ErrUnsupportedSASLMechanism, kerr.UnsupportedSaslMechanism},
	{metadata.ErrResourceNotFound, kerr.ResourceNotFound},
	{metadata.ErrDuplicateResource, kerr.DuplicateResource},
	{metadata.ErrUnacceptableCredential, kerr.UnacceptableCredential},
}

// errorMessage is the text sent in the error message fields that newer
// versions carry; nil for success.
func errorMessage(err error) *string {
	if err == nil {
		return nil
	}
	s := err.Error()
	return &s
}
