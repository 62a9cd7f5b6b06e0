package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/chromedp"
)

// actionTimeout bounds every browser action: a navigation, a click and the
// page load it causes, a read of the cookie jar.
const actionTimeout = 20 * time.Second

var chromium = sync.OnceValues(func() (string, error) {
	if p := os.Getenv("CHROMIUM"); p != "" {
		path, err := exec.LookPath(p)
		if err != nil {
			return "", fmt.Errorf("CHROMIUM=%s: %w", p, err)
		}
		return path, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no Chromium found: set CHROMIUM, or put chromium, chromium-browser, google-chrome " +
		"or google-chrome-stable on PATH (on Debian: apt-get install chromium)")
})

// newBrowser starts a headless Chromium with a fresh profile, closed when
// the test ends, and returns the context that drives its one tab. It skips
// the test when there is no Chromium, unless CI is "true".
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path, err := chromium()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and the real-browser tests cannot run: %v", err)
		}
		t.Skipf("skipping the real-browser tests: %v", err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox, // CI runs as root, where the sandbox cannot start
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true), // containers often have a tiny /dev/shm
		chromedp.WSURLReadTimeout(actionTimeout),     // bounds the browser's start
	}
	// chromedp reports protocol errors from its own goroutines; a test may
	// not log once it has ended.
	var logMu sync.Mutex
	ended := false
	logf := func(format string, args ...any) {
		logMu.Lock()
		defer logMu.Unlock()
		if !ended {
			t.Logf("chromedp: "+format, args...)
		}
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx,
		chromedp.WithErrorf(logf),
		chromedp.WithBrowserOption(chromedp.WithDialTimeout(actionTimeout)))
	t.Cleanup(func() {
		// Close the browser gracefully, so that no process of it still
		// writes to its profile when the test removes it.
		closeCtx, cancelClose := context.WithTimeout(ctx, actionTimeout)
		defer cancelClose()
		if err := chromedp.Cancel(closeCtx); err != nil {
			t.Logf("closing the browser: %v", err)
		}
		cancel()
		cancelAlloc()
		logMu.Lock()
		ended = true
		logMu.Unlock()
	})
	// The first Run starts the browser. It must use ctx itself: a context
	// derived from it would close the browser when cancelled.
	if err := chromedp.Run(ctx); err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	return ctx
}

// run runs actions within actionTimeout.
func run(t *testing.T, ctx context.Context, actions ...chromedp.Action) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, actionTimeout)
	defer cancel()
	if err := chromedp.Run(ctx, actions...); err != nil {
		t.Fatal(err)
	}
}

// load runs actions that cause a navigation (opening a URL, submitting a
// form) within actionTimeout, waits for the page to load, and returns the
// status of its document (after redirects).
func load(t *testing.T, ctx context.Context, actions ...chromedp.Action) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, actionTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, actions...)
	if err != nil {
		t.Fatal(err)
	}
	return resp.Status
}

// open opens url and fails the test unless the page loads with status 200.
func open(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	if status := load(t, ctx, chromedp.Navigate(url)); status != 200 {
		t.Fatalf("GET %s: status %d", url, status)
	}
}

// submit sets the form fields given as id, value pairs, clicks the button
// with id button, and fails the test unless the page that results loads
// with status 200.
func submit(t *testing.T, ctx context.Context, button string, fields ...string) {
	t.Helper()
	var actions []chromedp.Action
	for i := 0; i+1 < len(fields); i += 2 {
		actions = append(actions, chromedp.SetValue(fields[i], fields[i+1], chromedp.ByID))
	}
	actions = append(actions, chromedp.Click(button, chromedp.ByID))
	if status := load(t, ctx, actions...); status != 200 {
		t.Fatalf("submitting #%s: status %d", button, status)
	}
}

// text returns the text of the element with id.
func text(t *testing.T, ctx context.Context, id string) string {
	t.Helper()
	var s string
	run(t, ctx, chromedp.Text(id, &s, chromedp.ByID))
	return strings.TrimSpace(s)
}

// cookies returns every cookie in the browser's jar, read through the
// DevTools protocol (the session's cookies are HttpOnly: page scripts
// cannot see them), sorted by name.
func cookies(t *testing.T, ctx context.Context) []*network.Cookie {
	t.Helper()
	var cs []*network.Cookie
	run(t, ctx, chromedp.ActionFunc(func(ctx context.Context) error {
		var err error
		cs, err = storage.GetCookies().Do(ctx)
		return err
	}))
	slices.SortFunc(cs, func(a, b *network.Cookie) int { return compareChunkNames(a.Name, b.Name) })
	return cs
}

// cookieNames returns the names of cookies.
func cookieNames(cs []*network.Cookie) []string {
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
