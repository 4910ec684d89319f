package group

// Coordinator is the consumer group coordinator of this node. (Being built:
// see issue 3.)
type Coordinator struct{}
