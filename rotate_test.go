package cookiesession

import (
	"bytes"
	"encoding/binary"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// lcT0 is the time the lifecycle tests start at.
var lcT0 = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

// lcKey returns a key with the given id, state and times, and a secret
// derived from the id.
func lcKey(id KeyID, state KeyState, activates, retireAfter time.Time) Key {
	k := Key{ID: id, State: state, Created: activates, ActivatesAt: activates, RetireAfter: retireAfter}
	var b [KeySize]byte
	for i := range b {
		b[i] = byte(id) + byte(i)
	}
	k.secret = newKeySecret(&b)
	return k
}

func lcRing(t *testing.T, deleted []KeyID, keys ...Key) *Keyring {
	t.Helper()
	r, err := buildKeyring(keys, deleted, "")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// reparse writes r as a keyring file and parses it again.
func reparse(t *testing.T, r *Keyring) *Keyring {
	t.Helper()
	data, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseKeyring(data)
	if err != nil {
		t.Fatalf("the keyring's file does not parse: %v", err)
	}
	return back
}

// lcSummary is what the lifecycle tests compare of a key.
type lcSummary struct {
	ID          KeyID
	State       KeyState
	ActivatesAt time.Time
	RetireAfter time.Time
}

func lcSummaries(r *Keyring) []lcSummary {
	var s []lcSummary
	for _, k := range r.Keys() {
		s = append(s, lcSummary{k.ID, k.State, k.ActivatesAt, k.RetireAfter})
	}
	return s
}

// lcPrimary returns the id of the primary at now, or an error.
func lcPrimary(t *testing.T, r *Keyring, now time.Time) KeyID {
	t.Helper()
	p, err := r.Primary(now)
	if err != nil {
		t.Fatalf("Primary(%v): %v", now, err)
	}
	return p.ID
}

// lcClock is a codec's clock that a test sets.
type lcClock struct{ t time.Time }

func (c *lcClock) now() time.Time { return c.t }

func lcCodec(t *testing.T, keys KeySource, clock *lcClock) *Codec {
	t.Helper()
	c, err := NewCodec(keys, CodecConfig{Now: clock.now, MaxAge: 30 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// lcSeal seals a value at time at and reports the key that sealed it.
func lcSeal(t *testing.T, keys KeySource, at time.Time) (string, KeyID) {
	t.Helper()
	clock := &lcClock{at}
	c := lcCodec(t, keys, clock)
	v, err := c.Encode("session", "hello")
	if err != nil {
		t.Fatalf("Encode at %v: %v", at, err)
	}
	var s string
	h, err := c.Open("session", v, &s)
	if err != nil {
		t.Fatalf("Open at %v: %v", at, err)
	}
	return v, h.KeyID
}

// lcOpen opens value at time at.
func lcOpen(t *testing.T, keys KeySource, value string, at time.Time) error {
	t.Helper()
	var s string
	err := lcCodec(t, keys, &lcClock{at}).Decode("session", value, &s)
	if err == nil && s != "hello" {
		t.Fatalf("opened %q, want hello", s)
	}
	return err
}

func lcWantKeyErr(t *testing.T, err error, target error, id KeyID) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error %v, want %v", err, target)
	}
	var ke *KeyError
	if !errors.As(err, &ke) || ke.ID != id {
		t.Fatalf("error %v does not name key %s", err, id)
	}
}

func TestRotatePendingBecomesPrimary(t *testing.T) {
	ring0, err := NewKeyring(lcT0)
	if err != nil {
		t.Fatal(err)
	}
	old := lcPrimary(t, ring0, lcT0)
	before := lcSummaries(ring0)
	oldValue, _ := lcSeal(t, ring0, lcT0)

	ring1, nk, err := ring0.Rotate(lcT0, &RotateOptions{ActivationDelay: time.Hour, RetireAfter: 48 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, lcSummaries(ring0)); diff != "" {
		t.Errorf("Rotate changed its receiver (-before +after):\n%s", diff)
	}
	act := lcT0.Add(time.Hour)
	want := []lcSummary{
		{old, KeyActive, lcT0, act.Add(48 * time.Hour)},
		{nk.ID, KeyActive, act, time.Time{}},
	}
	if diff := cmp.Diff(want, lcSummaries(ring1)); diff != "" {
		t.Errorf("keys after Rotate (-want +got):\n%s", diff)
	}
	if !nk.Pending(lcT0) || nk.Pending(act) {
		t.Errorf("new key pending at t0: %v, at activation: %v; want true, false", nk.Pending(lcT0), nk.Pending(act))
	}

	for _, tc := range []struct {
		at   time.Time
		want KeyID
	}{
		{lcT0, old},
		{act.Add(-time.Nanosecond), old},
		{act, nk.ID},
		{act.Add(47 * time.Hour), nk.ID},
	} {
		if got := lcPrimary(t, ring1, tc.at); got != tc.want {
			t.Errorf("primary at %v = %s, want %s", tc.at, got, tc.want)
		}
		if _, sealer := lcSeal(t, ring1, tc.at); sealer != tc.want {
			t.Errorf("sealed at %v under %s, want %s", tc.at, sealer, tc.want)
		}
	}

	// A pending key opens values: a server whose clock runs ahead may
	// seal with it a little before the activation.
	early, _ := lcSeal(t, ring1, act)
	if err := lcOpen(t, ring1, early, act.Add(-30*time.Second)); err != nil {
		t.Errorf("pending key does not open a value it sealed: %v", err)
	}
	// The old key opens what it sealed until its retire-after time.
	if err := lcOpen(t, ring1, oldValue, act.Add(48*time.Hour-time.Second)); err != nil {
		t.Errorf("old key does not open before its retire-after time: %v", err)
	}
	lcWantKeyErr(t, lcOpen(t, ring1, oldValue, act.Add(48*time.Hour)), ErrRevokedKey, old)

	// The result is a valid keyring file.
	if diff := cmp.Diff(lcSummaries(ring1), lcSummaries(reparse(t, ring1))); diff != "" {
		t.Errorf("keyring changed through its file (-before +after):\n%s", diff)
	}
}

func TestRotateDefaults(t *testing.T) {
	ring0 := lcRing(t, nil, lcKey(1, KeyActive, lcT0, time.Time{}))
	now := lcT0.Add(time.Minute + 500*time.Millisecond)
	ring1, nk, err := ring0.Rotate(now, nil)
	if err != nil {
		t.Fatal(err)
	}
	act := lcT0.Add(time.Minute + time.Second + DefaultActivationDelay) // rounded up to the second
	want := []lcSummary{
		{1, KeyActive, lcT0, act.Add(DefaultRetireAfter)},
		{nk.ID, KeyActive, act, time.Time{}},
	}
	if diff := cmp.Diff(want, lcSummaries(ring1)); diff != "" {
		t.Errorf("keys after Rotate (-want +got):\n%s", diff)
	}
	if !nk.Created.Equal(lcT0.Add(time.Minute)) {
		t.Errorf("created %v, want %v", nk.Created, lcT0.Add(time.Minute))
	}
}

func TestRotateAtOnce(t *testing.T) {
	for _, tc := range []struct {
		name      string
		now       time.Time
		activates time.Time // of the new key
	}{
		{"later second", lcT0.Add(90 * time.Second), lcT0.Add(90 * time.Second)},
		{"rounded down", lcT0.Add(90*time.Second + 400*time.Millisecond), lcT0.Add(90 * time.Second)},
		// Rounded down, it would tie with the old key's activation.
		{"same second", lcT0.Add(400 * time.Millisecond), lcT0.Add(400 * time.Millisecond)},
		// It cannot tie either: it activates just after.
		{"same instant", lcT0, lcT0.Add(time.Nanosecond)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ring0 := lcRing(t, nil, lcKey(1, KeyActive, lcT0, time.Time{}))
			ring1, nk, err := ring0.Rotate(tc.now, &RotateOptions{ActivationDelay: -1, RetireAfter: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			if !nk.ActivatesAt.Equal(tc.activates) {
				t.Errorf("new key activates at %v, want %v", nk.ActivatesAt, tc.activates)
			}
			if got := lcPrimary(t, ring1, tc.activates); got != nk.ID {
				t.Errorf("primary at %v is %s, want the new key %s", tc.activates, got, nk.ID)
			}
			if got := ring1.Keys()[0].RetireAfter; !got.Equal(tc.activates.Add(time.Hour)) {
				t.Errorf("old key retires after %v, want %v", got, tc.activates.Add(time.Hour))
			}
		})
	}
}

func TestRotateRetireAfterOnlyShortens(t *testing.T) {
	// Key 1 already stops opening soon; key 2 is an open key that
	// another rotation left without a time; key 3 is the primary; key 4
	// is retired and keeps its own time.
	soon := lcT0.Add(2 * time.Hour)
	ring0 := lcRing(t, nil,
		lcKey(1, KeyActive, lcT0.Add(-3*time.Hour), soon),
		lcKey(2, KeyActive, lcT0.Add(-2*time.Hour), time.Time{}),
		lcKey(3, KeyActive, lcT0.Add(-1*time.Hour), time.Time{}),
		lcKey(4, KeyRetired, lcT0.Add(-4*time.Hour), lcT0.Add(900*time.Hour)),
		lcKey(5, KeyRevoked, lcT0.Add(-5*time.Hour), time.Time{}),
	)
	ring1, nk, err := ring0.Rotate(lcT0, &RotateOptions{ActivationDelay: time.Hour, RetireAfter: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	retire := lcT0.Add(25 * time.Hour)
	want := []lcSummary{
		{1, KeyActive, lcT0.Add(-3 * time.Hour), soon},
		{2, KeyActive, lcT0.Add(-2 * time.Hour), retire},
		{3, KeyActive, lcT0.Add(-1 * time.Hour), retire},
		{4, KeyRetired, lcT0.Add(-4 * time.Hour), lcT0.Add(900 * time.Hour)},
		{5, KeyRevoked, lcT0.Add(-5 * time.Hour), time.Time{}},
		{nk.ID, KeyActive, lcT0.Add(time.Hour), time.Time{}},
	}
	if diff := cmp.Diff(want, lcSummaries(ring1)); diff != "" {
		t.Errorf("keys after Rotate (-want +got):\n%s", diff)
	}
}

func TestRotateGuards(t *testing.T) {
	ring0 := lcRing(t, nil, lcKey(1, KeyActive, lcT0, time.Time{}))
	ring1, nk, err := ring0.Rotate(lcT0, &RotateOptions{ActivationDelay: time.Hour})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("pending", func(t *testing.T) {
		_, _, err := ring1.Rotate(lcT0.Add(time.Minute), nil)
		if !errors.Is(err, ErrKeyPending) || !strings.Contains(err.Error(), nk.ID.String()) {
			t.Errorf("rotating with a pending key: %v, want ErrKeyPending naming %s", err, nk.ID)
		}
		// Once it has activated, rotating again is fine.
		if _, _, err := ring1.Rotate(lcT0.Add(time.Hour), nil); err != nil {
			t.Errorf("rotating after the activation: %v", err)
		}
	})

	t.Run("negative retire-after", func(t *testing.T) {
		if _, _, err := ring0.Rotate(lcT0, &RotateOptions{RetireAfter: -time.Hour}); err == nil {
			t.Error("negative RetireAfter accepted")
		}
	})

	t.Run("gap before the activation", func(t *testing.T) {
		// The only key stops sealing before the new one would start.
		end := lcT0.Add(10 * time.Minute)
		r := lcRing(t, nil, lcKey(1, KeyActive, lcT0.Add(-time.Hour), end))
		_, _, err := r.Rotate(lcT0, &RotateOptions{ActivationDelay: time.Hour})
		if !errors.Is(err, ErrLeavesNoPrimary) || !strings.Contains(err.Error(), end.Format(time.RFC3339)) {
			t.Errorf("rotation leaving a gap: %v, want ErrLeavesNoPrimary at %v", err, end)
		}
		// Activating the new key before that time closes the gap.
		if _, _, err := r.Rotate(lcT0, &RotateOptions{ActivationDelay: 5 * time.Minute}); err != nil {
			t.Errorf("rotation without a gap: %v", err)
		}
	})

	t.Run("no primary now", func(t *testing.T) {
		r := lcRing(t, nil, lcKey(1, KeyActive, lcT0.Add(-time.Hour), lcT0))
		if _, _, err := r.Rotate(lcT0, nil); !errors.Is(err, ErrLeavesNoPrimary) {
			t.Errorf("delayed rotation without a primary: %v, want ErrLeavesNoPrimary", err)
		}
		r2, nk, err := r.Rotate(lcT0, &RotateOptions{ActivationDelay: -1})
		if err != nil {
			t.Fatalf("immediate rotation without a primary: %v", err)
		}
		if got := lcPrimary(t, r2, lcT0); got != nk.ID {
			t.Errorf("primary %s, want the new key %s", got, nk.ID)
		}
	})

	t.Run("too many keys", func(t *testing.T) {
		var keys []Key
		for i := range MaxKeys {
			keys = append(keys, lcKey(KeyID(i+1), KeyActive, lcT0.Add(time.Duration(i)*time.Second), time.Time{}))
		}
		r := lcRing(t, nil, keys...)
		_, _, err := r.Rotate(lcT0.Add(time.Hour), nil)
		if !errors.Is(err, ErrInvalidKeyring) {
			t.Errorf("rotating a full keyring: %v, want ErrInvalidKeyring", err)
		}
	})
}

// lcRandom returns the bytes that generateKey reads: a secret, then a key
// id for each draw.
func lcRandom(ids ...KeyID) *bytes.Reader {
	b := bytes.Repeat([]byte{7}, KeySize)
	for _, id := range ids {
		b = binary.BigEndian.AppendUint32(b, uint32(id))
	}
	return bytes.NewReader(b)
}

func TestRotateNeverReusesAnID(t *testing.T) {
	// Key 1 is in the keyring, key 2 was pruned: both are redrawn.
	ring0 := lcRing(t, []KeyID{2}, lcKey(1, KeyActive, lcT0, time.Time{}))
	_, nk, err := ring0.rotate(lcRandom(1, 2, 1, 3), lcT0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if nk.ID != 3 {
		t.Errorf("new key id %s, want %s: a taken id was used", nk.ID, KeyID(3))
	}

	ids := make([]KeyID, 16)
	for i := range ids {
		ids[i] = 2
	}
	if _, _, err := ring0.rotate(lcRandom(ids...), lcT0, nil); err == nil {
		t.Error("rotate took a deleted id")
	}
	if _, _, err := ring0.rotate(lcRandom(), lcT0, nil); err == nil {
		t.Error("rotate worked without randomness")
	}
}

func TestPromote(t *testing.T) {
	pruned := KeyID(9)
	// Key 1 was the primary before key 2; key 3 is pending; key 4 is
	// retired but still opens; key 5 has expired; key 6 is revoked.
	ring0 := lcRing(t, []KeyID{pruned},
		lcKey(1, KeyActive, lcT0.Add(-48*time.Hour), lcT0.Add(24*time.Hour)),
		lcKey(2, KeyActive, lcT0.Add(-24*time.Hour), time.Time{}),
		lcKey(3, KeyActive, lcT0.Add(time.Hour), time.Time{}),
		lcKey(4, KeyRetired, lcT0.Add(-72*time.Hour), lcT0.Add(time.Hour)),
		lcKey(5, KeyRetired, lcT0.Add(-96*time.Hour), lcT0),
		lcKey(6, KeyRevoked, lcT0.Add(-96*time.Hour), time.Time{}),
	)
	now := lcT0.Add(10 * time.Minute)
	if got := lcPrimary(t, ring0, now); got != 2 {
		t.Fatalf("primary %s, want %s", got, KeyID(2))
	}

	t.Run("pending", func(t *testing.T) {
		r, err := ring0.Promote(3, now)
		if err != nil {
			t.Fatal(err)
		}
		if got := lcPrimary(t, r, now); got != 3 {
			t.Errorf("primary %s, want %s", got, KeyID(3))
		}
		if got := r.Keys()[2]; !got.ActivatesAt.Equal(now) || got.Pending(now) {
			t.Errorf("promoted key activates at %v, want %v", got.ActivatesAt, now)
		}
		// The former primary still opens.
		if k := r.Keys()[1]; k.State != KeyActive || !k.CanOpen(now) {
			t.Errorf("former primary is %v, opens %v", k.State, k.CanOpen(now))
		}
	})

	for _, id := range []KeyID{1, 4} {
		t.Run("older "+id.String(), func(t *testing.T) {
			r, err := ring0.Promote(id, now)
			if err != nil {
				t.Fatal(err)
			}
			if got := lcPrimary(t, r, now); got != id {
				t.Errorf("primary %s, want %s", got, id)
			}
			k := r.Keys()[r.index(id)]
			if k.State != KeyActive || !k.RetireAfter.IsZero() {
				t.Errorf("promoted key is %v retiring after %v, want active without a retire time", k.State, k.RetireAfter)
			}
			// Once key 3 activates, it takes over.
			if got := lcPrimary(t, r, lcT0.Add(time.Hour)); got != 3 {
				t.Errorf("primary after the pending key's activation %s, want %s", got, KeyID(3))
			}
		})
	}

	t.Run("already primary", func(t *testing.T) {
		r, err := ring0.Promote(2, now)
		if err != nil || r != ring0 {
			t.Errorf("promoting the primary: %p, %v; want the same keyring", r, err)
		}
		// A primary with a retire time loses it.
		r0 := lcRing(t, nil, lcKey(1, KeyActive, lcT0, lcT0.Add(time.Hour)))
		r, err = r0.Promote(1, now)
		if err != nil {
			t.Fatal(err)
		}
		want := []lcSummary{{1, KeyActive, lcT0, time.Time{}}}
		if diff := cmp.Diff(want, lcSummaries(r)); diff != "" {
			t.Errorf("keys (-want +got):\n%s", diff)
		}
	})

	t.Run("guards", func(t *testing.T) {
		_, err := ring0.Promote(5, now)
		lcWantKeyErr(t, err, ErrRevokedKey, 5)
		_, err = ring0.Promote(6, now)
		lcWantKeyErr(t, err, ErrRevokedKey, 6)
		_, err = ring0.Promote(0xabcdef, now)
		lcWantKeyErr(t, err, ErrUnknownKey, 0xabcdef)
		_, err = ring0.Promote(pruned, now)
		lcWantKeyErr(t, err, ErrUnknownKey, pruned)
		if !strings.Contains(err.Error(), "pruned") {
			t.Errorf("error for a pruned key does not say so: %v", err)
		}
	})

	t.Run("same instant", func(t *testing.T) {
		// A key activated at this very instant and created later wins
		// over any other key promoted at that instant.
		a := lcKey(1, KeyActive, lcT0.Add(-time.Hour), time.Time{})
		b := lcKey(2, KeyActive, now, time.Time{})
		r := lcRing(t, nil, a, b)
		if _, err := r.Promote(1, now); err == nil {
			t.Error("promoted a key that cannot be the primary")
		}
		r2, err := r.Promote(1, now.Add(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if got := lcPrimary(t, r2, now.Add(time.Second)); got != 1 {
			t.Errorf("primary %s, want %s", got, KeyID(1))
		}
	})
}

func TestRetire(t *testing.T) {
	// Key 1 sealed until key 2 activated; key 3 is pending.
	act2 := lcT0.Add(-time.Hour)
	ring0 := lcRing(t, []KeyID{9},
		lcKey(1, KeyActive, lcT0.Add(-48*time.Hour), time.Time{}),
		lcKey(2, KeyActive, act2, time.Time{}),
	)
	oldValue, sealer := lcSeal(t, ring0, act2.Add(-time.Minute))
	if sealer != 1 {
		t.Fatalf("sealed under %s, want %s", sealer, KeyID(1))
	}
	until := lcT0.Add(24 * time.Hour)

	r, err := ring0.Retire(1, until, lcT0)
	if err != nil {
		t.Fatal(err)
	}
	want := []lcSummary{
		{1, KeyRetired, lcT0.Add(-48 * time.Hour), until},
		{2, KeyActive, act2, time.Time{}},
	}
	if diff := cmp.Diff(want, lcSummaries(r)); diff != "" {
		t.Errorf("keys after Retire (-want +got):\n%s", diff)
	}
	// The retired key opens, through a codec, until its time, and is
	// never the primary.
	if err := lcOpen(t, r, oldValue, until.Add(-time.Second)); err != nil {
		t.Errorf("retired key does not open: %v", err)
	}
	lcWantKeyErr(t, lcOpen(t, r, oldValue, until), ErrRevokedKey, 1)
	for _, at := range []time.Time{lcT0, until.Add(-time.Second)} {
		if got := lcPrimary(t, r, at); got != 2 {
			t.Errorf("primary at %v is %s, want %s", at, got, KeyID(2))
		}
	}

	t.Run("retire the primary", func(t *testing.T) {
		// Key 1 is active, so it takes over.
		r, err := ring0.Retire(2, until, lcT0)
		if err != nil {
			t.Fatal(err)
		}
		if got := lcPrimary(t, r, lcT0); got != 1 {
			t.Errorf("primary %s, want %s", got, KeyID(1))
		}
		// With key 1 retired too, no key could seal.
		_, err = r.Retire(1, until, lcT0)
		if !errors.Is(err, ErrLeavesNoPrimary) {
			t.Errorf("retiring the last key that seals: %v, want ErrLeavesNoPrimary", err)
		}
	})

	t.Run("only a pending key left", func(t *testing.T) {
		r := lcRing(t, nil,
			lcKey(1, KeyActive, lcT0.Add(-time.Hour), time.Time{}),
			lcKey(2, KeyActive, lcT0.Add(time.Hour), time.Time{}),
		)
		if _, err := r.Retire(1, until, lcT0); !errors.Is(err, ErrLeavesNoPrimary) {
			t.Errorf("retiring the primary before a pending key activates: %v, want ErrLeavesNoPrimary", err)
		}
	})

	t.Run("at once", func(t *testing.T) {
		r, err := ring0.Retire(1, lcT0, lcT0)
		if err != nil {
			t.Fatal(err)
		}
		lcWantKeyErr(t, lcOpen(t, r, oldValue, lcT0), ErrRevokedKey, 1)
	})

	t.Run("change the time", func(t *testing.T) {
		later := until.Add(time.Hour)
		r2, err := r.Retire(1, later, lcT0)
		if err != nil {
			t.Fatal(err)
		}
		if got := r2.Keys()[0].RetireAfter; !got.Equal(later) {
			t.Errorf("retire-after %v, want %v", got, later)
		}
	})

	t.Run("guards", func(t *testing.T) {
		_, err := ring0.Retire(0xabcdef, until, lcT0)
		lcWantKeyErr(t, err, ErrUnknownKey, 0xabcdef)
		_, err = ring0.Retire(9, until, lcT0)
		lcWantKeyErr(t, err, ErrUnknownKey, 9)
		_, err = r.Retire(1, until, until) // expired
		lcWantKeyErr(t, err, ErrRevokedKey, 1)
		rv := lcRing(t, nil, lcKey(1, KeyRevoked, lcT0.Add(-time.Hour), time.Time{}), lcKey(2, KeyActive, act2, time.Time{}))
		_, err = rv.Retire(1, until, lcT0)
		lcWantKeyErr(t, err, ErrRevokedKey, 1)
		if _, err := ring0.Retire(2, act2, lcT0); err == nil || errors.Is(err, ErrLeavesNoPrimary) {
			t.Errorf("retiring at the activation time: %v, want an error about the time", err)
		}
	})
}

func TestRevoke(t *testing.T) {
	act2 := lcT0.Add(-time.Hour)
	ring0 := lcRing(t, nil,
		lcKey(1, KeyActive, lcT0.Add(-48*time.Hour), lcT0.Add(24*time.Hour)),
		lcKey(2, KeyActive, act2, time.Time{}),
	)
	v1, _ := lcSeal(t, ring0, act2.Add(-time.Minute))
	v2, _ := lcSeal(t, ring0, lcT0)

	r, err := ring0.Revoke(1, lcT0)
	if err != nil {
		t.Fatal(err)
	}
	lcWantKeyErr(t, lcOpen(t, r, v1, lcT0), ErrRevokedKey, 1)
	if err := lcOpen(t, r, v2, lcT0); err != nil {
		t.Errorf("the primary's value does not open: %v", err)
	}
	if again, err := r.Revoke(1, lcT0); err != nil || again != r {
		t.Errorf("revoking twice: %p, %v; want the same keyring", again, err)
	}
	// The revoked key is kept through its file.
	lcWantKeyErr(t, lcOpen(t, reparse(t, r), v1, lcT0), ErrRevokedKey, 1)

	// Revoking the primary: the other active key takes over.
	r2, err := ring0.Revoke(2, lcT0)
	if err != nil {
		t.Fatal(err)
	}
	if got := lcPrimary(t, r2, lcT0); got != 1 {
		t.Errorf("primary %s, want %s", got, KeyID(1))
	}
	lcWantKeyErr(t, lcOpen(t, r2, v2, lcT0), ErrRevokedKey, 2)

	// But not the last one.
	if _, err := r.Revoke(2, lcT0); !errors.Is(err, ErrLeavesNoPrimary) {
		t.Errorf("revoking the only key: %v, want ErrLeavesNoPrimary", err)
	}
	_, err = r.Revoke(0xabcdef, lcT0)
	lcWantKeyErr(t, err, ErrUnknownKey, 0xabcdef)
}

func TestPrune(t *testing.T) {
	t1 := lcT0.Add(24 * time.Hour)
	ring0 := lcRing(t, []KeyID{9},
		lcKey(1, KeyRetired, lcT0.Add(-48*time.Hour), t1),               // pruned at t1
		lcKey(2, KeyRevoked, lcT0.Add(-47*time.Hour), t1),               // kept: revoked
		lcKey(3, KeyActive, lcT0.Add(-46*time.Hour), t1),                // pruned at t1
		lcKey(4, KeyActive, lcT0.Add(-45*time.Hour), t1.Add(time.Hour)), // kept until later
		lcKey(5, KeyActive, lcT0, time.Time{}),                          // the primary
	)
	v1, _ := lcSeal(t, lcRing(t, nil, lcKey(1, KeyActive, lcT0.Add(-48*time.Hour), time.Time{})), lcT0)
	v2, _ := lcSeal(t, lcRing(t, nil, lcKey(2, KeyActive, lcT0.Add(-48*time.Hour), time.Time{})), lcT0)

	if r, ids, err := ring0.Prune(t1.Add(-time.Second)); err != nil || r != ring0 || ids != nil {
		t.Errorf("pruning before any retire-after: %p, %v, %v; want the same keyring", r, ids, err)
	}
	r, ids, err := ring0.Prune(t1)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]KeyID{1, 3}, ids); diff != "" {
		t.Errorf("pruned ids (-want +got):\n%s", diff)
	}
	want := []lcSummary{
		{2, KeyRevoked, lcT0.Add(-47 * time.Hour), t1},
		{4, KeyActive, lcT0.Add(-45 * time.Hour), t1.Add(time.Hour)},
		{5, KeyActive, lcT0, time.Time{}},
	}
	if diff := cmp.Diff(want, lcSummaries(r)); diff != "" {
		t.Errorf("keys after Prune (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]KeyID{9, 1, 3}, r.Deleted()); diff != "" {
		t.Errorf("deleted ids (-want +got):\n%s", diff)
	}
	// A pruned key's values are unknown; a revoked key's stay revoked.
	lcWantKeyErr(t, lcOpen(t, r, v1, t1), ErrUnknownKey, 1)
	lcWantKeyErr(t, lcOpen(t, r, v2, t1), ErrRevokedKey, 2)

	// Nothing may reuse a pruned id.
	_, nk, err := r.rotate(lcRandom(1, 3, 9, 10), t1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if nk.ID != 10 {
		t.Errorf("new key id %s, want %s: a pruned id was used", nk.ID, KeyID(10))
	}

	// A keyring whose only active key has expired cannot be pruned to
	// nothing.
	dead := lcRing(t, nil,
		lcKey(1, KeyActive, lcT0.Add(-48*time.Hour), lcT0),
		lcKey(2, KeyRevoked, lcT0.Add(-48*time.Hour), time.Time{}),
	)
	if _, _, err := dead.Prune(lcT0); !errors.Is(err, ErrLeavesNoPrimary) {
		t.Errorf("pruning the last active key: %v, want ErrLeavesNoPrimary", err)
	}
}

// TestPruneForgetsOldestDeleted checks that a keyring that has pruned
// more keys than it remembers keeps pruning, forgets the oldest ids first,
// and still writes a file it can read.
func TestPruneForgetsOldestDeleted(t *testing.T) {
	full := make([]KeyID, maxDeleted)
	for i := range full {
		full[i] = KeyID(1000 + i)
	}
	t1 := lcT0.Add(24 * time.Hour)
	ring0 := lcRing(t, full,
		lcKey(1, KeyRetired, lcT0.Add(-48*time.Hour), t1),
		lcKey(2, KeyRetired, lcT0.Add(-47*time.Hour), t1),
		lcKey(3, KeyActive, lcT0, time.Time{}),
	)
	r, ids, err := ring0.Prune(t1)
	if err != nil {
		t.Fatalf("pruning with %d deleted ids remembered: %v", maxDeleted, err)
	}
	if diff := cmp.Diff([]KeyID{1, 2}, ids); diff != "" {
		t.Errorf("pruned ids (-want +got):\n%s", diff)
	}
	want := append(slices.Clone(full[2:]), 1, 2)
	if diff := cmp.Diff(want, r.Deleted()); diff != "" {
		t.Errorf("deleted ids (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, reparse(t, r).Deleted()); diff != "" {
		t.Errorf("deleted ids after a round trip (-want +got):\n%s", diff)
	}
}

// TestLifecycle walks one keyring through a whole rotation, sealing and
// opening a session at each step as a fleet of servers would.
func TestLifecycle(t *testing.T) {
	ring0, err := NewKeyring(lcT0)
	if err != nil {
		t.Fatal(err)
	}
	a := lcPrimary(t, ring0, lcT0)
	va, _ := lcSeal(t, ring0, lcT0)

	// Rotate, with a day for the file to spread and a week of retirement.
	ring1, b, err := ring0.Rotate(lcT0, &RotateOptions{ActivationDelay: 24 * time.Hour, RetireAfter: 7 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	// The file spread faster: promote the new key after an hour.
	t1 := lcT0.Add(time.Hour)
	ring2, err := ring1.Promote(b.ID, t1)
	if err != nil {
		t.Fatal(err)
	}
	vb, sealer := lcSeal(t, ring2, t1)
	if sealer != b.ID {
		t.Fatalf("sealed under %s after the promotion, want %s", sealer, b.ID)
	}
	// Retire the old key for two days.
	ring3, err := ring2.Retire(a, t1.Add(48*time.Hour), t1)
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range []time.Time{t1, t1.Add(47 * time.Hour)} {
		if err := lcOpen(t, ring3, va, at); err != nil {
			t.Errorf("old session at %v: %v", at, err)
		}
	}
	// Prune once the retirement is over.
	t2 := t1.Add(48 * time.Hour)
	if _, ids, _ := ring3.Prune(t2.Add(-time.Second)); ids != nil {
		t.Errorf("pruned %v before the retirement ended", ids)
	}
	ring4, ids, err := ring3.Prune(t2)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]KeyID{a}, ids); diff != "" {
		t.Errorf("pruned (-want +got):\n%s", diff)
	}
	lcWantKeyErr(t, lcOpen(t, ring4, va, t2), ErrUnknownKey, a)
	if err := lcOpen(t, ring4, vb, t2); err != nil {
		t.Errorf("new session after the prune: %v", err)
	}
	if diff := cmp.Diff([]KeyID{a}, ring4.Deleted()); diff != "" {
		t.Errorf("deleted (-want +got):\n%s", diff)
	}
}

func TestRotateNeverShortensTheDelay(t *testing.T) {
	ring, err := NewKeyring(t0)
	if err != nil {
		t.Fatal(err)
	}
	for _, now := range []time.Time{t0.Add(300 * time.Millisecond), t0.Add(999 * time.Millisecond), t0.Add(time.Second)} {
		_, k, err := ring.Rotate(now, &RotateOptions{ActivationDelay: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if k.ActivatesAt.Before(now.Add(5*time.Second)) || k.ActivatesAt.Sub(now) >= 6*time.Second || k.ActivatesAt.Nanosecond() != 0 {
			t.Errorf("rotating at %v with a 5s delay: activates at %v", now.Format("15:04:05.000"), k.ActivatesAt.Format("15:04:05.000"))
		}
	}
}
