package record

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// MaxDecompressedBytes caps what one batch may inflate to, so a small
// malicious batch cannot exhaust memory. Decompressing more is ErrCorrupt.
var MaxDecompressedBytes = 256 << 20

var (
	gzipWriters = sync.Pool{New: func() any { return gzip.NewWriter(nil) }}
	gzipReaders sync.Pool // *gzip.Reader; needs input to construct
	lz4Writers  = sync.Pool{New: func() any {
		w := lz4.NewWriter(nil)
		// 64 KiB blocks keep each pooled writer small; Kafka batches are
		// rarely larger than a few blocks anyway.
		_ = w.Apply(lz4.BlockSizeOption(lz4.Block64Kb))
		return w
	}}
	lz4Readers = sync.Pool{New: func() any { return lz4.NewReader(nil) }}

	zstdOnce sync.Once
	zstdEnc  *zstd.Encoder
	zstdDec  *zstd.Decoder
	zstdErr  error
)

// zstdCodecs creates the shared zstd encoder and decoder on first use;
// EncodeAll and DecodeAll are safe for concurrent use.
func zstdCodecs() (*zstd.Encoder, *zstd.Decoder, error) {
	zstdOnce.Do(func() {
		zstdEnc, zstdErr = zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1), zstd.WithZeroFrames(true))
		if zstdErr != nil {
			return
		}
		zstdDec, zstdErr = zstd.NewReader(nil,
			zstd.WithDecoderConcurrency(0),
			zstd.WithDecoderMaxMemory(uint64(MaxDecompressedBytes)))
	})
	return zstdEnc, zstdDec, zstdErr
}

// Compress returns src compressed with c, in the framing Kafka uses for
// magic 2: gzip stream, raw snappy block, LZ4 frame, zstd frame.
func Compress(c Codec, src []byte) ([]byte, error) {
	switch c {
	case None:
		return append([]byte(nil), src...), nil
	case Gzip:
		var buf bytes.Buffer
		w := gzipWriters.Get().(*gzip.Writer)
		defer gzipWriters.Put(w)
		w.Reset(&buf)
		if _, err := w.Write(src); err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		if err := w.Close(); err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		return buf.Bytes(), nil
	case Snappy:
		return snappy.Encode(nil, src), nil
	case LZ4:
		var buf bytes.Buffer
		w := lz4Writers.Get().(*lz4.Writer)
		defer lz4Writers.Put(w)
		w.Reset(&buf)
		if _, err := w.Write(src); err != nil {
			return nil, fmt.Errorf("lz4: %w", err)
		}
		if err := w.Close(); err != nil {
			return nil, fmt.Errorf("lz4: %w", err)
		}
		return buf.Bytes(), nil
	case Zstd:
		enc, _, err := zstdCodecs()
		if err != nil {
			return nil, fmt.Errorf("zstd: %w", err)
		}
		return enc.EncodeAll(src, nil), nil
	}
	return nil, fmt.Errorf("compress with codec %d: %w", c, ErrUnsupportedCodec)
}

// Decompress inflates src. Any malformed input is ErrCorrupt; an unknown
// codec is ErrUnsupportedCodec. Snappy accepts both the raw block format and
// the xerial framing that the Java client and librdkafka may send.
func Decompress(c Codec, src []byte) ([]byte, error) {
	switch c {
	case None:
		return src, nil
	case Gzip:
		r, _ := gzipReaders.Get().(*gzip.Reader)
		var err error
		if r == nil {
			r, err = gzip.NewReader(bytes.NewReader(src))
		} else {
			err = r.Reset(bytes.NewReader(src))
		}
		if err != nil {
			return nil, fmt.Errorf("gzip header: %v: %w", err, ErrCorrupt)
		}
		defer gzipReaders.Put(r)
		return readLimited(r, "gzip", len(src))
	case Snappy:
		return decodeSnappy(src)
	case LZ4:
		r := lz4Readers.Get().(*lz4.Reader)
		defer lz4Readers.Put(r)
		r.Reset(bytes.NewReader(src))
		return readLimited(r, "lz4", len(src))
	case Zstd:
		_, dec, err := zstdCodecs()
		if err != nil {
			return nil, fmt.Errorf("zstd: %w", err)
		}
		out, err := dec.DecodeAll(src, nil)
		if err != nil {
			return nil, fmt.Errorf("zstd: %v: %w", err, ErrCorrupt)
		}
		if len(out) > MaxDecompressedBytes {
			return nil, fmt.Errorf("zstd: inflates past %d bytes: %w", MaxDecompressedBytes, ErrCorrupt)
		}
		return out, nil
	}
	return nil, fmt.Errorf("decompress codec %d: %w", c, ErrUnsupportedCodec)
}

// readLimited reads r to the end, up to MaxDecompressedBytes. The buffer
// starts at 4x the compressed size, a typical ratio, so that most batches
// inflate without the buffer regrowing.
func readLimited(r io.Reader, name string, compressed int) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(min(4*compressed+512, MaxDecompressedBytes))
	n, err := io.Copy(&buf, io.LimitReader(r, int64(MaxDecompressedBytes)+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %v: %w", name, err, ErrCorrupt)
	}
	if n > int64(MaxDecompressedBytes) {
		return nil, fmt.Errorf("%s: inflates past %d bytes: %w", name, MaxDecompressedBytes, ErrCorrupt)
	}
	return buf.Bytes(), nil
}

// xerialMagic opens snappy-java's framed stream: the magic, then a 4-byte
// version and a 4-byte minimum compatible version, then blocks of a 4-byte
// big-endian length and a raw snappy block.
var xerialMagic = []byte{0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0}

const xerialHeaderSize = 16

var errSnappyTooBig = errors.New("inflates past the limit")

func decodeSnappy(src []byte) ([]byte, error) {
	if !bytes.HasPrefix(src, xerialMagic) {
		return snappyBlock(nil, src)
	}
	if len(src) < xerialHeaderSize {
		return nil, fmt.Errorf("snappy: short xerial header: %w", ErrCorrupt)
	}
	var out []byte
	for rest := src[xerialHeaderSize:]; len(rest) > 0; {
		if len(rest) < 4 {
			return nil, fmt.Errorf("snappy: short xerial chunk header: %w", ErrCorrupt)
		}
		n := be.Uint32(rest)
		rest = rest[4:]
		if uint64(n) > uint64(len(rest)) {
			return nil, fmt.Errorf("snappy: xerial chunk of %d bytes with %d left: %w", n, len(rest), ErrCorrupt)
		}
		var err error
		if out, err = snappyBlock(out, rest[:n]); err != nil {
			return nil, err
		}
		rest = rest[n:]
	}
	return out, nil
}

// snappyBlock appends the decoded raw block src to dst.
func snappyBlock(dst, src []byte) ([]byte, error) {
	n, err := snappy.DecodedLen(src)
	if err != nil {
		return nil, fmt.Errorf("snappy: %v: %w", err, ErrCorrupt)
	}
	if n > MaxDecompressedBytes-len(dst) {
		return nil, fmt.Errorf("snappy: %w: %w", errSnappyTooBig, ErrCorrupt)
	}
	buf := make([]byte, n)
	got, err := snappy.Decode(buf, src)
	if err != nil {
		return nil, fmt.Errorf("snappy: %v: %w", err, ErrCorrupt)
	}
	if dst == nil {
		return got, nil
	}
	return append(dst, got...), nil
}
