//go:build !race

package tests

// raceEnabled says the tests run without -race.
const raceEnabled = false
