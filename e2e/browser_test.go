package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// actionTimeout bounds every browser action: a navigation, a click and the
// page load it causes, a read of the cookie jar.
const actionTimeout = 20 * time.Second

// startTimeout bounds a browser's start, which takes a few seconds on an
// idle machine and far longer on a busy one.
const startTimeout = time.Minute

// An engine is one browser program, started once and shared by every test
// that runs in it; each test gets a fresh, isolated cookie jar.
type engine interface {
	// newPage opens a tab with a cookie jar of its own (a Chromium
	// browser context, a Firefox user context).
	newPage(ctx context.Context) (page, error)
	// close ends the browser.
	close() error
}

// A page is one tab and the cookie jar it uses.
type page interface {
	// navigate opens url and returns the status of the document it
	// loads, after redirects.
	navigate(ctx context.Context, url string) (int, error)
	// navigateBy evaluates script, which starts a navigation (a click on
	// a link or a form's button), waits for the document it loads and
	// returns that document's status, after redirects.
	navigateBy(ctx context.Context, script string) (int, error)
	// eval evaluates script in the page and returns its result, which
	// must be a string.
	eval(ctx context.Context, script string) (string, error)
	// cookies returns every cookie in the page's jar, HttpOnly ones too.
	cookies(ctx context.Context) ([]cookie, error)
	// setCookie adds c to the page's jar, replacing a cookie of the same
	// name, domain and path. A Domain that starts with a dot makes a
	// cookie for the domain and its subdomains; without the dot the
	// cookie is host-only.
	setCookie(ctx context.Context, c cookie) error
	// deleteCookie removes the cookie of c's name, domain and path.
	deleteCookie(ctx context.Context, c cookie) error
	// close closes the tab and discards its jar.
	close(ctx context.Context) error
}

// cookie is a cookie in a browser's jar, as either engine reports it.
type cookie struct {
	Name, Value string
	Domain      string // with a leading dot for a Domain cookie
	Path        string
	Secure      bool
	HTTPOnly    bool
	SameSite    string    // "Strict", "Lax" or "None"
	Expires     time.Time // zero for a session cookie
}

// hostOnly reports whether c goes back only to the host that set it.
func (c cookie) hostOnly() bool { return !strings.HasPrefix(c.Domain, ".") }

// The engines the tests know, in the order they run.
var engineNames = []string{"chromium", "firefox"}

var startEngine = map[string]func() (engine, error){
	"chromium": startChromium,
	"firefox":  startFirefox,
}

// selectedEngines reads E2E_BROWSERS: a comma-separated list of engine
// names, by default every engine.
var selectedEngines = sync.OnceValues(func() ([]string, error) {
	v := os.Getenv("E2E_BROWSERS")
	if v == "" {
		return engineNames, nil
	}
	var names []string
	for n := range strings.SplitSeq(v, ",") {
		n = strings.TrimSpace(n)
		if !slices.Contains(engineNames, n) {
			return nil, fmt.Errorf("E2E_BROWSERS=%s: unknown browser %q, want a comma-separated list of %s",
				v, n, strings.Join(engineNames, ", "))
		}
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return names, nil
})

// running holds each engine once started: one process per engine for the
// whole test binary, ended by TestMain.
var running = struct {
	sync.Mutex
	once map[string]func() (engine, error)
}{once: map[string]func() (engine, error){}}

func runningEngine(name string) (engine, error) {
	running.Lock()
	get, ok := running.once[name]
	if !ok {
		get = sync.OnceValues(startEngine[name])
		running.once[name] = get
	}
	running.Unlock()
	return get()
}

func TestMain(m *testing.M) {
	code := m.Run()
	running.Lock()
	for name, get := range running.once {
		if e, err := get(); err == nil {
			if err := e.close(); err != nil {
				fmt.Fprintf(os.Stderr, "closing %s: %v\n", name, err)
			}
		}
	}
	running.Unlock()
	os.Exit(code)
}

// eachBrowser runs f as a subtest named after each selected engine, with a
// fresh tab of its own.
func eachBrowser(t *testing.T, f func(t *testing.T, b *tab)) {
	t.Helper()
	eachEngine(t, func(t *testing.T, engine string) { f(t, newTab(t, engine)) })
}

// eachEngine runs f as a subtest named after each selected engine.
func eachEngine(t *testing.T, f func(t *testing.T, engine string)) {
	t.Helper()
	names, err := selectedEngines()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) { f(t, name) })
	}
}

// newTab opens a tab in the engine called name, closed when the test ends.
// A missing browser skips the test, unless CI is "true": then it fails, so
// that a CI machine never passes by skipping.
func newTab(t *testing.T, name string) *tab {
	t.Helper()
	e, err := runningEngine(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and the real-browser tests cannot run in %s: %v", name, err)
		}
		t.Skipf("skipping the real-browser tests in %s: %v", name, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), actionTimeout)
	defer cancel()
	p, err := e.newPage(ctx)
	if err != nil {
		t.Fatalf("%s: opening a tab: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), actionTimeout)
		defer cancel()
		if err := p.close(ctx); err != nil {
			t.Logf("%s: closing the tab: %v", name, err)
		}
	})
	return &tab{t: t, engine: name, p: p}
}

// tab drives a page for a test: every action is bounded by actionTimeout
// and fails the test on error.
type tab struct {
	t      *testing.T
	engine string // "chromium" or "firefox"
	p      page
}

// in returns the tab for a subtest t.
func (b *tab) in(t *testing.T) *tab { return &tab{t: t, engine: b.engine, p: b.p} }

func (b *tab) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), actionTimeout)
}

// open opens url and fails the test unless the page loads with status 200.
func (b *tab) open(url string) {
	b.t.Helper()
	ctx, cancel := b.ctx()
	defer cancel()
	status, err := b.p.navigate(ctx, url)
	if err != nil {
		b.t.Fatalf("%s: GET %s: %v", b.engine, url, err)
	}
	if status != 200 {
		b.t.Fatalf("%s: GET %s: status %d", b.engine, url, status)
	}
}

// submit sets the form fields given as id, value pairs, clicks the button
// with id button, and fails the test unless the page that results loads
// with status 200.
func (b *tab) submit(button string, fields ...string) {
	b.t.Helper()
	if status := b.click(button, fields...); status != 200 {
		b.t.Fatalf("%s: clicking #%s: status %d", b.engine, button, status)
	}
}

// click sets the form fields given as id, value pairs, clicks the element
// with id, which navigates (a link, a form's button), and returns the
// status of the page that results.
func (b *tab) click(id string, fields ...string) int {
	b.t.Helper()
	ctx, cancel := b.ctx()
	defer cancel()
	status, err := b.p.navigateBy(ctx, clickScript(id, fields...))
	if err != nil {
		b.t.Fatalf("%s: clicking #%s: %v", b.engine, id, err)
	}
	return status
}

// press sets the form fields given as id, value pairs and clicks the
// element with id, which runs the page's own script rather than navigate.
func (b *tab) press(id string, fields ...string) {
	b.t.Helper()
	b.eval(clickScript(id, fields...))
}

// clickScript sets the form fields given as id, value pairs and clicks the
// element with id.
func clickScript(id string, fields ...string) string {
	var script strings.Builder
	script.WriteString("(() => {\n")
	for i := 0; i+1 < len(fields); i += 2 {
		fmt.Fprintf(&script, "document.getElementById(%s).value = %s;\n", jsString(fields[i]), jsString(fields[i+1]))
	}
	fmt.Fprintf(&script, "document.getElementById(%s).click();\nreturn \"\";\n})()", jsString(id))
	return script.String()
}

// eval evaluates script, whose result is a string.
func (b *tab) eval(script string) string {
	b.t.Helper()
	ctx, cancel := b.ctx()
	defer cancel()
	s, err := b.p.eval(ctx, script)
	if err != nil {
		b.t.Fatalf("%s: evaluating %s: %v", b.engine, script, err)
	}
	return s
}

// text returns the text of the element with id.
func (b *tab) text(id string) string {
	b.t.Helper()
	return strings.TrimSpace(b.eval(fmt.Sprintf(
		`(e => e ? e.textContent : "no element #" + %[1]s)(document.getElementById(%[1]s))`, jsString(id))))
}

// body returns the text of a document that is not HTML, such as JSON,
// which both engines show in a <pre>.
func (b *tab) body() string {
	b.t.Helper()
	return strings.TrimSpace(b.eval(`(e => e ? e.textContent : document.documentElement.outerHTML)(document.querySelector("pre"))`))
}

// cookies returns every cookie in the tab's jar that the browser would
// still send (the session's cookies are HttpOnly: page scripts cannot see
// them), sorted by name, and for one name by domain: a Domain cookie, with
// its leading dot, before a host-only one.
//
// A cookie whose expiry has passed is left out: Firefox may go on listing a
// cookie that a response expired with Max-Age=0, with an empty value and
// its expiry at that moment, until it purges it, though it no longer sends
// it.
func (b *tab) cookies() []cookie {
	b.t.Helper()
	ctx, cancel := b.ctx()
	defer cancel()
	cs, err := b.p.cookies(ctx)
	if err != nil {
		b.t.Fatalf("%s: reading the cookies: %v", b.engine, err)
	}
	now := time.Now()
	cs = slices.DeleteFunc(cs, func(c cookie) bool { return !c.Expires.IsZero() && !c.Expires.After(now) })
	slices.SortFunc(cs, func(a, b cookie) int {
		if c := compareChunkNames(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.Domain, b.Domain)
	})
	return cs
}

// settledCookies is cookies once ok holds of them, or after two seconds: a
// browser may store a response's cookies a moment after the page that the
// response carried has loaded, and one that a response expired may be
// listed until the second of its expiry has passed.
func (b *tab) settledCookies(ok func([]cookie) bool) []cookie {
	b.t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		cs := b.cookies()
		if ok(cs) || time.Now().After(deadline) {
			return cs
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// setCookie adds c to the tab's jar.
func (b *tab) setCookie(c cookie) {
	b.t.Helper()
	ctx, cancel := b.ctx()
	defer cancel()
	if err := b.p.setCookie(ctx, c); err != nil {
		b.t.Fatalf("%s: setting cookie %s: %v", b.engine, c.Name, err)
	}
}

// deleteCookie removes c from the tab's jar.
func (b *tab) deleteCookie(c cookie) {
	b.t.Helper()
	ctx, cancel := b.ctx()
	defer cancel()
	if err := b.p.deleteCookie(ctx, c); err != nil {
		b.t.Fatalf("%s: deleting cookie %s: %v", b.engine, c.Name, err)
	}
}

// jsString returns s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// cookieNames returns the names of cookies.
func cookieNames(cs []cookie) []string {
	names := []string{}
	for _, c := range cs {
		names = append(names, c.Name)
	}
	return names
}

// chunkNames returns the names of the n cookies of a session called name.
func chunkNames(name string, n int) []string {
	names := []string{}
	for i := range n {
		if i == 0 {
			names = append(names, name)
		} else {
			names = append(names, name+"."+strconv.Itoa(i))
		}
	}
	return names
}

// compareChunkNames orders name, name.1, name.2, …, name.10.
func compareChunkNames(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}
