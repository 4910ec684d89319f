package metadata

import (
	"fmt"
	"math/rand/v2"
	"sort"
)

// placeReplicas assigns replicas for partitions first..first+count-1 over
// the live brokers. Leaders (the first replica) rotate over the brokers
// from a random start so topics do not all lead on the same node; the
// followers of a partition follow its leader at a shift that changes every
// full round, so follower load spreads too. With racks set, the brokers
// are interleaved by rack first, so neighbouring replicas sit in different
// racks whenever there are enough racks.
func placeReplicas(live []Broker, first, count int32, rf int16, start int) ([][]int32, error) {
	n := len(live)
	if rf < 1 || int(rf) > n {
		return nil, fmt.Errorf("%w: replication factor %d with %d live brokers", ErrInvalidReplicationFactor, rf, n)
	}
	order := rackInterleaved(live)
	out := make([][]int32, 0, count)
	for i := int32(0); i < count; i++ {
		p := int(first + i)
		leader := (start + p) % n
		replicas := []int32{order[leader]}
		if n > 1 {
			shift := (p / n) % (n - 1)
			for j := 1; j < int(rf); j++ {
				off := 1 + (shift+j-1)%(n-1)
				replicas = append(replicas, order[(leader+off)%n])
			}
		}
		out = append(out, replicas)
	}
	return out, nil
}

// rackInterleaved orders broker ids so consecutive ones alternate racks:
// rack A's first, rack B's first, ..., rack A's second, ...
func rackInterleaved(live []Broker) []int32 {
	byRack := map[string][]int32{}
	var racks []string
	for _, b := range live {
		if _, ok := byRack[b.Rack]; !ok {
			racks = append(racks, b.Rack)
		}
		byRack[b.Rack] = append(byRack[b.Rack], b.ID)
	}
	sort.Strings(racks)
	for _, r := range racks {
		ids := byRack[r]
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	}
	var out []int32
	for len(out) < len(live) {
		for _, r := range racks {
			if ids := byRack[r]; len(ids) > 0 {
				out = append(out, ids[0])
				byRack[r] = ids[1:]
			}
		}
	}
	return out
}

func randomStart(n int) int {
	if n <= 1 {
		return 0
	}
	return rand.IntN(n)
}
