package group

import (
	"fmt"
	"strconv"
	"strings"
)

// topicSel is one --topic value: a topic and optionally some partitions
// (orders or orders:0,2,5).
type topicSel struct {
	topic string
	parts []int32 // nil = every partition
}

func parseTopicSel(s string) (topicSel, error) {
	name, list, hasParts := strings.Cut(s, ":")
	name = strings.TrimSpace(name)
	if name == "" {
		return topicSel{}, fmt.Errorf("--topic %q: empty topic name", s)
	}
	sel := topicSel{topic: name}
	if !hasParts {
		return sel, nil
	}
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		p, err := strconv.ParseInt(f, 10, 32)
		if err != nil || p < 0 {
			return topicSel{}, fmt.Errorf("--topic %q: bad partition %q", s, f)
		}
		sel.parts = append(sel.parts, int32(p))
	}
	if len(sel.parts) == 0 {
		return topicSel{}, fmt.Errorf("--topic %q: no partitions after ':'", s)
	}
	return sel, nil
}

func parseTopicSels(vals []string) ([]topicSel, error) {
	out := make([]topicSel, 0, len(vals))
	for _, v := range vals {
		s, err := parseTopicSel(v)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}
