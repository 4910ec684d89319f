package config

import (
	"strconv"
	"testing"
)

func find(vals []Value, name string) Value {
	for _, v := range vals {
		if v.Name == name {
			return v
		}
	}
	return Value{}
}

func TestResolveTopicSources(t *testing.T) {
	b, err := LoadBroker("", nil, map[string]string{"log.segment.bytes": "5000000", "log.retention.ms": "1000"})
	if err != nil {
		t.Fatal(err)
	}
	dyn := map[string]string{"log.retention.ms": "2000", "log.cleanup.policy": "compact"}
	over := map[string]string{"retention.ms": "3000"}
	vals := ResolveTopic(over, b, dyn)
	if len(vals) != len(TopicDefs()) {
		t.Fatalf("%d values for %d defs", len(vals), len(TopicDefs()))
	}
	cases := []struct {
		name, value string
		source      int8
		synonyms    int
	}{
		{"retention.ms", "3000", SourceDynamicTopic, 4},
		{"cleanup.policy", "compact", SourceDynamicBroker, 2},
		{"segment.bytes", "5000000", SourceStaticBroker, 2},
		{"segment.ms", "604800000", SourceDefault, 1},
	}
	for _, c := range cases {
		v := find(vals, c.name)
		if v.Value != c.value || v.Source != c.source || len(v.Synonyms) != c.synonyms {
			t.Errorf("%s = %q source %d synonyms %v; want %q source %d with %d synonyms",
				c.name, v.Value, v.Source, v.Synonyms, c.value, c.source, c.synonyms)
		}
	}
	if s := find(vals, "retention.ms").Synonyms; s[1].Name != "log.retention.ms" || s[1].Value != "2000" || s[2].Value != "1000" {
		t.Errorf("retention.ms synonyms %v", s)
	}

	tc := EffectiveTopic(over, b, dyn)
	if tc.RetentionMs != 3000 || !tc.Compact || tc.Delete || tc.SegmentBytes != 5000000 || tc.FlushPolicy != FlushAlways {
		t.Errorf("effective %+v", tc)
	}
}

func TestEffectiveTopicDefaults(t *testing.T) {
	tc := EffectiveTopic(nil, nil, nil)
	if tc.RetentionMs != 259200000 || tc.RetentionBytes != -1 || tc.SegmentBytes != 1<<30 || tc.MaxMessageBytes != 1048588 ||
		tc.CompressionType != "producer" || tc.MessageTimestampType != "CreateTime" || tc.MinInsyncReplicas != 1 ||
		!tc.Delete || tc.Compact || tc.MinCleanableDirtyRatio != 0.5 || tc.IndexIntervalBytes != 4096 || tc.UncleanLeaderElection {
		t.Errorf("defaults %+v", tc)
	}
}

func TestResolveBroker(t *testing.T) {
	b, err := LoadBroker("", nil, map[string]string{"message.max.bytes": "100"})
	if err != nil {
		t.Fatal(err)
	}
	vals := ResolveBroker(b, map[string]string{"log.retention.ms": "1"}, map[string]string{"log.retention.ms": "2", "log.segment.bytes": "9999"})
	if v := find(vals, "log.retention.ms"); v.Value != "1" || v.Source != SourceDynamicBroker || len(v.Synonyms) != 3 {
		t.Errorf("log.retention.ms %+v", v)
	}
	if v := find(vals, "log.segment.bytes"); v.Value != "9999" || v.Source != SourceDynamicDefaultBroker {
		t.Errorf("log.segment.bytes %+v", v)
	}
	if v := find(vals, "message.max.bytes"); v.Value != "100" || v.Source != SourceStaticBroker {
		t.Errorf("message.max.bytes %+v", v)
	}
}

func TestResolveTopicWithLayers(t *testing.T) {
	vals := ResolveTopicWith(nil, nil, map[string]string{"log.retention.ms": "1"}, map[string]string{"log.retention.ms": "2", "log.segment.bytes": "3000"})
	if v := find(vals, "retention.ms"); v.Value != "1" || v.Source != SourceDynamicBroker || len(v.Synonyms) != 3 || v.Synonyms[1].Source != SourceDynamicDefaultBroker {
		t.Errorf("retention.ms %+v", v)
	}
	if v := find(vals, "segment.bytes"); v.Value != "3000" || v.Source != SourceDynamicDefaultBroker {
		t.Errorf("segment.bytes %+v", v)
	}
}

func BenchmarkEffectiveTopic(b *testing.B) {
	br := DefaultBroker()
	over := map[string]string{"retention.ms": "1000", "cleanup.policy": "compact"}
	dyn := map[string]string{"log.segment.bytes": "100000"}
	for b.Loop() {
		EffectiveTopic(over, br, dyn)
	}
}

// EffectiveTopic takes a faster path than ResolveTopic; they must agree on
// every layer.
func TestEffectiveTopicAgreesWithResolveTopic(t *testing.T) {
	static, err := LoadBroker("", nil, map[string]string{"log.segment.bytes": "7777", "log.retention.hours": "5", "gregor.log.flush.policy": "never"})
	if err != nil {
		t.Fatal(err)
	}
	over := map[string]string{"max.message.bytes": "123", "cleanup.policy": "compact,delete"}
	dyn := map[string]string{"log.roll.ms": "999", "gregor.log.flush.policy": "interval", "log.cleaner.min.cleanable.ratio": "0.25"}
	vals := map[string]string{}
	for _, v := range ResolveTopic(over, static, dyn) {
		vals[v.Name] = v.Value
	}
	tc := EffectiveTopic(over, static, dyn)
	checks := map[string]string{
		"max.message.bytes":         strconv.Itoa(int(tc.MaxMessageBytes)),
		"cleanup.policy":            tc.CleanupPolicy,
		"segment.ms":                strconv.FormatInt(tc.SegmentMs, 10),
		"gregor.flush.policy":       tc.FlushPolicy,
		"segment.bytes":             strconv.FormatInt(tc.SegmentBytes, 10),
		"retention.ms":              strconv.FormatInt(tc.RetentionMs, 10),
		"min.cleanable.dirty.ratio": strconv.FormatFloat(tc.MinCleanableDirtyRatio, 'g', -1, 64),
		"compression.type":          tc.CompressionType,
	}
	for name, got := range checks {
		if vals[name] != got {
			t.Errorf("%s: EffectiveTopic %q, ResolveTopic %q", name, got, vals[name])
		}
	}
	if tc.RetentionMs != 5*3600_000 || !tc.Compact || !tc.Delete || tc.FlushPolicy != FlushInterval {
		t.Errorf("effective %+v", tc)
	}
}
