package metadata

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"sort"
)

// Quota entity types and keys, Kafka's names.
const (
	QuotaEntityUser     = "user"
	QuotaEntityClientID = "client-id"
	QuotaEntityIP       = "ip"
)

var quotaKeys = map[string]bool{
	"producer_byte_rate":       true,
	"consumer_byte_rate":       true,
	"request_percentage":       true,
	"controller_mutation_rate": true,
}

const ipQuotaKey = "connection_creation_rate"

// QuotaEntity is one component of a quota's entity; a nil Name is the
// default for that type.
type QuotaEntity struct {
	Type string  `json:"type"`
	Name *string `json:"name,omitempty"`
}

// ClientQuota is the quota values set for one entity.
type ClientQuota struct {
	Entity []QuotaEntity // sorted by type
	Values map[string]float64
}

// QuotaAlteration changes the quotas of one entity.
type QuotaAlteration struct {
	Entity []QuotaEntity
	Ops    []QuotaOp
}

// QuotaOp sets Key to Value, or removes it.
type QuotaOp struct {
	Key    string
	Value  float64
	Remove bool
}

// quotaEntityKey is the map key of an entity: its components sorted by
// type, as JSON, so no two entities collide.
func quotaEntityKey(e []QuotaEntity) string {
	b, _ := json.Marshal(sortedEntity(e))
	return string(b)
}

func sortedEntity(e []QuotaEntity) []QuotaEntity {
	out := append([]QuotaEntity(nil), e...)
	sort.Slice(out, func(i, j int) bool { return out[i].Type < out[j].Type })
	return out
}

// validateQuotaEntity accepts Kafka's combinations: user, client-id,
// user+client-id, or ip alone.
func validateQuotaEntity(e []QuotaEntity) error {
	types := map[string]bool{}
	for _, c := range e {
		if types[c.Type] {
			return fmt.Errorf("%w: entity type %s given twice", ErrInvalidRequest, c.Type)
		}
		types[c.Type] = true
		switch c.Type {
		case QuotaEntityUser, QuotaEntityClientID:
		case QuotaEntityIP:
			if c.Name != nil && net.ParseIP(*c.Name) == nil {
				return fmt.Errorf("%w: %q is not an IP address", ErrInvalidRequest, *c.Name)
			}
		default:
			return fmt.Errorf("%w: unknown quota entity type %q", ErrInvalidRequest, c.Type)
		}
	}
	if len(e) == 0 || (types[QuotaEntityIP] && len(e) > 1) {
		return fmt.Errorf("%w: quota entity must be user, client-id, both, or ip alone", ErrInvalidRequest)
	}
	return nil
}

func validQuotaKey(e []QuotaEntity, key string) bool {
	if len(e) == 1 && e[0].Type == QuotaEntityIP {
		return key == ipQuotaKey
	}
	return quotaKeys[key]
}

// AlterClientQuotas applies quota changes; one error per alteration.
func (n *Node) AlterClientQuotas(ctx context.Context, alts []QuotaAlteration, validateOnly bool) []error {
	errs := make([]error, len(alts))
	if _, err := n.lead(); err != nil {
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	defer n.ctrlMu.Unlock()
	var recs []record
	var changed []int
	seen := map[string]bool{}
	for i, a := range alts {
		rr, err := quotaRecords(a, seen)
		if err != nil {
			errs[i] = err
			continue
		}
		recs = append(recs, rr...)
		changed = append(changed, i)
	}
	if validateOnly || len(recs) == 0 {
		return errs
	}
	if _, err := n.propose(ctx, recs); err != nil {
		for _, i := range changed {
			errs[i] = err
		}
	}
	return errs
}

func quotaRecords(a QuotaAlteration, seen map[string]bool) ([]record, error) {
	if err := validateQuotaEntity(a.Entity); err != nil {
		return nil, err
	}
	key := quotaEntityKey(a.Entity)
	if seen[key] {
		return nil, fmt.Errorf("%w: entity altered twice", ErrInvalidRequest)
	}
	seen[key] = true
	keys := map[string]bool{}
	var recs []record
	for _, op := range a.Ops {
		if !validQuotaKey(a.Entity, op.Key) {
			return nil, fmt.Errorf("%w: quota %q does not apply to this entity", ErrInvalidRequest, op.Key)
		}
		if keys[op.Key] {
			return nil, fmt.Errorf("%w: quota %s changed twice", ErrInvalidRequest, op.Key)
		}
		keys[op.Key] = true
		r := quotaRecord{Entity: sortedEntity(a.Entity), Key: op.Key}
		if !op.Remove {
			if op.Value <= 0 || math.IsNaN(op.Value) || math.IsInf(op.Value, 0) {
				return nil, fmt.Errorf("%w: quota %s=%v must be positive", ErrInvalidRequest, op.Key, op.Value)
			}
			v := op.Value
			r.Value = &v
		}
		recs = append(recs, r)
	}
	return recs, nil
}

// QuotaList returns every entity's quotas in a stable order.
func (img *Image) QuotaList() []ClientQuota {
	keys := make([]string, 0, len(img.ClientQuotas))
	for k := range img.ClientQuotas {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]ClientQuota, 0, len(keys))
	for _, k := range keys {
		out = append(out, img.ClientQuotas[k])
	}
	return out
}

// Quota returns the quotas set for exactly this entity.
func (img *Image) Quota(entity []QuotaEntity) (ClientQuota, bool) {
	q, ok := img.ClientQuotas[quotaEntityKey(entity)]
	return q, ok
}
