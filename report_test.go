package cookiesession

import (
	"bytes"
	"crypto/tls"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// A store reports, once per cause, a request on which the browser will drop
// the cookie it sets, and says what to change; the response is the same as
// without the report.
func TestStoreReportsDroppedCookies(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cfg     Config[cart]
		host    string
		tls     bool
		headers map[string]string   // set with Header.Set, which makes a name canonical, as a server's parser does
		lines   map[string][]string // header lines as a server's parser gives them, repeated ones in order
		want    error               // nil: no report
		fix     string
		notFix  string // advice the message must not give
	}{
		{name: "plain http to an IP", host: "192.168.1.20:8080", want: ErrInsecureRequest, fix: "Config.Insecure"},
		{name: "plain http to a name", host: "dev.example.com", want: ErrInsecureRequest, fix: "X-Forwarded-Proto: https"},
		{name: "plain http to a name, host-only: localhost is advised", host: "dev.example.com", want: ErrInsecureRequest, fix: "http://localhost instead"},
		// localhost is outside the Domain: the cookie cannot be set there.
		{name: "plain http under a Domain: localhost is not advised", host: "dev.example.com", cfg: Config[cart]{Domain: "example.com"},
			want: ErrInsecureRequest, fix: "Config.Insecure", notFix: "localhost"},
		{name: "plain http to localhost", host: "localhost:8080"},
		{name: "plain http to a .localhost name", host: "app.example.localhost:8080"},
		{name: "plain http to 127.0.0.1", host: "127.0.0.1:8080"},
		{name: "plain http to ::1", host: "[::1]:8080"},
		{name: "plain http to ::1 without brackets", host: "::1"},
		{name: "plain http to LOCALHOST", host: "LOCALHOST:8080"},
		{name: "plain http to localhost with a final dot", host: "localhost.:8080"},
		{name: "plain http to a name in capitals, quoted in lower case", host: "DEV.Example.COM", want: ErrInsecureRequest, fix: `"dev.example.com"`},
		{name: "TLS", host: "192.168.1.20", tls: true},
		{name: "Insecure store", host: "192.168.1.20", cfg: Config[cart]{Insecure: true}},
		{name: "proxy says https", host: "10.0.0.5:8080", headers: map[string]string{"X-Forwarded-Proto": "https"}},
		{name: "proxy says https, Forwarded", host: "10.0.0.5:8080", headers: map[string]string{"Forwarded": `for=192.0.2.60;proto=https;host="app.example.com"`}},
		{name: "proxy says http", host: "10.0.0.5:8080", tls: true, headers: map[string]string{"x-forwarded-proto": "http"}, want: ErrInsecureRequest, fix: "X-Forwarded-Proto: http"},
		{name: "proxy says HTTP", host: "10.0.0.5:8080", tls: true, headers: map[string]string{"X-Forwarded-Proto": "HTTP"}, want: ErrInsecureRequest, fix: "X-Forwarded-Proto: HTTP"},
		{name: "proxy says HTTP, Forwarded", host: "10.0.0.5:8080", tls: true, headers: map[string]string{"Forwarded": "Proto=Http"}, want: ErrInsecureRequest, fix: "Forwarded: proto=Http"},
		// Of a list, the first element: the one the proxy nearest the browser wrote.
		{name: "proxies' list, first says http", host: "10.0.0.5:8080", tls: true, headers: map[string]string{"X-Forwarded-Proto": "http, https"}, want: ErrInsecureRequest, fix: "X-Forwarded-Proto: http"},
		{name: "proxies' list, first says https", host: "10.0.0.5:8080", headers: map[string]string{"X-Forwarded-Proto": " https ,http"}},
		{name: "proxies' list, Forwarded", host: "10.0.0.5:8080", tls: true, headers: map[string]string{"Forwarded": "proto=http;host=a.example, proto=https"}, want: ErrInsecureRequest, fix: "Forwarded: proto=http"},
		{name: "proxies' list, spaces", host: "10.0.0.5:8080", tls: true, headers: map[string]string{"X-Forwarded-Proto": " http , https"}, want: ErrInsecureRequest, fix: "X-Forwarded-Proto: http"},
		{name: "two lines, first says http", host: "10.0.0.5:8080", tls: true, lines: map[string][]string{"X-Forwarded-Proto": {"http", "https"}}, want: ErrInsecureRequest, fix: "X-Forwarded-Proto: http"},
		{name: "two lines, first says https", host: "10.0.0.5:8080", lines: map[string][]string{"X-Forwarded-Proto": {"https", "http"}}},
		{name: "Forwarded host in capitals, outside Domain", host: "app.example.com", tls: true, cfg: Config[cart]{Domain: "example.com"}, headers: map[string]string{"Forwarded": "HOST=example.net"}, want: ErrHostOutsideDomain, fix: `"example.net"`},
		{name: "Forwarded quoted host under Domain", host: "backend-3:8080", tls: true, cfg: Config[cart]{Domain: "example.com"}, headers: map[string]string{"Forwarded": `proto=https;host="app.example.com"`}},
		// RFC 7239's quoted strings may hold commas and semicolons, which
		// end neither the element nor the pair; their escapes are read.
		{name: "Forwarded quoted for= with a comma", host: "10.0.0.5:8080", cfg: Config[cart]{Domain: "example.com"}, headers: map[string]string{"Forwarded": `for="x,y";proto=https;host=app.example.com`}},
		{name: "Forwarded quoted for= with a semicolon", host: "10.0.0.5:8080", headers: map[string]string{"Forwarded": `for="[2001:db8::1];x";proto=https`}},
		{name: "Forwarded escaped quote and comma", host: "backend", tls: true, cfg: Config[cart]{Domain: "example.com"}, headers: map[string]string{"Forwarded": `for="a\",b";host="app.example.com"`}},
		{name: "Forwarded quoted host with an escape", host: "backend", tls: true, cfg: Config[cart]{Domain: "example.com"}, headers: map[string]string{"Forwarded": `host="app.exam\ple.com"`}},
		{name: "Forwarded quoted comma, then http", host: "10.0.0.5:8080", tls: true, headers: map[string]string{"Forwarded": `for="x,proto=https";proto=http`}, want: ErrInsecureRequest, fix: "Forwarded: proto=http"},
		{name: "Forwarded proto= inside a quoted for= is no proto", host: "10.0.0.5:8080", headers: map[string]string{"Forwarded": `for="a;proto=https"`}, want: ErrInsecureRequest, fix: "X-Forwarded-Proto: https"},
		{name: "Forwarded proto twice in an element: the first counts", host: "10.0.0.5:8080", tls: true, headers: map[string]string{"Forwarded": "proto=http;proto=https"}, want: ErrInsecureRequest, fix: "Forwarded: proto=http"},
		{name: "Forwarded empty first element skipped", host: "10.0.0.5:8080", headers: map[string]string{"Forwarded": " , ,proto=https"}},
		{name: "Forwarded empty element, then http", host: "10.0.0.5:8080", tls: true, headers: map[string]string{"Forwarded": ", proto=http, proto=https"}, want: ErrInsecureRequest, fix: "Forwarded: proto=http"},
		{name: "Forwarded element of blanks and semicolons", host: "10.0.0.5:8080", headers: map[string]string{"Forwarded": " ; ;, proto=https"}},
		{name: "X-Forwarded-Proto empty first element skipped", host: "10.0.0.5:8080", headers: map[string]string{"X-Forwarded-Proto": ", https"}},
		{name: "X-Forwarded-Host empty elements skipped", host: "backend", tls: true, cfg: Config[cart]{Domain: "example.com"}, headers: map[string]string{"X-Forwarded-Host": " , ,app.example.com, example.net"}},
		{name: "X-Forwarded-Proto only commas", host: "10.0.0.5:8080", headers: map[string]string{"X-Forwarded-Proto": ",,"}, want: ErrInsecureRequest, fix: "X-Forwarded-Proto: https"},
		{name: "Forwarded second element not read", host: "10.0.0.5:8080", headers: map[string]string{"Forwarded": `for="x,y", proto=https`}, want: ErrInsecureRequest, fix: "X-Forwarded-Proto: https"},
		// Parameter by parameter: a Forwarded header without proto or host
		// leaves them to X-Forwarded-Proto and X-Forwarded-Host.
		{name: "Forwarded for= only, X-Forwarded-Proto https", host: "10.0.0.5:8080", headers: map[string]string{"Forwarded": "for=192.0.2.60", "X-Forwarded-Proto": "https"}},
		{name: "Forwarded proto only, X-Forwarded-Host under Domain", host: "10.0.0.5:8080", cfg: Config[cart]{Domain: "example.com"}, headers: map[string]string{"Forwarded": "proto=https", "X-Forwarded-Host": "app.example.com"}},
		{name: "Forwarded proto wins over X-Forwarded-Proto", host: "10.0.0.5:8080", tls: true, headers: map[string]string{"Forwarded": "proto=http", "X-Forwarded-Proto": "https"}, want: ErrInsecureRequest, fix: "Forwarded: proto=http"},
		{name: "Forwarded host wins over X-Forwarded-Host", host: "backend", tls: true, cfg: Config[cart]{Domain: "example.com"}, headers: map[string]string{"Forwarded": "host=example.net", "X-Forwarded-Host": "app.example.com"}, want: ErrHostOutsideDomain, fix: `"example.net"`},
		{name: "proxies' list, forwarded host", host: "backend-3:8080", tls: true, cfg: Config[cart]{Domain: "example.com"}, headers: map[string]string{"X-Forwarded-Host": "app.example.com, example.net"}},
		{name: "host outside Domain", host: "example.org", tls: true, cfg: Config[cart]{Domain: "example.com"}, want: ErrHostOutsideDomain, fix: "set Config.Domain"},
		{name: "host that merely ends like Domain", host: "badexample.com", tls: true, cfg: Config[cart]{Domain: "example.com"}, want: ErrHostOutsideDomain, fix: "under example.com"},
		{name: "subdomain of Domain", host: "app.example.com:443", tls: true, cfg: Config[cart]{Domain: "example.com"}},
		{name: "Domain itself", host: "EXAMPLE.com", tls: true, cfg: Config[cart]{Domain: "example.com"}},
		{name: "host in capitals under Domain", host: "App.example.COM", tls: true, cfg: Config[cart]{Domain: "example.com"}},
		{name: "host in capitals at the end of the alphabet", host: "AMAZON.ZZ", tls: true, cfg: Config[cart]{Domain: "amazon.zz"}},
		{name: "host with a final dot under Domain", host: "app.example.com.:443", tls: true, cfg: Config[cart]{Domain: "example.com"}},
		{name: "host outside Domain, quoted in lower case", host: "App.Example.ORG", tls: true, cfg: Config[cart]{Domain: "example.com"}, want: ErrHostOutsideDomain, fix: `"app.example.org"`},
		{name: "host outside Domain, quoted as sent but for ASCII case", host: "\u212aEXAMPLE.com", tls: true, cfg: Config[cart]{Domain: "kexample.com"}, want: ErrHostOutsideDomain, fix: `"\u212aexample.com"`},
		{name: "long host outside Domain, quoted bounded", host: strings.Repeat("a", 300), tls: true, cfg: Config[cart]{Domain: "example.com"}, want: ErrHostOutsideDomain, fix: `"` + strings.Repeat("a", 253) + `"`},
		// Over plain http as well: each check on the host as it came.
		{name: "long host under Domain over plain http", host: strings.Repeat("a", 300) + ".example.com", cfg: Config[cart]{Domain: "example.com"}, want: ErrInsecureRequest, fix: `"` + strings.Repeat("a", 253) + `"`},
		{name: "forwarded host under Domain", host: "backend-3:8080", tls: true, cfg: Config[cart]{Domain: "example.com"}, headers: map[string]string{"X-FORWARDED-HOST": "app.example.com"}},
		{name: "forwarded host outside Domain", host: "app.example.com", tls: true, cfg: Config[cart]{Domain: "example.com"}, headers: map[string]string{"forwarded": "host=example.net"}, want: ErrHostOutsideDomain, fix: `"example.net"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			cfg := tc.cfg
			cfg.OnError, cfg.Logger = rec.onError, rec.logger()
			st, _ := newStore(t, testRing(t), cfg)
			quiet, _ := newStore(t, testRing(t), tc.cfg)
			request := func() *http.Request {
				r := httptest.NewRequest("POST", "/", nil)
				r.Host = tc.host
				if tc.tls {
					r.TLS = &tls.ConnectionState{}
				}
				for k, v := range tc.headers {
					r.Header.Set(k, v)
				}
				for k, v := range tc.lines {
					r.Header[k] = v
				}
				return r
			}
			var lines [2][]string
			for i, store := range []*Store[cart]{st, quiet} {
				for range 3 { // three requests, one report
					w := httptest.NewRecorder()
					store.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						s, _ := store.FromContext(r.Context())
						s.Update(func(c *cart) { c.Visits++ })
					})).ServeHTTP(w, request())
					lines[i] = append(lines[i], sessionCookieAttrs(w.Result().Header, store.Name())...)
				}
			}
			if tc.want == nil {
				if len(rec.errs) != 0 {
					t.Fatalf("reported %v", rec.errs)
				}
				return
			}
			got := rec.matching(tc.want)
			if len(got) != 1 || len(rec.errs) != 1 {
				t.Fatalf("reports %v, want one matching %v", rec.errs, tc.want)
			}
			if msg := got[0].Error(); !strings.Contains(msg, tc.fix) {
				t.Errorf("message %q does not contain %q", msg, tc.fix)
			}
			if msg := got[0].Error(); tc.notFix != "" && strings.Contains(msg, tc.notFix) {
				t.Errorf("message %q advises %q", msg, tc.notFix)
			}
			if log := rec.log(); !strings.Contains(log, "level=WARN") || strings.Count(log, "level=") != 1 {
				t.Errorf("log: %q, want one WARN record", log)
			}
			// Only a report: the cookies are what they would be without.
			if d := cmp.Diff(lines[1], lines[0]); d != "" {
				t.Errorf("cookie attributes differ from a store that does not report (-quiet +reporting):\n%s", d)
			}
		})
	}
}

// sessionCookieAttrs returns the session's Set-Cookie lines without their
// values, which differ from seal to seal.
func sessionCookieAttrs(h http.Header, name string) []string {
	var out []string
	for _, line := range sessionCookies(h, name) {
		_, attrs, _ := strings.Cut(line, ";")
		out = append(out, attrs)
	}
	return out
}

// The two causes are reported separately, each once.
func TestStoreReportsEachCauseOnce(t *testing.T) {
	rec := &recorder{}
	st, _ := newStore(t, testRing(t), Config[cart]{Domain: "example.com", OnError: rec.onError})
	for range 2 {
		r := httptest.NewRequest("POST", "/", nil)
		r.Host = "example.org"
		w := httptest.NewRecorder()
		s, _ := st.Load(r)
		s.Set(cart{Visits: 1})
		st.Save(w, r, s)
	}
	if a, b := rec.matching(ErrInsecureRequest), rec.matching(ErrHostOutsideDomain); len(a) != 1 || len(b) != 1 || len(rec.errs) != 2 {
		t.Fatalf("reports %v", rec.errs)
	}
	if errors.Is(rec.errs[0], ErrHostOutsideDomain) == errors.Is(rec.errs[1], ErrHostOutsideDomain) {
		t.Fatalf("one error matches both causes: %v", rec.errs)
	}
}

// domainMatch is host == domain || strings.HasSuffix(host, "."+domain),
// with ASCII letters in lower case, on every pair of strings of up to
// three of these letters: the ends of the ASCII capitals and their
// neighbours, and the Kelvin sign, which only a Unicode fold
// (strings.EqualFold) would take for a k.
func TestDomainMatch(t *testing.T) {
	words := []string{""}
	for i := 0; i < len(words); i++ {
		if utf8.RuneCountInString(words[i]) < 3 {
			for _, c := range "aB.AZ@[`{zK\u212a" {
				words = append(words, words[i]+string(c))
			}
		}
	}
	lower := make([]string, len(words))
	for i, w := range words {
		lower[i] = lowerASCII(w)
		if got := asciiLower(w); got != lower[i] {
			t.Fatalf("asciiLower(%q) = %q, want %q", w, got, lower[i])
		}
	}
	for i, host := range words {
		for j, domain := range words {
			h, d := lower[i], lower[j]
			want := h == d || strings.HasSuffix(h, "."+d)
			if got := domainMatch(host, domain); got != want {
				t.Fatalf("domainMatch(%q, %q) = %v, want %v", host, domain, got, want)
			}
		}
	}
}

// lowerASCII is s with its ASCII capitals in lower case.
func lowerASCII(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

// The insecure-request report advises a name browsers treat as secure
// only where the store's cookie can be set.
func TestSecureDevHost(t *testing.T) {
	for domain, want := range map[string]string{
		"":                  "http://localhost instead",
		"example.localhost": "http://example.localhost or a name under it",
		"example.com":       "",
	} {
		st, _ := newStore(t, testRing(t), Config[cart]{Domain: domain})
		if got := st.secureDevHost(); want == "" && got != "" || !strings.Contains(got, want) {
			t.Errorf("Domain %q: %q, want it to advise %q", domain, got, want)
		}
	}
}

// TestLoggerDefaultsToSlogDefault checks that a store and a keyring file
// given no Logger report to slog's default logger, as it is when the
// record is made (an application may call slog.SetDefault after building
// its store), and that a discarding logger silences them.
func TestLoggerDefaultsToSlogDefault(t *testing.T) {
	prev := slog.Default()
	t.Cleanup(func() { slog.SetDefault(prev) })
	st, _ := newStore(t, testRing(t), Config[cart]{})
	path := filepath.Join(t.TempDir(), "keys.json")
	if err := testRing(t).SaveNew(path); err != nil {
		t.Fatal(err)
	}
	f, err := NewKeyringFile(path, KeyringFileConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, nil)))

	tampered := httptest.NewRequest("GET", "/", nil)
	tampered.AddCookie(&http.Cookie{Name: st.Name(), Value: "~AQAB" + strings.Repeat("A", 60)})
	st.Load(tampered)
	if out := buf.String(); !strings.Contains(out, "level=WARN") || !strings.Contains(out, "cookiesession: load failed") {
		t.Errorf("a tampered cookie, no Logger: the default logger got %q", out)
	}
	buf.Reset()
	if err := os.WriteFile(path, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	f.Reload()
	if out := buf.String(); !strings.Contains(out, "level=ERROR") || !strings.Contains(out, "keyring file rejected") {
		t.Errorf("a broken keyring file, no Logger: the default logger got %q", out)
	}

	buf.Reset()
	quiet, _ := newStore(t, testRing(t), Config[cart]{Logger: slog.New(slog.DiscardHandler)})
	quiet.Load(tampered)
	if buf.Len() != 0 {
		t.Errorf("a discarding Logger: the default logger got %q", buf.String())
	}
}

// TestCookieUnderAnotherName checks that a request carrying the store's
// session cookie under the name another configuration gives it (a Domain
// set on one server and not on another) loads as absent, with a load
// error that says so and matches ErrCookieNameMismatch, reported once.
func TestCookieUnderAnotherName(t *testing.T) {
	for _, tc := range []struct {
		name     string
		domain   string
		insecure bool
		cookies  string
		other    string // the name the error quotes; "" for a plain absent
		says     string
	}{
		{"domain elsewhere", "", false, "theme=dark; __Secure-session=~AQAB", "__Secure-session", "a store with Config.Domain set"},
		{"no domain elsewhere", "example.com", false, "__Host-session=~AQAB", "__Host-session", "a store without Config.Domain"},
		{"secure elsewhere", "", true, "__Host-session=~AQAB", "__Host-session", "another configuration"},
		// Other applications' cookies are often called session (gorilla's,
		// Express's): a prefixed store does not take one for its own.
		{"another application's session cookie", "", false, "session=abc", "", ""},
		{"chunk of the other name", "", false, "__Secure-session.1=x", "", ""},
		{"names that only start alike", "", false, "__Secure-sessionid=1; session2=x; xsession=1", "", ""},
		{"none", "", false, "theme=dark", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var reports []error
			st, _ := newStore(t, testRing(t), Config[cart]{Domain: tc.domain, Insecure: tc.insecure, OnError: func(_ *http.Request, err error) {
				reports = append(reports, err)
			}, Logger: slog.New(slog.DiscardHandler)})
			for range 2 {
				r := httptest.NewRequest("GET", "https://app.example.com/", nil)
				r.Header.Set("Cookie", tc.cookies)
				s, err := st.Load(r)
				if !errors.Is(err, ErrAbsent) || !s.IsNew() {
					t.Fatalf("err %v, new %v: want an absent session", err, s.IsNew())
				}
				if tc.other == "" {
					if err != ErrAbsent {
						t.Errorf("err %q, want ErrAbsent itself", err)
					}
					continue
				}
				if !errors.Is(err, ErrCookieNameMismatch) || !strings.Contains(err.Error(), `the request carries "`+tc.other+`"`) ||
					!strings.Contains(err.Error(), tc.says) || !strings.Contains(err.Error(), `"`+st.Name()+`"`) {
					t.Errorf("err %q", err)
				}
			}
			if want := min(1, len(tc.other)); len(reports) != want {
				t.Errorf("%d reports %v, want %d", len(reports), reports, want)
			}
		})
	}

	// The gorilla cookie a store migrates from is its own business.
	if got := otherNames("session", &GorillaMigration[cart]{CookieName: "__Host-session"}); !slices.Equal(got, []string{"__Secure-session"}) {
		t.Errorf("otherNames beside a gorilla cookie of one of them: %q", got)
	}

	// A request built by hand, without a URL, reports without failing.
	st, _ := newStore(t, testRing(t), Config[cart]{Logger: slog.New(slog.DiscardHandler)})
	r := &http.Request{Header: http.Header{"Cookie": {"__Secure-session=x"}}}
	if _, err := st.Load(r); !errors.Is(err, ErrCookieNameMismatch) {
		t.Errorf("err %v", err)
	}
}

// TestDefaultLoggerLimitsFailedLoads checks that, with no Logger of the
// application's, the default logger gets one failed load of each kind a
// minute (a client can send a tampered cookie on every request), while
// OnError and an application's Logger get every one.
func TestDefaultLoggerLimitsFailedLoads(t *testing.T) {
	prev := slog.Default()
	t.Cleanup(func() { slog.SetDefault(prev) })
	var def bytes.Buffer
	slog.SetDefault(slog.New(slog.NewTextHandler(&def, nil)))
	tampered := httptest.NewRequest("GET", "/", nil)
	tampered.AddCookie(&http.Cookie{Name: "__Host-session", Value: "~AQAB" + strings.Repeat("A", 60)})
	absent := httptest.NewRequest("GET", "/", nil)
	for _, own := range []bool{false, true} {
		def.Reset()
		var mine bytes.Buffer
		cfg := Config[cart]{}
		if own {
			cfg.Logger = slog.New(slog.NewTextHandler(&mine, nil))
		}
		errs := 0
		cfg.OnError = func(*http.Request, error) { errs++ }
		st, clk := newStore(t, testRing(t), cfg)
		for range 3 {
			st.Load(tampered)
		}
		clk.now = clk.now.Add(61 * time.Second)
		st.Load(tampered)
		st.Load(absent) // no failure
		logged := strings.Count(def.String(), "load failed") + strings.Count(mine.String(), "load failed")
		want := 2 // the first, and the first a minute later
		if own {
			want = 4
		}
		if logged != want || errs != 4 {
			t.Errorf("own logger %v: %d records, %d OnError calls; want %d and 4\n%s%s", own, logged, errs, want, def.String(), mine.String())
		}
		if !own && !strings.Contains(def.String(), "one failed load of each kind a minute") {
			t.Errorf("the default logger's record does not say it is limited:\n%s", def.String())
		}
	}
}
