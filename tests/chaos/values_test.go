package chaos

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// value is the exact payload of record seq of partition p: a parseable head
// and a deterministic body of varying length, so any record found in the log
// can be checked byte for byte without the ledger.
func value(p int32, seq int64) []byte {
	head := fmt.Sprintf("p=%d seq=%d|", p, seq)
	n := int(uint64(seq)*7919%400) + 16
	body := make([]byte, n)
	x := uint32(seq)*2654435761 + uint32(p)
	for i := range body {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		body[i] = 'a' + byte(x%26)
	}
	return append([]byte(head), body...)
}

func key(p int32, seq int64) []byte { return []byte(fmt.Sprintf("k%d-%d", p, seq%97)) }

// parseValue returns the partition and sequence a value claims, and whether
// the whole value is exactly what value() makes for them.
func parseValue(v []byte) (p int32, seq int64, exact bool) {
	head, _, ok := strings.Cut(string(v), "|")
	if !ok {
		return -1, -1, false
	}
	ps, ss, ok := strings.Cut(head, " ")
	if !ok || !strings.HasPrefix(ps, "p=") || !strings.HasPrefix(ss, "seq=") {
		return -1, -1, false
	}
	pn, err1 := strconv.ParseInt(ps[2:], 10, 32)
	sn, err2 := strconv.ParseInt(ss[4:], 10, 64)
	if err1 != nil || err2 != nil {
		return -1, -1, false
	}
	return int32(pn), sn, bytes.Equal(v, value(int32(pn), sn))
}
