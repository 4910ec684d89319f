package produce

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func collect(t testing.TB, in string) []string {
	t.Helper()
	ch := make(chan []byte)
	errc := make(chan error, 1)
	go func() {
		errc <- readLines(context.Background(), strings.NewReader(in), ch)
		close(ch)
	}()
	var got []string
	for l := range ch {
		got = append(got, string(l))
	}
	if err := <-errc; err != nil {
		t.Fatalf("readLines: %v", err)
	}
	return got
}

func TestReadLines(t *testing.T) {
	long := strings.Repeat("x", 200<<10) // longer than the reader's buffer
	cases := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"a\nb\n", []string{"a", "b"}},
		{"a\r\nb", []string{"a", "b"}},
		{"\n\nc\n", []string{"", "", "c"}},
		{long + "\nz", []string{long, "z"}},
	}
	for _, c := range cases {
		got := collect(t, c.in)
		if strings.Join(got, "|") != strings.Join(c.want, "|") || len(got) != len(c.want) {
			t.Errorf("readLines(%.20q) = %d lines, want %d", c.in, len(got), len(c.want))
		}
	}
}

func FuzzReadLines(f *testing.F) {
	for _, s := range []string{"", "a\nb", "a\r\n\r\n", "\n", "k:v\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := collect(t, s)
		// Joining the lines back must give the input minus line endings.
		want := strings.ReplaceAll(s, "\r\n", "\n")
		want = strings.TrimSuffix(want, "\n")
		joined := strings.Join(got, "\n")
		if strings.ReplaceAll(joined, "\r", "") != strings.ReplaceAll(want, "\r", "") {
			t.Fatalf("lines %q do not rebuild %q", got, s)
		}
		for _, l := range got {
			if bytes.ContainsRune([]byte(l), '\n') {
				t.Fatalf("line %q holds a newline", l)
			}
		}
	})
}

func TestParseHeaders(t *testing.T) {
	h, err := parseHeaders([]string{"a=1", "a=2", "trace=x=y"})
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 3 || h[1].Key != "a" || string(h[1].Value) != "2" || string(h[2].Value) != "x=y" {
		t.Errorf("parseHeaders = %+v", h)
	}
	if _, err := parseHeaders([]string{"novalue"}); err == nil {
		t.Error("header without = accepted")
	}
}
