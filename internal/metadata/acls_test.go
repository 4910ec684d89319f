package metadata

import (
	"context"
	"errors"
	"testing"
)

func sp(s string) *string { return &s }

func TestACLFilterMatches(t *testing.T) {
	lit := ACL{ResourceType: ACLResourceTopic, ResourceName: "orders", PatternType: ACLPatternLiteral, Principal: "User:alice", Host: "*", Operation: ACLOpRead, Permission: ACLPermissionAllow}
	wild := lit
	wild.ResourceName = "*"
	pre := lit
	pre.ResourceName, pre.PatternType = "ord", ACLPatternPrefixed
	group := lit
	group.ResourceType = ACLResourceGroup

	any := ACLFilter{ResourceType: ACLResourceAny, PatternType: ACLPatternAny, Operation: ACLOpAny, Permission: ACLPermissionAny}
	cases := []struct {
		name string
		f    func(ACLFilter) ACLFilter
		want []bool // lit, wild, pre, group
	}{
		{"any", func(f ACLFilter) ACLFilter { return f }, []bool{true, true, true, true}},
		{"topics", func(f ACLFilter) ACLFilter { f.ResourceType = ACLResourceTopic; return f }, []bool{true, true, true, false}},
		{"exact name, any pattern", func(f ACLFilter) ACLFilter { f.ResourceName = sp("orders"); return f }, []bool{true, false, false, true}},
		{"literal only", func(f ACLFilter) ACLFilter { f.PatternType = ACLPatternLiteral; return f }, []bool{true, true, false, true}},
		{"match orders", func(f ACLFilter) ACLFilter {
			f.ResourceType, f.PatternType, f.ResourceName = ACLResourceTopic, ACLPatternMatch, sp("orders")
			return f
		}, []bool{true, true, true, false}},
		{"match other", func(f ACLFilter) ACLFilter {
			f.ResourceType, f.PatternType, f.ResourceName = ACLResourceTopic, ACLPatternMatch, sp("clicks")
			return f
		}, []bool{false, true, false, false}},
		{"principal", func(f ACLFilter) ACLFilter { f.Principal = sp("User:bob"); return f }, []bool{false, false, false, false}},
		{"operation", func(f ACLFilter) ACLFilter { f.Operation = ACLOpWrite; return f }, []bool{false, false, false, false}},
		{"permission", func(f ACLFilter) ACLFilter { f.Permission = ACLPermissionAllow; return f }, []bool{true, true, true, true}},
	}
	for _, c := range cases {
		f := c.f(any)
		for i, a := range []ACL{lit, wild, pre, group} {
			if got := f.Matches(a); got != c.want[i] {
				t.Errorf("%s: acl %d matched=%v, want %v", c.name, i, got, c.want[i])
			}
		}
	}
}

func TestCreateAndDeleteACLs(t *testing.T) {
	n := newNode(t)
	ctx := context.Background()
	read := ACL{ResourceType: ACLResourceTopic, ResourceName: "orders", PatternType: ACLPatternLiteral, Principal: "User:alice", Host: "*", Operation: ACLOpRead, Permission: ACLPermissionAllow}
	write := read
	write.Operation = ACLOpWrite
	cluster := ACL{ResourceType: ACLResourceCluster, ResourceName: ClusterResourceName, PatternType: ACLPatternLiteral, Principal: "User:admin", Host: "*", Operation: ACLOpAll, Permission: ACLPermissionAllow}
	badCluster := cluster
	badCluster.ResourceName = "other"
	badPrincipal := read
	badPrincipal.Principal = "alice"
	anyOp := read
	anyOp.Operation = ACLOpAny

	errs := n.CreateACLs(ctx, []ACL{read, write, cluster, badCluster, badPrincipal, anyOp, read})
	for i, want := range []error{nil, nil, nil, ErrInvalidRequest, ErrInvalidRequest, ErrInvalidRequest, nil} {
		if !errors.Is(errs[i], want) || (want == nil && errs[i] != nil) {
			t.Errorf("acl %d: %v, want %v", i, errs[i], want)
		}
	}
	if got := len(n.Image().ACLs); got != 3 {
		t.Fatalf("%d acls, want 3 (a duplicate is not stored twice)", got)
	}
	m := n.restart(t)
	if got := m.Image().ACLList(); len(got) != 3 || got[0] != read && got[0] != write {
		t.Fatalf("after restart %+v", got)
	}
	res := m.DeleteACLs(ctx, []ACLFilter{
		{ResourceType: ACLResourceTopic, PatternType: ACLPatternAny, Principal: sp("User:alice"), Operation: ACLOpAny, Permission: ACLPermissionAny},
		{ResourceType: ACLResourceTopic, PatternType: ACLPatternAny, Operation: ACLOpWrite, Permission: ACLPermissionAny},
		{ResourceType: ACLResourceGroup, PatternType: ACLPatternAny, Operation: ACLOpAny, Permission: ACLPermissionAny},
	})
	if res[0].Err != nil || len(res[0].Deleted) != 2 || len(res[1].Deleted) != 1 || len(res[2].Deleted) != 0 {
		t.Fatalf("delete results %+v", res)
	}
	if got := m.Image().ACLList(); len(got) != 1 || got[0] != cluster {
		t.Errorf("left %+v", got)
	}
}
