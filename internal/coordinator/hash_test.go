package coordinator

import "testing"

func TestJavaStringHash(t *testing.T) {
	// Values computed by java.lang.String.hashCode.
	cases := []struct {
		s    string
		want int32
	}{
		{"", 0},
		{"a", 97},
		{"hello", 99162322},
		{"console-consumer-12345", 158455506},
		{"polygenelubricants", -2147483648},
		{"é", 233},
		{"😀", 1772899}, // a surrogate pair: 0xD83D*31 + 0xDE00
	}
	for _, c := range cases {
		if got := javaStringHash(c.s); got != c.want {
			t.Errorf("hash(%q) = %d, want %d", c.s, got, c.want)
		}
	}
}

func TestPartitionFor(t *testing.T) {
	if got := PartitionFor("polygenelubricants", 50); got != 0 {
		t.Errorf("MinInt32 hash: got partition %d, want 0", got)
	}
	if got := PartitionFor("hello", 50); got != 99162322%50 {
		t.Errorf("hello: got %d", got)
	}
	for _, s := range []string{"console-consumer-12345", "g", "group-1", "ÄÖÜ"} {
		if p := PartitionFor(s, 7); p < 0 || p >= 7 {
			t.Errorf("%q: partition %d out of range", s, p)
		}
	}
}
