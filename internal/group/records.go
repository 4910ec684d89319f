package group

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// Key versions of __consumer_offsets records: 0 and 1 are offset commits,
// 2 is group metadata (Kafka's layout).
const (
	keyOffsetV0     = 0
	keyOffsetV1     = 1
	keyGroupV2      = 2
	offsetValueVer  = 3
	groupValueVer   = 3
	minKeyHeaderLen = 2
)

var errBadRecord = errors.New("malformed __consumer_offsets record")

// offsetKey encodes an offset commit key (version 1).
func offsetKey(g, topic string, part int32) []byte {
	k := kmsg.OffsetCommitKey{Version: keyOffsetV1, Group: g, Topic: topic, Partition: part}
	return k.AppendTo(nil)
}

// offsetValue encodes an offset commit value (version 3: no expire time,
// with the leader epoch).
func offsetValue(o offset) []byte {
	v := kmsg.NewOffsetCommitValue()
	v.Version = offsetValueVer
	v.Offset = o.Offset
	v.LeaderEpoch = o.LeaderEpoch
	v.Metadata = o.Metadata
	v.CommitTimestamp = o.CommitTime
	return v.AppendTo(nil)
}

// groupKey encodes a group metadata key (version 2).
func groupKey(g string) []byte {
	k := kmsg.GroupMetadataKey{Version: keyGroupV2, Group: g}
	return k.AppendTo(nil)
}

// decoded is one record of __consumer_offsets, decoded.
type decoded struct {
	isOffset bool
	group    string
	topic    string
	part     int32
	// off is nil for an offset tombstone.
	off *offset
	// meta is nil for a group tombstone.
	meta *kmsg.GroupMetadataValue
}

// decodeRecord decodes a key and value of __consumer_offsets. Records with
// key versions it does not know (newer Kafka record types) return ok false
// and no error, so a replay can skip them.
func decodeRecord(key, value []byte) (d decoded, ok bool, err error) {
	if len(key) < minKeyHeaderLen {
		return d, false, fmt.Errorf("key of %d bytes: %w", len(key), errBadRecord)
	}
	ver := int16(binary.BigEndian.Uint16(key))
	switch ver {
	case keyOffsetV0, keyOffsetV1:
		var k kmsg.OffsetCommitKey
		if err := k.ReadFrom(key); err != nil {
			return d, false, fmt.Errorf("offset key: %w: %v", errBadRecord, err)
		}
		d = decoded{isOffset: true, group: k.Group, topic: k.Topic, part: k.Partition}
		if value == nil {
			return d, true, nil
		}
		var v kmsg.OffsetCommitValue
		if err := v.ReadFrom(value); err != nil {
			return d, false, fmt.Errorf("offset value: %w: %v", errBadRecord, err)
		}
		if v.Version < 0 || v.Version > 4 {
			return d, false, fmt.Errorf("offset value version %d: %w", v.Version, errBadRecord)
		}
		epoch := int32(-1)
		if v.Version >= 3 {
			epoch = v.LeaderEpoch
		}
		d.off = &offset{Offset: v.Offset, LeaderEpoch: epoch, Metadata: v.Metadata, CommitTime: v.CommitTimestamp}
		return d, true, nil
	case keyGroupV2:
		var k kmsg.GroupMetadataKey
		if err := k.ReadFrom(key); err != nil {
			return d, false, fmt.Errorf("group key: %w: %v", errBadRecord, err)
		}
		d = decoded{group: k.Group}
		if value == nil {
			return d, true, nil
		}
		var v kmsg.GroupMetadataValue
		if err := v.ReadFrom(value); err != nil {
			return d, false, fmt.Errorf("group value: %w: %v", errBadRecord, err)
		}
		if v.Version < 0 || v.Version > 4 {
			return d, false, fmt.Errorf("group value version %d: %w", v.Version, errBadRecord)
		}
		d.meta = &v
		return d, true, nil
	default:
		if ver < 0 {
			return d, false, fmt.Errorf("key version %d: %w", ver, errBadRecord)
		}
		return d, false, nil
	}
}
