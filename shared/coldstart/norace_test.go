//go:build !race

package coldstart

const raceEnabled = false
