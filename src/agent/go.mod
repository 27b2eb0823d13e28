module devk8s.io/agent

go 1.19
