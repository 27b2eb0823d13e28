package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// dialFunc connects a stream the peer opened: inbound ones (host empty) on the client, outbound
// ones (host set) on the agent. An error becomes a RESET carrying its text.
type dialFunc func(port uint16, host string) (net.Conn, error)

// Session multiplexes TCP connections over one link. It is symmetric: the agent and the test
// client run the same code, and only the parity of the stream ids they allocate differs.
// The read loop never blocks: frames go out through a queue drained by one writer, and each
// stream holds at most the window it granted, so a slow local reader stalls only its own stream.
type Session struct {
	link io.ReadWriteCloser
	dial dialFunc

	qmu    sync.Mutex
	qcond  *sync.Cond
	queue  [][]byte
	closed bool

	mu      sync.Mutex
	streams map[uint32]*stream
	nextID  uint32
	dead    bool // set under mu before streams are reset: no stream can slip in afterwards

	lastRecv  int64 // unix nanoseconds of the last frame received
	ready     chan struct{}
	readyOnce sync.Once
	done      chan struct{}
	failOnce  sync.Once
	err       error
}

// newSession starts the loops over link. The agent allocates even stream ids, the client odd ones.
func newSession(link io.ReadWriteCloser, agentSide bool, dial dialFunc, keepalive time.Duration) *Session {
	s := &Session{link: link, dial: dial, streams: map[uint32]*stream{}, ready: make(chan struct{}), done: make(chan struct{})}
	s.qcond = sync.NewCond(&s.qmu)
	s.nextID = 1
	if agentSide {
		s.nextID = 2
	}
	atomic.StoreInt64(&s.lastRecv, time.Now().UnixNano())
	go s.writeLoop()
	go s.readLoop()
	if keepalive > 0 {
		go s.keepaliveLoop(keepalive)
	}
	return s
}

// SendReady announces this side. The client sends it first; the agent answers only once it
// relays through that client, so the client's "ready" means inbound traffic flows.
func (s *Session) SendReady() { s.send(frame{typ: frameReady, payload: []byte(protocolVersion)}) }

// Ready is closed once the peer's READY arrived.
func (s *Session) Ready() <-chan struct{} { return s.ready }

// Done is closed when the link is gone; Err then says why.
func (s *Session) Done() <-chan struct{} { return s.done }

func (s *Session) Err() error {
	<-s.done
	return s.err
}

// Close ends the session: every open stream is reset, never left half-written.
func (s *Session) Close(reason error) { s.fail(reason) }

func (s *Session) fail(err error) {
	s.failOnce.Do(func() {
		s.err = err
		s.qmu.Lock()
		s.closed = true
		s.qcond.Broadcast()
		s.qmu.Unlock()
		s.link.Close()
		s.mu.Lock()
		s.dead = true
		open := make([]*stream, 0, len(s.streams))
		for _, st := range s.streams {
			open = append(open, st)
		}
		s.mu.Unlock()
		for _, st := range open {
			st.abort("relay link lost", false)
		}
		close(s.done)
	})
}

func (s *Session) send(f frame) {
	b := f.encode()
	s.qmu.Lock()
	if !s.closed {
		s.queue = append(s.queue, b)
		s.qcond.Signal()
	}
	s.qmu.Unlock()
}

func (s *Session) writeLoop() {
	for {
		s.qmu.Lock()
		for len(s.queue) == 0 && !s.closed {
			s.qcond.Wait()
		}
		if s.closed {
			s.qmu.Unlock()
			return
		}
		batch := net.Buffers(s.queue)
		s.queue = nil
		s.qmu.Unlock()
		if _, err := batch.WriteTo(s.link); err != nil {
			s.fail(fmt.Errorf("relay link write: %w", err))
			return
		}
	}
}

func (s *Session) readLoop() {
	r := bufio.NewReaderSize(s.link, 64*1024)
	for {
		f, err := readFrame(r)
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				err = errors.New("relay link closed by the peer")
			}
			s.fail(err)
			return
		}
		atomic.StoreInt64(&s.lastRecv, time.Now().UnixNano())
		if err := s.handle(f); err != nil {
			s.fail(err)
			return
		}
	}
}

func (s *Session) keepaliveLoop(every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
			idle := time.Since(time.Unix(0, atomic.LoadInt64(&s.lastRecv)))
			if idle > 3*every {
				s.fail(fmt.Errorf("relay link silent for %s", idle.Round(time.Second)))
				return
			}
			s.send(frame{typ: framePing, payload: make([]byte, 8)})
		}
	}
}

func (s *Session) handle(f frame) error {
	switch f.typ {
	case frameReady:
		if string(f.payload) != protocolVersion {
			return fmt.Errorf("relay peer speaks %q, this agent %q: use the agent shipped with this DevK8s", f.payload, protocolVersion)
		}
		s.readyOnce.Do(func() { close(s.ready) })
	case framePing:
		s.send(frame{typ: framePong, payload: f.payload})
	case framePong:
	case frameOpen:
		return s.acceptOpen(f)
	default:
		st := s.lookup(f.id)
		if st == nil {
			return nil // frames still in flight for a stream already reset
		}
		switch f.typ {
		case frameData:
			st.deliver(f.payload)
		case frameWindow:
			if len(f.payload) != 4 {
				return fmt.Errorf("relay protocol error: WINDOW frame of %d bytes", len(f.payload))
			}
			st.credit(int64(uint32(f.payload[0])<<24 | uint32(f.payload[1])<<16 | uint32(f.payload[2])<<8 | uint32(f.payload[3])))
		case frameClose:
			st.peerClose()
		case frameReset:
			st.abort(string(f.payload), false)
		default:
			return fmt.Errorf("relay protocol error: unknown frame type %d", f.typ)
		}
	}
	return nil
}

func (s *Session) acceptOpen(f frame) error {
	port, host, err := parseOpen(f.payload)
	if err != nil {
		return err
	}
	if f.id == 0 || (f.id%2 == 0) == (s.nextID%2 == 0) {
		return fmt.Errorf("relay protocol error: peer opened stream %d with this side's parity", f.id)
	}
	if s.dial == nil {
		s.send(frame{typ: frameReset, id: f.id, payload: []byte("this side accepts no streams")})
		return nil
	}
	st := newStream(s, f.id)
	s.mu.Lock()
	if s.dead {
		s.mu.Unlock()
		return nil
	}
	if _, dup := s.streams[f.id]; dup {
		s.mu.Unlock()
		return fmt.Errorf("relay protocol error: stream %d opened twice", f.id)
	}
	s.streams[f.id] = st
	s.mu.Unlock()
	// Dialing happens aside: DATA that arrives meanwhile waits in the stream's window.
	go func() {
		conn, err := s.dial(port, host)
		if err != nil {
			st.abort(err.Error(), true)
			return
		}
		st.attach(conn)
	}()
	return nil
}

// Open relays conn as a new stream; port and host tell the peer what to dial. No acknowledgement
// is awaited: bytes follow the OPEN at once, so opening costs no round trip.
func (s *Session) Open(conn net.Conn, port uint16, host string) error {
	s.mu.Lock()
	if s.dead {
		s.mu.Unlock()
		return errors.New("relay link is down")
	}
	id := s.nextID
	s.nextID += 2
	st := newStream(s, id)
	s.streams[id] = st
	s.mu.Unlock()
	s.send(frame{typ: frameOpen, id: id, payload: openPayload(port, host)})
	st.attach(conn)
	return nil
}

// OpenStreams counts the streams not yet finished.
func (s *Session) OpenStreams() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.streams)
}

func (s *Session) lookup(id uint32) *stream {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.streams[id]
}

func (s *Session) remove(id uint32) {
	s.mu.Lock()
	delete(s.streams, id)
	s.mu.Unlock()
}

// resetConn makes the TCP peer see a reset rather than a clean end, so a cut transfer is never
// mistaken for a complete one.
func resetConn(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.Close()
}

func isClosedErr(err error) bool {
	return errors.Is(err, net.ErrClosed) || strings.Contains(err.Error(), "use of closed network connection")
}
