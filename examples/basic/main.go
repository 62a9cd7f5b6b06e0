// Command basic is a small web application that keeps its session in
// cookies. Run it from the repository's root:
//
//	go run ./examples/basic
//
// and open the address it prints (http://localhost:8080/ by default) with
// the browser's developer tools on the page's cookies. It counts visits,
// logs a name in and out, and grows the session past one cookie so that
// the chunks can be watched.
//
// On its first start it creates a development keyring file,
// cookiesession-dev-keyring.json in the working directory; later starts
// load it, so sessions survive a restart. Flags:
//
//	-listen ADDR   address to serve on (default localhost:8080)
//	-keyring FILE  keyring file (default cookiesession-dev-keyring.json)
package main

import (
	"cmp"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/cookiesession/cookiesession"
)

// data is what the application keeps in the session.
type data struct {
	Name   string // set at login
	Visits int    // visits counted with the button
	Notes  string // ballast that the grow buttons set, to watch chunking
}

// maxSize is the store's MaxSize. The default, 6 KiB, keeps the session's
// cookies well inside the 8 KiB that nginx and Apache accept in one request
// header line by default (load balancers such as AWS ALB and Cloudflare
// allow about 16 KiB); past it the proxy answers every request with an
// error until the cookies are gone. This demo grows its session past
// 10 KB to show chunking, so it raises the limit: don't, behind such a
// proxy.
const maxSize = 16 << 10

func main() {
	listen := flag.String("listen", "localhost:8080", "address to serve on")
	keyringFile := flag.String("keyring", "cookiesession-dev-keyring.json", "keyring file, created if missing")
	flag.Parse()

	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(*listen, *keyringFile, logger); err != nil {
		logger.Error(err.Error())
		os.Exit(1)
	}
}

func run(listen, keyringFile string, logger *slog.Logger) error {
	ring, err := openKeyring(keyringFile)
	if err != nil {
		return err
	}
	// The other defaults suit http://localhost: browsers treat it as a
	// secure context, so the cookie is named __Host-session and is Secure,
	// HttpOnly and SameSite=Lax.
	store, err := cookiesession.NewStore(ring, cookiesession.Config[data]{
		MaxSize: maxSize,
		Logger:  logger,
	})
	if err != nil {
		return err
	}
	a := &app{store: store, logger: logger}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.home)
	mux.HandleFunc("POST /visit", a.visit)
	mux.HandleFunc("POST /login", a.login)
	mux.HandleFunc("POST /logout", a.logout)
	mux.HandleFunc("POST /grow", a.grow)
	mux.HandleFunc("POST /shrink", a.shrink)

	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	fmt.Printf("Open %s in Chromium or Firefox, with the developer tools on its cookies.\n", pageURL(listen, ln.Addr()))
	// Every change is a POST, and CrossOriginProtection refuses one that
	// the browser says another origin's page made: SameSite=Lax keeps the
	// cookie off cross-site POSTs, but not off those of sibling hosts.
	protected := http.NewCrossOriginProtection().Handler(store.Middleware(mux))
	srv := &http.Server{Handler: protected, ReadHeaderTimeout: 10 * time.Second}
	return srv.Serve(ln)
}

// openKeyring loads the keyring file at path, or creates one holding a new
// key if there is none yet.
func openKeyring(path string) (*cookiesession.Keyring, error) {
	ring, err := cookiesession.LoadKeyring(path, nil)
	if err == nil {
		fmt.Printf("Loaded the keyring %s.\n", path)
		return ring, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	ring, err = cookiesession.NewKeyring(time.Now())
	if err != nil {
		return nil, err
	}
	// SaveNew writes the file with mode 0600, and never replaces one.
	if err := ring.SaveNew(path); err != nil {
		return nil, err
	}
	abs, _ := filepath.Abs(path)
	fmt.Printf("Created the development keyring %s (mode 0600). Its keys can forge any session: keep it out of version control.\n", abs)
	return ring, nil
}

// pageURL returns the URL to open for a server listening on addr, asked
// for as listen. A wildcard address is shown as localhost, which browsers
// treat as secure, unlike this machine's other addresses over plain HTTP.
func pageURL(listen string, addr net.Addr) string {
	host, _, _ := net.SplitHostPort(listen)
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	_, port, _ := net.SplitHostPort(addr.String())
	return "http://" + net.JoinHostPort(host, port) + "/"
}

type app struct {
	store  *cookiesession.Store[data]
	logger *slog.Logger
}

func (a *app) session(r *http.Request) *cookiesession.Session[data] {
	s, _ := a.store.FromContext(r.Context()) // always there: every route is behind the middleware
	return s
}

// home shows the page. It changes nothing, so the response sets no cookie.
func (a *app) home(w http.ResponseWriter, r *http.Request) {
	a.render(w, r, nil)
}

// visit counts a visit. Like every change, it is a POST, answered with a
// redirect to the page.
func (a *app) visit(w http.ResponseWriter, r *http.Request) {
	a.session(r).Update(func(d *data) { d.Visits++ })
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// login starts a session for the name given. Renew gives the session a new
// id, so that an id someone planted in this browser before the login is
// worth nothing after it.
func (a *app) login(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimSpace(r.PostFormValue("name"))
	if name == "" || len(name) > 64 {
		a.render(w, r, errors.New("enter a name of 1 to 64 bytes"))
		return
	}
	s := a.session(r)
	s.Renew()
	s.Update(func(d *data) { d.Name = name })
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// logout ends the session: the response expires every chunk of it.
func (a *app) logout(w http.ResponseWriter, r *http.Request) {
	a.session(r).Destroy()
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// grow fills the session with kb KiB of notes. It saves the session itself
// rather than leave that to the middleware, so that a session too large
// for MaxSize is reported on the page.
func (a *app) grow(w http.ResponseWriter, r *http.Request) {
	kb := 8
	if r.PostFormValue("kb") == "20" {
		kb = 20
	}
	s := a.session(r)
	before := s.Get()
	s.Update(func(d *data) { d.Notes = strings.Repeat("cookie crumbs ", kb<<10/14+1)[:kb<<10] })
	if err := a.store.Save(w, r, s); err != nil {
		// Save wrote nothing, so the browser keeps its cookies. Put back
		// the data they hold, so that the page shows what is really saved.
		s.Set(before)
		a.render(w, r, err)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (a *app) shrink(w http.ResponseWriter, r *http.Request) {
	a.session(r).Update(func(d *data) { d.Notes = "" })
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

//go:embed page.html
var pageHTML string

var page = template.Must(template.New("page").Parse(pageHTML))

// chunk is one of the session's cookies as the request carried it.
type chunk struct {
	Name string
	Size int // bytes of name and value; browsers drop a cookie over 4096
}

type view struct {
	Data       data
	NotesSize  int
	New        bool
	LoadError  string // why the request's session could not be used
	ID         string
	KeyID      string
	Created    time.Time
	Chunks     []chunk
	HeaderSize int // bytes the chunks add to the Cookie header
	MaxSize    int
	Error      string
}

// render shows the page, with actionErr at the top if it is not nil.
func (a *app) render(w http.ResponseWriter, r *http.Request, actionErr error) {
	s := a.session(r)
	v := view{
		Data:      s.Get(),
		NotesSize: len(s.Get().Notes),
		New:       s.IsNew(),
		MaxSize:   maxSize,
	}
	if !s.IsNew() {
		v.ID, v.KeyID, v.Created = s.ID(), s.KeyID().String(), s.Created().UTC()
	}
	if err := s.LoadError(); err != nil && !errors.Is(err, cookiesession.ErrAbsent) {
		v.LoadError = err.Error()
	}
	if actionErr != nil {
		v.Error = actionErr.Error()
	}
	name := a.store.Name()
	for _, c := range r.Cookies() {
		if c.Name == name || strings.HasPrefix(c.Name, name+".") {
			v.Chunks = append(v.Chunks, chunk{Name: c.Name, Size: len(c.Name) + len(c.Value)})
			v.HeaderSize += len(c.Name) + 1 + len(c.Value) + len("; ")
		}
	}
	if len(v.Chunks) > 0 {
		v.HeaderSize -= len("; ")
	}
	// Browsers send cookies in no particular order: sort them as name,
	// name.1, name.2, …, name.10.
	slices.SortFunc(v.Chunks, func(x, y chunk) int {
		return cmp.Or(cmp.Compare(len(x.Name), len(y.Name)), strings.Compare(x.Name, y.Name))
	})
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := page.Execute(w, v); err != nil {
		a.logger.Error("rendering the page", "err", err)
	}
}
