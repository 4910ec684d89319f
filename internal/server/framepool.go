package server

import (
	"math/bits"
	"sync"
)

// Produce request frames are the big, frequent allocations of a busy
// broker; allocating each one fresh costs a zeroing pass over every byte
// (runtime.memclr was ~14% of CPU in a 1 KiB acks=all produce profile).
// They are pooled by power-of-two size class. Only produce frames are
// pooled: their handler keeps no reference into the frame once it has
// replied (storage copies the records to the file before the reply), while
// other handlers may keep strings that point into their frame (kmsg's
// unsafe decoding), so those frames are left to the garbage collector.

const (
	minPooledFrame = 64 << 10
	maxPooledFrame = 16 << 20
)

var framePools [25]sync.Pool // classes up to 1<<24 = maxPooledFrame

func sizeClass(n int) int { return bits.Len(uint(n - 1)) }

// getFrame returns a buffer of length n, pooled when n is in the pooled
// range; pooled reports whether putFrame should take it back.
func getFrame(n int) (buf []byte, pooled bool) {
	if n < minPooledFrame || n > maxPooledFrame {
		return make([]byte, n), false
	}
	c := sizeClass(n)
	if p, ok := framePools[c].Get().(*[]byte); ok {
		return (*p)[:n], true
	}
	return make([]byte, n, 1<<c), true
}

// putFrame returns a pooled buffer. The caller must hold no reference to it.
func putFrame(buf []byte) {
	c := sizeClass(cap(buf))
	if cap(buf) != 1<<c || c >= len(framePools) {
		return
	}
	buf = buf[:0]
	framePools[c].Put(&buf)
}
