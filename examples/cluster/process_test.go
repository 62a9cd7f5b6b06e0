package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os/exec"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// program is a program that a test started.
type program struct {
	name   string
	cmd    *exec.Cmd
	stderr syncBuffer

	mu     sync.Mutex
	lines  []string      // what it printed so far, line by line
	change chan struct{} // closed, and replaced, when a line arrives

	exited  chan struct{} // closed once it has exited and waitErr is set
	waitErr error
}

// startProgram runs bin with args in dir ("" for the test's folder). The
// program is killed when the test ends, if it still runs; if the test
// failed, what it wrote to its standard error is logged.
func startProgram(t *testing.T, name, bin, dir string, args ...string) (*program, error) {
	p := &program{name: name, change: make(chan struct{}), exited: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Dir = dir
	p.cmd.Stderr = &p.stderr
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			p.cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			t.Logf("%s wrote to stderr:\n%s", name, p.stderr.String())
		}
	})
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			close(p.change)
			p.change = make(chan struct{})
			p.mu.Unlock()
		}
		// Wait only once everything is read from the pipe.
		p.waitErr = p.cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// waitLine waits for the program to print a line that matches re, and
// returns its submatches.
func (p *program) waitLine(re *regexp.Regexp, timeout time.Duration) ([]string, error) {
	deadline := time.After(timeout)
	for {
		p.mu.Lock()
		for _, l := range p.lines {
			if m := re.FindStringSubmatch(l); m != nil {
				p.mu.Unlock()
				return m, nil
			}
		}
		change := p.change
		p.mu.Unlock()
		select {
		case <-change:
		case <-p.exited:
			return nil, fmt.Errorf("%s exited (%v) without printing a line matching %s; stdout:\n%s\nstderr:\n%s",
				p.name, p.waitErr, re, p.output(), p.stderr.String())
		case <-deadline:
			return nil, fmt.Errorf("%s printed no line matching %s within %v; stdout:\n%s", p.name, re, timeout, p.output())
		}
	}
}

// output returns what the program printed so far.
func (p *program) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

// stop asks the program to stop, as a service manager does, and checks
// that it exits cleanly, without a data race reported.
func (p *program) stop(t *testing.T) {
	t.Helper()
	if runtime.GOOS == "windows" {
		return // no SIGTERM; the cleanup kills it
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Errorf("%s: %v", p.name, err)
	}
	select {
	case <-p.exited:
		if p.waitErr != nil {
			t.Errorf("%s exited with %v after SIGTERM", p.name, p.waitErr)
		}
	case <-time.After(waitTimeout):
		t.Errorf("%s still runs %v after SIGTERM", p.name, waitTimeout)
	}
	if strings.Contains(p.stderr.String(), "DATA RACE") {
		t.Errorf("%s reported a data race", p.name)
	}
}

// syncBuffer is a bytes.Buffer that a program writes to while the test
// reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
