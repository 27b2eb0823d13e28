package main

import (
	"errors"
	"fmt"
	"log"
	"net"
	"os"
	"strconv"
	"sync"
	"time"
)

type agentConfig struct {
	control   string // unix socket the attach command connects to
	bind      string // address the app ports listen on ("" = every interface)
	ports     []int
	readyPort int // 0 = none
	linkPort  int // 0 = none; loopback port DevK8s reaches through a port-forward
	keepalive time.Duration
	handshake time.Duration
	logger    *log.Logger
}

// agent listens on the container's ports for as long as the container runs and relays each
// connection through whichever client is attached; with none attached it resets them at once.
type agent struct {
	cfg       agentConfig
	mu        sync.Mutex
	current   *Session
	readyLn   net.Listener
	listeners []net.Listener
	ctl       net.Listener
	link      net.Listener
	addrs     map[int]*net.TCPAddr // configured port → bound address (tests bind port 0)
}

func startAgent(cfg agentConfig) (*agent, error) {
	if cfg.handshake == 0 {
		cfg.handshake = 10 * time.Second
	}
	a := &agent{cfg: cfg, addrs: map[int]*net.TCPAddr{}}
	for _, p := range cfg.ports {
		ln, err := net.Listen("tcp", net.JoinHostPort(cfg.bind, strconv.Itoa(p)))
		if err != nil {
			a.stop()
			return nil, fmt.Errorf("cannot listen on port %d: %w (is another process in the container using it?)", p, err)
		}
		a.listeners = append(a.listeners, ln)
		a.addrs[p] = ln.Addr().(*net.TCPAddr)
	}
	if cfg.linkPort != 0 {
		// Loopback only: a port-forward arrives inside the pod's network namespace, other pods
		// cannot reach it.
		link, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.linkPort)))
		if err != nil {
			a.stop()
			return nil, fmt.Errorf("cannot listen on link port %d: %w", cfg.linkPort, err)
		}
		a.link = link
	}
	// The control socket comes last: once it exists, every listener is up (the upload waits for it).
	os.Remove(cfg.control) // a socket file left by a previous run of the agent
	ctl, err := net.Listen("unix", cfg.control)
	if err != nil {
		a.stop()
		return nil, fmt.Errorf("cannot listen on control socket %s: %w", cfg.control, err)
	}
	a.ctl = ctl
	if a.link != nil {
		go a.clientLoop(a.link)
	}
	for _, ln := range a.listeners {
		go a.acceptLoop(ln)
	}
	go a.clientLoop(ctl)
	return a, nil
}

func (a *agent) stop() {
	for _, ln := range a.listeners {
		ln.Close()
	}
	if a.ctl != nil {
		a.ctl.Close()
	}
	if a.link != nil {
		a.link.Close()
	}
	a.mu.Lock()
	s := a.current
	a.current = nil
	a.closeReadiness()
	a.mu.Unlock()
	if s != nil {
		s.Close(errors.New("agent stopping"))
	}
}

func (a *agent) acceptLoop(ln net.Listener) {
	port := uint16(ln.Addr().(*net.TCPAddr).Port)
	for {
		conn, err := ln.Accept()
		if err != nil {
			if isClosedErr(err) {
				return
			}
			a.cfg.logger.Printf("accept on port %d: %v", port, err)
			time.Sleep(50 * time.Millisecond)
			continue
		}
		a.mu.Lock()
		s := a.current
		a.mu.Unlock()
		if s == nil || s.Open(conn, port, "") != nil {
			resetConn(conn) // no client: fail fast rather than hang
		}
	}
}

// clientLoop accepts DevK8s clients: on the control socket (through "attach") or the link port.
func (a *agent) clientLoop(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			if isClosedErr(err) {
				return
			}
			a.cfg.logger.Printf("client accept on %s: %v", ln.Addr(), err)
			time.Sleep(50 * time.Millisecond)
			continue
		}
		go a.serveClient(withQuickAck(c))
	}
}

// serveClient runs one attached client. The newest client wins: a reconnecting client must not
// wait for the agent to notice that the old link died.
func (a *agent) serveClient(c net.Conn) {
	s := newSession(c, true, dialOutbound, a.cfg.keepalive)
	select {
	case <-s.Ready():
	case <-s.Done():
		return
	case <-time.After(a.cfg.handshake):
		s.Close(errors.New("client sent no READY"))
		a.cfg.logger.Printf("client did not complete the handshake within %s", a.cfg.handshake)
		return
	}
	a.mu.Lock()
	old := a.current
	a.current = s
	a.openReadiness()
	a.mu.Unlock()
	s.SendReady()
	if old != nil {
		old.Close(errors.New("replaced by a newer client"))
	}
	a.cfg.logger.Printf("client attached")
	err := s.Err()
	a.mu.Lock()
	if a.current == s {
		a.current = nil
		a.closeReadiness()
	}
	a.mu.Unlock()
	a.cfg.logger.Printf("client detached: %v", err)
}

// openReadiness listens on the readiness port while a client is attached, so a TCP
// readinessProbe passes exactly when requests can reach the developer's process.
func (a *agent) openReadiness() {
	if a.cfg.readyPort == 0 || a.readyLn != nil {
		return
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(a.cfg.bind, strconv.Itoa(a.cfg.readyPort)))
	if err != nil {
		a.cfg.logger.Printf("cannot listen on readiness port %d: %v", a.cfg.readyPort, err)
		return
	}
	a.readyLn = ln
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
}

func (a *agent) closeReadiness() {
	if a.readyLn != nil {
		a.readyLn.Close()
		a.readyLn = nil
	}
}

// dialOutbound connects the client's outbound streams to cluster addresses, resolved in the pod.
func dialOutbound(port uint16, host string) (net.Conn, error) {
	if host == "" {
		return nil, errors.New("outbound stream without a host")
	}
	return net.DialTimeout("tcp", net.JoinHostPort(host, strconv.Itoa(int(port))), 5*time.Second)
}
