package storage

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Data-directory level files.
const (
	recoveryPointFile = "recovery-point-offset-checkpoint"
	logStartFile      = "log-start-offset-checkpoint"
	cleanerOffsetFile = "cleaner-offset-checkpoint"
	cleanShutdownFile = ".gregor_cleanshutdown"
	deleteSuffix      = "-delete"
)

// Options configure a Manager.
type Options struct {
	Dir    string
	FS     FS // nil: real OS files
	Logger *slog.Logger
	// RetentionCheckInterval is log.retention.check.interval.ms; default 5 min.
	RetentionCheckInterval time.Duration
	// CheckpointInterval is how often recovery points and log start offsets
	// are written; default 10 s. Shorter means less to scan after a crash.
	CheckpointInterval time.Duration
	Now                func() time.Time
	// Cleaner configures log compaction.
	Cleaner CleanerOptions
}

// Manager owns every partition log in one data directory, the group-commit
// flusher and the background retention and checkpoint loop.
type Manager struct {
	opts   Options
	fs     FS
	logger *slog.Logger
	now    func() time.Time

	mu     sync.Mutex
	logs   map[topicPartition]*Log
	closed bool

	dirtyMu sync.Mutex
	dirty   []*Log
	kick    chan struct{}

	delMu   sync.Mutex
	pending []pendingDelete

	ckMu     sync.Mutex // serialises checkpoint writes
	lastRP   []byte
	lastLSO  []byte
	lastCO   []byte
	stop     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup

	recoveredBytes atomic.Int64
	fsyncs         atomic.Int64

	cleaner *cleaner
}

type pendingDelete struct {
	dir  string
	seg  *segment
	due  time.Time
	done bool
}

// OpenManager loads every partition directory under opts.Dir. After a
// clean shutdown nothing is scanned; otherwise only segments from each
// log's recovery point on are.
func OpenManager(opts Options) (*Manager, error) {
	if opts.FS == nil {
		opts.FS = OSFS{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.RetentionCheckInterval <= 0 {
		opts.RetentionCheckInterval = 5 * time.Minute
	}
	if opts.CheckpointInterval <= 0 {
		opts.CheckpointInterval = 10 * time.Second
	}
	m := &Manager{
		opts: opts, fs: opts.FS, logger: opts.Logger.With("component", "storage"), now: opts.Now,
		logs: map[topicPartition]*Log{}, kick: make(chan struct{}, 1), stop: make(chan struct{}),
	}
	if err := m.fs.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	marker := filepath.Join(opts.Dir, cleanShutdownFile)
	_, err := readFile(m.fs, marker)
	clean := err == nil
	rps := m.readCheckpoint(recoveryPointFile)
	starts := m.readCheckpoint(logStartFile)
	cleaned := m.readCheckpoint(cleanerOffsetFile)
	entries, err := m.fs.ReadDir(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("read data dir: %w", err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		name := e.Name()
		dir := filepath.Join(opts.Dir, name)
		if strings.HasSuffix(name, deleteSuffix) {
			if err := removeDir(m.fs, dir); err != nil {
				m.logger.Warn("remove leftover deleted partition", "dir", dir, "err", err)
			}
			continue
		}
		tp, ok := parseDirName(name)
		if !ok || !m.isPartitionDir(dir) {
			continue
		}
		rp, ok := rps[tp]
		if !ok {
			rp = -1
		}
		l, err := loadLog(m, dir, tp, DefaultLogConfig(), loadParams{clean: clean, recoveryPoint: rp, logStart: starts[tp]})
		if err != nil {
			m.closeLogs(false)
			return nil, fmt.Errorf("load %s: %w", name, err)
		}
		if co, ok := cleaned[tp]; ok {
			l.cleanerOffset = co
		}
		m.logs[tp] = l
	}
	if clean {
		// From here on a crash must trigger recovery again.
		if err := m.fs.Remove(marker); err != nil {
			m.closeLogs(false)
			return nil, fmt.Errorf("remove clean shutdown marker: %w", err)
		}
		if err := m.fs.SyncDir(opts.Dir); err != nil {
			m.closeLogs(false)
			return nil, fmt.Errorf("sync data dir: %w", err)
		}
	}
	m.logger.Info("storage loaded", "dir", opts.Dir, "logs", len(m.logs), "clean", clean, "recovered_bytes", m.recoveredBytes.Load())
	m.cleaner = newCleaner(m, opts.Cleaner)
	m.wg.Add(2)
	go m.flusher()
	go m.background()
	if !opts.Cleaner.Disable {
		m.wg.Add(1)
		go m.cleaner.loop()
	}
	return m, nil
}

// Fsyncs counts the flusher's fsyncs of active segments (a metric: with
// group commit it stays far below the number of appends).
func (m *Manager) Fsyncs() int64 { return m.fsyncs.Load() }

// RecoveredBytes is how many bytes start-up scanned for recovery.
func (m *Manager) RecoveredBytes() int64 { return m.recoveredBytes.Load() }

// isPartitionDir tells partition directories from anything else an
// operator or another subsystem put in the data directory.
func (m *Manager) isPartitionDir(dir string) bool {
	entries, err := m.fs.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if n := e.Name(); n == partitionMetadataFile || strings.HasSuffix(n, extLog) {
			return true
		}
	}
	return false
}

func parseDirName(name string) (topicPartition, bool) {
	i := strings.LastIndexByte(name, '-')
	if i <= 0 {
		return topicPartition{}, false
	}
	p, err := strconv.ParseInt(name[i+1:], 10, 32)
	if err != nil || p < 0 || strconv.FormatInt(p, 10) != name[i+1:] {
		return topicPartition{}, false
	}
	return topicPartition{name[:i], int32(p)}, true
}

func (m *Manager) readCheckpoint(name string) map[topicPartition]int64 {
	data, err := readFile(m.fs, filepath.Join(m.opts.Dir, name))
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			m.logger.Warn("read checkpoint", "file", name, "err", err)
		}
		return map[topicPartition]int64{}
	}
	cp, err := decodeOffsetCheckpoint(data)
	if err != nil {
		m.logger.Warn("ignoring unreadable checkpoint", "file", name, "err", err)
		return map[topicPartition]int64{}
	}
	return cp
}

// Open returns the log for topic-partition, creating it if absent, and
// applies cfg.
func (m *Manager) Open(topic string, partition int32, topicID [16]byte, cfg LogConfig) (*Log, error) {
	if topic == "" || strings.ContainsAny(topic, "/\\ \n") || topic == "." || topic == ".." || partition < 0 {
		return nil, fmt.Errorf("open log %q-%d: invalid name", topic, partition)
	}
	tp := topicPartition{topic, partition}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, fmt.Errorf("open %s: %w", tp.dirName(), ErrClosed)
	}
	if l := m.logs[tp]; l != nil {
		l.mu.Lock()
		var zero [16]byte
		if l.topicID == zero && topicID != zero {
			if err := writeFileAtomic(m.fs, filepath.Join(l.dir, partitionMetadataFile), encodePartitionMetadata(topicID)); err != nil {
				l.mu.Unlock()
				return nil, fmt.Errorf("open %s: %w: %w", tp.dirName(), err, ErrStorage)
			}
			l.topicID = topicID
		} else if topicID != zero && l.topicID != topicID {
			l.mu.Unlock()
			return nil, fmt.Errorf("open %s: directory belongs to another topic id", tp.dirName())
		}
		l.mu.Unlock()
		l.SetConfig(cfg)
		return l, nil
	}
	dir := filepath.Join(m.opts.Dir, tp.dirName())
	if err := mkdirPartition(m.fs, dir, topicID); err != nil {
		return nil, fmt.Errorf("open %s: %w: %w", tp.dirName(), err, ErrStorage)
	}
	l, err := loadLog(m, dir, tp, cfg.sanitized(), loadParams{clean: true, recoveryPoint: -1})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", tp.dirName(), err)
	}
	l.topicID = topicID
	l.configured = true
	m.logs[tp] = l
	m.markDirty(l) // the new directory entries must reach the disk
	return l, nil
}

// Get returns the log or nil.
func (m *Manager) Get(topic string, partition int32) *Log {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.logs[topicPartition{topic, partition}]
}

// Logs returns every open log.
func (m *Manager) Logs() []*Log {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]*Log, 0, len(m.logs))
	for _, l := range m.logs {
		out = append(out, l)
	}
	return out
}

// Delete closes the log and removes its directory: renamed to *-delete
// first so a crash midway leaves something start-up finishes removing.
func (m *Manager) Delete(topic string, partition int32) error {
	tp := topicPartition{topic, partition}
	m.mu.Lock()
	l := m.logs[tp]
	delete(m.logs, tp)
	m.mu.Unlock()
	if l == nil {
		return nil
	}
	if err := l.close(false); err != nil {
		m.logger.Warn("close deleted log", "log", l.String(), "err", err)
	}
	var suffix [8]byte
	_, _ = rand.Read(suffix[:])
	gone := l.dir + "." + hex.EncodeToString(suffix[:]) + deleteSuffix
	if err := m.fs.Rename(l.dir, gone); err != nil {
		return fmt.Errorf("delete %s: %w: %w", tp.dirName(), err, ErrStorage)
	}
	if err := m.fs.SyncDir(m.opts.Dir); err != nil {
		return fmt.Errorf("delete %s: %w: %w", tp.dirName(), err, ErrStorage)
	}
	if err := removeDir(m.fs, gone); err != nil {
		return fmt.Errorf("delete %s: %w: %w", tp.dirName(), err, ErrStorage)
	}
	return nil
}

// removeDir removes a flat directory (partition dirs have no subdirs).
func removeDir(fsys FS, dir string) error {
	entries, err := fsys.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := fsys.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return fsys.Remove(dir)
}

// scheduleDelete closes and removes a segment's *.deleted files after
// delayMs.
func (m *Manager) scheduleDelete(dir string, s *segment, delayMs int64) {
	m.delMu.Lock()
	m.pending = append(m.pending, pendingDelete{dir: dir, seg: s, due: m.now().Add(time.Duration(delayMs) * time.Millisecond)})
	m.delMu.Unlock()
}

// runDeletes removes the segments due (all of them if force).
func (m *Manager) runDeletes(force bool) {
	now := m.now()
	m.delMu.Lock()
	var due []pendingDelete
	keep := m.pending[:0]
	for _, p := range m.pending {
		if force || !now.Before(p.due) {
			due = append(due, p)
		} else {
			keep = append(keep, p)
		}
	}
	m.pending = keep
	m.delMu.Unlock()
	for _, p := range due {
		p.seg.close()
		for _, ext := range segmentExts {
			path := segmentFile(p.dir, p.seg.base, ext) + extDeleted
			if err := m.fs.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				m.logger.Warn("remove deleted segment file", "file", path, "err", err)
			}
		}
	}
}

// background runs retention, checkpoints, delayed deletes and the
// time-based flushes of FlushInterval logs.
func (m *Manager) background() {
	defer m.wg.Done()
	retention := time.NewTicker(m.opts.RetentionCheckInterval)
	defer retention.Stop()
	checkpoint := time.NewTicker(m.opts.CheckpointInterval)
	defer checkpoint.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-retention.C:
			m.RunRetention()
		case <-checkpoint.C:
			if err := m.writeCheckpoints(); err != nil {
				m.logger.Error("write checkpoints", "err", err)
			}
		case <-tick.C:
			m.runDeletes(false)
			now := m.now().UnixMilli()
			for _, l := range m.Logs() {
				if FlushPolicy(l.policy.Load()) == FlushInterval && l.unflushedMsgs.Load() > 0 &&
					now-l.lastFlushMs.Load() >= l.config().FlushMs {
					m.markDirty(l)
				}
			}
		}
	}
}

// RunRetention applies retention to every log now; the background loop
// calls it every RetentionCheckInterval.
func (m *Manager) RunRetention() {
	deleted := 0
	for _, l := range m.Logs() {
		n, err := l.applyRetention()
		if err != nil {
			m.logger.Error("retention", "log", l.String(), "err", err)
		}
		deleted += n
	}
	if deleted > 0 {
		if err := m.writeCheckpoints(); err != nil {
			m.logger.Error("write checkpoints", "err", err)
		}
	}
}

// writeCheckpoints persists every log's recovery point (its flushed
// offset) and log start offset, skipping unchanged files.
func (m *Manager) writeCheckpoints() error {
	m.ckMu.Lock()
	defer m.ckMu.Unlock()
	rps := map[topicPartition]int64{}
	starts := map[topicPartition]int64{}
	cleaned := map[topicPartition]int64{}
	for _, l := range m.Logs() {
		tp := topicPartition{l.topic, l.partition}
		rps[tp] = l.recoveryPoint()
		starts[tp] = l.LogStartOffset()
		if co := l.firstDirty(); co >= 0 {
			cleaned[tp] = co
		}
	}
	rp, lso, co := encodeOffsetCheckpoint(rps), encodeOffsetCheckpoint(starts), encodeOffsetCheckpoint(cleaned)
	if !bytes.Equal(co, m.lastCO) {
		if err := writeFileAtomic(m.fs, filepath.Join(m.opts.Dir, cleanerOffsetFile), co); err != nil {
			return err
		}
		m.lastCO = co
	}
	if !bytes.Equal(rp, m.lastRP) {
		if err := writeFileAtomic(m.fs, filepath.Join(m.opts.Dir, recoveryPointFile), rp); err != nil {
			return err
		}
		m.lastRP = rp
	}
	if !bytes.Equal(lso, m.lastLSO) {
		if err := writeFileAtomic(m.fs, filepath.Join(m.opts.Dir, logStartFile), lso); err != nil {
			return err
		}
		m.lastLSO = lso
	}
	return nil
}

func (m *Manager) stopLoops() {
	m.stopOnce.Do(func() { close(m.stop) })
	m.wg.Wait()
}

func (m *Manager) closeLogs(clean bool) error {
	var errs []error
	for _, l := range m.Logs() {
		if err := l.close(clean); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Close shuts down cleanly: stops the loops, flushes and closes every log,
// writes the checkpoints and, if all of that worked, the clean-shutdown
// marker that lets the next start skip recovery.
func (m *Manager) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	m.mu.Unlock()
	m.stopLoops()
	err := m.closeLogs(true)
	m.runDeletes(true)
	if cerr := m.writeCheckpoints(); cerr != nil {
		err = errors.Join(err, cerr)
	}
	if err != nil {
		return fmt.Errorf("close storage: %w", err)
	}
	if err := writeFileAtomic(m.fs, filepath.Join(m.opts.Dir, cleanShutdownFile), []byte("clean\n")); err != nil {
		return fmt.Errorf("write clean shutdown marker: %w", err)
	}
	return nil
}

// crash stops everything without flushing or writing anything, like a
// killed process (tests only).
func (m *Manager) crash() {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	m.stopLoops()
	_ = m.closeLogs(false)
	m.runDeletes(true)
}
