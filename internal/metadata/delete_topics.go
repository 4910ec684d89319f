package metadata

import (
	"context"
	"fmt"
)

// DeleteTopicResult is the outcome for one topic, named by name or id.
type DeleteTopicResult struct {
	Name string
	ID   [16]byte
	Err  error
}

// DeleteTopics removes topics given by name and/or by id; results come in
// that order (names first). The removals commit as one batch.
func (n *Node) DeleteTopics(ctx context.Context, names []string, ids [][16]byte) []DeleteTopicResult {
	results := make([]DeleteTopicResult, 0, len(names)+len(ids))
	for _, name := range names {
		results = append(results, DeleteTopicResult{Name: name})
	}
	for _, id := range ids {
		results = append(results, DeleteTopicResult{ID: id})
	}
	img, err := n.lead()
	if err != nil {
		for i := range results {
			results[i].Err = err
		}
		return results
	}
	defer n.ctrlMu.Unlock()

	var recs []record
	var removed []int
	gone := map[[16]byte]bool{}
	for i := range results {
		r := &results[i]
		var t *Topic
		if i < len(names) {
			if t = img.Topic(r.Name); t == nil {
				r.Err = fmt.Errorf("%w: %s", ErrUnknownTopic, r.Name)
				continue
			}
		} else {
			if t = img.TopicByID(r.ID); t == nil {
				r.Err = fmt.Errorf("%w: %x", ErrUnknownTopicID, r.ID)
				continue
			}
		}
		r.Name, r.ID = t.Name, t.ID
		if !n.broker.DeleteTopicEnable {
			r.Err = fmt.Errorf("%w: delete.topic.enable=false", ErrTopicDeletionDisabled)
			continue
		}
		if gone[t.ID] {
			// Named twice (by name and id): one removal serves both.
			continue
		}
		gone[t.ID] = true
		recs = append(recs, removeTopicRecord{ID: t.ID})
		removed = append(removed, i)
	}
	if len(recs) == 0 {
		return results
	}
	if _, err := n.propose(ctx, recs); err != nil {
		for i := range results {
			if results[i].Err == nil {
				results[i].Err = err
			}
		}
	}
	return results
}
