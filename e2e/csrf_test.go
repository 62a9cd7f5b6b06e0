package e2e

import (
	"encoding/json"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cookiesession/cookiesession"
)

// The cross-site request tests: what SameSite=Lax and
// net/http.CrossOriginProtection each stop, in a real browser. One server
// answers for every host on one port:
//
//	app.example.localhost      the application, whose session cookie has
//	                           Domain=example.localhost
//	sibling.example.localhost  another host of the same site: SameSite
//	                           counts it as the same site
//	trusted.example.localhost  a sibling the application trusts
//	evil.localhost             another site
//
// Every host serves the attack pages under /attack/.
const (
	siblingHost = "sibling." + domain
	trustedHost = "trusted." + domain
	evilHost    = "evil.localhost"
)

// arrival is what the server saw of one request to the application.
type arrival struct {
	Method, Path string
	Site         string // the browser's Sec-Fetch-Site header
	Cookie       bool   // whether the session cookie came with it
}

type csrfServer struct {
	port  string
	store *cookiesession.Store[account]

	mu       sync.Mutex
	arrivals []arrival
}

func newCSRFServer(t *testing.T) *csrfServer {
	t.Helper()
	ring, err := cookiesession.NewKeyring(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	srv := &csrfServer{}
	if srv.store, err = cookiesession.NewStore(ring, cookiesession.Config[account]{Domain: domain}); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(nil)
	_, srv.port, _ = net.SplitHostPort(hs.Listener.Addr().String())

	// The application as the examples wire it: CrossOriginProtection in
	// front of the store's middleware, trusting one sibling's origin.
	cop := http.NewCrossOriginProtection()
	if err := cop.AddTrustedOrigin(srv.url(trustedHost, "")); err != nil {
		t.Fatal(err)
	}
	app := srv.appRoutes(t)
	mux := http.NewServeMux()
	mux.Handle(appHost+"/", cop.Handler(srv.store.Middleware(app)))
	// The same application without the origin check, to show what
	// SameSite=Lax alone lets through.
	mux.Handle(appHost+"/unguarded/", http.StripPrefix("/unguarded", srv.store.Middleware(app)))
	mux.HandleFunc("GET /attack/{kind}", srv.attackPage)
	hs.Config.Handler = srv.record(mux)
	hs.Start()
	t.Cleanup(hs.Close)
	return srv
}

func (srv *csrfServer) url(host, path string) string {
	return "http://" + host + ":" + srv.port + path
}

// record notes every request to the application, before any check.
func (srv *csrfServer) record(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if host, _, _ := net.SplitHostPort(r.Host); host == appHost {
			_, err := r.Cookie(cookieName)
			srv.mu.Lock()
			srv.arrivals = append(srv.arrivals, arrival{r.Method, r.URL.Path, r.Header.Get("Sec-Fetch-Site"), err == nil})
			srv.mu.Unlock()
		}
		next.ServeHTTP(w, r)
	})
}

// arrived returns the arrival of the first request for path since the
// last call, waiting a little for it: a subresource may still be loading.
func (srv *csrfServer) arrived(t *testing.T, method, path string) arrival {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		srv.mu.Lock()
		for i, a := range srv.arrivals {
			if a.Method == method && a.Path == path {
				srv.arrivals = srv.arrivals[i+1:]
				srv.mu.Unlock()
				return a
			}
		}
		srv.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("no %s %s reached the application", method, path)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var csrfAppPage = template.Must(template.New("").Parse(`<!doctype html>
<title>app</title>
<pre id="state">{{.}}</pre>
<form method="post" action="/login"><input id="user" name="user"><button id="login">log in</button></form>
<form method="post" action="/visit"><button id="visit">visit</button></form>
`))

// appRoutes: the page, a login, a visit counter, and a probe that
// subresources and links of other pages point at.
func (srv *csrfServer) appRoutes(t *testing.T) http.Handler {
	session := func(r *http.Request) *cookiesession.Session[account] {
		s, _ := srv.store.FromContext(r.Context())
		return s
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		a := session(r).Get()
		b, _ := json.Marshal(map[string]any{"user": a.User, "visits": len(a.Blob)})
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err := csrfAppPage.Execute(w, string(b)); err != nil {
			t.Errorf("rendering the page: %v", err)
		}
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		s := session(r)
		s.Renew()
		s.Set(account{User: r.PostFormValue("user")})
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	// A visit adds a byte to Blob: the count of visits.
	mux.HandleFunc("POST /visit", func(w http.ResponseWriter, r *http.Request) {
		session(r).Update(func(a *account) { a.Blob += "v" })
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /probe", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "user=%s", session(r).Get().User)
	})
	return mux
}

var attackPages = template.Must(template.New("").Parse(`<!doctype html>
<title>attack</title>
{{if eq .Kind "form"}}<form method="post" action="{{.Target}}"><button id="go">win a prize</button></form>
{{else if eq .Kind "link"}}<a id="go" href="{{.Target}}">win a prize</a>
{{else if eq .Kind "img"}}<img src="{{.Target}}" alt="">
{{else if eq .Kind "iframe"}}<iframe src="{{.Target}}"></iframe>
{{end}}`))

// attackPage serves, on any host, a page that sends the browser to the
// URL in its target parameter: a form posting to it, a link, an image or
// a frame.
func (srv *csrfServer) attackPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	attackPages.Execute(w, map[string]string{"Kind": r.PathValue("kind"), "Target": r.URL.Query().Get("target")})
}

func (srv *csrfServer) attack(host, kind, target string) string {
	return srv.url(host, "/attack/"+kind+"?target="+srv.url(appHost, target))
}

func TestCrossSiteRequests(t *testing.T) {
	eachBrowser(t, testCrossSiteRequests)
}

func testCrossSiteRequests(t *testing.T, b *tab) {
	srv := newCSRFServer(t)
	state := func() string { return b.text("state") }
	click := func() int { return b.click("go") }

	// Same-origin POSTs pass: the login, and a visit.
	b.open(srv.url(appHost, "/"))
	if status := b.click("login", "user", "ada"); status != 200 {
		t.Fatalf("a same-origin login: status %d", status)
	}
	if a := srv.arrived(t, "POST", "/login"); a.Site != "same-origin" {
		t.Errorf("the login arrived as %+v", a)
	}
	if status := b.click("visit"); status != 200 {
		t.Fatalf("a same-origin visit: status %d", status)
	}
	if a := srv.arrived(t, "POST", "/visit"); a != (arrival{"POST", "/visit", "same-origin", true}) {
		t.Errorf("the same-origin visit arrived as %+v", a)
	}
	if !strings.Contains(state(), `"user":"ada"`) {
		t.Fatalf("after login the page shows %s", state())
	}
	want := 1
	check := func(step string) {
		t.Helper()
		b.open(srv.url(appHost, "/"))
		var st struct{ Visits int }
		if err := json.Unmarshal([]byte(state()), &st); err != nil {
			t.Fatal(err)
		}
		if got := st.Visits; got != want {
			t.Errorf("%s: %d visits, want %d", step, got, want)
		}
	}
	check("a same-origin POST")

	for _, tc := range []struct {
		name, host, target string
		status             int
		arrived            arrival
		counts             bool
	}{
		// Another site's form: SameSite=Lax keeps the cookie off the
		// POST, and the origin check refuses it anyway.
		{"a cross-site form", evilHost, "/visit", 403, arrival{"POST", "/visit", "cross-site", false}, false},
		// A sibling's form is same-site: the browser sends the cookie.
		// Only the origin check stops it.
		{"a same-site form from a sibling", siblingHost, "/visit", 403, arrival{"POST", "/visit", "same-site", true}, false},
		{"the sibling's form without the origin check", siblingHost, "/unguarded/visit", 200, arrival{"POST", "/unguarded/visit", "same-site", true}, true},
		// A sibling the application trusts passes.
		{"a same-site form from a trusted sibling", trustedHost, "/visit", 200, arrival{"POST", "/visit", "same-site", true}, true},
	} {
		b.open(srv.attack(tc.host, "form", tc.target))
		if got := click(); got != tc.status {
			t.Errorf("%s: %s: status %d, want %d", b.engine, tc.name, got, tc.status)
		}
		if a := srv.arrived(t, "POST", tc.arrived.Path); a != tc.arrived {
			t.Errorf("%s: %s: arrived as %+v, want %+v", b.engine, tc.name, a, tc.arrived)
		}
		if tc.counts {
			want++
		}
		check(tc.name)
	}

	// SameSite=Lax and GET: a top-level navigation from another site
	// carries the cookie (a link to the application finds the user logged
	// in); the subresources and frames of another site's page do not, and
	// those of a sibling's page do.
	for _, tc := range []struct {
		name, host, kind string
		arrived          arrival
	}{
		{"a link from another site", evilHost, "link", arrival{"GET", "/probe", "cross-site", true}},
		{"an image on another site", evilHost, "img", arrival{"GET", "/probe", "cross-site", false}},
		{"a frame on another site", evilHost, "iframe", arrival{"GET", "/probe", "cross-site", false}},
		{"an image on a sibling", siblingHost, "img", arrival{"GET", "/probe", "same-site", true}},
		{"a frame on a sibling", siblingHost, "iframe", arrival{"GET", "/probe", "same-site", true}},
	} {
		b.open(srv.attack(tc.host, tc.kind, "/probe"))
		if tc.kind == "link" {
			if got := click(); got != 200 {
				t.Errorf("%s: status %d", tc.name, got)
			}
			if body := b.body(); body != "user=ada" {
				t.Errorf("%s: the application answered %q, want the user's session", tc.name, body)
			}
		}
		if a := srv.arrived(t, "GET", "/probe"); a != tc.arrived {
			t.Errorf("%s: %s: arrived as %+v, want %+v", b.engine, tc.name, a, tc.arrived)
		}
	}
}

// TestAPIExample runs examples/api, drives its page in the browser and
// its command-line client as a process against the same server, and has
// another site's page post a form to the API.
func TestAPIExample(t *testing.T) {
	eachBrowser(t, testAPIExample)
}

func testAPIExample(t *testing.T, b *tab) {
	bin := buildExample(t, "api")
	dir := t.TempDir()
	ex := startExample(t, bin, dir, "-listen", "localhost:0", "-keyring", filepath.Join(dir, "keyring.json"))
	page := ex.urls[0]
	waitFor := func(id, want string) {
		t.Helper()
		deadline := time.Now().Add(actionTimeout)
		for b.text(id) != want {
			if time.Now().After(deadline) {
				t.Fatalf("%s: #%s shows %q, want %q", b.engine, id, b.text(id), want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	// The page logs in and counts a visit; its session is a cookie.
	b.open(page)
	waitFor("name", "nobody")
	b.press("login", "login-name", "ada")
	waitFor("name", "ada")
	b.press("visit")
	waitFor("visits", "1")
	waitFor("transport", "cookie")

	// The command-line client logs in with a token, on the same server.
	client := func(args ...string) map[string]any {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"client", "-server", strings.TrimSuffix(page, "/"), "-token-file", filepath.Join(dir, "token")}, args...)...)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("client %v: %v", args, err)
		}
		var v map[string]any
		if err := json.Unmarshal(out, &v); err != nil {
			t.Fatalf("client %v printed %q: %v", args, out, err)
		}
		return v
	}
	if v := client("login", "bob"); v["name"] != "bob" || v["transport"] != "token" {
		t.Errorf("the client's login: %v", v)
	}
	if v := client("visit"); v["visits"] != 1.0 {
		t.Errorf("the client's visit: %v", v)
	}

	// Another site's page posts a form to the API with the page's cookie:
	// refused, and the page's session is unchanged.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><form method="post" action="%sapi/visit"><button id="go">go</button></form>`, page)
	}))
	defer evil.Close()
	_, port, _ := net.SplitHostPort(evil.Listener.Addr().String())
	b.open("http://" + evilHost + ":" + port + "/")
	if status := b.click("go"); status != 403 {
		t.Errorf("another site's form post to the API: status %d, want 403", status)
	}
	b.open(page)
	waitFor("name", "ada")
	waitFor("visits", "1")

	// Logout on both.
	b.press("logout")
	waitFor("name", "nobody")
	if v := client("logout"); !strings.Contains(fmt.Sprint(v["note"]), "discard your token") {
		t.Errorf("the client's logout: %v", v)
	}
	if v := client("me"); v["name"] != "" || v["session"] != nil {
		t.Errorf("the client after logout: %v", v)
	}
}
