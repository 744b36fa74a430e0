//go:build !race

package simplejwt

const raceEnabled = false
