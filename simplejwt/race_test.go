//go:build race

package simplejwt

const raceEnabled = true
