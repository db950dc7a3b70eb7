package app

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"time"

	"accord/store"

	"github.com/gofiber/fiber/v2"
)

// Every download of stored data — the CSV reports, the audit CSV, the
// export ZIP, the backup — goes through sendDownload, under one rule:
//
//	Copy out, then send. The file is produced whole from ONE read
//	transaction into a spool (memory up to spoolMemory, then an unlinked
//	temporary file beside the database); the transaction has ended before
//	the first byte goes to the client, and the spool is then sent with a
//	write deadline that moves with progress (sendIdle without progress
//	ends the connection).
//
// Why copy out rather than stream from the View: an open read transaction
// blocks bbolt's remap (a write that grows the file waits, and new readers
// queue behind it) and holds the store's lock shared, so compaction cannot
// swap the file; a slow or stalled client would hold all of that for the
// whole transfer, and a deadline short enough to protect writers would cut
// honest slow downloads of a large backup. Copying out bounds the View to the
// local copy's time (about what `accord backup` takes), keeps memory flat (a
// 1 GB backup takes spoolMemory of RAM, not 1 GB), and lets a failure while
// reading answer a proper error page instead of a cut file.
//
// Why beside the database: the spool holds the same personal data as the
// database, so it goes where that data already lives (the data dir, 0700,
// the file 0600), not to a shared /tmp that may be RAM-backed. It is
// unlinked as soon as it is created, so a crash leaves nothing behind; the
// disk needs room for one copy of the largest download in flight.
//
// The download is audited (CONTRACT.md: the only GETs that write) after the
// copy succeeded and before anything is sent: no file leaves without its
// event, and no event is written for a download that failed to build.

// spoolMemory is how much of a download is held in memory before the spool
// moves to a temporary file.
const spoolMemory = 1 << 20

// sendIdle is how long a client may take no part of a download before the
// connection is closed.
const sendIdle = time.Minute

// download describes one file handed to the client.
type download struct {
	Name  string           // the file name offered to the browser
	Type  string           // Content-Type
	Audit store.AuditEvent // written once the file is built, before it is sent
	// Finish, when set, completes the download from what fill found (the
	// backup's chain head goes in its name and a header); it runs after
	// fill, before the audit.
	Finish  func(d *download)
	Headers map[string]string
}

// sendDownload runs fill, which must write the whole file to w from a single
// store read (one View, no network), audits d and sends what fill wrote with
// the download headers (no-store). An error from fill or from the audit is
// returned before any byte is sent.
func (a *App) sendDownload(c *fiber.Ctx, d download, fill func(w io.Writer) error) error {
	s := &spool{dir: filepath.Dir(a.db.Path())}
	if err := fill(s); err != nil {
		s.Close()
		return err
	}
	if d.Finish != nil {
		d.Finish(&d)
	}
	if err := a.db.Audit(d.Audit); err != nil {
		s.Close()
		return err
	}
	for k, v := range d.Headers {
		c.Set(k, v)
	}
	c.Set(fiber.HeaderContentType, d.Type)
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename=%q`, d.Name))
	c.Set(fiber.HeaderCacheControl, "no-store")
	if s.file == nil {
		return c.Send(s.mem.Bytes())
	}
	body, err := s.reader(c.Context().Conn())
	if err != nil {
		s.Close()
		return err
	}
	// fasthttp closes the stream (and so the spool) when the response is
	// written, or dropped unwritten.
	c.Response().SetBodyStream(body, int(s.size))
	return nil
}

// spool is where a download is built: memory first, then a temporary file.
type spool struct {
	dir  string
	mem  bytes.Buffer
	file *os.File
	name string // the file's path while it still has one (see Close)
	size int64
}

// Write appends p, moving the spool to a file once it passes spoolMemory.
func (s *spool) Write(p []byte) (int, error) {
	if s.file == nil && s.mem.Len()+len(p) > spoolMemory {
		if err := s.toFile(); err != nil {
			return 0, err
		}
	}
	var n int
	var err error
	if s.file != nil {
		n, err = s.file.Write(p)
		if err != nil {
			err = fmt.Errorf("app: download: spool: %w", err)
		}
	} else {
		n, _ = s.mem.Write(p) // a bytes.Buffer write only fails by panicking
	}
	s.size += int64(n)
	return n, err
}

func (s *spool) toFile() error {
	f, err := os.CreateTemp(s.dir, ".download-*")
	if err != nil {
		return fmt.Errorf("app: download: spool to disk: %w", err)
	}
	s.file, s.name = f, f.Name()
	// Unlinked at once where the system allows it (Unix): the data then
	// lives only as long as the descriptor. Elsewhere Close removes it.
	if os.Remove(s.name) == nil {
		s.name = ""
	}
	if _, err := f.Write(s.mem.Bytes()); err != nil {
		return fmt.Errorf("app: download: spool to disk: %w", err)
	}
	s.mem = bytes.Buffer{}
	return nil
}

// reader rewinds the spool's file for sending over conn.
func (s *spool) reader(conn net.Conn) (io.ReadCloser, error) {
	if _, err := s.file.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("app: download: rewind spool: %w", err)
	}
	return &progressReader{s: s, conn: conn}, nil
}

// Close releases the spool's file, if any.
func (s *spool) Close() error {
	if s.file == nil {
		return nil
	}
	err := s.file.Close()
	if s.name != "" {
		if rerr := os.Remove(s.name); rerr != nil && !errors.Is(rerr, os.ErrNotExist) && err == nil {
			err = rerr
		}
		s.name = ""
	}
	s.file = nil
	return err
}

// progressReader feeds the spool to fasthttp and moves the connection's
// write deadline forward as the client takes the file: fasthttp's own
// WriteTimeout bounds the whole response, which a large backup on a slow
// link would exceed; this bounds each stretch without progress instead.
type progressReader struct {
	s     *spool
	conn  net.Conn
	moved time.Time
}

func (p *progressReader) Read(b []byte) (int, error) {
	if now := time.Now(); p.conn != nil && now.Sub(p.moved) > time.Second {
		if err := p.conn.SetWriteDeadline(now.Add(sendIdle)); err != nil {
			return 0, fmt.Errorf("app: download: write deadline: %w", err)
		}
		p.moved = now
	}
	return p.s.file.Read(b)
}

func (p *progressReader) Close() error { return p.s.Close() }
