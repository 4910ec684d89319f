package record

import (
	"encoding/binary"
	"fmt"
	"math"
)

// reader decodes the varint-based record encoding. The first error sticks so
// callers can decode a whole record and check once.
type reader struct {
	buf []byte
	pos int
	err error
}

func (r *reader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("%s at byte %d: %w", what, r.pos, ErrInvalidRecord)
	}
}

func (r *reader) varlong() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.buf[r.pos:])
	if n <= 0 {
		r.fail("bad varlong")
		return 0
	}
	r.pos += n
	return v
}

// varint reads a zigzag varint that must fit an int32, as Kafka requires.
func (r *reader) varint() int32 {
	start := r.pos
	v := r.varlong()
	if r.err == nil && (v < math.MinInt32 || v > math.MaxInt32 || r.pos-start > 5) {
		r.pos = start
		r.fail("bad varint")
		return 0
	}
	return int32(v)
}

func (r *reader) int8() int8 {
	if r.err != nil {
		return 0
	}
	if r.pos >= len(r.buf) {
		r.fail("short int8")
		return 0
	}
	v := int8(r.buf[r.pos])
	r.pos++
	return v
}

// bytes reads a varint length and that many bytes; -1 means null (nil). The
// result aliases r.buf.
func (r *reader) bytes() []byte {
	n := r.varint()
	if r.err != nil {
		return nil
	}
	if n == -1 {
		return nil
	}
	if n < -1 || int(n) > len(r.buf)-r.pos {
		r.fail("bad length")
		return nil
	}
	v := r.buf[r.pos : r.pos+int(n) : r.pos+int(n)]
	r.pos += int(n)
	return v
}

func appendBytes(dst, v []byte) []byte {
	if v == nil {
		return binary.AppendVarint(dst, -1)
	}
	dst = binary.AppendVarint(dst, int64(len(v)))
	return append(dst, v...)
}
