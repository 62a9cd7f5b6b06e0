package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// Chromium is driven through the DevTools protocol, by chromedp.

// chromiumPath finds Chromium: the program CHROMIUM names, or chromium,
// chromium-browser, google-chrome or google-chrome-stable on PATH.
func chromiumPath() (string, error) {
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
}

type chromium struct {
	ctx     context.Context // the browser's; its first tab is never used
	cancel  context.CancelFunc
	profile string
}

// startChromium starts a headless Chromium with a fresh profile.
func startChromium() (engine, error) {
	path, err := chromiumPath()
	if err != nil {
		return nil, err
	}
	profile, err := os.MkdirTemp("", "e2e-chromium-")
	if err != nil {
		return nil, err
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(profile),
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
		chromedp.WSURLReadTimeout(startTimeout),      // bounds the browser's start
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	// chromedp reports protocol errors from its own goroutines, where no
	// test is at hand.
	logf := func(format string, args ...any) { fmt.Fprintf(os.Stderr, "chromedp: "+format+"\n", args...) }
	ctx, cancel := chromedp.NewContext(allocCtx,
		chromedp.WithErrorf(logf),
		chromedp.WithBrowserOption(chromedp.WithDialTimeout(actionTimeout)))
	c := &chromium{ctx: ctx, profile: profile, cancel: func() { cancel(); cancelAlloc() }}
	// The first Run starts the browser. It must use ctx itself: a context
	// derived from it would close the browser when cancelled.
	if err := chromedp.Run(ctx); err != nil {
		c.cancel()
		os.RemoveAll(profile)
		return nil, fmt.Errorf("starting %s: %w", path, err)
	}
	return c, nil
}

func (c *chromium) close() error {
	// Close the browser gracefully, so that no process of it still writes
	// to its profile when it is removed.
	closeCtx, cancel := context.WithTimeout(c.ctx, actionTimeout)
	defer cancel()
	err := chromedp.Cancel(closeCtx)
	c.cancel()
	return errors.Join(err, os.RemoveAll(c.profile))
}

// newPage opens a tab in a new browser context: a jar of its own.
func (c *chromium) newPage(ctx context.Context) (page, error) {
	runCtx, cancel := context.WithCancel(c.ctx)
	defer cancel()
	defer context.AfterFunc(ctx, cancel)()
	browser := cdp.WithExecutor(runCtx, chromedp.FromContext(c.ctx).Browser)
	id, err := target.CreateBrowserContext().Do(browser)
	if err != nil {
		return nil, err
	}
	// Headless Chromium opens a tab in a browser context of its own only
	// as a new window.
	tid, err := target.CreateTarget("about:blank").WithBrowserContextID(id).WithNewWindow(true).Do(browser)
	if err != nil {
		target.DisposeBrowserContext(id).Do(browser)
		return nil, err
	}
	// Cancelling the tab's context closes the tab.
	tabCtx, cancelTab := chromedp.NewContext(c.ctx, chromedp.WithTargetID(tid))
	p := &chromiumPage{browserCtx: c.ctx, ctx: tabCtx, cancel: cancelTab, browserContext: id}
	// The first Run attaches to the tab, and must use tabCtx itself.
	done := make(chan error, 1)
	go func() { done <- chromedp.Run(tabCtx) }()
	select {
	case err = <-done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil {
		p.close(ctx)
		return nil, err
	}
	return p, nil
}

type chromiumPage struct {
	browserCtx     context.Context // the browser's, which the tab's jar belongs to
	ctx            context.Context // the tab's
	cancel         context.CancelFunc
	browserContext cdp.BrowserContextID
}

// run runs actions in the tab, within ctx.
func (p *chromiumPage) run(ctx context.Context, actions ...chromedp.Action) error {
	runCtx, cancel := context.WithCancel(p.ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, cancel)
	defer stop()
	return chromedp.Run(runCtx, actions...)
}

// load runs actions that cause a navigation and returns the status of the
// document that results.
func (p *chromiumPage) load(ctx context.Context, actions ...chromedp.Action) (int, error) {
	runCtx, cancel := context.WithCancel(p.ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, cancel)
	defer stop()
	resp, err := chromedp.RunResponse(runCtx, actions...)
	if err != nil {
		return 0, err
	}
	if resp == nil {
		return 0, errors.New("no document loaded")
	}
	return int(resp.Status), nil
}

func (p *chromiumPage) navigate(ctx context.Context, url string) (int, error) {
	return p.load(ctx, chromedp.Navigate(url))
}

func (p *chromiumPage) navigateBy(ctx context.Context, script string) (int, error) {
	var s string
	return p.load(ctx, chromedp.Evaluate(script, &s))
}

func (p *chromiumPage) eval(ctx context.Context, script string) (string, error) {
	var s string
	err := p.run(ctx, chromedp.Evaluate(script, &s))
	return s, err
}

func (p *chromiumPage) cookies(ctx context.Context) ([]cookie, error) {
	var cs []*network.Cookie
	err := p.run(ctx, chromedp.ActionFunc(func(ctx context.Context) error {
		// The browser, not the tab, holds the jars: ask it for this
		// tab's.
		var err error
		cs, err = storage.GetCookies().
			WithBrowserContextID(p.browserContext).
			Do(cdp.WithExecutor(ctx, chromedp.FromContext(ctx).Browser))
		return err
	}))
	if err != nil {
		return nil, err
	}
	out := make([]cookie, 0, len(cs))
	for _, c := range cs {
		var expires time.Time
		if !c.Session {
			expires = time.Unix(0, int64(c.Expires*float64(time.Second)))
		}
		out = append(out, cookie{
			Name: c.Name, Value: c.Value, Domain: c.Domain, Path: c.Path,
			Secure: c.Secure, HTTPOnly: c.HTTPOnly, SameSite: string(c.SameSite), Expires: expires,
		})
	}
	return out, nil
}

func (p *chromiumPage) setCookie(ctx context.Context, c cookie) error {
	set := network.SetCookie(c.Name, c.Value).
		WithPath(c.Path).
		WithSecure(c.Secure).
		WithHTTPOnly(c.HTTPOnly).
		WithSameSite(network.CookieSameSite(c.SameSite))
	if c.hostOnly() {
		// DevTools makes a cookie host-only when it is given a URL and
		// no domain.
		set = set.WithURL("http://" + c.Domain + "/")
	} else {
		set = set.WithDomain(c.Domain)
	}
	if !c.Expires.IsZero() {
		expires := cdp.TimeSinceEpoch(c.Expires)
		set = set.WithExpires(&expires)
	}
	return p.run(ctx, set)
}

func (p *chromiumPage) deleteCookie(ctx context.Context, c cookie) error {
	// The domain is matched exactly, with or without its leading dot.
	return p.run(ctx, network.DeleteCookies(c.Name).WithDomain(c.Domain).WithPath(c.Path))
}

func (p *chromiumPage) close(ctx context.Context) error {
	p.cancel() // closes the tab
	runCtx, cancel := context.WithCancel(p.browserCtx)
	defer cancel()
	defer context.AfterFunc(ctx, cancel)()
	return target.DisposeBrowserContext(p.browserContext).Do(cdp.WithExecutor(runCtx, chromedp.FromContext(runCtx).Browser))
}
