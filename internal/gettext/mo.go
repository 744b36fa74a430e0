// Package gettext reads the gettext catalogs (.mo files) of a Django
// installation and chooses a language for a request as Django does, so that
// jwtgate answers in the client's language without a copy of any
// translation.
package gettext

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// MaxMOSize bounds a .mo file; Django's own largest catalog is about 40 KB
// of messages per language, DRF's and simplejwt's far less.
const MaxMOSize = 8 << 20

const (
	moMagicLE = 0x950412de
	moMagicBE = 0xde120495
)

// ReadMO reads the .mo file at path and returns the translations of the
// message ids keep reports true for (all when keep is nil). It refuses a
// file that is not a well-formed .mo catalog, naming it.
func ReadMO(path string, keep func(msgid string) bool) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxMOSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(data) > MaxMOSize {
		return nil, fmt.Errorf("%s: larger than %d bytes, not a gettext catalog", path, MaxMOSize)
	}
	m, err := ParseMO(data, keep)
	if err != nil {
		return nil, fmt.Errorf("%s: not a valid gettext .mo catalog: %w", path, err)
	}
	return m, nil
}

// ParseMO parses a GNU .mo catalog (either byte order, revision 0 or 1).
// Every table and string must lie inside data; the header entry (the empty
// msgid) and context entries ("ctx\x04id") are skipped; a plural entry
// ("id\x00plural") is kept under its singular id with its first form.
func ParseMO(data []byte, keep func(msgid string) bool) (map[string]string, error) {
	if len(data) < 28 {
		return nil, errors.New("too short for a header")
	}
	var bo binary.ByteOrder
	switch binary.LittleEndian.Uint32(data) {
	case moMagicLE:
		bo = binary.LittleEndian
	case moMagicBE:
		bo = binary.BigEndian
	default:
		return nil, errors.New("bad magic number")
	}
	if major := bo.Uint32(data[4:]) >> 16; major > 1 {
		return nil, fmt.Errorf("unknown major revision %d", major)
	}
	n := uint64(bo.Uint32(data[8:]))
	origTab, transTab := uint64(bo.Uint32(data[12:])), uint64(bo.Uint32(data[16:]))
	size := uint64(len(data))
	if n > size/16 || origTab+8*n > size || transTab+8*n > size {
		return nil, fmt.Errorf("%d entries do not fit in %d bytes", n, size)
	}
	str := func(tab, i uint64) ([]byte, error) {
		l, off := uint64(bo.Uint32(data[tab+8*i:])), uint64(bo.Uint32(data[tab+8*i+4:]))
		if off+l >= size || data[off+l] != 0 { // each string is NUL-terminated
			return nil, fmt.Errorf("string %d out of bounds or not terminated", i)
		}
		return data[off : off+l], nil
	}
	m := make(map[string]string)
	for i := uint64(0); i < n; i++ {
		id, err := str(origTab, i)
		if err != nil {
			return nil, err
		}
		tr, err := str(transTab, i)
		if err != nil {
			return nil, err
		}
		if len(id) == 0 || bytes.IndexByte(id, 4) >= 0 {
			continue // the header, or an entry with a context
		}
		if j := bytes.IndexByte(id, 0); j >= 0 {
			id = id[:j]
			if k := bytes.IndexByte(tr, 0); k >= 0 {
				tr = tr[:k]
			}
		}
		if keep != nil && !keep(string(id)) {
			continue
		}
		m[string(id)] = string(tr)
	}
	return m, nil
}
