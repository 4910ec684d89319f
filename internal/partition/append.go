package partition

import (
	"errors"
	"fmt"

	"github.com/gregor-stream/gregor/internal/record"
	"github.com/gregor-stream/gregor/internal/storage"
)

// Acks values a producer may ask for.
const (
	AcksNone   = 0
	AcksLeader = 1
	AcksAll    = -1
)

// Append validates records against the topic's configuration, appends them
// as leader and calls done once the acks level is met. done runs on another
// goroutine for acks=all. Duplicate idempotent batches are answered with
// the offsets of the original append, as Kafka does.
func (p *Partition) Append(records []byte, acks int16, done func(storage.AppendInfo, error)) {
	if acks != AcksNone && acks != AcksLeader && acks != AcksAll {
		done(storage.AppendInfo{}, ErrInvalidRequiredAcks)
		return
	}
	p.mu.Lock()
	leader, epoch := p.leader, p.leaderEpoch
	isrLen := len(p.isr)
	p.mu.Unlock()
	if leader != p.nodeID {
		done(storage.AppendInfo{}, ErrNotLeader)
		return
	}
	cfg := p.Config()
	if acks == AcksAll && int32(isrLen) < cfg.MinInsyncReplicas {
		done(storage.AppendInfo{}, ErrNotEnoughReplicas)
		return
	}
	records, err := p.prepare(records)
	if err != nil {
		done(storage.AppendInfo{}, err)
		return
	}
	appendTime := int64(-1)
	if cfg.MessageTimestampType == "LogAppendTime" {
		appendTime = p.now().UnixMilli()
	}
	info, err := p.log.Append(records, epoch, appendTime)
	if errors.Is(err, storage.ErrDuplicateSequence) {
		// The original batch was acknowledged or is about to be; answer
		// once it is committed, with its offsets.
		err = nil
	}
	if err != nil {
		done(info, err)
		return
	}
	end := info.LastOffset + 1
	p.wakeLogEnd()
	if acks == AcksAll {
		p.mu.Lock()
		p.ackWaiters = append(p.ackWaiters, ackWaiter{offset: end, fn: func(err error) { done(info, err) }, produce: true})
		p.mu.Unlock()
	}
	p.maybeAdvanceHW()
	// Every append asks for a flush: with the default policy the
	// group-commit flusher makes it durable soon, whatever the acks.
	p.log.WhenFlushed(p.log.LogEndOffset(), func(err error) {
		if err != nil {
			p.failWaiters(end, err)
			return
		}
		p.maybeAdvanceHW()
	})
	if acks != AcksAll {
		done(info, nil)
	}
}

// failWaiters surfaces a flush error to the acks=all waiters it covers
// instead of letting them wait for durability that cannot come.
func (p *Partition) failWaiters(end int64, err error) {
	p.mu.Lock()
	var failed []ackWaiter
	kept := p.ackWaiters[:0]
	for _, w := range p.ackWaiters {
		if w.offset <= end {
			failed = append(failed, w)
		} else {
			kept = append(kept, w)
		}
	}
	// Drop the moved-out tail: it would keep finished requests (and their
	// frames) reachable through the backing array.
	clear(p.ackWaiters[len(kept):])
	p.ackWaiters = kept
	p.mu.Unlock()
	for _, w := range failed {
		w.fn(err)
	}
}

// prepare validates every batch and applies topic-level recompression.
func (p *Partition) prepare(records []byte) ([]byte, error) {
	cfg := p.Config()
	target, recompress := codecFor(cfg.CompressionType)
	n := 0
	needRewrite := false
	err := record.Split(records, func(b record.Batch) error {
		n++
		if int32(b.Length()) > cfg.MaxMessageBytes && cfg.MaxMessageBytes > 0 {
			return ErrMessageTooLarge
		}
		if err := record.Validate(b, true); err != nil {
			return err
		}
		if b.IsControl() {
			return fmt.Errorf("control batch from a client: %w", record.ErrInvalidRecord)
		}
		if recompress && b.Codec() != target {
			needRewrite = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, fmt.Errorf("no record batch: %w", record.ErrCorrupt)
	}
	if !needRewrite {
		return records, nil
	}
	return recompressAll(records, target)
}

// recompressAll rewrites each batch with codec, keeping producer fields,
// so compression.type on the topic wins over the producer's choice.
func recompressAll(records []byte, codec record.Codec) ([]byte, error) {
	var out []byte
	err := record.Split(records, func(b record.Batch) error {
		if b.Codec() == codec {
			out = append(out, b...)
			return nil
		}
		recs, err := b.Records()
		if err != nil {
			return err
		}
		nb, err := record.Build(record.BuildOptions{
			Codec:          codec,
			ProducerID:     b.ProducerID(),
			ProducerEpoch:  b.ProducerEpoch(),
			BaseSequence:   b.BaseSequence(),
			Transactional:  b.IsTransactional(),
			FirstTimestamp: b.FirstTimestamp(),
			MaxTimestamp:   b.MaxTimestamp(),
		}, recs)
		if err != nil {
			return fmt.Errorf("recompress: %w", err)
		}
		out = append(out, nb...)
		return nil
	})
	return out, err
}
