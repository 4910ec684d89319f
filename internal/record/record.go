package record

import (
	"encoding/binary"
	"fmt"
)

// Header is one record header. Kafka forbids null header keys; a nil Value
// is a null value.
type Header struct {
	Key   string
	Value []byte
}

// Record is one decoded record. Key and Value nil mean null (distinct from
// empty). Offsets and timestamps are deltas from the batch header.
type Record struct {
	Attributes     int8
	TimestampDelta int64
	OffsetDelta    int32
	Key, Value     []byte
	Headers        []Header
}

// Records decodes every record of the batch, decompressing if needed. Key,
// Value and header values alias either b (uncompressed) or a fresh buffer.
// It does not check the CRC; call Validate first for untrusted input.
func (b Batch) Records() ([]Record, error) {
	body, err := b.body()
	if err != nil {
		return nil, err
	}
	n := b.NumRecords()
	if n < 0 {
		return nil, fmt.Errorf("record count %d: %w", n, ErrInvalidRecord)
	}
	// Each record takes at least 7 bytes, which bounds the allocation a
	// lying count can cause.
	capHint := int(n)
	if max := len(body)/7 + 1; capHint > max {
		capHint = max
	}
	recs := make([]Record, 0, capHint)
	r := reader{buf: body}
	for r.pos < len(body) {
		rec, err := r.record()
		if err != nil {
			return nil, fmt.Errorf("record %d: %w", len(recs), err)
		}
		recs = append(recs, rec)
	}
	if int32(len(recs)) != n {
		return nil, fmt.Errorf("header says %d records, found %d: %w", n, len(recs), ErrInvalidRecord)
	}
	return recs, nil
}

// body returns the uncompressed record bytes.
func (b Batch) body() ([]byte, error) {
	if len(b) < HeaderSize || b.Length() != len(b) {
		return nil, fmt.Errorf("batch of %d bytes with length field %d: %w", len(b), b.lengthField(), ErrCorrupt)
	}
	raw := b[HeaderSize:]
	c := b.Codec()
	if c == None {
		return raw, nil
	}
	out, err := Decompress(c, raw)
	if err != nil {
		return nil, fmt.Errorf("decompress %s batch: %w", c, err)
	}
	return out, nil
}

func (b Batch) lengthField() int32 {
	if len(b) < LogOverhead {
		return -1
	}
	return int32(be.Uint32(b[offLength:]))
}

// record decodes one length-prefixed record at r.pos.
func (r *reader) record() (Record, error) {
	length := r.varint()
	if r.err != nil {
		return Record{}, r.err
	}
	if length < 0 || int(length) > len(r.buf)-r.pos {
		return Record{}, fmt.Errorf("record length %d with %d bytes left: %w", length, len(r.buf)-r.pos, ErrInvalidRecord)
	}
	end := r.pos + int(length)
	sub := reader{buf: r.buf[:end], pos: r.pos}
	var rec Record
	rec.Attributes = sub.int8()
	rec.TimestampDelta = sub.varlong()
	rec.OffsetDelta = sub.varint()
	rec.Key = sub.bytes()
	rec.Value = sub.bytes()
	nh := sub.varint()
	if sub.err == nil && (nh < 0 || int(nh) > end-sub.pos) {
		sub.fail("bad header count")
	}
	if sub.err == nil && nh > 0 {
		rec.Headers = make([]Header, 0, nh)
		for i := int32(0); i < nh && sub.err == nil; i++ {
			k := sub.bytes()
			if sub.err == nil && k == nil {
				sub.fail("null header key")
			}
			v := sub.bytes()
			rec.Headers = append(rec.Headers, Header{Key: string(k), Value: v})
		}
	}
	if sub.err != nil {
		return Record{}, sub.err
	}
	if sub.pos != end {
		return Record{}, fmt.Errorf("record has %d trailing bytes: %w", end-sub.pos, ErrInvalidRecord)
	}
	r.pos = end
	return rec, nil
}

// appendRecord encodes rec with its length prefix.
func appendRecord(dst []byte, rec *Record, scratch []byte) ([]byte, []byte) {
	body := scratch[:0]
	body = append(body, byte(rec.Attributes))
	body = binary.AppendVarint(body, rec.TimestampDelta)
	body = binary.AppendVarint(body, int64(rec.OffsetDelta))
	body = appendBytes(body, rec.Key)
	body = appendBytes(body, rec.Value)
	body = binary.AppendVarint(body, int64(len(rec.Headers)))
	for _, h := range rec.Headers {
		body = binary.AppendVarint(body, int64(len(h.Key)))
		body = append(body, h.Key...)
		body = appendBytes(body, h.Value)
	}
	dst = binary.AppendVarint(dst, int64(len(body)))
	return append(dst, body...), body
}
