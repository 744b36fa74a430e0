package main

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/internal/testenv"
)

// lockedBuffer collects a child's stderr while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestBinary builds the command, runs it as an operator would (default
// database under the working directory), and stops it with a signal.
func TestBinary(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build the binary: %v", err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "upstream-example")
	if out, err := exec.Command(goBin, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	// First run: seed, write, stop with SIGINT.
	addr := testenv.FreeAddr(t)
	p := startBinary(t, bin, dir, addr)
	base := "http://" + addr
	if body := get(t, base+"/movieapi/movie/"); !strings.HasPrefix(body, `[{"id":1,"title":"The Shawshank Redemption"`) {
		t.Errorf("seed list: %s", body)
	}
	req, _ := http.NewRequest("POST", base+"/movieapi/movie/", strings.NewReader(`{"title":"From the binary","storyline":"s"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-User-Id", "1")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 201 {
		t.Fatalf("create: %d", res.StatusCode)
	}
	p.stop(t, os.Interrupt)
	log := p.stderr.String()
	if !strings.Contains(log, "listening on http://"+addr+", database ./var/upstream.sqlite3") {
		t.Errorf("start line missing from the log:\n%s", log)
	}
	if _, err := os.Stat(filepath.Join(dir, "var", "upstream.sqlite3")); err != nil {
		t.Errorf("database file: %v", err)
	}

	// Second run on the same database: the data is there; SIGTERM stops it.
	addr = testenv.FreeAddr(t)
	p = startBinary(t, bin, dir, addr)
	body := get(t, "http://"+addr+"/movieapi/movie/")
	if !strings.Contains(body, `{"id":4,"title":"From the binary"`) || strings.Count(body, `"title"`) != 4 {
		t.Errorf("after restart: %s", body)
	}
	p.stop(t, syscall.SIGTERM)
}

type process struct {
	cmd    *exec.Cmd
	stderr *lockedBuffer
	done   chan error
}

// startBinary runs bin in dir on addr, with no UPSTREAM_* variable but
// UPSTREAM_ADDR, and waits (bounded) until /healthz answers.
func startBinary(t *testing.T, bin, dir, addr string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(bin), stderr: &lockedBuffer{}, done: make(chan error, 1)}
	p.cmd.Dir = dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "UPSTREAM_") {
			p.cmd.Env = append(p.cmd.Env, kv)
		}
	}
	p.cmd.Env = append(p.cmd.Env, "UPSTREAM_ADDR="+addr)
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	client := &http.Client{Timeout: time.Second}
	for range 100 {
		select {
		case err := <-p.done:
			t.Fatalf("exited before it was ready: %v\n%s", err, p.stderr)
		default:
		}
		if res, err := client.Get("http://" + addr + "/healthz"); err == nil {
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode == 200 && string(b) == "ok" {
				return p
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("not ready after 100 tries\n%s", p.stderr)
	return nil
}

// stop sends sig and expects a clean exit (status 0) within 5 s.
func (p *process) stop(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Errorf("exit after %v: %v\n%s", sig, err, p.stderr)
		}
	case <-time.After(5 * time.Second):
		t.Errorf("still running 5 s after %v\n%s", sig, p.stderr)
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
