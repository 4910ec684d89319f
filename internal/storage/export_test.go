package storage

import "runtime"

// rollLockedForTest forces a roll, like segment.ms would.
func (l *Log) rollLockedForTest() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.rollLocked(l.nowMs())
}

func runtimeProcs() int { return runtime.GOMAXPROCS(0) }
