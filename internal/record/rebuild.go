package record

import (
	"fmt"
	"math"
)

// Rebuild returns a batch with orig's header (base offset, leader epoch,
// attributes and codec, last offset delta, timestamps, producer id, epoch
// and base sequence) holding recs instead of orig's records, compressed
// with orig's codec. The log cleaner uses it: keeping the header keeps
// offsets and producer sequences intact even when the last records are
// removed (KAFKA-5443), and recs may be empty for the batch that must stay
// as a producer's last one (then without codec, as Kafka writes it). Records keep their offset and timestamp
// deltas, so they must come from orig.
func Rebuild(orig Batch, recs []Record) ([]byte, error) {
	if len(orig) < HeaderSize {
		return nil, fmt.Errorf("rebuild batch of %d bytes: %w", len(orig), ErrCorrupt)
	}
	var body, scratch []byte
	for i := range recs {
		if recs[i].OffsetDelta < 0 || recs[i].OffsetDelta > orig.LastOffsetDelta() {
			return nil, fmt.Errorf("rebuild: record offset delta %d outside 0..%d: %w", recs[i].OffsetDelta, orig.LastOffsetDelta(), ErrInvalidRecord)
		}
		body, scratch = appendRecord(body, &recs[i], scratch)
	}
	if c := orig.Codec(); c != None && len(recs) > 0 {
		z, err := Compress(c, body)
		if err != nil {
			return nil, fmt.Errorf("rebuild: %w", err)
		}
		body = z
	}
	out := make([]byte, HeaderSize, HeaderSize+len(body))
	copy(out, orig[:HeaderSize])
	out = append(out, body...)
	if len(out)-LogOverhead > math.MaxInt32 {
		return nil, fmt.Errorf("rebuild batch of %d bytes: %w", len(out), ErrInvalidRecord)
	}
	if len(recs) == 0 {
		// As Kafka writes an empty batch: no codec, since zero bytes are
		// not a valid compressed stream for most codecs.
		be.PutUint16(out[offAttributes:], uint16(orig.Attributes())&^codecMask)
	}
	be.PutUint32(out[offLength:], uint32(len(out)-LogOverhead))
	be.PutUint32(out[offNumRecords:], uint32(len(recs)))
	be.PutUint32(out[offCRC:], Batch(out).ComputeCRC())
	return out, nil
}
