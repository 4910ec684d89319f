package metadata

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"hash"
	"sort"
)

// SCRAM mechanisms, Kafka's numbering in (Describe|Alter)UserScramCredentials.
const (
	ScramSHA256 int8 = 1
	ScramSHA512 int8 = 2
)

// Iteration bounds Kafka enforces for SCRAM credentials.
const (
	MinScramIterations = 4096
	MaxScramIterations = 16384
)

// ScramCredential is what the broker keeps of a SCRAM password (RFC 5802):
// never the password, only what verifies a client proof.
type ScramCredential struct {
	Salt       []byte
	StoredKey  []byte
	ServerKey  []byte
	Iterations int32
}

// ScramMechanismName returns the SASL name of a mechanism ("" if unknown).
func ScramMechanismName(m int8) string {
	switch m {
	case ScramSHA256:
		return "SCRAM-SHA-256"
	case ScramSHA512:
		return "SCRAM-SHA-512"
	}
	return ""
}

func scramHash(m int8) func() hash.Hash {
	if m == ScramSHA512 {
		return sha512.New
	}
	return sha256.New
}

// ScramKeys derives StoredKey and ServerKey from a salted password.
func ScramKeys(mechanism int8, saltedPassword []byte) (storedKey, serverKey []byte) {
	h := scramHash(mechanism)
	mac := hmac.New(h, saltedPassword)
	mac.Write([]byte("Client Key"))
	clientKey := mac.Sum(nil)
	sum := h()
	sum.Write(clientKey)
	storedKey = sum.Sum(nil)
	mac = hmac.New(h, saltedPassword)
	mac.Write([]byte("Server Key"))
	return storedKey, mac.Sum(nil)
}

// ScramUpsert sets a user's credential for one mechanism; the client
// sends the salted password, as in Kafka's AlterUserScramCredentials.
type ScramUpsert struct {
	User           string
	Mechanism      int8
	Iterations     int32
	Salt           []byte
	SaltedPassword []byte
}

// ScramDeletion removes a user's credential for one mechanism.
type ScramDeletion struct {
	User      string
	Mechanism int8
}

// ScramResult is the outcome for one user.
type ScramResult struct {
	User string
	Err  error
}

// AlterScramCredentials applies upserts and deletions; results come per
// user in order of first mention. A user named twice for the same
// mechanism fails with ErrDuplicateResource; one bad change fails all of
// that user's changes, and the valid users' changes commit as one batch.
func (n *Node) AlterScramCredentials(ctx context.Context, upserts []ScramUpsert, deletions []ScramDeletion) []ScramResult {
	var users []string
	userErr := map[string]error{}
	seen := map[string]map[int8]int{}
	note := func(user string, m int8) {
		if _, ok := userErr[user]; !ok {
			users = append(users, user)
			userErr[user] = nil
			seen[user] = map[int8]int{}
		}
		seen[user][m]++
	}
	for _, u := range upserts {
		note(u.User, u.Mechanism)
	}
	for _, d := range deletions {
		note(d.User, d.Mechanism)
	}
	results := func() []ScramResult {
		out := make([]ScramResult, len(users))
		for i, u := range users {
			out[i] = ScramResult{User: u, Err: userErr[u]}
		}
		return out
	}
	img, err := n.lead()
	if err != nil {
		for u := range userErr {
			userErr[u] = err
		}
		return results()
	}
	defer n.ctrlMu.Unlock()

	fail := func(user string, err error) {
		if userErr[user] == nil {
			userErr[user] = err
		}
	}
	for user, ms := range seen {
		if user == "" {
			fail(user, fmt.Errorf("%w: empty user name", ErrUnacceptableCredential))
		}
		for m, c := range ms {
			if c > 1 {
				fail(user, fmt.Errorf("%w: user %s mechanism %d changed more than once", ErrDuplicateResource, user, m))
			}
			if ScramMechanismName(m) == "" {
				fail(user, fmt.Errorf("%w: %d", ErrUnsupportedSASLMechanism, m))
			}
		}
	}
	for _, u := range upserts {
		switch {
		case u.Iterations < MinScramIterations || u.Iterations > MaxScramIterations:
			fail(u.User, fmt.Errorf("%w: %d iterations (%d..%d)", ErrUnacceptableCredential, u.Iterations, MinScramIterations, MaxScramIterations))
		case len(u.Salt) == 0 || len(u.SaltedPassword) == 0:
			fail(u.User, fmt.Errorf("%w: empty salt or password", ErrUnacceptableCredential))
		}
	}
	for _, d := range deletions {
		if _, ok := img.ScramCredentials[d.User][d.Mechanism]; !ok {
			fail(d.User, fmt.Errorf("%w: no %s credential for %s", ErrResourceNotFound, ScramMechanismName(d.Mechanism), d.User))
		}
	}
	var recs []record
	for _, u := range upserts {
		if userErr[u.User] != nil {
			continue
		}
		stored, server := ScramKeys(u.Mechanism, u.SaltedPassword)
		recs = append(recs, scramRecord{User: u.User, Mechanism: u.Mechanism, Salt: u.Salt, StoredKey: stored, ServerKey: server, Iterations: u.Iterations})
	}
	for _, d := range deletions {
		if userErr[d.User] == nil {
			recs = append(recs, removeScramRecord{User: d.User, Mechanism: d.Mechanism})
		}
	}
	if len(recs) > 0 {
		if _, err := n.propose(ctx, recs); err != nil {
			for u, e := range userErr {
				if e == nil {
					userErr[u] = err
				}
			}
		}
	}
	return results()
}

// ScramUsers returns the users with SCRAM credentials, sorted.
func (img *Image) ScramUsers() []string {
	out := make([]string, 0, len(img.ScramCredentials))
	for u := range img.ScramCredentials {
		out = append(out, u)
	}
	sort.Strings(out)
	return out
}
