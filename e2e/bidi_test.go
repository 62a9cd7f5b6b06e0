package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/coder/websocket"
)

// bidiConn is a WebDriver BiDi connection: JSON commands {id, method,
// params} over a websocket, answered by replies that carry the same id, and
// events {method, params} that the browser sends on its own. It is safe for
// concurrent use.
type bidiConn struct {
	ws *websocket.Conn

	mu       sync.Mutex
	nextID   int64
	pending  map[int64]chan bidiReply
	handlers map[int64]func(method string, params json.RawMessage)
	nextSub  int64
	err      error         // why the connection ended
	done     chan struct{} // closed when the connection ends
}

// bidiMessage is any message the browser sends.
type bidiMessage struct {
	Type    string          `json:"type"` // "success", "error" or "event"
	ID      *int64          `json:"id"`
	Result  json.RawMessage `json:"result"`
	Error   string          `json:"error"`
	Message string          `json:"message"`
	Method  string          `json:"method"`
	Params  json.RawMessage `json:"params"`
}

type bidiReply struct {
	result json.RawMessage
	err    error
}

// bidiError is an error the browser answered a command with.
type bidiError struct {
	Code, Message string
}

func (e *bidiError) Error() string { return e.Code + ": " + e.Message }

// dialBiDi connects to the BiDi endpoint url and reads its messages until
// the connection ends.
func dialBiDi(ctx context.Context, url string) (*bidiConn, error) {
	ws, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		return nil, err
	}
	// Replies carry whole cookie jars and pages of text; a session of
	// several full cookies is far below this.
	ws.SetReadLimit(16 << 20)
	c := &bidiConn{
		ws:       ws,
		pending:  map[int64]chan bidiReply{},
		handlers: map[int64]func(string, json.RawMessage){},
		done:     make(chan struct{}),
	}
	go c.read()
	return c, nil
}

func (c *bidiConn) read() {
	var err error
	for {
		var data []byte
		_, data, err = c.ws.Read(context.Background())
		if err != nil {
			break
		}
		var m bidiMessage
		if err = json.Unmarshal(data, &m); err != nil {
			err = fmt.Errorf("BiDi: decoding a message: %w", err)
			break
		}
		c.dispatch(&m)
	}
	c.mu.Lock()
	c.err = err
	for id, ch := range c.pending {
		ch <- bidiReply{err: fmt.Errorf("connection closed: %w", err)}
		delete(c.pending, id)
	}
	c.mu.Unlock()
	close(c.done)
}

func (c *bidiConn) dispatch(m *bidiMessage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if m.Type == "event" {
		// Handlers run on this goroutine, in the order the browser sent
		// the events, and must not block.
		for _, h := range c.handlers {
			h(m.Method, m.Params)
		}
		return
	}
	if m.ID == nil {
		return // an error about a message that could not be parsed at all
	}
	ch, ok := c.pending[*m.ID]
	if !ok {
		return
	}
	delete(c.pending, *m.ID)
	if m.Type == "error" {
		ch <- bidiReply{err: &bidiError{Code: m.Error, Message: m.Message}}
		return
	}
	ch <- bidiReply{result: m.Result}
}

// call sends the command method with params and decodes its reply's result
// into result, unless result is nil.
func (c *bidiConn) call(ctx context.Context, method string, params, result any) error {
	if params == nil {
		params = struct{}{}
	}
	ch := make(chan bidiReply, 1)
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return fmt.Errorf("BiDi %s: connection closed: %w", method, c.err)
	}
	c.nextID++
	id := c.nextID
	c.pending[id] = ch
	c.mu.Unlock()

	msg, err := json.Marshal(struct {
		ID     int64  `json:"id"`
		Method string `json:"method"`
		Params any    `json:"params"`
	}{id, method, params})
	if err != nil {
		return err
	}
	if err := c.ws.Write(ctx, websocket.MessageText, msg); err != nil {
		c.forget(id)
		return fmt.Errorf("BiDi %s: %w", method, err)
	}
	select {
	case r := <-ch:
		if r.err != nil {
			return fmt.Errorf("BiDi %s: %w", method, r.err)
		}
		if result == nil {
			return nil
		}
		if err := json.Unmarshal(r.result, result); err != nil {
			return fmt.Errorf("BiDi %s: decoding the result: %w", method, err)
		}
		return nil
	case <-ctx.Done():
		c.forget(id)
		return fmt.Errorf("BiDi %s: %w", method, ctx.Err())
	}
}

func (c *bidiConn) forget(id int64) {
	c.mu.Lock()
	delete(c.pending, id)
	c.mu.Unlock()
}

// listen calls h for every event until the returned function is called.
func (c *bidiConn) listen(h func(method string, params json.RawMessage)) (stop func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nextSub++
	id := c.nextSub
	c.handlers[id] = h
	return func() {
		c.mu.Lock()
		delete(c.handlers, id)
		c.mu.Unlock()
	}
}

// close ends the connection and waits for its reader to stop.
func (c *bidiConn) close() error {
	err := c.ws.Close(websocket.StatusNormalClosure, "")
	<-c.done
	return err
}
