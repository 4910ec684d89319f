package metadata

import (
	"context"
	"fmt"
	"slices"
)

// Election types of ElectLeaders, Kafka's numbering.
const (
	ElectPreferred int8 = 0
	ElectUnclean   int8 = 1
)

// ElectLeadersResult is the outcome for one partition.
type ElectLeadersResult struct {
	Topic     string
	Partition int32
	Err       error
}

// ElectLeaders runs leader elections (Kafka's ElectLeaders). Preferred
// moves leadership back to the first replica when it is in sync and
// unfenced; unclean gives a leaderless partition a leader, from the ISR
// when possible, else any live replica (data loss, as asked). parts maps
// topic -> partitions; nil means every partition. All changes commit as one
// batch.
func (n *Node) ElectLeaders(ctx context.Context, electionType int8, parts map[string][]int32) []ElectLeadersResult {
	img, err := n.lead()
	if err != nil {
		var out []ElectLeadersResult
		for t, ps := range parts {
			for _, p := range ps {
				out = append(out, ElectLeadersResult{Topic: t, Partition: p, Err: err})
			}
		}
		return out
	}
	defer n.ctrlMu.Unlock()
	if parts == nil {
		parts = map[string][]int32{}
		for _, name := range img.TopicNames() {
			for _, p := range img.Topics[name].Partitions {
				parts[name] = append(parts[name], p.Partition)
			}
		}
	}
	live := func(id int32) bool { b, ok := img.Brokers[id]; return ok && !b.Fenced }
	var out []ElectLeadersResult
	var recs []record
	var changed []int
	topics := make([]string, 0, len(parts))
	for t := range parts {
		topics = append(topics, t)
	}
	slices.Sort(topics)
	for _, name := range topics {
		t := img.Topic(name)
		for _, pn := range parts[name] {
			res := ElectLeadersResult{Topic: name, Partition: pn}
			if t == nil || pn < 0 || int(pn) >= len(t.Partitions) {
				res.Err = fmt.Errorf("%w: %s-%d", ErrUnknownTopic, name, pn)
				out = append(out, res)
				continue
			}
			p := t.Partitions[pn]
			leader, isr := int32(-1), []int32(nil)
			switch electionType {
			case ElectPreferred:
				pref := p.Replicas[0]
				switch {
				case p.Leader == pref:
					res.Err = fmt.Errorf("%w: %s-%d is led by its preferred replica", ErrElectionNotNeeded, name, pn)
				case !live(pref) || !slices.Contains(p.ISR, pref):
					res.Err = fmt.Errorf("%w: %s-%d replica %d is fenced or out of sync", ErrPreferredLeaderNotAvailable, name, pn, pref)
				default:
					leader = pref
				}
			case ElectUnclean:
				if p.Leader != -1 {
					res.Err = fmt.Errorf("%w: %s-%d has leader %d", ErrElectionNotNeeded, name, pn, p.Leader)
					break
				}
				for _, r := range p.Replicas {
					if live(r) && slices.Contains(p.ISR, r) {
						leader = r
						break
					}
				}
				if leader == -1 {
					for _, r := range p.Replicas {
						if live(r) {
							leader, isr = r, []int32{r}
							break
						}
					}
				}
				if leader == -1 {
					res.Err = fmt.Errorf("%w: %s-%d has no live replica", ErrEligibleLeadersNotAvailable, name, pn)
				}
			default:
				res.Err = fmt.Errorf("%w: election type %d", ErrInvalidRequest, electionType)
			}
			if res.Err == nil {
				l := leader
				recs = append(recs, partitionChangeRecord{TopicID: t.ID, Partition: pn, Leader: &l, ISR: isr})
				changed = append(changed, len(out))
			}
			out = append(out, res)
		}
	}
	if len(recs) > 0 {
		if _, err := n.propose(ctx, recs); err != nil {
			for _, i := range changed {
				out[i].Err = err
			}
		}
	}
	return out
}
