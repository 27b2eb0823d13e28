package main

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/ioutil"
	"log"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The tests run the agent in-process and attach a client Session over its real unix socket; the
// client's "local process" is a TCP server on 127.0.0.1, the pod's clients dial the agent's ports.

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

type harness struct {
	t         *testing.T
	agent     *agent
	port      int // the agent's app port
	readyPort int
	control   string
}

func newHarness(t *testing.T, keepalive time.Duration) *harness {
	h := &harness{t: t, port: freePort(t), readyPort: freePort(t), control: filepath.Join(t.TempDir(), "agent.sock")}
	a, err := startAgent(agentConfig{control: h.control, bind: "127.0.0.1", ports: []int{h.port}, readyPort: h.readyPort,
		keepalive: keepalive, logger: log.New(ioutil.Discard, "", 0)})
	if err != nil {
		t.Fatal(err)
	}
	h.agent = a
	t.Cleanup(a.stop)
	return h
}

// attach connects a client whose inbound streams go to 127.0.0.1:localPort.
func (h *harness) attach(localPort int) *Session {
	c, err := net.Dial("unix", h.control)
	if err != nil {
		h.t.Fatal(err)
	}
	s := newSession(c, false, func(port uint16, host string) (net.Conn, error) {
		if int(port) != h.port {
			return nil, fmt.Errorf("unexpected port %d", port)
		}
		return net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(localPort), time.Second)
	}, time.Second)
	s.SendReady()
	select {
	case <-s.Ready():
	case <-time.After(5 * time.Second):
		h.t.Fatal("agent sent no READY")
	}
	h.t.Cleanup(func() { s.Close(errors.New("test over")) })
	return s
}

func (h *harness) dial() net.Conn {
	c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(h.port))
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { c.Close() })
	return c
}

// server runs handler for every connection on a fresh 127.0.0.1 port.
func server(t *testing.T, handler func(net.Conn)) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); handler(c) }()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

func echo(c net.Conn) { io.Copy(c, c) }

func randomBytes(t *testing.T, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestFrameRoundTripAndOversizeRejected(t *testing.T) {
	var buf bytes.Buffer
	buf.Write(frame{typ: frameOpen, id: 7, payload: openPayload(8080, "catalog")}.encode())
	f, err := readFrame(&buf)
	if err != nil || f.typ != frameOpen || f.id != 7 {
		t.Fatalf("got %+v, %v", f, err)
	}
	port, host, err := parseOpen(f.payload)
	if port != 8080 || host != "catalog" || err != nil {
		t.Fatalf("open payload: %d %q %v", port, host, err)
	}
	huge := []byte{frameData, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff}
	if _, err := readFrame(bytes.NewReader(huge)); err == nil {
		t.Fatal("a 4 GB frame header was accepted")
	}
}

func TestInboundConnectionReachesLocalProcessAndHalfCloses(t *testing.T) {
	h := newHarness(t, time.Second)
	h.attach(server(t, echo))
	c := h.dial()
	msg := randomBytes(t, 3*initialWindow) // more than one window: credit must flow back
	go func() { c.Write(msg); c.(*net.TCPConn).CloseWrite() }()
	got, err := ioutil.ReadAll(c) // ends only if the half-close travelled both ways
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("echo of %d bytes: got %d bytes, err %v", len(msg), len(got), err)
	}
}

func TestWithoutClientConnectionsResetFastAndReadinessRefuses(t *testing.T) {
	h := newHarness(t, time.Second)
	assertDialResetFast(t, h.port)
	if c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(h.readyPort)); err == nil {
		c.Close()
		t.Fatal("readiness port accepted with no client attached")
	}
	s := h.attach(server(t, echo))
	c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(h.readyPort))
	if err != nil {
		t.Fatalf("readiness port refused with a client attached: %v", err)
	}
	c.Close()
	s.Close(errors.New("client quits"))
	waitFor(t, time.Second, "readiness port to close after the client left", func() bool { return !readyOpen(h.readyPort) })
	assertDialResetFast(t, h.port)
}

func TestLocalProcessNotListeningFailsFast(t *testing.T) {
	h := newHarness(t, time.Second)
	h.attach(freePort(t))
	assertDialResetFast(t, h.port)
}

func TestSlowReaderDoesNotStallAnotherStream(t *testing.T) {
	h := newHarness(t, time.Second)
	big := randomBytes(t, 8<<20)
	bigPort := server(t, func(c net.Conn) {
		io.ReadFull(c, make([]byte, 1)) // unread input would turn the close into a reset
		c.Write(big)
	})
	echoPort := server(t, echo)
	// One client session, two local processes: route by the order of connections.
	var n int32
	c, _ := net.Dial("unix", h.control)
	s := newSession(c, false, func(uint16, string) (net.Conn, error) {
		if atomic.AddInt32(&n, 1) == 1 {
			return net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(bigPort))
		}
		return net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(echoPort))
	}, time.Second)
	s.SendReady()
	<-s.Ready()
	defer s.Close(errors.New("test over"))

	slow := h.dial()
	slow.Write([]byte("x")) // make sure the slow stream is opened first
	time.Sleep(200 * time.Millisecond)
	fast := h.dial()
	start := time.Now()
	fast.Write([]byte("ping"))
	buf := make([]byte, 4)
	fast.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.ReadFull(fast, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("fast stream stalled behind the slow reader: %q %v", buf, err)
	}
	t.Logf("fast round trip while 8 MB wait unread: %s", time.Since(start))
	got, err := ioutil.ReadAll(slow)
	if err != nil || sha256.Sum256(got) != sha256.Sum256(big) {
		t.Fatalf("slow stream: %d of %d bytes, err %v", len(got), len(big), err)
	}
}

func TestLinkLossResetsOpenStreamsAndNewClientWorks(t *testing.T) {
	h := newHarness(t, time.Second)
	// A local process that sends endlessly: the stream is mid-transfer when the link goes.
	pattern := bytes.Repeat([]byte("0123456789abcdef"), 4096)
	port := server(t, func(c net.Conn) {
		for {
			if _, err := c.Write(pattern); err != nil {
				return
			}
		}
	})
	s := h.attach(port)
	c := h.dial()
	buf := make([]byte, 64*1024)
	if _, err := io.ReadFull(c, buf); err != nil {
		t.Fatal(err)
	}
	s.Close(errors.New("link cut"))
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	var got []byte
	var err error
	for {
		var n int
		n, err = c.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			break
		}
	}
	if err == io.EOF {
		t.Fatal("cut stream ended cleanly; a reader would take a partial answer as complete")
	}
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("cut stream hung instead of being reset")
	}
	for i := range got { // whatever arrived is an uncorrupted continuation of the pattern
		if got[i] != pattern[(64*1024+i)%len(pattern)] {
			t.Fatalf("byte %d corrupted after the cut", i)
		}
	}
	h.attach(server(t, echo))
	c2 := h.dial()
	c2.Write([]byte("again"))
	b := make([]byte, 5)
	if _, err := io.ReadFull(c2, b); err != nil || string(b) != "again" {
		t.Fatalf("after reconnecting: %q %v", b, err)
	}
}

func TestOutboundStreamReachesClusterAddress(t *testing.T) {
	h := newHarness(t, time.Second)
	target := server(t, echo) // stands for a Service the agent dials from the pod
	s := h.attach(freePort(t))
	local, remote := tcpPair(t)
	if err := s.Open(remote, uint16(target), "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	msg := randomBytes(t, 4<<20)
	go func() { local.Write(msg); local.(*net.TCPConn).CloseWrite() }()
	got, err := ioutil.ReadAll(local)
	if err != nil || sha256.Sum256(got) != sha256.Sum256(msg) {
		t.Fatalf("outbound echo: %d of %d bytes, %v", len(got), len(msg), err)
	}
	refused, remote2 := tcpPair(t)
	s.Open(remote2, uint16(freePort(t)), "127.0.0.1")
	assertResetFast(t, refused)
}

func TestNewestClientReplacesOldOne(t *testing.T) {
	h := newHarness(t, time.Second)
	first := h.attach(server(t, echo))
	h.attach(server(t, func(c net.Conn) { c.Write([]byte("second")) }))
	select {
	case <-first.Done():
	case <-time.After(2 * time.Second):
		t.Fatal("the first client was not dropped")
	}
	b := make([]byte, 6)
	if _, err := io.ReadFull(h.dial(), b); err != nil || string(b) != "second" {
		t.Fatalf("got %q %v", b, err)
	}
}

func TestSilentLinkIsDropped(t *testing.T) {
	h := newHarness(t, 50*time.Millisecond)
	c, err := net.Dial("unix", h.control)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write(frame{typ: frameReady, payload: []byte(protocolVersion)}.encode())
	go io.Copy(ioutil.Discard, c) // reads, never answers a PING
	waitFor(t, 2*time.Second, "readiness port to open", func() bool { return readyOpen(h.readyPort) })
	waitFor(t, 2*time.Second, "the silent client to be dropped", func() bool { return !readyOpen(h.readyPort) })
}

func readyOpen(port int) bool {
	c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err == nil {
		c.Close()
	}
	return err == nil
}

func tcpPair(t *testing.T) (net.Conn, net.Conn) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	a, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	b, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

// assertDialResetFast: on loopback the reset may already fail the connect itself.
func assertDialResetFast(t *testing.T, port int) {
	t.Helper()
	c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return
	}
	defer c.Close()
	assertResetFast(t, c)
}

// assertResetFast: the connection must end in an error (not a hang, not data) within a second.
func assertResetFast(t *testing.T, c net.Conn) {
	t.Helper()
	start := time.Now()
	c.SetReadDeadline(start.Add(time.Second))
	n, err := c.Read(make([]byte, 1))
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("connection hung instead of failing fast")
	}
	if n > 0 || err == nil {
		t.Fatalf("connection delivered data: %d bytes, %v", n, err)
	}
}

func waitFor(t *testing.T, limit time.Duration, what string, ok func() bool) {
	t.Helper()
	for end := time.Now().Add(limit); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestPeerOfAnotherVersionIsRefusedWithAClearError(t *testing.T) {
	a, b := net.Pipe()
	s := newSession(a, true, nil, 0)
	go b.Write(frame{typ: frameReady, payload: []byte("devk8s-relay/99")}.encode())
	go io.Copy(ioutil.Discard, b)
	select {
	case <-s.Done():
	case <-time.After(2 * time.Second):
		t.Fatal("a peer of another protocol version was accepted")
	}
	if !strings.Contains(s.Err().Error(), "use the agent shipped with this DevK8s") {
		t.Fatalf("unclear error: %v", s.Err())
	}
}

// The agent's window for a stream grows while the pod-side reader keeps up (the kernel's socket
// buffers count as keeping up until they fill) and stops growing once that reader stalls: what
// the agent queues stays within the window, and the window within maxWindow.
func TestWindowGrowsForAFastReaderOnly(t *testing.T) {
	h := newHarness(t, time.Second)
	big := randomBytes(t, 16<<20)
	h.attach(server(t, func(c net.Conn) {
		io.ReadFull(c, make([]byte, 1))
		c.Write(big)
	}))
	agentStream := func() *stream {
		var found *stream
		waitFor(t, 5*time.Second, "the agent's stream", func() bool {
			h.agent.mu.Lock()
			s := h.agent.current
			h.agent.mu.Unlock()
			s.mu.Lock()
			defer s.mu.Unlock()
			for _, st := range s.streams {
				found = st
			}
			return found != nil
		})
		return found
	}
	window := func(st *stream) (int64, int64) {
		st.mu.Lock()
		defer st.mu.Unlock()
		return st.window, st.queued
	}

	fast := h.dial()
	fast.Write([]byte("x"))
	st := agentStream()
	got, err := ioutil.ReadAll(fast)
	if err != nil || sha256.Sum256(got) != sha256.Sum256(big) {
		t.Fatalf("fast stream: %d of %d bytes, err %v", len(got), len(big), err)
	}
	if w, _ := window(st); w <= initialWindow {
		t.Fatalf("the window of a stream whose reader kept up stayed at %d", w)
	}
	fast.Close()
	waitFor(t, 5*time.Second, "the first stream to end", func() bool {
		h.agent.current.mu.Lock()
		defer h.agent.current.mu.Unlock()
		return len(h.agent.current.streams) == 0
	})

	slow := h.dial()
	slow.Write([]byte("x")) // and then reads nothing
	st = agentStream()
	waitFor(t, 5*time.Second, "the slow stream's window to fill", func() bool { w, q := window(st); return q >= w/2 })
	w1, _ := window(st)
	time.Sleep(500 * time.Millisecond)
	if w, q := window(st); w != w1 || q > w || w > maxWindow {
		t.Fatalf("a reader that reads nothing: window %d (was %d, at most %d), %d bytes queued", w, w1, maxWindow, q)
	}
}

// A client on the loopback link port (where a port-forward arrives) relays like one on the control socket.
func TestClientOnTheLinkPortRelays(t *testing.T) {
	port, link := freePort(t), freePort(t)
	a, err := startAgent(agentConfig{control: filepath.Join(t.TempDir(), "agent.sock"), bind: "127.0.0.1", ports: []int{port}, linkPort: link,
		keepalive: time.Second, logger: log.New(ioutil.Discard, "", 0)})
	if err != nil {
		t.Fatal(err)
	}
	defer a.stop()
	local := server(t, echo)
	c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(link))
	if err != nil {
		t.Fatal(err)
	}
	s := newSession(c, false, func(uint16, string) (net.Conn, error) { return net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(local)) }, time.Second)
	defer s.Close(errors.New("test over"))
	s.SendReady()
	select {
	case <-s.Ready():
	case <-time.After(5 * time.Second):
		t.Fatal("agent sent no READY on the link port")
	}
	pod, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatal(err)
	}
	defer pod.Close()
	pod.Write([]byte("through the link port"))
	buf := make([]byte, len("through the link port"))
	pod.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(pod, buf); err != nil || string(buf) != "through the link port" {
		t.Fatalf("echo through the link port: %q %v", buf, err)
	}
}
