package main

import (
	"fmt"
	"testing"
	"time"

	"accord/internal/smtptest"
	"accord/store"
)

// BenchmarkMailBacklog measures how fast the real server drains a backlog
// of 1,000 mails to a local SMTP server (issue 10.16), fsync on: the
// backlog is written while the server is stopped, then `accord serve`
// starts and the mail job (its first tick 5 s after start) sends them.
// drain-s is from the first mail received to the last; start-s from the
// start of the process to the last.
//
//	go test -run XXX -bench MailBacklog -benchtime 3x .
func BenchmarkMailBacklog(b *testing.B) {
	const n = 1000
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		db, err := store.Open(dir, store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		for i := range n {
			m := &store.OutMail{To: fmt.Sprintf("learner%d@example.org", i), Subject: "Your course starts on Monday",
				Body: "Hello,\n\nA few lines of plain text, as Accord sends them.\n\n-- \nAccord\nhttp://localhost:8080\n"}
			if err := db.EnqueueMail(m); err != nil {
				b.Fatal(err)
			}
		}
		db.Close()
		srv := smtptest.Start(b, "127.0.0.1:0", smtptest.Never)
		b.StartTimer()
		start := time.Now()
		s := startServer(b, dir, srv.Addr)
		srv.WaitMails(b, 1, 30*time.Second)
		firstAt := time.Now()
		srv.WaitMails(b, n, 120*time.Second)
		end := time.Now()
		b.StopTimer()
		s.stop()
		b.ReportMetric(end.Sub(firstAt).Seconds(), "drain-s")
		b.ReportMetric(end.Sub(start).Seconds(), "start-s")
		b.ReportMetric(float64(n)/end.Sub(firstAt).Seconds(), "mails/s")
		b.ReportMetric(float64(srv.Connections()), "connections")
		b.StartTimer()
	}
}
