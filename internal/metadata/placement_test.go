package metadata

import (
	"errors"
	"testing"
)

func brokers(racks ...string) []Broker {
	var out []Broker
	for i, r := range racks {
		out = append(out, Broker{ID: int32(i + 1), Rack: r})
	}
	return out
}

func TestPlaceReplicas(t *testing.T) {
	live := brokers("", "", "", "")
	for start := 0; start < 4; start++ {
		a, err := placeReplicas(live, 0, 12, 3, start)
		if err != nil {
			t.Fatal(err)
		}
		leaders := map[int32]int{}
		replicas := map[int32]int{}
		for p, rs := range a {
			if len(rs) != 3 {
				t.Fatalf("partition %d: %v", p, rs)
			}
			seen := map[int32]bool{}
			for _, b := range rs {
				if seen[b] {
					t.Fatalf("partition %d: duplicate replica in %v", p, rs)
				}
				seen[b] = true
				replicas[b]++
			}
			leaders[rs[0]]++
		}
		for id := int32(1); id <= 4; id++ {
			if leaders[id] != 3 || replicas[id] != 9 {
				t.Errorf("start %d: broker %d leads %d and holds %d replicas, want 3 and 9", start, id, leaders[id], replicas[id])
			}
		}
	}
	if _, err := placeReplicas(live, 0, 1, 5, 0); !errors.Is(err, ErrInvalidReplicationFactor) {
		t.Errorf("rf 5 on 4 brokers: %v", err)
	}
	if _, err := placeReplicas(nil, 0, 1, 1, 0); !errors.Is(err, ErrInvalidReplicationFactor) {
		t.Errorf("no brokers: %v", err)
	}
}

func TestPlaceReplicasRackAware(t *testing.T) {
	live := brokers("a", "a", "b", "b", "c", "c")
	rack := map[int32]string{}
	for _, b := range live {
		rack[b.ID] = b.Rack
	}
	a, err := placeReplicas(live, 0, 30, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	for p, rs := range a {
		racks := map[string]bool{}
		for _, b := range rs {
			racks[rack[b]] = true
		}
		if len(racks) < 2 {
			t.Errorf("partition %d replicas %v all in one rack", p, rs)
		}
	}
}
