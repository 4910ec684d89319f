package testbroker

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var build struct {
	once sync.Once
	dir  string // temp dir holding the built binary; removed by Main
	path string
	err  error
}

// Binary returns the path of a gregor binary: $GREGOR_BIN when set, else one
// built from the module's ./cmd/gregor, once per test binary.
func Binary(t testing.TB) string {
	t.Helper()
	build.once.Do(func() {
		build.path, build.err = buildBinary()
	})
	if build.err != nil {
		t.Fatalf("gregor binary: %v", build.err)
	}
	return build.path
}

func buildBinary() (string, error) {
	if p := os.Getenv("GREGOR_BIN"); p != "" {
		abs, err := filepath.Abs(p)
		if err != nil {
			return "", fmt.Errorf("resolve GREGOR_BIN: %w", err)
		}
		if _, err := os.Stat(abs); err != nil {
			return "", fmt.Errorf("GREGOR_BIN: %w", err)
		}
		return abs, nil
	}
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "gregor-testbin-")
	if err != nil {
		return "", fmt.Errorf("make build dir: %w", err)
	}
	build.dir = dir
	out := filepath.Join(dir, "gregor")
	cmd := exec.Command("go", "build", "-o", out, "./cmd/gregor")
	cmd.Dir = root
	var buf bytes.Buffer
	cmd.Stdout = &buf
	cmd.Stderr = &buf
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/gregor: %w\n%s", err, buf.String())
	}
	return out, nil
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("not inside a Go module (go env GOMOD = %q)", gomod)
	}
	return filepath.Dir(gomod), nil
}

// Main runs the tests and then removes the binary built for them. Use it from
// TestMain: `func TestMain(m *testing.M) { testbroker.Main(m) }`.
func Main(m *testing.M) {
	code := m.Run()
	if build.dir != "" {
		os.RemoveAll(build.dir)
	}
	os.Exit(code)
}
