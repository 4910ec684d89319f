package clikit

import (
	"strings"
	"testing"
)

func TestParseKV(t *testing.T) {
	cases := []struct{ in, k, v string }{
		{"a=b", "a", "b"},
		{"retention.ms=86400000", "retention.ms", "86400000"},
		{"x==y", "x", "=y"},
		{"empty=", "empty", ""},
		{" spaced = v ", "spaced", " v "},
	}
	for _, c := range cases {
		k, v, err := ParseKV(c.in)
		if err != nil || k != c.k || v != c.v {
			t.Errorf("ParseKV(%q) = %q, %q, %v; want %q, %q", c.in, k, v, err, c.k, c.v)
		}
	}
	for _, bad := range []string{"", "novalue", "=v", "  =v"} {
		if _, _, err := ParseKV(bad); err == nil {
			t.Errorf("ParseKV(%q) accepted", bad)
		}
	}
}

func FuzzParseKV(f *testing.F) {
	for _, s := range []string{"a=b", "=", "k==", "", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, v, err := ParseKV(s)
		if err != nil {
			return
		}
		if k == "" || strings.TrimSpace(k) != k {
			t.Fatalf("ParseKV(%q): bad name %q", s, k)
		}
		if !strings.HasSuffix(s, "="+v) {
			t.Fatalf("ParseKV(%q): value %q is not what follows the first =", s, v)
		}
	})
}

func TestSplitList(t *testing.T) {
	got := SplitList(" a:1, ,b:2,")
	if strings.Join(got, "|") != "a:1|b:2" {
		t.Errorf("SplitList = %q", got)
	}
}

func TestCount(t *testing.T) {
	for n, want := range map[int64]string{0: "0 records", 1: "1 record", 2: "2 records"} {
		if got := Count(n, "record"); got != want {
			t.Errorf("Count(%d) = %q, want %q", n, got, want)
		}
	}
}
