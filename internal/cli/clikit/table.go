package clikit

import (
	"io"
	"text/tabwriter"
)

// NewTable returns a writer that aligns tab-separated columns; call Flush
// when done.
func NewTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
}
