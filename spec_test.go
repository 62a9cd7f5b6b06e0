package cookiesession_test

// specOpen opens a value of wire format v1 as FORMAT.md describes it, with
// nothing of the package but the document: if it agrees with every vector,
// the document is complete.

import (
	"bytes"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/chacha20poly1305"
)

type specKey struct {
	State       string `json:"state"`
	Secret      []byte `json:"secret"` // encoding/json reads padded standard base64
	RetireAfter string `json:"retire_after"`
}

type specPayload struct {
	User  string   `json:"user"`
	UID   int64    `json:"uid"`
	Roles []string `json:"roles"`
	Data  string   `json:"data"`
}

func specOpen(keys map[string]specKey, h map[string]string, value string) (*specPayload, string) {
	now, _ := time.Parse(time.RFC3339Nano, h["now"])
	skew, _ := strconv.ParseInt(h["clock-skew"], 10, 64)
	maxLength, _ := strconv.Atoi(h["max-length"])

	if len(value) > maxLength {
		return nil, "too-large"
	}
	enc, ok := strings.CutPrefix(value, "~")
	if !ok || strings.Trim(enc, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
		return nil, "malformed"
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(enc)
	if err != nil || len(raw) < 59 {
		return nil, "malformed"
	}
	hdr, nonce, sealed := raw[:19], raw[19:43], raw[43:]
	switch {
	case hdr[0] != 1 || hdr[1] != 0:
		return nil, "unsupported-version"
	case hdr[2] == 0:
		return nil, "malformed"
	case hdr[2] != 1:
		return nil, "incomplete"
	}
	key, ok := keys[fmt.Sprintf("%08x", binary.BigEndian.Uint32(hdr[3:7]))]
	if !ok {
		return nil, "unknown-key"
	}
	retire, err := time.Parse(time.RFC3339Nano, key.RetireAfter)
	if key.State == "revoked" || err == nil && !now.Before(retire) {
		return nil, "revoked-key"
	}
	subkey, err := hkdf.Key(sha256.New, key.Secret, nil, "cookiesession v1 xchacha20poly1305 seal", 32)
	if err != nil {
		panic(err)
	}
	aead, err := chacha20poly1305.NewX(subkey)
	if err != nil {
		panic(err)
	}
	ad := bytes.Clone(hdr)
	for _, s := range []string{h["cookie-name"], h["purpose"]} {
		ad = binary.BigEndian.AppendUint16(ad, uint16(len(s)))
		ad = append(ad, s...)
	}
	plain, err := aead.Open(nil, nonce, sealed, ad)
	if err != nil {
		return nil, "tampered"
	}
	// issued-at and lifetime are whole seconds, so comparing with now's
	// whole seconds gives the same answers as comparing at full precision.
	iat, lifetime := int64(binary.BigEndian.Uint64(hdr[7:15])), int64(binary.BigEndian.Uint32(hdr[15:19]))
	if iat > now.Unix()+skew {
		return nil, "not-yet-valid"
	}
	if iat <= now.Unix()-skew-lifetime {
		return nil, "expired"
	}
	p := new(specPayload)
	if h["serializer"] == "json" {
		err = json.Unmarshal(plain, p)
	} else {
		err = cbor.Unmarshal(plain, p)
	}
	if err != nil {
		return nil, "malformed"
	}
	return p, "ok"
}

func TestSpecOpener(t *testing.T) {
	var ring struct {
		Keys []struct {
			ID string `json:"id"`
			specKey
		} `json:"keys"`
	}
	data, err := os.ReadFile("testdata/vectors/keyring.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &ring); err != nil {
		t.Fatal(err)
	}
	keys := map[string]specKey{}
	for _, k := range ring.Keys {
		keys[k.ID] = k.specKey
	}

	files, err := filepath.Glob("testdata/vectors/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no vectors: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			head, body, _ := strings.Cut(string(data), "\n\n")
			h := map[string]string{}
			for line := range strings.SplitSeq(head, "\n") {
				k, v, _ := strings.Cut(line, ":")
				h[k] = strings.TrimSpace(v)
			}
			got, class := specOpen(keys, h, strings.TrimSuffix(body, "\n"))
			if class != h["expect"] {
				t.Fatalf("got %s, want %s", class, h["expect"])
			}
			if class != "ok" {
				return
			}
			var want specPayload
			if err := json.Unmarshal([]byte(h["payload"]), &want); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(&want, got); diff != "" {
				t.Errorf("payload (-want +got):\n%s", diff)
			}
		})
	}
}
