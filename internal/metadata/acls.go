package metadata

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// ACL enum values, with Kafka's numbering (kmsg.ACLResourceType,
// ACLResourcePatternType, ACLOperation, ACLPermissionType), so handlers
// can cast directly.
const (
	ACLResourceAny             int8 = 1
	ACLResourceTopic           int8 = 2
	ACLResourceGroup           int8 = 3
	ACLResourceCluster         int8 = 4
	ACLResourceTransactionalID int8 = 5
	ACLResourceDelegationToken int8 = 6
	ACLResourceUser            int8 = 7

	ACLPatternAny      int8 = 1
	ACLPatternMatch    int8 = 2
	ACLPatternLiteral  int8 = 3
	ACLPatternPrefixed int8 = 4

	ACLOpAny             int8 = 1
	ACLOpAll             int8 = 2
	ACLOpRead            int8 = 3
	ACLOpWrite           int8 = 4
	ACLOpCreate          int8 = 5
	ACLOpDelete          int8 = 6
	ACLOpAlter           int8 = 7
	ACLOpDescribe        int8 = 8
	ACLOpClusterAction   int8 = 9
	ACLOpDescribeConfigs int8 = 10
	ACLOpAlterConfigs    int8 = 11
	ACLOpIdempotentWrite int8 = 12
	ACLOpCreateTokens    int8 = 13
	ACLOpDescribeTokens  int8 = 14

	ACLPermissionAny   int8 = 1
	ACLPermissionDeny  int8 = 2
	ACLPermissionAllow int8 = 3
)

// ClusterResourceName is the only name of the cluster resource.
const ClusterResourceName = "kafka-cluster"

// ACL is one access control entry bound to a resource pattern.
type ACL struct {
	ResourceType int8
	ResourceName string
	PatternType  int8 // literal or prefixed
	Principal    string
	Host         string
	Operation    int8
	Permission   int8
}

// ACLFilter selects ACLs as Kafka's DescribeAcls and DeleteAcls filters
// do: ANY values match everything, nil strings match any value, and the
// MATCH pattern type matches every pattern that applies to the name
// (the literal name, the literal wildcard "*", and prefixes of it).
type ACLFilter struct {
	ResourceType int8
	ResourceName *string
	PatternType  int8
	Principal    *string
	Host         *string
	Operation    int8
	Permission   int8
}

// Matches reports whether the filter selects a.
func (f ACLFilter) Matches(a ACL) bool {
	if f.ResourceType != ACLResourceAny && f.ResourceType != a.ResourceType {
		return false
	}
	if f.PatternType != ACLPatternAny && f.PatternType != ACLPatternMatch && f.PatternType != a.PatternType {
		return false
	}
	if f.ResourceName != nil {
		name := *f.ResourceName
		switch {
		case f.PatternType == ACLPatternAny || f.PatternType == a.PatternType:
			if name != a.ResourceName {
				return false
			}
		case a.PatternType == ACLPatternLiteral:
			if name != a.ResourceName && a.ResourceName != "*" {
				return false
			}
		case a.PatternType == ACLPatternPrefixed:
			if !strings.HasPrefix(name, a.ResourceName) {
				return false
			}
		default:
			return false
		}
	}
	if f.Principal != nil && *f.Principal != a.Principal {
		return false
	}
	if f.Host != nil && *f.Host != a.Host {
		return false
	}
	if f.Operation != ACLOpAny && f.Operation != a.Operation {
		return false
	}
	return f.Permission == ACLPermissionAny || f.Permission == a.Permission
}

// validateACL applies Kafka's rules for a new binding.
func validateACL(a ACL) error {
	switch {
	case a.ResourceType < ACLResourceTopic || a.ResourceType > ACLResourceUser:
		return fmt.Errorf("%w: resource type %d", ErrInvalidRequest, a.ResourceType)
	case a.PatternType != ACLPatternLiteral && a.PatternType != ACLPatternPrefixed:
		return fmt.Errorf("%w: pattern type %d (literal or prefixed)", ErrInvalidRequest, a.PatternType)
	case a.ResourceName == "":
		return fmt.Errorf("%w: empty resource name", ErrInvalidRequest)
	case a.ResourceType == ACLResourceCluster && a.ResourceName != ClusterResourceName:
		return fmt.Errorf("%w: the cluster resource is named %s", ErrInvalidRequest, ClusterResourceName)
	case a.Operation < ACLOpAll || a.Operation > ACLOpDescribeTokens:
		return fmt.Errorf("%w: operation %d", ErrInvalidRequest, a.Operation)
	case a.Permission != ACLPermissionAllow && a.Permission != ACLPermissionDeny:
		return fmt.Errorf("%w: permission %d", ErrInvalidRequest, a.Permission)
	case a.Host == "":
		return fmt.Errorf("%w: empty host (use *)", ErrInvalidRequest)
	}
	typ, name, ok := strings.Cut(a.Principal, ":")
	if !ok || typ == "" || name == "" {
		return fmt.Errorf("%w: principal %q is not Type:name", ErrInvalidRequest, a.Principal)
	}
	return nil
}

// ACLList returns every ACL in a stable order.
func (img *Image) ACLList() []ACL {
	out := make([]ACL, 0, len(img.ACLs))
	for _, a := range img.ACLs {
		out = append(out, a)
	}
	sortACLs(out)
	return out
}

// MatchACLs returns the ACLs the filter selects, in a stable order
// (DescribeAcls).
func (img *Image) MatchACLs(f ACLFilter) []ACL {
	var out []ACL
	for _, a := range img.ACLs {
		if f.Matches(a) {
			out = append(out, a)
		}
	}
	sortACLs(out)
	return out
}

func sortACLs(s []ACL) {
	sort.Slice(s, func(i, j int) bool {
		a, b := s[i], s[j]
		if a.ResourceType != b.ResourceType {
			return a.ResourceType < b.ResourceType
		}
		if a.ResourceName != b.ResourceName {
			return a.ResourceName < b.ResourceName
		}
		if a.PatternType != b.PatternType {
			return a.PatternType < b.PatternType
		}
		if a.Principal != b.Principal {
			return a.Principal < b.Principal
		}
		if a.Host != b.Host {
			return a.Host < b.Host
		}
		if a.Operation != b.Operation {
			return a.Operation < b.Operation
		}
		return a.Permission < b.Permission
	})
}

// CreateACLs adds bindings; one error per binding (nil = created, or
// already present, which Kafka also treats as success).
func (n *Node) CreateACLs(ctx context.Context, acls []ACL) []error {
	errs := make([]error, len(acls))
	img, err := n.lead()
	if err != nil {
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	defer n.ctrlMu.Unlock()
	existing := map[ACL]bool{}
	for _, a := range img.ACLs {
		existing[a] = true
	}
	var recs []record
	var created []int
	for i, a := range acls {
		if errs[i] = validateACL(a); errs[i] != nil || existing[a] {
			continue
		}
		existing[a] = true
		recs = append(recs, aclRecord{ID: newUUID(), ACL: a})
		created = append(created, i)
	}
	if len(recs) > 0 {
		if _, err := n.propose(ctx, recs); err != nil {
			for _, i := range created {
				errs[i] = err
			}
		}
	}
	return errs
}

// DeleteACLsResult is the outcome of one filter: the ACLs it removed.
type DeleteACLsResult struct {
	Deleted []ACL
	Err     error
}

// DeleteACLs removes every ACL each filter matches, all in one batch.
func (n *Node) DeleteACLs(ctx context.Context, filters []ACLFilter) []DeleteACLsResult {
	results := make([]DeleteACLsResult, len(filters))
	img, err := n.lead()
	if err != nil {
		for i := range results {
			results[i].Err = err
		}
		return results
	}
	defer n.ctrlMu.Unlock()
	ids := make([][16]byte, 0, len(img.ACLs))
	for id := range img.ACLs {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return string(ids[i][:]) < string(ids[j][:]) })
	removed := map[[16]byte]bool{}
	var recs []record
	for i, f := range filters {
		for _, id := range ids {
			a := img.ACLs[id]
			if !f.Matches(a) {
				continue
			}
			results[i].Deleted = append(results[i].Deleted, a)
			if !removed[id] {
				removed[id] = true
				recs = append(recs, removeACLRecord{ID: id})
			}
		}
		sortACLs(results[i].Deleted)
	}
	if len(recs) > 0 {
		if _, err := n.propose(ctx, recs); err != nil {
			for i := range results {
				results[i].Deleted, results[i].Err = nil, err
			}
		}
	}
	return results
}
