package server

import (
	"encoding/binary"
	"testing"
)

func FuzzParseHeader(f *testing.F) {
	f.Add([]byte{0, 18, 0, 3, 0, 0, 0, 1, 0, 3, 'a', 'b', 'c', 0})
	f.Add([]byte{0, 0, 0, 9, 0, 0, 0, 7, 255, 255, 1, 5, 2, 'x', 'y'})
	f.Add([]byte{0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, rest, err := parseHeader(b)
		if err != nil {
			return
		}
		if len(rest) > len(b) {
			t.Fatalf("rest longer than input")
		}
		if len(h.clientID) > len(b) {
			t.Fatalf("client id longer than input")
		}
		if _, err := skipTags(rest); err == nil {
			return
		}
	})
}

func TestParseHeader(t *testing.T) {
	frame := []byte{0, 3, 0, 12, 0, 0, 0, 42}
	frame = binary.BigEndian.AppendUint16(frame, 4)
	frame = append(frame, "kgo!"...)
	frame = append(frame, 0, 0xAA) // empty tag section, then body
	h, rest, err := parseHeader(frame)
	if err != nil {
		t.Fatal(err)
	}
	if h.apiKey != 3 || h.apiVersion != 12 || h.correlationID != 42 || h.clientID != "kgo!" {
		t.Fatalf("header = %+v", h)
	}
	body, err := skipTags(rest)
	if err != nil || len(body) != 1 || body[0] != 0xAA {
		t.Fatalf("body = %v, %v", body, err)
	}
	if _, _, err := parseHeader(frame[:12]); err == nil {
		t.Fatal("truncated client id accepted")
	}
	bad := append([]byte{0, 3, 0, 12, 0, 0, 0, 42}, 0xFF, 0xFE)
	if _, _, err := parseHeader(bad); err == nil {
		t.Fatal("negative client id length other than -1 accepted")
	}
}
