package app

import (
	"testing"
	"time"
)

// Ensure that each language writes dates as its readers do: the English
// day-month-year with "at" and a 24-hour time, the French "1er" for the
// first of the month and the hour written "14 h 05".
func TestDateFormats(t *testing.T) {
	at := func(y int, m time.Month, d, h, min int) time.Time {
		return time.Date(y, m, d, h, min, 0, 0, time.Local)
	}
	for _, tc := range []struct {
		lang           string
		t              time.Time
		date, dateTime string
	}{
		{"en", at(2026, 12, 3, 14, 5), "3 December 2026", "3 December 2026 at 14:05"},
		{"en", at(2026, 1, 1, 0, 0), "1 January 2026", "1 January 2026 at 00:00"},
		{"en", at(2027, 8, 31, 9, 30), "31 August 2027", "31 August 2027 at 09:30"},
		{"fr", at(2026, 12, 3, 14, 5), "3 décembre 2026", "3 décembre 2026 à 14\u00a0h\u00a005"},
		{"fr", at(2026, 11, 1, 8, 0), "1er novembre 2026", "1er novembre 2026 à 8\u00a0h\u00a000"},
		{"fr", at(2027, 2, 28, 23, 59), "28 février 2027", "28 février 2027 à 23\u00a0h\u00a059"},
		{"fr", at(2027, 8, 15, 12, 0), "15 août 2027", "15 août 2027 à 12\u00a0h\u00a000"},
		{"en", time.Time{}, "", ""},
		{"fr", time.Time{}, "", ""},
	} {
		f := dateFormats[tc.lang]
		if got := f.Date(tc.t); got != tc.date {
			t.Errorf("%s Date(%v): got %q, want %q", tc.lang, tc.t, got, tc.date)
		}
		if got := f.DateTime(tc.t); got != tc.dateTime {
			t.Errorf("%s DateTime(%v): got %q, want %q", tc.lang, tc.t, got, tc.dateTime)
		}
	}
	for _, l := range Langs {
		if dateFormats[l] == nil {
			t.Errorf("no date format for %s", l)
		}
	}
}
