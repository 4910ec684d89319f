package clikit

import (
	"fmt"
	"strings"
)

// ParseKV splits "name=value". The value may itself contain '='; the name
// may not be empty.
func ParseKV(s string) (name, value string, err error) {
	name, value, ok := strings.Cut(s, "=")
	if !ok || strings.TrimSpace(name) == "" {
		return "", "", fmt.Errorf("%q is not name=value", s)
	}
	return strings.TrimSpace(name), value, nil
}

// ParseKVs parses a list of name=value pairs into a map; a later pair wins.
func ParseKVs(pairs []string) (map[string]string, error) {
	out := make(map[string]string, len(pairs))
	for _, p := range pairs {
		k, v, err := ParseKV(p)
		if err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, nil
}
