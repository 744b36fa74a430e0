// Package djangoref locates, for the interop tests, the reference Django
// project in testdata/django_ref (the seed tutorial's Django REST framework
// + djangorestframework-simplejwt app, run on Debian's packages) and the
// Python that runs it.
package djangoref

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// Dir is the reference project: $JWTGATE_DJANGO_REF, or the repository's
// testdata/django_ref.
func Dir() string {
	if d := os.Getenv("JWTGATE_DJANGO_REF"); d != "" {
		return d
	}
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "django_ref")
}

// Python is the interpreter with Debian's Django packages: $JWTGATE_PYTHON,
// or /usr/bin/python3 (another python3 earlier on PATH may lack them).
func Python() string {
	if p := os.Getenv("JWTGATE_PYTHON"); p != "" {
		return p
	}
	return "/usr/bin/python3"
}

// Env is the environment of a reference process, without the settings of
// a database or a mode: PATH, a UTF-8 locale, the project on PYTHONPATH
// with no __pycache__ written into the repository, and varDir as HOME and
// REF_VAR_DIR (where the reference keeps its state). Nothing else of the
// caller's environment leaks in.
func Env(varDir string) []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + varDir,
		"LANG=C.UTF-8",
		"PYTHONDONTWRITEBYTECODE=1",
		"PYTHONPATH=" + Dir(),
		"REF_VAR_DIR=" + varDir,
	}
}

// Packages are the Debian packages the reference needs, for error messages.
const Packages = "python3-djangorestframework-simplejwt python3-psycopg2 gunicorn python3-argon2 python3-bcrypt"

// LocaleDirs returns the locale directories of the installed DRF,
// simplejwt and Django, in the reference's precedence (INSTALLED_APPS
// lists rest_framework before rest_framework_simplejwt; Django's own
// catalog comes last), as Python finds them.
func LocaleDirs() ([]string, error) {
	out, err := exec.Command(Python(), "-c", `import os, django, rest_framework, rest_framework_simplejwt as s
for m in (rest_framework, s):
    print(os.path.join(os.path.dirname(m.__file__), "locale"))
print(os.path.join(os.path.dirname(django.__file__), "conf", "locale"))`).Output()
	if err != nil {
		return nil, fmt.Errorf("finding the locale directories with %s: %w", Python(), err)
	}
	return strings.Fields(string(out)), nil
}
