package token

import (
	"crypto"
	"crypto/hmac"
	"hash"
	"sync"
)

// newHMACPool returns a pool of keyed HMAC instances. Keying an HMAC costs
// two allocations and two compression-function calls; reusing instances
// keeps the verify path free of both.
func newHMACPool(h crypto.Hash, key []byte) *sync.Pool {
	return &sync.Pool{New: func() any { return hmac.New(h.New, key) }}
}

// hmacEqual reports whether sig is the HMAC of msg. The MAC is
// appended to scratch, which is returned so the caller keeps a grown
// buffer.
func (k *keyImpl) hmacEqual(msg, sig, scratch []byte) (bool, []byte) {
	h := k.hmacPool.Get().(hash.Hash)
	h.Reset()
	h.Write(msg)
	start := len(scratch)
	scratch = h.Sum(scratch)
	k.hmacPool.Put(h)
	return hmac.Equal(scratch[start:], sig), scratch
}
