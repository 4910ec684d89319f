package handlers

import (
	"context"
	"net"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// RequestContext is what a handler knows about the request besides its body.
type RequestContext struct {
	// Ctx is cancelled when the connection closes, so a waiting handler can
	// give up early.
	Ctx           context.Context
	ClientID      string
	ClientAddr    net.Addr
	ConnID        uint64
	CorrelationID int32
	Version       int16
}

// Reply completes a request. It must be called exactly once, from any
// goroutine. A nil response means "send nothing" (produce with acks=0).
type Reply func(kmsg.Response)

// Handler serves one Kafka API.
type Handler struct {
	Key        int16
	MinVersion int16
	MaxVersion int16
	// Handle may call reply before returning or later (two-phase).
	Handle func(rc *RequestContext, req kmsg.Request, reply Reply)
}

// Table maps API keys to handlers. It also drives the ApiVersions response,
// so advertised and implemented versions cannot drift.
type Table struct {
	byKey map[int16]*Handler
}

// Lookup returns the handler for key, or nil.
func (t *Table) Lookup(key int16) *Handler {
	if t == nil {
		return nil
	}
	return t.byKey[key]
}

// Register adds h, replacing any handler of the same key.
func (t *Table) Register(h *Handler) { t.add(h) }

func (t *Table) add(h *Handler) {
	if t.byKey == nil {
		t.byKey = make(map[int16]*Handler)
	}
	t.byKey[h.Key] = h
}

// Keys lists the registered API keys.
func (t *Table) Keys() []int16 {
	keys := make([]int16, 0, len(t.byKey))
	for k := range t.byKey {
		keys = append(keys, k)
	}
	return keys
}
