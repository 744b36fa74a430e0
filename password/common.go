package password

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"sync"

	"github.com/jwtgate/jwtgate/internal/pystr"
)

// commonPasswordsGz is Django's list of 20,000 common passwords
// (lowercased and deduplicated; created by Royce Williams,
// https://gist.github.com/roycewilliams/281ce539915a947a23db17137d91aeb7),
// copied unchanged from Django 3.2's
// django/contrib/auth/common-passwords.txt.gz (Debian python3-django
// 3.2.25; SHA-256 a73d3d14f1e9ee570a18232dc1edfd129dc9c0da4315da2b69ad6d92914a6fe6).
// Django is distributed under the BSD 3-Clause license, Copyright (c)
// Django Software Foundation and individual contributors.
//
//go:embed common-passwords.txt.gz
var commonPasswordsGz []byte

// commonPasswords is the set CommonPasswordValidator builds,
// {line.strip() for line in file}, loaded on first use so that importing
// the package stays cheap.
var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	zr, err := gzip.NewReader(bytes.NewReader(commonPasswordsGz))
	if err != nil {
		panic("password: embedded common-passwords.txt.gz: " + err.Error())
	}
	set := make(map[string]struct{}, 20000)
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		set[pystr.Strip(sc.Text())] = struct{}{}
	}
	if err := sc.Err(); err != nil {
		panic("password: embedded common-passwords.txt.gz: " + err.Error())
	}
	return set
})

// isCommonPassword is CommonPasswordValidator's test:
// password.lower().strip() in the list.
func isCommonPassword(password string) bool {
	_, ok := commonPasswords()[pystr.Strip(pyLower(password))]
	return ok
}
