package storage

import "hash/maphash"

// offsetMap is the cleaner's key -> latest offset map: a fixed-size open
// addressing table of 128-bit key hashes (two independently seeded
// maphash values, so a false match needs both to collide) and offsets,
// allocated once at log.cleaner.dedupe.buffer.size and reused by every
// pass. A hash collision could only make the cleaner drop a record whose
// key merely shares both hashes with a later one; at 2^-128 per pair that
// is not a practical concern, as with Kafka's MD5-based map.
type offsetMap struct {
	slots    []mapSlot
	used     int
	maxUsed  int // fill limit: probing degrades past it
	seedA    maphash.Seed
	seedB    maphash.Seed
	lastSeen int64 // largest offset put, -1 if none
}

type mapSlot struct {
	a, b uint64
	off  int64 // offset + 1; 0 marks an empty slot
}

const (
	mapSlotSize   = 24
	mapLoadFactor = 0.9 // Kafka's log.cleaner.io.buffer.load.factor
)

func newOffsetMap(bytes int64) *offsetMap {
	n := max(bytes/mapSlotSize, 16)
	m := &offsetMap{slots: make([]mapSlot, n)}
	m.maxUsed = int(float64(n) * mapLoadFactor)
	m.reset()
	return m
}

// reset empties the map and picks new seeds.
func (m *offsetMap) reset() {
	if m.used > 0 {
		clear(m.slots) // a fresh map is already zero
	}
	m.used = 0
	m.lastSeen = -1
	m.seedA, m.seedB = maphash.MakeSeed(), maphash.MakeSeed()
}

func (m *offsetMap) full() bool { return m.used >= m.maxUsed }

// room reports how many more distinct keys fit under the fill limit.
func (m *offsetMap) room() int { return m.maxUsed - m.used }

func (m *offsetMap) hash(key []byte) (uint64, uint64) {
	return maphash.Bytes(m.seedA, key), maphash.Bytes(m.seedB, key)
}

// put records offset as the latest for key. The caller checks room first;
// past the fill limit put still works until the table is truly full.
func (m *offsetMap) put(key []byte, offset int64) bool {
	a, b := m.hash(key)
	n := uint64(len(m.slots))
	for i, probes := a%n, uint64(0); probes < n; i, probes = (i+1)%n, probes+1 {
		s := &m.slots[i]
		if s.off == 0 {
			*s = mapSlot{a: a, b: b, off: offset + 1}
			m.used++
			m.lastSeen = max(m.lastSeen, offset)
			return true
		}
		if s.a == a && s.b == b {
			s.off = offset + 1
			m.lastSeen = max(m.lastSeen, offset)
			return true
		}
	}
	return false
}

// get returns the latest offset recorded for key.
func (m *offsetMap) get(key []byte) (int64, bool) {
	a, b := m.hash(key)
	n := uint64(len(m.slots))
	for i, probes := a%n, uint64(0); probes < n; i, probes = (i+1)%n, probes+1 {
		s := &m.slots[i]
		if s.off == 0 {
			return -1, false
		}
		if s.a == a && s.b == b {
			return s.off - 1, true
		}
	}
	return -1, false
}

// utilization is the fraction of slots in use, for stats.
func (m *offsetMap) utilization() float64 { return float64(m.used) / float64(len(m.slots)) }
