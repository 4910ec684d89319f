package storage

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
)

// Crash safety of a cleaning pass. For each group of old segments the
// cleaner writes the replacement as <base>.log.cleaned (and .index,
// .timeindex, .txnindex with the same suffix) and fsyncs it. The commit
// point is the swap manifest, cleaner-swap in the partition directory,
// written atomically: it names the new segment's base and the old bases it
// replaces. Then the old files are renamed to *.deleted, the .cleaned files
// to their final names (the .log last), the directory fsynced and the
// manifest removed.
//
// Start-up before a manifest: *.cleaned files are leftovers of a pass that
// never committed and are removed; the old segments are intact. With a
// manifest and <base>.log.cleaned still present the swap is completed (old
// files removed, .cleaned renamed); with the .log already renamed only the
// manifest is left to remove. Either way the directory holds the old
// segments or the new one, never a mix.
const (
	cleanerSwapFile = "cleaner-swap"
	extCleaned      = ".cleaned"
	swapMagic       = "gregor-cleaner-swap 1"
)

type swapManifest struct {
	New    int64
	Old    []int64
	HasTxn bool // the new segment has a .txnindex
}

func encodeSwapManifest(m swapManifest) []byte {
	var b strings.Builder
	b.WriteString(swapMagic + "\n")
	fmt.Fprintf(&b, "new %d\nold", m.New)
	for _, o := range m.Old {
		fmt.Fprintf(&b, " %d", o)
	}
	txn := 0
	if m.HasTxn {
		txn = 1
	}
	fmt.Fprintf(&b, "\ntxnindex %d\n", txn)
	return []byte(b.String())
}

// decodeSwapManifest parses a manifest; the old bases must be increasing
// and start at the new base (a group's first segment keeps its base).
func decodeSwapManifest(data []byte) (swapManifest, error) {
	var m swapManifest
	lines := strings.Split(string(data), "\n")
	if len(lines) != 5 || lines[0] != swapMagic || lines[4] != "" {
		return m, fmt.Errorf("cleaner swap manifest: bad layout: %w", ErrCorrupt)
	}
	nb, ok := strings.CutPrefix(lines[1], "new ")
	if !ok {
		return m, fmt.Errorf("cleaner swap manifest: no new base: %w", ErrCorrupt)
	}
	var err error
	if m.New, err = strconv.ParseInt(nb, 10, 64); err != nil || m.New < 0 {
		return m, fmt.Errorf("cleaner swap manifest: new base %q: %w", nb, ErrCorrupt)
	}
	olds, ok := strings.CutPrefix(lines[2], "old ")
	if !ok {
		return m, fmt.Errorf("cleaner swap manifest: no old bases: %w", ErrCorrupt)
	}
	for _, f := range strings.Split(olds, " ") {
		o, err := strconv.ParseInt(f, 10, 64)
		if err != nil || o < 0 || (len(m.Old) > 0 && o <= m.Old[len(m.Old)-1]) {
			return m, fmt.Errorf("cleaner swap manifest: old base %q: %w", f, ErrCorrupt)
		}
		m.Old = append(m.Old, o)
	}
	switch lines[3] {
	case "txnindex 0":
	case "txnindex 1":
		m.HasTxn = true
	default:
		return m, fmt.Errorf("cleaner swap manifest: %q: %w", lines[3], ErrCorrupt)
	}
	if m.Old[0] != m.New {
		return m, fmt.Errorf("cleaner swap manifest: new base %d is not the first old one %d: %w", m.New, m.Old[0], ErrCorrupt)
	}
	return m, nil
}

func cleanedFile(dir string, base int64, ext string) string {
	return segmentFile(dir, base, ext) + extCleaned
}

// renameCleaned moves a group's .cleaned files to their final names, the
// .log last: its presence under the .cleaned name is what tells recovery
// the swap is unfinished.
func renameCleaned(fsys FS, dir string, base int64) error {
	for _, ext := range []string{extTxnIndex, extTimeIndex, extIndex, extLog} {
		from := cleanedFile(dir, base, ext)
		if err := fsys.Rename(from, segmentFile(dir, base, ext)); err != nil {
			if ext == extTxnIndex && errors.Is(err, fs.ErrNotExist) {
				continue // the new segment has no aborted transactions
			}
			return fmt.Errorf("swap in cleaned segment %d: %w", base, err)
		}
	}
	return nil
}

func exists(fsys FS, path string) bool {
	f, err := fsys.OpenFile(path, 0, 0)
	if err != nil {
		return false
	}
	f.Close()
	return true
}

// recoverCleanerSwap finishes or rolls back an interrupted cleaner swap in
// a partition directory, before its segments are listed.
func recoverCleanerSwap(fsys FS, dir string, logger *slog.Logger) error {
	manifest := filepath.Join(dir, cleanerSwapFile)
	data, err := readFile(fsys, manifest)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("read %s: %w", manifest, err)
	default:
		m, derr := decodeSwapManifest(data)
		if derr != nil {
			// Written atomically, so this is damage after the fact; the old
			// segments are the safe choice if they are still there.
			logger.Error("ignoring unreadable cleaner swap manifest", "err", derr)
		} else if exists(fsys, cleanedFile(dir, m.New, extLog)) {
			if err := finishSwap(fsys, dir, m); err != nil {
				return err
			}
			logger.Warn("completed interrupted cleaner swap", "segment", m.New, "replaced", len(m.Old))
		}
		if err := fsys.SyncDir(dir); err != nil {
			return fmt.Errorf("sync dir: %w", err)
		}
		if err := fsys.Remove(manifest); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove cleaner swap manifest: %w", err)
		}
	}
	entries, err := fsys.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("read dir %s: %w", dir, err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), extCleaned) {
			if err := fsys.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("remove unfinished cleaned file: %w", err)
			}
		}
	}
	return nil
}

// finishSwap completes a committed swap whose .log is still .cleaned. The
// old segments other than the new base's go entirely. At the new base each
// file still under its .cleaned name replaces whatever has the final name
// (an old file); one already renamed is new and stays. A .txnindex the new
// segment does not have is old, whatever its name.
func finishSwap(fsys FS, dir string, m swapManifest) error {
	for _, base := range m.Old {
		if base == m.New {
			continue
		}
		for _, ext := range segmentExts {
			if err := fsys.Remove(segmentFile(dir, base, ext)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("remove replaced segment %d: %w", base, err)
			}
		}
	}
	if !m.HasTxn {
		if err := fsys.Remove(segmentFile(dir, m.New, extTxnIndex)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove replaced txn index %d: %w", m.New, err)
		}
	}
	for _, ext := range []string{extTxnIndex, extTimeIndex, extIndex, extLog} {
		from := cleanedFile(dir, m.New, ext)
		if !exists(fsys, from) {
			continue
		}
		if err := fsys.Rename(from, segmentFile(dir, m.New, ext)); err != nil {
			return fmt.Errorf("swap in cleaned segment %d: %w", m.New, err)
		}
	}
	return nil
}
