package storage

import (
	"io/fs"
	"os"
	"sync"
	"sync/atomic"
)

// FaultFS wraps an FS and injects the disk faults a test cannot cause for
// real on demand: a full disk, a failing fsync, a torn write, and a power
// loss that drops everything written since the last fsync. It lives in a
// non-test file so other packages' tests can use it too.
type FaultFS struct {
	Inner FS

	mu         sync.Mutex
	writeErr   error
	writeAllow int64 // bytes still allowed before writeErr applies
	syncErr    error
	truncErr   error
	synced     map[string]int64 // path -> size known durable
	readBytes  atomic.Int64
}

// NewFaultFS wraps inner (nil means the OS).
func NewFaultFS(inner FS) *FaultFS {
	if inner == nil {
		inner = OSFS{}
	}
	return &FaultFS{Inner: inner, synced: map[string]int64{}}
}

// FailWrites makes writes fail with err once allowBytes more bytes have
// been written; the write that crosses the limit is torn: its prefix up to
// the limit lands, like a disk filling up mid-write. err nil clears it.
func (f *FaultFS) FailWrites(err error, allowBytes int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writeErr, f.writeAllow = err, allowBytes
}

// FailSync makes every Sync and SyncDir return err; nil clears it.
func (f *FaultFS) FailSync(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.syncErr = err
}

// FailTruncate makes every file Truncate return err; nil clears it.
func (f *FaultFS) FailTruncate(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.truncErr = err
}

// Crash simulates a power loss: every file written through f is cut back
// to the size it had at its last successful Sync. Call it after the users
// of the files stopped (files closed or abandoned).
func (f *FaultFS) Crash() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for path, size := range f.synced {
		st, err := os.Stat(path)
		if err != nil {
			continue
		}
		if st.Size() > size {
			if err := os.Truncate(path, size); err != nil {
				return err
			}
		}
	}
	return nil
}

// allow returns how many of n bytes may be written and the error to return.
func (f *FaultFS) allow(n int) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.writeErr == nil {
		return n, nil
	}
	if int64(n) <= f.writeAllow {
		f.writeAllow -= int64(n)
		return n, nil
	}
	k := int(f.writeAllow)
	f.writeAllow = 0
	return k, f.writeErr
}

func (f *FaultFS) OpenFile(name string, flag int, perm os.FileMode) (File, error) {
	var existing int64 = -1
	if st, err := os.Stat(name); err == nil {
		existing = st.Size()
	}
	inner, err := f.Inner.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	if _, ok := f.synced[name]; !ok {
		// Files that existed before we saw them count as durable.
		if existing < 0 || flag&os.O_TRUNC != 0 {
			existing = 0
		}
		f.synced[name] = existing
	}
	f.mu.Unlock()
	return &faultFile{File: inner, fs: f, path: name}, nil
}

func (f *FaultFS) Rename(oldpath, newpath string) error {
	if err := f.Inner.Rename(oldpath, newpath); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if s, ok := f.synced[oldpath]; ok {
		delete(f.synced, oldpath)
		f.synced[newpath] = s
	}
	return nil
}

func (f *FaultFS) Remove(name string) error {
	if err := f.Inner.Remove(name); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.synced, name)
	return nil
}

func (f *FaultFS) ReadDir(name string) ([]fs.DirEntry, error) { return f.Inner.ReadDir(name) }
func (f *FaultFS) MkdirAll(name string, perm os.FileMode) error {
	return f.Inner.MkdirAll(name, perm)
}

func (f *FaultFS) SyncDir(name string) error {
	f.mu.Lock()
	err := f.syncErr
	f.mu.Unlock()
	if err != nil {
		return err
	}
	return f.Inner.SyncDir(name)
}

type faultFile struct {
	File
	fs   *FaultFS
	path string
}

// ReadBytes is how many bytes were read through ReadAt so far, to check
// how much work start-up does.
func (f *FaultFS) ReadBytes() int64 { return f.readBytes.Load() }

func (w *faultFile) ReadAt(p []byte, off int64) (int, error) {
	n, err := w.File.ReadAt(p, off)
	w.fs.readBytes.Add(int64(n))
	return n, err
}

func (w *faultFile) WriteAt(p []byte, off int64) (int, error) {
	n, ferr := w.fs.allow(len(p))
	if n > 0 {
		k, err := w.File.WriteAt(p[:n], off)
		if err != nil {
			return k, err
		}
	}
	return n, ferr
}

func (w *faultFile) Write(p []byte) (int, error) {
	n, ferr := w.fs.allow(len(p))
	if n > 0 {
		k, err := w.File.Write(p[:n])
		if err != nil {
			return k, err
		}
	}
	return n, ferr
}

func (w *faultFile) Sync() error {
	w.fs.mu.Lock()
	err := w.fs.syncErr
	w.fs.mu.Unlock()
	if err != nil {
		return err
	}
	if err := w.File.Sync(); err != nil {
		return err
	}
	st, err := w.File.Stat()
	if err != nil {
		return err
	}
	w.fs.mu.Lock()
	w.fs.synced[w.path] = st.Size()
	w.fs.mu.Unlock()
	return nil
}

func (w *faultFile) Truncate(size int64) error {
	w.fs.mu.Lock()
	ferr := w.fs.truncErr
	w.fs.mu.Unlock()
	if ferr != nil {
		return ferr
	}
	if err := w.File.Truncate(size); err != nil {
		return err
	}
	// A truncation below the durable size makes the shorter size the
	// durable one as far as a crash can tell.
	w.fs.mu.Lock()
	if s, ok := w.fs.synced[w.path]; ok && size < s {
		w.fs.synced[w.path] = size
	}
	w.fs.mu.Unlock()
	return nil
}
