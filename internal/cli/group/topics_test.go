package group

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseTopicSel(t *testing.T) {
	ok := []struct {
		in    string
		topic string
		parts []int32
	}{
		{"orders", "orders", nil},
		{"orders:0", "orders", []int32{0}},
		{"orders:0, 2,5", "orders", []int32{0, 2, 5}},
		{" a.b_c-d :7", "a.b_c-d", []int32{7}},
	}
	for _, c := range ok {
		s, err := parseTopicSel(c.in)
		if err != nil || s.topic != c.topic || !slices.Equal(s.parts, c.parts) {
			t.Errorf("%q: got %+v, %v; want %s %v", c.in, s, err, c.topic, c.parts)
		}
	}
	for _, bad := range []string{"", ":1", "orders:", "orders:,", "orders:x", "orders:-1", "orders:99999999999"} {
		if s, err := parseTopicSel(bad); err == nil {
			t.Errorf("%q: accepted as %+v", bad, s)
		}
	}
}

func TestParseTime(t *testing.T) {
	want := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC).UnixMilli()
	for _, in := range []string{"2024-05-01T12:00:00Z", "2024-05-01T14:00:00+02:00", "1714564800000"} {
		if got, err := parseTime(in); err != nil || got != want {
			t.Errorf("%q: %d, %v; want %d", in, got, err, want)
		}
	}
	if _, err := parseTime("yesterday"); err == nil || !strings.Contains(err.Error(), "RFC 3339") {
		t.Errorf("bad time accepted or unhelpful error: %v", err)
	}
}

func FuzzParseTopicSel(f *testing.F) {
	for _, s := range []string{"orders", "orders:0,1", "a:", ":", "x:1,2,3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := parseTopicSel(in)
		if err != nil {
			return
		}
		if s.topic == "" || strings.Contains(s.topic, ":") {
			t.Fatalf("%q parsed to topic %q", in, s.topic)
		}
		for _, p := range s.parts {
			if p < 0 {
				t.Fatalf("%q parsed to partition %d", in, p)
			}
		}
	})
}
