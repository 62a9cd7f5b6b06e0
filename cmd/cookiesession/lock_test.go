package main

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cookiesession/cookiesession"
)

// TestConcurrentChanges runs many rotations of one file at once. Each one
// either goes through or fails on the lock; none is lost, which without
// the lock happens whenever two read the same file before either writes.
func TestConcurrentChanges(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	if status := run([]string{"keyring", "init", path}, strings.NewReader(""), &strings.Builder{}, &strings.Builder{}); status != exitOK {
		t.Fatalf("init: status %d", status)
	}
	const n = 16
	start := make(chan struct{})
	var wg sync.WaitGroup
	statuses := make([]int, n)
	stderrs := make([]strings.Builder, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			statuses[i] = run([]string{"keyring", "rotate", path, "--activate-in", "0", "--retire-after", "1h"},
				strings.NewReader(""), &strings.Builder{}, &stderrs[i])
		}()
	}
	close(start)
	wg.Wait()

	done := 0
	for i, status := range statuses {
		switch {
		case status == exitOK:
			done++
		case status == exitFailure && strings.Contains(stderrs[i].String(), "keys.json.lock exists"):
		default:
			t.Errorf("rotation %d: status %d, stderr %s", i, status, stderrs[i].String())
		}
	}
	ring, err := cookiesession.LoadKeyring(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(ring.Keys()); got != 1+done {
		t.Errorf("%d rotations went through but the file holds %d keys, want %d: a change was lost", done, got, 1+done)
	}
	if _, err := os.Stat(path + ".lock"); !os.IsNotExist(err) {
		t.Errorf("the lock is left behind: %v", err)
	}
}
