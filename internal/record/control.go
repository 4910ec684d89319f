package record

import (
	"encoding/binary"
	"fmt"
)

// ControlType is the type field of a control record's key.
type ControlType int16

// Kafka's control record types: transaction markers.
const (
	ControlAbort  ControlType = 0
	ControlCommit ControlType = 1
)

func (t ControlType) String() string {
	switch t {
	case ControlAbort:
		return "ABORT"
	case ControlCommit:
		return "COMMIT"
	}
	return fmt.Sprintf("control(%d)", int16(t))
}

// Control record layout: key = version int16 (0) | type int16;
// value (markers) = version int16 (0) | coordinatorEpoch int32.
const (
	controlKeySize   = 4
	markerValueSize  = 6
	controlVersion   = 0
	maxControlBatchN = 1
)

// MarkerOptions describe a transaction marker batch.
type MarkerOptions struct {
	ProducerID           int64
	ProducerEpoch        int16
	Commit               bool
	CoordinatorEpoch     int32
	PartitionLeaderEpoch int32
	Timestamp            int64
}

// BuildMarker encodes a transaction marker as Kafka writes it: a batch with
// the control and transactional attributes, the producer's id and epoch,
// BaseSequence -1 and one control record.
func BuildMarker(o MarkerOptions) []byte {
	typ := ControlAbort
	if o.Commit {
		typ = ControlCommit
	}
	key := make([]byte, controlKeySize)
	binary.BigEndian.PutUint16(key, controlVersion)
	binary.BigEndian.PutUint16(key[2:], uint16(typ))
	val := make([]byte, markerValueSize)
	binary.BigEndian.PutUint16(val, controlVersion)
	binary.BigEndian.PutUint32(val[2:], uint32(o.CoordinatorEpoch))
	out, err := Build(BuildOptions{
		ProducerID: o.ProducerID, ProducerEpoch: o.ProducerEpoch, BaseSequence: -1,
		Transactional: true, Control: true,
		FirstTimestamp: o.Timestamp, MaxTimestamp: o.Timestamp,
		PartitionLeaderEpoch: o.PartitionLeaderEpoch,
	}, []Record{{Key: key, Value: val}})
	if err != nil {
		// Build fails only for an unknown codec or an oversized batch,
		// neither possible here.
		panic(fmt.Sprintf("build marker: %v", err))
	}
	return out
}

// ControlInfo is what a control batch says.
type ControlInfo struct {
	Type             ControlType
	CoordinatorEpoch int32 // -1 when the value is absent (not a marker)
}

// ParseControl decodes the control record of a control batch. Kafka puts
// exactly one record in a control batch; anything else is ErrInvalidRecord.
func ParseControl(b Batch) (ControlInfo, error) {
	if len(b) < HeaderSize || !b.IsControl() {
		return ControlInfo{}, fmt.Errorf("not a control batch: %w", ErrInvalidRecord)
	}
	recs, err := b.Records()
	if err != nil {
		return ControlInfo{}, fmt.Errorf("control batch: %w", err)
	}
	if len(recs) != maxControlBatchN {
		return ControlInfo{}, fmt.Errorf("control batch with %d records: %w", len(recs), ErrInvalidRecord)
	}
	return ParseControlRecord(recs[0].Key, recs[0].Value)
}

// ParseControlRecord decodes a control record's key and value.
func ParseControlRecord(key, value []byte) (ControlInfo, error) {
	if len(key) < controlKeySize {
		return ControlInfo{}, fmt.Errorf("control key of %d bytes: %w", len(key), ErrInvalidRecord)
	}
	if v := int16(binary.BigEndian.Uint16(key)); v < 0 {
		return ControlInfo{}, fmt.Errorf("control key version %d: %w", v, ErrInvalidRecord)
	}
	ci := ControlInfo{Type: ControlType(int16(binary.BigEndian.Uint16(key[2:]))), CoordinatorEpoch: -1}
	if ci.Type != ControlAbort && ci.Type != ControlCommit {
		// Other control types exist (KIP-853 voters etc.); they are not
		// transaction markers and carry other values.
		return ci, nil
	}
	if len(value) < markerValueSize {
		return ControlInfo{}, fmt.Errorf("marker value of %d bytes: %w", len(value), ErrInvalidRecord)
	}
	if v := int16(binary.BigEndian.Uint16(value)); v < 0 {
		return ControlInfo{}, fmt.Errorf("marker value version %d: %w", v, ErrInvalidRecord)
	}
	ci.CoordinatorEpoch = int32(binary.BigEndian.Uint32(value[2:]))
	return ci, nil
}

// IsMarker reports whether the control type is a transaction marker.
func (c ControlInfo) IsMarker() bool { return c.Type == ControlAbort || c.Type == ControlCommit }
