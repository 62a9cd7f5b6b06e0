package cookiesession

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of [KeyringFileConfig].
const (
	// DefaultReloadInterval is how often [KeyringFile.Run] reads the file.
	DefaultReloadInterval = 5 * time.Second

	// DefaultUnknownKeyReloadInterval is the least time between two
	// reloads that values naming unknown keys trigger.
	DefaultUnknownKeyReloadInterval = time.Second
)

// KeyringFileConfig configures a [KeyringFile]. The zero value of every
// field means the documented default.
type KeyringFileConfig struct {
	// FileOptions are the options the file is read with, every time, as
	// by [LoadKeyring]. By default a file that its group or other users
	// may access is refused.
	FileOptions KeyringFileOptions

	// Interval is how often Run reads the file. Default
	// DefaultReloadInterval; negative is an error.
	Interval time.Duration

	// UnknownKeyReloadInterval is the least time between two reloads
	// triggered by values that name a key the keyring lacks; see
	// [KeyringFile]. Default DefaultUnknownKeyReloadInterval; negative
	// means such values never trigger a reload.
	UnknownKeyReloadInterval time.Duration

	// Logger receives a record of every check of the file: a new keyring
	// at Info, a rejected file at Error (at Debug while the same problem
	// repeats), an unchanged file at Debug. Default nil: the
	// [slog.Default] logger at the time of the record; give
	// slog.New(slog.DiscardHandler) for silence.
	Logger *slog.Logger

	// OnReload, if not nil, is called after every check of the file,
	// including the first, before NewKeyringFile returns. It may be
	// called from several goroutines at once (Run's, a caller of Reload,
	// and the goroutine of an early reload that an unknown key
	// triggered), so it should return quickly.
	OnReload func(ReloadEvent)

	// Now returns the current time. Default time.Now.
	Now func() time.Time
}

// ReloadOutcome is what a check of a keyring file found.
type ReloadOutcome uint8

const (
	// KeyringUnchanged means the file holds the same bytes as the file
	// the keyring in use came from.
	KeyringUnchanged ReloadOutcome = iota + 1
	// KeyringReloaded means the file changed and its new keyring is now
	// in use.
	KeyringReloaded
	// KeyringRejected means the file could not be read or is not a
	// usable keyring; the last good keyring stays in use.
	KeyringRejected
)

func (o ReloadOutcome) String() string {
	switch o {
	case KeyringUnchanged:
		return "unchanged"
	case KeyringReloaded:
		return "reloaded"
	case KeyringRejected:
		return "rejected"
	}
	return fmt.Sprintf("ReloadOutcome(%d)", uint8(o))
}

// ReloadEvent reports one check of a keyring file.
type ReloadEvent struct {
	Path    string
	Outcome ReloadOutcome
	Err     error    // why the file was rejected; nil unless Outcome is KeyringRejected
	Keyring *Keyring // the keyring in use after the check
}

// A KeyringFile is a [KeySource] that follows a keyring file as it
// changes, so that a whole fleet of servers picks up a rotation without a
// restart. Keyring is lock-free and never returns nil. A KeyringFile is
// safe for concurrent use.
//
// Each check reads the whole file, through any symlinks, and compares a
// hash of its contents with the file the keyring in use came from. It
// does not rely on modification times or on notifications, which miss
// editors that rewrite a file in place within one second, files deleted
// and created again, and Kubernetes Secret volumes, where the file is a
// symlink into a folder that is itself a symlink, swapped atomically for
// a new folder. A file that changed is read as [LoadKeyring] reads it,
// with the same options, and must also have a primary key at the time of
// the check; until a file passes, the last good keyring stays in use.
//
// A value can name a key that a server's keyring lacks when another
// server already has a newer file. Then, rather than wait for the next
// check, the [Codec] asks the KeyringFile to read the file at once, in
// the background: the request that asked fails with [ErrUnknownKey] (the
// store does not expire its cookies, since another server opens them; a
// handler that saves the fresh session it got replaces them, and that
// session is lost) and does not wait, and the requests after the check
// see the new keyring. So rotate with an activation delay (the default),
// which has every server hold the new key before any seals with it, and
// check that they do with keyring usage before it activates. Such reloads happen
// at most once per UnknownKeyReloadInterval for the whole KeyringFile,
// however many values name unknown keys, and never for the ids of pruned
// keys, so forged values cannot make a server read its disk more often.
type KeyringFile struct {
	path     string
	opts     KeyringFileOptions
	interval time.Duration
	minEarly time.Duration
	logger   *slog.Logger
	onReload func(ReloadEvent)
	now      func() time.Time

	ring atomic.Pointer[Keyring]

	mu        sync.Mutex // held during each check, so that checks happen one at a time
	sum       [sha256.Size]byte
	lastErr   string                // the text of the last rejection, to log repeats quietly
	ended     map[KeyID]bool        // key ids seen unable to open anything in a keyring in use; see checkNotStale
	rejected  atomic.Pointer[error] // the last check's rejection, nil after a good check
	epoch     time.Time             // what lastEarly counts from
	lastEarly atomic.Int64
	// triedCheck, set by tests before any tryCheck, is told that a
	// tryCheck has tried to take the lock, and whether it did.
	triedCheck func(locked bool)

	running   atomic.Bool
	closed    chan struct{}
	closeOnce sync.Once
}

var (
	_ KeySource   = (*KeyringFile)(nil)
	_ keyReloader = (*KeyringFile)(nil)
)

// NewKeyringFile reads the keyring file at path and returns a KeyringFile
// that serves it. It fails if this first read fails or the file is not a
// usable keyring. It starts nothing: call Run to check the file
// periodically, or Reload to check it once.
func NewKeyringFile(path string, cfg KeyringFileConfig) (*KeyringFile, error) {
	f := &KeyringFile{
		path:     path,
		opts:     cfg.FileOptions,
		interval: cfg.Interval,
		minEarly: cfg.UnknownKeyReloadInterval,
		logger:   cfg.Logger,
		onReload: cfg.OnReload,
		now:      cfg.Now,
		ended:    map[KeyID]bool{},
		closed:   make(chan struct{}),
	}
	switch {
	case f.interval == 0:
		f.interval = DefaultReloadInterval
	case f.interval < 0:
		return nil, fmt.Errorf("cookiesession: Interval %v is negative", f.interval)
	}
	if f.minEarly == 0 {
		f.minEarly = DefaultUnknownKeyReloadInterval
	}
	if f.now == nil {
		f.now = time.Now
	}
	f.epoch = f.now()
	f.lastEarly.Store(noEarlyReload)

	ring, sum, err := f.read()
	if err != nil {
		return nil, err
	}
	f.use(ring, sum)
	f.report(ReloadEvent{Path: path, Outcome: KeyringReloaded, Keyring: ring}, nil, "")
	return f, nil
}

// noEarlyReload marks that no unknown key has triggered a reload yet.
const noEarlyReload = -1 << 63

// Keyring returns the keyring in use.
func (f *KeyringFile) Keyring() *Keyring { return f.ring.Load() }

// Path returns the path of the file, as given to NewKeyringFile.
func (f *KeyringFile) Path() string { return f.path }

// Run checks the file every Interval until ctx is done or Close is called.
// It returns ctx's error in the first case and nil in the second, at once
// even while a check is waiting on a slow file system (that check goes on
// by itself, and the next begins only once it is over). Only one Run may
// be in progress at a time.
func (f *KeyringFile) Run(ctx context.Context) error {
	if !f.running.CompareAndSwap(false, true) {
		return errors.New("cookiesession: KeyringFile.Run is already running")
	}
	defer f.running.Store(false)
	t := time.NewTicker(f.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-f.closed:
			return nil
		case <-t.C:
			done := make(chan struct{})
			go func() {
				defer close(done)
				f.tryCheck("interval")
			}()
			select {
			case <-done:
			case <-ctx.Done():
				return ctx.Err()
			case <-f.closed:
				return nil
			}
		}
	}
}

// Close stops Run. The keyring in use stays available, and Reload still
// works. Close always returns nil.
func (f *KeyringFile) Close() error {
	f.closeOnce.Do(func() { close(f.closed) })
	return nil
}

// Reload checks the file now and, if it changed and is a usable keyring,
// puts its keyring in use. It returns nil if the keyring in use matches
// the file, and otherwise why the file was rejected.
func (f *KeyringFile) Reload() error {
	return f.check("reload").Err
}

// reloadFor implements keyReloader: see the KeyringFile documentation.
// It never waits: the check it may start runs on a goroutine of its own,
// so a request whose value names an unknown key (which any client can
// send) never waits on the file system or on another check, and fails
// with the keyring it has; the requests after the check see the new one.
func (f *KeyringFile) reloadFor(id KeyID, ring *Keyring) *Keyring {
	if cur := f.ring.Load(); cur != ring {
		return cur // already replaced since the codec looked
	}
	if slices.Contains(ring.deleted, id) || f.minEarly < 0 {
		return ring
	}
	// Claim the one early reload that the rate allows. Time is counted
	// from the epoch so that a monotonic clock reading, when there is
	// one, keeps wall clock jumps out of the limit.
	now := int64(f.now().Sub(f.epoch))
	last := f.lastEarly.Load()
	if since := now - last; last != noEarlyReload && since >= 0 && since < int64(f.minEarly) ||
		!f.lastEarly.CompareAndSwap(last, now) {
		return ring // rate-limited
	}
	go f.tryCheck("unknown key " + id.String())
	return ring
}

// check reads the file once and reports the outcome. Checks run one at a
// time; the callback and the log run after the lock is released.
func (f *KeyringFile) check(cause string) ReloadEvent {
	f.mu.Lock()
	return f.checkUnlock(cause)
}

// tryCheck is check, unless a check is in progress already: then the file
// is being read, and tryCheck returns at once without waiting for it.
func (f *KeyringFile) tryCheck(cause string) {
	locked := f.mu.TryLock()
	if f.triedCheck != nil {
		f.triedCheck(locked) // tests: the attempt has been made
	}
	if locked {
		f.checkUnlock(cause)
	}
}

// checkUnlock does the check with f.mu held, and releases it.
func (f *KeyringFile) checkUnlock(cause string) ReloadEvent {
	ev, prevErr := f.checkLocked()
	f.lastErr = ""
	if ev.Err != nil {
		f.lastErr = ev.Err.Error()
		f.rejected.Store(&ev.Err)
	} else {
		f.rejected.Store(nil)
	}
	f.mu.Unlock()
	f.report(ev, prevErr, cause)
	return ev
}

// LastError returns why the latest check of the file rejected it, or nil
// if the latest check found a usable keyring (or the one in use). While
// it is not nil, the keyring in use is older than the file: servers may
// be out of step, and the file needs fixing.
func (f *KeyringFile) LastError() error {
	if p := f.rejected.Load(); p != nil {
		return *p
	}
	return nil
}

func (f *KeyringFile) checkLocked() (ev ReloadEvent, prevErr *string) {
	ev = ReloadEvent{Path: f.path, Keyring: f.ring.Load()}
	if f.lastErr != "" {
		s := f.lastErr
		prevErr = &s
	}
	ring, sum, err := f.read()
	switch {
	case errors.Is(err, errSameFile):
		ev.Outcome = KeyringUnchanged
	case err != nil:
		ev.Outcome, ev.Err = KeyringRejected, err
	default:
		f.use(ring, sum)
		ev.Outcome, ev.Keyring = KeyringReloaded, ring
	}
	return ev, prevErr
}

// errSameFile is how read reports a file identical to the one in use.
var errSameFile = errors.New("same file")

// read reads and validates the file. Once a keyring is in use, it returns
// errSameFile for a file whose contents hash to the same sum, and spends
// nothing on parsing it again.
func (f *KeyringFile) read() (*Keyring, [sha256.Size]byte, error) {
	var sum [sha256.Size]byte
	data, err := readKeyringFile(f.path, &f.opts)
	if err != nil {
		return nil, sum, err
	}
	defer clear(data) // it holds the secrets
	sum = sha256.Sum256(data)
	if f.ring.Load() != nil && bytes.Equal(sum[:], f.sum[:]) {
		return nil, sum, errSameFile
	}
	ring, err := parseKeyring(data, f.path)
	if err != nil {
		return nil, sum, err
	}
	// A file without a primary would make every server refuse to seal;
	// keeping the last good keyring lets them go on until it is fixed.
	now := f.now()
	if ring.primary(now) < 0 {
		return nil, sum, &KeyringError{Path: f.path, Problem: "no key can seal at " + now.UTC().Format(time.RFC3339), Err: ErrNoPrimaryKey}
	}
	if err := f.checkNotStale(ring, now); err != nil {
		return nil, sum, err
	}
	return ring, sum, nil
}

// checkNotStale refuses a file that would undo what the keyring in use
// did: an old copy put back by configuration management, a Secret rolled
// back. A revocation, or a retirement whose time has passed, is a promise
// that the key's sessions are dead; a file from before it would bring
// them back to life. Keyring.Promote refuses the same for a keyring in
// memory. (A file that merely lacks keys is taken: replacing a keyring
// with a new one is how an operator starts over. `cookiesession keyring
// usage --keyring FILE` tells which servers lack a key of FILE.)
func (f *KeyringFile) checkNotStale(ring *Keyring, now time.Time) error {
	cur := f.ring.Load()
	for _, k := range ring.keys {
		if !k.CanOpen(now) {
			continue
		}
		ended := f.ended[k.ID] || cur != nil && slices.Contains(cur.deleted, k.ID)
		if i := cur.index(k.ID); i >= 0 && !cur.keys[i].CanOpen(now) {
			ended = true
		}
		if ended {
			return &KeyringError{Path: f.path, Key: k.ID.String(),
				Problem: "can no longer open sessions (revoked, or retired past its retire-after time), and this file makes it " +
					k.State.String() + " again (an old copy of the file?)",
				Err: ErrKeyRevived}
		}
	}
	return nil
}

// use puts ring in use and remembers the keys that can no longer open
// anything. The memory is bounded by the keys an operator ends: each
// was in a keyring file.
func (f *KeyringFile) use(ring *Keyring, sum [sha256.Size]byte) {
	now := f.now()
	// The keyring it replaces too: a key whose retire-after time passed
	// while that keyring was in use ended then, and a file that leaves it
	// out must not let a later one bring it back.
	for _, r := range [2]*Keyring{f.ring.Load(), ring} {
		if r == nil {
			continue
		}
		for _, k := range r.keys {
			if !k.CanOpen(now) {
				f.ended[k.ID] = true
			}
		}
		for _, id := range r.deleted { // pruned: they could open nothing
			f.ended[id] = true
		}
	}
	f.ring.Store(ring)
	f.sum = sum
}

// report logs an outcome and passes it to the callback. prevErr is the
// text of the previous check's rejection, if it was one.
func (f *KeyringFile) report(ev ReloadEvent, prevErr *string, cause string) {
	l := logger(f.logger)
	ctx := context.Background()
	attrs := []slog.Attr{slog.String("path", ev.Path)}
	if cause != "" {
		attrs = append(attrs, slog.String("cause", cause))
	}
	switch ev.Outcome {
	case KeyringReloaded:
		attrs = append(attrs, slog.Int("keys", len(ev.Keyring.keys)))
		if p, err := ev.Keyring.Primary(f.now()); err == nil {
			attrs = append(attrs, slog.String("primary", p.ID.String()))
		}
		l.LogAttrs(ctx, slog.LevelInfo, "cookiesession: keyring loaded", attrs...)
	case KeyringUnchanged:
		level, msg := slog.LevelDebug, "cookiesession: keyring unchanged"
		if prevErr != nil {
			level, msg = slog.LevelInfo, "cookiesession: keyring file usable again, unchanged"
		}
		l.LogAttrs(ctx, level, msg, attrs...)
	case KeyringRejected:
		level := slog.LevelError
		if prevErr != nil && *prevErr == ev.Err.Error() {
			level = slog.LevelDebug
		}
		attrs = append(attrs, slog.Any("error", ev.Err))
		l.LogAttrs(ctx, level, "cookiesession: keyring file rejected, keeping the last good keyring", attrs...)
	}
	if f.onReload != nil {
		f.onReload(ev)
	}
}
