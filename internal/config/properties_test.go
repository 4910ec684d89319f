package config

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseProperties(t *testing.T) {
	doc := "# comment\n! also a comment\n\n  a=1\nb : 2\nc 3\nd=\ne=x\\\n   y\nf=tab\\there\ng=\\u0041\\=\nh\\=k=v\r\ni=last\ni=wins\n"
	got, err := ParseProperties(doc)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"a": "1", "b": "2", "c": "3", "d": "", "e": "xy", "f": "tab\there", "g": "A=", "h=k": "v", "i": "wins"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
	if _, err := ParseProperties("a=\\u12"); err == nil {
		t.Error("short unicode escape accepted")
	}
	if _, err := ParseProperties("=value"); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("empty name: %v", err)
	}
}

func FuzzParseProperties(f *testing.F) {
	for _, s := range []string{"", "a=b", "a b\\\nc", "# x\n!y\nk:v", "\\u0041=\\u00e9", "a=\\", "x\\", "\\=\\:\\ =1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		m, err := ParseProperties(doc)
		if err != nil {
			return
		}
		for k := range m {
			if k == "" {
				t.Fatalf("empty key from %q", doc)
			}
		}
	})
}

func FuzzParseVoters(f *testing.F) {
	for _, s := range []string{"", "1@127.0.0.1:9093", "1@a:1,2@b:2", "x@y", "1@[::1]:9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		vs, err := ParseVoters(s)
		if err != nil {
			return
		}
		ids := map[int32]bool{}
		for _, v := range vs {
			if ids[v.ID] || v.ID < 0 {
				t.Fatalf("bad voters %v from %q", vs, s)
			}
			ids[v.ID] = true
		}
	})
}
