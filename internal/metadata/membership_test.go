package metadata

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"
)

func TestObserverReplaysTheLog(t *testing.T) {
	voter := newNode(t)
	ctx := context.Background()
	if r := voter.CreateTopics(ctx, []CreateTopic{{Name: "early", NumPartitions: 2, ReplicationFactor: 1}}, false); r[0].Err != nil {
		t.Fatal(r[0].Err)
	}
	if err := voter.AddObserver(ctx, 1, "127.0.0.1:1"); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("adding the voter as observer: %v", err)
	}

	obsAddr := freeAddr(t)
	started := make(chan struct{})
	var obs *Node
	var obsErr error
	go func() {
		defer close(started)
		obs, obsErr = Start(Config{NodeID: 2, DataDir: t.TempDir(), RaftAddr: obsAddr, StartTimeout: 20 * time.Second,
			Voters: []Voter{{ID: 1, Addr: voter.addr}}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	}()
	if err := voter.AddObserver(ctx, 2, obsAddr); err != nil {
		t.Fatal(err)
	}
	<-started
	if obsErr != nil {
		t.Fatal(obsErr)
	}
	defer obs.Close()

	img := obs.Image()
	if img.ClusterID != voter.Image().ClusterID || img.Topic("early") == nil || img.ControllerID != 1 {
		t.Fatalf("observer image: cluster %s topics %v controller %d", img.ClusterID, img.TopicNames(), img.ControllerID)
	}
	if obs.IsController() {
		t.Error("observer claims to be controller")
	}
	if r := obs.CreateTopics(ctx, []CreateTopic{{Name: "x", NumPartitions: 1, ReplicationFactor: 1}}, false); !errors.Is(r[0].Err, ErrNotController) {
		t.Errorf("observer created a topic: %v", r[0].Err)
	}
	members, err := voter.QuorumMembers()
	if err != nil || len(members) != 2 || !members[0].Voter || members[1].Voter || members[1].ID != 2 {
		t.Errorf("members %+v %v", members, err)
	}

	seen := make(chan struct{})
	cancel := obs.Subscribe(func(prev, next *Image) {
		if prev.Topic("late") == nil && next.Topic("late") != nil {
			close(seen)
		}
	})
	defer cancel()
	if r := voter.CreateTopics(ctx, []CreateTopic{{Name: "late", NumPartitions: 1, ReplicationFactor: 1}}, false); r[0].Err != nil {
		t.Fatal(r[0].Err)
	}
	select {
	case <-seen:
	case <-time.After(10 * time.Second):
		t.Fatal("observer did not see the new topic")
	}

	st, err := obs.QuorumStatus()
	if err != nil || st.LeaderID != 1 || st.LeaderEpoch == 0 || st.HighWatermark < voter.Image().Offset || len(st.Members) != 2 {
		t.Errorf("observer's quorum status %+v %v", st, err)
	}
	if err := voter.RemoveObserver(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if members, _ := voter.QuorumMembers(); len(members) != 1 {
		t.Errorf("after removal %+v", members)
	}
	if err := voter.RemoveObserver(ctx, 2); !errors.Is(err, ErrUnknownBroker) {
		t.Errorf("removing twice: %v", err)
	}
}
