package record

import (
	"errors"
	"testing"
)

func fuzzSeeds(f *testing.F) {
	for _, c := range allCodecs {
		opts := plainOpts()
		opts.Codec = c
		raw, err := Build(opts, sampleRecords(3))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
		f.Add(raw[:len(raw)/2])
	}
	f.Add([]byte{})
	f.Add(make([]byte, HeaderSize))
}

func knownError(err error) bool {
	return err == nil || errors.Is(err, ErrCorrupt) || errors.Is(err, ErrInvalidRecord) || errors.Is(err, ErrUnsupportedCodec)
}

func FuzzSplit(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		total := 0
		err := Split(data, func(b Batch) error {
			if b.Length() != len(b) || len(b) < HeaderSize {
				t.Fatalf("split handed out a batch of %d bytes with length %d", len(b), b.Length())
			}
			total += len(b)
			return nil
		})
		if err == nil && total != len(data) {
			t.Fatalf("split covered %d of %d bytes without error", total, len(data))
		}
		if !knownError(err) {
			t.Fatalf("unexpected error %v", err)
		}
	})
}

func FuzzValidateDeep(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		err := Validate(Batch(data), true)
		if !knownError(err) {
			t.Fatalf("unexpected error %v", err)
		}
		if err != nil {
			return
		}
		// A batch that validates deeply must decode and re-encode to a
		// batch that validates too.
		b := Batch(data)
		recs, err := b.Records()
		if err != nil {
			t.Fatalf("validated batch does not decode: %v", err)
		}
		raw, err := Build(BuildOptions{Codec: b.Codec(), ProducerID: b.ProducerID(), FirstTimestamp: b.FirstTimestamp()}, recs)
		if err != nil {
			t.Fatal(err)
		}
		if err := Validate(Batch(raw), true); err != nil {
			t.Fatalf("re-encoded batch invalid: %v", err)
		}
	})
}

func FuzzRecords(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := Batch(data).Records()
		if !knownError(err) {
			t.Fatalf("unexpected error %v", err)
		}
		if err == nil && int32(len(recs)) != Batch(data).NumRecords() {
			t.Fatalf("%d records, header says %d", len(recs), Batch(data).NumRecords())
		}
	})
}

func FuzzDecompress(f *testing.F) {
	for _, c := range allCodecs {
		comp, err := Compress(c, []byte("hello hello hello gregor"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(int8(c), comp)
	}
	f.Add(int8(Snappy), append(append([]byte(nil), xerialMagic...), 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 3, 1, 2, 3))
	f.Fuzz(func(t *testing.T, c int8, data []byte) {
		_, err := Decompress(Codec(c), data)
		if !knownError(err) {
			t.Fatalf("unexpected error %v", err)
		}
	})
}
