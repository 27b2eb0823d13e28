package main

import (
	"os"
	"os/signal"
	"syscall"
)

// reapOrphans waits for every child the agent inherits. As the container's PID 1 it adopts the
// orphans of anything run through exec (a backgrounded command, a dev tool); without this they
// stay zombies for the container's lifetime. The agent starts no children of its own.
func reapOrphans() {
	if os.Getpid() != 1 {
		return
	}
	sig := make(chan os.Signal, 8)
	signal.Notify(sig, syscall.SIGCHLD)
	go func() {
		for range sig {
			for {
				var status syscall.WaitStatus
				pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
				if pid <= 0 || err != nil {
					break
				}
			}
		}
	}()
}
