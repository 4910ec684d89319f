package metadata

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/gregor-stream/gregor/internal/config"
)

// Config operations of IncrementalAlterConfigs, Kafka's numbering.
const (
	OpSet      int8 = 0
	OpDelete   int8 = 1
	OpAppend   int8 = 2
	OpSubtract int8 = 3
)

// AlterConfig changes the configs of one resource: a topic (ResourceTopic,
// Name = topic) or brokers (ResourceBroker, Name "" = cluster-wide
// default, "N" = node N).
type AlterConfig struct {
	ResourceType int8
	Name         string
	Ops          []ConfigOp
}

// ConfigOp is one change. For the non-incremental AlterConfigs, every op
// is a set and a nil Value deletes.
type ConfigOp struct {
	Name  string
	Value *string
	Op    int8
}

// AlterConfigResult is the outcome for one resource.
type AlterConfigResult struct {
	ResourceType int8
	Name         string
	Err          error
}

// AlterConfigs applies config changes. incremental follows
// IncrementalAlterConfigs (per-key set/delete/append/subtract); otherwise
// the ops replace the resource's whole set of overrides, as the legacy
// AlterConfigs does. All changed resources commit as one batch.
func (n *Node) AlterConfigs(ctx context.Context, reqs []AlterConfig, incremental, validateOnly bool) []AlterConfigResult {
	results := make([]AlterConfigResult, len(reqs))
	for i, r := range reqs {
		results[i].ResourceType, results[i].Name = r.ResourceType, r.Name
	}
	img, err := n.lead()
	if err != nil {
		for i := range results {
			results[i].Err = err
		}
		return results
	}
	defer n.ctrlMu.Unlock()

	type key struct {
		t int8
		n string
	}
	count := map[key]int{}
	for _, r := range reqs {
		count[key{r.ResourceType, r.Name}]++
	}
	var recs []record
	var changed []int
	for i, r := range reqs {
		if count[key{r.ResourceType, r.Name}] > 1 {
			results[i].Err = fmt.Errorf("%w: resource %d/%s given more than once", ErrInvalidRequest, r.ResourceType, r.Name)
			continue
		}
		rr, err := n.alterOne(img, r, incremental)
		if err != nil {
			results[i].Err = err
			continue
		}
		recs = append(recs, rr...)
		changed = append(changed, i)
	}
	if validateOnly || len(recs) == 0 {
		return results
	}
	if _, err := n.propose(ctx, recs); err != nil {
		for _, i := range changed {
			results[i].Err = err
		}
	}
	return results
}

func (n *Node) alterOne(img *Image, r AlterConfig, incremental bool) ([]record, error) {
	var cur map[string]string
	var lookup func(string) (config.Def, bool)
	var validate func(map[string]string) error
	switch r.ResourceType {
	case ResourceTopic:
		if img.Topic(r.Name) == nil {
			return nil, fmt.Errorf("%w: %s", ErrUnknownTopic, r.Name)
		}
		cur, lookup, validate = img.TopicConfigs[r.Name], config.LookupTopic, config.ValidateTopicConfigs
	case ResourceBroker:
		if r.Name != "" {
			if id, err := strconv.ParseInt(r.Name, 10, 32); err != nil || id < 0 {
				return nil, fmt.Errorf("%w: broker resource name %q is not a node id", ErrInvalidRequest, r.Name)
			}
		}
		cur, lookup, validate = img.BrokerConfigs[r.Name], config.LookupBroker, config.ValidateDynamicBrokerConfigs
	default:
		return nil, fmt.Errorf("%w: resource type %d cannot be altered", ErrInvalidRequest, r.ResourceType)
	}

	next := map[string]string{}
	if incremental {
		for k, v := range cur {
			next[k] = v
		}
	}
	seen := map[string]bool{}
	for _, op := range r.Ops {
		if seen[op.Name] {
			return nil, fmt.Errorf("%w: config %s changed twice", ErrInvalidRequest, op.Name)
		}
		seen[op.Name] = true
		if !incremental {
			if op.Value != nil {
				next[op.Name] = *op.Value
			}
			continue
		}
		d, ok := lookup(op.Name)
		if !ok {
			return nil, fmt.Errorf("%w: unknown config %q", ErrInvalidConfig, op.Name)
		}
		switch op.Op {
		case OpSet:
			if op.Value == nil {
				return nil, fmt.Errorf("%w: set %s without a value", ErrInvalidRequest, op.Name)
			}
			next[op.Name] = *op.Value
		case OpDelete:
			delete(next, op.Name)
		case OpAppend, OpSubtract:
			if d.Type != config.List {
				return nil, fmt.Errorf("%w: %s is not a list; append and subtract need one", ErrInvalidConfig, op.Name)
			}
			if op.Value == nil {
				return nil, fmt.Errorf("%w: %s without a value", ErrInvalidRequest, op.Name)
			}
			base, ok := next[op.Name]
			if !ok {
				base = effectiveDefault(d, n.broker, img.DynamicBrokerConfigs(n.cfg.NodeID), r.ResourceType)
			}
			items := config.SplitList(base)
			for _, v := range config.SplitList(*op.Value) {
				if op.Op == OpAppend && !slices.Contains(items, v) {
					items = append(items, v)
				}
				if op.Op == OpSubtract {
					items = slices.DeleteFunc(items, func(s string) bool { return s == v })
				}
			}
			next[op.Name] = strings.Join(items, ",")
		default:
			return nil, fmt.Errorf("%w: config operation %d", ErrInvalidRequest, op.Op)
		}
	}
	if err := validate(next); err != nil {
		return nil, err
	}

	var recs []record
	names := make([]string, 0, len(cur)+len(next))
	for k := range cur {
		names = append(names, k)
	}
	for k := range next {
		if _, ok := cur[k]; !ok {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, k := range names {
		old, had := cur[k]
		v, has := next[k]
		switch {
		case has && (!had || old != v):
			val := v
			recs = append(recs, configRecord{ResourceType: r.ResourceType, Name: r.Name, Key: k, Value: &val})
		case had && !has:
			recs = append(recs, configRecord{ResourceType: r.ResourceType, Name: r.Name, Key: k})
		}
	}
	return recs, nil
}

// effectiveDefault is the value an append or subtract starts from when the
// resource has no override.
func effectiveDefault(d config.Def, b *config.Broker, dynamic map[string]string, resource int8) string {
	if resource == ResourceTopic {
		for _, v := range config.ResolveTopic(nil, b, dynamic) {
			if v.Name == d.Name {
				return v.Value
			}
		}
	}
	if v, ok := dynamic[d.Name]; ok {
		return v
	}
	v, _ := b.Get(d.Name)
	return v
}
