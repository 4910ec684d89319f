package group

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"
)

// Offset commit key v1 as Kafka lays it out: int16 version, then group,
// topic (int16-length strings), int32 partition.
func TestOffsetKeyLayout(t *testing.T) {
	var want []byte
	want = binary.BigEndian.AppendUint16(want, 1)
	for _, s := range []string{"grp", "orders"} {
		want = binary.BigEndian.AppendUint16(want, uint16(len(s)))
		want = append(want, s...)
	}
	want = binary.BigEndian.AppendUint32(want, 7)
	if got := offsetKey("grp", "orders", 7); !bytes.Equal(got, want) {
		t.Fatalf("key\n got %x\nwant %x", got, want)
	}
}

// Offset commit value v3: int16 3, int64 offset, int32 leader epoch,
// string metadata, int64 commit timestamp.
func TestOffsetValueLayout(t *testing.T) {
	var want []byte
	want = binary.BigEndian.AppendUint16(want, 3)
	want = binary.BigEndian.AppendUint64(want, 1234)
	want = binary.BigEndian.AppendUint32(want, 5)
	want = binary.BigEndian.AppendUint16(want, 2)
	want = append(want, "md"...)
	want = binary.BigEndian.AppendUint64(want, 1700000000000)
	got := offsetValue(offset{Offset: 1234, LeaderEpoch: 5, Metadata: "md", CommitTime: 1700000000000})
	if !bytes.Equal(got, want) {
		t.Fatalf("value\n got %x\nwant %x", got, want)
	}
	d, ok, err := decodeRecord(offsetKey("grp", "orders", 7), got)
	if err != nil || !ok || !d.isOffset || d.group != "grp" || d.topic != "orders" || d.part != 7 || d.off == nil || *d.off != (offset{1234, 5, "md", 1700000000000}) {
		t.Fatalf("decode: %+v %v %v", d, ok, err)
	}
}

func TestDecodeTombstonesAndUnknown(t *testing.T) {
	d, ok, err := decodeRecord(groupKey("g"), nil)
	if err != nil || !ok || d.isOffset || d.group != "g" || d.meta != nil {
		t.Fatalf("group tombstone: %+v %v %v", d, ok, err)
	}
	d, ok, err = decodeRecord(offsetKey("g", "t", 1), nil)
	if err != nil || !ok || !d.isOffset || d.off != nil {
		t.Fatalf("offset tombstone: %+v %v %v", d, ok, err)
	}
	// A newer Kafka record type is skipped, not an error.
	if _, ok, err = decodeRecord([]byte{0, 9, 0, 0}, []byte{1}); ok || err != nil {
		t.Fatalf("unknown key version: ok %v err %v", ok, err)
	}
	for _, bad := range [][]byte{nil, {0}, {0xff, 0xff}, {0, 1, 0, 5, 'a'}} {
		if _, _, err := decodeRecord(bad, []byte{0, 3}); err == nil {
			t.Errorf("key %x: no error", bad)
		}
	}
}

func FuzzDecodeRecord(f *testing.F) {
	f.Add(offsetKey("g", "t", 0), offsetValue(offset{Offset: 1, LeaderEpoch: -1}))
	f.Add(groupKey("g"), []byte{0, 3, 0, 8, 'c', 'o', 'n', 's', 'u', 'm', 'e', 'r', 0, 0, 0, 1})
	f.Add(groupKey("g"), []byte(nil))
	f.Add([]byte{0, 0, 0, 1, 'g', 0, 1, 't', 0, 0, 0, 0}, []byte{0, 1, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, key, value []byte) {
		d, ok, err := decodeRecord(key, value)
		if err != nil || !ok || !d.isOffset || d.off == nil {
			return
		}
		// What decodes re-encodes (as v1/v3) and decodes to the same.
		d2, ok2, err2 := decodeRecord(offsetKey(d.group, d.topic, d.part), offsetValue(*d.off))
		if err2 != nil || !ok2 || *d2.off != *d.off || d2.group != d.group || d2.topic != d.topic {
			t.Fatalf("round trip: %+v -> %+v (%v)", d, d2, err2)
		}
	})
}

func TestSelectProtocol(t *testing.T) {
	g := newGroup("g", time.Now())
	add := func(id string, seq uint64, names ...string) {
		m := &member{id: id, joinSeq: seq}
		for _, n := range names {
			m.protocols = append(m.protocols, protocol{name: n})
		}
		g.members[id] = m
	}
	add("a", 1, "cooperative-sticky", "range")
	add("b", 2, "range", "cooperative-sticky")
	add("c", 3, "range")
	if got := g.selectProtocol(); got != "range" {
		t.Errorf("selected %q, want range (the only one all support)", got)
	}
	delete(g.members, "c")
	add("c", 3, "cooperative-sticky", "range")
	if got := g.selectProtocol(); got != "cooperative-sticky" {
		t.Errorf("selected %q, want cooperative-sticky (two of three prefer it)", got)
	}
}
