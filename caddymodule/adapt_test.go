package caddymodule

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/caddytest"
	_ "github.com/caddyserver/caddy/v2/modules/standard"
)

var update = flag.Bool("update", false, "rewrite the expected JSON of the adapt golden files")

// exampleEnv are the variables the example Caddyfile reads at adapt time;
// the golden JSON is for all of them unset.
var exampleEnv = []string{"JWTGATE_BIND", "JWTGATE_PORT", "JWTGATE_ADMIN", "UPSTREAM_ADDR", "ACCESS_TOKEN_LIFETIME",
	"REFRESH_TOKEN_LIFETIME", "ROTATE_REFRESH_TOKENS", "BLACKLIST_AFTER_ROTATION", "SIMPLEJWT_COMPAT",
	"REFRESH_TOKEN_REUSE_INTERVAL"}

func unsetEnv(t *testing.T, names ...string) {
	for _, n := range names {
		if v, ok := os.LookupEnv(n); ok {
			os.Unsetenv(n)
			t.Cleanup(func() { os.Setenv(n, v) })
		}
	}
}

// TestAdaptGolden adapts each testdata/adapt/*.caddyfiletest: the part
// before the "----------" line is a Caddyfile, the part after is either the
// JSON it must adapt to or a fragment of the error it must fail with.
func TestAdaptGolden(t *testing.T) {
	unsetEnv(t, exampleEnv...)
	files, err := filepath.Glob("testdata/adapt/*.caddyfiletest")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			caddyfile, expected, ok := strings.Cut(string(data), "----------")
			if !ok {
				t.Fatalf("%s has no ---------- separator", file)
			}
			caddyfile = strings.TrimSpace(caddyfile) + "\n"
			expected = strings.TrimSpace(expected)
			if expected == "" || expected[0] == '{' {
				compareAdapt(t, file, caddyfile, expected, func(got string) []byte {
					return []byte(strings.TrimSpace(caddyfile) + "\n----------\n" + got + "\n")
				})
				return
			}
			_, _, err = caddyconfig.GetAdapter("caddyfile").Adapt([]byte(caddyfile), nil)
			if err == nil {
				t.Fatalf("adapting succeeded; want an error containing %q", expected)
			}
			if !strings.Contains(err.Error(), expected) {
				t.Fatalf("error %q does not contain %q", err, expected)
			}
		})
	}
}

// TestAdaptExample adapts the repository's example Caddyfile, which the
// README runs, against testdata/adapt/example.json.
func TestAdaptExample(t *testing.T) {
	unsetEnv(t, exampleEnv...)
	src, err := os.ReadFile("../Caddyfile")
	if err != nil {
		t.Fatal(err)
	}
	golden := "testdata/adapt/example.json"
	want, err := os.ReadFile(golden)
	if err != nil && !*update {
		t.Fatalf("%v (run go test -run TestAdaptExample -update to create it)", err)
	}
	compareAdapt(t, golden, string(src), strings.TrimSpace(string(want)), func(got string) []byte { return []byte(got + "\n") })
}

// compareAdapt adapts caddyfile and compares the indented JSON with
// expected, or with -update rewrites file with the result.
func compareAdapt(t *testing.T, file, caddyfile, expected string, rewrite func(got string) []byte) {
	t.Helper()
	if *update {
		out, warnings, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(caddyfile), nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(warnings) > 0 {
			t.Fatalf("warnings: %v", warnings)
		}
		var buf bytes.Buffer
		if err := json.Indent(&buf, out, "", "\t"); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, rewrite(buf.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !caddytest.CompareAdapt(t, file, caddyfile, "caddyfile", expected) {
		t.Errorf("%s: adapted JSON differs (the diff is above; run with -update to accept)", file)
	}
}
