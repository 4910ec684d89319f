package consume

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/template"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Record is what a --format template sees.
type Record struct {
	Topic     string
	Partition int32
	Offset    int64
	Key       string
	Value     string
	Headers   Headers
	Timestamp Timestamp
}

// Header is one record header; keys may repeat, so headers stay a list.
type Header struct {
	Key   string
	Value string
}

// Headers prints as k=v pairs joined by commas.
type Headers []Header

func (hs Headers) String() string {
	var b strings.Builder
	for i, h := range hs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(h.Key)
		b.WriteByte('=')
		b.WriteString(h.Value)
	}
	return b.String()
}

// Timestamp prints as RFC 3339 in UTC with milliseconds; the methods of
// time.Time (UnixMilli, Format, ...) stay available to templates.
type Timestamp struct{ time.Time }

func (t Timestamp) String() string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

func view(r *kgo.Record) Record {
	v := Record{
		Topic:     r.Topic,
		Partition: r.Partition,
		Offset:    r.Offset,
		Key:       string(r.Key),
		Value:     string(r.Value),
		Timestamp: Timestamp{r.Timestamp},
	}
	for _, h := range r.Headers {
		v.Headers = append(v.Headers, Header{Key: h.Key, Value: string(h.Value)})
	}
	return v
}

// formatter writes one record.
type formatter func(w io.Writer, r *kgo.Record) error

// shortcuts are the named formats; anything else is a template.
var shortcuts = map[string]string{
	"value": "{{.Value}}\n",
	"kv":    "{{.Key}}\t{{.Value}}\n",
}

// newFormatter builds the writer for --format: a shortcut name, "json", or
// a text/template in which \n and \t stand for newline and tab. A
// template that does not end in a newline gets one, so each record is a
// line.
func newFormatter(spec string) (formatter, error) {
	if spec == "json" {
		return writeJSON, nil
	}
	text, ok := shortcuts[spec]
	if !ok {
		text = strings.NewReplacer(`\n`, "\n", `\t`, "\t").Replace(spec)
		if !strings.HasSuffix(text, "\n") {
			text += "\n"
		}
	}
	tmpl, err := template.New("format").Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, fmt.Errorf("--format: %w", err)
	}
	// A misspelt field only shows when the template runs; run it once on
	// an empty record so the mistake is reported before any fetching.
	if err := tmpl.Execute(io.Discard, view(&kgo.Record{})); err != nil {
		return nil, fmt.Errorf("--format: %w", err)
	}
	// Execute against a buffer first so a failing template never leaves
	// half a line behind.
	var buf bytes.Buffer
	return func(w io.Writer, r *kgo.Record) error {
		buf.Reset()
		if err := tmpl.Execute(&buf, view(r)); err != nil {
			return fmt.Errorf("--format: %w", err)
		}
		_, err := w.Write(buf.Bytes())
		return err
	}, nil
}

// jsonRecord is the --format json line. Key and value are null when the
// record has none, so a tombstone is distinguishable from an empty value.
type jsonRecord struct {
	Topic     string       `json:"topic"`
	Partition int32        `json:"partition"`
	Offset    int64        `json:"offset"`
	Timestamp int64        `json:"timestamp"`
	Key       *string      `json:"key"`
	Value     *string      `json:"value"`
	Headers   []jsonHeader `json:"headers"`
}

type jsonHeader struct {
	Key   string  `json:"key"`
	Value *string `json:"value"`
}

func bytesPtr(b []byte) *string {
	if b == nil {
		return nil
	}
	s := string(b)
	return &s
}

func writeJSON(w io.Writer, r *kgo.Record) error {
	j := jsonRecord{
		Topic:     r.Topic,
		Partition: r.Partition,
		Offset:    r.Offset,
		Timestamp: r.Timestamp.UnixMilli(),
		Key:       bytesPtr(r.Key),
		Value:     bytesPtr(r.Value),
		Headers:   []jsonHeader{},
	}
	for _, h := range r.Headers {
		j.Headers = append(j.Headers, jsonHeader{Key: h.Key, Value: bytesPtr(h.Value)})
	}
	// HTML escaping would turn "<" into \u003c; log lines are not HTML.
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(j); err != nil {
		return fmt.Errorf("encode json: %w", err)
	}
	return nil
}
