package handlers

// ApiVersions (key 18), versions 0-4.
//
// The list is built from the handler table, so a version is advertised
// exactly when it is implemented. v3+ carries the client software name and
// version (KIP-511), which Gregor accepts and ignores. Feature flags
// (KIP-584) are not advertised.

import (
	"sort"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// APIVersionKeys lists every implemented API with its version range.
func APIVersionKeys(t *Table) []kmsg.ApiVersionsResponseApiKey {
	keys := t.Keys()
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	out := make([]kmsg.ApiVersionsResponseApiKey, 0, len(keys))
	for _, k := range keys {
		h := t.Lookup(k)
		out = append(out, kmsg.ApiVersionsResponseApiKey{ApiKey: k, MinVersion: h.MinVersion, MaxVersion: h.MaxVersion})
	}
	return out
}

func (b *broker) apiVersions(t *Table) func(*RequestContext, kmsg.Request, Reply) {
	return func(rc *RequestContext, r kmsg.Request, reply Reply) {
		resp := kmsg.NewPtrApiVersionsResponse()
		resp.ApiKeys = APIVersionKeys(t)
		reply(resp)
	}
}
