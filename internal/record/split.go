package record

import "fmt"

// Split walks records, a blob of concatenated batches (a produce request's
// records field or a log read), calling fn with each whole batch. A batch
// whose length field is too small, or that runs past the end of the blob,
// yields ErrCorrupt. fn may return an error to stop; Split returns it as is.
func Split(records []byte, fn func(b Batch) error) error {
	for pos := 0; pos < len(records); {
		rest := records[pos:]
		if len(rest) < LogOverhead {
			return fmt.Errorf("batch at byte %d: %d bytes left, need %d: %w", pos, len(rest), LogOverhead, ErrCorrupt)
		}
		n := int64(int32(be.Uint32(rest[offLength:]))) + LogOverhead
		if n < HeaderSize {
			return fmt.Errorf("batch at byte %d: length %d below header size: %w", pos, n, ErrCorrupt)
		}
		if n > int64(len(rest)) {
			return fmt.Errorf("batch at byte %d: length %d but %d bytes left: %w", pos, n, len(rest), ErrCorrupt)
		}
		if err := fn(Batch(rest[:n:n])); err != nil {
			return err
		}
		pos += int(n)
	}
	return nil
}
