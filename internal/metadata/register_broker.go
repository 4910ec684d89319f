package metadata

import (
	"context"
	"fmt"
)

// RegisterBroker records this (or another) broker's listener. A zero
// Incarnation gets a random one; a re-registration replaces the previous
// one (a restart). The broker is registered unfenced: there are no
// heartbeats yet, so a registered broker is a live one.
func (n *Node) RegisterBroker(ctx context.Context, b Broker) error {
	if b.ID < 0 {
		return fmt.Errorf("%w: broker id %d", ErrInvalidRequest, b.ID)
	}
	if b.Host == "" || b.Port <= 0 || b.Port > 65535 {
		return fmt.Errorf("%w: broker %d listener %s:%d", ErrInvalidRequest, b.ID, b.Host, b.Port)
	}
	if b.Incarnation == ([16]byte{}) {
		b.Incarnation = newUUID()
	}
	if r := n.forwardTo(); r != nil {
		return r.RegisterBroker(ctx, b)
	}
	img, err := n.lead()
	if err != nil {
		return err
	}
	defer n.ctrlMu.Unlock()
	if cur, ok := img.Brokers[b.ID]; ok && cur == b {
		return nil
	}
	_, err = n.propose(ctx, []record{brokerRecord{
		ID: b.ID, Host: b.Host, Port: b.Port, Rack: b.Rack, Incarnation: b.Incarnation, Fenced: b.Fenced,
	}})
	return err
}
