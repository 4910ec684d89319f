// Package consume implements `gregor consume TOPIC`: read records from a
// position (start, end, an offset or a time) and print them through a
// template, stopping at the end seen at start-up unless --follow is given.
//
// Concurrency: everything runs on the command's goroutine; kgo's own
// goroutines fetch in the background and hand records over through
// PollFetches. No locks.
package consume
