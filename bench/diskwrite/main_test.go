package main

import (
	"os"
	"testing"
)

func TestMeasureWritesAndCleansUp(t *testing.T) {
	dir := t.TempDir()
	res, err := measure(dir, 8<<20, 1<<20, 2<<20)
	if err != nil {
		t.Fatal(err)
	}
	if res.Bytes != 8<<20 || res.Fsyncs != 4 || res.MBPerSec <= 0 || res.Seconds <= 0 {
		t.Errorf("result %+v", res)
	}
	left, _ := os.ReadDir(dir)
	if len(left) != 0 {
		t.Errorf("test file left behind: %v", left)
	}
	// A size that is not a multiple of the chunk still writes exactly it
	// and syncs the tail.
	res, err = measure(dir, 3<<20+5, 1<<20, 16<<20)
	if err != nil || res.Bytes != 3<<20+5 || res.Fsyncs != 1 {
		t.Errorf("odd size: %+v, %v", res, err)
	}
}
