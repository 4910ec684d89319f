package handlers

import (
	"container/list"
	"math/rand/v2"
	"sync"
)

// Fetch sessions (KIP-227). A session remembers the partitions a client
// fetches and what it was last told about each, so that incremental fetch
// requests and responses carry only what changed. The cache holds at most
// max.incremental.fetch.session.cache.slots sessions; when full, the least
// recently used session is evicted (its client gets
// FETCH_SESSION_ID_NOT_FOUND and falls back to a full fetch).

type sessionKey struct {
	topic     string
	partition int32
}

type sessionPartition struct {
	topicID            [16]byte
	fetchOffset        int64
	maxBytes           int32
	currentLeaderEpoch int32
	// What the client was last sent; -1 before the first response.
	lastHW, lastLSO, lastLogStart int64
}

type fetchSession struct {
	id        int32
	epoch     int32 // the epoch the next request must carry
	order     []sessionKey
	parts     map[sessionKey]*sessionPartition
	elem      *list.Element
	inUse     bool
	createdBy uint64 // connection id, for logs
}

type fetchSessions struct {
	mu    sync.Mutex
	slots int
	byID  map[int32]*fetchSession
	lru   *list.List // front = most recent
}

func newFetchSessions(slots int) *fetchSessions {
	if slots < 0 {
		slots = 0
	}
	return &fetchSessions{slots: slots, byID: make(map[int32]*fetchSession), lru: list.New()}
}

// create makes a new session, evicting the least recently used one when the
// cache is full. It returns nil when sessions are disabled (0 slots).
func (c *fetchSessions) create(connID uint64) *fetchSession {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.slots == 0 {
		return nil
	}
	for len(c.byID) >= c.slots {
		back := c.lru.Back()
		if back == nil {
			return nil
		}
		old := back.Value.(*fetchSession)
		c.lru.Remove(back)
		delete(c.byID, old.id)
	}
	var id int32
	for id == 0 || c.byID[id] != nil {
		id = rand.Int32N(1<<31 - 1)
	}
	s := &fetchSession{id: id, epoch: 1, parts: make(map[sessionKey]*sessionPartition), createdBy: connID}
	s.elem = c.lru.PushFront(s)
	c.byID[id] = s
	return s
}

func (c *fetchSessions) get(id int32) *fetchSession {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.byID[id]
	if s != nil {
		c.lru.MoveToFront(s.elem)
	}
	return s
}

func (c *fetchSessions) remove(id int32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.byID[id]; s != nil {
		c.lru.Remove(s.elem)
		delete(c.byID, id)
	}
}

// Len is the number of cached sessions (exported as a metric).
func (c *fetchSessions) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.byID)
}
