package main

import (
	"errors"
	"io"
	"net"
	"sync"
)

// stream is one relayed TCP connection. Two pumps move bytes: out (local socket → DATA frames,
// never more than the peer's credit) and in (queued DATA → local socket, returning credit as it
// is written). The queue never holds more than the credit this side granted.
type stream struct {
	s    *Session
	id   uint32
	mu   sync.Mutex
	cond *sync.Cond
	conn net.Conn

	sendWindow int64    // bytes the peer still accepts
	recvCredit int64    // bytes granted to the peer and not yet received
	consumed   int64    // bytes written locally since the last WINDOW
	window     int64    // the most this side grants at once; grows while the local reader keeps up
	queue      [][]byte // received, not yet written locally
	queued     int64    // bytes in queue
	peerClosed bool
	aborted    bool
	parts      int // pumps finished cleanly; at 2 the stream is done
}

func newStream(s *Session, id uint32) *stream {
	st := &stream{s: s, id: id, sendWindow: initialWindow, recvCredit: initialWindow, window: initialWindow}
	st.cond = sync.NewCond(&st.mu)
	return st
}

func (st *stream) attach(conn net.Conn) {
	st.mu.Lock()
	if st.aborted {
		st.mu.Unlock()
		resetConn(conn)
		return
	}
	st.conn = conn
	st.mu.Unlock()
	go st.pumpOut()
	go st.pumpIn()
}

func (st *stream) deliver(p []byte) {
	st.mu.Lock()
	if st.aborted {
		st.mu.Unlock()
		return
	}
	if int64(len(p)) > st.recvCredit {
		st.mu.Unlock()
		st.abort("relay protocol error: data beyond the window", true)
		return
	}
	st.recvCredit -= int64(len(p))
	st.queue = append(st.queue, p)
	st.queued += int64(len(p))
	st.cond.Broadcast()
	st.mu.Unlock()
}

func (st *stream) credit(n int64) {
	st.mu.Lock()
	st.sendWindow += n
	st.cond.Broadcast()
	st.mu.Unlock()
}

func (st *stream) peerClose() {
	st.mu.Lock()
	st.peerClosed = true
	st.cond.Broadcast()
	st.mu.Unlock()
}

// abort tears the stream down both ways; notify tells the peer (a RESET) when the cause is local.
func (st *stream) abort(reason string, notify bool) {
	st.mu.Lock()
	if st.aborted || st.parts == 2 {
		st.mu.Unlock()
		return
	}
	st.aborted = true
	st.queue = nil
	st.cond.Broadcast()
	conn := st.conn
	st.mu.Unlock()
	if notify {
		st.s.send(frame{typ: frameReset, id: st.id, payload: []byte(reason)})
	}
	st.s.remove(st.id)
	if conn != nil {
		resetConn(conn)
	}
}

func (st *stream) finishPart() {
	st.mu.Lock()
	st.parts++
	done := st.parts == 2 && !st.aborted
	st.mu.Unlock()
	if done {
		st.s.remove(st.id)
		st.conn.Close()
	}
}

func (st *stream) pumpOut() {
	buf := make([]byte, maxData)
	for {
		st.mu.Lock()
		for st.sendWindow <= 0 && !st.aborted {
			st.cond.Wait()
		}
		if st.aborted {
			st.mu.Unlock()
			return
		}
		n := st.sendWindow
		st.mu.Unlock()
		if n > maxData {
			n = maxData
		}
		m, err := st.conn.Read(buf[:n])
		if m > 0 {
			st.mu.Lock()
			if st.aborted {
				st.mu.Unlock()
				return
			}
			st.sendWindow -= int64(m)
			st.mu.Unlock()
			st.s.send(frame{typ: frameData, id: st.id, payload: append([]byte(nil), buf[:m]...)})
		}
		if errors.Is(err, io.EOF) {
			st.s.send(frame{typ: frameClose, id: st.id})
			st.finishPart()
			return
		}
		if err != nil {
			if !isClosedErr(err) {
				st.abort("read: "+err.Error(), true)
			}
			return
		}
	}
}

func (st *stream) pumpIn() {
	for {
		st.mu.Lock()
		for len(st.queue) == 0 && !st.peerClosed && !st.aborted {
			st.cond.Wait()
		}
		if st.aborted {
			st.mu.Unlock()
			return
		}
		if len(st.queue) == 0 {
			st.mu.Unlock()
			if cw, ok := st.conn.(interface{ CloseWrite() error }); ok {
				cw.CloseWrite()
			}
			st.finishPart()
			return
		}
		chunk := st.queue[0]
		st.queue = st.queue[1:]
		st.queued -= int64(len(chunk))
		st.mu.Unlock()
		if _, err := st.conn.Write(chunk); err != nil {
			if !isClosedErr(err) {
				st.abort("write: "+err.Error(), true)
			}
			return
		}
		st.mu.Lock()
		st.consumed += int64(len(chunk))
		grant := int64(0)
		// Credit goes back in halves of the window: few WINDOW frames, and the sender never idles
		// while a full window is in flight.
		if st.consumed >= st.window/2 {
			grant, st.consumed = st.consumed, 0
			// Little left queued: the local reader keeps up and the link's round trip limits the
			// stream, so the window doubles (bytes in flight = rate × round trip). A slow reader
			// has half its window queued here and keeps the window it has.
			if st.queued < st.window/4 && st.window < maxWindow {
				grant += st.window
				st.window *= 2
			}
			st.recvCredit += grant
		}
		st.mu.Unlock()
		if grant > 0 {
			st.s.send(frame{typ: frameWindow, id: st.id, payload: windowPayload(uint32(grant))})
		}
	}
}
