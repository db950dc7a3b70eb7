package app

import "time"

// Start runs the background jobs until Shutdown.
func (a *App) Start() {
	a.every(30*time.Second, func() { a.flushSessions(false) })
	a.every(time.Hour, func() {
		a.flushSessions(true)
		a.limits.sweep()
	})
	for _, job := range a.featureJobs() {
		a.every(job.every, job.run)
	}
}

// job is a feature's periodic work.
type job struct {
	every time.Duration
	run   func()
}

// every runs fn each period in its own goroutine until Shutdown.
func (a *App) every(period time.Duration, fn func()) {
	a.jobs.Add(1)
	go func() {
		defer a.jobs.Done()
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			select {
			case <-a.stop:
				return
			case <-t.C:
				fn()
			}
		}
	}()
}

// flushMemory writes what is gathered in memory (session last-seen times,
// visit counts) before the database closes.
func (a *App) flushMemory() {
	a.flushSessions(false)
	a.flushVisits()
	a.flushBackupRefusals()
	a.flushTokenUses()
}
