//go:build race

package tests

// raceEnabled says the tests run with -race, so the steps are built
// with it too.
const raceEnabled = true
