package record

import "errors"

// The sentinel errors map one to one to Kafka error codes (the mapping lives
// in internal/handlers/errors.go). Errors returned by this package wrap one of
// them with context, so callers test with errors.Is.
var (
	// ErrCorrupt means the batch frame cannot be trusted: bad CRC, a size
	// field that disagrees with the bytes, a truncated batch or a magic other
	// than 2 (Kafka CORRUPT_MESSAGE).
	ErrCorrupt = errors.New("corrupt record batch")
	// ErrInvalidRecord means the frame is intact but its contents are
	// inconsistent: record count, offset deltas or varints inside the records
	// (Kafka INVALID_RECORD).
	ErrInvalidRecord = errors.New("invalid record")
	// ErrUnsupportedCodec means the compression bits name no codec we know
	// (Kafka UNSUPPORTED_COMPRESSION_TYPE).
	ErrUnsupportedCodec = errors.New("unsupported compression codec")
)
