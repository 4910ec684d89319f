package record

import "fmt"

// KeyInfo is what Scan reports of one record: enough to decide whether
// compaction keeps it, without decoding its value or headers.
type KeyInfo struct {
	OffsetDelta int32
	Key         []byte // nil for a null key; aliases the batch or its decompressed body
	NullValue   bool   // a tombstone
}

// Scan calls fn for every record of the batch in order, decompressing once
// and allocating nothing per record. It checks only what it reads (the
// record framing, offset delta, key and value lengths) and the record
// count; use Records for a full decode. fn returning false stops the scan.
func (b Batch) Scan(fn func(k KeyInfo) bool) error {
	body, err := b.body()
	if err != nil {
		return err
	}
	n := b.NumRecords()
	if n < 0 {
		return fmt.Errorf("record count %d: %w", n, ErrInvalidRecord)
	}
	r := reader{buf: body}
	var seen int32
	for r.pos < len(body) {
		length := r.varint()
		if r.err != nil {
			return r.err
		}
		if length < 0 || int(length) > len(body)-r.pos {
			return fmt.Errorf("record length %d with %d bytes left: %w", length, len(body)-r.pos, ErrInvalidRecord)
		}
		end := r.pos + int(length)
		sub := reader{buf: body[:end], pos: r.pos}
		sub.int8()    // attributes
		sub.varlong() // timestamp delta
		k := KeyInfo{OffsetDelta: sub.varint()}
		k.Key = sub.bytes()
		vlen := sub.varint()
		if sub.err == nil && (vlen < -1 || int(vlen) > end-sub.pos) {
			sub.fail("bad value length")
		}
		if sub.err != nil {
			return fmt.Errorf("record %d: %w", seen, sub.err)
		}
		k.NullValue = vlen == -1
		r.pos = end
		seen++
		if !fn(k) {
			return nil
		}
	}
	if seen != n {
		return fmt.Errorf("header says %d records, found %d: %w", n, seen, ErrInvalidRecord)
	}
	return nil
}
