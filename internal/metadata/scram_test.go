package metadata

import (
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"testing"
)

// TestScramKeysRFC7677 checks the derived keys against the SCRAM-SHA-256
// exchange in RFC 7677, section 3: a server holding only StoredKey and
// ServerKey must verify the client's proof and produce the same signature.
func TestScramKeysRFC7677(t *testing.T) {
	salt, _ := base64.StdEncoding.DecodeString("W22ZaJ0SNY7soEsUEjb6gQ==")
	salted, err := pbkdf2.Key(sha256.New, "pencil", salt, 4096, 32)
	if err != nil {
		t.Fatal(err)
	}
	stored, server := ScramKeys(ScramSHA256, salted)
	auth := "n=user,r=rOprNGfwEbeRWgbNEkqO," +
		"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096," +
		"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
	proof, _ := base64.StdEncoding.DecodeString("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
	mac := hmac.New(sha256.New, stored)
	mac.Write([]byte(auth))
	sig := mac.Sum(nil)
	clientKey := make([]byte, len(proof))
	for i := range proof {
		clientKey[i] = proof[i] ^ sig[i]
	}
	h := sha256.Sum256(clientKey)
	if !hmac.Equal(h[:], stored) {
		t.Error("the RFC's client proof does not verify against StoredKey")
	}
	mac = hmac.New(sha256.New, server)
	mac.Write([]byte(auth))
	if got := base64.StdEncoding.EncodeToString(mac.Sum(nil)); got != "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=" {
		t.Errorf("server signature %s", got)
	}
}

func TestAlterScramCredentials(t *testing.T) {
	n := newNode(t)
	ctx := context.Background()
	ok := ScramUpsert{User: "alice", Mechanism: ScramSHA256, Iterations: 4096, Salt: []byte("salt"), SaltedPassword: []byte("salted")}
	res := n.AlterScramCredentials(ctx, []ScramUpsert{
		ok,
		{User: "bob", Mechanism: ScramSHA512, Iterations: 100, Salt: []byte("s"), SaltedPassword: []byte("p")},
		{User: "carol", Mechanism: 9, Iterations: 4096, Salt: []byte("s"), SaltedPassword: []byte("p")},
		{User: "dave", Mechanism: ScramSHA256, Iterations: 4096, Salt: []byte("s"), SaltedPassword: []byte("p")},
		{User: "dave", Mechanism: ScramSHA256, Iterations: 8192, Salt: []byte("s"), SaltedPassword: []byte("p")},
	}, []ScramDeletion{{User: "erin", Mechanism: ScramSHA256}})
	want := map[string]error{"alice": nil, "bob": ErrUnacceptableCredential, "carol": ErrUnsupportedSASLMechanism, "dave": ErrDuplicateResource, "erin": ErrResourceNotFound}
	if len(res) != len(want) {
		t.Fatalf("results %+v", res)
	}
	for _, r := range res {
		if w := want[r.User]; !errors.Is(r.Err, w) || (w == nil && r.Err != nil) {
			t.Errorf("%s: %v, want %v", r.User, r.Err, w)
		}
	}
	img := n.Image()
	if users := img.ScramUsers(); len(users) != 1 || users[0] != "alice" {
		t.Fatalf("users %v", users)
	}
	c := img.ScramCredentials["alice"][ScramSHA256]
	stored, server := ScramKeys(ScramSHA256, []byte("salted"))
	if c.Iterations != 4096 || string(c.Salt) != "salt" || !hmac.Equal(c.StoredKey, stored) || !hmac.Equal(c.ServerKey, server) {
		t.Errorf("credential %+v", c)
	}
	m := n.restart(t)
	if _, ok := m.Image().ScramCredentials["alice"][ScramSHA256]; !ok {
		t.Fatal("credential lost on restart")
	}
	res = m.AlterScramCredentials(ctx, nil, []ScramDeletion{{User: "alice", Mechanism: ScramSHA256}})
	if res[0].Err != nil || len(m.Image().ScramCredentials) != 0 {
		t.Errorf("delete: %v %v", res[0].Err, m.Image().ScramCredentials)
	}
}
