package handlers

import (
	"log/slog"
	"time"

	"github.com/gregor-stream/gregor/internal/config"
	"github.com/gregor-stream/gregor/internal/group"
	"github.com/gregor-stream/gregor/internal/metadata"
	"github.com/gregor-stream/gregor/internal/partition"
	"github.com/gregor-stream/gregor/internal/storage"
	"github.com/gregor-stream/gregor/internal/txn"
)

// Deps are the subsystems the handlers call.
type Deps struct {
	NodeID int32
	Meta   *metadata.Node
	Parts  *partition.Manager
	Store  *storage.Manager
	Config *config.Broker
	Groups *group.Coordinator
	Txns   *txn.Coordinator
	// PIDs hands out producer ids (shared with the transaction
	// coordinator).
	PIDs *txn.ProducerIDs
	Log  *slog.Logger
	// Now is the clock; tests may replace it.
	Now func() time.Time
}

// broker is the receiver of every handler.
type broker struct {
	Deps
	sessions *fetchSessions
}

// NewTable builds the handler table: the single list of implemented APIs
// and versions.
func NewTable(d Deps) *Table {
	if d.Now == nil {
		d.Now = time.Now
	}
	b := &broker{Deps: d}
	slots := int(d.Config.MaxIncrementalFetchSessionCacheSlots)
	b.sessions = newFetchSessions(slots)
	if b.PIDs == nil {
		b.PIDs = &txn.ProducerIDs{Meta: d.Meta}
	}
	t := &Table{}
	// Produce is advertised from v0 although v0-v2 (message formats 0 and 1)
	// are refused: librdkafka up to 2.11 enables gzip, snappy and lz4 only
	// when the broker lists Produce v0, as Kafka 4 does for that reason.
	t.add(&Handler{Key: 0, MinVersion: 0, MaxVersion: 12, Handle: b.produce})
	t.add(&Handler{Key: 1, MinVersion: 4, MaxVersion: 16, Handle: b.fetch})
	t.add(&Handler{Key: 2, MinVersion: 1, MaxVersion: 8, Handle: b.listOffsets})
	t.add(&Handler{Key: 3, MinVersion: 0, MaxVersion: 12, Handle: b.metadata})
	t.add(&Handler{Key: 18, MinVersion: 0, MaxVersion: 4, Handle: b.apiVersions(t)})
	t.add(&Handler{Key: 19, MinVersion: 2, MaxVersion: 7, Handle: b.createTopics})
	t.add(&Handler{Key: 20, MinVersion: 1, MaxVersion: 6, Handle: b.deleteTopics})
	t.add(&Handler{Key: 21, MinVersion: 0, MaxVersion: 2, Handle: b.deleteRecords})
	t.add(&Handler{Key: 22, MinVersion: 0, MaxVersion: 5, Handle: b.initProducerID})
	t.add(&Handler{Key: 23, MinVersion: 2, MaxVersion: 4, Handle: b.offsetForLeaderEpoch})
	t.add(&Handler{Key: 32, MinVersion: 0, MaxVersion: 4, Handle: b.describeConfigs})
	t.add(&Handler{Key: 33, MinVersion: 0, MaxVersion: 2, Handle: b.alterConfigs})
	t.add(&Handler{Key: 35, MinVersion: 0, MaxVersion: 4, Handle: b.describeLogDirs})
	t.add(&Handler{Key: 37, MinVersion: 0, MaxVersion: 3, Handle: b.createPartitions})
	t.add(&Handler{Key: 44, MinVersion: 0, MaxVersion: 1, Handle: b.incrementalAlterConfigs})
	t.add(&Handler{Key: 60, MinVersion: 0, MaxVersion: 1, Handle: b.describeCluster})
	b.registerGroupAPIs(t)
	b.registerTxnAPIs(t)
	b.registerClusterAPIs(t)
	return t
}

// clusterID is the id from the current image.
func (b *broker) image() *metadata.Image { return b.Meta.Image() }
