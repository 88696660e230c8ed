//go:build race

package coldstart

// raceEnabled is true under the race detector, which makes sync.Pool drop
// a quarter of the items put into it at random.
const raceEnabled = true
