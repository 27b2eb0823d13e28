package main

import (
	"encoding/binary"
	"fmt"
	"io"
)

// Wire format of the relay link, shared with the C# client (src/DevK8s.Engine/Relay/RelayFrame.cs):
// every frame is a 9-byte header, type (1 byte), stream id (4 bytes, big endian), payload length
// (4 bytes, big endian), then the payload. Stream 0 is the link itself (READY, PING, PONG).
const (
	frameReady  byte = 1 // payload: protocol name and version, "devk8s-relay/1"
	frameOpen   byte = 2 // payload: port (2 bytes) then the host to dial (empty for inbound)
	frameData   byte = 3 // payload: bytes; consumes the receiver's window
	frameWindow byte = 4 // payload: 4-byte credit the sender may add to its window
	frameClose  byte = 5 // the sender will write no more on this stream (TCP half-close)
	frameReset  byte = 6 // payload: reason; the stream is aborted both ways
	framePing   byte = 7 // payload: 8 bytes echoed in a PONG
	framePong   byte = 8

	headerSize      = 9
	protocolVersion = "devk8s-relay/1"
	// maxData bounds a DATA frame; maxPayload bounds any frame, so a corrupt length is caught
	// instead of allocating gigabytes.
	maxData    = 128 * 1024
	maxPayload = 1 << 20
	// initialWindow is what each side may send on a new stream before any WINDOW arrives: a request
	// and its answer never wait for a round trip of credit.
	initialWindow = 256 * 1024
	// maxWindow bounds a stream's window once it has grown: what one stream may have queued at
	// most when its reader slows down after a fast start. Smaller than the client's: this side
	// lives inside the pod's memory limit.
	maxWindow = 4 * 1024 * 1024
)

type frame struct {
	typ     byte
	id      uint32
	payload []byte
}

func (f frame) encode() []byte {
	b := make([]byte, headerSize+len(f.payload))
	b[0] = f.typ
	binary.BigEndian.PutUint32(b[1:5], f.id)
	binary.BigEndian.PutUint32(b[5:9], uint32(len(f.payload)))
	copy(b[headerSize:], f.payload)
	return b
}

func readFrame(r io.Reader) (frame, error) {
	var h [headerSize]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return frame{}, err
	}
	n := binary.BigEndian.Uint32(h[5:9])
	if n > maxPayload {
		return frame{}, fmt.Errorf("relay protocol error: frame of %d bytes (limit %d); is the peer a devk8s relay of the same version?", n, maxPayload)
	}
	f := frame{typ: h[0], id: binary.BigEndian.Uint32(h[1:5]), payload: make([]byte, n)}
	if _, err := io.ReadFull(r, f.payload); err != nil {
		return frame{}, err
	}
	return f, nil
}

func openPayload(port uint16, host string) []byte {
	b := make([]byte, 2+len(host))
	binary.BigEndian.PutUint16(b, port)
	copy(b[2:], host)
	return b
}

func parseOpen(p []byte) (uint16, string, error) {
	if len(p) < 2 {
		return 0, "", fmt.Errorf("relay protocol error: OPEN frame of %d bytes", len(p))
	}
	return binary.BigEndian.Uint16(p), string(p[2:]), nil
}

func windowPayload(n uint32) []byte {
	b := make([]byte, 4)
	binary.BigEndian.PutUint32(b, n)
	return b
}
