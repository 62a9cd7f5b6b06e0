package cookiesession

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// wClock is a clock that a test moves by hand.
type wClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *wClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *wClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// wNow is when the watcher tests run: an hour after lcT0, when keyrings
// made at lcT0 and rotated at once have their new key as the primary.
var wNow = lcT0.Add(time.Hour)

// wRings returns two keyrings of one key each, made at lcT0, whose files
// have the same size.
func wRings(t *testing.T) (*Keyring, *Keyring) {
	t.Helper()
	r1, err := NewKeyring(lcT0)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := NewKeyring(lcT0)
	if err != nil {
		t.Fatal(err)
	}
	return r1, r2
}

func wMarshal(t *testing.T, r *Keyring) []byte {
	t.Helper()
	data, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// wWriteInPlace rewrites the file at path without replacing it, as an
// editor that writes in place does.
func wWriteInPlace(t *testing.T, path string, data []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// wEvents collects the events a KeyringFile reports.
type wEvents struct {
	ch chan ReloadEvent
	n  atomic.Int64
}

func (e *wEvents) on(ev ReloadEvent) {
	e.n.Add(1)
	select {
	case e.ch <- ev:
	default: // a test that reads no events does not block the watcher
	}
}

// wTimeout bounds every wait for an event.
const wTimeout = 10 * time.Second

// next returns the next event, failing the test if none comes in time.
func (e *wEvents) next(t *testing.T) ReloadEvent {
	t.Helper()
	select {
	case ev := <-e.ch:
		return ev
	case <-time.After(wTimeout):
		t.Fatal("no reload event")
		return ReloadEvent{}
	}
}

// waitFor returns the first event with the given outcome, failing the
// test if none comes in time.
func (e *wEvents) waitFor(t *testing.T, o ReloadOutcome) ReloadEvent {
	t.Helper()
	deadline := time.After(wTimeout)
	for {
		select {
		case ev := <-e.ch:
			if ev.Outcome == o {
				return ev
			}
		case <-deadline:
			t.Fatalf("no %v event", o)
			return ReloadEvent{}
		}
	}
}

func (e *wEvents) none(t *testing.T) {
	t.Helper()
	select {
	case ev := <-e.ch:
		t.Fatalf("unexpected event %v (%v)", ev.Outcome, ev.Err)
	default:
	}
}

// wWatch returns a KeyringFile on path with a hand-moved clock at wNow,
// and the events it reports, the first of which has been read.
func wWatch(t *testing.T, path string, cfg KeyringFileConfig) (*KeyringFile, *wEvents, *wClock) {
	t.Helper()
	clock := &wClock{t: wNow}
	events := &wEvents{ch: make(chan ReloadEvent, 1024)}
	if cfg.Now == nil {
		cfg.Now = clock.Now
	}
	cfg.OnReload = events.on
	f, err := NewKeyringFile(path, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if ev := events.next(t); ev.Outcome != KeyringReloaded || ev.Keyring != f.Keyring() {
		t.Fatalf("first event %v, want %v with the keyring", ev.Outcome, KeyringReloaded)
	}
	return f, events, clock
}

// wSameKeys reports whether two keyrings hold the same keys.
func wSameKeys(t *testing.T, got, want *Keyring) {
	t.Helper()
	if diff := cmp.Diff(lcSummaries(want), lcSummaries(got)); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
}

func TestNewKeyringFile(t *testing.T) {
	good, _ := wRings(t)
	pending := lcRing(t, nil, lcKey(1, KeyActive, wNow.Add(time.Hour), time.Time{}))
	for _, tc := range []struct {
		name  string
		setup func(path string) error
		cfg   KeyringFileConfig
		want  error // nil: it loads
	}{
		{"missing", func(string) error { return nil }, KeyringFileConfig{}, fs.ErrNotExist},
		{"good", func(p string) error { return good.Save(p) }, KeyringFileConfig{}, nil},
		{"readable", func(p string) error { return os.WriteFile(p, wMarshal(t, good), 0o644) }, KeyringFileConfig{}, ErrKeyringPermissions},
		{"readable allowed", func(p string) error { return os.WriteFile(p, wMarshal(t, good), 0o644) },
			KeyringFileConfig{FileOptions: KeyringFileOptions{AllowReadableByOthers: true}}, nil},
		{"invalid", func(p string) error { return os.WriteFile(p, []byte(`{"version":1}`), 0o600) }, KeyringFileConfig{}, ErrInvalidKeyring},
		{"no primary", func(p string) error { return pending.Save(p) }, KeyringFileConfig{}, ErrNoPrimaryKey},
		{"directory", func(p string) error { return os.Mkdir(p, 0o700) }, KeyringFileConfig{}, ErrInvalidKeyring},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "keys.json")
			if err := tc.setup(path); err != nil {
				t.Fatal(err)
			}
			tc.cfg.Now = func() time.Time { return wNow }
			var events []ReloadEvent
			tc.cfg.OnReload = func(ev ReloadEvent) { events = append(events, ev) }
			f, err := NewKeyringFile(path, tc.cfg)
			if tc.want != nil {
				if !errors.Is(err, tc.want) || f != nil {
					t.Fatalf("NewKeyringFile: %v, %v; want an error matching %v", f, err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			wSameKeys(t, f.Keyring(), good)
			if len(events) != 1 || events[0].Outcome != KeyringReloaded || events[0].Path != path {
				t.Errorf("events %+v, want one %v", events, KeyringReloaded)
			}
			if f.Path() != path {
				t.Errorf("Path() = %q, want %q", f.Path(), path)
			}
		})
	}

	t.Run("negative interval", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "keys.json")
		if err := good.Save(path); err != nil {
			t.Fatal(err)
		}
		if _, err := NewKeyringFile(path, KeyringFileConfig{Interval: -time.Second}); err == nil {
			t.Error("negative Interval accepted")
		}
	})
}

func TestKeyringFileReload(t *testing.T) {
	r1, r2 := wRings(t)
	path := filepath.Join(t.TempDir(), "keys.json")
	if err := r1.Save(path); err != nil {
		t.Fatal(err)
	}
	f, events, _ := wWatch(t, path, KeyringFileConfig{})
	first := f.Keyring()
	wSameKeys(t, first, r1)

	if err := f.Reload(); err != nil {
		t.Fatal(err)
	}
	if ev := events.next(t); ev.Outcome != KeyringUnchanged || ev.Keyring != first || ev.Err != nil {
		t.Errorf("event %v (%v), want %v", ev.Outcome, ev.Err, KeyringUnchanged)
	}
	if f.Keyring() != first {
		t.Error("an unchanged file replaced the keyring")
	}

	if err := r2.Save(path); err != nil {
		t.Fatal(err)
	}
	if err := f.Reload(); err != nil {
		t.Fatal(err)
	}
	ev := events.next(t)
	if ev.Outcome != KeyringReloaded || ev.Keyring != f.Keyring() || ev.Path != path {
		t.Errorf("event %+v, want %v", ev, KeyringReloaded)
	}
	wSameKeys(t, f.Keyring(), r2)
}

func TestKeyringFileKeepsLastGood(t *testing.T) {
	r1, r2 := wRings(t)
	good := wMarshal(t, r1)
	badSecret := strings.Replace(string(good), `"secret": "`, `"secret": "AAAA`, 1)
	for _, tc := range []struct {
		name  string
		spoil func(path string) error
		want  error
	}{
		{"missing", os.Remove, fs.ErrNotExist},
		{"empty", func(p string) error { return os.WriteFile(p, nil, 0o600) }, ErrInvalidKeyring},
		{"truncated", func(p string) error { return os.WriteFile(p, good[:len(good)/2], 0o600) }, ErrInvalidKeyring},
		{"invalid key", func(p string) error { return os.WriteFile(p, []byte(badSecret), 0o600) }, ErrInvalidKeyring},
		{"unknown field", func(p string) error {
			return os.WriteFile(p, []byte(strings.Replace(string(good), `"version"`, `"extra": 1, "version"`, 1)), 0o600)
		}, ErrInvalidKeyring},
		{"readable by others", func(p string) error { return os.Chmod(p, 0o644) }, ErrKeyringPermissions},
		{"no primary", func(p string) error {
			return lcRing(t, nil, lcKey(1, KeyActive, wNow.Add(time.Minute), time.Time{})).Save(p)
		}, ErrNoPrimaryKey},
		{"a directory", func(p string) error {
			if err := os.Remove(p); err != nil {
				return err
			}
			return os.Mkdir(p, 0o700)
		}, ErrInvalidKeyring},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "keys.json")
			if err := os.WriteFile(path, good, 0o600); err != nil {
				t.Fatal(err)
			}
			f, events, _ := wWatch(t, path, KeyringFileConfig{})
			last := f.Keyring()
			if err := tc.spoil(path); err != nil {
				t.Fatal(err)
			}
			for range 2 { // and again: a bad file stays bad
				err := f.Reload()
				if !errors.Is(err, tc.want) {
					t.Fatalf("Reload: %v, want %v", err, tc.want)
				}
				ev := events.next(t)
				if ev.Outcome != KeyringRejected || !errors.Is(ev.Err, tc.want) || ev.Keyring != last {
					t.Fatalf("event %v (%v), want %v with %v", ev.Outcome, ev.Err, KeyringRejected, tc.want)
				}
				if f.Keyring() != last {
					t.Fatal("a bad file replaced the keyring")
				}
			}
			// A good file is taken again.
			os.RemoveAll(path)
			if err := r2.Save(path); err != nil {
				t.Fatal(err)
			}
			if err := f.Reload(); err != nil {
				t.Fatal(err)
			}
			if ev := events.next(t); ev.Outcome != KeyringReloaded {
				t.Errorf("event %v (%v), want %v", ev.Outcome, ev.Err, KeyringReloaded)
			}
			wSameKeys(t, f.Keyring(), r2)
		})
	}
}

func TestKeyringFileInPlaceSameSizeAndTime(t *testing.T) {
	r1, r2 := wRings(t)
	d1, d2 := wMarshal(t, r1), wMarshal(t, r2)
	if len(d1) != len(d2) {
		t.Fatalf("files of %d and %d bytes; the test needs equal sizes", len(d1), len(d2))
	}
	path := filepath.Join(t.TempDir(), "keys.json")
	wWriteInPlace(t, path, d1)
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	f, events, _ := wWatch(t, path, KeyringFileConfig{})

	wWriteInPlace(t, path, d2)
	if err := os.Chtimes(path, before.ModTime(), before.ModTime()); err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if after.Size() != before.Size() || !after.ModTime().Equal(before.ModTime()) || !os.SameFile(before, after) {
		t.Fatal("the rewrite changed the size, the time or the file")
	}
	if err := f.Reload(); err != nil {
		t.Fatal(err)
	}
	if ev := events.next(t); ev.Outcome != KeyringReloaded {
		t.Errorf("event %v, want %v", ev.Outcome, KeyringReloaded)
	}
	wSameKeys(t, f.Keyring(), r2)
}

func TestKeyringFileDeleteThenCreate(t *testing.T) {
	r1, r2 := wRings(t)
	path := filepath.Join(t.TempDir(), "keys.json")
	if err := r1.Save(path); err != nil {
		t.Fatal(err)
	}
	f, events, _ := wWatch(t, path, KeyringFileConfig{})
	last := f.Keyring()

	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := f.Reload(); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Reload of a deleted file: %v", err)
	}
	events.waitFor(t, KeyringRejected)
	if f.Keyring() != last {
		t.Fatal("a deleted file replaced the keyring")
	}
	wWriteInPlace(t, path, wMarshal(t, r2))
	if err := f.Reload(); err != nil {
		t.Fatal(err)
	}
	events.waitFor(t, KeyringReloaded)
	wSameKeys(t, f.Keyring(), r2)
}

// wK8sVolume lays out a folder as a Kubernetes Secret volume does:
// keys.json → ..data/keys.json, ..data → a timestamped folder.
type wK8sVolume struct {
	dir string
	n   int
}

func (v *wK8sVolume) path() string { return filepath.Join(v.dir, "keys.json") }

// publish writes a new timestamped folder and swaps ..data to it
// atomically, by renaming a new symlink over the old one, then removes
// the old folder.
func (v *wK8sVolume) publish(t *testing.T, data []byte) {
	t.Helper()
	v.n++
	name := fmt.Sprintf("..2026_11_21_10_00_%02d.%09d", v.n, v.n)
	if err := os.Mkdir(filepath.Join(v.dir, name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(v.dir, name, "keys.json"), data, 0o400); err != nil {
		t.Fatal(err)
	}
	old, _ := os.Readlink(filepath.Join(v.dir, "..data"))
	if err := os.Symlink(name, filepath.Join(v.dir, "..data_tmp")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(v.dir, "..data_tmp"), filepath.Join(v.dir, "..data")); err != nil {
		t.Fatal(err)
	}
	if old != "" {
		if err := os.RemoveAll(filepath.Join(v.dir, old)); err != nil {
			t.Fatal(err)
		}
	}
	if v.n == 1 {
		if err := os.Symlink(filepath.Join("..data", "keys.json"), v.path()); err != nil {
			t.Fatal(err)
		}
	}
}

func TestKeyringFileKubernetesSecretVolume(t *testing.T) {
	r1, r2 := wRings(t)
	r3, _, err := r2.Rotate(lcT0, &RotateOptions{ActivationDelay: -1})
	if err != nil {
		t.Fatal(err)
	}
	vol := &wK8sVolume{dir: t.TempDir()}
	vol.publish(t, wMarshal(t, r1))
	f, events, _ := wWatch(t, vol.path(), KeyringFileConfig{Interval: time.Millisecond})
	wSameKeys(t, f.Keyring(), r1)

	// Forced checks see each swap.
	vol.publish(t, wMarshal(t, r2))
	if err := f.Reload(); err != nil {
		t.Fatal(err)
	}
	events.waitFor(t, KeyringReloaded)
	wSameKeys(t, f.Keyring(), r2)

	// So does Run.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	vol.publish(t, wMarshal(t, r3))
	events.waitFor(t, KeyringReloaded)
	wSameKeys(t, f.Keyring(), r3)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run returned %v, want context.Canceled", err)
	}
}

func TestKeyringFileRun(t *testing.T) {
	r1, r2 := wRings(t)
	path := filepath.Join(t.TempDir(), "keys.json")
	if err := r1.Save(path); err != nil {
		t.Fatal(err)
	}
	f, events, _ := wWatch(t, path, KeyringFileConfig{Interval: time.Millisecond})
	done := make(chan error, 1)
	go func() { done <- f.Run(context.Background()) }()

	// Checks happen without any call: wait for one.
	events.waitFor(t, KeyringUnchanged)
	if err := r2.Save(path); err != nil {
		t.Fatal(err)
	}
	events.waitFor(t, KeyringReloaded)
	wSameKeys(t, f.Keyring(), r2)

	// A second Run at the same time is refused... (Run is running: an
	// event was seen after it started.)
	if err := f.Run(context.Background()); err == nil {
		t.Error("a second Run started")
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Errorf("Run after Close returned %v, want nil", err)
	}
	// ...and a Run after Close returns at once.
	if err := f.Run(context.Background()); err != nil {
		t.Errorf("Run after Close returned %v, want nil", err)
	}
	// The keyring and Reload go on working.
	if err := f.Reload(); err != nil {
		t.Error(err)
	}
	wSameKeys(t, f.Keyring(), r2)
}

// TestKeyringFileConcurrent reads the keyring, seals and opens values
// in several goroutines while the file is swapped, rewritten in place
// and checked over and over. Run it with -race.
func TestKeyringFileConcurrent(t *testing.T) {
	r1, _ := wRings(t)
	r2, _, err := r1.Rotate(lcT0, &RotateOptions{ActivationDelay: -1})
	if err != nil {
		t.Fatal(err)
	}
	d1, d2 := wMarshal(t, r1), wMarshal(t, r2)
	path := filepath.Join(t.TempDir(), "keys.json")
	if err := r1.Save(path); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	now := func() time.Time { return wNow.Add(time.Since(start)) }
	f, _, _ := wWatch(t, path, KeyringFileConfig{Interval: time.Millisecond, UnknownKeyReloadInterval: time.Millisecond, Now: now})
	codec, err := NewCodec(f, CodecConfig{Now: func() time.Time { return wNow }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	runDone := make(chan error, 1)
	go func() { runDone <- f.Run(ctx) }()

	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan error, 100)
	for g := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if f.Keyring() == nil {
					errs <- errors.New("nil keyring")
					return
				}
				v, err := codec.Encode("session", fmt.Sprint(g, i))
				if err != nil {
					errs <- err
					return
				}
				var s string
				// Values sealed under the new key do not open while the
				// old file is back: that is the only failure allowed.
				err = codec.Decode("session", v, &s)
				if err != nil && !errors.Is(err, ErrUnknownKey) {
					errs <- err
					return
				}
				if err == nil && s != fmt.Sprint(g, i) {
					errs <- fmt.Errorf("opened %q, want %q", s, fmt.Sprint(g, i))
					return
				}
			}
		}()
	}
	for i := range 100 {
		data := d1
		if i%2 == 0 {
			data = d2
		}
		if i%3 == 0 {
			wWriteInPlace(t, path, data)
		} else {
			tmp := path + ".new"
			if err := os.WriteFile(tmp, data, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(tmp, path); err != nil {
				t.Fatal(err)
			}
		}
		f.Reload() // a file caught half written is rejected: fine
	}
	close(stop)
	wg.Wait()
	cancel()
	<-runDone
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestKeyringFileUnknownKeyReload(t *testing.T) {
	r1, _ := wRings(t)
	r2, b, err := r1.Rotate(lcT0, &RotateOptions{ActivationDelay: -1})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "keys.json")
	if err := r1.Save(path); err != nil {
		t.Fatal(err)
	}
	f, events, clock := wWatch(t, path, KeyringFileConfig{Interval: time.Hour})
	codec, err := NewCodec(f, CodecConfig{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	// Another server already has the new file and seals under key b.
	vb, sealer := lcSeal(t, r2, wNow)
	if sealer != b.ID {
		t.Fatalf("sealed under %s, want %s", sealer, b.ID)
	}
	var s string

	// This server's file is not there yet: the value triggers a check in
	// the background, which finds nothing new.
	lcWantKeyErr(t, codec.Decode("session", vb, &s), ErrUnknownKey, b.ID)
	if ev := events.next(t); ev.Outcome != KeyringUnchanged {
		t.Fatalf("event %v, want %v", ev.Outcome, KeyringUnchanged)
	}

	// The file arrives, but within the second no other check happens.
	if err := r2.Save(path); err != nil {
		t.Fatal(err)
	}
	clock.Advance(999 * time.Millisecond)
	lcWantKeyErr(t, codec.Decode("session", vb, &s), ErrUnknownKey, b.ID)
	events.none(t)
	if f.Keyring().index(b.ID) >= 0 {
		t.Fatal("reloaded within the rate limit")
	}

	// A second later, the value brings the new keyring in: the request
	// that triggers the check does not wait for it, the next one opens.
	clock.Advance(time.Millisecond)
	lcWantKeyErr(t, codec.Decode("session", vb, &s), ErrUnknownKey, b.ID)
	if ev := events.next(t); ev.Outcome != KeyringReloaded {
		t.Fatalf("event %v, want %v", ev.Outcome, KeyringReloaded)
	}
	if err := codec.Decode("session", vb, &s); err != nil || s != "hello" {
		t.Fatalf("Decode after the early reload: %q, %v", s, err)
	}
	wSameKeys(t, f.Keyring(), r2)
}

func TestKeyringFileUnknownKeyRateLimit(t *testing.T) {
	deleted := KeyID(0xdead)
	file := lcRing(t, []KeyID{deleted}, lcKey(1, KeyActive, lcT0, time.Time{}))
	path := filepath.Join(t.TempDir(), "keys.json")
	if err := file.Save(path); err != nil {
		t.Fatal(err)
	}
	f, events, clock := wWatch(t, path, KeyringFileConfig{Interval: time.Hour})
	codec, err := NewCodec(f, CodecConfig{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	var s string

	// A value under a pruned key never triggers a check.
	vDeleted, _ := lcSeal(t, lcRing(t, nil, lcKey(deleted, KeyActive, lcT0, time.Time{})), wNow)
	for range 3 {
		lcWantKeyErr(t, codec.Decode("session", vDeleted, &s), ErrUnknownKey, deleted)
		clock.Advance(time.Hour)
	}
	events.none(t)

	// A flood of values under made-up keys, from many goroutines at
	// once, triggers one check per second in all.
	forged := make([]string, 64)
	for i := range forged {
		forged[i], _ = lcSeal(t, lcRing(t, nil, lcKey(KeyID(100+i), KeyActive, lcT0, time.Time{})), wNow)
	}
	for second := range 3 {
		before := events.n.Load()
		var wg sync.WaitGroup
		for _, v := range forged {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var s string
				if err := codec.Decode("session", v, &s); !errors.Is(err, ErrUnknownKey) {
					t.Errorf("forged value: %v, want ErrUnknownKey", err)
				}
			}()
		}
		wg.Wait()
		events.next(t) // the check runs in the background
		if got := events.n.Load() - before; got != 1 {
			t.Errorf("second %d: %d checks, want 1", second, got)
		}
		clock.Advance(time.Second)
	}

	// A keyring already replaced is handed back without a check.
	stale := f.Keyring()
	if err := lcRing(t, nil, lcKey(2, KeyActive, lcT0, time.Time{})).Save(path); err != nil {
		t.Fatal(err)
	}
	if err := f.Reload(); err != nil {
		t.Fatal(err)
	}
	n := events.n.Load()
	if got := f.reloadFor(0xabc, stale); got != f.Keyring() {
		t.Error("reloadFor with a stale keyring did not return the current one")
	}
	if events.n.Load() != n {
		t.Error("reloadFor with a stale keyring checked the file")
	}

	// A negative interval turns early reloads off.
	g, gEvents, gClock := wWatch(t, path, KeyringFileConfig{UnknownKeyReloadInterval: -1})
	gCodec, err := NewCodec(g, CodecConfig{Now: gClock.Now})
	if err != nil {
		t.Fatal(err)
	}
	lcWantKeyErr(t, gCodec.Decode("session", forged[0], &s), ErrUnknownKey, 100)
	gEvents.none(t)
}

// wRecorder is a slog.Handler that keeps each record's level and message.
type wRecorder struct {
	mu      sync.Mutex
	records []string
}

func (h *wRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (h *wRecorder) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *wRecorder) WithGroup(string) slog.Handler            { return h }
func (h *wRecorder) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, r.Level.String()+" "+r.Message)
	return nil
}

func (h *wRecorder) take() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.records
	h.records = nil
	return r
}

func TestKeyringFileLogging(t *testing.T) {
	r1, r2 := wRings(t)
	path := filepath.Join(t.TempDir(), "keys.json")
	if err := r1.Save(path); err != nil {
		t.Fatal(err)
	}
	rec := &wRecorder{}
	f, _, _ := wWatch(t, path, KeyringFileConfig{Logger: slog.New(rec)})
	const (
		loaded   = "INFO cookiesession: keyring loaded"
		same     = "DEBUG cookiesession: keyring unchanged"
		again    = "INFO cookiesession: keyring file usable again, unchanged"
		rejected = "cookiesession: keyring file rejected, keeping the last good keyring"
	)
	steps := []struct {
		change func() error
		want   string
	}{
		{func() error { return nil }, same},
		{func() error { return os.Chmod(path, 0o644) }, "ERROR " + rejected},
		{func() error { return nil }, "DEBUG " + rejected}, // the same problem again
		{func() error { return os.Remove(path) }, "ERROR " + rejected},
		{func() error { return r1.Save(path) }, again},
		{func() error { return r2.Save(path) }, loaded},
	}
	if diff := cmp.Diff([]string{loaded}, rec.take()); diff != "" {
		t.Errorf("first load logged (-want +got):\n%s", diff)
	}
	for i, step := range steps {
		if err := step.change(); err != nil {
			t.Fatal(err)
		}
		f.Reload()
		if diff := cmp.Diff([]string{step.want}, rec.take()); diff != "" {
			t.Errorf("step %d logged (-want +got):\n%s", i, diff)
		}
	}
}

// TestKeyringFileUnknownKeyNeverWaits checks that a value naming an
// unknown key never makes its request wait on a check in progress, which
// may be stuck on a slow file system.
func TestKeyringFileUnknownKeyNeverWaits(t *testing.T) {
	r1, r2 := wRings(t)
	path := filepath.Join(t.TempDir(), "keys.json")
	if err := r1.Save(path); err != nil {
		t.Fatal(err)
	}
	f, events, _ := wWatch(t, path, KeyringFileConfig{Interval: time.Hour})
	old := f.Keyring()
	b := r2.Keys()[0].ID

	// Stand in for a check stuck on the file: the lock is held, until the
	// early check reloadFor starts has tried to take it.
	tried := make(chan bool, 1)
	f.triedCheck = func(locked bool) { tried <- locked }
	f.mu.Lock()
	got := make(chan *Keyring, 1)
	go func() { got <- f.reloadFor(b, old) }()
	select {
	case r := <-got:
		if r != old {
			t.Error("reloadFor did not return the keyring it had")
		}
	case <-time.After(wTimeout):
		t.Fatal("reloadFor waited for a check in progress")
	}
	select {
	case locked := <-tried:
		if locked {
			t.Error("the early check took a lock that was held")
		}
	case <-time.After(wTimeout):
		t.Fatal("reloadFor started no early check")
	}
	f.mu.Unlock()
	events.none(t) // the busy check was not doubled
}

// TestKeyringFileNotRegular checks that a FIFO, a folder or a device at the
// keyring path is refused at once, by every reader, rather than block the
// open until a writer comes; and that a watcher whose file turns into a
// FIFO keeps its keyring, serves requests and stops when told.
func TestKeyringFileNotRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.json")
	if err := syscallMkfifo(fifo); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	for _, path := range []string{fifo, dir, os.DevNull} {
		done := make(chan error, 1)
		go func() {
			_, err := LoadKeyring(path, nil)
			done <- err
		}()
		select {
		case err := <-done:
			if !errors.Is(err, ErrInvalidKeyring) || !strings.Contains(err.Error(), "not a regular file") {
				t.Errorf("LoadKeyring(%s): %v, want a KeyringError about the file type", path, err)
			}
		case <-time.After(wTimeout):
			t.Fatalf("LoadKeyring(%s) blocked", path)
		}
		if _, err := NewKeyringFile(path, KeyringFileConfig{}); !errors.Is(err, ErrInvalidKeyring) {
			t.Errorf("NewKeyringFile(%s): %v, want ErrInvalidKeyring", path, err)
		}
	}

	// A watched file replaced by a FIFO.
	r1, r2 := wRings(t)
	path := filepath.Join(dir, "keys.json")
	if err := r1.Save(path); err != nil {
		t.Fatal(err)
	}
	f, events, clock := wWatch(t, path, KeyringFileConfig{Interval: time.Millisecond})
	if err := os.Rename(fifo, path); err != nil {
		t.Fatal(err)
	}
	st, err := NewStore(f, Config[string]{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- f.Run(ctx) }()
	if ev := events.waitFor(t, KeyringRejected); !errors.Is(ev.Err, ErrInvalidKeyring) {
		t.Errorf("check of the FIFO: %v, want ErrInvalidKeyring", ev.Err)
	}
	if !errors.Is(f.LastError(), ErrInvalidKeyring) {
		t.Errorf("LastError: %v, want ErrInvalidKeyring", f.LastError())
	}
	if f.Keyring().Keys()[0].ID != r1.Keys()[0].ID {
		t.Error("the last good keyring is no longer in use")
	}
	// Requests naming a key this server lacks, which try an early
	// reload, all come back.
	other, err := NewStore(r2, Config[string]{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	s, _ := other.Load(httptest.NewRequest("GET", "/", nil))
	s.Set("x")
	if err := other.Save(rec, nil, s); err != nil {
		t.Fatal(err)
	}
	cookies := rec.Result().Cookies()
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			clock.Advance(2 * time.Second) // past the early reload's rate limit
			req := httptest.NewRequest("GET", "/", nil)
			for _, c := range cookies {
				req.AddCookie(c)
			}
			if _, err := st.Load(req); !errors.Is(err, ErrUnknownKey) {
				t.Errorf("Load: %v, want ErrUnknownKey", err)
			}
		}()
	}
	waitGroupOrFail(t, &wg, "requests naming an unknown key")
	cancel()
	select {
	case <-ran:
	case <-time.After(wTimeout):
		t.Fatal("Run did not stop when its context was cancelled")
	}
}

func waitGroupOrFail(t *testing.T, wg *sync.WaitGroup, what string) {
	t.Helper()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(wTimeout):
		t.Fatalf("%s hung", what)
	}
}

// TestKeyringFileRefusesRevival checks that an old copy of the file, from
// before a key was revoked, is refused while the revocation stands, even
// after the revoked key was pruned from the file.
func TestKeyringFileRefusesRevival(t *testing.T) {
	r1, _ := wRings(t)
	a := r1.Keys()[0].ID
	r2, b, err := r1.Rotate(lcT0, &RotateOptions{ActivationDelay: -1})
	if err != nil {
		t.Fatal(err)
	}
	revoked, err := r2.Revoke(a, wNow)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "keys.json")
	if err := revoked.Save(path); err != nil {
		t.Fatal(err)
	}
	rec := &wRecorder{}
	f, events, clock := wWatch(t, path, KeyringFileConfig{Logger: slog.New(rec)})
	rec.take()
	codec, err := NewCodec(f, CodecConfig{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	va, _ := lcSeal(t, r1, wNow)
	var s string
	lcWantKeyErr(t, codec.Decode("session", va, &s), ErrRevokedKey, a)

	// The stale file, from before the revocation.
	if err := r2.Save(path); err != nil {
		t.Fatal(err)
	}
	err = f.Reload()
	var ke *KeyringError
	if !errors.Is(err, ErrKeyRevived) || !errors.As(err, &ke) || ke.Key != a.String() {
		t.Fatalf("Reload of a stale file: %v, want ErrKeyRevived naming %s", err, a)
	}
	if ev := events.next(t); ev.Outcome != KeyringRejected || !errors.Is(ev.Err, ErrKeyRevived) {
		t.Errorf("event %v %v, want a rejection", ev.Outcome, ev.Err)
	}
	if got := rec.take(); len(got) != 1 || !strings.HasPrefix(got[0], "ERROR ") {
		t.Errorf("logged %q, want one ERROR record", got)
	}
	if !errors.Is(f.LastError(), ErrKeyRevived) {
		t.Errorf("LastError: %v", f.LastError())
	}
	lcWantKeyErr(t, codec.Decode("session", va, &s), ErrRevokedKey, a)

	// The revoked key taken out of the file, then the stale file again:
	// still refused.
	pruned := lcRing(t, []KeyID{a}, b)
	if err := pruned.Save(path); err != nil {
		t.Fatal(err)
	}
	if err := f.Reload(); err != nil {
		t.Fatalf("Reload of the pruned file: %v", err)
	}
	if f.LastError() != nil {
		t.Errorf("LastError after a good file: %v", f.LastError())
	}
	if err := r2.Save(path); err != nil {
		t.Fatal(err)
	}
	if err := f.Reload(); !errors.Is(err, ErrKeyRevived) {
		t.Fatalf("Reload of a stale file after the prune: %v, want ErrKeyRevived", err)
	}
	if f.Keyring().index(b.ID) < 0 || f.Keyring().index(a) >= 0 {
		t.Error("the pruned keyring is no longer in use")
	}
	lcWantKeyErr(t, codec.Decode("session", va, &s), ErrUnknownKey, a)
}

// TestKeyringFileRefusesRevivalOfKeyEndedInUse: a key whose retire-after
// time passes while its keyring is in use has ended, and stays ended
// after a file without it: a later file that brings it back is refused.
func TestKeyringFileRefusesRevivalOfKeyEndedInUse(t *testing.T) {
	r1, _ := wRings(t)
	a := r1.Keys()[0].ID
	r2, b, err := r1.Rotate(lcT0, &RotateOptions{ActivationDelay: -1})
	if err != nil {
		t.Fatal(err)
	}
	retiring, err := r2.Retire(a, wNow.Add(time.Hour), wNow)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "keys.json")
	if err := retiring.Save(path); err != nil {
		t.Fatal(err)
	}
	f, _, clock := wWatch(t, path, KeyringFileConfig{})
	clock.Advance(2 * time.Hour) // a's retire-after passes while the file is in use
	if err := lcRing(t, nil, b).Save(path); err != nil {
		t.Fatal(err)
	}
	if err := f.Reload(); err != nil {
		t.Fatalf("Reload of a file without a: %v", err)
	}
	if err := r2.Save(path); err != nil { // a active again
		t.Fatal(err)
	}
	if err := f.Reload(); !errors.Is(err, ErrKeyRevived) {
		t.Fatalf("Reload of a file that brings back a key ended in use: %v, want ErrKeyRevived", err)
	}
	if f.Keyring().index(a) >= 0 {
		t.Error("the ended key is in use again")
	}
}

// TestKeyringFileRefusesRetiredRevival checks the same for a key retired
// past its retire-after time: an old copy of the file from before the
// retirement, where it is still active, is refused.
func TestKeyringFileRefusesRetiredRevival(t *testing.T) {
	r1, _ := wRings(t)
	a := r1.Keys()[0].ID
	r2, _, err := r1.Rotate(lcT0, &RotateOptions{ActivationDelay: -1})
	if err != nil {
		t.Fatal(err)
	}
	retired, err := r2.Retire(a, wNow, wNow)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "keys.json")
	if err := retired.Save(path); err != nil {
		t.Fatal(err)
	}
	f, _, _ := wWatch(t, path, KeyringFileConfig{})
	if err := r2.Save(path); err != nil {
		t.Fatal(err)
	}
	if err := f.Reload(); !errors.Is(err, ErrKeyRevived) {
		t.Fatalf("Reload of the file from before the retirement: %v, want ErrKeyRevived", err)
	}
	if k := f.Keyring().Keys()[f.Keyring().index(a)]; k.CanOpen(wNow) {
		t.Error("the retired key opens again")
	}
}

// TestKeyringFileRefusesPrunedRevival checks that a key pruned from the
// file (its id on the deleted list) does not come back with an old copy.
func TestKeyringFileRefusesPrunedRevival(t *testing.T) {
	r1, _ := wRings(t)
	a := r1.Keys()[0]
	r2, b, err := r1.Rotate(lcT0, &RotateOptions{ActivationDelay: -1})
	if err != nil {
		t.Fatal(err)
	}
	pruned := lcRing(t, []KeyID{a.ID}, b)
	path := filepath.Join(t.TempDir(), "keys.json")
	if err := pruned.Save(path); err != nil {
		t.Fatal(err)
	}
	f, _, _ := wWatch(t, path, KeyringFileConfig{})
	if err := r2.Save(path); err != nil {
		t.Fatal(err)
	}
	if err := f.Reload(); !errors.Is(err, ErrKeyRevived) {
		t.Fatalf("Reload of the file from before the prune: %v, want ErrKeyRevived", err)
	}
	if f.Keyring().index(a.ID) >= 0 {
		t.Error("the pruned key is back")
	}
}
