package main

import (
	"strings"
	"testing"
	"time"
)

// TestRun calls run in-process, as another command's tests would.
func TestRun(t *testing.T) {
	for _, tc := range []struct {
		args       []string
		status     int
		stdout     string // a substring of standard output
		stderrWant bool
	}{
		{[]string{"keyring", "list", "--help"}, exitOK, "Usage: cookiesession keyring list FILE", false},
		{nil, exitUsage, "", true},
		{[]string{"keyring", "list"}, exitUsage, "", true},
		{[]string{"keyring", "list", t.TempDir() + "/missing.json"}, exitFailure, "", true},
	} {
		var stdout, stderr strings.Builder
		status := run(tc.args, strings.NewReader(""), &stdout, &stderr)
		if status != tc.status || !strings.Contains(stdout.String(), tc.stdout) || (stderr.Len() > 0) != tc.stderrWant {
			t.Errorf("run(%q) = %d\nstdout: %s\nstderr: %s", tc.args, status, stdout.String(), stderr.String())
		}
	}
}

func TestParseDuration(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"0", 0, true},
		{"90m", 90 * time.Minute, true},
		{"48h", 48 * time.Hour, true},
		{"30d", 30 * 24 * time.Hour, true},
		{"0d", 0, true},
		{"-1h", 0, false},
		{"-1d", 0, false},
		{"1.5d", 0, false},
		{"36501d", 0, false},
		{"d", 0, false},
		{"soon", 0, false},
	} {
		got, err := parseDuration(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
	if got := formatDuration(30 * 24 * time.Hour); got != "30d" {
		t.Errorf("formatDuration(30 days) = %q", got)
	}
	if got := formatDuration(time.Hour); got != "1h0m0s" {
		t.Errorf("formatDuration(1h) = %q", got)
	}
}

// A flag that, left out, is no duration at all shows no default: retire's
// --in, whose absence keeps the key's retire-after time, is not "0s".
func TestHelpHidesOptionalDefault(t *testing.T) {
	var stdout, stderr strings.Builder
	if status := run([]string{"keyring", "retire", "--help"}, strings.NewReader(""), &stdout, &stderr); status != exitOK {
		t.Fatalf("status %d: %s", status, stderr.String())
	}
	_, in, _ := strings.Cut(stdout.String(), "--in DURATION")
	if in, _, _ = strings.Cut(in, "--"); strings.Contains(in, "(default") {
		t.Errorf("--in shows a default: %q", in)
	}
	stdout.Reset()
	run([]string{"keyring", "rotate", "--help"}, strings.NewReader(""), &stdout, &stderr)
	if !strings.Contains(stdout.String(), "(default") {
		t.Errorf("rotate's durations lost their defaults:\n%s", stdout.String())
	}
}
