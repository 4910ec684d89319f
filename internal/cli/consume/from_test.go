package consume

import (
	"testing"
	"time"
)

func TestParseFrom(t *testing.T) {
	rfc := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		in   string
		want from
	}{
		{"start", from{kind: fromStart}},
		{"END", from{kind: fromEnd}},
		{"0", from{kind: fromOffset, offset: 0}},
		{"1234", from{kind: fromOffset, offset: 1234}},
		{"999999999999", from{kind: fromOffset, offset: 999_999_999_999}},
		{"1714564800000", from{kind: fromTime, millis: 1714564800000}},
		{"@5", from{kind: fromTime, millis: 5}},
		{"2024-05-01T12:00:00Z", from{kind: fromTime, millis: rfc.UnixMilli()}},
		{"2024-05-01T14:00:00.250+02:00", from{kind: fromTime, millis: rfc.UnixMilli() + 250}},
	}
	for _, c := range cases {
		got, err := parseFrom(c.in)
		if err != nil {
			t.Errorf("parseFrom(%q): %v", c.in, err)
			continue
		}
		if got != c.want {
			t.Errorf("parseFrom(%q) = %+v, want %+v", c.in, got, c.want)
		}
	}
	for _, bad := range []string{"", "-1", "@", "@x", "@-3", "yesterday", "2024-05-01"} {
		if got, err := parseFrom(bad); err == nil {
			t.Errorf("parseFrom(%q) = %+v, want an error", bad, got)
		}
	}
}

func FuzzParseFrom(f *testing.F) {
	for _, s := range []string{"start", "end", "42", "@1714564800000", "1714564800000", "2024-05-01T12:00:00Z", "", "@", "-7"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseFrom(s)
		if err != nil {
			return
		}
		switch got.kind {
		case fromOffset:
			if got.offset < 0 || got.offset >= minUnixMillis {
				t.Fatalf("parseFrom(%q): offset %d out of range", s, got.offset)
			}
		case fromTime, fromStart, fromEnd:
		default:
			t.Fatalf("parseFrom(%q): unknown kind %d", s, got.kind)
		}
		_ = got.resetOffset()
	})
}
