// devk8s-agent runs in a dev container for DevK8s's built-in intercept. "serve" listens on the
// container's ports and relays each connection over one link to the DevK8s client; the client
// reaches it through a port-forward to the link port, or by running "attach" (whose stdin and
// stdout become the link) where only exec is at hand.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

const defaultControl = "/tmp/.devk8s-agent.sock"

var version = "dev" // set with -ldflags "-X main.version=..."

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	switch os.Args[1] {
	case "serve":
		os.Exit(serve(os.Args[2:]))
	case "attach":
		os.Exit(attach(os.Args[2:]))
	case "version":
		fmt.Println(protocolVersion, version)
	default:
		usage()
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, `usage: devk8s-agent serve [--control PATH] [--ready PORT] [--link PORT] [--bind ADDR] [--keepalive DURATION] PORT...
       devk8s-agent attach [--control PATH] [--wait DURATION]
       devk8s-agent version`)
	os.Exit(2)
}

func serve(args []string) int {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	cfg := agentConfig{logger: log.New(os.Stderr, "devk8s-agent: ", log.LstdFlags)}
	fs.StringVar(&cfg.control, "control", defaultControl, "unix socket for the attach command")
	fs.StringVar(&cfg.bind, "bind", "", "address to listen on (default: every interface)")
	fs.IntVar(&cfg.readyPort, "ready", 0, "port that accepts only while a client is attached (for a readinessProbe)")
	fs.IntVar(&cfg.linkPort, "link", 0, "loopback port that accepts DevK8s's link (through a port-forward)")
	fs.DurationVar(&cfg.keepalive, "keepalive", 5*time.Second, "ping interval; a link silent for 3 intervals is dropped")
	fs.Parse(args)
	for _, a := range fs.Args() {
		p, err := strconv.Atoi(a)
		if err != nil || p < 1 || p > 65535 {
			fmt.Fprintf(os.Stderr, "devk8s-agent: %q is not a port (1-65535)\n", a)
			return 2
		}
		cfg.ports = append(cfg.ports, p)
	}
	a, err := startAgent(cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "devk8s-agent: %v\n", err)
		return 1
	}
	reapOrphans()
	cfg.logger.Printf("%s %s listening on %v, waiting for DevK8s to attach", protocolVersion, version, cfg.ports)
	// As PID 1 the agent gets no default SIGTERM handling: without this, pod deletion waits for
	// the whole grace period.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	a.stop()
	os.Remove(cfg.control)
	return 0
}

// attach joins stdin and stdout to the serving agent's control socket: run through exec, this
// turns the exec stream into the relay link.
func attach(args []string) int {
	fs := flag.NewFlagSet("attach", flag.ExitOnError)
	control := fs.String("control", defaultControl, "the serving agent's control socket")
	wait := fs.Duration("wait", 10*time.Second, "how long to wait for the serving agent to start")
	fs.Parse(args)
	deadline := time.Now().Add(*wait)
	var conn net.Conn
	for {
		var err error
		conn, err = net.Dial("unix", *control)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			fmt.Fprintf(os.Stderr, "devk8s-agent: no agent serves %s after %s (%v); is the container running \"devk8s-agent serve\"?\n", *control, *wait, err)
			return 3
		}
		time.Sleep(100 * time.Millisecond)
	}
	done := make(chan struct{}, 2)
	go func() { io.Copy(conn, os.Stdin); done <- struct{}{} }()
	go func() { io.Copy(os.Stdout, conn); done <- struct{}{} }()
	<-done
	return 0
}
