package coordinator

import "unicode/utf16"

// javaStringHash is java.lang.String.hashCode: the polynomial over UTF-16
// code units with int32 overflow. Kafka places keys with it, and tools that
// read __consumer_offsets (and operators) expect the same placement.
func javaStringHash(s string) int32 {
	var h int32
	for _, u := range utf16.Encode([]rune(s)) {
		h = 31*h + int32(u)
	}
	return h
}

// PartitionFor is the partition of an internal topic with n partitions that
// holds key: abs(hashCode(key)) % n, with Kafka's abs that maps MinInt32
// to 0.
func PartitionFor(key string, n int32) int32 {
	if n <= 0 {
		return 0
	}
	h := javaStringHash(key)
	if h == -1<<31 {
		h = 0
	} else if h < 0 {
		h = -h
	}
	return h % n
}
