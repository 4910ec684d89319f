package coordinator

import "testing"

func TestControlCommit(t *testing.T) {
	cases := []struct {
		key        []byte
		commit, ok bool
	}{
		{[]byte{0, 0, 0, 1}, true, true},
		{[]byte{0, 0, 0, 0}, false, true},
		{[]byte{0, 0, 0, 2}, false, false},
		{[]byte{0, 0, 0}, false, false},
		{nil, false, false},
	}
	for _, c := range cases {
		commit, ok := ControlCommit(c.key)
		if commit != c.commit || ok != c.ok {
			t.Errorf("%x: commit %v ok %v, want %v %v", c.key, commit, ok, c.commit, c.ok)
		}
	}
}

func FuzzControlCommit(f *testing.F) {
	f.Add([]byte{0, 0, 0, 1})
	f.Add([]byte{0, 0, 0, 0})
	f.Add([]byte{0xff})
	f.Fuzz(func(t *testing.T, key []byte) {
		commit, ok := ControlCommit(key)
		if !ok && commit {
			t.Fatalf("%x: commit without ok", key)
		}
		if ok && len(key) < 4 {
			t.Fatalf("%x: ok on a short key", key)
		}
	})
}
