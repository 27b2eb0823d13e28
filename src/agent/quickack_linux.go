package main

import (
	"net"
	"syscall"
)

// quickAckConn acknowledges what it receives at once. The link arrives through the kubelet's
// port-forward, which on dockershim nodes is socat writing without TCP_NODELAY: a small write
// that follows another waits for the agent's ACK, which Linux delays by up to 40 ms, and a reply
// cut in two arrives 40 ms late. Linux leaves quick-ACK mode on its own, so it is set again after
// every read.
type quickAckConn struct {
	net.Conn
	raw syscall.RawConn
}

func withQuickAck(c net.Conn) net.Conn {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return c
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return c
	}
	q := &quickAckConn{Conn: c, raw: raw}
	q.quickAck()
	return q
}

func (q *quickAckConn) quickAck() {
	q.raw.Control(func(fd uintptr) {
		syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_QUICKACK, 1)
	})
}

func (q *quickAckConn) Read(p []byte) (int, error) {
	n, err := q.Conn.Read(p)
	q.quickAck()
	return n, err
}
