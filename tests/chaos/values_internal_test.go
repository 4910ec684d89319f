package chaos

import "testing"

// TestValueRoundTrip guards the checker itself: a value parses back to its
// partition and sequence, and any changed byte is caught.
func TestValueRoundTrip(t *testing.T) {
	for _, c := range []struct {
		p   int32
		seq int64
	}{{0, 0}, {3, 1}, {2, 123456}} {
		v := value(c.p, c.seq)
		p, seq, exact := parseValue(v)
		if p != c.p || seq != c.seq || !exact {
			t.Errorf("value(%d, %d) parses as %d %d exact=%v", c.p, c.seq, p, seq, exact)
		}
		v[len(v)-1] ^= 1
		if _, _, exact := parseValue(v); exact {
			t.Errorf("value(%d, %d) with a flipped byte still exact", c.p, c.seq)
		}
	}
	if _, _, exact := parseValue([]byte("garbage")); exact {
		t.Error("garbage parsed as exact")
	}
}
