package storage

import (
	"errors"

	"github.com/gregor-stream/gregor/internal/record"
)

// Sentinel errors; internal/handlers maps them to Kafka codes. Errors from
// this package wrap one of them, so test with errors.Is.
var (
	// ErrOffsetOutOfRange: a read or DeleteRecords outside [log start, log end].
	ErrOffsetOutOfRange = errors.New("offset out of range")
	// ErrDuplicateSequence: the batch was already appended; the AppendInfo
	// returned with it describes the original append.
	ErrDuplicateSequence = errors.New("duplicate sequence number")
	// ErrOutOfOrderSequence: a sequence gap, or a new producer or epoch not
	// starting at sequence 0.
	ErrOutOfOrderSequence = errors.New("out of order sequence number")
	// ErrInvalidProducerEpoch: the batch's producer epoch is older than the
	// one already seen for that producer id.
	ErrInvalidProducerEpoch = errors.New("invalid producer epoch")
	// ErrStorage: the disk failed (write, fsync, rename...). The wrapped
	// cause says how. Kafka KAFKA_STORAGE_ERROR.
	ErrStorage = errors.New("storage error")
	// ErrCorrupt: a stored file does not parse. It is record.ErrCorrupt so
	// one mapping covers both packages.
	ErrCorrupt = record.ErrCorrupt
	// ErrClosed: the log or manager was closed or deleted.
	ErrClosed = errors.New("log closed")
)
