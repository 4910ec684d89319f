package metadata

import (
	"context"
	"errors"
	"testing"
)

func TestAlterClientQuotas(t *testing.T) {
	n := newNode(t)
	ctx := context.Background()
	alice := []QuotaEntity{{Type: QuotaEntityUser, Name: sp("alice")}}
	aliceApp := []QuotaEntity{{Type: QuotaEntityClientID, Name: sp("app")}, {Type: QuotaEntityUser, Name: sp("alice")}}
	defaultUser := []QuotaEntity{{Type: QuotaEntityUser}}
	ip := []QuotaEntity{{Type: QuotaEntityIP, Name: sp("127.0.0.1")}}
	errs := n.AlterClientQuotas(ctx, []QuotaAlteration{
		{Entity: alice, Ops: []QuotaOp{{Key: "producer_byte_rate", Value: 1024}, {Key: "consumer_byte_rate", Value: 2048}}},
		{Entity: aliceApp, Ops: []QuotaOp{{Key: "request_percentage", Value: 50}}},
		{Entity: defaultUser, Ops: []QuotaOp{{Key: "producer_byte_rate", Value: 100}}},
		{Entity: ip, Ops: []QuotaOp{{Key: "connection_creation_rate", Value: 10}}},
		{Entity: ip, Ops: []QuotaOp{{Key: "producer_byte_rate", Value: 10}}},                                                          // twice, and wrong key
		{Entity: []QuotaEntity{{Type: "group"}}, Ops: []QuotaOp{{Key: "producer_byte_rate", Value: 1}}},                               // unknown type
		{Entity: []QuotaEntity{{Type: QuotaEntityIP, Name: sp("nope")}}, Ops: []QuotaOp{{Key: "connection_creation_rate", Value: 1}}}, // bad ip
		{Entity: []QuotaEntity{{Type: QuotaEntityUser, Name: sp("bob")}}, Ops: []QuotaOp{{Key: "producer_byte_rate", Value: -1}}},
	}, false)
	for i, want := range []error{nil, nil, nil, nil, ErrInvalidRequest, ErrInvalidRequest, ErrInvalidRequest, ErrInvalidRequest} {
		if !errors.Is(errs[i], want) || (want == nil && errs[i] != nil) {
			t.Errorf("alteration %d: %v, want %v", i, errs[i], want)
		}
	}
	// Entity component order does not matter.
	q, ok := n.Image().Quota([]QuotaEntity{{Type: QuotaEntityUser, Name: sp("alice")}, {Type: QuotaEntityClientID, Name: sp("app")}})
	if !ok || q.Values["request_percentage"] != 50 {
		t.Errorf("alice/app %+v %v", q, ok)
	}
	if q, ok := n.Image().Quota(defaultUser); !ok || q.Values["producer_byte_rate"] != 100 {
		t.Errorf("default user %+v", q)
	}
	m := n.restart(t)
	if got := len(m.Image().QuotaList()); got != 4 {
		t.Fatalf("%d quota entities after restart, want 4", got)
	}
	errs = m.AlterClientQuotas(ctx, []QuotaAlteration{{Entity: alice, Ops: []QuotaOp{{Key: "producer_byte_rate", Remove: true}, {Key: "consumer_byte_rate", Remove: true}}}}, false)
	if errs[0] != nil {
		t.Fatal(errs[0])
	}
	if _, ok := m.Image().Quota(alice); ok {
		t.Error("alice's quotas not removed")
	}
	// validateOnly changes nothing.
	m.AlterClientQuotas(ctx, []QuotaAlteration{{Entity: alice, Ops: []QuotaOp{{Key: "producer_byte_rate", Value: 5}}}}, true)
	if _, ok := m.Image().Quota(alice); ok {
		t.Error("validate only stored a quota")
	}
}
