package server

import (
	"encoding/binary"
	"errors"
)

// requestHeader is the part of a request frame before the body (header v1
// or v2; v0 is not sent by any client Gregor supports).
type requestHeader struct {
	apiKey        int16
	apiVersion    int16
	correlationID int32
	clientID      string
}

var errShortHeader = errors.New("request header truncated")

// parseHeader parses the fixed header fields and the nullable client id. It
// does not consume the tagged fields of header v2: whether they exist depends
// on the request's version, which the caller learns from the handler table.
func parseHeader(frame []byte) (requestHeader, []byte, error) {
	var h requestHeader
	if len(frame) < 10 {
		return h, nil, errShortHeader
	}
	h.apiKey = int16(binary.BigEndian.Uint16(frame[0:]))
	h.apiVersion = int16(binary.BigEndian.Uint16(frame[2:]))
	h.correlationID = int32(binary.BigEndian.Uint32(frame[4:]))
	n := int16(binary.BigEndian.Uint16(frame[8:]))
	rest := frame[10:]
	if n >= 0 {
		if int(n) > len(rest) {
			return h, nil, errShortHeader
		}
		h.clientID = string(rest[:n])
		rest = rest[n:]
	} else if n != -1 {
		return h, nil, errors.New("bad client id length")
	}
	return h, rest, nil
}

// skipTags consumes a tagged-field section (header v2).
func skipTags(b []byte) ([]byte, error) {
	count, n := binary.Uvarint(b)
	if n <= 0 {
		return nil, errShortHeader
	}
	b = b[n:]
	for i := uint64(0); i < count; i++ {
		if _, n = binary.Uvarint(b); n <= 0 {
			return nil, errShortHeader
		}
		b = b[n:]
		size, n := binary.Uvarint(b)
		if n <= 0 || size > uint64(len(b)-n) {
			return nil, errShortHeader
		}
		b = b[n+int(size):]
	}
	return b, nil
}
