package consume

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

func sampleRecord() *kgo.Record {
	return &kgo.Record{
		Topic:     "orders",
		Partition: 2,
		Offset:    17,
		Key:       []byte("user-1"),
		Value:     []byte("<paid>"),
		Headers:   []kgo.RecordHeader{{Key: "src", Value: []byte("web")}, {Key: "v", Value: []byte("2")}},
		Timestamp: time.UnixMilli(1714564800123),
	}
}

func TestFormats(t *testing.T) {
	cases := []struct{ spec, want string }{
		{"value", "<paid>\n"},
		{"kv", "user-1\t<paid>\n"},
		{"{{.Topic}}/{{.Partition}}@{{.Offset}}", "orders/2@17\n"},
		{`{{.Key}}\t{{.Headers}}\n`, "user-1\tsrc=web,v=2\n"},
		{"{{.Timestamp}}", "2024-05-01T12:00:00.123Z\n"},
		{"{{.Timestamp.UnixMilli}}", "1714564800123\n"},
		{"{{range .Headers}}[{{.Key}}:{{.Value}}]{{end}}", "[src:web][v:2]\n"},
	}
	for _, c := range cases {
		f, err := newFormatter(c.spec)
		if err != nil {
			t.Fatalf("newFormatter(%q): %v", c.spec, err)
		}
		var buf bytes.Buffer
		if err := f(&buf, sampleRecord()); err != nil {
			t.Fatalf("format %q: %v", c.spec, err)
		}
		if buf.String() != c.want {
			t.Errorf("format %q = %q, want %q", c.spec, buf.String(), c.want)
		}
	}
}

func TestFormatJSON(t *testing.T) {
	f, err := newFormatter("json")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	rec := sampleRecord()
	tomb := &kgo.Record{Topic: "orders", Offset: 18, Key: []byte("user-1")}
	if err := f(&buf, rec); err != nil {
		t.Fatal(err)
	}
	if err := f(&buf, tomb); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(&buf)
	var got jsonRecord
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("decode first line: %v", err)
	}
	if got.Topic != "orders" || got.Partition != 2 || got.Offset != 17 || got.Timestamp != 1714564800123 ||
		*got.Key != "user-1" || *got.Value != "<paid>" || len(got.Headers) != 2 || *got.Headers[1].Value != "2" {
		t.Errorf("first record decoded as %+v", got)
	}
	var tombGot map[string]any
	if err := dec.Decode(&tombGot); err != nil {
		t.Fatalf("decode second line: %v", err)
	}
	if v, ok := tombGot["value"]; !ok || v != nil {
		t.Errorf("tombstone value = %v (present %v), want null", v, ok)
	}
}

func TestFormatJSONKeepsHTMLCharacters(t *testing.T) {
	f, _ := newFormatter("json")
	var buf bytes.Buffer
	if err := f(&buf, sampleRecord()); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(buf.Bytes(), []byte(`"value":"<paid>"`)) {
		t.Errorf("json line %q does not carry the value verbatim", buf.String())
	}
}

func TestBadTemplates(t *testing.T) {
	if _, err := newFormatter("{{.Value"); err == nil {
		t.Error("unterminated action accepted")
	}
	if _, err := newFormatter("{{.NoSuchField}}"); err == nil {
		t.Error("unknown field accepted")
	}
	// Fails only on some records: no partial line may be written.
	f, err := newFormatter(`{{.Offset}} {{if .Key}}{{index .Headers 5}}{{end}}`)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f(&buf, sampleRecord()); err == nil {
		t.Error("out-of-range index executed without error")
	}
	if buf.Len() != 0 {
		t.Errorf("failed template wrote %q", buf.String())
	}
}
