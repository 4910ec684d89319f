package metadata

import (
	"fmt"
	"strings"
)

// MaxTopicNameLength is Kafka's limit (a partition directory name must fit
// in 255 bytes with the partition suffix).
const MaxTopicNameLength = 249

// ValidateTopicName applies Kafka's rules: 1..249 characters of
// [a-zA-Z0-9._-], and not "." or "..".
func ValidateTopicName(name string) error {
	if name == "" {
		return fmt.Errorf("%w: empty name", ErrInvalidTopic)
	}
	if name == "." || name == ".." {
		return fmt.Errorf("%w: %q is not allowed", ErrInvalidTopic, name)
	}
	if len(name) > MaxTopicNameLength {
		return fmt.Errorf("%w: name longer than %d characters", ErrInvalidTopic, MaxTopicNameLength)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("%w: %q contains %q; use only ASCII letters, digits, '.', '_' and '-'", ErrInvalidTopic, name, c)
		}
	}
	return nil
}

// collisionKey maps names that collide in Kafka's metric names ('.' and
// '_' are interchangeable there) to the same key.
func collisionKey(name string) string { return strings.ReplaceAll(name, ".", "_") }

// InternalTopic reports whether name is one of the broker's own topics.
func InternalTopic(name string) bool {
	return name == "__consumer_offsets" || name == "__transaction_state"
}
