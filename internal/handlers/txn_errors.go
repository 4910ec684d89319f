package handlers

import (
	"context"
	"errors"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/gregor-stream/gregor/internal/txn"
)

// txnErrorCode maps transaction coordinator errors. PRODUCER_FENCED exists
// from InitProducerId v4 / EndTxn v3 / AddPartitionsToTxn v3 and the like;
// older clients get INVALID_PRODUCER_EPOCH, as Kafka sends them.
func txnErrorCode(err error) int16 {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, txn.ErrNotCoordinator):
		return kerr.NotCoordinator.Code
	case errors.Is(err, txn.ErrLoadInProgress):
		return kerr.CoordinatorLoadInProgress.Code
	case errors.Is(err, txn.ErrConcurrentTxns):
		return kerr.ConcurrentTransactions.Code
	case errors.Is(err, txn.ErrProducerFenced):
		return kerr.ProducerFenced.Code
	case errors.Is(err, txn.ErrInvalidProducerEpoch):
		return kerr.InvalidProducerEpoch.Code
	case errors.Is(err, txn.ErrInvalidPIDMapping):
		return kerr.InvalidProducerIDMapping.Code
	case errors.Is(err, txn.ErrInvalidTxnState):
		return kerr.InvalidTxnState.Code
	case errors.Is(err, txn.ErrInvalidTimeout):
		return kerr.InvalidTransactionTimeout.Code
	case errors.Is(err, txn.ErrUnknownTopicPartition):
		return kerr.UnknownTopicOrPartition.Code
	case errors.Is(err, txn.ErrTransactionalID):
		return kerr.InvalidRequest.Code
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return kerr.RequestTimedOut.Code
	}
	return errorCode(err)
}

// fencedCode is PRODUCER_FENCED for clients that know it, else
// INVALID_PRODUCER_EPOCH.
func fencedCode(code int16, knowsFenced bool) int16 {
	if code == kerr.ProducerFenced.Code && !knowsFenced {
		return kerr.InvalidProducerEpoch.Code
	}
	return code
}
