package consume

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

type fromKind int

const (
	fromStart fromKind = iota
	fromEnd
	fromOffset
	fromTime
)

// from is a parsed --from value.
type from struct {
	kind   fromKind
	offset int64 // fromOffset
	millis int64 // fromTime: unix milliseconds
}

// minUnixMillis separates offsets from unix-millisecond times in a bare
// number: 1e12 ms is September 2001, and no partition holds a trillion
// records, so anything at least that large is read as a time.
const minUnixMillis = 1_000_000_000_000

// parseFrom reads start, end, an offset, "@" followed by unix milliseconds,
// a bare number of at least 13 digits (unix milliseconds) or an RFC 3339
// time.
func parseFrom(s string) (from, error) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "start", "beginning", "earliest", "oldest":
		return from{kind: fromStart}, nil
	case "end", "latest", "newest":
		return from{kind: fromEnd}, nil
	case "":
		return from{}, fmt.Errorf("empty --from")
	}
	if rest, ok := strings.CutPrefix(s, "@"); ok {
		ms, err := strconv.ParseInt(rest, 10, 64)
		if err != nil || ms < 0 {
			return from{}, fmt.Errorf("--from %q: want @ followed by unix milliseconds", s)
		}
		return from{kind: fromTime, millis: ms}, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 {
			return from{}, fmt.Errorf("--from %q: offset must not be negative", s)
		}
		if n >= minUnixMillis {
			return from{kind: fromTime, millis: n}, nil
		}
		return from{kind: fromOffset, offset: n}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return from{}, fmt.Errorf("--from %q: want start, end, an offset, unix milliseconds or an RFC 3339 time", s)
	}
	return from{kind: fromTime, millis: t.UnixMilli()}, nil
}

// resetOffset is where a group member starts in a partition the group
// has no committed offset for.
func (f from) resetOffset() kgo.Offset {
	switch f.kind {
	case fromEnd:
		return kgo.NewOffset().AtEnd()
	case fromOffset:
		return kgo.NewOffset().At(f.offset)
	case fromTime:
		return kgo.NewOffset().AfterMilli(f.millis)
	}
	return kgo.NewOffset().AtStart()
}
