package clikit

import "fmt"

// Count renders "1 record" or "3 records".
func Count(n int64, noun string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
