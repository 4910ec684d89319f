package clikit

import (
	"io"
	"os"
)

// IsTerminal reports whether w is a character device, i.e. a person is
// probably watching it; progress lines are only drawn then so that logs
// and pipes stay clean.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	if err != nil {
		return false
	}
	return st.Mode()&os.ModeCharDevice != 0
}
