package record

import "fmt"

// Validate checks one produced batch: magic 2, the length field against the
// slice, the CRC32C, a known codec and NumRecords == LastOffsetDelta+1 (true
// for every producer-written batch; only compaction leaves gaps). With deep
// it also decompresses and walks every record, checking varints, that offset
// deltas run 0..n-1 in order and that the count matches the header.
func Validate(b Batch, deep bool) error {
	if len(b) < HeaderSize {
		return fmt.Errorf("batch of %d bytes is shorter than the header: %w", len(b), ErrCorrupt)
	}
	if b.Length() != len(b) {
		return fmt.Errorf("length field %d but batch is %d bytes: %w", b.lengthField(), len(b), ErrCorrupt)
	}
	if m := b.Magic(); m != CurrentMagic {
		return fmt.Errorf("magic %d: %w", m, ErrCorrupt)
	}
	if got, want := b.ComputeCRC(), b.CRC(); got != want {
		return fmt.Errorf("crc %08x, header says %08x: %w", got, want, ErrCorrupt)
	}
	if c := b.Codec(); c > Zstd {
		return fmt.Errorf("codec %d: %w", c, ErrUnsupportedCodec)
	}
	n := b.NumRecords()
	if n <= 0 {
		return fmt.Errorf("record count %d: %w", n, ErrInvalidRecord)
	}
	if d := b.LastOffsetDelta(); int64(d)+1 != int64(n) {
		return fmt.Errorf("last offset delta %d with %d records: %w", d, n, ErrInvalidRecord)
	}
	if !deep {
		return nil
	}
	recs, err := b.Records()
	if err != nil {
		return err
	}
	for i := range recs {
		if recs[i].OffsetDelta != int32(i) {
			return fmt.Errorf("record %d has offset delta %d: %w", i, recs[i].OffsetDelta, ErrInvalidRecord)
		}
	}
	return nil
}
