// Command benchreport turns the measurements bench/run.sh records into the
// tables it prints: the proxy comparison (A upstream alone, B stock
// reverse_proxy, C jwtgate with a valid token, D with an invalid one) with
// the ratios C/B and D/B, the token routes against the Django reference,
// and the login storm.
//
// Usage: benchreport <results.tsv> <meta.env>
//
// results.tsv has one line per load (see bench/run.sh, record()):
//
//	group name server conns round requests duration_us p50_us p99_us
//	status_err sock_err cpu_us up_cpu_us rss_kb statuses
//
// cpu_us is the CPU time (user+system) the measured server spent during
// the load, up_cpu_us the upstream's (proxy group), rss_kb the server's
// resident set after it, statuses "code:count,…" where the load counted
// them. meta.env holds KEY=value lines (iterations, raw hash time, …).
//
// Every figure is a median over the rounds with its min–max; a ratio is
// taken within each round (the two loads ran one after the other) and
// then summarised the same way, so a slow moment of the machine moves
// both sides of a ratio.
package main

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
)

type load struct {
	group, name, server string
	conns, round        int
	requests            float64
	durationUS          float64
	p50, p99            float64
	statusErr, sockErr  float64
	cpuUS, upCPUUS      float64
	rssKB               float64
	statuses            map[int]float64
}

func (l load) rps() float64 { return l.requests / (l.durationUS / 1e6) }

func (l load) cpuPerReq() float64 {
	if l.requests == 0 {
		return math.NaN()
	}
	return l.cpuUS / l.requests
}

func (l load) upCPUPerReq() float64 {
	if l.requests == 0 || l.upCPUUS < 0 {
		return math.NaN()
	}
	return l.upCPUUS / l.requests
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: benchreport <results.tsv> <meta.env>")
		os.Exit(2)
	}
	loads, err := readLoads(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
	meta, err := readMeta(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
	r := &report{loads: loads, meta: meta}
	r.proxy()
	r.tokens()
	r.storm()
	r.forwardAuth()
	r.targets()
}

func readLoads(path string) ([]load, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []load
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		c := strings.Split(line, "\t")
		if len(c) != 15 {
			return nil, fmt.Errorf("%s:%d: %d fields, want 15", path, n, len(c))
		}
		num := func(i int) float64 {
			v, err := strconv.ParseFloat(c[i], 64)
			if err != nil {
				return math.NaN()
			}
			return v
		}
		l := load{group: c[0], name: c[1], server: c[2], conns: int(num(3)), round: int(num(4)),
			requests: num(5), durationUS: num(6), p50: num(7), p99: num(8), statusErr: num(9),
			sockErr: num(10), cpuUS: num(11), upCPUUS: num(12), rssKB: num(13), statuses: map[int]float64{}}
		if c[14] != "-" {
			for _, kv := range strings.Split(c[14], ",") {
				k, v, _ := strings.Cut(kv, ":")
				code, err1 := strconv.Atoi(k)
				count, err2 := strconv.ParseFloat(v, 64)
				if err1 == nil && err2 == nil {
					l.statuses[code] += count
				}
			}
		}
		out = append(out, l)
	}
	return out, sc.Err()
}

func readMeta(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			m[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return m, nil
}

type report struct {
	loads []load
	meta  map[string]string
	// figures the targets section reads
	cb64, cb1     stat
	ec64, ec1     stat // E/C: the identity assertion on / off
	cg64, cg1     stat // C/G: jwt_auth on / removed
	cgCPU64       stat // C − G CPU µs per request at 64 connections
	refreshRatios map[string]stat
	obtainVsRaw   stat
	haveObtain    bool
}

// stat is a median with its range.
type stat struct {
	med, min, max float64
	n             int
}

func summarise(xs []float64) stat {
	var v []float64
	for _, x := range xs {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			v = append(v, x)
		}
	}
	if len(v) == 0 {
		return stat{med: math.NaN(), min: math.NaN(), max: math.NaN()}
	}
	slices.Sort(v)
	med := v[len(v)/2]
	if len(v)%2 == 0 {
		med = (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return stat{med: med, min: v[0], max: v[len(v)-1], n: len(v)}
}

func (s stat) ok() bool { return s.n > 0 }

// fmtRange prints "med [min–max]" with the given format for each number.
func (s stat) fmtRange(f string) string {
	if !s.ok() {
		return "–"
	}
	if s.n == 1 {
		return fmt.Sprintf(f, s.med)
	}
	return fmt.Sprintf(f+" ["+f+"–"+f+"]", s.med, s.min, s.max)
}

func (s stat) fmt(f string) string {
	if !s.ok() {
		return "–"
	}
	return fmt.Sprintf(f, s.med)
}

func (r *report) select_(group, name, server string, conns int) []load {
	var out []load
	for _, l := range r.loads {
		if l.group == group && (name == "" || l.name == name) && (server == "" || l.server == server) && (conns == 0 || l.conns == conns) {
			out = append(out, l)
		}
	}
	return out
}

func each(ls []load, f func(load) float64) []float64 {
	out := make([]float64, len(ls))
	for i, l := range ls {
		out[i] = f(l)
	}
	return out
}

func maxOf(ls []load, f func(load) float64) float64 {
	m := math.NaN()
	for _, l := range ls {
		if v := f(l); math.IsNaN(m) || v > m {
			m = v
		}
	}
	return m
}

func sumOf(ls []load, f func(load) float64) float64 {
	s := 0.0
	for _, l := range ls {
		s += f(l)
	}
	return s
}

// ratio pairs the loads of a and b by round and summarises a/b of f.
func ratio(a, b []load, f func(load) float64) stat {
	byRound := map[int]load{}
	for _, l := range b {
		byRound[l.round] = l
	}
	var xs []float64
	for _, l := range a {
		if m, ok := byRound[l.round]; ok {
			xs = append(xs, f(l)/f(m))
		}
	}
	return summarise(xs)
}

func errCell(ls []load) string {
	st, so := sumOf(ls, func(l load) float64 { return l.statusErr }), sumOf(ls, func(l load) float64 { return l.sockErr })
	if st == 0 && so == 0 {
		return "0"
	}
	return fmt.Sprintf("%.0f status, %.0f socket", st, so)
}

var proxyNames = map[string]string{
	"A": "A upstream alone",
	"B": "B stock reverse_proxy",
	"C": "C jwtgate, valid token",
	"D": "D jwtgate, invalid token (401)",
	"E": "E jwtgate, valid token, identity assertion",
	"G": "G the same Caddyfile without jwt_auth",
}

func (r *report) proxy() {
	all := r.select_("proxy", "", "", 0)
	if len(all) == 0 {
		return
	}
	rounds := int(maxOf(all, func(l load) float64 { return float64(l.round) }))
	fmt.Printf("### Proxy: A upstream, B stock reverse_proxy, C jwtgate valid token, D invalid token, E valid token with the identity assertion, G the gateway's Caddyfile without jwt_auth\n\n")
	fmt.Printf("%d rounds, interleaved A B C D E G at each connection count; %s per load; median [min–max] over the rounds.\n", rounds, r.meta["DURATION"])
	fmt.Printf("CPU/req is the serving process's user+system time per request (A: the upstream; B, C, D, E, G: Caddy), up CPU/req the upstream's; RSS the serving process's largest after a load.\n\n")
	fmt.Println("| scenario | conns | requests/s | p50 µs | p99 µs | CPU µs/req | up CPU µs/req | RSS MB | errors |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|---:|---|")
	for _, c := range []int{1, 64} {
		for _, n := range []string{"A", "B", "C", "D", "E", "G"} {
			ls := r.select_("proxy", n, "", c)
			if len(ls) == 0 {
				continue
			}
			up := "–"
			if n != "A" {
				up = summarise(each(ls, load.upCPUPerReq)).fmt("%.1f")
			}
			errs := errCell(ls)
			if n == "D" {
				// every answer should be a 401: say so instead of counting errors
				st := sumOf(ls, func(l load) float64 { return l.statusErr })
				rq := sumOf(ls, func(l load) float64 { return l.requests })
				errs = fmt.Sprintf("%.1f%% 401 (expected)", 100*st/rq)
				if so := sumOf(ls, func(l load) float64 { return l.sockErr }); so > 0 {
					errs += fmt.Sprintf(", %.0f socket", so)
				}
			}
			fmt.Printf("| %s | %d | %s | %s | %s | %s | %s | %.1f | %s |\n", proxyNames[n], c,
				summarise(each(ls, load.rps)).fmtRange("%.0f"),
				summarise(each(ls, func(l load) float64 { return l.p50 })).fmt("%.0f"),
				summarise(each(ls, func(l load) float64 { return l.p99 })).fmtRange("%.0f"),
				summarise(each(ls, load.cpuPerReq)).fmtRange("%.1f"), up,
				maxOf(ls, func(l load) float64 { return l.rssKB })/1024, errs)
		}
	}
	fmt.Println()
	fmt.Println("| ratio (per round, then median [min–max]) | 1 conn | 64 conns |")
	fmt.Println("|---|---:|---:|")
	row := func(label, a, b string, f func(load) float64, format string) (s1, s64 stat) {
		s1 = ratio(r.select_("proxy", a, "", 1), r.select_("proxy", b, "", 1), f)
		s64 = ratio(r.select_("proxy", a, "", 64), r.select_("proxy", b, "", 64), f)
		fmt.Printf("| %s | %s | %s |\n", label, s1.fmtRange(format), s64.fmtRange(format))
		return
	}
	r.cb1, r.cb64 = row("C/B requests/s", "C", "B", load.rps, "%.3f")
	row("D/B requests/s", "D", "B", load.rps, "%.3f")
	r.ec1, r.ec64 = row("E/C requests/s (assertion on / off)", "E", "C", load.rps, "%.3f")
	row("B/A requests/s", "B", "A", load.rps, "%.3f")
	row("C/B CPU per request", "C", "B", load.cpuPerReq, "%.3f")
	row("D/B CPU per request", "D", "B", load.cpuPerReq, "%.3f")
	row("E/C CPU per request", "E", "C", load.cpuPerReq, "%.3f")
	r.cg1, r.cg64 = row("C/G requests/s (jwt_auth on / removed)", "C", "G", load.rps, "%.3f")
	row("C/G CPU per request", "C", "G", load.cpuPerReq, "%.3f")
	// what jwt_auth adds, in µs of CPU per request
	diff := func(base string, c int) stat {
		b := map[int]load{}
		for _, l := range r.select_("proxy", base, "", c) {
			b[l.round] = l
		}
		var xs []float64
		for _, l := range r.select_("proxy", "C", "", c) {
			if m, ok := b[l.round]; ok {
				xs = append(xs, l.cpuPerReq()-m.cpuPerReq())
			}
		}
		return summarise(xs)
	}
	fmt.Printf("| C − B CPU µs per request | %s | %s |\n", diff("B", 1).fmtRange("%+.1f"), diff("B", 64).fmtRange("%+.1f"))
	r.cgCPU64 = diff("G", 64)
	fmt.Printf("| C − G CPU µs per request | %s | %s |\n\n", diff("G", 1).fmtRange("%+.1f"), r.cgCPU64.fmtRange("%+.1f"))
}

// forwardAuth prints nginx alone (N) against nginx asking jwtgate's
// forward_auth endpoint with auth_request (F).
func (r *report) forwardAuth() {
	if len(r.select_("fauth", "", "", 0)) == 0 {
		return
	}
	fmt.Printf("### Forward auth: N nginx alone, F nginx with auth_request to jwtgate\n\n")
	fmt.Printf("Interleaved N F at each connection count; CPU/req is nginx's (N) and nginx's plus jwtgate's (F); median [min–max] over the rounds.\n\n")
	fmt.Println("| scenario | conns | requests/s | p50 µs | p99 µs | CPU µs/req | errors |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---|")
	for _, c := range []int{1, 64} {
		for _, n := range []string{"N", "F"} {
			ls := r.select_("fauth", n, "", c)
			if len(ls) == 0 {
				continue
			}
			fmt.Printf("| %s | %d | %s | %s | %s | %s | %s |\n", map[string]string{"N": "N nginx alone", "F": "F nginx + jwtgate auth_request"}[n], c,
				summarise(each(ls, load.rps)).fmtRange("%.0f"),
				summarise(each(ls, func(l load) float64 { return l.p50 })).fmt("%.0f"),
				summarise(each(ls, func(l load) float64 { return l.p99 })).fmtRange("%.0f"),
				summarise(each(ls, load.cpuPerReq)).fmtRange("%.1f"), errCell(ls))
		}
	}
	fmt.Println()
	fmt.Println("| ratio (per round, then median [min–max]) | 1 conn | 64 conns |")
	fmt.Println("|---|---:|---:|")
	for _, row := range []struct {
		label string
		f     func(load) float64
	}{{"F/N requests/s", load.rps}, {"F/N CPU per request", load.cpuPerReq}} {
		fmt.Printf("| %s | %s | %s |\n", row.label,
			ratio(r.select_("fauth", "F", "", 1), r.select_("fauth", "N", "", 1), row.f).fmtRange("%.3f"),
			ratio(r.select_("fauth", "F", "", 64), r.select_("fauth", "N", "", 64), row.f).fmtRange("%.3f"))
	}
	fmt.Println()
}

// tokenRoutes are the token-route loads bench/run.sh makes, in print order.
var tokenRoutes = []struct{ name, label string }{
	{"refresh-sqlite", "refresh, SQLite"},
	{"refresh-rotate-sqlite", "refresh + rotate + blacklist, SQLite"},
	{"refresh-pg", "refresh, PostgreSQL"},
	{"refresh-rotate-pg", "refresh + rotate + blacklist, PostgreSQL"},
	{"verify", "verify"},
	{"obtain", "obtain (password hash)"},
}

func (r *report) tokens() {
	all := r.select_("token", "", "", 0)
	if len(all) == 0 {
		return
	}
	r.refreshRatios = map[string]stat{}
	fmt.Printf("### Token routes: jwtgate and the Django reference (simplejwt %s, gunicorn %s sync workers)\n\n", r.meta["SIMPLEJWT_VERSION"], r.meta["DJANGO_WORKERS"])
	fmt.Printf("Interleaved jwtgate / Django per round; %s per load (obtain %s); median [min–max]. × is jwtgate's requests/s over Django's in the same round.\n", r.meta["DURATION"], r.meta["OBTAIN_DURATION"])
	fmt.Printf("CPU/req: Caddy's, or the gunicorn workers' together.\n\n")
	fmt.Println("| route | conns | jwtgate req/s | p50 µs | p99 µs | CPU µs/req | Django req/s | Django p99 µs | Django CPU µs/req | × Django | errors (jwtgate / Django) |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
	for _, tr := range tokenRoutes {
		g := r.select_("token", tr.name, "jwtgate", 0)
		d := r.select_("token", tr.name, "django", 0)
		if len(g) == 0 && len(d) == 0 {
			continue
		}
		conns := 0
		if len(g) > 0 {
			conns = g[0].conns
		} else {
			conns = d[0].conns
		}
		x := ratio(g, d, load.rps)
		if strings.HasPrefix(tr.name, "refresh") && x.ok() {
			r.refreshRatios[tr.label] = x
		}
		gerr, derr := "–", "–"
		if len(g) > 0 {
			gerr = errCell(g)
		}
		if len(d) > 0 {
			derr = errCell(d)
		}
		fmt.Printf("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s |\n", tr.label, conns,
			summarise(each(g, load.rps)).fmtRange("%.1f"),
			summarise(each(g, func(l load) float64 { return l.p50 })).fmt("%.0f"),
			summarise(each(g, func(l load) float64 { return l.p99 })).fmt("%.0f"),
			summarise(each(g, load.cpuPerReq)).fmt("%.0f"),
			summarise(each(d, load.rps)).fmtRange("%.1f"),
			summarise(each(d, func(l load) float64 { return l.p99 })).fmt("%.0f"),
			summarise(each(d, load.cpuPerReq)).fmt("%.0f"),
			x.fmtRange("%.1f×"), gerr, derr)
	}
	fmt.Println()
	for _, tr := range tokenRoutes {
		if strings.Contains(tr.name, "rotate") {
			g := r.select_("token", tr.name, "", 0)
			if len(g) > 0 {
				var ok, bad float64
				for _, l := range g {
					for code, n := range l.statuses {
						if code == 200 {
							ok += n
						} else {
							bad += n
						}
					}
				}
				if bad > 0 {
					fmt.Printf("Note: %s had %.0f non-200 answers of %.0f (a refresh token lost from a pool is resent and refused).\n\n", tr.label, bad, ok+bad)
				}
			}
		}
	}

	// obtain against the raw hash rate, measured in the same round
	g := r.select_("token", "obtain", "jwtgate", 0)
	raw := r.select_("hash", "raw", "", 0)
	iters, _ := strconv.ParseFloat(r.meta["PASSWORD_ITERATIONS"], 64)
	workers, _ := strconv.ParseFloat(r.meta["HASH_WORKERS"], 64)
	quietNS, _ := strconv.ParseFloat(r.meta["RAW_HASH_NS"], 64)
	if len(g) > 0 && len(raw) > 0 && workers > 0 {
		r.obtainVsRaw = ratio(g, raw, load.rps)
		r.obtainVsRaw = stat{med: r.obtainVsRaw.med / workers, min: r.obtainVsRaw.min / workers, max: r.obtainVsRaw.max / workers, n: r.obtainVsRaw.n}
		r.haveObtain = true
		rawRate := summarise(each(raw, load.rps))
		rawMS := summarise(each(raw, func(l load) float64 { return l.p50 / 1000 }))
		cpu := summarise(each(g, func(l load) float64 { return l.cpuPerReq() / 1000 }))
		cpuVsRaw := ratio(g, raw, func(l load) float64 {
			if l.group == "hash" {
				return l.p50
			}
			return l.cpuPerReq()
		})
		fmt.Printf("**Obtain** hashes pbkdf2_sha256 at %.0f iterations on %s hash worker(s) (hash_workers default: CPUs/2). One core's raw rate, go test -bench %s run just before each round's obtain load: %s hashes/s (%s ms/hash; %.0f ms before any server started).\n\n",
			iters, r.meta["HASH_WORKERS"], r.meta["RAW_HASH_BENCH"], rawRate.fmtRange("%.2f"), rawMS.fmtRange("%.0f"), quietNS/1e6)
		fmt.Printf("| | per round, median [min–max] |\n|---|---:|\n")
		fmt.Printf("| jwtgate logins/s (%d connections) | %s |\n", g[0].conns, summarise(each(g, load.rps)).fmtRange("%.2f"))
		fmt.Printf("| logins/s ÷ (raw hashes/s × hash_workers) | %s |\n", r.obtainVsRaw.fmtRange("%.3f"))
		fmt.Printf("| gateway CPU per login, ms | %s |\n", cpu.fmtRange("%.0f"))
		fmt.Printf("| CPU per login ÷ raw hash time | %s |\n", cpuVsRaw.fmtRange("%.3f"))
		d := r.select_("token", "obtain", "django", 0)
		if len(d) > 0 {
			dIters, _ := strconv.ParseFloat(r.meta["DJANGO_ITERATIONS"], 64)
			dr := summarise(each(d, load.rps))
			fmt.Printf("| Django logins/s at its own %.0f iterations (Django 3.2), 2 workers | %s |\n", dIters, dr.fmtRange("%.2f"))
			fmt.Printf("| M PBKDF2 iterations/s: jwtgate / Django | %.2f / %.2f |\n", summarise(each(g, load.rps)).med*iters/1e6, dr.med*dIters/1e6)
		}
		fmt.Println()
	}
}

var stormRows = []struct{ name, label string }{
	{"alone", "alone"},
	{"paced", "during a paced login storm"},
	{"unpaced", "during an unpaced login flood"},
	{"control", "during the control flood (empty logins: 400, no hash)"},
}

func (r *report) storm() {
	alone := r.select_("storm", "bearer-alone", "", 0)
	if len(alone) == 0 {
		return
	}
	fmt.Printf("### Login storm: the Bearer route (C) alone and while %s connections send logins\n\n", r.meta["FLOOD_CONNS"])
	fmt.Printf("login_throttle off; hash_workers %s, hash_queue %s, hash_wait %s. Wrong passwords. Paced: each flood connection waits %s ms between logins (at most %s attempts/s); unpaced: it sends the next login as soon as an answer comes back. The control sends unpaced logins with an empty body, answered 400 before any hash. Interleaved per round; median [min–max].\n\n",
		r.meta["HASH_WORKERS"], r.meta["HASH_QUEUE"], r.meta["HASH_WAIT"], r.meta["FLOOD_DELAY_MS"], r.meta["FLOOD_MAX_RATE"])
	fmt.Println("| Bearer route, " + strconv.Itoa(alone[0].conns) + " conns | requests/s | p50 µs | p99 µs | p99 ÷ alone | errors | flood answers/s | flood answers by status | flood p50 / p99 µs |")
	fmt.Println("|---|---:|---:|---:|---:|---|---:|---|---|")
	for _, row := range stormRows {
		b := r.select_("storm", "bearer-"+row.name, "", 0)
		if len(b) == 0 {
			continue
		}
		rel, flood, byStatus, floodLat := "–", "–", "–", "–"
		if row.name != "alone" {
			rel = ratio(b, alone, func(l load) float64 { return l.p99 }).fmtRange("%.2f")
			f := r.select_("storm", "flood-"+row.name, "", 0)
			if len(f) > 0 {
				flood = summarise(each(f, load.rps)).fmtRange("%.0f")
				counts := map[int]float64{}
				var total float64
				for _, l := range f {
					for c, n := range l.statuses {
						counts[c] += n
						total += n
					}
				}
				var codes []int
				for c := range counts {
					codes = append(codes, c)
				}
				slices.Sort(codes)
				var parts []string
				for _, c := range codes {
					parts = append(parts, fmt.Sprintf("%d: %.1f%%", c, 100*counts[c]/total))
				}
				byStatus = strings.Join(parts, ", ")
				floodLat = summarise(each(f, func(l load) float64 { return l.p50 })).fmt("%.0f") + " / " +
					summarise(each(f, func(l load) float64 { return l.p99 })).fmt("%.0f")
			}
		}
		fmt.Printf("| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", row.label,
			summarise(each(b, load.rps)).fmtRange("%.0f"),
			summarise(each(b, func(l load) float64 { return l.p50 })).fmtRange("%.0f"),
			summarise(each(b, func(l load) float64 { return l.p99 })).fmtRange("%.0f"),
			rel, errCell(b), flood, byStatus, floodLat)
	}
	fmt.Println()
}

func verdict(ok bool) string {
	if ok {
		return "**met**"
	}
	return "**missed**"
}

func (r *report) targets() {
	fmt.Println("### Targets (this run)")
	fmt.Println()
	fmt.Println("| target | measured | |")
	fmt.Println("|---|---|---|")
	if r.cb64.ok() {
		fmt.Printf("| C/B ≥ 0.95 at 64 connections (median of rounds) | %s (1 conn: %s) | %s |\n", r.cb64.fmtRange("%.3f"), r.cb1.fmtRange("%.3f"), verdict(r.cb64.med >= 0.95))
	}
	if r.cg64.ok() {
		fmt.Printf("| C/G ≥ 0.97 at 64 connections: jwt_auth on / removed from the same Caddyfile (median of rounds) | %s (1 conn: %s) | %s |\n", r.cg64.fmtRange("%.3f"), r.cg1.fmtRange("%.3f"), verdict(r.cg64.med >= 0.97))
		fmt.Printf("| C − G ≤ 4 µs of Caddy's CPU per request at 64 connections | %s | %s |\n", r.cgCPU64.fmtRange("%+.1f"), verdict(r.cgCPU64.med <= 4))
	}
	if r.ec64.ok() {
		fmt.Printf("| E/C ≥ 0.95 at 64 connections: the identity assertion on / off (median of rounds) | %s (1 conn: %s) | %s |\n", r.ec64.fmtRange("%.3f"), r.ec1.fmtRange("%.3f"), verdict(r.ec64.med >= 0.95))
	}
	labels := make([]string, 0, len(r.refreshRatios))
	for k := range r.refreshRatios {
		labels = append(labels, k)
	}
	slices.Sort(labels)
	for _, k := range labels {
		s := r.refreshRatios[k]
		fmt.Printf("| %s ≥ 20× Django | %s | %s |\n", k, s.fmtRange("%.1f×"), verdict(s.med >= 20))
	}
	if r.haveObtain {
		fmt.Printf("| obtain within 10%% of the raw hash rate (× hash_workers) | %s | %s |\n", r.obtainVsRaw.fmtRange("%.3f"), verdict(r.obtainVsRaw.med >= 0.9))
	}
	fmt.Println()
	fmt.Println("(The Bearer check's µs and allocations come from go test -bench; see bench/RESULTS.md.)")
}
